"""Viz: from a built graph to the page's plain data, with the texts of its details panel.

:func:`viz_graph` turns the :func:`kg.analysis.projection.project` view of a graph into a
:class:`kg.viz.model.VizGraph`: names in one language, tooltips in all of them, each fact
with its quotes shown in their sentences (:func:`_in_sentence`) and their sources' title,
publisher, date and link.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import DataError
from kg.sources.clean import to_traditional
from kg.viz.model import (
    _ROLE_NAMES,
    _UI,
    LANGS,
    TYPE_NAMES,
    VizEdge,
    VizGraph,
    VizNode,
    VizQuote,
    VizSource,
    _check_lang,
)

if TYPE_CHECKING:
    from rdflib import Graph

    from kg.analysis.projection import Edge, Evidence, Node, Projection

__all__ = ["viz_graph"]

#: Sentence ends, to show a quote in its sentence; at most this many characters each side.
_SENTENCE_ENDS = "。！？!?\n"
_CONTEXT = 90
_CLOSERS = "”’」』)）"

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


def _span(start: str | None, end: str | None, date: str | None, lang: str) -> str:
    """When, as the facts say it: "2017 – 2018-05"; one end only as "from 2020" or "until
    2016-06" (not "2020 –", which reads as still going, nor "? – 2016-06")."""
    if date and not (start or end):
        return date
    if start and end:
        return f"{start} – {end}"
    if start:
        return _UI[lang]["since"].format(d=start)
    if end:
        return _UI[lang]["until"].format(d=end)
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


def _in_sentence(
    text: str | None, start: int | None, end: int | None, quote: str
) -> tuple[str, str]:
    """The rest of the sentence around ``text[start:end]`` (empty if it is not *quote*, and
    for a cited source, whose text is not in the graph: only its quotes are shown)."""
    if text is None or start is None or end is None or text[start:end] != quote:
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
    when = _span(edge.start, edge.end, edge.date, lang)
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
        headline = ", ".join(_UI[lang]["work"].format(t=s.title) for _, s in sorted(found.items()))
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
        credited.setdefault((credit.entity, credit.role), []).append(
            _UI[lang]["work"].format(t=title)
        )
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
            when=_span(e.start, e.end, e.date, lang),
            status=status(e),
            quotes=_quotes(e.evidence, texts),
            disputed=e.key in disputed,
            start=e.start or "",
            end=e.end or "",
            date=e.date or "",
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
