"""The diaspora of an organisation: who worked there, what they founded or joined.

:func:`diaspora` gives the measures for one organisation (alumni, founders,
co-founder pairs, startups per alumnus, time to founding), :func:`group_of` the
organisations of its group (a move between them is not a departure), and
:func:`diaspora_tree` the layered NetworkX graph of org → alumni → where they
went → what those became (drawn by :func:`kg.analysis.drawing.draw_diaspora_tree`).
Each takes an entity graph (:func:`kg.analysis.measures.entity_graph`), an
rdflib ``Graph`` or a :class:`~kg.analysis.projection.Projection`; networkx is
imported inside :func:`diaspora_tree` only.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from kg.analysis.measures import entity_graph, resolve

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Alumnus", "Company", "Diaspora", "diaspora", "diaspora_tree", "group_of"]


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


def _years_between(a: str, b: str) -> float | int:
    """Years from *a* to *b*, at the precision both dates have: whole years (an int) when
    either gives only its year, so that "2015-05" to "2015" is 0 (the same year), not a
    negative span the sources never state; negative when *b* is before *a*.

    >>> _years_between("2012", "2015-06"), _years_between("2015-05", "2015")
    (3, 0)
    >>> _years_between("2016-12", "2017-06"), _years_between("2017-06", "2017-03")
    (0.5, -0.25)
    """

    def parts(date: str) -> list[int]:
        return [int(p) for p in date.split("-")]

    x, y = parts(a), parts(b)
    if len(x) == 1 or len(y) == 1:
        return y[0] - x[0]
    return round((y[0] - x[0]) + (y[1] - x[1]) / 12, 2)


def group_of(graph: Any, org: str) -> list[str]:
    """The organisations of *org*'s group: its parents, their subsidiaries, and so on.

    Read from the subsidiary facts (``parentOrganization``): a move between two
    of these is a move inside the group, not a departure. *org* itself is in
    the list, which is sorted.

    Examples
    --------
    >>> from kg.analysis.measures import from_edges
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
    >>> from kg.analysis.measures import from_edges
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
    ('person/a', 'org/s1', '2015-06', 5, 1)
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
    >>> from kg.analysis.measures import from_edges
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
