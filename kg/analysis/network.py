"""Measures of the entity network: centrality, rankings, communities, paths.

:func:`centrality` and :func:`rankings` score entities on the undirected
simple entity graph, :func:`communities` finds its Louvain communities
(seeded), :func:`ego_network` cuts out an entity's neighbourhood and
:func:`shortest_connection` says the shortest chain of facts between two
entities in words. Each takes an entity graph
(:func:`kg.analysis.measures.entity_graph`), an rdflib ``Graph`` or a
:class:`~kg.analysis.projection.Projection`; networkx is imported inside the
functions only.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from kg.analysis.measures import UnknownEntityError, entity_graph, label, resolve
from kg.errors import KGError

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "MEASURES",
    "Connection",
    "Step",
    "centrality",
    "communities",
    "ego_network",
    "rankings",
    "shortest_connection",
]


#: The centrality measures :func:`centrality` knows.
MEASURES = ("degree", "betweenness", "pagerank")


# Which edge to say when two entities are linked by several facts.
_PREFERENCE = {
    r: i
    for i, r in enumerate(
        ["founder", "worksFor", "alumniOf", "role", "spunOffFrom", "parentOrganization"]
    )
}


def _simple(G: nx.MultiDiGraph) -> nx.Graph:
    """The undirected simple graph: one edge per linked pair, whatever the relations."""
    import networkx as nx

    H = nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    for u, v, data in G.edges(data=True):
        if u == v:
            continue
        relations = H.edges[u, v]["relations"] if H.has_edge(u, v) else []
        H.add_edge(u, v, relations=sorted({*relations, data["relation"]}))
    return H


def centrality(
    graph: Any, measure: str = "pagerank", *, k: int | None = None, seed: int = 0
) -> dict[str, float]:
    """Centrality of every entity, on the undirected simple entity graph.

    Each linked pair of entities counts as one undirected edge, whatever its
    relations and direction (a founder and their company, two competitors).

    Parameters
    ----------
    graph : rdflib.Graph, Projection or networkx.MultiDiGraph
    measure : {"degree", "betweenness", "pagerank"}
        Normalised degree centrality; betweenness centrality (exact, or
        estimated from *k* sampled sources); PageRank (alpha 0.85).
    k : int, optional
        For betweenness on a large graph: sample this many sources.
    seed : int
        The random seed for the sampled betweenness (the other measures are
        deterministic).

    Returns
    -------
    dict
        Entity id → score, in node order.

    Examples
    --------
    >>> from kg.analysis.measures import from_edges
    >>> G = from_edges([("person/a", "alumniOf", "org/hub"), ("person/b", "alumniOf", "org/hub"),
    ...                 ("person/c", "alumniOf", "org/hub")])
    >>> centrality(G, "degree")["org/hub"]
    1.0
    >>> max(centrality(G, "pagerank").items(), key=lambda kv: kv[1])[0]
    'org/hub'
    >>> centrality(G, "betweenness")["org/hub"]
    1.0
    """
    import networkx as nx

    H = _simple(entity_graph(graph))
    if measure == "degree":
        scores = nx.degree_centrality(H) if len(H) > 1 else dict.fromkeys(H, 0.0)
    elif measure == "betweenness":
        scores = nx.betweenness_centrality(H, k=k, seed=seed)
    elif measure == "pagerank":
        scores = nx.pagerank(H, alpha=0.85) if len(H) else {}
    else:
        raise KGError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}")
    return {n: float(scores[n]) for n in H.nodes}


def rankings(
    graph: Any,
    *,
    types: Iterable[str] = ("Person", "Organization"),
    top: int = 5,
    seed: int = 0,
) -> dict[str, dict[str, list[tuple[str, float]]]]:
    """The *top* entities of each type by each of :data:`MEASURES`.

    Scores are computed on the whole entity graph, then ranked within each
    type; ties are broken by id so the result is stable.

    Returns
    -------
    dict
        measure → type → list of (entity id, score), best first.

    Examples
    --------
    >>> from kg.analysis.measures import from_edges
    >>> G = from_edges([("person/a", "alumniOf", "org/hub"), ("person/b", "alumniOf", "org/hub"),
    ...                 ("person/a", "founder", "org/s")])
    >>> rankings(G, top=1)["degree"]
    {'Person': [('person/a', 0.666667)], 'Organization': [('org/hub', 0.666667)]}
    """
    G = entity_graph(graph)
    out: dict[str, dict[str, list[tuple[str, float]]]] = {}
    for measure in MEASURES:
        scores = centrality(G, measure, seed=seed)
        out[measure] = {}
        for kind in types:
            ranked = sorted(
                ((n, round(s, 6)) for n, s in scores.items() if G.nodes[n]["type"] == kind),
                key=lambda item: (-item[1], item[0]),
            )
            out[measure][kind] = ranked[:top]
    return out


def communities(graph: Any, *, seed: int = 0, resolution: float = 1.0) -> list[list[str]]:
    """Communities of the undirected simple entity graph (Louvain, seeded).

    Returns
    -------
    list of list of str
        Each community's entity ids sorted; the communities largest first
        (ties by their first id).

    Examples
    --------
    >>> from kg.analysis.measures import from_edges
    >>> G = from_edges([("person/a", "alumniOf", "org/x"), ("person/b", "alumniOf", "org/x"),
    ...                 ("person/c", "alumniOf", "org/y"), ("person/d", "alumniOf", "org/y")])
    >>> communities(G, seed=1)
    [['org/x', 'person/a', 'person/b'], ['org/y', 'person/c', 'person/d']]
    """
    import networkx as nx

    H = _simple(entity_graph(graph))
    found = nx.community.louvain_communities(H, seed=seed, resolution=resolution)
    groups = [sorted(c) for c in found]
    return sorted(groups, key=lambda c: (-len(c), c[0]))


def ego_network(graph: Any, entity: str, radius: int = 1) -> nx.MultiDiGraph:
    """The entities within *radius* links of *entity* (either direction), with their edges.

    Examples
    --------
    >>> from kg.analysis.measures import from_edges
    >>> G = from_edges([("person/a", "alumniOf", "org/x"), ("person/b", "alumniOf", "org/x"),
    ...                 ("person/b", "founder", "org/y")])
    >>> sorted(ego_network(G, "person/a").nodes)
    ['org/x', 'person/a']
    >>> sorted(ego_network(G, "person/a", radius=2).nodes)
    ['org/x', 'person/a', 'person/b']
    """
    import networkx as nx

    G = entity_graph(graph)
    return nx.ego_graph(G, resolve(G, entity), radius=radius, undirected=True)


@dataclass
class Step:
    """One edge of a connection, read in the direction of the fact."""

    source: str
    target: str
    relation: str
    label: str
    forward: bool  #: True when the path walks the edge from source to target
    evidence: list[str]


@dataclass
class Connection:
    """The answer of :func:`shortest_connection`."""

    path: list[str]
    steps: list[Step]
    text: str  #: e.g. "彭军 —曾任职于→ 百度 ←曾任职于— 余凯"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def shortest_connection(graph: Any, a: str, b: str, lang: str = "zh-Hans") -> Connection:
    """The shortest chain of facts linking *a* and *b*, said in words.

    Edges are walked in either direction; the text shows each fact in its own
    direction (``—founded→`` or ``←worked at—``). Where two entities are
    linked by several facts the most telling is said (founded, works for,
    worked at, role, …).

    Raises
    ------
    UnknownEntityError
        If *a* or *b* is not in the graph, or nothing connects them.

    Examples
    --------
    >>> from kg.analysis.measures import from_edges
    >>> G = from_edges([("person/peng", "alumniOf", "org/baidu"),
    ...                 ("person/yu", "alumniOf", "org/baidu")],
    ...                {"person/peng": "彭军", "person/yu": "余凯", "org/baidu": "百度"})
    >>> shortest_connection(G, "彭军", "余凯").text
    '彭军 —alumniOf→ 百度 ←alumniOf— 余凯'
    """
    import networkx as nx

    G = entity_graph(graph)
    source, target = resolve(G, a), resolve(G, b)
    try:
        path = nx.shortest_path(G.to_undirected(as_view=True), source, target)
    except nx.NetworkXNoPath:
        raise UnknownEntityError(f"nothing in the graph connects {source} and {target}") from None
    steps: list[Step] = []
    text = label(G, path[0], lang)
    for u, v in itertools.pairwise(path):
        options = [(u, v, d, True) for d in G.get_edge_data(u, v, default={}).values()]
        options += [(v, u, d, False) for d in G.get_edge_data(v, u, default={}).values()]
        s, t, d, forward = min(
            options, key=lambda o: (_PREFERENCE.get(o[2]["relation"], 99), not o[3])
        )
        word = d.get(f"label_{lang}") or d["relation"]
        steps.append(Step(s, t, d["relation"], word, forward, list(d["evidence"])))
        arrow = f" —{word}→ " if forward else f" ←{word}— "
        text += arrow + label(G, v, lang)
    return Connection(path=list(path), steps=steps, text=text)
