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

from kg.analysis.projection import Edge, Evidence, Node, Projection, project
from kg.data.dataset import load_dataset
from kg.errors import DataError, KGError
from kg.graph.build import build_graph
from kg.project import project_root
from kg.viz.facts import _in_sentence, viz_graph
from kg.viz.model import VizEdge, VizGraph, VizNode, VizSource
from kg.viz.page import render_html, write_html, write_viz_html

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</script><script>window.pwned=1</script>",
    "\"quoted\" 'single' href=javascript:alert(2)",
]
SCREENSHOT = project_root() / "build" / "graph.png"


# --- data ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph(article_graph: Any) -> Any:
    """The article graph (conftest.built); a cited source's quotes, shown without their
    sentence, are tested in test_cited_sources.py."""
    return article_graph


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
        dict(reversed(list(vg.sources.items()))),
        list(vg.notes),
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
    # Relations have their zh-Hant labels in the data (data/relations.yaml).
    assert by_lang["zh-Hant"].relation_names["alumniOf"] == "曾任職於"
    assert by_lang["zh-Hant"].relation_names["partnerOf"] == "合作夥伴"
    assert by_lang["en"].relation_names["founder"] == "founded"


def test_tooltips_and_details_carry_names_dates_quotes_and_sources(
    projection: Projection, graph: Any
) -> None:
    vg = viz_graph(graph)
    lu = next(n for n in vg.nodes if n.id == "person/lu-qi")
    assert lu.tooltip.startswith("陆奇 · 陸奇 · Qi Lu\n人物")
    assert {"陆奇", "陸奇", "Qi Lu", "硅谷华人传奇"} <= set(lu.names)
    # Every fact of Lu Qi is an edge of the page, with its quotes inside their sentences.
    facts = [e for e in vg.edges if "person/lu-qi" in (e.source, e.target)]
    expected = [e for e in projection.edges if "person/lu-qi" in (e.source, e.target)]
    assert len(facts) == len(expected)
    for fact, edge in zip(
        sorted(facts, key=lambda e: (e.relation, e.target, e.label)),
        sorted(expected, key=lambda e: (e.relation, e.target, e.label("zh-Hans"))),
        strict=True,
    ):
        assert [q.quote for q in fact.quotes] == [ev.quote for ev in edge.evidence]
        for q in fact.quotes:
            assert q.before or q.after  # the rest of the sentence
            assert "\n" not in q.before + q.after
    tenure = next(e for e in facts if e.relation == "role" and e.label == "首席运营官")
    assert tenure.when == "2017 – 2018-05"
    # The source: title and publisher; no URL or date is recorded for the article.
    assert vg.sources["jiemian-baidu-ai-decade"] == VizSource(
        "百度AI十年启示录:一颗芯片的变现与一场人才的离散", "界面新闻", "", ""
    )
    for edge in vg.edges:
        assert edge.tooltip and "→" in edge.tooltip
        assert not re.search(r"\[\d+: \d+", edge.tooltip)  # no bare offsets any more
    founded = next(e for e in vg.edges if e.relation == "founder")
    assert "创立 · 創立 · founded" in founded.tooltip
    role = next(e for e in vg.edges if e.relation == "role" and e.source == "person/lu-qi")
    assert role.tooltip.startswith("陆奇 · 陸奇 · Qi Lu → 百度 · Baidu\n")
    assert "2017 – 2018-05" in role.tooltip


def test_a_quote_is_shown_in_its_sentence() -> None:
    text = "上一句。”2018年5月,陆奇因“个人和家庭原因”突然卸任。下一句"
    start = text.index("陆奇")
    quote = "陆奇因“个人和家庭原因”突然卸任"
    before, after = _in_sentence(text, start, start + len(quote), quote)
    assert (before, after) == ("2018年5月,", "。")
    assert _in_sentence(text, 0, 3, "不对的") == ("", "")  # offsets that do not hold the quote
    long = "长" * 200 + quote + "。"
    before, _ = _in_sentence(long, 200, 200 + len(quote), quote)
    assert before.startswith("…") and len(before) < 100


def test_isolated_entities_are_named_in_the_legend_or_drawn(graph: Any) -> None:
    vg = viz_graph(graph)
    ids = {n.id for n in vg.nodes}
    assert not {"person/pei-lin", "person/mu-feng", "org/jiemian"} & ids
    title = "《百度AI十年启示录:一颗芯片的变现与一场人才的离散》"
    assert vg.notes[:3] == [
        f"沛林:{title}的作者",
        f"沐风:{title}的编辑",
        f"界面新闻:{title}的出版方",
    ]
    # A publisher of several sources is one line naming each title once.
    wikipedia = [n for n in vg.notes if n.startswith("维基百科:")]
    assert len(wikipedia) == 1 and wikipedia[0].count("《Andrew Ng》") == 1
    drawn_or_noted = ids | {n.split(":")[0] for n in vg.notes}
    assert all(
        n.id in ids
        or n.label(  # every entity of the graph is drawn or named in a note
            "zh-Hans"
        )
        in drawn_or_noted
        for n in project(graph).nodes.values()
    )
    forecast = [e for e in vg.edges if e.relation == "forecast"]
    assert [(e.source, e.target, e.label, e.when) for e in forecast] == [
        ("org/jpmorgan", "org/kunlunxin", "预测", "2026")
    ]
    assert all("摩根大通" in q.quote for q in forecast[0].quotes)
    # Every entity drawn has something to draw.
    ends = {x for e in vg.edges for x in (e.source, e.target)}
    assert ids == ends
    in_english = title.replace("《", "“").replace("》", "”")
    assert viz_graph(graph, "en").notes[0] == f"Pei Lin: author of {in_english}"


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
        "import locale, sys; from kg.viz.model import *; from kg.viz.page import *; "
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


def drawn_labels(seen: Visit) -> list[dict[str, Any]]:
    """Every label on the canvas: its box (canvas px), text and font size on screen."""
    return list(
        seen.evaluate(
            """() => {
      var net = kg.network, scale = net.getScale(), out = [];
      function box(s, text, font, kind) {
        var a = net.canvasToDOM({x: s.left, y: s.top});
        var b = net.canvasToDOM({x: s.left + s.width, y: s.top + s.height});
        out.push({kind: kind, text: text, left: a.x, top: a.y, right: b.x, bottom: b.y,
                  px: font * scale});
      }
      net.body.nodeIndices.forEach(function (id) {
        var n = net.body.nodes[id];
        box(n.labelModule.size, n.options.label, n.options.font.size, "node");
      });
      net.body.edgeIndices.forEach(function (id) {
        var e = net.body.edges[id];
        if (e.options.label) {
          box(e.labelModule.size, e.options.label, e.options.font.size, "edge");
        }
      });
      return out;
    }"""
        )
    )


def overlapping(labels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (a["text"], b["text"])
        for k, a in enumerate(labels)
        for b in labels[k + 1 :]
        if a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    ]


def outside_or_small(seen: Visit) -> tuple[list[str], list[str]]:
    """The drawn labels past the canvas's edges, and those drawn under 11.5 px."""
    canvas = seen.page.locator("#kg-network canvas").bounding_box()
    labels = drawn_labels(seen)
    assert labels
    outside = [
        x["text"]
        for x in labels
        if x["left"] < 0
        or x["top"] < 0
        or x["right"] > canvas["width"]
        or x["bottom"] > canvas["height"]
    ]
    return outside, [x["text"] for x in labels if x["px"] < 11.5]


def whole_graph(seen: Visit) -> None:
    """Switch the page from its first view (an organisation's diaspora) to the whole graph."""
    seen.evaluate("() => new Promise((done) => kg.showWhole(done))")
    assert seen.evaluate("() => kg.view()") == "whole"


def test_article_page_offline_complete_and_still(
    visit: Any, article_html: Path, graph: Any
) -> None:
    vg = viz_graph(graph)
    seen = visit(article_html)
    assert seen.evaluate("() => kg.view()") == "flow"  # the first view: Baidu's diaspora
    whole_graph(seen)
    drawn = seen.evaluate(
        "() => ({nodes: kg.network.body.nodeIndices.length,"
        " edges: kg.network.body.edgeIndices.length,"
        " physics: kg.network.physics.physicsEnabled})"
    )
    assert drawn == {"nodes": len(vg.nodes), "edges": len(vg.edges), "physics": False}
    # The layout stays still once drawn.
    before = seen.evaluate("() => kg.network.getPositions()")
    seen.page.wait_for_timeout(400)
    assert seen.evaluate("() => kg.network.getPositions()") == before
    # The legend names every type with its shape and colour, and who is not drawn and why.
    legend = seen.page.locator("#kg-types").inner_text()
    assert all(name in legend for name in ("人物", "机构", "产品", "股票市场"))
    assert seen.page.locator("#kg-types svg").count() == 4
    assert seen.page.locator("#kg-notdrawn li").all_inner_texts() == vg.notes
    assert "预测" in seen.page.locator("#kg-relations").inner_text()
    assert seen.external() == [] and seen.errors == [] and seen.dialogs == []


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_every_label_of_the_whole_graph_is_legible(
    visit: Any, graph: Any, tmp_path: Path, lang: str
) -> None:
    page = write_html(graph, tmp_path / f"graph-{lang}.html", lang=lang)
    seen = visit(page)
    whole_graph(seen)
    labels = drawn_labels(seen)
    nodes = [x for x in labels if x["kind"] == "node"]
    assert len(nodes) == len(viz_graph(graph, lang).nodes)  # every node label is drawn
    # Every edge's relation is named on the canvas: edges between the same two nodes share
    # one label, a line per relation, carried by one of them.
    shown = seen.evaluate(
        """() => kg.data.edges.map(function (e, i) {
      var net = kg.network;
      return net.body.edgeIndices.filter(function (id) {
        var d = kg.data.edges[id], label = net.body.edges[id].options.label;
        return label && Math.min(d[0], d[1]) === Math.min(e[0], e[1]) &&
          Math.max(d[0], d[1]) === Math.max(e[0], e[1]) &&
          label.split("\\n").indexOf(e[3]) >= 0;
      }).length;
    })"""
    )
    assert shown == [1] * len(shown) and len(shown) == len(viz_graph(graph, lang).edges)
    assert overlapping(labels) == []
    assert min(x["px"] for x in labels) >= 11.5  # no label drawn smaller than 11.5 px
    hidden = seen.evaluate("() => window.kgHiddenLabels.length")
    note = seen.page.locator("#kg-labels-note")
    assert hidden == 0 or str(hidden) in note.inner_text()
    shot = SCREENSHOT.with_name(f"graph-{lang}.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    seen.page.screenshot(path=str(shot))
    assert seen.errors == [] and seen.external() == []


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_the_whole_graph_is_in_view_at_the_starting_zoom(
    visit: Any, graph: Any, tmp_path: Path, lang: str
) -> None:
    """The starting view (Baidu's diaspora, tests/test_graph_first_view.py) is all in view,
    every label legible, at 1600×1000 as at 1280×800 there."""
    seen = visit(write_html(graph, tmp_path / f"graph-{lang}.html", lang=lang))
    assert seen.evaluate("() => kg.view()") == "flow"
    outside, small = outside_or_small(seen)
    assert outside == []  # nothing past the canvas's edges, so nothing under the sidebar
    assert small == []


def test_a_busy_node_lists_every_fact_in_a_panel_that_scrolls(
    visit: Any, article_html: Path, graph: Any
) -> None:
    vg = viz_graph(graph)
    seen = visit(article_html)
    baidu = node_index(seen, "百度")
    seen.evaluate("(i) => kg.select(i)", baidu)
    panel = seen.page.locator("#kg-side")
    assert panel.is_visible()
    facts = [e for e in vg.edges if "org/baidu" in (e.source, e.target)]
    assert seen.page.locator("#kg-details .kg-fact").count() == len(facts) > 20
    assert f"{len(facts)} 条事实" in panel.inner_text()
    scroll = seen.evaluate(
        "() => { var p = document.getElementById('kg-side');"
        " return [p.scrollHeight, p.clientHeight, getComputedStyle(p).overflowY]; }"
    )
    assert scroll[0] > scroll[1] and scroll[2] == "auto"  # longer than the window: it scrolls
    # Each quote sits in its sentence, marked, with the source's title and publisher.
    marks = seen.page.locator("#kg-details .kg-quote mark").all_inner_texts()
    assert sorted(marks) == sorted(q.quote for e in facts for q in e.quotes)
    first = seen.page.locator("#kg-details .kg-quote").first.inner_text()
    quote = facts and next(q for e in facts for q in e.quotes if q.before or q.after)
    assert any(q.before + q.quote + q.after == t for e in facts for q in e.quotes for t in [first])
    assert quote
    cites = seen.page.locator("#kg-details .kg-cite").all_inner_texts()
    assert (
        "《百度AI十年启示录:一颗芯片的变现与一场人才的离散》 · 界面新闻 · 发布日期未记录"
        " · 原文链接未记录"
    ) in cites
    # Baidu's facts come from several sources, and each quote names its own.
    assert any(c.startswith("《Baidu》 · 维基百科") for c in cites) and len(set(cites)) > 3
    # A link to the original only where the source records its URL (the seed has none).
    linked = [c for c in cites if not c.endswith("原文链接未记录")]
    assert seen.page.locator("#kg-details a").count() == len(linked) > 0
    hrefs = seen.page.locator("#kg-details a").evaluate_all("(as) => as.map((a) => a.href)")
    assert all(h.startswith(("https://", "http://")) for h in hrefs)
    # A short tooltip on hover: names and how many facts, not the facts themselves.
    seen.page.locator("#kg-close").click()
    assert not panel.is_visible()
    text = hover_node(seen, baidu)
    assert text.startswith("百度 · Baidu") and f"全部 {len(facts)} 条事实" in text
    box = seen.page.locator("div.vis-tooltip").bounding_box()
    assert box["height"] < 250 and box["width"] <= 372
    shot = SCREENSHOT.with_name("graph-details.png")
    seen.evaluate("(i) => kg.select(i)", baidu)
    seen.page.screenshot(path=str(shot))
    assert seen.errors == [] and seen.external() == []


def test_a_recorded_url_and_date_are_shown_and_linked(
    visit: Any, data_copy: Path, tmp_path: Path
) -> None:
    meta = data_copy / "data" / "sources" / "jiemian-baidu-ai-decade.meta.yaml"
    text = meta.read_text(encoding="utf-8").replace(
        "language: zh\n",
        'language: zh\nurl: "https://a.example/article?x=1&y=2"\n'
        'url_source: "https://b.example/list"\ndate: 2025-07\ndate_source: "https://b.example/list"\n',
    )
    meta.write_text(text, encoding="utf-8")
    built = build_graph(load_dataset(data_copy / "data"))
    seen = visit(write_html(built, tmp_path / "graph.html"))
    seen.evaluate("(i) => kg.select(i)", node_index(seen, "陆奇"))
    cite = seen.page.locator("#kg-details .kg-cite").first
    assert "2025-07" in cite.inner_text() and "日期未记录" not in cite.inner_text()
    link = cite.locator("a")
    assert link.get_attribute("href") == "https://a.example/article?x=1&y=2"
    assert link.get_attribute("rel") == "noopener noreferrer" and link.inner_text() == "原文"
    assert seen.errors == [] and seen.external() == []


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


def test_hovering_an_edge_shows_its_quote_without_offsets(
    visit: Any, article_html: Path, graph: Any
) -> None:
    seen = visit(article_html)
    whole_graph(seen)
    vg = viz_graph(graph)
    index = seen.evaluate("() => kg.data.edges.findIndex((e) => e[3] === '招揽')")
    edge = next(e for e in vg.edges if e.relation == "recruited")
    box = seen.page.locator("#kg-network canvas").bounding_box()
    point = seen.evaluate(
        "(i) => { var e = kg.data.edges[i], p = kg.network.getPositions([e[0], e[1]]);"
        " return kg.network.canvasToDOM({x: (p[e[0]].x * 2 + p[e[1]].x) / 3,"
        " y: (p[e[0]].y * 2 + p[e[1]].y) / 3}); }",
        index,
    )
    seen.page.mouse.move(box["x"] + point["x"] + 30, box["y"] + point["y"] + 30)
    seen.page.mouse.move(box["x"] + point["x"], box["y"] + point["y"], steps=4)
    tooltip = seen.page.locator("div.vis-tooltip")
    tooltip.wait_for(state="visible", timeout=5_000)
    text = tooltip.inner_text()
    assert edge.quotes[0].quote in text and not re.search(r"\[\d+: \d+", text)
    assert seen.errors == []


def test_filters_hide_types_and_relations(visit: Any, article_html: Path, graph: Any) -> None:
    vg = viz_graph(graph)
    seen = visit(article_html)
    whole_graph(seen)
    counts = "() => [kg.network.body.nodeIndices.length, kg.network.body.edgeIndices.length]"

    def ends(edges: list[VizEdge]) -> int:
        return len({x for e in edges for x in (e.source, e.target)})

    seen.page.locator('#kg-types input[data-key="Person"]').uncheck()
    people = {n.id for n in vg.nodes if n.type == "Person"}
    without_people = [e for e in vg.edges if not {e.source, e.target} & people]
    # A node the filter leaves with no edge is hidden too (an orphan tells nothing).
    assert seen.evaluate(counts) == [ends(without_people), len(without_people)]
    seen.page.locator('#kg-types input[data-key="Person"]').check()
    seen.page.locator('#kg-relations input[data-key="competitorOf"]').uncheck()
    kept = [e for e in vg.edges if e.relation != "competitorOf"]
    assert seen.evaluate(counts) == [ends(kept), len(kept)]
    assert ends(kept) < len(vg.nodes)  # rivals named only as rivals are hidden with them
    assert seen.errors == []


def test_hostile_text_stays_inert_and_literal(visit: Any, tmp_path: Path) -> None:
    img, script, quote = HOSTILE
    vg = hostile_viz()
    vg.sources[f"src{quote}"] = VizSource(script, img, quote, "javascript:alert(3)")
    seen = visit(write_viz_html(vg, tmp_path / "hostile.html"))
    assert seen.evaluate("() => window.pwned") is None
    assert seen.evaluate("() => document.querySelectorAll('img, iframe').length") == 0
    assert seen.evaluate("() => document.scripts.length") == 3
    assert seen.page.locator("#kg-title").inner_text() == f"标题{img}{script}"
    assert seen.page.title() == f"标题{img}{script}"
    assert f"关系{script}" in seen.page.locator("#kg-relations").inner_text()
    assert seen.page.locator("#kg-subtitle").inner_text() == f"副标题 {quote} href"
    # vis-network shows the tooltip as text even though titles contain "href".
    tooltip = hover_node(seen, node_index(seen, f"陆奇{img}"))
    assert f"陆奇{img}" in tooltip and script in tooltip
    tags = "() => [...document.querySelector('div.vis-tooltip').children].map((c) => c.tagName)"
    assert set(seen.evaluate(tags)) == {"BR"}  # innerText turns newlines into <br>, nothing else
    # The search finds names made of markup and lists them as text.
    seen.page.fill("#kg-search", "陆奇<img")
    assert seen.page.locator("#kg-results li").first.inner_text().startswith(f"陆奇{img}")
    seen.page.press("#kg-search", "Enter")
    details = seen.page.locator("#kg-details").inner_text()
    assert f"引文{img}{script} href" in details and script in details
    # A source's javascript: URL is never a link; its texts stay text.
    assert seen.page.locator("#kg-details a").count() == 0
    assert f"《{script}》 · {img} · {quote}" in details
    assert seen.evaluate("() => window.pwned") is None
    assert seen.dialogs == [] and seen.errors == [] and seen.external() == []


def test_an_empty_graph_still_loads(visit: Any, tmp_path: Path) -> None:
    seen = visit(write_viz_html(VizGraph([], []), tmp_path / "empty.html"))
    assert seen.evaluate("() => kg.network.body.nodeIndices.length") == 0
    assert seen.errors == [] and seen.external() == []


def test_a_fact_dated_at_one_end_says_which_end():
    """A role with only its start dated read "2020 –" (as if still held), one with only its
    end "? – 2016-06": the details say "from 2020" and "until 2016-06", in the page's language."""
    from kg.viz.facts import _span

    assert _span("2020", None, None, "en") == "from 2020"
    assert _span(None, "2016-06", None, "en") == "until 2016-06"
    assert _span("2020", None, None, "zh-Hans") == "2020起"
    assert _span(None, "2016-06", None, "zh-Hant") == "至2016-06"
    assert _span("2017", "2018-05", None, "en") == "2017 – 2018-05"
    assert _span(None, None, "2015", "en") == "2015"


def test_an_english_page_names_its_sources_in_english_quotation_marks(graph: Any) -> None:
    """《…》 are Chinese title marks: the English page wrote “Baidu's AI decade” as
    《百度AI十年启示录…》 in its subtitle, its notes and its citations."""
    vg = viz_graph(graph, "en")
    assert not any("《" in n for n in vg.notes)
    assert any("“Andrew Ng”" in n for n in vg.notes)
    assert "《" not in vg.subtitle and vg.subtitle.startswith("“")
    from kg.viz.model import _UI  # the page's citations use the same words

    assert _UI["en"]["work"] == "“{t}”" and _UI["zh-Hans"]["work"] == "《{t}》"
