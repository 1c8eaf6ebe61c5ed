"""The interactive graph page: content, determinism, safety, and a real browser.

The browser tests open the page in headless Chromium (Debian's ``chromium``, driven by
Playwright) with every non-file request blocked and counted. They fail, never skip, when
Chromium or a CJK font is missing: install them with ``apt-get install chromium
fonts-noto-cjk`` (``$KG_CHROMIUM`` points to another Chromium binary).

The page has a Content-Security-Policy without ``unsafe-eval``: pass functions, not bare
expressions, to ``page.wait_for_function`` (Playwright evals bare strings).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kg.build import build_graph, project_root
from kg.errors import DataError, KGError
from kg.projection import Edge, Evidence, Node, Projection, project
from kg.statements import load_dataset
from kg.viz import (
    VizEdge,
    VizGraph,
    VizNode,
    render_html,
    viz_graph,
    write_html,
    write_viz_html,
)

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</script><script>window.pwned=1</script>",
    "\"quoted\" 'single' href=javascript:alert(2)",
]
SCREENSHOT = project_root() / "build" / "graph.png"


# --- data ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> Any:
    return build_graph(load_dataset(project_root() / "data"))


@pytest.fixture(scope="module")
def projection(graph: Any) -> Projection:
    return project(graph)


@pytest.fixture(scope="module")
def article_html(graph: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_html(graph, tmp_path_factory.mktemp("viz") / "graph.html")


def hostile_projection() -> Projection:
    """Every text field the page shows, filled with markup and script."""
    img, script, quote = HOSTILE
    nodes = {
        f"person/{img}": Node(
            f"person/{img}",
            "Person",
            {"zh-Hans": f"陆奇{img}", "zh-Hant": f"陸奇{script}", "en": f"Lu {quote}"},
            alt_labels=[script, "href"],
        ),
        f"org/{script}": Node(
            f"org/{script}",
            "Organization",
            {"zh-Hans": f"百度{script}", "zh-Hant": "百度", "en": f"Baidu {img}"},
        ),
        f"product/{quote}": Node(
            f"product/{quote}", "Product", {"zh-Hans": f"芯片{quote}", "en": "chip href"}
        ),
    }
    edges = [
        Edge(
            f"person/{img}",
            f"org/{script}",
            "alumniOf",
            {"zh-Hans": f"曾任职于{img}", "en": f"worked at {script}"},
            start="2017",
            end="2018-05",
            evidence=[Evidence(f"src{quote}", f"引文{img}{script} href", 3, 9)],
        ),
        Edge(
            f"product/{quote}",
            f"org/{script}",
            f"made{img}",
            {"zh-Hans": f"研发方{script}", "en": "made by"},
            evidence=[Evidence("src", f"quote with <b>bold</b> and {quote}", 0, 3)],
        ),
    ]
    return Projection(nodes=nodes, edges=edges)


def hostile_viz() -> VizGraph:
    img, script, quote = HOSTILE
    vg = viz_graph(hostile_projection(), "zh-Hans", sources={f"src{quote}": (script, img)})
    vg.title = f"标题{img}{script}"
    vg.subtitle = f"副标题 {quote} href"
    vg.relation_names[f"made{img}"] = f"关系{script}"
    return vg


# --- without a browser -----------------------------------------------------------------


def test_the_page_is_deterministic_and_ignores_input_order() -> None:
    vg = hostile_viz()
    first = render_html(vg, seed=3)
    assert render_html(vg, seed=3) == first
    shuffled = VizGraph(
        list(reversed(vg.nodes)),
        list(reversed(vg.edges)),
        vg.lang,
        vg.title,
        vg.subtitle,
        dict(reversed(list(vg.relation_names.items()))),
    )
    assert render_html(shuffled, seed=3) == first


def test_the_article_page_is_byte_identical_from_run_to_run(graph: Any, tmp_path: Path) -> None:
    a = write_html(graph, tmp_path / "a.html").read_bytes()
    b = write_html(graph, tmp_path / "b.html").read_bytes()
    assert a == b


def test_the_page_has_no_external_reference(article_html: Path) -> None:
    text = article_html.read_text(encoding="utf-8")
    assert not re.search(r"<(link|iframe|img|object|embed)\b", text, re.I)
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text, re.I)
    assert "@import" not in text
    assert "cdnjs" not in text and "jsdelivr" not in text and "bootstrap" not in text.lower()
    assert "default-src 'none'" in text  # the CSP forbids any fetch as well


def test_hostile_text_never_becomes_markup() -> None:
    page = render_html(hostile_viz())
    # Three scripts (data, vis-network, ours): nothing closes one early or escapes it.
    assert len(re.findall(r"</script", page, re.I)) == 3
    assert "<!--" not in page
    data = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', page, re.S)
    assert data is not None
    assert "<" not in data.group(1) and ">" not in data.group(1)
    payload = json.loads(data.group(1))
    assert any(HOSTILE[0] in str(n) for n in payload["nodes"])  # kept, as text
    # The title is escaped wherever it is written into the markup.
    assert "标题&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;" in page
    assert "<img" not in page


def test_names_follow_the_language(graph: Any) -> None:
    by_lang = {lang: viz_graph(graph, lang) for lang in ("zh-Hans", "zh-Hant", "en")}
    labels = {lang: {n.id: n.label for n in vg.nodes} for lang, vg in by_lang.items()}
    assert labels["zh-Hans"]["person/lu-qi"] == "陆奇"
    assert labels["zh-Hant"]["person/lu-qi"] == "陸奇"
    assert labels["en"]["person/lu-qi"] == "Qi Lu"
    # Relations have no zh-Hant label in the data: it is converted from zh-Hans.
    assert by_lang["zh-Hant"].relation_names["alumniOf"] == "曾任職於"
    assert by_lang["en"].relation_names["founder"] == "founded"


def test_tooltips_carry_names_dates_quotes_and_sources(projection: Projection, graph: Any) -> None:
    vg = viz_graph(graph)
    lu = next(n for n in vg.nodes if n.id == "person/lu-qi")
    assert "陆奇 · 陸奇 · Qi Lu" in lu.tooltip
    assert {"陆奇", "陸奇", "Qi Lu", "硅谷华人传奇"} <= set(lu.names)
    quotes = [
        ev.quote
        for e in projection.edges
        if "person/lu-qi" in (e.source, e.target)
        for ev in e.evidence
    ]
    assert quotes and all(q in lu.tooltip for q in quotes[:2])
    assert "百度AI十年启示录" in lu.tooltip and "界面新闻" in lu.tooltip
    assert "2017 – 2018-05" in lu.tooltip
    for edge in vg.edges:
        assert edge.tooltip and "→" in edge.tooltip
    founded = next(e for e in vg.edges if e.relation == "founder")
    assert "创立 · 創立 · founded" in founded.tooltip
    role = next(e for e in vg.edges if e.relation == "role" and e.source == "person/lu-qi")
    assert role.tooltip.startswith("陆奇 · 陸奇 · Qi Lu → 百度 · Baidu\n")
    assert "2017 – 2018-05" in role.tooltip


def test_large_graphs_are_drawn_with_physics_off() -> None:
    nodes = [VizNode(f"n{i:04d}", "Person", f"n{i}") for i in range(600)]
    edges = [VizEdge(f"n{i:04d}", f"n{(i * 7 + 1) % 600:04d}", "knows") for i in range(600)]
    page = render_html(VizGraph(nodes, edges))
    data = json.loads(re.search(r'id="kg-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert data["stabilize"] == 0 and data["options"]["physics"] == {"enabled": False}
    assert data["options"]["edges"]["smooth"] is False
    assert all(isinstance(n[3], int) and isinstance(n[4], int) for n in data["nodes"])


def test_bad_input_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    a = VizNode("a", "Person", "A")
    with pytest.raises(DataError, match="unknown node 'b'"):
        render_html(VizGraph([a], [VizEdge("a", "b", "knows")]))
    with pytest.raises(DataError, match="two nodes have the id 'a'"):
        render_html(VizGraph([a, a], []))
    with pytest.raises(KGError, match="unknown language 'fr'"):
        render_html(VizGraph([a], [], lang="fr"))
    with pytest.raises(KGError, match="is a folder"):
        write_viz_html(VizGraph([a], []), tmp_path)
    with pytest.raises(DataError, match="kg build"):
        write_html(tmp_path / "missing.nt", tmp_path / "graph.html")


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "graph.html"
    out.write_text("old", encoding="utf-8")

    def broken(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(KGError, match=r"cannot write .*No space left"):
        write_viz_html(VizGraph([VizNode("a", "Person", "陆奇")], []), out)
    assert out.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.html"]


def test_written_as_utf8_under_an_ascii_locale(tmp_path: Path) -> None:
    out = tmp_path / "graph.html"
    code = (
        "import locale, sys; from kg.viz import *; "
        "write_viz_html(VizGraph([VizNode('a', 'Person', '\\u9646\\u5947')], []), sys.argv[1]); "
        "print(locale.getpreferredencoding(False))"
    )
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)], check=True, env=env, capture_output=True, text=True
    )
    assert "utf" not in done.stdout.lower()  # the locale really is not UTF-8
    assert "陆奇" in out.read_text(encoding="utf-8")


# --- in a real browser -----------------------------------------------------------------


@dataclass
class Visit:
    """One page opened with the network blocked, and what it tried to do."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def evaluate(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def external(self) -> list[str]:
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]


@pytest.fixture
def visit(chromium: Any) -> Iterator[Any]:
    contexts = []

    def open_page(path: Path) -> Visit:
        context = chromium.new_context(viewport={"width": 1600, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        seen = Visit(page, path.resolve().as_uri())
        page.on("request", lambda r: seen.requests.append(r.url))
        page.on(
            "console",
            lambda m: seen.errors.append(m.text) if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda e: seen.errors.append(str(e)))

        def dialog(d: Any) -> None:
            seen.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "data:"))
                else route.abort()
            ),
        )
        page.goto(seen.url)
        try:
            page.wait_for_function("() => window.kgReady !== undefined", timeout=20_000)
        except Exception as exc:  # playwright's TimeoutError: say what the page said
            raise AssertionError(f"page never became ready; errors: {seen.errors}") from exc
        return seen

    yield open_page
    for context in contexts:
        context.close()


def node_index(seen: Visit, label: str) -> int:
    return int(seen.evaluate("(l) => kg.data.nodes.findIndex((n) => n[1] === l)", label))


def hover_node(seen: Visit, index: int) -> str:
    """Move the mouse onto node *index* and return the tooltip's text."""
    box = seen.page.locator("#kg-network canvas").bounding_box()
    point = seen.evaluate("(i) => kg.network.canvasToDOM(kg.network.getPositions([i])[i])", index)
    seen.page.mouse.move(box["x"] + point["x"] + 40, box["y"] + point["y"] + 40)
    seen.page.mouse.move(box["x"] + point["x"], box["y"] + point["y"], steps=4)
    tooltip = seen.page.locator("div.vis-tooltip")
    tooltip.wait_for(state="visible", timeout=5_000)
    return str(tooltip.inner_text())


def test_article_page_offline_complete_and_still(
    visit: Any, article_html: Path, projection: Projection
) -> None:
    seen = visit(article_html)
    drawn = seen.evaluate(
        "() => ({nodes: kg.network.body.nodeIndices.length,"
        " edges: kg.network.body.edgeIndices.length,"
        " physics: kg.network.physics.physicsEnabled})"
    )
    assert drawn == {
        "nodes": len(projection.nodes),
        "edges": len(projection.edges),
        "physics": False,
    }
    # The layout stays still once settled.
    before = seen.evaluate("() => kg.network.getPositions()")
    seen.page.wait_for_timeout(400)
    assert seen.evaluate("() => kg.network.getPositions()") == before
    # The legend names every type with its shape and colour.
    legend = seen.page.locator("#kg-types").inner_text()
    assert all(name in legend for name in ("人物", "机构", "产品", "股票市场"))
    assert seen.page.locator("#kg-types svg").count() == 4
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    seen.page.screenshot(path=str(SCREENSHOT))
    assert seen.external() == [] and seen.errors == [] and seen.dialogs == []


def test_search_by_any_name_selects_the_node(visit: Any, article_html: Path) -> None:
    seen = visit(article_html)
    lu = node_index(seen, "陆奇")
    for query in ("陆奇", "陸奇", "qi lu", "硅谷华人传奇"):
        seen.page.fill("#kg-search", query)
        seen.page.press("#kg-search", "Enter")
        assert seen.evaluate("() => kg.network.getSelectedNodes()") == [lu], query
        assert "陆奇 · 陸奇 · Qi Lu" in seen.page.locator("#kg-details").inner_text()
    seen.page.fill("#kg-search", "昆仑")
    results = seen.page.locator("#kg-results li").all_inner_texts()
    assert results[0].startswith("昆仑芯") and len(results) > 3
    assert seen.errors == []


def test_hovering_a_node_shows_its_evidence(
    visit: Any, article_html: Path, projection: Projection
) -> None:
    seen = visit(article_html)
    text = hover_node(seen, node_index(seen, "陆奇"))
    quotes = {
        ev.quote
        for e in projection.edges
        if "person/lu-qi" in (e.source, e.target)
        for ev in e.evidence
    }
    assert "Qi Lu" in text and any(q in text for q in quotes)
    assert "百度AI十年启示录" in text
    assert seen.errors == []


def test_filters_hide_types_and_relations(
    visit: Any, article_html: Path, projection: Projection
) -> None:
    seen = visit(article_html)
    counts = "() => [kg.network.body.nodeIndices.length, kg.network.body.edgeIndices.length]"
    seen.page.locator('#kg-types input[data-key="Person"]').uncheck()
    people = {k for k, n in projection.nodes.items() if n.type == "Person"}
    without_people = [e for e in projection.edges if not {e.source, e.target} & people]
    assert seen.evaluate(counts) == [len(projection.nodes) - len(people), len(without_people)]
    seen.page.locator('#kg-types input[data-key="Person"]').check()
    seen.page.locator('#kg-relations input[data-key="competitorOf"]').uncheck()
    competing = [e for e in projection.edges if e.relation == "competitorOf"]
    assert seen.evaluate(counts) == [len(projection.nodes), len(projection.edges) - len(competing)]
    assert seen.errors == []


def test_hostile_text_stays_inert_and_literal(visit: Any, tmp_path: Path) -> None:
    img, script, quote = HOSTILE
    seen = visit(write_viz_html(hostile_viz(), tmp_path / "hostile.html"))
    assert seen.evaluate("() => window.pwned") is None
    assert seen.evaluate("() => document.querySelectorAll('img, iframe').length") == 0
    assert seen.evaluate("() => document.scripts.length") == 3
    assert seen.page.locator("#kg-title").inner_text() == f"标题{img}{script}"
    assert seen.page.title() == f"标题{img}{script}"
    assert f"关系{script}" in seen.page.locator("#kg-relations").inner_text()
    assert seen.page.locator("#kg-subtitle").inner_text() == f"副标题 {quote} href"
    # vis-network shows the tooltip as text even though titles contain "href".
    tooltip = hover_node(seen, node_index(seen, f"陆奇{img}"))
    assert f"引文{img}{script} href" in tooltip
    tags = "() => [...document.querySelector('div.vis-tooltip').children].map((c) => c.tagName)"
    assert set(seen.evaluate(tags)) == {"BR"}  # innerText turns newlines into <br>, nothing else
    # The search finds names made of markup and lists them as text.
    seen.page.fill("#kg-search", "陆奇<img")
    assert seen.page.locator("#kg-results li").first.inner_text().startswith(f"陆奇{img}")
    seen.page.press("#kg-search", "Enter")
    details = seen.page.locator("#kg-details").inner_text()
    assert f"引文{img}{script} href" in details and script in details
    assert seen.evaluate("() => window.pwned") is None
    assert seen.dialogs == [] and seen.errors == [] and seen.external() == []


def test_an_empty_graph_still_loads(visit: Any, tmp_path: Path) -> None:
    seen = visit(write_viz_html(VizGraph([], []), tmp_path / "empty.html"))
    assert seen.evaluate("() => kg.network.body.nodeIndices.length") == 0
    assert seen.errors == [] and seen.external() == []
