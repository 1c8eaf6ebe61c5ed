"""Export the entity graph for Gephi and Cytoscape: GraphML, GEXF or CSV.

The graph written is :func:`kg.analysis.entity_graph` (people, organisations,
stock markets and products; one edge per fact). Every attribute is a plain
string, number or boolean, as the formats need: labels in all three languages
(``label_zh-Hans``, ``label_zh-Hant``, ``label_en``) plus ``label`` in the
chosen language, aliases joined by " | ", dates as ``start_date``,
``end_date`` and ``date`` (strings as precise as the source: "2017",
"2018-05"), and the evidence quotes joined by " … ". Each file is written to a
temporary file and renamed, so a failed export leaves nothing half-written.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from kg.build import atomic_write
from kg.errors import KGError

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


def flat_graph(graph: Any, lang: str = "zh-Hans") -> Any:
    """The entity graph with only plain attribute values, ready to write.

    Examples
    --------
    >>> from kg.analysis import from_edges
    >>> G = from_edges([("person/a", "alumniOf", "org/b", {"start": "2017"})], {"org/b": "百度"})
    >>> F = flat_graph(G, "en")
    >>> F.nodes["org/b"]["label"], [d["start_date"] for _, _, d in F.edges(data=True)]
    ('百度', ['2017'])
    """
    from kg.analysis import entity_graph

    G = entity_graph(graph)
    F = G.__class__()
    for node, data in G.nodes(data=True):
        F.add_node(node, **_flat(data, lang, edge=False))
    for u, v, key, data in G.edges(keys=True, data=True):
        F.add_edge(u, v, key=key, id=key, **_flat(data, lang, edge=True))
    return F


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def export_graph(
    graph: Any, out: str | Path, fmt: str = "graphml", lang: str = "zh-Hans"
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
        labels in every language are written too.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> from kg.analysis import from_edges
    >>> G = from_edges([("person/a", "founder", "org/b")])
    >>> folder = tempfile.mkdtemp()
    >>> [p.name for p in export_graph(G, folder, "csv")]
    ['kg.nodes.csv', 'kg.edges.csv']
    """
    from kg.analysis import _serialize

    if fmt not in FORMATS:
        raise KGError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if lang not in ("zh-Hans", "zh-Hant", "en"):
        raise KGError(f"unknown language {lang!r}; use zh-Hans, zh-Hant or en")
    out = Path(out)
    F = flat_graph(graph, lang)
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
