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
