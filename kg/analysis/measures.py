"""Analysis: the graph as NetworkX graphs, and the talent-diaspora measures.

This is the only module of kg that imports networkx, and only inside
functions. Every graph here is a projection chosen by relation, starting from
:func:`kg.analysis.projection.project`: entities (people, organisations, stock markets,
products) are vertices, facts between two of them are edges; ``rdf:type``,
statement, evidence and figure nodes never are.

- :func:`entity_graph` — a ``MultiDiGraph`` of entities; one edge per fact,
  keyed by the IRI of its statement, with the relation, labels, dates and
  evidence quotes as attributes.
- :func:`person_org_graph` — the person–organisation bipartite graph.
- :func:`diaspora_tree` — an organisation's alumni, what they founded or
  joined, and what those became (listed, rivals of the organisation).
- :func:`diaspora` — the measures for one organisation (alumni, founders,
  co-founder pairs, startups per alumnus, time to founding).
- :func:`centrality`, :func:`rankings`, :func:`communities`, :func:`ego_network`,
  :func:`shortest_connection`.

All of it (and the timeline) as plain data for ``kg analyze`` is
:func:`kg.analysis.report.diaspora_report`.

Functions take the graph first, return plain data, and take an explicit
``seed`` wherever randomness enters. Anything that accepts an entity graph also
accepts an rdflib ``Graph`` or a :class:`~kg.analysis.projection.Projection`.
"""

from __future__ import annotations

import difflib
import io
import itertools
import re
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from kg.analysis.projection import LANGS, Edge, Node, Projection
from kg.errors import KGError

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from matplotlib.axes import Axes
    from rdflib import Graph

__all__ = [
    "MEASURES",
    "Alumnus",
    "Company",
    "Connection",
    "Diaspora",
    "Step",
    "UnknownEntityError",
    "centrality",
    "communities",
    "diaspora",
    "diaspora_tree",
    "draw_diaspora_tree",
    "ego_network",
    "entity_graph",
    "from_edges",
    "group_of",
    "label",
    "person_org_graph",
    "plot_timeline",
    "rankings",
    "resolve",
    "shortest_connection",
    "use_cjk_font",
]

#: The centrality measures :func:`centrality` knows.
MEASURES = ("degree", "betweenness", "pagerank")
#: Relations between a person and an organisation (the bipartite graph's edges).
PERSON_ORG = ("alumniOf", "worksFor", "founder", "role")
# Which edge to say when two entities are linked by several facts.
_PREFERENCE = {
    r: i
    for i, r in enumerate(
        ["founder", "worksFor", "alumniOf", "role", "spunOffFrom", "parentOrganization"]
    )
}
_TYPE_OF_PREFIX = {
    "person": "Person",
    "org": "Organization",
    "market": "StockMarket",
    "product": "Product",
}


class UnknownEntityError(KGError):
    """An entity id or name that is not in the graph (the message suggests close matches)."""


# --- building the graphs --------------------------------------------------------


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


# --- the diaspora of an organisation --------------------------------------------


@dataclass
class Alumnus:
    """A person who worked at the organisation (a past-employment fact, or a role that ended)."""

    id: str
    start: str | None = None  #: start of the past employment, if the source dates it
    end: str | None = None  #: end of the past employment, if the source dates it
    roles: list[str] = field(default_factory=list)  #: role ids held there
    #: (role id, start, end) of each role, as the source dates it (a role's start is
    #: when the person took the role, not when they joined)
    role_periods: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    founded: list[str] = field(default_factory=list)  #: organisation ids
    joined: list[str] = field(default_factory=list)  #: other organisations, outside the group
    moved_to: list[str] = field(default_factory=list)  #: organisations of the same group
    in_group: bool = False  #: works for an organisation of the group now
    evidence: list[str] = field(default_factory=list)

    @property
    def left_group(self) -> bool:
        """True unless the person works inside the organisation's group now."""
        return not self.in_group


@dataclass
class Company:
    """A company founded by at least one alumnus."""

    id: str
    founders: list[str]  #: every founder the graph knows
    alumni_founders: list[str]  #: the founders who are alumni of the organisation
    founded: str | None = None  #: founding date, if the source gives one
    listed_on: list[str] = field(default_factory=list)
    listing_status: list[str] = field(default_factory=list)
    former_names: list[str] = field(default_factory=list)
    rival: bool = False  #: a competitor of the organisation
    evidence: list[str] = field(default_factory=list)


@dataclass
class Diaspora:
    """What became of an organisation's people: the answer of :func:`diaspora`."""

    org: str
    alumni: list[Alumnus]
    companies: list[Company]
    cofounders: list[tuple[str, str, str]]  #: (person, person, company), sorted
    startups_per_alumnus: dict[str, int]
    joined: list[tuple[str, str]]  #: (alumnus, organisation) joined outside the group
    time_to_founding: list[dict[str, Any]]  #: where the dates exist
    group: list[str] = field(default_factory=list)  #: the group's other organisations
    moved: list[tuple[str, str]] = field(default_factory=list)  #: (alumnus, group organisation)

    @property
    def founders(self) -> list[str]:
        """The alumni who founded at least one company."""
        return [a.id for a in self.alumni if a.founded]

    @property
    def departures(self) -> list[str]:
        """The alumni who left the group (a move to a subsidiary or the parent is not leaving)."""
        return [a.id for a in self.alumni if a.left_group]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["founders"] = self.founders
        data["departures"] = self.departures
        data["moved"] = [list(t) for t in self.moved]
        data["cofounders"] = [list(t) for t in self.cofounders]
        data["joined"] = [list(t) for t in self.joined]
        return data


def _edges(G: nx.MultiDiGraph, relation: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(u, v, d) for u, v, d in G.edges(data=True) if d["relation"] == relation]


def _years_between(a: str, b: str) -> float:
    def year(date: str) -> float:
        parts = [int(p) for p in date.split("-")]
        return parts[0] + ((parts[1] - 1) / 12 if len(parts) > 1 else 0)

    return round(year(b) - year(a), 2)


def group_of(graph: Any, org: str) -> list[str]:
    """The organisations of *org*'s group: its parents, their subsidiaries, and so on.

    Read from the subsidiary facts (``parentOrganization``): a move between two
    of these is a move inside the group, not a departure. *org* itself is in
    the list, which is sorted.

    Examples
    --------
    >>> G = from_edges([("org/sub", "parentOrganization", "org/big"),
    ...                 ("org/sub2", "parentOrganization", "org/big"),
    ...                 ("person/a", "alumniOf", "org/other")])
    >>> group_of(G, "org/sub")
    ['org/big', 'org/sub', 'org/sub2']
    >>> group_of(G, "org/other")
    ['org/other']
    """
    G = entity_graph(graph)
    org = resolve(G, org, type="Organization")
    links: dict[str, set[str]] = {}
    for u, v, d in G.edges(data=True):
        if d["relation"] == "parentOrganization":
            links.setdefault(u, set()).add(v)
            links.setdefault(v, set()).add(u)
    seen, todo = {org}, [org]
    while todo:
        for other in links.get(todo.pop(), ()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return sorted(seen)


def diaspora(graph: Any, org: str = "org/baidu") -> Diaspora:
    """Who worked at *org*, what they founded or joined, and with whom.

    An alumnus is a person with a past-employment (``alumniOf``) fact for
    *org*, or a role there with an end date. Current staff are not alumni.
    Where an alumnus went is split by *org*'s group (:func:`group_of`): a
    company founded, an organisation joined outside the group, or one moved to
    inside it (a subsidiary, a unit, the parent). Only those who do not work
    inside the group now are :attr:`Diaspora.departures`.

    Parameters
    ----------
    graph : rdflib.Graph, Projection or networkx.MultiDiGraph
    org : str
        The organisation: an id (``org/baidu``), the end of one (``baidu``) or a name (``百度``).

    Returns
    -------
    Diaspora
        Alumni (sorted by id) with what each founded, joined or moved to; the companies
        they founded with all their founders; co-founder pairs; the number of
        startups per alumnus; and the years from joining and from leaving *org*
        to founding, for the foundings whose dates the source gives.

    Raises
    ------
    UnknownEntityError
        If *org* is not an organisation in the graph.

    Examples
    --------
    >>> G = from_edges([
    ...     ("person/a", "alumniOf", "org/big", {"start": "2010", "end": "2014"}),
    ...     ("person/b", "alumniOf", "org/big"),
    ...     ("person/c", "worksFor", "org/big"),
    ...     ("person/a", "founder", "org/s1", {"date": "2015-06"}),
    ...     ("person/b", "founder", "org/s1"),
    ...     ("person/x", "founder", "org/s1"),
    ...     ("person/a", "founder", "org/s2"),
    ...     ("org/big", "competitorOf", "org/s1"),
    ... ])
    >>> d = diaspora(G, "big")
    >>> [a.id for a in d.alumni], d.founders
    (['person/a', 'person/b'], ['person/a', 'person/b'])
    >>> for pair in d.cofounders:
    ...     print(pair)
    ('person/a', 'person/b', 'org/s1')
    ('person/a', 'person/x', 'org/s1')
    ('person/b', 'person/x', 'org/s1')
    >>> d.startups_per_alumnus
    {'person/a': 2, 'person/b': 1}
    >>> [(c.id, c.alumni_founders, c.rival) for c in d.companies]
    [('org/s1', ['person/a', 'person/b'], True), ('org/s2', ['person/a'], False)]
    >>> t = d.time_to_founding[0]
    >>> t["person"], t["company"], t["founded"], t["years_from_joining"], t["years_from_leaving"]
    ('person/a', 'org/s1', '2015-06', 5.42, 1.42)
    """
    G = entity_graph(graph)
    org = resolve(G, org, type="Organization")
    group = set(group_of(G, org))
    alumni: dict[str, Alumnus] = {}
    for u, v, d in _edges(G, "alumniOf"):
        if v == org and G.nodes[u]["type"] == "Person":
            a = alumni.setdefault(u, Alumnus(u))
            a.start, a.end = a.start or d["start"], a.end or d["end"]
            a.evidence += d["evidence"]
    for u, v, d in _edges(G, "role"):
        if v == org and (u in alumni or d["end"]):
            a = alumni.setdefault(u, Alumnus(u))
            a.roles.append(d["role"])
            a.role_periods.append((d["role"], d["start"], d["end"]))
            if not a.evidence:
                a.evidence += d["evidence"]
    founders: dict[str, list[str]] = {}
    founding: dict[tuple[str, str], dict[str, Any]] = {}
    for u, v, d in _edges(G, "founder"):
        founders.setdefault(v, []).append(u)
        founding[u, v] = d
    for a in alumni.values():
        a.roles = sorted(set(a.roles))
        a.role_periods = sorted(set(a.role_periods), key=lambda p: (p[1] or "", p[0]))
        a.founded = sorted(c for c, people in founders.items() if a.id in people)
        worked = [
            (v, d["relation"])
            for u, v, d in G.out_edges(a.id, data=True)
            if d["relation"] in ("worksFor", "alumniOf", "role") and v != org
        ]
        others = {v for v, _ in worked} - set(a.founded)
        a.moved_to = sorted(others & group)
        a.joined = sorted(others - group)
        a.in_group = any(v in group and r == "worksFor" for v, r in worked)
    ordered = sorted(alumni.values(), key=lambda a: a.id)
    rivals = {
        v if u == org else u
        for u, v, d in G.edges(data=True)
        if d["relation"] == "competitorOf" and org in (u, v)
    }
    companies: list[Company] = []
    pairs: set[tuple[str, str, str]] = set()
    for company in sorted({c for a in ordered for c in a.founded}):
        people = sorted(set(founders[company]))
        dates = [
            founding[p, company].get("date") or founding[p, company].get("start") for p in people
        ]
        data = G.nodes[company]
        companies.append(
            Company(
                company,
                people,
                [p for p in people if p in alumni],
                founded=min((d for d in dates if d), default=None),
                listed_on=sorted(
                    v for _, v, d in G.out_edges(company, data=True) if d["relation"] == "listedOn"
                ),
                listing_status=list(data.get("listing_status") or []),
                former_names=list(data.get("former_names") or []),
                rival=company in rivals,
                evidence=sorted({q for p in people for q in founding[p, company]["evidence"]}),
            )
        )
        pairs.update((a, b, company) for a, b in itertools.combinations(people, 2))
    times = []
    for a in ordered:
        for company in a.founded:
            d = founding[a.id, company]
            when = d.get("date") or d.get("start")
            if when and (a.start or a.end):
                times.append(
                    {
                        "person": a.id,
                        "company": company,
                        "founded": when,
                        "years_from_joining": _years_between(a.start, when) if a.start else None,
                        "years_from_leaving": _years_between(a.end, when) if a.end else None,
                    }
                )
    return Diaspora(
        org=org,
        alumni=ordered,
        companies=companies,
        cofounders=sorted(pairs, key=lambda t: (t[2], t[0], t[1])),
        startups_per_alumnus={a.id: len(a.founded) for a in ordered if a.founded},
        joined=[(a.id, o) for a in ordered for o in a.joined],
        time_to_founding=times,
        group=sorted(group - {org}),
        moved=[(a.id, o) for a in ordered for o in a.moved_to],
    )


def diaspora_tree(graph: Any, org: str = "org/baidu") -> nx.DiGraph:
    """The diaspora tree of *org*: org → alumni → where they went → what those became.

    Layers (node attribute ``layer``): 0 the organisation, 1 its alumni,
    2 the organisations they founded (edge ``relation`` "founder"), joined
    outside the group or moved to inside it ("worksFor", "alumniOf" or "role"),
    3 the stock markets those are listed on ("listedOn"). Every edge to
    layer 2 says whether it stays in *org*'s group (``inside_group``), and
    organisations of the group have ``in_group=True`` and an edge from *org*
    (relation "subsidiary" or "parent"); a move inside the group is not a
    departure. Organisations in layer 2 that compete with *org* have
    ``rival=True``; alumni have ``left_group``. A company with two alumni
    founders has two parents, so this is a layered DAG rather than a strict
    tree. Node attributes are those of :func:`entity_graph`; edges carry
    ``relation``, labels, dates and ``evidence``.

    Examples
    --------
    >>> G = from_edges([("person/a", "alumniOf", "org/big"), ("person/b", "alumniOf", "org/big"),
    ...                 ("person/a", "founder", "org/s"), ("person/b", "founder", "org/s"),
    ...                 ("org/s", "listedOn", "market/us")])
    >>> T = diaspora_tree(G, "org/big")
    >>> sorted(T.nodes(data="layer"))
    [('market/us', 3), ('org/big', 0), ('org/s', 2), ('person/a', 1), ('person/b', 1)]
    >>> sorted(T.predecessors("org/s"))
    ['person/a', 'person/b']
    >>> G = from_edges([("person/a", "alumniOf", "org/big"), ("person/a", "worksFor", "org/sub"),
    ...                 ("org/sub", "parentOrganization", "org/big")])
    >>> T = diaspora_tree(G, "org/big")
    >>> T.edges["person/a", "org/sub"]["inside_group"], T.nodes["person/a"]["left_group"]
    (True, False)
    >>> T.edges["org/big", "org/sub"]["relation"]
    'subsidiary'
    """
    import networkx as nx

    G = entity_graph(graph)
    d = diaspora(G, org)
    T = nx.DiGraph()

    def node(n: str, layer: int, **extra: Any) -> None:
        if n not in T:
            T.add_node(n, **{**G.nodes[n], "layer": layer, **extra})

    def edge(u: str, v: str, relation: str) -> None:
        found = [x for x in G.get_edge_data(u, v, default={}).values() if x["relation"] == relation]
        attrs = dict(found[0]) if found else {"relation": relation}
        T.add_edge(u, v, **attrs)

    node(d.org, 0)
    rivals = {c.id for c in d.companies if c.rival}
    rivals |= {
        v if u == d.org else u
        for u, v, x in G.edges(data=True)
        if x["relation"] == "competitorOf" and d.org in (u, v)
    }
    group = set(d.group)
    for a in d.alumni:
        node(a.id, 1, left_group=a.left_group)
        relation = "alumniOf" if G.has_edge(a.id, d.org) else "role"
        T.add_edge(
            d.org,
            a.id,
            **{
                **(
                    dict(next(iter(G.get_edge_data(a.id, d.org).values())))
                    if G.has_edge(a.id, d.org)
                    else {}
                ),
                "relation": relation,
            },
        )
        for company in a.founded:
            node(company, 2, rival=company in rivals, in_group=company in group)
            edge(a.id, company, "founder")
            T.edges[a.id, company]["inside_group"] = company in group
        for other in [*a.joined, *a.moved_to]:
            node(other, 2, rival=other in rivals, in_group=other in group)
            kinds = [x["relation"] for x in G.get_edge_data(a.id, other).values()]
            edge(a.id, other, next(r for r in ("worksFor", "role", "alumniOf") if r in kinds))
            T.edges[a.id, other]["inside_group"] = other in group
    for other in [n for n in d.group if n in T]:
        below = G.has_edge(other, d.org) and any(
            x["relation"] == "parentOrganization" for x in G.get_edge_data(other, d.org).values()
        )
        T.add_edge(d.org, other, relation="subsidiary" if below else "parent")
    for n in [n for n, layer in T.nodes(data="layer") if layer == 2]:
        for _, market, x in G.out_edges(n, data=True):
            if x["relation"] == "listedOn":
                node(market, 3)
                T.add_edge(n, market, **x)
    return T


# --- measures ---------------------------------------------------------------------


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


# --- drawing ------------------------------------------------------------------------

_CJK_FAMILIES = {
    "zh-Hans": ["Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP"],
    "zh-Hant": ["Noto Sans CJK TC", "Noto Sans CJK SC", "Noto Sans CJK JP"],
}


def use_cjk_font(lang: str = "zh-Hans") -> str:
    """Make matplotlib draw Chinese with a CJK font; return the language to label in.

    Looks for Noto Sans CJK (Debian: ``apt install fonts-noto-cjk``) and sets
    it first in ``font.sans-serif``. If no CJK font is found the labels would
    be drawn as boxes, so it warns and returns ``"en"``: label in English.

    Examples
    --------
    >>> use_cjk_font("en")
    'en'
    """
    if lang == "en":
        return "en"
    import matplotlib as mpl
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names & set(_CJK_FAMILIES[lang]):
        for path in font_manager.findSystemFonts():
            if "CJK" in path and path.endswith((".ttc", ".otf", ".ttf")):
                font_manager.fontManager.addfont(path)
        names = {f.name for f in font_manager.fontManager.ttflist}
    for family in _CJK_FAMILIES[lang]:
        if family in names:
            mpl.rcParams["font.sans-serif"] = [family, *mpl.rcParams["font.sans-serif"]]
            mpl.rcParams["font.family"] = "sans-serif"
            mpl.rcParams["axes.unicode_minus"] = False
            return lang
    warnings.warn(
        "no CJK font found (install fonts-noto-cjk); labelling plots in English",
        stacklevel=2,
    )
    return "en"


_TREE_WORDS = {
    "founded": {"en": "founded", "zh-Hans": "创立", "zh-Hant": "創立"},
    "moved": {
        "en": "moved inside the group",
        "zh-Hans": "集团内调动",
        "zh-Hant": "集團內調動",
    },
    "joined": {"en": "worked at", "zh-Hans": "任职", "zh-Hant": "任職"},
    "subsidiary": {"en": "part of the group", "zh-Hans": "旗下公司", "zh-Hant": "旗下公司"},
    "listed": {"en": "listed on", "zh-Hans": "上市地", "zh-Hant": "上市地"},
    "org": {"en": "the organisation", "zh-Hans": "本公司", "zh-Hant": "本公司"},
    "left": {"en": "alumnus who left", "zh-Hans": "已离开的前员工", "zh-Hant": "已離開的前員工"},
    "stayed": {
        "en": "alumnus still in the group",
        "zh-Hans": "仍在集团内的前员工",
        "zh-Hant": "仍在集團內的前員工",
    },
    "rival": {"en": "rival company", "zh-Hans": "竞争对手", "zh-Hant": "競爭對手"},
    "company": {"en": "other company", "zh-Hans": "其他公司", "zh-Hant": "其他公司"},
    "group": {"en": "group company", "zh-Hans": "集团公司", "zh-Hant": "集團公司"},
    "market": {"en": "stock market", "zh-Hans": "证券市场", "zh-Hant": "證券市場"},
}
_TREE_FILL = {
    "org": "#9ecae1",
    "left": "#deebf7",
    "stayed": "#c7e9c0",
    "rival": "#fcbba1",
    "company": "#fee6ce",
    "group": "#a1d99b",
    "market": "#eeeeee",
}


def _tree_kind(data: dict[str, Any]) -> str:
    if data["layer"] == 0:
        return "org"
    if data.get("type") == "Person":
        return "left" if data.get("left_group", True) else "stayed"
    if data.get("type") == "StockMarket":
        return "market"
    if data.get("in_group"):
        return "group"
    return "rival" if data.get("rival") else "company"


def draw_diaspora_tree(
    tree: nx.DiGraph, ax: Axes | None = None, lang: str = "zh-Hans", *, legend: bool = True
) -> Axes:
    """Draw :func:`diaspora_tree` in layers, left to right, labels in *lang*.

    Each entity is a box coloured by what it is (the organisation, alumni who
    left, alumni still in the group, rivals, group companies, stock markets);
    founding edges are solid black, moves inside the group solid green, other
    work dashed, listings dotted, and the organisation's own group companies
    hang from it by a dotted line. The legend says all of this in *lang*. Call
    :func:`use_cjk_font` first for Chinese labels.
    """
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 7))
    layers: dict[int, list[str]] = {}
    for n, layer in tree.nodes(data="layer"):
        layers.setdefault(layer, []).append(n)
    pos: dict[str, tuple[float, float]] = {}

    def order(n: str) -> tuple[Any, ...]:
        """Alumni grouped by what they went to; later layers under their parents."""
        if tree.nodes[n]["layer"] == 1:
            went = sorted(tree.successors(n))
            return (0 if went else 1, went, n)
        ys = [pos[p][1] for p in tree.predecessors(n) if p in pos and pos[p][0] > 0]
        return (-sum(ys) / len(ys) if ys else 0.0, n)

    for layer in sorted(layers):
        members = sorted(layers[layer], key=order)
        for i, n in enumerate(members):
            pos[n] = (layer * 1.0, (len(members) - 1) / 2 - i)

    def style(u: str, v: str, r: str) -> str:
        if r == "founder":
            return "founded"
        if r == "listedOn":
            return "listed"
        if r in ("subsidiary", "parent"):
            return "subsidiary"
        if tree.nodes[u]["layer"] == 0:
            return "tenure"
        return "moved" if tree.edges[u, v].get("inside_group") else "joined"

    looks: dict[str, dict[str, Any]] = {
        "founded": {"edge_color": "black", "width": 1.8},
        "moved": {"edge_color": "#31a354", "width": 2.2},
        "joined": {"edge_color": "#555555", "style": "dashed", "alpha": 0.7},
        "tenure": {"edge_color": "#999999", "alpha": 0.5},
        "listed": {"edge_color": "#777777", "style": "dotted"},
        "subsidiary": {"edge_color": "#31a354", "style": "dotted", "width": 1.5},
    }
    size = 2200  # invisible nodes: the arrows stop short of the labels' boxes
    for kind, look in looks.items():
        edges = [(u, v) for u, v, r in tree.edges(data="relation") if style(u, v, r) == kind]
        if edges:
            nx.draw_networkx_edges(
                tree, pos, edgelist=edges, ax=ax, arrows=True, node_size=size, **look
            )
    kinds = {n: _tree_kind(data) for n, data in tree.nodes(data=True)}
    for n, (x, y) in pos.items():
        ax.text(
            x,
            y,
            label(tree, n, lang),
            ha="center",
            va="center",
            fontsize=9,
            bbox={
                "boxstyle": "round,pad=0.35",
                "facecolor": _TREE_FILL[kinds[n]],
                "edgecolor": "#777777",
            },
        )
    if legend:
        words = {k: v[lang] for k, v in _TREE_WORDS.items()}
        handles: list[Any] = [
            Patch(facecolor=_TREE_FILL[k], edgecolor="#777777", label=words[k])
            for k in _TREE_FILL
            if k in kinds.values()
        ]
        for kind in ("founded", "moved", "joined", "subsidiary", "listed"):
            if any(style(u, v, r) == kind for u, v, r in tree.edges(data="relation")):
                look = looks[kind]
                handles.append(
                    Line2D(
                        [],
                        [],
                        color=look["edge_color"],
                        linestyle=look.get("style", "solid"),
                        linewidth=look.get("width", 1.0),
                        label=words[kind],
                    )
                )
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.set_axis_off()
    ys = [y for _, y in pos.values()]
    ax.set_xlim(-0.5, max(layers) + 0.5)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    return ax


def _serialize(G: nx.MultiDiGraph, fmt: str) -> bytes:
    """GraphML or GEXF bytes of a graph with plain attributes (for :mod:`kg.viz.export`)."""
    import networkx as nx

    buffer = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(G, buffer, encoding="utf-8", prettyprint=True)
    elif fmt == "gexf":
        nx.write_gexf(G, buffer, encoding="utf-8", prettyprint=True, version="1.2draft")
        # networkx stamps today's date into <meta>; the attribute is optional in GEXF, and
        # without it the same graph gives the same bytes on any day.
        return re.sub(rb' lastmodifieddate="[0-9-]+"', b"", buffer.getvalue(), count=1)
    else:
        raise KGError(f"unknown graph format {fmt!r}; use graphml or gexf")
    return buffer.getvalue()


def _decimal_year(date: str) -> float:
    from kg.analysis.timeline import _date_key

    year, month, day = _date_key(date)
    return year + ((month - 1) / 12 if month else 0) + ((day - 1) / 365 if day else 0)


# Colour and legend words of each kind of event in :func:`plot_timeline`.
_EVENT_KINDS = {
    "arrival": (
        "tab:green",
        {
            "en": "joined, moved or took a role",
            "zh-Hans": "加入、调动或出任",
            "zh-Hant": "加入、調動或出任",
        },
    ),
    "departure": (
        "tab:red",
        {"en": "left or stepped down", "zh-Hans": "离开或卸任", "zh-Hant": "離開或卸任"},
    ),
    "company": (
        "tab:purple",
        {
            "en": "founded, spun off, renamed",
            "zh-Hans": "创立、独立、更名",
            "zh-Hant": "創立、獨立、更名",
        },
    ),
    "listing": ("tab:orange", {"en": "listing", "zh-Hans": "上市", "zh-Hant": "上市"}),
    "product": ("tab:blue", {"en": "product launch", "zh-Hans": "产品推出", "zh-Hant": "產品推出"}),
    "customer": ("tab:cyan", {"en": "customer", "zh-Hans": "客户", "zh-Hant": "客戶"}),
    "milestone": ("black", {"en": "milestone", "zh-Hans": "大事", "zh-Hant": "大事"}),
    "figure": ("tab:gray", {"en": "figure", "zh-Hans": "数据", "zh-Hant": "數據"}),
}
_EVENT_KIND = {
    "joined": "arrival",
    "moved": "arrival",
    "took role": "arrival",
    "recruited": "arrival",
    "left": "departure",
    "stepped down": "departure",
    "founded": "company",
    "independent": "company",
    "renamed": "company",
    "listing": "listing",
    "listed": "listing",
    "launched": "product",
    "planned launch": "product",
    "customer": "customer",
    "milestone": "milestone",
    "figure": "figure",
    "forecast": "figure",
}
_MARKS = {
    "event": {"en": "event", "zh-Hans": "事件", "zh-Hant": "事件"},
    "figure": {"en": "figure (square)", "zh-Hans": "数据(方块)", "zh-Hant": "數據(方塊)"},
    "hollow": {
        "en": "forecast or plan (hollow)",
        "zh-Hans": "预测或计划(空心)",
        "zh-Hant": "預測或計劃(空心)",
    },
    "span": {"en": "over a period (bar)", "zh-Hans": "时段(横条)", "zh-Hant": "時段(橫條)"},
}


def plot_timeline(
    frame: pd.DataFrame,
    ax: Axes | None = None,
    *,
    max_label: int = 48,
    lang: str = "en",
    legend: bool = True,
) -> Axes:
    """Draw a timeline table (from :func:`kg.timeline.timeline`) as one labelled row per event.

    Events are stacked top to bottom in date order, so labels never overlap;
    the colour says the kind of event, figures are squares, forecasts and plans
    hollow, figures over a period bars. The legend says so in *lang* (the
    language of the table). Set a CJK font first (:func:`use_cjk_font`) when
    the labels are Chinese.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if ax is None:
        _, ax = plt.subplots(figsize=(10, max(3.0, 0.28 * len(frame) + 1)))
    n = len(frame)
    seen: set[str] = set()
    for i, row in enumerate(frame.itertuples(index=False)):
        y = n - i
        x = _decimal_year(row.date)
        kind = _EVENT_KIND.get(row.event, "milestone")
        seen.add(kind)
        color = _EVENT_KINDS[kind][0]
        hollow = row.event == "forecast" or row.status == "planned"
        if row.end:
            ax.plot([x, _decimal_year(row.end) + 1], [y, y], color=color, linewidth=4, alpha=0.5)
        ax.plot(
            [x],
            [y],
            marker="s" if row.event in ("figure", "forecast") else "o",
            markersize=7,
            markerfacecolor="white" if hollow else color,
            markeredgecolor=color,
            linestyle="none",
        )
        text = (
            row.description
            if len(row.description) <= max_label
            else row.description[: max_label - 1] + "…"
        )
        when = f"{row.date}–{row.end}" if row.end else row.date
        ax.annotate(
            f"{when}  {text}",
            (_decimal_year(row.end) + 1 if row.end else x, y),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    if n:
        lo, hi = int(frame.year.min()), int(frame.year.max())
        ax.set_xlim(lo - 0.5, hi + 4.5)  # room on the right for the labels
        ax.set_xticks(range(lo, hi + 1))
    ax.set_ylim(0.3, n + 0.7)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", alpha=0.3)
    if legend and n:
        handles: list[Any] = [
            Line2D([], [], marker="o", linestyle="none", color=color, label=words[lang])
            for kind, (color, words) in _EVENT_KINDS.items()
            if kind in seen and kind != "figure"  # figures: the grey square below
        ]
        grey = "#555555"
        handles += [
            Line2D([], [], marker="s", linestyle="none", color=grey, label=_MARKS["figure"][lang]),
            Line2D(
                [],
                [],
                marker="o",
                linestyle="none",
                markerfacecolor="white",
                markeredgecolor=grey,
                label=_MARKS["hollow"][lang],
            ),
            Line2D([], [], color=grey, linewidth=4, alpha=0.5, label=_MARKS["span"][lang]),
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return ax
