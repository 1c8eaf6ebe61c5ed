"""`kg push` and `kg virtuoso` against a real Virtuoso on loopback (Debian's 7.2).

Every test starts the real programs: the server, and `kg push` as a user runs it. The
kill test kills a push mid-upload and mid-bulk-load and checks that readers still see the
graph published before, whole, and that the next push puts the new one in.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kg.publish.client import Endpoint, PushError
from kg.publish.push import META_GRAPH, staging_graph, verify_sample
from tests.conftest import Virtuoso

GRAPH = "https://w3id.org/china-ai-kg/graph"
PASSWORD = "pw-" + os.urandom(6).hex()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Virtuoso(tmp_path_factory.mktemp("push-virtuoso"), password=PASSWORD, memory_mb=400)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A build folder holding a synthetic graph of about 60k triples (kg.graph.synth)."""
    from kg.graph.generations import publish
    from kg.graph.synth import write_synthetic

    folder = tmp_path_factory.mktemp("synthetic")
    nt = write_synthetic(folder / "synth.nt", 60_000, seed=3)
    out = folder / "build"
    publish(out, {"kg.nt": nt.read_bytes()})
    return out


def kg_push(server: Virtuoso, out: Path, *extra: str, password: str = PASSWORD, **popen):
    env = {**os.environ, "KG_TEST_PASSWORD": password}
    args = [sys.executable, "-m", "kg", "push", "--to", server.auth_endpoint, "--user", "dba"]
    args += ["--password-env", "KG_TEST_PASSWORD", "--out", str(out), *extra]
    if popen:
        return subprocess.Popen(args, env=env, **popen)
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)


def kg(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KG_NO_SUCH_VARIABLE"}
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, env=env, timeout=300
    )


def start_kg_virtuoso(folder: Path, memory: int) -> tuple[subprocess.Popen[str], str]:
    """`kg virtuoso` running, and what it printed up to its Ctrl-C line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "virtuoso", "--dir", str(folder), "--memory", str(memory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    said = ""
    for line in process.stdout:
        said += line
        if line.startswith("Ctrl-C"):
            break
    return process, said


def graph_store(server: Virtuoso) -> str:
    return server.auth_endpoint.replace("/sparql-auth", "/sparql-graph-crud-auth")


def reader(server: Virtuoso) -> Endpoint:
    return Endpoint(server.endpoint, server.endpoint.replace("/sparql", "/sparql-graph-crud"))


def count(server: Virtuoso, graph: str = GRAPH) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    return reader(server).count(query)


def pushed_at(server: Virtuoso) -> str:
    rows = reader(server).select(
        f"SELECT ?t WHERE {{ GRAPH <{META_GRAPH}> {{ <{GRAPH}> "
        "<https://w3id.org/china-ai-kg/push#pushedAt> ?t } }"
    )
    return rows[0]["t"]["value"]


def lines(path: Path) -> int:
    return sum(1 for line in path.open("rb") if line.strip())


def test_a_push_publishes_the_build_and_a_second_changes_nothing(server, built):
    done = kg_push(server, built.out)
    assert done.returncode == 0, done.stderr
    assert f"Published {lines(built.out / 'kg.nt'):,} triples" in done.stdout
    assert count(server) == lines(built.out / "kg.nt") == len(built.graph)
    assert count(server, staging_graph(GRAPH)) == 0  # the staging graph went into the swap
    # Chinese text, quotes and typed dates read back as sent.
    assert verify_sample(reader(server), GRAPH, built.out / "kg.nt") > 100
    first = pushed_at(server)
    time.sleep(1.1)
    again = kg_push(server, built.out)
    assert again.returncode == 0, again.stderr
    assert "Unchanged" in again.stdout and pushed_at(server) == first
    assert count(server) == len(built.graph)


def test_the_pushed_graph_answers_every_named_query_as_the_build_does(server, built):
    from kg.query.named import named_queries
    from kg.query.results import rows, run
    from kg.query.store import open_store

    assert kg_push(server, built.out).returncode == 0
    local = open_store("oxigraph", built.out / "kg.nt")
    remote = open_store(f"sparql+{server.endpoint}?default-graph-uri={GRAPH}", None)
    compared = 0
    for name in named_queries():
        for lang in ("zh-Hans", "en"):
            here = [sorted(map(str, row.items())) for row in rows(run(local, name, lang=lang))]
            there = [sorted(map(str, row.items())) for row in rows(run(remote, name, lang=lang))]
            assert sorted(here) == sorted(there), (name, lang)
            compared += len(here)
    assert compared > 100


def test_the_sample_check_notices_a_literal_the_server_changed(server, built):
    assert kg_push(server, built.out).returncode == 0
    nt = (built.out / "kg.nt").read_text(encoding="utf-8")
    literal = r'"(?:[^"\\]|\\.)*[\u4e00-\u9fff](?:[^"\\]|\\.)*"@zh-Hans'
    match = re.search(rf"^(<[^>]+>) (<[^>]+>) ({literal}) \.$", nt, re.M)
    assert match
    subject, predicate, old = match.groups()
    admin = Endpoint(server.auth_endpoint, server.auth_endpoint + "-x", "dba", PASSWORD)
    admin.update(
        f"DELETE DATA {{ GRAPH <{GRAPH}> {{ {subject} {predicate} {old} }} }} ; "
        f'INSERT DATA {{ GRAPH <{GRAPH}> {{ {subject} {predicate} "改过的"@zh-Hans }} }}'
    )
    assert count(server) == len(built.graph)  # the count alone would not notice
    with pytest.raises(PushError, match="does not hold"):
        verify_sample(reader(server), GRAPH, built.out / "kg.nt", per_kind=10**9)
    assert kg_push(server, built.out, "--force").returncode == 0  # repaired by a push


def test_readers_see_the_old_graph_whole_until_the_swap(server, built, synthetic):
    assert kg_push(server, built.out, "--force").returncode == 0
    old, new = lines(built.out / "kg.nt"), lines(synthetic / "kg.nt")
    loading: set[int] = set()
    swapping: set[int] = set()
    phase = [loading]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            phase[0].add(count(server))

    watcher = threading.Thread(target=watch)
    watcher.start()
    process = kg_push(server, synthetic, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("staged "):  # loaded and counted: the swap comes next
                time.sleep(0.2)  # a count asked before the line came may still be answered
                phase[0] = swapping
        process.wait(300)
    finally:
        stop.set()
        watcher.join()
    assert process.returncode == 0
    assert loading == {old}, loading  # the graph being loaded is never seen
    assert count(server) == new
    print(f"counts seen during the swap: {sorted(swapping)}")


@pytest.mark.parametrize("loader", ["graph store", "bulk loader"])
def test_a_killed_push_leaves_the_published_graph_intact(server, built, synthetic, loader):
    assert kg_push(server, built.out, "--force").returncode == 0
    before = count(server)
    extra = ["--isql", server.isql, "--bulk-dir", str(server.load_dir)]
    extra = extra if loader == "bulk loader" else []
    process = kg_push(
        server, synthetic, *extra, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # Kill it once it is loading the staging graph: batches sent, or the loader started.
    assert process.stderr is not None
    for line in process.stderr:
        if re.match(r"staging: [1-9]", line) or "bulk loader" in line:
            break
    else:
        pytest.fail(f"the push never started loading: {process.wait()}")
    if loader == "bulk loader":
        deadline = time.monotonic() + 60
        while count(server, staging_graph(GRAPH)) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert count(server) == before  # readers still see the graph published before
    assert verify_sample(reader(server), GRAPH, built.out / "kg.nt") > 100
    done = kg_push(server, synthetic, *extra)
    assert done.returncode == 0, done.stderr
    assert count(server) == lines(synthetic / "kg.nt")
    assert count(server, staging_graph(GRAPH)) == 0  # what the killed push left is gone
    assert not any(server.load_dir.iterdir())


def test_a_refused_push_says_why_and_changes_nothing(server, built, tmp_path):
    assert kg_push(server, built.out, "--force").returncode == 0
    before = pushed_at(server)
    wrong = kg_push(server, built.out, "--force", password="not-the-password")
    assert wrong.returncode == 1 and "HTTP 401" in wrong.stderr and "Traceback" not in wrong.stderr
    shipped = kg_push(server, built.out, "--force", password="dba")  # the shipped one is gone
    assert shipped.returncode == 1 and "HTTP 401" in shipped.stderr
    unset = kg(
        "push",
        "--to",
        server.auth_endpoint,
        "--user",
        "dba",
        "--password-env",
        "KG_NO_SUCH_VARIABLE",
        "--out",
        str(built.out),
    )
    assert unset.returncode == 1 and "KG_NO_SUCH_VARIABLE" in unset.stderr
    nobody = kg_push(server, tmp_path / "no-build")
    assert nobody.returncode == 1 and "kg build" in nobody.stderr
    # An IRI that would end the update's graph name and add statements of its own.
    hostile = kg_push(server, built.out, "--graph", f"{GRAPH}> }} ; DROP ALL ; #")
    assert hostile.returncode == 1 and "not an absolute IRI" in hostile.stderr
    closed = kg("push", "--to", "http://127.0.0.1:9/sparql-auth", "--out", str(built.out))
    assert closed.returncode == 1 and "no answer from the server" in closed.stderr
    assert pushed_at(server) == before and count(server) == len(built.graph)


def test_make_virtuoso_starts_a_server_with_its_own_password(built, tmp_path, root):
    folder = tmp_path / "try"
    process, said = start_kg_virtuoso(folder, 128)
    try:
        credentials = folder / "credentials.env"
        assert oct(credentials.stat().st_mode & 0o777) == "0o600"
        name, password = credentials.read_text().strip().split("=", 1)
        assert name == "KG_VIRTUOSO_PASSWORD" and len(password) >= 20
        push_line = next(line.strip() for line in said.splitlines() if "kg push" in line)
        query_line = next(line.strip() for line in said.splitlines() if "kg query" in line)
        endpoints = re.findall(r"http://127\.0\.0\.1:\d+/sparql\S*", said)
        assert endpoints and all(url.startswith("http://127.0.0.1:") for url in endpoints)
        env = {**os.environ, name: password}
        pushed = subprocess.run(
            [*push_line.split()[:1], *push_line.split()[1:], "--out", str(built.out)],
            env={**env, "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert pushed.returncode == 0, pushed.stderr
        query = query_line.replace("kg query --store '", "").split("'")
        asked = subprocess.run(
            [sys.executable, "-m", "kg", "query", "--store", query[0], query[1].strip()],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert asked.returncode == 0 and "陆奇" in asked.stdout, asked.stderr
        auth = push_line.split("--to ")[1].split()[0]
        with pytest.raises(PushError, match="401"):
            Endpoint(auth, auth + "-x", "dba", "dba").update("CLEAR SILENT GRAPH <urn:x>")
        assert "virtuoso:" in (root / "Makefile").read_text()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
    assert process.returncode == 0
    assert not folder.exists()  # thrown away


def test_a_swap_the_server_refuses_leaves_the_graph_as_it_was(
    built, synthetic, tmp_path, monkeypatch
):
    import kg.publish.virtuoso as launcher
    from kg.publish.push import push

    # A transaction limit (2.5 MB) the upload's small batches pass and the swap exceeds.
    monkeypatch.setattr(launcher, "AFTER_IMAGE_LIMIT", 2_500_000)
    small = Virtuoso(tmp_path / "small", password=PASSWORD)
    try:
        endpoint = Endpoint(
            small.auth_endpoint,
            small.auth_endpoint.replace("-auth", "-graph-crud-auth"),
            "dba",
            PASSWORD,
        )
        push(built.out / "kg.nt", endpoint, GRAPH, batch_bytes=200_000)
        with pytest.raises(PushError, match=f"holds its {len(built.graph):,} triples as before"):
            push(synthetic / "kg.nt", endpoint, GRAPH, batch_bytes=200_000)
        assert count(small) == len(built.graph)
        assert verify_sample(reader(small), GRAPH, built.out / "kg.nt") > 100
    finally:
        small.stop()


def test_a_killed_kg_virtuoso_takes_its_server_with_it(tmp_path):
    process, said = start_kg_virtuoso(tmp_path / "v", 64)
    server = int(re.search(r"running \(pid (\d+)\)", said).group(1))  # type: ignore[union-attr]
    assert Path(f"/proc/{server}").exists()
    process.kill()  # no chance to clean up: the kernel stops the server (PR_SET_PDEATHSIG)
    process.wait(30)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{server}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Path(f"/proc/{server}").exists()


def test_kg_viz_draws_the_same_page_from_virtuoso_as_from_the_build(virtuoso, built, tmp_path):
    from kg.query import store as stores

    here, there = tmp_path / "here.html", tmp_path / "there.html"
    common = [sys.executable, "-m", "kg", "viz", "--graph", str(built.out / "kg.nt"), "--lang"]
    for lang in ("zh-Hans", "en"):
        done = subprocess.run([*common, lang, "--out", str(here)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        remote = ["--store", f"sparql+{virtuoso.dataset}", "--out", str(there)]
        done = subprocess.run([*common, lang, *remote], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert here.read_bytes() == there.read_bytes()  # read in pages, tags in their case
    # In pages smaller than the graph, the same graph (the tags in their canonical case).
    remote = stores.open_store(f"sparql+{virtuoso.dataset}", None)
    paged = stores.whole_graph(remote, page=700)
    assert len(paged) == len(built.graph) > 700
    assert by_value(paged) == by_value(built.graph)


def by_value(graph):
    """The triples, numbers and booleans by value: Virtuoso returns another spelling of
    the same value ("21000000000" for "21000000000.0"), and the pages draw values."""
    from rdflib import Literal

    def value(term):
        kinds = ("decimal", "integer", "Integer", "boolean", "double")
        if isinstance(term, Literal) and term.datatype and term.datatype.endswith(kinds):
            return ("value", str(term.datatype), term.toPython())
        return term

    return {(s, p, value(o)) for s, p, o in graph}


def recorded_triples(server: Virtuoso) -> int:
    """The triple count the record of the last push names."""
    rows = reader(server).select(
        f"SELECT ?n WHERE {{ GRAPH <{META_GRAPH}> {{ <{GRAPH}> "
        "<https://w3id.org/china-ai-kg/push#triples> ?n } }"
    )
    assert len(rows) == 1, rows
    return int(rows[0]["n"]["value"])


def wait_until_quiet(server: Virtuoso) -> None:
    """Until the server runs no request but the asking one (status() thrice in a row)."""
    quiet = 0
    deadline = time.monotonic() + 600  # against a hang only: nothing is timed here
    while quiet < 3:
        running = re.search(r"Currently (\d+) threads running", server.sql("status('');"))
        assert running, "status() no longer says how many threads run"
        quiet = quiet + 1 if running.group(1) == "1" else 0
        assert time.monotonic() < deadline, "the server never became quiet"
        time.sleep(0.1)


def test_a_swap_whose_client_goes_away_leaves_one_graph_whole(
    server, built, synthetic, monkeypatch
):
    """Round after round, the client stops waiting for the swap's answer and closes its
    connection, as a timed-out or killed push does, at a different moment each time. Once
    the server is quiet the graph is one build or the other, whole, and the record names
    it. Before, Virtuoso stopped the swap when its client left and its endpoint committed
    what was done: the delete without the insert (a graph of 28 triples)."""
    from kg.publish import push as pushing

    endpoint = Endpoint(server.auth_endpoint, graph_store(server), "dba", PASSWORD)
    pushing.push(built.out / "kg.nt", endpoint, GRAPH, force=True)
    small, large = built.out / "kg.nt", synthetic / "kg.nt"
    sizes = {lines(small): small, lines(large): large}
    outcomes = []
    for wait in (0.001, 0.02, 0.1, 0.3, 0.6, 0.05):
        before = count(server)
        target = large if sizes[before] == small else small
        monkeypatch.setattr(pushing, "SWAP_TIMEOUT", wait)  # the answer comes too late
        try:
            pushing.push(target, endpoint, GRAPH, force=True)
        except PushError as exc:  # the usual outcome: no answer within the wait
            assert "may still be applying the swap" in str(exc) and "rolled back" not in str(exc)
        wait_until_quiet(server)
        after = count(server)
        outcomes.append((before, after))
        assert after in sizes, outcomes  # the old graph or the new one, never a part
        assert recorded_triples(server) == after, outcomes  # the record says which
    assert verify_sample(reader(server), GRAPH, sizes[count(server)]) > 100
    print(f"(before, after) in each round: {outcomes}")
