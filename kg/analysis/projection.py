"""Projection: the RDF graph seen as entities and labelled edges, in plain Python.

This is the one place that decides which RDF nodes are entities and which
triples are edges between them: people, organisations, stock markets and
products are nodes; reified facts between two of them, and role memberships,
are edges, each with its dates and evidence quotes. ``rdf:type``, statement,
evidence and figure nodes never become vertices. The analysis (NetworkX) and
the interactive HTML (pyvis) both start from here; this module imports neither.

Two kinds of tie are kept apart from the facts, so measures over the facts are not
changed by them: ``forecasts`` (who forecast a figure about whom, read from the
figures' ``kg:forecastBy``) and ``credits`` (who wrote, edited or published an
article). The page draws the first and names the second in its legend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.data.model import Relation
from kg.data.vocabulary import load_vocabulary
from kg.project import project_root
from kg.project.namespaces import BASE, PREFIXES, expand

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = ["FORECAST_LABELS", "Credit", "Edge", "Node", "Projection", "project"]

_TYPES = {
    PREFIXES["schema"] + "Person": "Person",
    PREFIXES["schema"] + "Organization": "Organization",
    BASE + "StockMarket": "StockMarket",
    PREFIXES["schema"] + "Product": "Product",
}
LANGS = ("zh-Hans", "zh-Hant", "en")
#: How a forecast tie is said, read forecaster -> the entity the figures are about.
FORECAST_LABELS = {"zh-Hans": "预测", "zh-Hant": "預測", "en": "forecast for"}
#: The article properties that credit an entity, in the order they are listed.
CREDITS = ("author", "editor", "publisher")


@dataclass(frozen=True)
class Evidence:
    source: str  #: source id, e.g. jiemian-baidu-ai-decade
    quote: str
    start: int | None  #: None for a cited source's quote not checked against its text
    end: int | None

    @property
    def order(self) -> tuple[str, int, int]:
        return (self.source, -1 if self.start is None else self.start, self.end or -1)


@dataclass
class Node:
    id: str  #: entity id, e.g. person/lu-qi
    type: str  #: Person, Organization, StockMarket or Product
    labels: dict[str, str]  #: zh-Hans, zh-Hant, en
    alt_labels: list[str] = field(default_factory=list)
    kind: str | None = None

    def label(self, lang: str = "zh-Hans") -> str:
        return self.labels.get(lang) or self.labels.get("zh-Hans") or self.id


@dataclass
class Edge:
    source: str  #: entity id the edge starts at
    target: str  #: entity id it points to
    relation: str  #: relation name (founder, alumniOf, …) or "role"
    labels: dict[str, str]  #: how to say the edge, read source -> target
    start: str | None = None
    end: str | None = None
    date: str | None = None
    status: str | None = None
    role: str | None = None  #: role id for memberships (role/ceo)
    evidence: list[Evidence] = field(default_factory=list)
    key: str = ""  #: the IRI of the statement or membership node
    disputed: bool = False  #: another source's statement contradicts it (kg:conflictsWith)

    def label(self, lang: str = "zh-Hans") -> str:
        return self.labels.get(lang) or self.labels.get("zh-Hans") or self.relation


@dataclass(frozen=True)
class Credit:
    """An entity named by an article's metadata: its author, editor or publisher."""

    entity: str  #: entity id
    role: str  #: author, editor or publisher
    source: str  #: source id


@dataclass
class Projection:
    nodes: dict[str, Node]
    edges: list[Edge]
    #: forecaster -> subject, one edge per pair, with the figures' quotes as evidence
    forecasts: list[Edge] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)


def _relations(path: Path | None) -> dict[str, Relation]:
    """The relation vocabulary keyed by predicate IRI."""
    vocabulary = load_vocabulary(path or project_root() / "data" / "relations.yaml")
    return {expand(r.predicate): r for r in vocabulary.relations.values()}


def _local(iri: str) -> str:
    return iri[len(BASE) :] if iri.startswith(BASE) else iri


def project(graph: Graph, relations: Path | None = None) -> Projection:
    """Project *graph* into entity nodes and labelled, evidenced edges.

    Parameters
    ----------
    graph : rdflib.Graph
        A graph built by :func:`kg.graph.build.build_graph` (or loaded from its files).
    relations : path, optional
        The relation vocabulary (default ``data/relations.yaml``), which gives
        each predicate its name and display labels.

    Returns
    -------
    Projection
        Nodes keyed by entity id, and edges sorted for determinism. Founding is
        read person -> organisation ("founded"); every other edge keeps the
        direction of its triple. A membership becomes a person -> organisation
        edge labelled with the role ("CEO").
    """
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, RDFS, SKOS

    schema, org, prov, oa, kg = (
        PREFIXES["schema"],
        PREFIXES["org"],
        PREFIXES["prov"],
        PREFIXES["oa"],
        PREFIXES["kg"],
    )
    table = _relations(relations)

    nodes: dict[str, Node] = {}
    for iri, kind in _TYPES.items():
        for subject in graph.subjects(RDF.type, URIRef(iri)):
            eid = _local(str(subject))
            labels = {
                str(o.language): str(o)
                for o in graph.objects(subject, RDFS.label)
                if isinstance(o, Literal) and o.language in LANGS
            }
            alts = sorted({str(o) for o in graph.objects(subject, SKOS.altLabel)})
            category = graph.value(subject, URIRef(schema + "category"))
            node = nodes.get(eid)
            if node is None or kind == "StockMarket":  # the most specific type wins
                nodes[eid] = Node(eid, kind, labels, alts, str(category) if category else None)

    def evidence(node: Any) -> list[Evidence]:
        found = []
        for span in graph.objects(node, URIRef(prov + "wasDerivedFrom")):
            source = graph.value(span, URIRef(oa + "hasSource"))
            if source is None:
                continue  # a public web page, not an article span
            quote = start = end = None
            for selector in graph.objects(span, URIRef(oa + "hasSelector")):
                quote = quote or graph.value(selector, URIRef(oa + "exact"))
                start = start if start is not None else graph.value(selector, URIRef(oa + "start"))
                end = end if end is not None else graph.value(selector, URIRef(oa + "end"))
            if quote is not None:  # a cited source's unchecked quote has no position
                found.append(
                    Evidence(
                        _local(str(source)).removeprefix("source/"),
                        str(quote),
                        None if start is None else int(str(start)),
                        None if end is None else int(str(end)),
                    )
                )
        return sorted(found, key=lambda e: e.order)

    def smallest(node: Any, iri: str) -> str | None:
        """The value of *iri* on *node*: the smallest where a merged fact has several, so
        that the answer does not depend on the order the store holds them in."""
        found = [str(o) for o in graph.objects(node, URIRef(iri))]
        return min(found) if found else None

    def dates(node: Any) -> dict[str, str | None]:
        return {
            key: smallest(node, iri)
            for key, iri in (
                ("start", schema + "startDate"),
                ("end", schema + "endDate"),
                ("date", kg + "date"),
            )
        }

    edges: list[Edge] = []
    for st in graph.subjects(RDF.type, RDF.Statement):
        s, p, o = (
            graph.value(st, RDF.subject),
            graph.value(st, RDF.predicate),
            graph.value(st, RDF.object),
        )
        if not isinstance(o, URIRef) or p is None or str(p) not in table:
            continue
        source, target = _local(str(s)), _local(str(o))
        if source not in nodes or target not in nodes:
            continue
        spec = table[str(p)]
        labels = spec.labels
        if spec.verb:  # e.g. founder: read person -> organisation, "founded"
            source, target, labels = target, source, spec.verb
        edges.append(
            Edge(
                source,
                target,
                spec.name,
                dict(labels),
                status=smallest(st, kg + "status"),
                evidence=evidence(st),
                key=str(st),
                disputed=(st, URIRef(kg + "conflictsWith"), None) in graph,
                **dates(st),
            )
        )

    for membership in graph.subjects(RDF.type, URIRef(org + "Membership")):
        member = graph.value(membership, URIRef(org + "member"))
        organization = graph.value(membership, URIRef(org + "organization"))
        role = graph.value(membership, URIRef(org + "role"))
        if member is None or organization is None or role is None:
            continue
        role_labels = {
            str(o.language): str(o)
            for o in graph.objects(role, RDFS.label)
            if isinstance(o, Literal) and o.language
        }
        edges.append(
            Edge(
                _local(str(member)),
                _local(str(organization)),
                "role",
                role_labels,
                role=_local(str(role)),
                evidence=evidence(membership),
                key=str(membership),
                disputed=(membership, URIRef(kg + "conflictsWith"), None) in graph,
                **{k: v for k, v in dates(membership).items() if k != "date"},
            )
        )
    edges.sort(key=lambda e: (e.source, e.relation, e.target, e.role or "", e.start or "", e.key))

    # Forecasts: the figures someone is named as forecasting, one tie per (forecaster, subject).
    by_pair: dict[tuple[str, str], list[Any]] = {}
    for figure in graph.subjects(URIRef(kg + "forecastBy"), None):
        about = graph.value(figure, URIRef(schema + "about"))
        for who in graph.objects(figure, URIRef(kg + "forecastBy")):
            pair = (_local(str(who)), _local(str(about)))
            if about is not None and pair[0] in nodes and pair[1] in nodes:
                by_pair.setdefault(pair, []).append(figure)
    forecasts = []
    for (forecaster_id, subject_id), figures in sorted(by_pair.items()):
        figures = sorted(set(figures), key=str)
        periods = {str(graph.value(f, URIRef(kg + "period")) or "") for f in figures}
        found = sorted({ev for f in figures for ev in evidence(f)}, key=lambda e: e.order)
        forecasts.append(
            Edge(
                forecaster_id,
                subject_id,
                "forecast",
                dict(FORECAST_LABELS),
                date=periods.pop() if len(periods) == 1 and "" not in periods else None,
                evidence=found,
                key=str(figures[0]),
            )
        )

    credits = []
    for article in graph.subjects(RDF.type, URIRef(schema + "CreativeWork")):
        sid = _local(str(article)).removeprefix("source/")
        for credit in CREDITS:
            for who in graph.objects(article, URIRef(schema + credit)):
                if _local(str(who)) in nodes:
                    credits.append(Credit(_local(str(who)), credit, sid))
    credits.sort(key=lambda c: (c.source, CREDITS.index(c.role), c.entity))
    return Projection(
        nodes=dict(sorted(nodes.items())), edges=edges, forecasts=forecasts, credits=credits
    )
