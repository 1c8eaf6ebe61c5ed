"""Viz: the graph as one interactive HTML page that works offline and is safe with any text.

The page draws the :func:`kg.analysis.projection.project` view of the graph with vis-network
9.1.2, the build that pyvis 0.3.2 ships. pyvis's own template is not used: it links
Bootstrap and vis-network from CDNs even in ``in_line`` mode, switches every tooltip to
raw ``innerHTML`` as soon as one title contains ``href``, and inserts the heading and
select-menu ids unescaped. Instead this module fills its own small page, kept as static
files beside it (``kg/static/graph.html``, ``graph.css``, ``graph.js``):

- vis-network's JS and CSS are inlined from pyvis's package folder; nothing is fetched
  (a Content-Security-Policy with ``default-src 'none'`` and script hashes enforces it);
- the data travels as one JSON block (``<`` ``>`` ``&`` escaped as ``\\u003c`` …) that the
  page's script parses and hands to vis-network; text reaches the DOM only through
  ``textContent`` and vis-network's string titles, which it shows with ``innerText``;
- vis node ids are opaque integers; entity ids are only shown as text;
- positions, sizes and label fonts come from :func:`kg.vizlayout.layout` (seeded, so the
  same graph gives a byte-identical file, and the exports get the same numbers); the page
  draws them with physics off, hides the edge labels that would touch another label, and
  starts at a zoom where every label can be read;
- hovering shows a short tooltip; clicking a node or an edge opens a details panel that
  scrolls, with every fact, each quote in its sentence, and the source's title,
  publisher, date and link (where the metadata records them);
- entities with no tie to draw (an article's author, editor, publisher) are left out of
  the drawing and named, with their tie, in the legend; a forecaster is drawn with an
  edge to the entity its figures are about.

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
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import DataError, KGError
from kg.project.datafile import atomic_write
from kg.sources.clean import to_traditional
from kg.viz.layout import EDGE_FONT, LABEL_LIMIT, layout

if TYPE_CHECKING:
    from rdflib import Graph

    from kg.analysis.projection import Edge, Evidence, Node, Projection

__all__ = [
    "LANGS",
    "STABILIZE_LIMIT",
    "VizEdge",
    "VizGraph",
    "VizNode",
    "VizQuote",
    "VizSource",
    "page_layout",
    "render_html",
    "viz_graph",
    "write_html",
    "write_viz_html",
]

LANGS = ("zh-Hans", "zh-Hant", "en")
#: Up to this many nodes the page keeps labels apart and starts zoomed in to read them;
#: larger graphs are drawn as laid out, labels appearing as one zooms in.
STABILIZE_LIMIT = LABEL_LIMIT
#: The page starts at no smaller zoom than this (node labels of 14 px stay 12.6 px or more).
MIN_SCALE = 0.9
_VIS = "vis-9.1.2"
_STATIC = Path(__file__).resolve().parent.parent / "static"
_FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", ' + (
    '"Microsoft YaHei", "Noto Sans CJK TC", "Noto Sans", sans-serif'
)
_FONT_HANT = (
    _FONT.replace("CJK SC", "CJK TC")
    .replace("Sans SC", "Sans TC")
    .replace("PingFang SC", "PingFang TC")
)
#: Sentence ends, to show a quote in its sentence; at most this many characters each side.
_SENTENCE_ENDS = "。！？!?\n"
_CONTEXT = 90
_CLOSERS = "”’」』)）"

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
    "forecast": {"color": "#7A5BA6", "width": 1.4, "dashes": [2, 3]},
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
        "close": "关闭",
        "none": "没有匹配的名字",
        "shown": "显示 {n} / {N} 个实体,{m} / {M} 条关系",
        "hint": "悬停查看名称;点击实体或连线,查看全部事实、原文句子和来源;滚轮缩放,拖动平移。",
        "aka": "别名",
        "id": "标识",
        "facts": "{n} 条事实",
        "click_node": "点击查看全部 {n} 条事实及原文",
        "click_edge": "点击查看原文句子和来源",
        "not_drawn": "未画出的实体",
        "labels_hidden": "{k} 条关系的名称放不下,没有画出;悬停或点击连线即可看到。",
        "no_date": "发布日期未记录",
        "no_url": "原文链接未记录",
        "disputed": "⚠ 来源之间有分歧,见 kg conflicts",
        "original": "原文",
        "author": "{name}:{title}的作者",
        "editor": "{name}:{title}的编辑",
        "publisher": "{name}:{title}的出版方",
        "no_tie": "{name}:与图中其他实体没有关系",
    },
    "zh-Hant": {
        "title": "中國AI產業知識圖譜",
        "search": "搜尋人物、機構、產品(中文或英文)",
        "types": "類型",
        "relations": "關係",
        "details": "詳情",
        "close": "關閉",
        "none": "沒有相符的名字",
        "shown": "顯示 {n} / {N} 個實體,{m} / {M} 條關係",
        "hint": "懸停查看名稱;點擊實體或連線,查看全部事實、原文句子和來源;滾輪縮放,拖動平移。",
        "aka": "別名",
        "id": "標識",
        "facts": "{n} 條事實",
        "click_node": "點擊查看全部 {n} 條事實及原文",
        "click_edge": "點擊查看原文句子和來源",
        "not_drawn": "未畫出的實體",
        "labels_hidden": "{k} 條關係的名稱放不下,沒有畫出;懸停或點擊連線即可看到。",
        "no_date": "發布日期未記錄",
        "no_url": "原文連結未記錄",
        "disputed": "⚠ 來源之間有分歧,見 kg conflicts",
        "original": "原文",
        "author": "{name}:{title}的作者",
        "editor": "{name}:{title}的編輯",
        "publisher": "{name}:{title}的出版方",
        "no_tie": "{name}:與圖中其他實體沒有關係",
    },
    "en": {
        "title": "China's AI industry: knowledge graph",
        "search": "Find a person, company or product (any language)",
        "types": "Types",
        "relations": "Relations",
        "details": "Details",
        "close": "Close",
        "none": "No matching name",
        "shown": "Showing {n} / {N} entities, {m} / {M} relations",
        "hint": "Hover for names; click an entity or a line for every fact, the sentence it "
        "comes from and its source; scroll to zoom, drag to pan.",
        "aka": "also",
        "id": "id",
        "facts": "{n} facts",
        "click_node": "Click for all {n} facts and their sources",
        "click_edge": "Click for the sentence and its source",
        "not_drawn": "Not drawn",
        "labels_hidden": "{k} relation names did not fit and are not drawn; hover over or "
        "click a line to see them.",
        "no_date": "publication date not recorded",
        "no_url": "link to the original not recorded",
        "disputed": "⚠ the sources disagree: see kg conflicts",
        "original": "original",
        "author": "{name}: author of {title}",
        "editor": "{name}: editor of {title}",
        "publisher": "{name}: publisher of {title}",
        "no_tie": "{name}: no tie to another entity in the graph",
    },
}


# --- plain data the page is made from -------------------------------------------------


@dataclass(frozen=True)
class VizSource:
    """A source as the details panel cites it; empty fields are shown as not recorded."""

    title: str
    publisher: str = ""
    date: str = ""
    url: str = ""


@dataclass(frozen=True)
class VizQuote:
    """One quote of a fact, with the rest of its sentence around it."""

    source: str  #: source id, a key of :attr:`VizGraph.sources`
    quote: str
    before: str = ""
    after: str = ""


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
        Plain text shown on hover and at the top of the details panel (newlines kept; the
        first line is the heading).
    """

    id: str
    type: str
    label: str
    names: tuple[str, ...] = ()
    tooltip: str = ""


@dataclass(frozen=True)
class VizEdge:
    """One directed, labelled edge of the page (``source`` -> ``target``).

    ``when`` and ``status`` are shown beside the fact in the details panel, ``quotes``
    under it.
    """

    source: str
    target: str
    relation: str
    label: str = ""
    tooltip: str = ""
    when: str = ""
    status: str = ""
    disputed: bool = False  #: another source's statement contradicts it (kg conflicts)
    quotes: tuple[VizQuote, ...] = ()


@dataclass
class VizGraph:
    """Everything one page shows: nodes, edges and the texts around them.

    ``relation_names`` maps a relation key to the name the filter shows (default: the key);
    ``sources`` the source ids quotes cite to their metadata; ``notes`` lists, in the
    legend, the entities left out of the drawing and why.
    """

    nodes: list[VizNode]
    edges: list[VizEdge]
    lang: str = "zh-Hans"
    title: str = ""
    subtitle: str = ""
    relation_names: dict[str, str] = field(default_factory=dict)
    sources: dict[str, VizSource] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


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


def _sources(graph: Graph, lang: str) -> tuple[dict[str, VizSource], dict[str, str]]:
    """Each article's title, publisher, date and URL, and its clean Simplified text."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, RDFS

    from kg.project.namespaces import BASE, PREFIXES

    schema = PREFIXES["schema"]
    found, texts = {}, {}
    for article in graph.subjects(RDF.type, URIRef(schema + "CreativeWork")):
        sid = str(article).removeprefix(BASE + "source/")

        def texts_of(node: Any, prop: str) -> dict[str, str]:
            return {
                str(o.language): str(o)
                for o in graph.objects(node, URIRef(prop))
                if isinstance(o, Literal) and o.language
            }

        publisher = graph.value(article, URIRef(schema + "publisher"))
        names = texts_of(publisher, str(RDFS.label)) if publisher is not None else {}
        date = graph.value(article, URIRef(schema + "datePublished"))
        url = graph.value(article, URIRef(schema + "url"))
        found[sid] = VizSource(
            title=_say(texts_of(article, schema + "headline"), lang, sid),
            publisher=_say(names, lang, "") if names else "",
            date=str(date) if date is not None else "",
            url=str(url) if url is not None else "",
        )
        bodies = texts_of(article, schema + "text")
        body = bodies.get("zh-Hans", bodies.get("en"))
        if body is not None:
            texts[sid] = body
    return found, texts


def _in_sentence(text: str | None, start: int, end: int, quote: str) -> tuple[str, str]:
    """The rest of the sentence around ``text[start:end]`` (empty if it is not *quote*)."""
    if text is None or text[start:end] != quote:
        return "", ""
    left = max(text.rfind(c, 0, start) for c in _SENTENCE_ENDS) + 1
    while left < start and text[left] in _CLOSERS:
        left += 1  # a closing quote after the full stop ends the sentence before
    ends = [i for i in (text.find(c, end) for c in _SENTENCE_ENDS) if i >= 0]
    right = min(ends) if ends else len(text)
    if right < len(text) and text[right] != "\n":
        right += 1  # keep the full stop, and the closing quotes after it
        while right < len(text) and text[right] in _CLOSERS:
            right += 1
    before, after = text[left:start], text[end:right]
    if len(before) > _CONTEXT:
        before = "…" + before[-_CONTEXT:]
    if len(after) > _CONTEXT:
        after = after[:_CONTEXT] + "…"
    return before, after


def _quotes(evidence: Sequence[Evidence], texts: Mapping[str, str]) -> tuple[VizQuote, ...]:
    return tuple(
        VizQuote(
            ev.source, ev.quote, *_in_sentence(texts.get(ev.source), ev.start, ev.end, ev.quote)
        )
        for ev in evidence
    )


def _edge_tooltip(edge: Edge, nodes: Mapping[str, Node], lang: str) -> str:
    """Who, what, when, and the quotes: no more than the facts say."""
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
        lines.extend(f"“{ev.quote}”" for ev in edge.evidence)
    lines += ["", _UI[lang]["click_edge"]]
    return "\n".join(lines)


def _node_info(node: Node, lang: str) -> str:
    ui = _UI[lang]
    lines = [_all_names(node.labels, node.id)]
    kind = TYPE_NAMES.get(node.type, TYPE_NAMES["Other"])[lang]
    lines.append(f"{kind} · {node.kind}" if node.kind else kind)
    names = {node.labels.get(x) for x in LANGS}
    alts = [a for a in node.alt_labels if a not in names]
    if alts:
        lines.append(f"{ui['aka']}: {', '.join(alts)}")
    lines.append(f"{ui['id']}: {node.id}")
    return "\n".join(lines)


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise KGError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")


def viz_graph(
    graph: Graph | Projection,
    lang: str = "zh-Hans",
    relations: Path | None = None,
    sources: Mapping[str, tuple[str, str] | VizSource] | None = None,
) -> VizGraph:
    """The page data of a built graph: names in *lang*, facts with their quotes and sources.

    Parameters
    ----------
    graph : rdflib.Graph or kg.analysis.projection.Projection
        A built graph, or its projection (then *sources* may name the articles, and quotes
        are shown without their sentences: a projection holds no text).
    lang : {'zh-Hans', 'zh-Hant', 'en'}
        The language of the names drawn; tooltips show every language.
    relations : path, optional
        The relation vocabulary, passed to :func:`kg.analysis.projection.project`.
    sources : mapping, optional
        ``{source id: VizSource or (headline, publisher)}``; read from *graph* when it is
        a Graph.

    Returns
    -------
    VizGraph
        Nodes sorted by entity id: every entity with a fact or a forecast to draw. The
        others are listed in ``notes`` with their tie (author, editor or publisher of an
        article) or as having none.
    """
    from kg.analysis.projection import Projection, project

    _check_lang(lang)
    texts: dict[str, str] = {}
    if isinstance(graph, Projection):
        proj = graph
        found = {
            k: v if isinstance(v, VizSource) else VizSource(*v) for k, v in (sources or {}).items()
        }
        headline = ""
    else:
        proj = project(graph, relations)
        found, texts = _sources(graph, lang)
        headline = ", ".join(f"《{s.title}》" for _, s in sorted(found.items()))
    ui = _UI[lang]
    drawn = [*proj.edges, *proj.forecasts]
    touching: Counter[str] = Counter()
    for edge in drawn:
        if edge.source not in proj.nodes or edge.target not in proj.nodes:
            raise DataError(f"edge {edge.key or edge.relation} joins an unknown entity")
        touching[edge.source] += 1
        touching[edge.target] += 1
    nodes = []
    for nid, node in sorted(proj.nodes.items()):
        if not touching[nid]:
            continue
        names = [node.labels[x] for x in LANGS if node.labels.get(x)]
        names += [a for a in node.alt_labels if a not in names]
        nodes.append(
            VizNode(
                id=nid,
                type=node.type,
                label=_say(node.labels, lang, nid),
                names=(*names, nid),
                tooltip=_node_info(node, lang),
            )
        )
    notes = []
    credited: dict[tuple[str, str], list[str]] = {}  # (entity, role) -> titles, in order
    for credit in proj.credits:
        if touching[credit.entity]:
            continue
        title = found[credit.source].title if credit.source in found else credit.source
        credited.setdefault((credit.entity, credit.role), []).append(f"《{title}》")
    for (entity, role), titles in credited.items():
        node = proj.nodes[entity]
        notes.append(
            ui[role].format(
                name=_say(node.labels, lang, node.id),
                title=("、" if lang != "en" else ", ").join(dict.fromkeys(titles)),
            )
        )
    for nid, node in sorted(proj.nodes.items()):
        if not touching[nid] and nid not in {e for e, _ in credited}:
            notes.append(ui["no_tie"].format(name=_say(node.labels, lang, nid)))
    # Statements that another source's statement contradicts (kg:conflictsWith) are marked.
    disputed = {e.key for e in drawn if e.disputed}

    def status(e: Edge) -> str:
        parts = [e.status or "", ui["disputed"] if e.key in disputed else ""]
        return " · ".join(p for p in parts if p)

    edges = [
        VizEdge(
            source=e.source,
            target=e.target,
            relation=e.relation,
            label=("⚠ " if e.key in disputed else "") + _say(e.labels, lang, e.relation),
            tooltip=_edge_tooltip(replace(e, status=status(e)), proj.nodes, lang),
            when=_span(e.start, e.end, e.date),
            status=status(e),
            quotes=_quotes(e.evidence, texts),
            disputed=e.key in disputed,
        )
        for e in drawn
    ]
    relation_names = {}
    for e in drawn:
        if e.relation == "role":
            relation_names["role"] = _ROLE_NAMES[lang]
        elif e.relation not in relation_names:
            relation_names[e.relation] = _say(e.labels, lang, e.relation)
    return VizGraph(
        nodes=nodes,
        edges=edges,
        lang=lang,
        title=ui["title"],
        subtitle=headline,
        relation_names=relation_names,
        sources=found,
        notes=notes,
    )


# --- the page --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _static() -> tuple[str, str, str]:
    """The page's markup, style and script (``kg/static/graph.*``)."""
    try:
        return tuple(  # type: ignore[return-value]
            (_STATIC / name).read_text(encoding="utf-8")
            for name in ("graph.html", "graph.css", "graph.js")
        )
    except OSError as exc:  # pragma: no cover - a broken installation
        raise KGError(f"the page's files are missing from {_STATIC}: {exc}") from exc


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
            "chosen": {"node": True, "label": False},
            "font": {
                "face": face,
                "size": 14,
                "color": "#1A1A1A",
                "strokeWidth": 4,
                "strokeColor": "#FFFFFF",
            },
            # Sizes and label fonts come per node from kg.viz.layout (as in the exports).
            "scaling": {"label": {"drawThreshold": 6}},
        },
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.55}},
            "arrowStrikethrough": True,  # so a label sits at the middle between the centres
            "font": {
                "face": face,
                "size": EDGE_FONT,
                "color": "#4A4A4A",
                "strokeWidth": 3,
                "strokeColor": "#FFFFFF",
                "align": "horizontal",
            },
            # Straight lines, so they stay where the layout (and the exports) put them and
            # each label sits at the middle of its edge, where kg.viz.layout kept room for it
            # (edges between the same two nodes are drawn as one, see _drawn_labels).
            "smooth": False,
            "selectionWidth": 1.5,
            "chosen": {"edge": True, "label": False},  # a bold label would grow into others
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


@dataclass(frozen=True)
class _Placed:
    """The page's nodes and edges in drawing order, with the layout of the nodes."""

    nodes: list[VizNode]
    edges: list[VizEdge]
    pairs: list[tuple[int, int]]
    x: list[int]
    y: list[int]
    size: list[float]
    font: list[int]
    drawn: list[str]


def _place(vg: VizGraph, seed: int) -> _Placed:
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
    drawn = _drawn_labels(pairs, [e.label for e in edges])
    ends = [(pairs[i][0], pairs[i][1], text) for i, text in enumerate(drawn) if text]
    placed = layout(len(nodes), pairs, [n.label for n in nodes], seed, ends)
    return _Placed(nodes, edges, pairs, placed.x, placed.y, placed.size, placed.font, drawn)


def _drawn_labels(pairs: Sequence[tuple[int, int]], labels: Sequence[str]) -> list[str]:
    """The label drawn on each edge: edges between the same two nodes share one.

    The first edge of a pair carries the pair's relation names, one line each (a name twice
    only once); the others are drawn without a label.
    """
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (a, b) in enumerate(pairs):
        groups.setdefault((min(a, b), max(a, b)), []).append(i)
    drawn = [""] * len(pairs)
    for members in groups.values():
        names = [labels[i] for i in members if labels[i]]
        drawn[members[0]] = "\n".join(dict.fromkeys(names))
    return drawn


def page_layout(vg: VizGraph, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Where and how the page draws each node: ``{id: {x, y, size, font, fill, border}}``.

    The exports use it, so Gephi shows the page's positions (vis-network's y axis points
    down), sizes (radius in px) and colours.
    """
    placed = _place(vg, seed)
    return {
        n.id: {
            "x": placed.x[i],
            "y": placed.y[i],
            "size": placed.size[i],
            "font": placed.font[i],
            "fill": TYPE_STYLES[_type(n.type)]["fill"],
            "border": TYPE_STYLES[_type(n.type)]["border"],
        }
        for i, n in enumerate(placed.nodes)
    }


def relation_style(relation: str) -> dict[str, Any]:
    """Colour, width and dashes of a relation's edges on the page."""
    return {"dashes": False, **RELATION_STYLES.get(relation, _DEFAULT_RELATION_STYLE)}


def _payload(vg: VizGraph, seed: int, stabilize: int) -> dict[str, Any]:
    """The page's data: compact arrays indexed by opaque integer ids."""
    placed = _place(vg, seed)
    nodes, edges, pairs = placed.nodes, placed.edges, placed.pairs
    types = sorted({_type(n.type) for n in nodes}, key=_TYPE_ORDER.index)
    type_ix = {t: i for i, t in enumerate(types)}
    order = list(RELATION_STYLES)
    rels = sorted(
        {e.relation for e in edges}, key=lambda r: (order.index(r) if r in order else len(order), r)
    )
    rel_ix = {r: i for i, r in enumerate(rels)}
    type_counts = Counter(_type(n.type) for n in nodes)
    rel_counts = Counter(e.relation for e in edges)
    cited = sorted({q.source for e in edges for q in e.quotes})
    source_ix = {s: i for i, s in enumerate(cited)}
    sources = []
    for sid in cited:
        src = vg.sources.get(sid, VizSource(sid))
        sources.append([src.title, src.publisher, src.date, src.url])
    small = len(nodes) <= LABEL_LIMIT
    return {
        "seed": seed,
        "stabilize": stabilize,
        "placeLabels": small and not stabilize,
        "minScale": MIN_SCALE if small else 0,
        "ui": dict(_UI[vg.lang]),
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
                **relation_style(r),
            }
            for r in rels
        ],
        "sources": sources,
        "notes": list(vg.notes),
        # [type, label, size, x, y, info, names, font]
        "nodes": [
            [
                type_ix[_type(n.type)],
                n.label,
                placed.size[i],
                placed.x[i],
                placed.y[i],
                n.tooltip,
                list(dict.fromkeys((n.label, *n.names))),
                placed.font[i],
            ]
            for i, n in enumerate(nodes)
        ],
        # [from, to, relation, label, tooltip, bend, when, status, quotes, drawn label,
        #  disputed]
        "edges": [
            [
                a,
                b,
                rel_ix[e.relation],
                e.label,
                e.tooltip,
                bend,
                e.when,
                e.status,
                [[source_ix[q.source], q.before, q.quote, q.after] for q in e.quotes],
                drawn,
                1 if e.disputed else 0,
            ]
            for (a, b), e, bend, drawn in zip(
                pairs, edges, _bends(pairs, small), placed.drawn, strict=True
            )
        ],
    }


def _bends(pairs: Sequence[tuple[int, int]], merged: bool = False) -> list[float]:
    """How much to curve each edge so that edges between the same two nodes fan out.

    A lone edge gets 0 (drawn with the default smoothing); the k-th of m parallel edges gets
    a signed roundness, its sign taken relative to the pair's own orientation so that
    A -> B and B -> A bend to different sides. With *merged* (the small graphs, where the
    edges of a pair share one label, see :func:`_drawn_labels`) every edge is straight, so
    a pair is drawn as one line with one label.
    """
    if merged:
        return [0.0] * len(pairs)
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
        Seeds the layout (:func:`kg.vizlayout.layout`) and vis-network's ``randomSeed``.
    stabilize : int, optional
        vis-network physics iterations to run from the precomputed layout before the page
        freezes it. Default 0: the page draws the layout as computed, the positions the
        exports carry too (physics would move the nodes away from them).

    Returns
    -------
    str
        The HTML document.
    """
    stabilize = stabilize or 0
    if not vg.nodes:
        stabilize = 0  # vis-network announces no stabilization for an empty network
    if stabilize < 0:
        raise KGError(f"stabilize must be 0 or more iterations, not {stabilize}")
    page, css, page_js = _static()
    vis_js, vis_css = _vis_assets()
    data = _json_for_html(_payload(vg, seed, stabilize))
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_csp_hash(vis_js)} {_csp_hash(page_js)}",
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
        "PAGE_CSS": css,
        "VIS_JS": vis_js,
        "PAGE_JS": page_js,
        "DATA": data,
    }
    # One pass, so text inserted for one field is never scanned for another.
    return re.sub(r"@@([A-Z_]+)@@", lambda m: fields[m.group(1)], page)


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
    >>> from kg.viz.page import write_html
    >>> write_html("build/kg.nt", "build/graph.html", lang="en")  # doctest: +SKIP
    PosixPath('build/graph.html')
    """
    _check_lang(lang)
    if isinstance(graph, str | Path):
        from kg.graph.build import load_graph

        graph = load_graph(Path(graph))
    return write_viz_html(viz_graph(graph, lang, relations), out, seed=seed)
