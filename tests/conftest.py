"""Shared fixtures: the project folder and one build of the article graph per session."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from kg.publish.virtuoso import VirtuosoServer

ROOT = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def founded() -> int:
    """Founder facts of the article graph (:func:`built`): the article's 8 and those other
    sources kept whole add (counted, so that adding a source does not break the protocol tests;
    counted once, when a test first asks)."""
    from kg.data.dataset import load_dataset

    data = load_dataset(ROOT / "data")
    kept = {sid for sid, src in data.sources.items() if not src.cited}  # the graph of `built`
    return len(
        {
            (s.subject, s.object)
            for s in data.statements
            if s.relation == "founder" and any(ev.source in kept for ev in s.evidence)
        }
    )


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built(article_built):
    """The article graph (the article and the texts kept whole), built and validated once into
    a temporary folder: the fixed input most tests check queries, pages and analyses against.
    The whole project, cited news sources included, is :func:`full_built`."""
    return article_built


@pytest.fixture(scope="session")
def full_built(tmp_path_factory: pytest.TempPathFactory):
    """The whole project's graph, cited sources included, built once as a fresh clone builds it:
    from their quotes and quote indexes, without this machine's cache of their texts."""
    from kg.graph.build import build

    folder = copy_project(ROOT, tmp_path_factory.mktemp("full"))
    return build(folder, folder / "build")


@pytest.fixture(scope="session")
def graph(built):
    return built.graph


def copy_project(root: Path, folder: Path) -> Path:
    """A writable copy of the project at *root* (data, ontology, shapes) in *folder*, as a
    fresh clone has it: without this machine's cache of cited texts."""
    for name in ("data", "ontology.ttl", "shapes.ttl"):
        src = root / name
        if src.is_dir():
            shutil.copytree(src, folder / name, ignore=shutil.ignore_patterns("cache", ".kg.lock"))
        else:
            shutil.copy(src, folder / name)
    return folder


def kept_only(root: Path, folder: Path) -> Path:
    """A copy of the project at *root* in *folder* without its cited sources: the article and
    the texts kept whole, whose facts the analysis tests below were written from."""
    import yaml

    copy_project(root, folder)
    for meta in sorted((folder / "data" / "sources").glob("*.meta.yaml")):
        if (yaml.safe_load(meta.read_text(encoding="utf-8")) or {}).get("cited"):
            sid = meta.name.removesuffix(".meta.yaml")
            meta.unlink()
            (folder / "data" / "sources" / f"{sid}.quotes.yaml").unlink(missing_ok=True)
            (folder / "data" / "statements" / f"{sid}.yaml").unlink()
    # The entities only cited sources name (their publishers, people and companies) go too.
    for name in ("cited-publishers.yaml", "cited-people-and-companies.yaml"):
        (folder / "data" / "entities" / name).unlink(missing_ok=True)
    return folder


@pytest.fixture(scope="session")
def article_built(tmp_path_factory: pytest.TempPathFactory):
    """The graph of the article and the texts kept whole (no cited news), built once: the
    fixed input of the tests that check analyses fact by fact against those texts."""
    from kg.graph.build import build

    folder = kept_only(ROOT, tmp_path_factory.mktemp("article"))
    return build(folder, folder / "build")


@pytest.fixture(scope="session")
def article_graph(article_built):
    return article_built.graph


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the project's data (the article and the texts kept whole, as in
    :func:`built`), ontology and shapes."""
    return kept_only(ROOT, tmp_path)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="Rewrite the golden query results from the current graph (review the diff!).",
    )


class Server:
    """A real `kg serve` process on loopback."""

    def __init__(self, graph: Path, *args: str):
        import subprocess
        import sys

        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg", "serve", "--graph", str(graph), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline().strip()  # the base URL, once listening
        if not line.startswith("http://127.0.0.1:"):
            self.process.kill()
            raise RuntimeError(f"kg serve did not start: {line!r} {self.process.stderr.read()}")
        self.base = line
        self.endpoint = f"{line}/sparql"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except Exception:
            self.process.kill()


@pytest.fixture(scope="session")
def server(built):
    """`kg serve` on the article graph, with small limits so tests can reach them."""
    running = Server(
        built.out / "kg.nt",
        "--timeout",
        "2",
        "--max-rows",
        "100",
        "--workers",
        "3",
        "--cors-origin",
        "http://allowed.test",
        "--graph-html",
        str(built.out / "graph.html"),
    )
    yield running
    running.stop()


# The served graph's IRI, the same in Virtuoso as in `kg serve`.
VIRTUOSO_GRAPH = "https://w3id.org/china-ai-kg/graph"
# How the README tells users to (re)load the graph into Virtuoso; the fixture runs exactly this.
VIRTUOSO_LOAD = (
    "SPARQL CLEAR GRAPH <{graph}>; "
    "DELETE FROM DB.DBA.load_list WHERE ll_graph = '{graph}'; "
    "ld_dir('{folder}', '{file}', '{graph}'); rdf_loader_run(); checkpoint;"
)


class Virtuoso(VirtuosoServer):
    """A real Virtuoso server (Debian's virtuoso-opensource-7) on loopback, in its own folder
    (:class:`kg.publish.virtuoso.VirtuosoServer`, as ``make virtuoso`` starts it).

    The graph is loaded with Virtuoso's bulk loader into one named graph, queried through
    ``default-graph-uri``, as the README tells users to set up their own Virtuoso.
    """

    def __init__(self, folder: Path, password: str | None = None, memory_mb: int = 120):
        super().__init__(folder, password=password, memory_mb=memory_mb)
        #: The endpoint with the graph as its dataset (Virtuoso's own default graph is
        #: the union of every graph it holds, its system graphs included).
        self.dataset = f"{self.endpoint}?default-graph-uri={VIRTUOSO_GRAPH}"

    def load(self, graph: Path) -> int:
        """(Re)load *graph* with the README's statements; check it all arrived; its size."""
        import shutil

        # The file goes into the server's own folder, the one DirsAllowed names.
        data = self.folder / "data"
        data.mkdir(exist_ok=True)
        shutil.copy(graph, data / "kg.nt")
        quoted = str(data).replace("'", "''")  # a quote in the path would end SQL's string
        sql = VIRTUOSO_LOAD.format(graph=VIRTUOSO_GRAPH, folder=quoted, file="kg.nt")
        self.sql(*(f"{statement.strip()};" for statement in sql.split(";") if statement.strip()))
        failed = self.sql(
            "SELECT COUNT(*) FROM DB.DBA.load_list WHERE ll_state <> 2 OR ll_error IS NOT NULL;"
        )
        counts = re.findall(r"\b\d+\b", failed)
        if counts[-1:] != ["0"]:
            raise RuntimeError(f"Virtuoso's bulk loader reported errors: {failed}")
        return sum(1 for line in graph.open("rb") if line.strip())


@pytest.fixture(scope="session")
def virtuoso(built, tmp_path_factory):
    """Virtuoso with the article graph loaded: the external SPARQL server DESIGN.md names."""
    running = Virtuoso(tmp_path_factory.mktemp("virtuoso"))
    try:
        running.load(built.out / "kg.nt")
        yield running
    finally:
        running.stop()


CHROMIUM = os.environ.get("KG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium through Playwright; fails (never skips) when it or a CJK font is missing."""
    import shutil
    import subprocess

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set KG_CHROMIUM)"
        )
    fc_list = shutil.which("fc-list")
    if (
        fc_list is None
        or not subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True).stdout.strip()
    ):
        pytest.fail("no CJK font: apt-get install fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _Canary(BaseHTTPRequestHandler):
    """A loopback HTTP server that records every request: nothing must reach it."""

    hits: ClassVar[list[str]] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.hits.append(self.path)
        body = b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


@pytest.fixture()
def canary():
    _Canary.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canary)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Canary.hits
    server.shutdown()


def edit(root: Path, rel: str, old: str, new: str) -> Path:
    """Replace the first *old* with *new* in the copy's file *rel* (which must hold it)."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def run_kg(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`kg ARGS` as a separate process on the project *root*; its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "kg", *args],
        env={**os.environ, "KG_HOME": str(root)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
