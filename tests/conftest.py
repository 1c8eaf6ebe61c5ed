"""Shared fixtures: the project folder and one build of the article graph per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory):
    """The article graph, built and validated once into a temporary folder."""
    from kg.build import build

    out = tmp_path_factory.mktemp("build")
    return build(ROOT, out)


@pytest.fixture(scope="session")
def graph(built):
    return built.graph


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the project's data, ontology and shapes."""
    for name in ("data", "ontology.ttl", "shapes.ttl"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name)
        else:
            shutil.copy(src, tmp_path / name)
    return tmp_path


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


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The served graph's IRI, the same in Virtuoso as in `kg serve`.
VIRTUOSO_GRAPH = "https://w3id.org/china-ai-kg/graph"


class Virtuoso:
    """A real Virtuoso server (Debian's virtuoso-opensource-7) on loopback, in its own folder.

    The graph is loaded with Virtuoso's bulk loader into one named graph, which the
    endpoint uses as its default graph, as a user's own Virtuoso would be set up.
    """

    def __init__(self, folder: Path, graph: Path):
        import subprocess
        import time
        import urllib.request

        self.folder = folder
        self.sql_port, self.http_port = free_port(), free_port()
        data = graph.parent.resolve()
        (folder / "virtuoso.ini").write_text(
            f"""[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{self.sql_port}
DirsAllowed = ., {folder}, {data}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = 127.0.0.1:{self.http_port}
ServerRoot = {folder}
MaxClientConnections = 4
ServerThreads = 4

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
""",
            encoding="utf-8",
        )
        self.process = subprocess.Popen(
            ["virtuoso-t", "+foreground", "+configfile", str(folder / "virtuoso.ini")],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.endpoint = f"http://127.0.0.1:{self.http_port}/sparql"
        #: The endpoint with the graph as its dataset (Virtuoso's own default graph is
        #: the union of every graph it holds, its system graphs included).
        self.dataset = f"{self.endpoint}?default-graph-uri={VIRTUOSO_GRAPH}"
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{self.endpoint}?query=ASK%7B%7D", timeout=5):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "virtuoso.log").read_text(errors="replace")[-2000:]
                    self.stop()
                    raise RuntimeError(f"Virtuoso did not start:\n{log}") from None
                time.sleep(0.3)
        self.sql(
            f"ld_dir('{data}', '{graph.name}', '{VIRTUOSO_GRAPH}');",
            "rdf_loader_run();",
            "checkpoint;",
        )

    def sql(self, *statements: str) -> str:
        import subprocess

        done = subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", "dba", "VERBOSE=OFF", "BANNER=OFF"],
            input="\n".join([*statements, "exit;"]) + "\n",
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql failed: {done.stdout}{done.stderr}")
        return done.stdout

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except Exception:
            self.process.kill()


@pytest.fixture(scope="session")
def virtuoso(built, tmp_path_factory):
    """Virtuoso with the article graph loaded: the external SPARQL server DESIGN.md names."""
    running = Virtuoso(tmp_path_factory.mktemp("virtuoso"), built.out / "kg.nt")
    yield running
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
