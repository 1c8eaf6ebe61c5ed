"""The graph page's first view and its time control, in headless Chromium.

The page opens on an organisation's diaspora (Baidu unless ``kg viz --org`` or ``?org=``
says otherwise): the organisation and its group on the left, the people who worked there
ordered by when they left, what they founded or joined on the right; fitted to the window
in every language with every label legible. A year slider shows which dated facts held in
a year and marks the undated ones as undated. The fixtures (Chromium, the article graph,
the served endpoint) are in conftest.py; the helpers come from test_viz.py.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.analysis.diaspora import diaspora
from kg.errors import KGError
from kg.viz.facts import viz_graph
from kg.viz.model import VizEdge, VizGraph, VizNode
from kg.viz.page import render_html, write_html, write_viz_html
from tests.conftest import run_kg
from tests.test_viz import SCREENSHOT, Visit, outside_or_small

SIZES = [(1280, 800), (1600, 1000)]


@pytest.fixture(scope="module")
def pages(article_graph: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("first-view")
    return {
        lang: write_html(article_graph, folder / f"graph-{lang}.html", lang=lang)
        for lang in ("zh-Hans", "en")
    }


@pytest.fixture
def open_page(chromium: Any) -> Iterator[Any]:
    contexts = []

    def opener(url: str, width: int = 1600, height: int = 1000) -> Visit:
        context = chromium.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        seen = Visit(page, url)
        page.on("request", lambda r: seen.requests.append(r.url))
        page.on(
            "console",
            lambda m: seen.errors.append(m.text) if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda e: seen.errors.append(str(e)))
        page.goto(url)
        page.wait_for_function("() => window.kgReady !== undefined", timeout=20_000)
        return seen

    yield opener
    for context in contexts:
        context.close()


def entity_ids(seen: Visit, indices: list[int]) -> list[str]:
    """Entity ids (the last of each node's names) of node *indices*."""
    return [
        str(x) for x in seen.evaluate("(ix) => ix.map((i) => kg.data.nodes[i][6].at(-1))", indices)
    ]


def shown_nodes(seen: Visit) -> list[int]:
    return list(seen.evaluate("() => kg.network.body.nodeIndices.slice()"))


@pytest.mark.parametrize("width,height", SIZES)
@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_the_first_view_is_the_diaspora_fitted_and_legible(
    open_page: Any, pages: dict[str, Path], article_graph: Any, lang: str, width: int, height: int
) -> None:
    seen = open_page(pages[lang].as_uri(), width, height)
    assert seen.evaluate("() => kg.view()") == "flow"
    d = diaspora(article_graph, "org/baidu")
    ids = entity_ids(seen, shown_nodes(seen))
    people = {x for x in ids if x.startswith("person/")}
    assert people == {a.id for a in d.alumni}  # every alumnus, and no one else
    went = {c for a in d.alumni for c in [*a.founded, *a.joined, *a.moved_to]}
    assert {"org/baidu"} | went <= set(ids)
    assert len(ids) == len(people) + 1 + len(went)  # nothing else: no products, no rivals
    # The flow: Baidu left of the people, the people left of where they went; the dated
    # leavers above the undated.
    at = seen.evaluate("() => kg.network.getPositions()")
    index = dict(zip(ids, shown_nodes(seen), strict=True))
    baidu = at[str(index["org/baidu"])]
    xs = {x: at[str(index[x])]["x"] for x in ids}
    assert all(baidu["x"] < xs[p] for p in people)
    assert all(xs[p] < xs[c] for a in d.alumni for c in [*a.founded, *a.joined] for p in [a.id])
    lu = at[str(index["person/lu-qi"])]["y"]
    assert all(lu < at[str(index[p])]["y"] for p in people - {"person/lu-qi"})
    label = seen.evaluate("(i) => kg.network.body.nodes[i].options.label", index["person/lu-qi"])
    assert label.endswith("2017 – 2018-05")  # the dates of his time at Baidu, as stated
    outside, small = outside_or_small(seen)
    assert outside == [] and small == []
    shot = SCREENSHOT.with_name(f"graph-first-{lang}-{width}x{height}.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    seen.page.screenshot(path=str(shot))
    assert seen.errors == [] and seen.external() == []


def test_the_whole_graph_is_one_click_away_and_fit_refits(
    open_page: Any, pages: dict[str, Path], article_graph: Any
) -> None:
    seen = open_page(pages["en"].as_uri(), 1280, 800)
    first = len(shown_nodes(seen))
    assert seen.page.locator("#kg-toggle").inner_text() == "Whole graph"
    seen.page.locator("#kg-toggle").click()
    assert seen.evaluate("() => kg.view()") == "whole"
    assert len(shown_nodes(seen)) == len(viz_graph(article_graph, "en").nodes) > first
    assert seen.page.locator("#kg-toggle").inner_text() == "Where Baidu's people went"
    seen.page.locator("#kg-toggle").click()
    assert seen.evaluate("() => kg.view()") == "flow" and len(shown_nodes(seen)) == first
    # Panned and zoomed away, Fit brings the whole view back, legible.
    seen.evaluate("() => kg.network.moveTo({position: {x: 3000, y: -2000}, scale: 2.5})")
    assert outside_or_small(seen)[0] != []
    seen.page.locator("#kg-fit").click()
    assert outside_or_small(seen) == ([], [])
    assert seen.errors == []


def test_filters_refit_and_hide_what_they_orphan(open_page: Any, pages: dict[str, Path]) -> None:
    seen = open_page(pages["zh-Hans"].as_uri(), 1280, 800)
    before = set(entity_ids(seen, shown_nodes(seen)))
    seen.page.locator('#kg-relations input[data-key="founder"]').uncheck()
    after = set(entity_ids(seen, shown_nodes(seen)))
    # Companies reached only by a founding, and founders tied by nothing else, are gone.
    assert "org/deeproute" in before and "org/deeproute" not in after
    edges = seen.evaluate(
        "() => kg.network.body.edgeIndices.map((i) => kg.data.edges[i].slice(0, 2))"
    )
    ends = {x for pair in edges for x in pair}
    assert set(shown_nodes(seen)) == ends  # no node left without an edge
    assert outside_or_small(seen) == ([], [])  # fitted again
    assert seen.errors == []


def test_selecting_dims_the_rest_and_a_click_never_zooms_out(
    open_page: Any, pages: dict[str, Path]
) -> None:
    seen = open_page(pages["zh-Hans"].as_uri(), 1280, 800)
    scale = seen.evaluate("() => kg.network.getScale()")
    canvas = seen.page.locator("#kg-network canvas").bounding_box()
    # Click the edge from 陆奇 to 百度 at the middle of its line.
    point = seen.evaluate(
        """() => {
      var D = kg.data, i = D.edges.findIndex((e) => D.nodes[e[0]][1] === '陆奇' &&
        D.nodes[e[1]][1] === '百度' && kg.network.body.edgeIndices.indexOf(D.edges.indexOf(e)) >= 0);
      var p = kg.network.getPositions([D.edges[i][0], D.edges[i][1]]);
      var a = p[D.edges[i][0]], b = p[D.edges[i][1]];
      return kg.network.canvasToDOM({x: a.x * 0.4 + b.x * 0.6, y: a.y * 0.4 + b.y * 0.6});
    }"""
    )
    seen.page.mouse.click(canvas["x"] + point["x"], canvas["y"] + point["y"])
    assert seen.page.locator("#kg-side").is_visible()
    assert "陆奇 —" in seen.page.locator("#kg-details").inner_text()
    assert seen.evaluate("() => kg.network.getScale()") == pytest.approx(scale)
    assert outside_or_small(seen)[1] == []  # every label still legible
    dim = """() => kg.network.body.nodeIndices.map((i) =>
      [kg.data.nodes[i][1], kg.network.body.nodes[i].options.opacity])"""
    opacity = dict(seen.evaluate(dim))
    assert opacity["陆奇"] == 1 and opacity["百度"] == 1
    assert opacity["余凯"] < 0.5  # the rest dimmed
    # Clicking a node: its neighbours stay, the rest dim, the zoom stays.
    node = seen.evaluate(
        "() => { var i = kg.data.nodes.findIndex((n) => n[1] === '余凯');"
        " return kg.network.canvasToDOM(kg.network.getPositions([i])[i]); }"
    )
    seen.page.mouse.click(canvas["x"] + node["x"], canvas["y"] + node["y"])
    opacity = dict(seen.evaluate(dim))
    assert opacity["余凯"] == 1 and opacity["地平线"] == 1 and opacity["百度"] == 1
    assert opacity["陆奇"] < 0.5
    assert seen.evaluate("() => kg.network.getScale()") == pytest.approx(scale)
    # Closing the details undims everything.
    seen.page.locator("#kg-close").click()
    assert set(dict(seen.evaluate(dim)).values()) == {1}
    assert seen.errors == []


def test_another_organisation_by_url_or_option(
    open_page: Any, tmp_path: Path, article_graph: Any
) -> None:
    a, b, v, w, x, y = (
        VizNode(f"org/{k}", "Organization", k.upper(), (f"org/{k}",)) for k in "abvwxy"
    )
    p, q = (VizNode(f"person/{k}", "Person", k.upper(), (f"person/{k}",)) for k in ("p", "q"))
    vg = VizGraph(
        [a, b, v, w, x, y, p, q],
        [
            VizEdge("person/p", "org/a", "alumniOf", "worked at", start="2010", end="2012"),
            VizEdge("person/p", "org/x", "founder", "founded", date="2013"),
            # A job before, and one with no date (it may have been before): not where P went.
            VizEdge("person/p", "org/v", "alumniOf", "worked at", start="2005", end="2009"),
            VizEdge("person/p", "org/w", "alumniOf", "worked at"),
            VizEdge("person/q", "org/b", "alumniOf", "worked at", end="2019"),
            VizEdge("person/q", "org/y", "founder", "founded"),
            VizEdge("person/q", "org/w", "alumniOf", "worked at", start="2020", end="2021"),
        ],
        lang="en",
    )
    page = write_viz_html(vg, tmp_path / "two.html", org="org/a")
    seen = open_page(page.as_uri())
    assert sorted(entity_ids(seen, shown_nodes(seen))) == ["org/a", "org/x", "person/p"]
    seen = open_page(page.as_uri() + "?org=B")  # by name, as the URL gives it
    # A job dated from when Q left on is where Q went.
    assert sorted(entity_ids(seen, shown_nodes(seen))) == ["org/b", "org/w", "org/y", "person/q"]
    label = seen.evaluate("() => kg.network.body.nodes[7].options.label")
    assert label == "Q · until 2019"  # only an end is known: never a made-up start
    seen = open_page(page.as_uri() + "?org=nowhere")
    assert "nowhere" in seen.page.locator("#kg-org-note").inner_text()
    assert sorted(entity_ids(seen, shown_nodes(seen))) == ["org/a", "org/x", "person/p"]
    with pytest.raises(KGError, match=r"--org 'nowhere'.*did you mean|--org 'nowhere'"):
        render_html(vg, org="nowhere")
    assert seen.errors == []


def test_kg_viz_takes_an_org(built: Any, tmp_path: Path) -> None:
    out = tmp_path / "g.html"
    graph = str(built.out / "kg.nt")
    done = run_kg(
        built.out.parent, "viz", "--graph", graph, "--out", str(out), "--org", "horizon-robotics"
    )
    assert done.returncode == 0, done.stderr
    data = re.search(r'"org":(-?\d+)', out.read_text(encoding="utf-8"))
    assert data is not None and int(data.group(1)) >= 0
    bad = run_kg(built.out.parent, "viz", "--graph", graph, "--out", str(out), "--org", "百毒")
    assert bad.returncode != 0 and "Error: --org '百毒'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_the_year_slider_shows_who_was_where(open_page: Any, pages: dict[str, Path]) -> None:
    seen = open_page(pages["zh-Hans"].as_uri(), 1280, 800)
    assert seen.evaluate("() => kg.yearStates()") is None  # all years at first
    facts = seen.evaluate(
        """() => kg.data.edges.map((e, i) => [i, kg.data.nodes[e[0]][1], e[3],
         kg.data.nodes[e[1]][1], e[11]])"""
    )

    def edge(source: str, label: str, target: str) -> int:
        return next(f[0] for f in facts if f[1:4] == [source, label, target])

    coo = edge("陆奇", "首席运营官", "百度")  # 2017 – 2018-05
    wang = edge("王劲", "曾任职于", "百度")  # undated
    horizon = edge("余凯", "创立", "地平线")  # 2015: a founding, so from then on
    shown = "() => kg.shownEdges()"
    look = "(i) => [kg.network.body.edges[i].options.dashes, kg.network.body.edges[i].options.color.opacity]"
    seen.page.locator("#kg-year").fill("2017")
    assert seen.page.locator("#kg-year-value").inner_text() == "2017"
    assert not seen.page.locator("#kg-all-years").is_checked()
    states = seen.evaluate("() => kg.yearStates()")
    assert (states[coo], states[wang], states[horizon]) == ("on", "undated", "on")
    on = seen.evaluate(shown)
    assert coo in on and horizon in on
    assert wang in on and seen.evaluate(look, wang)[1] < 1  # undated: drawn, but faded
    assert seen.page.locator("#kg-undated").is_visible()
    assert "2017" in seen.page.locator("#kg-year-note").inner_text()
    seen.page.screenshot(path=str(SCREENSHOT.with_name("graph-year.png")))
    seen.page.locator("#kg-year").fill("2014")
    states = seen.evaluate("() => kg.yearStates()")
    assert (states[coo], states[horizon]) == ("off", "off")  # before he came, before it was
    on = seen.evaluate(shown)
    assert coo not in on and horizon not in on and wang in on
    seen.page.locator("#kg-year").fill("2019")
    assert seen.evaluate("() => kg.yearStates()")[coo] == "off"  # he had left in 2018-05
    assert horizon in seen.evaluate(shown)
    seen.page.locator("#kg-all-years").check()
    assert seen.evaluate("() => kg.yearStates()") is None
    assert coo in seen.evaluate(shown) and seen.evaluate(look, wang)[1] == 1
    assert seen.errors == []


def test_the_served_page_follows_lang(server: Any, built: Any) -> None:
    page = built.out / "graph.html"
    write_html(built.out / "kg.nt", page)  # the zh-Hans page kg viz writes

    def get(path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(server.base + path, timeout=60) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    status, body = get("/graph?lang=en")
    assert status == 200 and b'<html lang="en">' in body[:200]
    assert b"Where {org}'s people went" in body
    assert get("/graph?lang=zh-Hans") == (200, page.read_bytes())  # the page kg viz wrote
    assert get("/graph") == (200, page.read_bytes())
    status, body = get("/graph?lang=fr")
    assert status == 400 and b"zh-Hans" in body


def test_undated_facts_are_never_given_a_year() -> None:
    """The page data carries each fact's dates exactly as the graph has them."""
    vg = VizGraph(
        [VizNode("a", "Person", "A"), VizNode("b", "Organization", "B")],
        [VizEdge("a", "b", "alumniOf", "worked at", end="2016-06")],
    )
    page = render_html(vg)
    assert '["","2016-06",""]' in page


def test_a_date_alone_holds_on_only_for_a_tie_it_began(open_page: Any, tmp_path: Path) -> None:
    """A founding dated 2015 holds from then on; a recruitment dated 2017 holds in 2017 only
    (as the GEXF timeline of kg export reads them: kg.viz.model.LASTING)."""
    p, x, y = (
        VizNode("person/p", "Person", "P"),
        VizNode("org/x", "Organization", "X"),
        VizNode("org/y", "Organization", "Y"),
    )
    vg = VizGraph(
        [p, x, y],
        [
            VizEdge("org/x", "person/p", "recruited", "recruited", date="2017"),
            VizEdge("person/p", "org/y", "founder", "founded", date="2015"),
        ],
        lang="en",
    )
    seen = open_page(write_viz_html(vg, tmp_path / "dates.html").as_uri())
    states = """(y) => Object.fromEntries(kg.data.edges.map((e, i) =>
      [e[3], kgFlow.yearState(kg.data, i, y)]))"""
    assert seen.evaluate(states, 2014) == {"recruited": "off", "founded": "off"}
    assert seen.evaluate(states, 2017) == {"recruited": "on", "founded": "on"}
    assert seen.evaluate(states, 2019) == {"recruited": "off", "founded": "on"}
    assert seen.errors == []


def test_a_start_alone_leaves_the_later_years_open(open_page: Any, tmp_path: Path) -> None:
    """Worked at X from 2013, no end given: shown in 2013, and after it drawn faded as not
    known (the sources never say it still held), unlike a span with both ends."""
    p, x, y = (
        VizNode("person/p", "Person", "P"),
        VizNode("org/x", "Organization", "X"),
        VizNode("org/y", "Organization", "Y"),
    )
    vg = VizGraph(
        [p, x, y],
        [
            VizEdge("person/p", "org/x", "alumniOf", "worked at", start="2013"),
            VizEdge("person/p", "org/y", "role", "CTO", start="2016", end="2018"),
        ],
        lang="en",
    )
    seen = open_page(write_viz_html(vg, tmp_path / "start.html").as_uri())
    states = """(y) => Object.fromEntries(kg.data.edges.map((e, i) =>
      [e[3], kgFlow.yearState(kg.data, i, y)]))"""
    assert seen.evaluate(states, 2012) == {"worked at": "off", "CTO": "off"}
    assert seen.evaluate(states, 2013) == {"worked at": "on", "CTO": "off"}
    assert seen.evaluate(states, 2017) == {"worked at": "unknown", "CTO": "on"}
    assert seen.evaluate(states, 2021) == {"worked at": "unknown", "CTO": "off"}
    seen.evaluate("() => kg.setYear(2021)")
    worked = seen.evaluate("() => kg.data.edges.findIndex((e) => e[3] === 'worked at')")
    look = seen.evaluate("(i) => kg.network.body.edges[i].options.color.opacity", worked)
    assert look < 1  # drawn faded, not as true in 2021
    assert seen.errors == []
