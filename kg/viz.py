"""Viz: the graph as one interactive HTML page that works offline and is safe with any text.

The page draws the :func:`kg.projection.project` view of the graph with vis-network
9.1.2, the build that pyvis 0.3.2 ships. pyvis's own template is not used: it links
Bootstrap and vis-network from CDNs even in ``in_line`` mode, switches every tooltip to
raw ``innerHTML`` as soon as one title contains ``href``, and inserts the heading and
select-menu ids unescaped. Instead this module writes its own small page:

- vis-network's JS and CSS are inlined from pyvis's package folder; nothing is fetched
  (a Content-Security-Policy with ``default-src 'none'`` and script hashes enforces it);
- the data travels as one JSON block (``<`` ``>`` ``&`` escaped as ``\\u003c`` …) that the
  page's script parses and hands to vis-network; text reaches the DOM only through
  ``textContent`` and vis-network's string titles, which it shows with ``innerText``;
- vis node ids are opaque integers; entity ids are only shown as text;
- the layout is computed in Python with igraph's Fruchterman–Reingold (seeded), so the
  same graph gives a byte-identical file. Small graphs then relax for a fixed number of
  vis-network physics iterations and freeze; large ones are drawn with physics off.

:func:`write_html` is the entry point for a built graph; :func:`write_viz_html` takes
plain :class:`VizNode` and :class:`VizEdge` lists (the benchmark feeds it synthetic
graphs of 20,000 nodes).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import math
import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.build import atomic_write
from kg.clean import to_traditional
from kg.errors import DataError, KGError

if TYPE_CHECKING:
    from rdflib import Graph

    from kg.projection import Edge, Node, Projection

__all__ = [
    "LANGS",
    "STABILIZE_LIMIT",
    "VizEdge",
    "VizGraph",
    "VizNode",
    "render_html",
    "viz_graph",
    "write_html",
    "write_viz_html",
]

LANGS = ("zh-Hans", "zh-Hant", "en")
#: Graphs with at most this many nodes relax with vis-network physics before freezing;
#: larger ones are drawn straight from the precomputed layout with physics off.
STABILIZE_LIMIT = 500
_STABILIZE_ITERATIONS = 250
#: At most this many facts are listed in a node's tooltip.
_MAX_FACTS = 8
_VIS = "vis-9.1.2"
_FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", ' + (
    '"Microsoft YaHei", "Noto Sans CJK TC", "Noto Sans", sans-serif'
)
_FONT_HANT = (
    _FONT.replace("CJK SC", "CJK TC")
    .replace("Sans SC", "Sans TC")
    .replace("PingFang SC", "PingFang TC")
)

# --- presentation tables (how types and relations look, in each language) -----------

#: Node style by entity type: vis-network shape, fill and border colour (Okabe–Ito based).
TYPE_STYLES: dict[str, dict[str, str]] = {
    "Person": {"shape": "dot", "fill": "#F0A030", "border": "#A96400"},
    "Organization": {"shape": "square", "fill": "#3A8FD9", "border": "#1D5E9A"},
    "Product": {"shape": "diamond", "fill": "#2BAE84", "border": "#17775A"},
    "StockMarket": {"shape": "triangle", "fill": "#C8629E", "border": "#8E3B6C"},
    "Other": {"shape": "dot", "fill": "#A0A0A0", "border": "#6B6B6B"},
}
_TYPE_ORDER = ("Person", "Organization", "Product", "StockMarket", "Other")
TYPE_NAMES: dict[str, dict[str, str]] = {
    "Person": {"zh-Hans": "人物", "zh-Hant": "人物", "en": "Person"},
    "Organization": {"zh-Hans": "机构", "zh-Hant": "機構", "en": "Organization"},
    "Product": {"zh-Hans": "产品", "zh-Hant": "產品", "en": "Product"},
    "StockMarket": {"zh-Hans": "股票市场", "zh-Hant": "股票市場", "en": "Stock market"},
    "Other": {"zh-Hans": "其他", "zh-Hant": "其他", "en": "Other"},
}
#: Edge style by relation: colour, width and dash pattern (past ties are dashed).
RELATION_STYLES: dict[str, dict[str, Any]] = {
    "founder": {"color": "#D55E00", "width": 2.2},
    "role": {"color": "#2F6DB0", "width": 1.8},
    "worksFor": {"color": "#2F6DB0", "width": 1.6},
    "alumniOf": {"color": "#6E9BCF", "width": 1.4, "dashes": [6, 4]},
    "recruited": {"color": "#E69F00", "width": 1.6},
    "parentOrganization": {"color": "#1D5E9A", "width": 2.0},
    "spunOffFrom": {"color": "#1D5E9A", "width": 1.6, "dashes": [6, 4]},
    "manufacturer": {"color": "#2BAE84", "width": 1.4},
    "competitorOf": {"color": "#A8A8A8", "width": 1.2, "dashes": [2, 4]},
    "customerOf": {"color": "#C8629E", "width": 1.4},
    "partnerOf": {"color": "#C8629E", "width": 1.4, "dashes": [6, 4]},
    "listedOn": {"color": "#8E3B6C", "width": 1.4},
}
_DEFAULT_RELATION_STYLE: dict[str, Any] = {"color": "#8C8C8C", "width": 1.2}
#: How a membership edge's relation is named in the filter (the edge itself shows the role).
_ROLE_NAMES = {"zh-Hans": "职务", "zh-Hant": "職務", "en": "role"}

_UI: dict[str, dict[str, str]] = {
    "zh-Hans": {
        "title": "中国AI产业知识图谱",
        "search": "搜索人物、机构、产品(中文或英文)",
        "types": "类型",
        "relations": "关系",
        "details": "详情",
        "none": "没有匹配的名字",
        "shown": "显示 {n} / {N} 个实体,{m} / {M} 条关系",
        "hint": "悬停查看名称、日期和原文证据;点击查看详情;滚轮缩放,拖动平移。",
        "sources": "来源",
        "aka": "别名",
        "more": "…… 另有 {n} 条事实",
        "id": "标识",
    },
    "zh-Hant": {
        "title": "中國AI產業知識圖譜",
        "search": "搜尋人物、機構、產品(中文或英文)",
        "types": "類型",
        "relations": "關係",
        "details": "詳情",
        "none": "沒有相符的名字",
        "shown": "顯示 {n} / {N} 個實體,{m} / {M} 條關係",
        "hint": "懸停查看名稱、日期和原文證據;點擊查看詳情;滾輪縮放,拖動平移。",
        "sources": "來源",
        "aka": "別名",
        "more": "…… 另有 {n} 條事實",
        "id": "標識",
    },
    "en": {
        "title": "China's AI industry: knowledge graph",
        "search": "Find a person, company or product (any language)",
        "types": "Types",
        "relations": "Relations",
        "details": "Details",
        "none": "No matching name",
        "shown": "Showing {n} / {N} entities, {m} / {M} relations",
        "hint": "Hover for names, dates and the quoted evidence; click for details; "
        "scroll to zoom, drag to pan.",
        "sources": "Sources",
        "aka": "also",
        "more": "… and {n} more facts",
        "id": "id",
    },
}


# --- plain data the page is made from -------------------------------------------------


@dataclass(frozen=True)
class VizNode:
    """One vertex of the page.

    Parameters
    ----------
    id : str
        Any unique string (entity id); shown only as text, never used as markup or DOM id.
    type : str
        ``Person``, ``Organization``, ``Product`` or ``StockMarket`` (anything else is
        drawn as ``Other``).
    label : str
        The name drawn under the node.
    names : tuple of str
        Every name the search box should find it by (labels in all languages, aliases).
    tooltip : str
        Plain text shown on hover and in the details panel (newlines kept).
    """

    id: str
    type: str
    label: str
    names: tuple[str, ...] = ()
    tooltip: str = ""


@dataclass(frozen=True)
class VizEdge:
    """One directed, labelled edge of the page (``source`` -> ``target``)."""

    source: str
    target: str
    relation: str
    label: str = ""
    tooltip: str = ""


@dataclass
class VizGraph:
    """Everything one page shows: nodes, edges and the texts around them.

    ``relation_names`` maps a relation key to the name the filter shows (default: the key).
    """

    nodes: list[VizNode]
    edges: list[VizEdge]
    lang: str = "zh-Hans"
    title: str = ""
    subtitle: str = ""
    relation_names: dict[str, str] = field(default_factory=dict)


# --- from the RDF graph to the plain data ---------------------------------------------


def _say(labels: Mapping[str, str], lang: str, fallback: str) -> str:
    """The label in *lang*; zh-Hant is converted from zh-Hans when missing."""
    if labels.get(lang):
        return labels[lang]
    if lang == "zh-Hant" and labels.get("zh-Hans"):
        return to_traditional(labels["zh-Hans"])
    return labels.get("zh-Hans") or labels.get("en") or fallback


def _all_names(labels: Mapping[str, str], fallback: str) -> str:
    """``陆奇 · 陸奇 · Lu Qi``: each distinct label once, in LANGS order."""
    seen: list[str] = []
    for lang in LANGS:
        name = _say(labels, lang, fallback)
        if name not in seen:
            seen.append(name)
    return " · ".join(seen)


def _span(start: str | None, end: str | None, date: str | None) -> str:
    if date and not (start or end):
        return date
    if start or end:
        return f"{start or '?'} – {end or ''}".rstrip()
    return ""


@dataclass(frozen=True)
class _Source:
    headline: str
    publisher: str


def _sources(graph: Graph, lang: str) -> dict[str, _Source]:
    """Headline and publisher of each article, keyed by source id."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, RDFS

    from kg.build import BASE, PREFIXES

    schema = PREFIXES["schema"]
    found = {}
    for article in graph.subjects(RDF.type, URIRef(schema + "NewsArticle")):
        heads = {
            str(o.language): str(o)
            for o in graph.objects(article, URIRef(schema + "headline"))
            if isinstance(o, Literal)
        }
        publisher = graph.value(article, URIRef(schema + "publisher"))
        names = {}
        if publisher is not None:
            names = {
                str(o.language): str(o)
                for o in graph.objects(publisher, RDFS.label)
                if isinstance(o, Literal) and o.language
            }
        sid = str(article).removeprefix(BASE + "source/")
        found[sid] = _Source(_say(heads, lang, sid), _say(names, lang, "") if names else "")
    return found


class _Notes:
    """Numbers the sources quoted in one tooltip: ``[1]``, ``[2]`` …"""

    def __init__(self, sources: Mapping[str, _Source]):
        self.sources = sources
        self.order: list[str] = []

    def cite(self, source: str) -> str:
        if source not in self.order:
            self.order.append(source)
        return str(self.order.index(source) + 1)

    def footer(self, ui: Mapping[str, str]) -> list[str]:
        if not self.order:
            return []
        lines = ["", f"{ui['sources']}:"]
        for i, sid in enumerate(self.order, 1):
            src = self.sources.get(sid)
            if src is None:
                lines.append(f"[{i}] {sid}")
            else:
                by = f", {src.publisher}" if src.publisher else ""
                lines.append(f"[{i}] 《{src.headline}》{by} ({sid})")
        return lines


def _edge_label(edge: Edge, lang: str) -> str:
    return _say(edge.labels, lang, edge.relation)


def _quotes(edge: Edge, notes: _Notes, indent: str = "") -> list[str]:
    return [
        f"{indent}“{ev.quote}” [{notes.cite(ev.source)}: {ev.start}–{ev.end}]"
        for ev in edge.evidence
    ]


def _edge_tooltip(
    edge: Edge, nodes: Mapping[str, Node], lang: str, sources: Mapping[str, _Source]
) -> str:
    ui = _UI[lang]
    notes = _Notes(sources)
    source, target = nodes[edge.source], nodes[edge.target]
    lines = [
        f"{_all_names(source.labels, source.id)} → {_all_names(target.labels, target.id)}",
        _all_names(edge.labels, edge.relation),
    ]
    when = _span(edge.start, edge.end, edge.date)
    if when:
        lines.append(when)
    if edge.status:
        lines.append(edge.status)
    if edge.evidence:
        lines.append("")
        lines.extend(_quotes(edge, notes))
    return "\n".join(lines + notes.footer(ui))


def _node_tooltip(
    node: Node,
    edges: Sequence[Edge],
    nodes: Mapping[str, Node],
    lang: str,
    sources: Mapping[str, _Source],
) -> str:
    ui = _UI[lang]
    notes = _Notes(sources)
    lines = [_all_names(node.labels, node.id)]
    kind = TYPE_NAMES.get(node.type, TYPE_NAMES["Other"])[lang]
    lines.append(f"{kind} · {node.kind}" if node.kind else kind)
    names = {node.labels.get(x) for x in LANGS}
    alts = [a for a in node.alt_labels if a not in names]
    if alts:
        lines.append(f"{ui['aka']}: {', '.join(alts)}")
    lines.append(f"{ui['id']}: {node.id}")
    order = list(RELATION_STYLES)
    edges = sorted(
        edges,
        key=lambda e: (
            order.index(e.relation) if e.relation in order else len(order),
            e.start or e.date or "",
        ),
    )
    for edge in edges[:_MAX_FACTS]:
        fact = (
            f"{nodes[edge.source].label(lang)} —{_edge_label(edge, lang)}→ "
            f"{nodes[edge.target].label(lang)}"
        )
        when = _span(edge.start, edge.end, edge.date)
        lines.append("")
        lines.append(f"{fact} ({when})" if when else fact)
        lines.extend(_quotes(edge, notes, "  "))
    if len(edges) > _MAX_FACTS:
        lines.append("")
        lines.append(ui["more"].format(n=len(edges) - _MAX_FACTS))
    return "\n".join(lines + notes.footer(ui))


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise KGError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")


def viz_graph(
    graph: Graph | Projection,
    lang: str = "zh-Hans",
    relations: Path | None = None,
    sources: Mapping[str, tuple[str, str]] | None = None,
) -> VizGraph:
    """The page data of a built graph: names in *lang*, tooltips with the evidence.

    Parameters
    ----------
    graph : rdflib.Graph or kg.projection.Projection
        A built graph, or its projection (then *sources* may name the articles).
    lang : {'zh-Hans', 'zh-Hant', 'en'}
        The language of the names drawn; tooltips show every language.
    relations : path, optional
        The relation vocabulary, passed to :func:`kg.projection.project`.
    sources : mapping, optional
        ``{source id: (headline, publisher)}``; read from *graph* when it is a Graph.

    Returns
    -------
    VizGraph
        Nodes sorted by entity id, edges in the projection's order.
    """
    from kg.projection import Projection, project

    _check_lang(lang)
    if isinstance(graph, Projection):
        proj = graph
        found = {k: _Source(*v) for k, v in (sources or {}).items()}
        headline = ""
    else:
        proj = project(graph, relations)
        found = _sources(graph, lang)
        headline = ", ".join(f"《{s.headline}》" for _, s in sorted(found.items()))
    ui = _UI[lang]
    touching: dict[str, list[Edge]] = {nid: [] for nid in proj.nodes}
    for edge in proj.edges:
        if edge.source not in proj.nodes or edge.target not in proj.nodes:
            raise DataError(f"edge {edge.key or edge.relation} joins an unknown entity")
        touching[edge.source].append(edge)
        if edge.target != edge.source:
            touching[edge.target].append(edge)
    nodes = []
    for nid, node in sorted(proj.nodes.items()):
        names = [node.labels[x] for x in LANGS if node.labels.get(x)]
        names += [a for a in node.alt_labels if a not in names]
        nodes.append(
            VizNode(
                id=nid,
                type=node.type,
                label=_say(node.labels, lang, nid),
                names=(*names, nid),
                tooltip=_node_tooltip(node, touching[nid], proj.nodes, lang, found),
            )
        )
    edges = [
        VizEdge(
            source=e.source,
            target=e.target,
            relation=e.relation,
            label=_edge_label(e, lang),
            tooltip=_edge_tooltip(e, proj.nodes, lang, found),
        )
        for e in proj.edges
    ]
    relation_names = {}
    for e in proj.edges:
        if e.relation == "role":
            relation_names["role"] = _ROLE_NAMES[lang]
        elif e.relation not in relation_names:
            relation_names[e.relation] = _edge_label(e, lang)
    return VizGraph(
        nodes=nodes,
        edges=edges,
        lang=lang,
        title=ui["title"],
        subtitle=headline,
        relation_names=relation_names,
    )


# --- layout ----------------------------------------------------------------------------


def _layout(n: int, pairs: Sequence[tuple[int, int]], seed: int) -> list[tuple[int, int]]:
    """Seeded Fruchterman–Reingold positions (igraph), scaled to vis-network pixels.

    The grid variant is used above STABILIZE_LIMIT nodes (near-linear: 20,000 in about 2 s).
    Coordinates are rounded to whole pixels so the file is byte-stable.
    """
    if n == 0:
        return []
    try:
        import igraph
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise KGError(
            "igraph is needed for the layout; install it with pip install 'kg[viz]'"
        ) from exc
    rng = random.Random(seed)
    half = math.sqrt(n) / 2  # igraph's own starting box; a wider one slows grid FR down 7x
    start = [(rng.uniform(-half, half), rng.uniform(-half, half)) for _ in range(n)]
    g = igraph.Graph(n=n, edges=sorted({(a, b) for a, b in pairs if a != b}), directed=False)
    igraph.set_random_number_generator(random.Random(seed))
    try:
        coords = g.layout_fruchterman_reingold(seed=start, grid=n > STABILIZE_LIMIT).coords
    finally:
        igraph.set_random_number_generator(random)
    # Scale so that a typical edge is about 100 px (small graphs) or 120 px (large ones:
    # dense, so they get more room between labels when zoomed in).
    lengths = sorted(math.dist(coords[a], coords[b]) for a, b in pairs if a != b) or [1.0]
    typical = lengths[len(lengths) // 2] or 1.0
    scale = (100.0 if n <= STABILIZE_LIMIT else 120.0) / typical
    cx = sum(x for x, _ in coords) / n
    cy = sum(y for _, y in coords) / n
    return [(round((x - cx) * scale), round((y - cy) * scale)) for x, y in coords]


# --- the page --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _vis_assets() -> tuple[str, str]:
    """vis-network's JS and CSS from pyvis's package folder, checked to be inlinable."""
    try:
        import pyvis
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise KGError("pyvis is needed for kg viz; install it with pip install 'kg[viz]'") from exc
    folder = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / _VIS
    try:
        js = (folder / "vis-network.min.js").read_text(encoding="utf-8")
        css = (folder / "vis-network.css").read_text(encoding="utf-8")
    except OSError as exc:
        raise KGError(f"vis-network is missing from pyvis ({folder}): {exc}") from exc
    # Drop the source-map comments: nothing in the page may point elsewhere.
    js = re.sub(r"\n?//# sourceMappingURL=\S*\s*$", "\n", js)
    css = re.sub(r"/\*# sourceMappingURL=\S* \*/\s*$", "\n", css)
    if "</script" in js.lower() or "<!--" in js or "</style" in css.lower():
        raise KGError(f"vis-network in {folder} cannot be inlined safely (has a closing tag)")
    return js, css


def _json_for_html(value: Any) -> str:
    """JSON that can sit inside ``<script type="application/json">`` whatever the strings."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _options(vg: VizGraph, seed: int, stabilize: int, type_keys: Sequence[str]) -> dict[str, Any]:
    big = stabilize == 0 and len(vg.nodes) > STABILIZE_LIMIT
    face = _FONT_HANT if vg.lang == "zh-Hant" else _FONT
    groups = {}
    for key in type_keys:
        style = TYPE_STYLES[key]
        colour = {"background": style["fill"], "border": style["border"]}
        groups[key] = {
            "shape": style["shape"],
            "color": {
                **colour,
                "highlight": {"background": "#FFE066", "border": "#C9302C"},
                "hover": {"background": style["fill"], "border": "#222222"},
            },
        }
    physics: dict[str, Any] = {"enabled": False}
    if stabilize:
        physics = {
            "enabled": True,
            "solver": "barnesHut",
            "barnesHut": {
                "gravitationalConstant": -3500,
                "centralGravity": 0.5,
                "springLength": 95,
                "springConstant": 0.04,
                "damping": 0.5,
                "avoidOverlap": 0.9,
            },
            "stabilization": {
                "enabled": True,
                "iterations": stabilize,
                "updateInterval": 50,
                "fit": True,
            },
        }
    return {
        "autoResize": True,
        "layout": {"randomSeed": seed, "improvedLayout": False},
        "physics": physics,
        "groups": groups,
        "nodes": {
            "borderWidth": 1.5,
            "borderWidthSelected": 3,
            "font": {
                "face": face,
                "size": 15,
                "color": "#1A1A1A",
                "strokeWidth": 4,
                "strokeColor": "#FFFFFF",
            },
            "scaling": {
                "min": 9,
                "max": 30,
                "label": {"enabled": True, "min": 16, "max": 28, "drawThreshold": 6},
            },
        },
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.55}},
            "arrowStrikethrough": False,
            "font": {
                "face": face,
                "size": 12,
                "color": "#4A4A4A",
                "strokeWidth": 3,
                "strokeColor": "#FFFFFF",
                "align": "horizontal",
            },
            "smooth": False if big else {"enabled": True, "type": "dynamic"},
            "selectionWidth": 1.5,
            "hoverWidth": 0.8,
        },
        "interaction": {
            "hover": not big,
            "tooltipDelay": 120,
            "hideEdgesOnDrag": big,
            "hideEdgesOnZoom": big,
            "navigationButtons": False,
            "keyboard": False,
            "multiselect": False,
        },
    }


def _payload(vg: VizGraph, seed: int, stabilize: int) -> dict[str, Any]:
    """The page's data: compact arrays indexed by opaque integer ids."""
    _check_lang(vg.lang)
    nodes = sorted(vg.nodes, key=lambda n: n.id)
    index: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node.id in index:
            raise DataError(f"two nodes have the id {node.id!r}; node ids must be unique")
        index[node.id] = i
    edges = sorted(vg.edges, key=lambda e: (e.source, e.target, e.relation, e.label, e.tooltip))
    pairs = []
    for edge in edges:
        for end in (edge.source, edge.target):
            if end not in index:
                raise DataError(
                    f"edge {edge.source!r} -[{edge.relation}]-> {edge.target!r} "
                    f"names an unknown node {end!r}; add the node or drop the edge"
                )
        pairs.append((index[edge.source], index[edge.target]))
    degree = Counter(i for pair in pairs for i in pair)
    positions = _layout(len(nodes), pairs, seed)

    types = sorted({_type(n.type) for n in nodes}, key=_TYPE_ORDER.index)
    type_ix = {t: i for i, t in enumerate(types)}
    order = list(RELATION_STYLES)
    rels = sorted(
        {e.relation for e in edges}, key=lambda r: (order.index(r) if r in order else len(order), r)
    )
    rel_ix = {r: i for i, r in enumerate(rels)}
    type_counts = Counter(_type(n.type) for n in nodes)
    rel_counts = Counter(e.relation for e in edges)
    ui = dict(_UI[vg.lang])
    return {
        "seed": seed,
        "stabilize": stabilize,
        "ui": ui,
        "options": _options(vg, seed, stabilize, types),
        "types": [
            {
                "key": t,
                "name": TYPE_NAMES[t][vg.lang],
                "count": type_counts[t],
                **TYPE_STYLES[t],
            }
            for t in types
        ],
        "relations": [
            {
                "key": r,
                "name": vg.relation_names.get(r, r),
                "count": rel_counts[r],
                **{"dashes": False, **RELATION_STYLES.get(r, _DEFAULT_RELATION_STYLE)},
            }
            for r in rels
        ],
        # [type, label, degree, x, y, tooltip, names]
        "nodes": [
            [
                type_ix[_type(n.type)],
                n.label,
                degree[i],
                *positions[i],
                n.tooltip,
                list(dict.fromkeys((n.label, *n.names))),
            ]
            for i, n in enumerate(nodes)
        ],
        # [from, to, relation, label, tooltip, bend]
        "edges": [
            [a, b, rel_ix[e.relation], e.label, e.tooltip, bend]
            for (a, b), e, bend in zip(pairs, edges, _bends(pairs), strict=True)
        ],
    }


def _bends(pairs: Sequence[tuple[int, int]]) -> list[float]:
    """How much to curve each edge so that edges between the same two nodes fan out.

    A lone edge gets 0 (drawn with the default smoothing); the k-th of m parallel edges gets
    a signed roundness, its sign taken relative to the pair's own orientation so that
    A -> B and B -> A bend to different sides.
    """
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (a, b) in enumerate(pairs):
        groups.setdefault((min(a, b), max(a, b)), []).append(i)
    bends = [0.0] * len(pairs)
    for (low, _), members in groups.items():
        if len(members) < 2:
            continue
        for k, i in enumerate(members):
            bend = round(0.22 * (k - (len(members) - 1) / 2), 3)
            bends[i] = bend if pairs[i][0] == low else -bend
    return bends


def _type(name: str) -> str:
    return name if name in TYPE_STYLES else "Other"


def render_html(vg: VizGraph, seed: int = 0, stabilize: int | None = None) -> str:
    """The whole page as one string: offline, deterministic, safe with any text.

    Parameters
    ----------
    vg : VizGraph
        The nodes, edges and texts to show.
    seed : int
        Seeds the igraph layout and vis-network's ``layout.randomSeed``.
    stabilize : int, optional
        vis-network physics iterations to run from the precomputed layout before the
        page freezes it (physics off). Default: 250 up to :data:`STABILIZE_LIMIT` nodes,
        else 0 (drawn as laid out, physics off from the start).

    Returns
    -------
    str
        The HTML document.
    """
    if stabilize is None:
        stabilize = _STABILIZE_ITERATIONS if len(vg.nodes) <= STABILIZE_LIMIT else 0
    if not vg.nodes:
        stabilize = 0  # vis-network announces no stabilization for an empty network
    if stabilize < 0:
        raise KGError(f"stabilize must be 0 or more iterations, not {stabilize}")
    vis_js, vis_css = _vis_assets()
    data = _json_for_html(_payload(vg, seed, stabilize))
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_csp_hash(vis_js)} {_csp_hash(_PAGE_JS)}",
            "style-src 'unsafe-inline'",
            "img-src data:",
            "font-src data:",
        ]
    )
    fields = {
        "LANG": html.escape(vg.lang),
        "CSP": html.escape(csp, quote=False),  # no double quote in it
        "TITLE": html.escape(vg.title or _UI[vg.lang]["title"]),
        "SUBTITLE": html.escape(vg.subtitle),
        "FONT": _FONT_HANT if vg.lang == "zh-Hant" else _FONT,
        "VIS_CSS": vis_css,
        "VIS_JS": vis_js,
        "PAGE_JS": _PAGE_JS,
        "DATA": data,
    }
    # One pass, so text inserted for one field is never scanned for another.
    return re.sub(r"@@([A-Z_]+)@@", lambda m: fields[m.group(1)], _PAGE)


def _atomic_write_text(path: Path, text: str) -> Path:
    if path.is_dir():
        raise KGError(f"{path} is a folder; give the file to write, e.g. {path / 'graph.html'}")
    # Encoded here, explicitly: pyvis's own writer fails on Chinese under non-UTF-8 locales.
    return atomic_write(path, text.encode("utf-8"))


def write_viz_html(
    vg: VizGraph, out: str | Path, seed: int = 0, stabilize: int | None = None
) -> Path:
    """Write :func:`render_html` of *vg* to *out* (UTF-8, atomically); return the path."""
    return _atomic_write_text(Path(out), render_html(vg, seed=seed, stabilize=stabilize))


def write_html(
    graph: Graph | str | Path,
    out: str | Path = "build/graph.html",
    lang: str = "zh-Hans",
    seed: int = 0,
    relations: Path | None = None,
) -> Path:
    """Write the interactive graph page of a built graph.

    Parameters
    ----------
    graph : rdflib.Graph or path
        The graph, or a file written by ``kg build`` (``build/kg.nt``, ``.ttl``, ``.jsonld``).
    out : path
        The HTML file to write; written to a temporary file and renamed, so a failure
        leaves any earlier file intact.
    lang : {'zh-Hans', 'zh-Hant', 'en'}
        The language of the names drawn (tooltips and search use every language).
    seed : int
        Seeds the layout; the same graph and seed give a byte-identical file.
    relations : path, optional
        The relation vocabulary (default ``data/relations.yaml``).

    Returns
    -------
    Path
        *out*.

    Examples
    --------
    >>> from kg.viz import write_html
    >>> write_html("build/kg.nt", "build/graph.html", lang="en")  # doctest: +SKIP
    PosixPath('build/graph.html')
    """
    _check_lang(lang)
    if isinstance(graph, str | Path):
        from kg.build import load_graph

        graph = load_graph(Path(graph))
    return write_viz_html(viz_graph(graph, lang, relations), out, seed=seed)


_PAGE = """<!DOCTYPE html>
<html lang="@@LANG@@">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="@@CSP@@">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@@TITLE@@</title>
<style>@@VIS_CSS@@</style>
<style>
html, body { margin: 0; height: 100%; overflow: hidden; }
body { display: flex; font: 14px/1.45 @@FONT@@; color: #1A1A1A; background: #FFFFFF; }
#kg-panel { box-sizing: border-box; width: 300px; flex: none; height: 100%; overflow-y: auto;
  padding: 14px 16px; border-right: 1px solid #DDDDDD; background: #FAFAF7; }
#kg-panel h1 { font-size: 18px; margin: 0 0 4px; }
#kg-panel h2 { font-size: 13px; margin: 14px 0 6px; color: #555555; text-transform: uppercase;
  letter-spacing: .04em; }
#kg-subtitle { margin: 0 0 10px; color: #555555; font-size: 12px; }
#kg-network { position: relative; flex: 1; height: 100%; min-width: 0; }
#kg-search { box-sizing: border-box; width: 100%; padding: 7px 9px; font: inherit;
  border: 1px solid #BBBBBB; border-radius: 6px; background: #FFFFFF; }
#kg-results { list-style: none; margin: 4px 0 0; padding: 0; }
#kg-results li { padding: 4px 8px; border-radius: 4px; cursor: pointer; }
#kg-results li:hover, #kg-results li.kg-active { background: #E8F0FB; }
#kg-results .kg-other { color: #666666; font-size: 12px; margin-left: 6px; }
.kg-row { display: flex; align-items: center; gap: 7px; margin: 3px 0; cursor: pointer; }
.kg-row input { margin: 0; }
.kg-row svg { flex: none; }
.kg-count { margin-left: auto; color: #777777; font-size: 12px; }
#kg-shown, #kg-hint { color: #666666; font-size: 12px; }
#kg-details { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12.5px;
  background: #FFFFFF; border: 1px solid #DDDDDD; border-radius: 6px; padding: 8px; }
div.vis-tooltip { white-space: pre-wrap; max-width: 460px; overflow-wrap: anywhere;
  font: 13px/1.45 @@FONT@@; color: #1A1A1A; background: #FFFFF4;
  border: 1px solid #B9B39A; border-radius: 6px; padding: 8px 10px;
  box-shadow: 2px 3px 10px rgba(0, 0, 0, .18); }
</style>
</head>
<body>
<aside id="kg-panel">
<h1 id="kg-title">@@TITLE@@</h1>
<p id="kg-subtitle">@@SUBTITLE@@</p>
<input id="kg-search" type="search" autocomplete="off" spellcheck="false">
<ul id="kg-results"></ul>
<h2 id="kg-types-title"></h2>
<div id="kg-types"></div>
<h2 id="kg-relations-title"></h2>
<div id="kg-relations"></div>
<p id="kg-shown"></p>
<h2 id="kg-details-title" hidden></h2>
<div id="kg-details" hidden></div>
<p id="kg-hint"></p>
</aside>
<main id="kg-network"></main>
<script type="application/json" id="kg-data">@@DATA@@</script>
<script>@@VIS_JS@@</script>
<script>@@PAGE_JS@@</script>
</body>
</html>
"""

# The page's script. Text only ever reaches the DOM through textContent (and vis-network's
# string titles, which it shows with innerText); ids are integers.
_PAGE_JS = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("kg-data").textContent);
  var U = D.ui;
  var SVG = "http://www.w3.org/2000/svg";
  function $(id) { return document.getElementById(id); }
  function text(id, value) { $(id).textContent = value; }

  text("kg-types-title", U.types);
  text("kg-relations-title", U.relations);
  text("kg-details-title", U.details);
  text("kg-hint", U.hint);
  $("kg-search").placeholder = U.search;

  var typeOn = D.types.map(function () { return true; });
  var relOn = D.relations.map(function () { return true; });
  var nodeType = D.nodes.map(function (n) { return n[0]; });
  var edgeRel = D.edges.map(function (e) { return e[2]; });

  var nodes = new vis.DataSet(D.nodes.map(function (n, i) {
    return {id: i, group: D.types[n[0]].key, label: n[1], value: n[2], x: n[3], y: n[4],
            title: n[5]};
  }));
  var edges = new vis.DataSet(D.edges.map(function (e, i) {
    var r = D.relations[e[2]];
    var item = {id: i, from: e[0], to: e[1], label: e[3], title: e[4], dashes: r.dashes,
                width: r.width, color: {color: r.color, highlight: "#C9302C", hover: r.color}};
    if (e[5] && D.options.edges.smooth) {
      item.smooth = {enabled: true, type: e[5] > 0 ? "curvedCW" : "curvedCCW",
                     roundness: Math.abs(e[5])};
    }
    return item;
  }));
  var nodeView = new vis.DataView(nodes, {filter: function (n) { return typeOn[nodeType[n.id]]; }});
  var edgeView = new vis.DataView(edges, {filter: function (e) {
    return relOn[edgeRel[e.id]] && typeOn[nodeType[e.from]] && typeOn[nodeType[e.to]];
  }});
  var network = new vis.Network($("kg-network"), {nodes: nodeView, edges: edgeView}, D.options);

  function shown() {
    text("kg-shown", U.shown.replace("{n}", nodeView.length).replace("{N}", D.nodes.length)
      .replace("{m}", edgeView.length).replace("{M}", D.edges.length));
  }
  function refresh() { nodeView.refresh(); edgeView.refresh(); shown(); }

  function swatch(style, isEdge) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", "22");
    svg.setAttribute("height", "16");
    var shape;
    if (isEdge) {
      shape = document.createElementNS(SVG, "line");
      shape.setAttribute("x1", "1"); shape.setAttribute("y1", "8");
      shape.setAttribute("x2", "21"); shape.setAttribute("y2", "8");
      shape.setAttribute("stroke", style.color);
      shape.setAttribute("stroke-width", String(style.width + 0.6));
      if (style.dashes) { shape.setAttribute("stroke-dasharray", style.dashes.join(" ")); }
    } else {
      var points = {square: "5,2 17,2 17,14 5,14", diamond: "11,1 18,8 11,15 4,8",
                    triangle: "11,1 19,15 3,15"}[style.shape];
      if (points) {
        shape = document.createElementNS(SVG, "polygon");
        shape.setAttribute("points", points);
      } else {
        shape = document.createElementNS(SVG, "circle");
        shape.setAttribute("cx", "11");
        shape.setAttribute("cy", "8");
        shape.setAttribute("r", "6.5");
      }
      shape.setAttribute("fill", style.fill);
      shape.setAttribute("stroke", style.border);
      shape.setAttribute("stroke-width", "1.5");
    }
    svg.appendChild(shape);
    return svg;
  }
  function filters(box, list, on, isEdge) {
    list.forEach(function (item, i) {
      var row = document.createElement("label");
      row.className = "kg-row";
      var box2 = document.createElement("input");
      box2.type = "checkbox";
      box2.checked = true;
      box2.setAttribute("data-key", item.key);
      box2.addEventListener("change", function () { on[i] = box2.checked; refresh(); });
      var name = document.createElement("span");
      name.textContent = item.name;
      var count = document.createElement("span");
      count.className = "kg-count";
      count.textContent = String(item.count);
      row.appendChild(box2);
      row.appendChild(swatch(item, isEdge));
      row.appendChild(name);
      row.appendChild(count);
      $(box).appendChild(row);
    });
  }
  filters("kg-types", D.types, typeOn, false);
  filters("kg-relations", D.relations, relOn, true);
  shown();

  function details(value) {
    var box = $("kg-details");
    box.textContent = value || "";
    box.hidden = !value;
    $("kg-details-title").hidden = !value;
  }
  network.on("click", function (p) {
    if (p.nodes.length) { details(D.nodes[p.nodes[0]][5]); }
    else if (p.edges.length) { details(D.edges[p.edges[0]][4]); }
    else { details(""); }
  });

  // Search by any name: exact matches first, then prefixes, then substrings.
  function norm(s) { return String(s).normalize("NFKC").toLowerCase(); }
  var names = D.nodes.map(function (n) { return n[6].map(norm); });
  function find(query) {
    var q = norm(query.trim());
    if (!q) { return []; }
    var ranked = [[], [], []];
    for (var i = 0; i < names.length; i++) {
      var best = 3;
      for (var j = 0; j < names[i].length && best > 0; j++) {
        var name = names[i][j];
        if (name === q) { best = 0; }
        else if (best > 1 && name.lastIndexOf(q, 0) === 0) { best = 1; }
        else if (best > 2 && name.indexOf(q) >= 0) { best = 2; }
      }
      if (best < 3) { ranked[best].push(i); }
    }
    return ranked[0].concat(ranked[1], ranked[2]).slice(0, 12);
  }
  function select(i) {
    if (!typeOn[nodeType[i]]) {
      typeOn[nodeType[i]] = true;
      document.querySelectorAll("#kg-types input")[nodeType[i]].checked = true;
      refresh();
    }
    network.selectNodes([i]);
    network.focus(i, {scale: Math.max(network.getScale(), 1.1),
                      animation: {duration: 400, easingFunction: "easeInOutQuad"}});
    details(D.nodes[i][5]);
  }
  var found = [];
  function show(query) {
    var list = $("kg-results");
    list.textContent = "";
    found = find(query);
    if (query.trim() && !found.length) {
      var none = document.createElement("li");
      none.textContent = U.none;
      list.appendChild(none);
    }
    found.forEach(function (i, k) {
      var item = document.createElement("li");
      if (k === 0) { item.className = "kg-active"; }
      item.textContent = D.nodes[i][1];
      var other = document.createElement("span");
      other.className = "kg-other";
      other.textContent = D.nodes[i][6].slice(1, 4).join(" · ");
      item.appendChild(other);
      item.addEventListener("click", function () { select(i); });
      list.appendChild(item);
    });
  }
  var search = $("kg-search");
  search.addEventListener("input", function () { show(search.value); });
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && found.length) { select(found[0]); }
    if (ev.key === "Escape") { search.value = ""; show(""); }
  });

  // Settle once, then stay still: physics is switched off for good.
  function ready() {
    network.setOptions({physics: {enabled: false}});
    window.kgReady = performance.now();
    document.body.setAttribute("data-ready", "1");
  }
  if (D.stabilize > 0) {
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({physics: {enabled: false}});
      network.once("afterDrawing", ready);
      network.redraw();
    });
  } else {
    network.once("afterDrawing", ready);
  }
  window.kg = {network: network, nodes: nodes, edges: edges, find: find, select: select,
               data: D};
})();
"""
