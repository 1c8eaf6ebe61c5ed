"""Attacks a security review made on `kg serve`, each against the real server process.

The outbound-request check must read queries as the engine does; queries that
crash the engine are refused before any worker sees them; HTTP is parsed as
RFC 9112 asks, with limits that end in their own status codes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from tests.test_serve import get, request

# A system where the workers cannot get a network namespace: a user namespace whose
# limit on new network (and user) namespaces is 0, so unshare() fails as it does on
# kernels without unprivileged namespaces.
NO_NAMESPACES = [
    "unshare",
    "--user",
    "--map-root-user",
    "sh",
    "-c",
    "echo 0 > /proc/sys/user/max_net_namespaces && "
    'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"',
    "sh",
]


class Served:
    """`kg serve` started with any options (and, optionally, under a wrapper command)."""

    def __init__(self, graph: Path, *args: str, wrapper: list[str] | None = None):
        command = [sys.executable, "-m", "kg", "serve", "--graph", str(graph), "--port", "0"]
        self.process = subprocess.Popen(
            [*(wrapper or []), *command, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            self.process.wait(30)
            self.stderr = self.process.stderr.read()
            self.base = ""
            return
        self.base = line
        self.endpoint = f"{line}/sparql"
        self.port = int(line.rsplit(":", 1)[1])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def workers(self) -> set[int]:
        """The process ids of the server's query workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(p) for p in children.read_text().split()}

    def rss(self) -> int:
        """The server process's resident memory, in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def unisolated(built):
    """A server on a system without namespaces, run with the flag that accepts the risk."""
    served = Served(built.out / "kg.nt", "--allow-unisolated-workers", wrapper=NO_NAMESPACES)
    assert served.base, served.stderr
    yield served
    served.stop()


@pytest.fixture(scope="module")
def small(built):
    """A server with small HTTP limits, so tests reach them quickly."""
    served = Served(
        built.out / "kg.nt",
        "--request-timeout", "2",
        "--max-connections", "8",
        "--max-connections-per-client", "6",
        "--workers", "2",
    )  # fmt: skip
    assert served.base
    yield served
    served.stop()


# --- 1. the check reads a query as the engine does --------------------------------------


def comment_tricks(url: str) -> list[str]:
    """Queries that hide SERVICE or FROM from a reader that is not the engine's."""
    return [
        # a comment ends at CR (as the grammar and Oxigraph say), not only at LF
        f"SELECT * WHERE {{ # x\rSERVICE <{url}/sparql> {{ ?s ?p ?o }} \n}}",
        f"SELECT * WHERE {{ # x\rSERVICE SILENT <{url}/silent> {{ ?s ?p ?o }} \n}}",
        "SELECT * # x\rFROM <file:///etc/passwd> \nWHERE { ?s ?p ?o }",
        f"SELECT * # x\rFROM NAMED <{url}/named> \nWHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        # Oxigraph decodes \u only inside strings: "\u0022" is a one-character string
        f'SELECT * WHERE {{ BIND("\\u0022" AS ?x) SERVICE <{url}/escaped> {{}} }} #"',
        f"SELECT * WHERE {{ BIND('\\u0027' AS ?x) SERVICE <{url}/escaped1> {{}} }} #'",
        # a "<" after an operand in an expression is less-than, not an IRI
        f"PREFIX : <{url}/> SELECT * WHERE {{ FILTER(1<2)SERVICE:lt#>\n{{}} }}",
        # Oxigraph matches keywords with no word boundary
        f"SELECT * WHERE {{ BIND(1 AS ?s) ?s ?p falseSERVICE<{url}/glued>{{}} }}",
        f"SELECT * WHERE {{ BIND(1 AS ?s) ?s ?p trueSERVICE<{url}/glued2>{{}} }}",
        f"ASKFROM<{url}/g>{{}}",
        # after EXISTS {…}, a language tag, or in a query that holds both readings of "<"
        f"PREFIX : <{url}/> SELECT * {{ FILTER(EXISTS{{}}<2)SERVICE:ex#>\n {{ }} }}",
        f'PREFIX : <{url}/> SELECT * {{ FILTER("a"@en<2)SERVICE:tag#>\n {{ }} }}',
        f"PREFIX : <{url}/> SELECT * {{ {{ ( 1 <http://a/x'> ) ?p ?o }} UNION "
        f"{{ FILTER(1<2)SERVICE:both#>'\n {{ }} }} }}",
        # a comment in the IRI hides, from the engine, a long string's start
        f"PREFIX : <{url}/> SELECT * {{ FILTER(1<#>"
        + '"' * 3
        + "\n2)SERVICE:long {{}}\n#"
        + '"' * 3
        + "\n}",
    ]


def test_the_tricks_are_ones_oxigraph_runs(canary):
    """The attacks are real: Oxigraph itself calls the canary for each SERVICE trick."""
    import pyoxigraph

    url, hits = canary
    tricks = [q for q in comment_tricks(url) if "SERVICE" in q]
    for query in tricks:
        list(pyoxigraph.Store().query(query))
    assert len(hits) == len(tricks)


def test_a_server_without_isolation_refuses_to_start(built):
    served = Served(built.out / "kg.nt", wrapper=NO_NAMESPACES)
    assert not served.base
    assert served.process.returncode == 1
    assert "--allow-unisolated-workers" in served.stderr
    assert served.stderr.count("\n") == 1 and served.stderr.startswith("Error: ")


def test_comment_tricks_are_refused_without_network_isolation(unisolated, canary):
    url, hits = canary
    assert "NOT cut off from the network" in "".join(_stderr_so_far(unisolated))
    for query in comment_tricks(url):
        status, _, body = request(
            unisolated.endpoint, query.encode(), {"Content-Type": "application/sparql-query"}
        )
        assert status == 400, (query, body)
        assert b"not allowed" in body or b"ambiguous '<'" in body
    status, _, _ = get(unisolated, "ASK { ?s ?p ?o }")
    assert status == 200
    time.sleep(0.2)
    assert hits == []


def _stderr_so_far(served: Served) -> list[str]:
    os.set_blocking(served.process.stderr.fileno(), False)
    try:
        return [served.process.stderr.read() or ""]
    finally:
        os.set_blocking(served.process.stderr.fileno(), True)


def test_rdflib_reading_is_checked_on_an_rdflib_store(built, canary):
    """rdflib ends a comment at LF only: a long string opened after the CR hides SERVICE
    from the grammar's reading but not from rdflib's, which the memory store runs."""
    from rdflib import Graph

    url, hits = canary
    query = f'SELECT * WHERE {{ # \r""" \nSERVICE <{url}/rdflib> {{ ?s ?p ?o }} #"""\n}}'
    list(Graph().query(query))
    assert len(hits) == 1  # rdflib would call out
    hits.clear()
    served = Served(
        built.out / "kg.nt", "--store", "memory", "--allow-unisolated-workers",
        wrapper=NO_NAMESPACES,
    )  # fmt: skip
    try:
        status, _, body = request(
            served.endpoint, query.encode(), {"Content-Type": "application/sparql-query"}
        )
        assert status == 400 and b"SERVICE is not allowed" in body
    finally:
        served.stop()
    assert hits == []


def test_a_remote_store_is_checked_by_every_reading(built, canary, server):
    """Behind `--store sparql+http…` another engine evaluates: the query is refused if any
    reading (escapes applied first, as the grammar says, or not) shows SERVICE. The worker
    needs the network to reach the remote store, so it is not isolated (and needs no flag)."""
    url, hits = canary
    query = (
        f'SELECT * WHERE {{ BIND("\\u0022" AS ?x) SERVICE <{url}/remote> {{}} }} # """ AS ?y) }}'
    )
    served = Served(built.out / "kg.nt", "--store", f"sparql+{server.endpoint}")
    try:
        assert served.base, served.stderr
        assert get(served, "ASK { ?s ?p ?o }")[0] == 200
        status, _, body = post(served, query)
        assert status == 400 and b"SERVICE is not allowed" in body
    finally:
        served.stop()
    assert hits == []


def test_forms_glued_to_their_clause_are_answered(server):
    status, headers, body = get(server, "CONSTRUCTWHERE{?s <https://schema.org/founder> ?o}")
    assert status == 200 and headers["Content-Type"].startswith("text/turtle"), body
    status, _, body = get(server, "ASK{?s ?p ?o}")
    assert status == 200 and b"true" in body


def test_escapes_and_comparisons_cannot_hide_brackets_from_the_depth_limit(server):
    query = 'SELECT * WHERE { BIND("\\u0022" AS ?x) FILTER(' + "(" * 300 + "1" + ")" * 300
    status, _, body = post(server, query + ') } #"')
    assert status == 400 and b"nests brackets" in body
    query = "ASK{FILTER(EXISTS{}<" + "(" * 30_000 + "1" + ")" * 30_000 + "#>\n)}"
    status, _, body = post(server, query)
    assert status == 400 and b"ambiguous" in body


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { VALUES (?s ?p) { (<http://ex.org/a> <https://schema.org/serviceType>) } }",
        "SELECT * { VALUES (?s ?p) { (<http://ex.org/a> "
        "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>) } }",
        "SELECT * { ?s <https://schema.org/founder> (<http://ex.org/a> <http://ex.org/validFrom>) }",
        "SELECT * { ?s ?p ?o FILTER(?p = <https://schema.org/serviceType> && ?o<5&&?o>1) }",
        "SELECT ?from ?named ?service { ?from ?named ?service } LIMIT 1",
    ],
    ids=["values-service", "values-hash", "collection-from", "filter", "variables"],
)
def test_realistic_queries_are_not_refused(server, query):
    status, _, body = get(server, query)
    assert status == 200, body


def test_a_string_that_never_ends_is_refused_at_once(server):
    status, _, body = post(server, "ASK { ?s ?p " + "'\\" * 30_000 + " }")
    assert status == 400 and b"does not end" in body


# --- 2. queries that would crash the engine ---------------------------------------------


def post(served, query: str):
    return request(served.endpoint, query.encode(), {"Content-Type": "application/sparql-query"})


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT * WHERE " + "{" * 10_000 + "}" * 10_000, b"nests brackets more than 128"),
        (
            "SELECT * WHERE { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }",
            b"nests brackets more than 128",
        ),
        (
            "SELECT * WHERE { FILTER(" + "(" * 100_000 + "1" + ")" * 100_000 + ") }",
            b"at most 65536 bytes",
        ),
        ("SELECT * WHERE { {} " + "UNION {} " * 100_000 + "}", b"at most 65536 bytes"),
    ],
    ids=["braces-10k", "parens-10k", "parens-100k", "union-100k"],
)
def test_crashing_queries_are_refused_before_a_worker_sees_them(server, query, message):
    workers = Served.workers(server)  # type: ignore[arg-type]
    status, _, body = post(server, query)
    assert status == 400 and message in body, body[:200]
    assert Served.workers(server) == workers  # type: ignore[arg-type]


def test_deep_queries_within_the_limits_do_not_crash_a_worker(server):
    workers = Served.workers(server)  # type: ignore[arg-type]
    deepest = "SELECT (" + "(" * 120 + "1" + ")" * 120 + " AS ?x) WHERE {}"
    status, _, body = post(server, deepest)
    assert status == 200, body
    # A chain of 20,000 additions: within the size limit, and one that segfaults
    # pyoxigraph on a default 8 MiB stack. On the workers' large stack it is only slow:
    # answered, or stopped at the time limit, but never a crashed worker.
    chain = "SELECT (1" + "+1" * 20_000 + " AS ?x) WHERE {}"
    assert len(chain) < 65_536
    status, _, body = post(server, chain)
    assert status == 200 or b"time limit" in body, body
    assert b"stopped the query engine" not in body
    assert workers & Served.workers(server)  # type: ignore[arg-type]


# --- 3. HTTP as RFC 9112 asks -------------------------------------------------------------


def raw(served, data: bytes, *, wait: float = 10.0) -> bytes:
    """Send raw bytes; return everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=wait) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65_536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(reply: bytes) -> int:
    assert reply.startswith(b"HTTP/1.1 "), reply[:100]
    return int(reply[9:12])


ASK = b"ASK { ?s ?p ?o }"


def head(lines: list[str], body: bytes = b"") -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def test_conflicting_content_lengths_are_refused(small):
    reply = raw(
        small,
        head(
            [
                "POST /sparql HTTP/1.1",
                "Host: x",
                "Content-Type: application/sparql-query",
                f"Content-Length: {len(ASK)}",
                "Content-Length: 3",
            ],
            ASK,
        ),
    )
    assert status_of(reply) == 400 and b"Content-Length" in reply
    assert reply.count(b"HTTP/1.1 ") == 1


def test_content_length_with_chunked_is_refused_and_nothing_is_smuggled(small):
    smuggled = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n"
    reply = raw(
        small,
        head(
            [
                "POST /sparql HTTP/1.1",
                "Host: x",
                "Content-Type: application/sparql-query",
                "Content-Length: 5",
                "Transfer-Encoding: chunked",
            ],
            b"0\r\n\r\n" + smuggled,
        ),
    )
    assert status_of(reply) == 400 and b"not both" in reply
    assert reply.count(b"HTTP/1.1 ") == 1  # the smuggled request got no answer


def test_a_chunked_body_is_read(small):
    chunk = f"{len(ASK):x}\r\n".encode() + ASK + b"\r\n0\r\n\r\n"
    reply = raw(
        small,
        head(
            [
                "POST /sparql HTTP/1.1",
                "Host: x",
                "Content-Type: application/sparql-query",
                "Transfer-Encoding: chunked",
                "Connection: close",
            ],
            chunk,
        ),
    )
    assert status_of(reply) == 200 and b'"boolean": true' in reply


def test_expect_100_continue(small):
    with socket.create_connection(("127.0.0.1", small.port), timeout=10) as s:
        s.sendall(
            head(
                [
                    "POST /sparql HTTP/1.1",
                    "Host: x",
                    "Content-Type: application/sparql-query",
                    f"Content-Length: {len(ASK)}",
                    "Expect: 100-continue",
                    "Connection: close",
                ]
            )
        )
        assert s.recv(1000).startswith(b"HTTP/1.1 100 ")
        s.sendall(ASK)
        assert b"200 OK" in s.recv(65_536)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (head(["GET /sparql HTTP/1.1", "Host: x", "X-Big: " + "a" * 70_000]), 431),
        (head(["GET /sparql HTTP/1.1", "Host: x"] + [f"X-{i}: v" for i in range(101)]), 431),
        (head(["GET /sparql?query=" + "a" * 70_000 + " HTTP/1.1", "Host: x"]), 414),
        (head(["GET /sparql?query=" + "a" * 200_000 + " HTTP/1.1", "Host: x"]), 414),
        (head(["GET /sparql HTTP/2.0", "Host: x"]), 505),
        (head(["GET /sparql HTTP/1.1", "Host: x", "Transfer-Encoding: gzip"]), 501),
        (b"GET /\r\n\r\n", 400),
    ],
    ids=["header-70k", "101-headers", "line-70k", "line-200k", "http2", "gzip-coding", "http09"],
)
def test_limits_end_in_their_own_status(small, data, status):
    reply = raw(small, data)
    assert status_of(reply) == status, reply[:200]
    assert b"Connection: close" in reply.split(b"\r\n\r\n")[0]


def test_a_stalled_body_gets_408(small):
    data = head(
        [
            "POST /sparql HTTP/1.1",
            "Host: x",
            "Content-Type: application/sparql-query",
            "Content-Length: 100",
        ],
        b"ASK",
    )
    assert status_of(raw(small, data)) == 408


def test_a_slow_loris_is_cut_off(small):
    """Header bytes trickling in: the request must be whole within --request-timeout (2 s)."""
    data = head(["GET /sparql?query=ASK%7B%7D HTTP/1.1", "Host: x", "X-Slow: " + "a" * 200])
    sent = 0
    with socket.create_connection(("127.0.0.1", small.port), timeout=10) as s:
        try:
            for byte in data:
                s.sendall(bytes([byte]))
                sent += 1
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = s.recv(65_536)
    assert sent < len(data)  # cut off before the client finished
    assert status_of(reply) == 408


def test_an_idle_connection_is_closed(small):
    with socket.create_connection(("127.0.0.1", small.port), timeout=10) as s:
        assert s.recv(100) == b""  # closed by the server (no answer: there was no request)


def connect_from(served, address: str) -> socket.socket:
    return socket.create_connection(
        ("127.0.0.1", served.port), timeout=10, source_address=(address, 0)
    )


def test_one_address_cannot_hold_every_connection(small):
    held = [connect_from(small, "127.0.0.5") for _ in range(6)]
    try:
        time.sleep(0.3)
        with connect_from(small, "127.0.0.5") as s:
            s.sendall(head(["GET /sparql?query=ASK%7B%7D HTTP/1.1", "Host: x"]))
            assert status_of(s.recv(65_536)) == 429
        with connect_from(small, "127.0.0.6") as s:
            s.sendall(head(["GET /sparql?query=ASK%7B%7D HTTP/1.1", "Host: x"]))
            assert status_of(s.recv(65_536)) == 200
    finally:
        for s in held:
            s.close()


def test_beyond_the_connection_cap_a_client_gets_503(small):
    held = [connect_from(small, f"127.0.0.{10 + i % 4}") for i in range(8)]
    try:
        time.sleep(0.3)
        reply = raw(small, head(["GET /sparql?query=ASK%7B%7D HTTP/1.1", "Host: x"]))
        assert status_of(reply) == 503 and b"Retry-After: 1" in reply
    finally:
        for s in held:
            s.close()
    time.sleep(0.3)
    reply = raw(
        small, head(["GET /sparql?query=ASK%7B%7D HTTP/1.1", "Host: x", "Connection: close"])
    )
    assert status_of(reply) == 200


def test_the_listen_backlog_is_not_5(small):
    out = subprocess.run(
        ["ss", "-ltnH", f"sport = :{small.port}"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert int(out[2]) >= 128  # Send-Q of a listening socket is its backlog


def test_big_headers_do_not_grow_the_server(small):
    """40 connections each sending 6 MB of headers: each is refused at the head limit."""
    before = small.rss()
    pad = b"X-Pad: " + b"a" * 1000 + b"\r\n"

    def flood(index: int) -> int:
        with connect_from(small, f"127.0.0.{20 + index}") as s:
            try:
                s.sendall(b"GET /sparql HTTP/1.1\r\nHost: x\r\n")
                for _ in range(6000):
                    s.sendall(pad)
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                return status_of(s.recv(65_536))
            except (ConnectionResetError, AssertionError):
                return 0

    results: list[int] = []
    for _ in range(5):  # 8 at a time: the connection cap of this server
        threads = [threading.Thread(target=lambda i=i: results.append(flood(i))) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(results) == 40 and set(results) <= {431, 0} and results.count(431) >= 20
    assert small.rss() - before < 32 << 20


def test_urls_with_a_long_query_still_work(small):
    query = "ASK { ?s ?p ?o } # " + "x" * 20_000
    status, _, body = request(f"{small.endpoint}?{urlencode({'query': query}, quote_via=quote)}")
    assert status == 200 and b"true" in body


def test_graph_pages_asked_at_once_are_made_once(built, monkeypatch):
    """/graph?lang= makes a page from the whole graph in the server process: many clients
    asking at once for a page not made yet must not each load the graph (memory of one
    graph per request); they wait for the one being made."""
    from types import SimpleNamespace

    from kg.graph import build as graph_build
    from kg.serve.app import App
    from kg.serve.check import Limits
    from kg.serve.http import Clients
    from kg.viz import page

    real = graph_build.load_graph
    loads = []

    def slow_load(path, *args, **kwargs):
        loads.append(path)
        time.sleep(0.5)  # widens the window in which the others ask (no timed assertion)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(graph_build, "load_graph", slow_load)
    page._served.cache_clear()
    pool = SimpleNamespace(settings=SimpleNamespace(graph=str(built.out / "kg.nt")))
    app = App(pool, Clients(0), "http://127.0.0.1:1/sparql", b"[]", Limits())
    start = threading.Barrier(6)
    answers = []

    def ask() -> None:
        start.wait()
        answers.append(app._graph_page("lang=en"))

    askers = [threading.Thread(target=ask) for _ in range(6)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join(120)
    assert [a.status for a in answers] == [200] * 6
    assert len({a.body for a in answers}) == 1 and b'<html lang="en">' in answers[0].body[:200]
    assert len(loads) == 1
    # Only a known tag makes a page; nothing of the request names a file.
    for lang in ("..%2Fen", "../../etc/passwd", "en%00", "EN", "en/../zh-Hans"):
        assert app._graph_page(f"lang={lang}").status == 400
    assert app._graph_page("lang=en&lang=../../etc/passwd").body == answers[0].body
    assert len(loads) == 1
    page._served.cache_clear()  # (made from the patched loader)
