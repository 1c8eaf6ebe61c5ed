"""The entity graph as NetworkX graphs: built, looked up, written.

One of the few modules of kg that import networkx (with :mod:`kg.analysis.diaspora`,
:mod:`kg.analysis.network` and :mod:`kg.analysis.drawing`), and only inside
functions. Every graph here is a projection chosen by relation, starting from
:func:`kg.analysis.projection.project`: entities (people, organisations, stock markets,
products) are vertices, facts between two of them are edges; ``rdf:type``,
statement, evidence and figure nodes never are.

- :func:`entity_graph` — a ``MultiDiGraph`` of entities; one edge per fact,
  keyed by the IRI of its statement, with the relation, labels, dates and
  evidence quotes as attributes.
- :func:`from_edges` — a small entity graph for examples and tests.
- :func:`label`, :func:`resolve` — an entity's name, and the entity a name means.
- :func:`person_org_graph` — the person–organisation bipartite graph.

The diaspora of an organisation is :mod:`kg.analysis.diaspora`; centrality,
communities and paths :mod:`kg.analysis.network`; the drawings
:mod:`kg.analysis.drawing`. All of it (and the timeline) as plain data for
``kg analyze`` is :func:`kg.analysis.report.diaspora_report`.

Functions take the graph first, return plain data, and take an explicit
``seed`` wherever randomness enters. Anything that accepts an entity graph also
accepts an rdflib ``Graph`` or a :class:`~kg.analysis.projection.Projection`.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kg.analysis.projection import LANGS, Edge, Node, Projection
from kg.errors import KGError

if TYPE_CHECKING:
    import networkx as nx
    from rdflib import Graph

__all__ = [
    "PERSON_ORG",
    "UnknownEntityError",
    "entity_graph",
    "from_edges",
    "label",
    "person_org_graph",
    "resolve",
]


#: Relations between a person and an organisation (the bipartite graph's edges).
PERSON_ORG = ("alumniOf", "worksFor", "founder", "role")


_TYPE_OF_PREFIX = {
    "person": "Person",
    "org": "Organization",
    "market": "StockMarket",
    "product": "Product",
}


class UnknownEntityError(KGError):
    """An entity id or name that is not in the graph (the message suggests close matches)."""


def _is_nx(obj: Any) -> bool:
    return hasattr(obj, "adj") and hasattr(obj, "graph")


def entity_graph(
    graph: Any,
    *,
    relations: Iterable[str] | None = None,
    isolates: bool = False,
) -> nx.MultiDiGraph:
    """Project *graph* into a NetworkX ``MultiDiGraph`` of entities.

    Parameters
    ----------
    graph : rdflib.Graph, Projection or networkx.MultiDiGraph
        A built graph, its :func:`kg.analysis.projection.project`, or an entity graph
        (returned as it is, or filtered by *relations*).
    relations : iterable of str, optional
        Keep only edges of these relations (``founder``, ``alumniOf``,
        ``worksFor``, ``role``, ``competitorOf``, …); default all.
    isolates : bool
        Keep entities with no edge (such as the article's author); default
        False, so measures are not diluted by them.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes are entity ids with ``type``, ``label`` (zh-Hans) and
        ``label_<lang>`` for each language, ``alt_labels`` (list) and ``kind``;
        organisations read from RDF also get ``former_names`` and
        ``listing_status``. Edges run as the facts read (person → organisation
        for "founded") and are keyed by the statement IRI, with ``relation``,
        ``label_<lang>``, ``start``, ``end``, ``date``, ``status``, ``role``
        and ``evidence`` (list of quotes).

    Examples
    --------
    >>> G = from_edges([("person/a", "founder", "org/x"), ("person/a", "alumniOf", "org/b")])
    >>> sorted(G.nodes)
    ['org/b', 'org/x', 'person/a']
    >>> sorted(d["relation"] for _, _, d in G.edges(data=True))
    ['alumniOf', 'founder']
    >>> sorted(entity_graph(G, relations=["founder"]).nodes)
    ['org/x', 'person/a']
    """
    import networkx as nx

    keep = set(relations) if relations is not None else None
    if _is_nx(graph):
        if keep is None:
            return graph
        G = nx.MultiDiGraph()
        G.graph.update(graph.graph)
        G.add_nodes_from(graph.nodes(data=True))
        G.add_edges_from(
            (u, v, k, d)
            for u, v, k, d in graph.edges(keys=True, data=True)
            if d["relation"] in keep
        )
    else:
        projection = graph if isinstance(graph, Projection) else _project(graph)
        G = nx.MultiDiGraph()
        for node in projection.nodes.values():
            G.add_node(node.id, **_node_attrs(node))
        for edge in projection.edges:
            if keep is None or edge.relation in keep:
                G.add_edge(edge.source, edge.target, key=edge.key, **_edge_attrs(edge))
        if not isinstance(graph, Projection):
            _add_literal_facts(G, graph)
    if not isolates:
        G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    return G


def _project(graph: Graph) -> Projection:
    from kg.analysis.projection import project

    return project(graph)


def _node_attrs(node: Node) -> dict[str, Any]:
    attrs: dict[str, Any] = {"type": node.type, "label": node.label("zh-Hans")}
    for lang in LANGS:
        attrs[f"label_{lang}"] = node.label(lang)
    attrs["alt_labels"] = list(node.alt_labels)
    attrs["kind"] = node.kind
    return attrs


def _edge_attrs(edge: Edge) -> dict[str, Any]:
    attrs: dict[str, Any] = {"relation": edge.relation}
    for lang in LANGS:
        attrs[f"label_{lang}"] = edge.label(lang)
    attrs.update(
        start=edge.start,
        end=edge.end,
        date=edge.date,
        status=edge.status,
        role=edge.role,
        evidence=[ev.quote for ev in edge.evidence],
    )
    return attrs


def _add_literal_facts(G: nx.MultiDiGraph, graph: Graph) -> None:
    """Former names and listing status (literal facts) as node attributes."""
    from rdflib import URIRef
    from rdflib.namespace import RDF

    from kg.project.namespaces import BASE, PREFIXES

    kg = PREFIXES["kg"]
    for st in graph.subjects(RDF.predicate, URIRef(kg + "formerName")):
        subject = str(graph.value(st, RDF.subject)).removeprefix(BASE)
        if subject in G:
            G.nodes[subject].setdefault("former_names", []).append(str(graph.value(st, RDF.object)))
    for st in graph.subjects(RDF.predicate, URIRef(kg + "listingStatus")):
        subject = str(graph.value(st, RDF.subject)).removeprefix(BASE)
        date = graph.value(st, URIRef(kg + "date"))
        if subject in G:
            status = str(graph.value(st, RDF.object)) + (f" ({date})" if date is not None else "")
            G.nodes[subject].setdefault("listing_status", []).append(status)


def from_edges(
    edges: Iterable[tuple[str, str, str] | tuple[str, str, str, dict[str, Any]]],
    labels: dict[str, str] | None = None,
) -> nx.MultiDiGraph:
    """A small entity graph from ``(source, relation, target[, attrs])`` tuples.

    For examples and tests: the type of each entity comes from its id prefix
    (``person/``, ``org/``, ``market/``, ``product/``), its label from
    *labels* (the same in every language) or the id. Edges read as
    :func:`entity_graph` edges do (``("person/a", "founder", "org/x")``).

    Examples
    --------
    >>> G = from_edges([("person/a", "alumniOf", "org/b", {"end": "2016"})], {"person/a": "甲"})
    >>> G.nodes["person/a"]["label_en"], G.nodes["person/a"]["type"]
    ('甲', 'Person')
    >>> [(u, v, d["end"]) for u, v, d in G.edges(data=True)]
    [('person/a', 'org/b', '2016')]
    """
    nodes: dict[str, Node] = {}
    made: list[Edge] = []
    labels = labels or {}
    for i, item in enumerate(edges):
        source, relation, target = item[:3]
        extra: dict[str, Any] = dict(item[3]) if len(item) > 3 else {}
        for eid in (source, target):
            if eid not in nodes:
                kind = _TYPE_OF_PREFIX.get(eid.partition("/")[0], "Organization")
                name = labels.get(eid, eid)
                nodes[eid] = Node(eid, kind, dict.fromkeys(LANGS, name))
        words = {"en": relation, "zh-Hans": relation, "zh-Hant": relation}
        made.append(Edge(source, target, relation, words, key=f"edge/{i}", **extra))
    return entity_graph(Projection(nodes=dict(sorted(nodes.items())), edges=made))


def label(G: nx.MultiDiGraph, entity: str, lang: str = "zh-Hans") -> str:
    """The name of *entity* in *lang* (falling back to zh-Hans, then the id).

    Examples
    --------
    >>> G = from_edges([("person/a", "alumniOf", "org/b")], {"org/b": "百度"})
    >>> label(G, "org/b"), label(G, "person/a", "en")
    ('百度', 'person/a')
    """
    data = G.nodes[entity] if entity in G else {}
    return str(data.get(f"label_{lang}") or data.get("label") or entity)


def resolve(G: nx.MultiDiGraph, name: str, type: str | None = None) -> str:
    """The entity id *name* refers to: an id, the end of an id, or any label or alias.

    Raises
    ------
    UnknownEntityError
        If nothing matches (the message lists close matches), or *name* is
        not of *type*.

    Examples
    --------
    >>> G = from_edges([("person/yu-kai", "alumniOf", "org/baidu")], {"person/yu-kai": "余凯"})
    >>> resolve(G, "余凯"), resolve(G, "baidu"), resolve(G, "org/baidu")
    ('person/yu-kai', 'org/baidu', 'org/baidu')
    >>> try:
    ...     resolve(G, "baidoo")
    ... except UnknownEntityError as error:
    ...     print(error)
    no entity 'baidoo' in the graph; did you mean: org/baidu?
    """
    found = _match(G, name)
    if found is None:
        names: dict[str, str] = {}
        for node, data in G.nodes(data=True):
            candidates = [node, node.partition("/")[2]]
            candidates += [data.get(f"label_{lang}") or "" for lang in LANGS]
            candidates += list(data.get("alt_labels") or [])
            for candidate in candidates:
                if candidate:
                    names.setdefault(candidate.lower(), node)
        close = difflib.get_close_matches(name.lower(), list(names), n=5, cutoff=0.6)
        hints = list(dict.fromkeys(names[c] for c in close))
        hint = f"; did you mean: {', '.join(hints)}?" if hints else ""
        raise UnknownEntityError(f"no entity {name!r} in the graph{hint}")
    if type is not None and G.nodes[found].get("type") != type:
        nouns = {"Person": "a person", "Organization": "an organisation", "Product": "a product"}
        actual = G.nodes[found].get("type", "")
        raise UnknownEntityError(
            f"{name!r} is {found}, {nouns.get(actual, actual)}, not {nouns.get(type, type)}"
        )
    return found


def _match(G: nx.MultiDiGraph, name: str) -> str | None:
    if name in G:
        return name
    wanted = name.strip().lower()
    suffix = [n for n in G.nodes if n.partition("/")[2] == wanted]
    if len(suffix) == 1:
        return str(suffix[0])
    for node, data in sorted(G.nodes(data=True)):
        names = [data.get(f"label_{lang}") or "" for lang in LANGS]
        names += list(data.get("alt_labels") or [])
        if wanted in (n.lower() for n in names if n):
            return str(node)
    return None


def person_org_graph(graph: Any) -> nx.Graph:
    """The person–organisation bipartite graph (undirected).

    An edge joins a person and an organisation linked by any of
    :data:`PERSON_ORG` (worked at, works for, founded, held a role); its
    ``relations`` attribute lists which, sorted. Nodes have ``bipartite`` 0
    (people) or 1 (organisations).

    Examples
    --------
    >>> G = from_edges([("person/a", "alumniOf", "org/b"), ("person/a", "founder", "org/x"),
    ...                 ("person/a", "role", "org/b"), ("org/x", "competitorOf", "org/b")])
    >>> B = person_org_graph(G)
    >>> sorted(B.edges(data="relations"))
    [('person/a', 'org/b', ['alumniOf', 'role']), ('person/a', 'org/x', ['founder'])]
    >>> B.nodes["person/a"]["bipartite"], B.nodes["org/b"]["bipartite"]
    (0, 1)
    """
    import networkx as nx

    G = entity_graph(graph)
    B = nx.Graph()
    for u, v, data in G.edges(data=True):
        if data["relation"] not in PERSON_ORG:
            continue
        if G.nodes[u]["type"] != "Person" or G.nodes[v]["type"] != "Organization":
            continue
        for node, side in ((u, 0), (v, 1)):
            B.add_node(node, **{**G.nodes[node], "bipartite": side})
        relations = B.edges[u, v]["relations"] if B.has_edge(u, v) else []
        B.add_edge(u, v, relations=sorted({*relations, data["relation"]}))
    return B


def _serialize(G: nx.MultiDiGraph, fmt: str) -> bytes:
    """GraphML or GEXF bytes of a graph with plain attributes (for :mod:`kg.viz.export`);
    nothing of how networkx holds it (no ``networkx_key``) and no date of writing."""
    import networkx as nx

    buffer = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(G, buffer, encoding="utf-8", prettyprint=True)
    elif fmt == "gexf":
        # GEXF 1.2, without the ``networkx_key`` attribute networkx adds to the edges of a
        # multigraph (the edge id is the key already)
        from networkx.readwrite.gexf import GEXFWriter

        writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
        writer.add_graph(G)
        dropped = set()
        for attributes in writer.xml.iter("attributes"):
            for attribute in list(attributes):
                if attribute.get("title") == "networkx_key":
                    dropped.add(attribute.get("id"))
                    attributes.remove(attribute)
        for values in writer.xml.iter("attvalues"):
            for value in list(values):
                if value.get("for") in dropped:
                    values.remove(value)
        writer.write(buffer)
        # networkx stamps today's date into <meta>; the attribute is optional in GEXF, and
        # without it the same graph gives the same bytes on any day.
        return re.sub(rb' lastmodifieddate="[0-9-]+"', b"", buffer.getvalue(), count=1)
    else:
        raise KGError(f"unknown graph format {fmt!r}; use graphml or gexf")
    return buffer.getvalue()
