"""kg export: the files parse back with the page's look, timeline intervals and zh-Hant labels."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections import Counter
from math import inf
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from test_cited_sources import ENTITIES, QUOTE, STATEMENTS

from kg.viz.export import _year, export_graph
from kg.viz.facts import viz_graph
from kg.viz.model import RELATION_STYLES, TYPE_STYLES
from kg.viz.page import page_layout

GEXF = "{http://www.gexf.net/1.2draft}"
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
VIZ = "{http://www.gexf.net/1.2draft/viz}"
#: The facts whose date is the day a lasting tie began: shown from that day on.
LASTING = {"founder", "listedOn", "spunOffFrom", "manufacturer"}
HANT = {
    "founder": "創立",
    "alumniOf": "曾任職於",
    "worksFor": "任職於",
    "competitorOf": "競爭對手",
    "manufacturer": "研發方",
    "partnerOf": "合作夥伴",
    "customerOf": "客戶",
    "listedOn": "上市於",
}


def rgb(colour: str) -> dict[str, int]:
    return {"r": int(colour[1:3], 16), "g": int(colour[3:5], 16), "b": int(colour[5:7], 16)}


@pytest.fixture(scope="module")
def look(graph: Any) -> dict[str, dict[str, Any]]:
    return page_layout(viz_graph(graph, "zh-Hant"))


def test_gexf_carries_the_pages_colours_sizes_and_positions(
    graph: Any, look: Any, tmp_path: Path
) -> None:
    (path,) = export_graph(graph, tmp_path, "gexf", "zh-Hant")
    G = nx.read_gexf(path)
    assert len(G) > 40
    for node, data in G.nodes(data=True):
        page = look[node]
        viz = data["viz"]
        assert viz["color"] == {**rgb(TYPE_STYLES[data["type"]]["fill"]), "a": 1.0}
        assert viz["size"] == page["size"]
        assert viz["position"] == {"x": page["x"], "y": -page["y"], "z": 0.0}  # y up, as Gephi
    sizes = {n: d["viz"]["size"] for n, d in G.nodes(data=True)}
    assert max(sizes, key=sizes.__getitem__) == "org/baidu"
    # networkx reads no edge viz back: read the XML.
    relations = {k: d["relation"] for _, _, k, d in G.edges(keys=True, data=True)}
    edges = list(ET.parse(path).getroot().iter(f"{GEXF}edge"))
    assert len(edges) == len(relations)
    for edge in edges:
        style = RELATION_STYLES[relations[edge.get("id")]]
        colour, thickness = edge.find(f"{VIZ}color"), edge.find(f"{VIZ}thickness")
        assert colour is not None and thickness is not None
        assert {k: int(colour.get(k, "")) for k in "rgb"} == rgb(style["color"])
        assert float(thickness.get("value", "")) == style["width"]


def test_gexf_dates_are_timeline_intervals_of_what_the_dates_say(
    graph: Any, tmp_path: Path
) -> None:
    (path,) = export_graph(graph, tmp_path, "gexf")
    root = ET.parse(path).getroot()
    element = root.find(f"{GEXF}graph")
    assert element is not None
    assert (element.get("mode"), element.get("timeformat")) == ("dynamic", "double")
    G = nx.read_gexf(path)
    kinds = Counter()
    for _, _, data in G.edges(data=True):
        start, end, date = data.get("start_date"), data.get("end_date"), data.get("date")
        spell = (data.get("start"), data.get("end"))
        if start:  # joined or took a role: from then on, to the end where there is one
            assert spell == (_year(start, False), _year(end, True) if end else None)
            kinds["open" if not end else "tenure"] += 1
        elif end:  # left, with no known start: the departure's own period, not "always before"
            assert spell == (_year(end, False), _year(end, True))
            kinds["departure"] += 1
        elif date and data["relation"] in LASTING:  # founded, listed, spun off, launched
            assert spell == (_year(date, False), None)
            kinds["lasting"] += 1
        elif date:  # recruited, customer of: the event's period
            assert spell == (_year(date, False), _year(date, True))
            kinds["event"] += 1
        else:
            assert spell == (None, None)
    assert set(kinds) >= {"open", "tenure", "lasting", "event"}, kinds  # departures: below
    lu = [
        d
        for u, v, d in G.edges(data=True)
        if (u, v) == ("person/lu-qi", "org/baidu") and d.get("role") == "role/coo"
    ]
    assert [(d["start_date"], d["end_date"], d["start"], d["end"]) for d in lu] == [
        ("2017", "2018-05", 2017.0, 2018.414)  # from the start of 2017 to the end of May 2018
    ]
    (recruited,) = [d for _, _, d in G.edges(data=True) if d["relation"] == "recruited"]
    assert (recruited["date"], recruited["start"], recruited["end"]) == ("2017", 2017.0, 2018.0)


def test_a_founding_is_an_open_spell_that_gephi_keeps_on_its_timeline(
    graph: Any, tmp_path: Path
) -> None:
    """Horizon Robotics founded in 2015: from 2015.0 on, with no end in the XML, which
    networkx (as Gephi) reads as lasting; at any later time the founder is on the timeline,
    as is every company founded, listed, spun off or product launched before."""
    (path,) = export_graph(graph, tmp_path, "gexf", "en")
    xml = {e.get("id"): e for e in ET.parse(path).getroot().iter(f"{GEXF}edge")}
    G = nx.read_gexf(path)
    (yu_kai,) = [
        d
        for u, v, d in G.edges(data=True)
        if (u, v, d["relation"]) == ("person/yu-kai", "org/horizon-robotics", "founder")
    ]
    assert (yu_kai["date"], yu_kai["start"], "end" in yu_kai) == ("2015", 2015.0, False)
    assert (xml[yu_kai["id"]].get("start"), xml[yu_kai["id"]].get("end")) == ("2015.0", None)

    def alive(data: dict[str, Any], time: float) -> bool:
        """Whether Gephi's timeline shows the edge at *time* (an edge with no spell: always)."""
        return bool(data.get("start", -inf) <= time < data.get("end", inf))

    assert [alive(yu_kai, t) for t in (2014.9, 2015.0, 2016.5, 2026.0)] == [0, 1, 1, 1]
    began = [d for _, _, d in G.edges(data=True) if d["relation"] in LASTING and "date" in d]
    assert {d["relation"] for d in began} == {"founder", "listedOn", "spunOffFrom", "manufacturer"}
    for time in (2016.5, 2020.0, 2026.0):
        for data in began:
            assert alive(data, time) == (_year(data["date"], False) <= time), (data, time)


def test_a_departure_without_a_start_is_shown_in_its_own_period_only(tmp_path: Path) -> None:
    """Left Baidu in 2016, joined when the source does not say: on the timeline in 2016 only,
    never "at Baidu since the beginning of time"; a role held until May 2021 likewise."""
    from kg.analysis.measures import from_edges

    G = from_edges(
        [
            ("person/a", "alumniOf", "org/b", {"end": "2016"}),
            ("person/a", "role", "org/c", {"end": "2021-05", "role": "role/ceo"}),
            ("person/a", "worksFor", "org/c", {"start": "2021-05"}),
        ]
    )
    (path,) = export_graph(G, tmp_path, "gexf", "en")
    spells = {
        d["relation"]: (d["start"], d.get("end")) for _, _, d in nx.read_gexf(path).edges(data=True)
    }
    assert spells == {
        "alumniOf": (2016.0, 2017.0),
        "role": (2021.329, 2021.414),
        "worksFor": (2021.329, None),  # joined: from then on
    }


def test_decimal_years_cover_the_period_and_add_nothing() -> None:
    assert (_year("2021", False), _year("2021", True)) == (2021.0, 2022.0)
    assert (_year("2018-12", False), _year("2018-12", True)) == (2018.915, 2019.0)
    assert (_year("2020-03-01", False), _year("2020-03-01", True)) == (2020.164, 2020.167)


def test_graphml_and_csv_carry_the_look_and_the_traditional_labels(
    graph: Any, look: Any, tmp_path: Path
) -> None:
    (path,) = export_graph(graph, tmp_path, "graphml", "zh-Hant")
    G = nx.read_graphml(path)
    for node, data in G.nodes(data=True):
        page = look[node]
        fill = TYPE_STYLES[data["type"]]["fill"]
        assert (data["x"], data["y"], data["size"]) == (page["x"], -page["y"], page["size"])
        assert (data["color"], data["r"], data["g"], data["b"]) == (fill, *rgb(fill).values())
    seen = set()
    for _, _, data in G.edges(data=True):
        assert data["color"] == RELATION_STYLES[data["relation"]]["color"]
        if data["relation"] in HANT:
            assert data["label_zh-Hant"] == data["label"] == HANT[data["relation"]]
            seen.add(data["relation"])
    assert {"alumniOf", "competitorOf", "founder"} <= seen
    nodes, edges = export_graph(graph, tmp_path, "csv", "zh-Hant")
    with nodes.open(encoding="utf-8") as f:
        baidu = next(r for r in csv.DictReader(f) if r["id"] == "org/baidu")
    assert (int(baidu["x"]), int(baidu["y"])) == (look["org/baidu"]["x"], -look["org/baidu"]["y"])
    assert baidu["color"] == TYPE_STYLES["Organization"]["fill"]
    with edges.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["relation"] in HANT:
            assert row["label_zh-Hant"] == row["label"] == HANT[row["relation"]]
    assert {r["label_zh-Hans"] for r in rows if r["relation"] == "alumniOf"} == {"曾任职于"}


def test_every_relation_has_its_own_traditional_label(graph: Any, tmp_path: Path) -> None:
    from kg.sources.clean import to_traditional

    (path,) = export_graph(graph, tmp_path, "gexf", "zh-Hant")
    for _, _, data in nx.read_gexf(path).edges(data=True):
        label = data["label_zh-Hant"]
        assert label == to_traditional(label)  # already Traditional: conversion changes nothing
        if data["relation"] != "role":
            assert label != data["label_zh-Hans"] or label in ("曾用名",)


# --- what an edge says of its sources, and nothing of how the graph is held ----------------

SOURCE_COLUMNS = ("source_titles", "source_publishers", "source_dates", "source_urls")
#: Every attribute an export may carry: the facts, the labels and the look; nothing else.
GEXF_NODE_ATTRIBUTES = {
    "type",
    "label_zh-Hans",
    "label_zh-Hant",
    "label_en",
    "kind",
    "alt_labels",
    "former_names",
    "listing_status",
}
GEXF_EDGE_ATTRIBUTES = {
    "relation",
    "label_zh-Hans",
    "label_zh-Hant",
    "label_en",
    "role",
    "start_date",
    "end_date",
    "date",
    "status",
    "evidence",
    *SOURCE_COLUMNS,
}
LOOK = {"x", "y", "size", "color", "r", "g", "b"}
GRAPHML_NODE_KEYS = GEXF_NODE_ATTRIBUTES | {"label"} | LOOK
GRAPHML_EDGE_KEYS = GEXF_EDGE_ATTRIBUTES | {"label", "color", "r", "g", "b"}


def sources_of(row: dict[str, Any]) -> list[tuple[str, ...]]:
    """An edge's sources: (title, publisher, date, URL) each, from its four aligned columns."""
    columns = [str(row.get(c) or "") for c in SOURCE_COLUMNS]
    count = len(columns[0].split(" ‖ "))
    split = [c.split(" ‖ ") if c else [""] * count for c in columns]
    assert all(len(c) == count for c in split), row
    return list(zip(*split, strict=True))


def test_every_edge_names_the_title_publisher_and_url_of_each_of_its_sources(
    built: Any, tmp_path: Path
) -> None:
    data = built.data

    def said(sid: str, lang: str) -> tuple[str, ...]:
        meta = data.sources[sid].meta
        title = meta.get("headline_zh_hant") if lang == "zh-Hant" else None
        publisher = data.entities[meta["publisher"]]
        return (
            title or meta["headline"],
            publisher.label(lang),
            str(meta.get("date") or ""),
            str(meta.get("url") or ""),
        )

    for lang in ("en", "zh-Hant"):
        (path,) = export_graph(built.graph, tmp_path, "gexf", lang)
        expected = {said(sid, lang): sid for sid in data.sources}
        G = nx.read_gexf(path)
        seen = set()
        for _, _, row in G.edges(data=True):
            found = sources_of(row)
            assert all(s in expected for s in found), (found, row)
            ids = [expected[s] for s in found]
            assert ids == sorted(set(ids))  # each source once, in the order of the quotes
            seen.update(ids)
        assert {"jiemian-baidu-ai-decade", "sec-weride-voting-agreement-2025"} <= seen
        (nasdaq,) = [
            d
            for u, v, d in G.edges(data=True)
            if (u, v) == ("org/weride", "market/us") and d.get("date") == "2024-10-25"
        ]
        # One fact, two sources: the article's "美股+港股" and the filing's date.
        assert sources_of(nasdaq) == [
            said("jiemian-baidu-ai-decade", lang),
            said("sec-weride-voting-agreement-2025", lang),
        ]
        assert nasdaq["evidence"].index("美股+港股") < nasdaq["evidence"].index("became listed")
    # The Traditional title where the source has one.
    assert any("百度AI十年啟示錄" in str(d.get("source_titles")) for _, _, d in G.edges(data=True))


def test_graphml_and_csv_edges_carry_their_sources_too(built: Any, tmp_path: Path) -> None:
    (path,) = export_graph(built.graph, tmp_path, "graphml", "en")
    graphml = [d for _, _, d in nx.read_graphml(path).edges(data=True)]
    _, edges = export_graph(built.graph, tmp_path, "csv", "en")
    with edges.open(encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    jiemian = "百度AI十年启示录:一颗芯片的变现与一场人才的离散"
    for rows in (graphml, table):
        assert all(r["source_titles"] for r in rows if r["evidence"])
        (recruited,) = [r for r in rows if r["relation"] == "recruited"]
        assert sources_of(recruited) == [(jiemian, "Jiemian News", "", "")]


@pytest.fixture(scope="module")
def cited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new project with one cited source (kept by its quotes, URL and publisher only) and
    two facts quoted from it, built; as ``tests/test_cited_sources.py`` makes it."""
    from conftest import run_kg

    folder = tmp_path_factory.mktemp("cited")
    root = folder / "p"

    def ok(where: Path, *args: str) -> None:
        result = run_kg(where, *args)
        assert result.returncode == 0, result.stdout + result.stderr

    ok(folder, "init", str(root))
    (root / "data" / "entities.yaml").write_text(ENTITIES, encoding="utf-8")
    news = folder / "news.txt"
    news.write_text(f"余凯访谈\n\n{QUOTE}。\n", encoding="utf-8")
    ok(
        root,
        *("add-source", str(news), "--cite", "--title", "余凯访谈", "--publisher", "极客公园"),
        *("--url", "https://example.com/yu-kai", "--date", "2025-07", "--id", "yu-kai-interview"),
    )
    (root / "data" / "statements" / "yu-kai-interview.yaml").write_text(
        STATEMENTS, encoding="utf-8"
    )
    ok(root, "build")
    return root


def test_a_cited_quote_comes_with_the_original_url_and_publisher(
    cited: Path, tmp_path: Path
) -> None:
    from conftest import run_kg

    for lang, publisher in (("en", "GeekPark"), ("zh-Hant", "極客公園")):
        result = run_kg(cited, "export", "--format", "gexf", "--lang", lang, "--to", str(tmp_path))
        assert result.returncode == 0, result.stderr
        G = nx.read_gexf(tmp_path / "kg.gexf")
        rows = {d["relation"]: d for _, _, d in G.edges(data=True)}
        assert set(rows) == {"alumniOf", "founder"}
        for row in rows.values():
            assert sources_of(row) == [
                ("余凯访谈", publisher, "2025-07", "https://example.com/yu-kai")
            ]
        assert rows["alumniOf"]["evidence"] == QUOTE
        assert (rows["founder"]["start"], "end" in rows["founder"]) == (2015.0, False)


def test_no_internal_attribute_leaks_into_any_export(graph: Any, tmp_path: Path) -> None:
    """Exactly the facts, labels and look: no statement IRI, no networkx key, no index."""
    (gexf,) = export_graph(graph, tmp_path, "gexf", "en")
    root = ET.parse(gexf).getroot()
    declared = {
        kind: {
            a.get("title")
            for e in root.iter(f"{GEXF}attributes")
            if e.get("class") == kind
            for a in e
        }
        for kind in ("node", "edge")
    }
    assert declared == {"node": GEXF_NODE_ATTRIBUTES, "edge": GEXF_EDGE_ATTRIBUTES}
    nodes, edges = list(root.iter(f"{GEXF}node")), list(root.iter(f"{GEXF}edge"))
    assert set().union(*(n.keys() for n in nodes)) == {"id", "label"}
    assert set().union(*(e.keys() for e in edges)) == {
        "id",
        "source",
        "target",
        "label",
        "start",
        "end",
    }
    children = {c.tag for e in nodes + edges for c in e}
    assert children == {
        f"{GEXF}attvalues",
        f"{VIZ}color",
        f"{VIZ}size",
        f"{VIZ}position",
        f"{VIZ}thickness",
    }
    assert [e.get("id") for e in edges] == [f"e{i}" for i in range(1, len(edges) + 1)]
    (graphml,) = export_graph(graph, tmp_path, "graphml", "en")
    keys = {
        kind: {
            k.get("attr.name")
            for k in ET.parse(graphml).getroot().iter(f"{GRAPHML}key")
            if k.get("for") == kind
        }
        for kind in ("node", "edge")
    }
    assert keys == {"node": GRAPHML_NODE_KEYS, "edge": GRAPHML_EDGE_KEYS}
    nodes_csv, edges_csv = export_graph(graph, tmp_path, "csv", "en")
    with nodes_csv.open(encoding="utf-8") as f:
        assert set(next(csv.reader(f))) == GEXF_NODE_ATTRIBUTES | {"id", "label"} | LOOK - set(
            "rgb"
        )
    with edges_csv.open(encoding="utf-8") as f:
        header = next(csv.reader(f))
        assert set(header) == GEXF_EDGE_ATTRIBUTES | {"id", "source", "target", "label", "color"}
        assert all(re.fullmatch(r"e\d+", row[0]) for row in csv.reader(f))
    for path in (gexf, graphml, nodes_csv, edges_csv):
        text = path.read_text(encoding="utf-8")
        for internal in ("networkx_key", "/statement/", "/membership/", "china-ai-kg"):
            assert internal not in text, (internal, path.name)
