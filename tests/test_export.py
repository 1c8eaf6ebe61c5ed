"""kg export: the files parse back with the page's look, timeline intervals and zh-Hant labels."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from kg.viz.export import _year, export_graph
from kg.viz.facts import viz_graph
from kg.viz.model import RELATION_STYLES, TYPE_STYLES
from kg.viz.page import page_layout

GEXF = "{http://www.gexf.net/1.2draft}"
VIZ = "{http://www.gexf.net/1.2draft/viz}"
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


def test_gexf_dates_are_timeline_intervals_of_exactly_the_stated_period(
    graph: Any, tmp_path: Path
) -> None:
    (path,) = export_graph(graph, tmp_path, "gexf")
    root = ET.parse(path).getroot()
    element = root.find(f"{GEXF}graph")
    assert element is not None
    assert (element.get("mode"), element.get("timeformat")) == ("dynamic", "double")
    G = nx.read_gexf(path)
    dated = 0
    for _, _, data in G.edges(data=True):
        start, end, date = data.get("start_date"), data.get("end_date"), data.get("date")
        if start or end:
            assert data.get("start") == (_year(start, False) if start else None)
            assert data.get("end") == (_year(end, True) if end else None)
            dated += 1
        elif date:
            assert (data["start"], data["end"]) == (_year(date, False), _year(date, True))
            dated += 1
        else:
            assert "start" not in data and "end" not in data
    assert dated > 10
    lu = [
        d
        for u, v, d in G.edges(data=True)
        if (u, v) == ("person/lu-qi", "org/baidu") and d.get("role") == "role/coo"
    ]
    assert [(d["start_date"], d["end_date"], d["start"], d["end"]) for d in lu] == [
        ("2017", "2018-05", 2017.0, 2018.414)  # from the start of 2017 to the end of May 2018
    ]


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
