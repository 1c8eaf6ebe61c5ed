"""Export the entity graph for Gephi and Cytoscape: GraphML, GEXF or CSV.

The graph written is :func:`kg.analysis.measures.entity_graph` (people, organisations,
stock markets and products; one edge per fact). Every attribute is a plain
string, number or boolean, as the formats need: labels in all three languages
(``label_zh-Hans``, ``label_zh-Hant``, ``label_en``) plus ``label`` in the
chosen language, aliases joined by " | ", dates as ``start_date``,
``end_date`` and ``date`` (strings as precise as the source: "2017",
"2018-05"), and the evidence quotes joined by " … ". Each file is written to a
temporary file and renamed, so a failed export leaves nothing half-written.

Nodes and edges carry the look of ``kg viz`` in the same language and seed: the
positions, sizes and colours of :func:`kg.viz.page.page_layout`. GEXF has them in its viz
namespace (``viz:position`` with y pointing up, as in Gephi, so the drawing is the page's;
``viz:size``; ``viz:color``; an edge's ``viz:thickness``); GraphML and CSV as the columns
``x``, ``y``, ``size``, ``color`` (``#RRGGBB``) and ``r``, ``g``, ``b`` (the names Gephi's
GraphML importer reads). In GEXF each dated edge also has a time interval for Gephi's
timeline (``mode="dynamic"``, ``timeformat="double"``, in years): GEXF times are integers,
doubles, xsd:date (a full day) or xsd:dateTime only, so a year or a month cannot be written
as itself; the interval covers exactly the period the source states, from the first day of
the start (``2017`` → 2017.0) to the end of the last (``2018-05`` → the end of May 2018,
2018.414) and a single date from its start to its end (founded ``2021``: 2021.0–2022.0),
no day or month added. The exact strings stay in ``start_date``, ``end_date`` and ``date``.
"""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path
from typing import Any

from kg.errors import KGError
from kg.project.datafile import atomic_write

__all__ = ["FORMATS", "export_graph", "flat_graph"]

#: Formats and the files each writes.
FORMATS = {
    "graphml": ("kg.graphml",),
    "gexf": ("kg.gexf",),
    "csv": ("kg.nodes.csv", "kg.edges.csv"),
}
NODE_COLUMNS = (
    "id",
    "label",
    "type",
    "label_zh-Hans",
    "label_zh-Hant",
    "label_en",
    "kind",
    "alt_labels",
    "former_names",
    "listing_status",
    "x",
    "y",
    "size",
    "color",
)
EDGE_COLUMNS = (
    "id",
    "source",
    "target",
    "relation",
    "label",
    "label_zh-Hans",
    "label_zh-Hant",
    "label_en",
    "role",
    "start_date",
    "end_date",
    "date",
    "status",
    "evidence",
    "color",
)


def _flat(data: dict[str, Any], lang: str, edge: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None or key == "label":
            continue
        if key in ("start", "end") and edge:
            key = f"{key}_date"  # GEXF readers take start/end as dynamic spells
        if isinstance(value, list | tuple):
            value = (" … " if key == "evidence" else " | ").join(map(str, value))
        out[key] = value
    out["label"] = data.get(f"label_{lang}") or data.get("label_zh-Hans") or ""
    return out


def flat_graph(graph: Any, lang: str = "zh-Hans", seed: int = 0, gexf: bool = False) -> Any:
    """The entity graph with only plain attribute values, ready to write.

    With *gexf*, the look goes into the ``viz`` attribute networkx writes as GEXF's viz
    namespace, and dated edges get ``start``/``end`` (decimal years) for the timeline.

    Examples
    --------
    >>> from kg.analysis.measures import from_edges
    >>> G = from_edges([("person/a", "alumniOf", "org/b", {"start": "2017"})], {"org/b": "百度"})
    >>> F = flat_graph(G, "en")
    >>> F.nodes["org/b"]["label"], [d["start_date"] for _, _, d in F.edges(data=True)]
    ('百度', ['2017'])
    >>> F.nodes["org/b"]["color"], flat_graph(G, gexf=True).nodes["org/b"]["viz"]["color"]
    ('#3A8FD9', {'r': 58, 'g': 143, 'b': 217, 'a': 1.0})
    """
    from kg.analysis.measures import entity_graph
    from kg.viz.model import relation_style

    G = entity_graph(graph)
    look = _look(graph, G, lang, seed)
    F = G.__class__()
    for node, data in G.nodes(data=True):
        attrs = _flat(data, lang, edge=False)
        drawn = look.get(node)
        if drawn is not None:
            r, g, b = _rgb(drawn["fill"])
            if gexf:
                attrs["viz"] = {
                    "color": {"r": r, "g": g, "b": b, "a": 1.0},
                    "size": drawn["size"],
                    "position": {"x": float(drawn["x"]), "y": float(-drawn["y"]), "z": 0.0},
                }
            else:
                attrs.update(x=drawn["x"], y=-drawn["y"], size=drawn["size"])
                attrs.update(color=drawn["fill"], r=r, g=g, b=b)
        F.add_node(node, **attrs)
    for u, v, key, data in G.edges(keys=True, data=True):
        attrs = _flat(data, lang, edge=True)
        style = relation_style(data["relation"])
        r, g, b = _rgb(style["color"])
        if gexf:
            attrs["viz"] = {
                "color": {"r": r, "g": g, "b": b, "a": 1.0},
                "thickness": style["width"],
            }
            attrs.update(_spell(data))
        else:
            attrs.update(color=style["color"], r=r, g=g, b=b)
        F.add_edge(u, v, key=key, id=key, **attrs)
    return F


def _look(graph: Any, G: Any, lang: str, seed: int) -> dict[str, dict[str, Any]]:
    """The page's layout of *graph*: from its RDF or projection, else from the entity graph."""
    from kg.analysis.projection import Projection
    from kg.viz.facts import viz_graph
    from kg.viz.model import VizEdge, VizGraph, VizNode
    from kg.viz.page import page_layout

    if G is graph:  # already an entity graph: draw it as it is
        vg = VizGraph(
            [
                VizNode(n, d.get("type", ""), str(d.get(f"label_{lang}") or d.get("label") or n))
                for n, d in G.nodes(data=True)
            ],
            [VizEdge(u, v, d["relation"]) for u, v, d in G.edges(data=True)],
            lang,
        )
    elif isinstance(graph, Projection) or hasattr(graph, "triples"):
        vg = viz_graph(graph, lang)
    else:  # pragma: no cover - entity_graph accepts nothing else
        return {}
    return page_layout(vg, seed)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _year(date: str, end: bool) -> float:
    """The first instant of *date*'s period (or the first after it, with *end*), in years.

    >>> _year("2017", False), _year("2017", True), _year("2018-05", True)
    (2017.0, 2018.0, 2018.414)
    """
    parts = [int(p) for p in date.split("-")]
    year = parts[0]
    if len(parts) == 1:
        return float(year + 1 if end else year)
    day = datetime.date(year, parts[1], parts[2] if len(parts) > 2 else 1)
    if end:
        if len(parts) > 2:
            day += datetime.timedelta(days=1)
        else:
            day = datetime.date(year + parts[1] // 12, parts[1] % 12 + 1, 1)
    first = datetime.date(day.year, 1, 1)
    days = (datetime.date(day.year + 1, 1, 1) - first).days
    return round(day.year + (day - first).days / days, 3)


def _spell(data: dict[str, Any]) -> dict[str, float]:
    """GEXF ``start``/``end`` of an edge: the period its dates state, no narrower."""
    start, end, date = data.get("start"), data.get("end"), data.get("date")
    spell = {}
    if start or end:
        if start:
            spell["start"] = _year(start, end=False)
        if end:
            spell["end"] = _year(end, end=True)
    elif date:
        spell = {"start": _year(date, end=False), "end": _year(date, end=True)}
    return spell


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def export_graph(
    graph: Any, out: str | Path, fmt: str = "graphml", lang: str = "zh-Hans", seed: int = 0
) -> list[Path]:
    """Write the entity graph of *graph* to the folder *out* as *fmt*.

    Parameters
    ----------
    graph : rdflib.Graph, Projection or networkx.MultiDiGraph
    out : path
        The folder to write to (created if missing).
    fmt : {"graphml", "gexf", "csv"}
        GraphML (Cytoscape, Gephi, yEd), GEXF 1.2 (Gephi), or two CSV files,
        ``kg.nodes.csv`` and ``kg.edges.csv`` (Gephi's and Cytoscape's table import).
    lang : {"zh-Hans", "zh-Hant", "en"}
        The language of the ``label`` attribute the tools show by default; the
        labels in every language are written too; the positions are those of
        ``kg viz --lang LANG`` (label widths shape the layout).
    seed : int
        The layout's seed, as ``kg viz --seed`` (default 0, as there).

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> from kg.analysis.measures import from_edges
    >>> G = from_edges([("person/a", "founder", "org/b")])
    >>> folder = tempfile.mkdtemp()
    >>> [p.name for p in export_graph(G, folder, "csv")]
    ['kg.nodes.csv', 'kg.edges.csv']
    """
    from kg.analysis.measures import _serialize

    if fmt not in FORMATS:
        raise KGError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if lang not in ("zh-Hans", "zh-Hant", "en"):
        raise KGError(f"unknown language {lang!r}; use zh-Hans, zh-Hant or en")
    out = Path(out)
    F = flat_graph(graph, lang, seed, gexf=fmt == "gexf")
    if fmt == "csv":
        nodes = [{"id": n, **d} for n, d in F.nodes(data=True)]
        edges = [{"source": u, "target": v, **d} for u, v, d in F.edges(data=True)]
        bodies = [_csv(nodes, NODE_COLUMNS), _csv(edges, EDGE_COLUMNS)]
    else:
        bodies = [_serialize(F, fmt)]
    paths = [out / name for name in FORMATS[fmt]]
    for path, body in zip(paths, bodies, strict=True):
        atomic_write(path, body)
    return paths
