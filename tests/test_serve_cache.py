"""`kg serve` stays fast: answers kept per build, cheap queries apart from expensive ones.

Real server processes on loopback, on builds published into a folder of the test's own
(each with its on-disk store, as the build writes it). Checked by what the answers say
and by the order of events, never by timing.
"""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import urlencode

import pytest

from kg.serve.cache import AnswerCache, CostBook, cacheable, shape
from kg.serve.messages import Answer
from tests.conftest import Server
from tests.test_persistent_store import LU_QI, publish_copy
from tests.test_serve import RUNAWAY, ask_from, get, request

LABEL = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    f'SELECT ?l WHERE {{ <{LU_QI}> rdfs:label ?l FILTER(lang(?l) = "en") }}'
)


def label(server, **params) -> tuple[str, str, str]:
    """(the build that answered, hit or miss, Qi Lu's English label) from the server."""
    status, headers, body = get(server, LABEL, format="csv", **params)
    assert status == 200, body
    return headers["X-KG-Build"], headers["X-KG-Cache"], body.decode().splitlines()[1]


def entity(server, name: str) -> int:
    return request(f"{server.base}/entity?{urlencode({'id': name})}")[0]


def void_modified(server) -> str:
    """The date the VoID description gives the served build (from its folder's name)."""
    status, body = request(f"{server.base}/.well-known/void", headers={"Accept": "text/turtle"})[
        ::2
    ]
    assert status == 200, body
    return re.search(rb'dcterms:modified "([^"]+)"', body)[1].decode()


def stamp(build: str) -> str:
    y, mo, d, h, mi, s = re.match(r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z", build).groups()
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}+00:00"  # (as rdflib writes it)


def test_the_cache_never_serves_an_answer_from_an_older_build(built, tmp_path):
    out = tmp_path / "out"
    first = publish_copy(built.out, out, replace="Qi Lu=>Qi Lu v1").name
    server = Server(out / "kg.nt", "--workers", "2", "--timeout", "5")
    try:
        assert label(server) == (first, "miss", "Qi Lu v1")
        assert label(server) == (first, "hit", "Qi Lu v1")  # kept, for this build
        assert entity(server, "Qi Lu v1") == 200  # the names are read (and kept) once
        assert void_modified(server) == stamp(first)  # VoID, read (and kept) once
        second = publish_copy(built.out, out, replace="Qi Lu=>Qi Lu v2").name
        seen = []
        for _ in range(240):  # the server starts workers on the new build, then moves
            seen.append(label(server))
            if seen[-1][0] == second:
                break
            time.sleep(0.25)
        # Until it has moved, the first build answers (its own kept answer); from then
        # on the second does, never an answer kept from the first.
        assert {(b, text) for b, _, text in seen} <= {(first, "Qi Lu v1"), (second, "Qi Lu v2")}
        assert seen[-1] == (second, "miss", "Qi Lu v2")
        assert label(server) == (second, "hit", "Qi Lu v2")
        status, headers, body = get(server, LABEL, format="json")  # another format: its own
        assert status == 200 and headers["X-KG-Cache"] == "miss" and b"Qi Lu v2" in body
        # The entity pages read the names afresh for the new build.
        assert (entity(server, "Qi Lu v2"), entity(server, "Qi Lu v1")) == (200, 404)
        assert void_modified(server) == stamp(second)  # and VoID
        third = publish_copy(built.out, out, replace="Qi Lu=>Qi Lu v3").name
        for _ in range(240):
            if label(server)[0] == third:
                break
            time.sleep(0.25)
        assert label(server) == (third, "hit", "Qi Lu v3")
        # The first build's folder goes at the next build, once the server has let it go.
        publish_copy(built.out, out, replace="Qi Lu=>Qi Lu v4")
        assert not (out / ".generations" / first).exists()
    finally:
        server.stop()


def test_cheap_queries_are_not_queued_behind_expensive_ones(built, tmp_path):
    """Two workers: one for cheap queries, one for those measured expensive. Once the
    runaway query is known to be expensive, its runs (whatever their comments) go to the
    expensive lane, and cheap queries are answered while it runs there."""
    out = tmp_path / "out"
    publish_copy(built.out, out)
    server = Server(out / "kg.nt", "--workers", "2", "--timeout", "3")
    try:
        status, headers, _ = ask_from(server, "127.0.0.2", RUNAWAY)
        assert (status, headers["X-KG-Lane"]) == (503, "cheap")  # not yet known: cheap lane
        answers: dict[str, tuple] = {}

        def runaway(address: str) -> None:
            answers[address] = ask_from(server, address, RUNAWAY + f"  # {address}\n")

        threads = [threading.Thread(target=runaway, args=(a,)) for a in ("127.0.0.3", "127.0.0.4")]
        for thread in threads:
            thread.start()
        time.sleep(0.3)  # let them reach the server
        cheap = []
        for n in range(5):  # each its own text: run, not read from the cache
            status, headers, _ = ask_from(server, "127.0.0.5", f"ASK {{ ?s ?p ?o }} # {n}")
            cheap.append((status, headers["X-KG-Lane"], headers["X-KG-Cache"]))
        alive = [thread.is_alive() for thread in threads]
        for thread in threads:
            thread.join(60)
        assert cheap == [(200, "cheap", "miss")] * 5
        assert alive == [True, True]  # answered while both expensive queries waited or ran
        lanes = sorted((a[0], a[1].get("X-KG-Lane")) for a in answers.values())
        assert lanes == [(503, "expensive")] * 2, answers  # one stopped, one never got a worker
    finally:
        server.stop()


def test_answers_that_change_from_run_to_run_are_not_kept(built, tmp_path):
    out = tmp_path / "out"
    publish_copy(built.out, out)
    server = Server(out / "kg.nt", "--workers", "1")
    try:
        text = "SELECT (STRUUID() AS ?u) WHERE {}"
        answers = [get(server, text, format="csv") for _ in range(2)]
        assert [a[1]["X-KG-Cache"] for a in answers] == ["miss", "miss"]
        assert answers[0][2] != answers[1][2]
    finally:
        server.stop()


def test_the_cache_keeps_to_its_memory_budget():
    cache = AnswerCache(8000)  # answers over 1,000 bytes are not kept
    body = b"x" * 500
    for n in range(40):
        cache.put(("b1", f"q{n}", "", ""), Answer(200, "text/csv", body))
        assert cache.size <= 8000
    assert 8 <= len(cache) < 40
    assert cache.get(("b1", "q39", "", "")) is not None  # the most recent are kept
    assert cache.get(("b1", "q0", "", "")) is None  # the oldest went first
    cache.put(("b1", "big", "", ""), Answer(200, "text/csv", b"x" * 2000))
    cache.put(("b1", "failed", "", ""), Answer(503, "text/plain", b"busy"))
    assert cache.get(("b1", "big", "", "")) is None and cache.get(("b1", "failed", "", "")) is None
    cache.put(("b2", "q39", "", ""), Answer(200, "text/csv", b"new"))
    cache.retain("b2")
    assert len(cache) == 1 and cache.get(("b1", "q39", "", "")) is None
    assert cache.get(("b2", "q39", "", "")).body == b"new"
    # An answer of the older build's worker, come back after the move, is not kept.
    cache.put(("b1", "late", "", ""), Answer(200, "text/csv", b"old"))
    assert len(cache) == 1 and cache.get(("b1", "late", "", "")) is None


@pytest.mark.parametrize(
    ("text", "keep"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", True),
        ("SELECT (now() AS ?t) WHERE {}", False),
        ("SELECT (RAND ( ) AS ?t) WHERE {}", False),
        ("SELECT * WHERE { BIND(BNODE() AS ?b) }", False),
        ('SELECT * WHERE { ?s ?p "now()" }', False),  # kept out by caution: not worth reading
    ],
)
def test_volatile_queries_are_told_apart(text, keep):
    assert cacheable(text) is keep


def test_costs_are_kept_by_the_query_without_its_comments():
    book = CostBook(limit=2)
    book.record("SELECT * # one\nWHERE { ?s ?p ?o }", 2.0)
    assert book.cost("SELECT *   WHERE {\n ?s ?p ?o } # two") == 2.0
    assert shape("ASK { <urn:a#b> ?p '#c' } # d") == "ASK { <urn:a#b> ?p '#c' }"
    book.record("ASK {}", 0.01)
    book.record("ASK { ?s ?p ?o }", 0.01)
    assert book.cost("SELECT * WHERE { ?s ?p ?o }") is None  # the oldest shape went


def test_costs_of_long_queries_take_little_memory():
    """Many different long queries (each up to the 64 KiB limit) are not kept whole."""
    import tracemalloc

    book = CostBook()
    padding = "#" + "x" * 60_000 + "\n"  # a comment: shapes differ by the number below
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(200):
        book.record(f"SELECT * WHERE {{ ?s ?p {n} }} {padding} '{'y' * 60_000}{n}'", 1.0)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert book.cost(f"SELECT * WHERE {{ ?s ?p 199 }} '{'y' * 60_000}199'") == 1.0
    assert grown < 1_000_000  # whole shapes: over 12 MB


class _MovingPool:
    """Answers pages of a SELECT of rows 0..4 (one per row) from build "old" until the
    second query it is asked, from build "new" after it (the server moved between)."""

    def __init__(self) -> None:
        self.asked = 0

    def run(self, text: str, accept: str, fmt: str | None) -> Answer:
        import json
        import re

        self.asked += 1
        build = "old" if self.asked < 2 else "new"
        offset = int(re.search(r"OFFSET (\d+)", text)[1])
        rows = [{"v": {"type": "literal", "value": f"{build}-{i}"}} for i in range(offset, 5)][:2]
        body = json.dumps({"head": {"vars": ["v"]}, "results": {"bindings": rows}})
        return Answer(200, "application/sparql-results+json", body.encode(), {"X-KG-Build": build})


def test_rows_read_in_pages_come_from_one_build():
    """A reading in pages (the reconciliation index, VoID's sources) that the server's
    move to a newer build cuts in two is read again, never a mix of the two builds."""
    from types import SimpleNamespace

    from kg.serve.linked import select

    app = SimpleNamespace(pool=_MovingPool(), max_rows=2)
    rows = select(app, "SELECT ?v WHERE { ?v ?p ?o }")
    assert [str(r["v"]) for r in rows] == [f"new-{i}" for i in range(5)]
