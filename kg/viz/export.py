"""Export the entity graph for Gephi and Cytoscape: GraphML, GEXF or CSV.

The graph written is :func:`kg.analysis.measures.entity_graph` (people, organisations,
stock markets and products; one edge per fact). Every attribute is a plain
string, number or boolean, as the formats need: labels in all three languages
(``label_zh-Hans``, ``label_zh-Hant``, ``label_en``) plus ``label`` in the
chosen language, aliases joined by " | ", dates as ``start_date``,
``end_date`` and ``date`` (strings as precise as the source: "2017",
"2018-05"), and the evidence quotes joined by " … ". Each file is written to a
temporary file and renamed, so a failed export leaves nothing half-written.

Beside its quotes, an edge names its sources (exported from a built graph): one entry per
source, in the order of the quotes, in ``source_titles``, ``source_publishers``,
``source_dates`` and ``source_urls``, entries joined by " ‖ " (titles may hold "|") and
aligned across the four (an empty entry: not recorded). For a cited source the URL is the
page the quotes were read on, and the publisher the original one it names.

Only the attributes of :data:`NODE_ATTRIBUTES` and :data:`EDGE_ATTRIBUTES` are written, and
the look: no statement IRI, networkx key or other detail of how the graph is held. Edges
are numbered ``e1``, ``e2``, … in the order of the entity graph.

Nodes and edges carry the look of ``kg viz`` in the same language and seed: the
positions, sizes and colours of :func:`kg.viz.page.page_layout`. GEXF has them in its viz
namespace (``viz:position`` with y pointing up, as in Gephi, so the drawing is the page's;
``viz:size``; ``viz:color``; an edge's ``viz:thickness``); GraphML and CSV as the columns
``x``, ``y``, ``size``, ``color`` (``#RRGGBB``) and ``r``, ``g``, ``b`` (the names Gephi's
GraphML importer reads).

In GEXF each dated edge also has a time interval for Gephi's timeline (``mode="dynamic"``,
``timeformat="double"``, in years). GEXF times are integers, doubles, xsd:date (a full day)
or xsd:dateTime only, so a year or a month cannot be written as itself: a bound is the first
instant of the stated period (``2017`` → 2017.0) or the first after it (``2018-05`` → the
end of May 2018, 2018.414), no day or month added. Which interval depends on what the dates
say (:func:`_spell`):

- a start and an end (a tenure, a role): from the start to the end;
- a start and no end (joined, took a role): from the start on, an open spell (``start``
  and no ``end``, which Gephi reads as lasting); the source gives no end, which is not to say
  the tie still holds (``alumniOf`` is past by its name);
- an end and no start (left, gave up a role): a departure is a point event, so the period
  of the end only (left in ``2016``: 2016.0–2017.0), never "always before";
- a date on a tie it began (:data:`LASTING`: a founding, a listing, a spin-off, the launch
  of a product): from the date on, so founders stay on the timeline after their founding;
- a date on any other fact (recruited, customer of, partner or rival as of): the period of
  the date only (recruited in ``2017``: 2017.0–2018.0);
- no date: no interval. Gephi shows such an edge at every time: filter on empty
  ``start_date``, ``end_date`` and ``date`` to see the undated facts apart.

The exact strings stay in ``start_date``, ``end_date`` and ``date``.
"""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path
from typing import Any

from kg.errors import KGError
from kg.project.datafile import atomic_write
from kg.viz.model import LASTING

__all__ = ["EDGE_ATTRIBUTES", "FORMATS", "LASTING", "NODE_ATTRIBUTES", "export_graph", "flat_graph"]

#: Formats and the files each writes.
FORMATS = {
    "graphml": ("kg.graphml",),
    "gexf": ("kg.gexf",),
    "csv": ("kg.nodes.csv", "kg.edges.csv"),
}
#: The facts a node carries (besides its id, ``label`` and the look).
NODE_ATTRIBUTES = (
    "type",
    "label_zh-Hans",
    "label_zh-Hant",
    "label_en",
    "kind",
    "alt_labels",
    "former_names",
    "listing_status",
)
#: The facts an edge carries (besides its id, ends, ``label``, the look and its interval).
EDGE_ATTRIBUTES = (
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
    "source_titles",
    "source_publishers",
    "source_dates",
    "source_urls",
)
#: How the source columns of an edge join their entries (headlines may contain "|").
SOURCE_SEPARATOR = " ‖ "
NODE_COLUMNS = ("id", "label", *NODE_ATTRIBUTES, "x", "y", "size", "color")
EDGE_COLUMNS = ("id", "source", "target", "label", *EDGE_ATTRIBUTES, "color")
#: Entity-graph keys written under another name (GEXF readers take start/end as spells).
_RENAMED = {"start_date": "start", "end_date": "end"}


def _flat(data: dict[str, Any], lang: str, names: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = data.get(_RENAMED.get(name, name))
        if value is None:
            continue
        if isinstance(value, list | tuple):
            value = (" … " if name == "evidence" else " | ").join(map(str, value))
        out[name] = value
    out["label"] = data.get(f"label_{lang}") or data.get("label_zh-Hans") or ""
    return out


def flat_graph(graph: Any, lang: str = "zh-Hans", seed: int = 0, gexf: bool = False) -> Any:
    """The entity graph with only plain attribute values, ready to write.

    Only :data:`NODE_ATTRIBUTES` and :data:`EDGE_ATTRIBUTES` are kept; edges are keyed
    ``e1``, ``e2``, …. With *gexf*, the look goes into the ``viz`` attribute networkx writes
    as GEXF's viz namespace, and dated edges get ``start``/``end`` (decimal years) for the
    timeline (:func:`_spell`).

    Examples
    --------
    >>> from kg.analysis.measures import from_edges
    >>> G = from_edges([("person/a", "alumniOf", "org/b", {"start": "2017"})], {"org/b": "百度"})
    >>> F = flat_graph(G, "en")
    >>> F.nodes["org/b"]["label"], list(F.edges(keys=True, data="start_date"))
    ('百度', [('person/a', 'org/b', 'e1', '2017')])
    >>> F.nodes["org/b"]["color"], flat_graph(G, gexf=True).nodes["org/b"]["viz"]["color"]
    ('#3A8FD9', {'r': 58, 'g': 143, 'b': 217, 'a': 1.0})
    """
    from kg.analysis.measures import entity_graph
    from kg.viz.model import relation_style

    G = entity_graph(graph)
    look = _look(graph, G, lang, seed)
    sources = _edge_sources(graph, lang)
    F = G.__class__()
    for node, data in G.nodes(data=True):
        attrs = _flat(data, lang, NODE_ATTRIBUTES)
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
    for number, (u, v, key, data) in enumerate(G.edges(keys=True, data=True), 1):
        attrs = _flat({**data, **sources.get(str(key), {})}, lang, EDGE_ATTRIBUTES)
        style = relation_style(data["relation"])
        r, g, b = _rgb(style["color"])
        if gexf:
            attrs["viz"] = {
                "color": {"r": r, "g": g, "b": b, "a": 1.0},
                "thickness": style["width"],
            }
            attrs.update(_spell(data))
            attrs["id"] = f"e{number}"  # networkx writes it as the GEXF edge id
        else:
            attrs.update(color=style["color"], r=r, g=g, b=b)
        F.add_edge(u, v, key=f"e{number}", **attrs)
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


def _text(graph: Any, node: Any, prop: Any, lang: str) -> str:
    """The value of *prop* on *node* in *lang*, else in zh-Hans, in English, or any."""
    from rdflib import Literal

    found = {
        (o.language or "").lower(): str(o)
        for o in sorted(graph.objects(node, prop))
        if isinstance(o, Literal)
    }
    for tag in (lang.lower(), "zh-hans", "en"):
        if tag in found:
            return found[tag]
    return next(iter(found.values()), "")


def _edge_sources(graph: Any, lang: str) -> dict[str, dict[str, str]]:
    """The sources of each fact of an RDF *graph*, by the IRI of its statement or membership:
    ``source_titles``, ``source_publishers``, ``source_dates`` and ``source_urls``, one entry
    per source in the order of the quotes (by source id), joined by :data:`SOURCE_SEPARATOR`.
    Nothing for a graph that is not RDF (a projection or an entity graph names no titles)."""
    if not hasattr(graph, "triples"):
        return {}
    from rdflib import URIRef
    from rdflib.namespace import RDFS

    from kg.project.namespaces import PREFIXES

    schema, prov, oa = PREFIXES["schema"], PREFIXES["prov"], PREFIXES["oa"]
    by_fact: dict[str, set[Any]] = {}
    for fact, span in graph.subject_objects(URIRef(prov + "wasDerivedFrom")):
        article = graph.value(span, URIRef(oa + "hasSource"))
        if article is not None:
            by_fact.setdefault(str(fact), set()).add(article)
    said: dict[Any, tuple[str, str, str, str]] = {}
    for article in {a for articles in by_fact.values() for a in articles}:
        publisher = graph.value(article, URIRef(schema + "publisher"))
        date = graph.value(article, URIRef(schema + "datePublished"))
        url = graph.value(article, URIRef(schema + "url"))
        said[article] = (
            _text(graph, article, URIRef(schema + "headline"), lang),
            ""
            if publisher is None
            else _text(graph, publisher, RDFS.label, lang)
            if isinstance(publisher, URIRef)
            else str(publisher),
            "" if date is None else str(date),
            "" if url is None else str(url),
        )
    columns = ("source_titles", "source_publishers", "source_dates", "source_urls")
    out = {}
    for fact, articles in by_fact.items():
        rows = [said[a] for a in sorted(articles, key=str)]
        out[fact] = {
            name: SOURCE_SEPARATOR.join(row[i] for row in rows)
            for i, name in enumerate(columns)
            if any(row[i] for row in rows)
        }
    return out


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
    """GEXF ``start``/``end`` of an edge: what its dates say, no more (see the module's notes).

    >>> _spell({"relation": "alumniOf", "start": "2017", "end": "2018-05"})
    {'start': 2017.0, 'end': 2018.414}
    >>> _spell({"relation": "worksFor", "start": "2021"})  # from 2021 on
    {'start': 2021.0}
    >>> _spell({"relation": "alumniOf", "end": "2016"})  # a departure: its year only
    {'start': 2016.0, 'end': 2017.0}
    >>> _spell({"relation": "founder", "date": "2015-07"})  # a founding: from then on
    {'start': 2015.496}
    >>> _spell({"relation": "recruited", "date": "2017"})  # an event: its year only
    {'start': 2017.0, 'end': 2018.0}
    """
    start, end, date = data.get("start"), data.get("end"), data.get("date")
    if start:
        return {"start": _year(start, end=False), **({"end": _year(end, end=True)} if end else {})}
    if end:
        return {"start": _year(end, end=False), "end": _year(end, end=True)}
    if date:
        if data.get("relation") in LASTING:
            return {"start": _year(date, end=False)}
        return {"start": _year(date, end=False), "end": _year(date, end=True)}
    return {}


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
        edges = [
            {"id": k, "source": u, "target": v, **d} for u, v, k, d in F.edges(keys=True, data=True)
        ]
        bodies = [_csv(nodes, NODE_COLUMNS), _csv(edges, EDGE_COLUMNS)]
    else:
        bodies = [_serialize(F, fmt)]
    paths = [out / name for name in FORMATS[fmt]]
    for path, body in zip(paths, bodies, strict=True):
        atomic_write(path, body)
    return paths
