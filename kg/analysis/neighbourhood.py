"""Neighbourhood: the part of a store that one organisation's diaspora report reads.

:func:`neighbourhood` asks a store (:func:`kg.query.store.open_store`: Oxigraph, rdflib,
or a remote SPARQL endpoint such as Virtuoso) a few SPARQL 1.1 queries and returns
the answer as a small rdflib ``Graph``, on which :func:`kg.analysis.report.diaspora_report`
gives exactly the report it gives on the whole graph. At a million triples this
is a few thousand facts instead of the whole graph in rdflib and NetworkX.

What the report reads (:func:`kg.analysis.gather.report_scope`), and so what is fetched:

1. the organisation's group: the organisations linked to it by subsidiary facts
   (``schema:parentOrganization``), followed both ways;
2. every entity linked to the group by a fact (its alumni, staff, founders,
   products, customers, rivals), the companies those people founded, and the
   products any of these make: together the *entities*;
3. every fact about one of the entities (statement, membership, figure, milestone:
   whatever links it to them through one of :data:`kg.analysis.timeline.ABOUT`), with
   all its properties, its evidence spans and their selectors, and the other spans
   that quote the same words (the report says which sources hold each quote);
4. for every entity those facts name: its types, labels, alternative labels and
   category, and where it worked (``schema:alumniOf``, ``schema:worksFor``, its
   memberships), which the timeline reads to tell a move inside a group from
   joining;
5. every subsidiary fact as a direct triple (a group's top is named in the
   timeline), and the sources (``schema:CreativeWork``) with publisher and headline.

The queries are plain SPARQL 1.1 (``VALUES``, ``UNION``, ``OPTIONAL``, no property
functions), sent as strings so each store's own engine runs them; the lists of
entities go in ``VALUES`` blocks of :data:`BATCH`, so no query grows without bound.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from kg.analysis.timeline import ABOUT
from kg.errors import KGError
from kg.project.namespaces import BASE, PREFIXES
from kg.query.store import canonical_tag

if TYPE_CHECKING:
    from rdflib import Graph

    from kg.query.store import KGStore

__all__ = ["BATCH", "neighbourhood"]

#: How many IRIs one ``VALUES`` block holds. The answer for 200 facts is some 5,000 triples,
#: well under the 10,000 rows at which Virtuoso's default ``ResultSetMaxRows`` cuts an
#: answer short (silently); Oxigraph takes the same time with 200 or 400.
BATCH = 200

_PROLOGUE = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
_LINKS = ", ".join(ABOUT)
_KINDS = "rdf:Statement, org:Membership, kg:Figure, schema:Event"

# Subsidiary facts, as statements and as direct triples: the group, and each group's top.
_SUBSIDIARIES = """
SELECT ?s ?o WHERE {
  { ?s schema:parentOrganization ?o }
  UNION
  { ?st rdf:predicate schema:parentOrganization ; rdf:subject ?s ; rdf:object ?o }
  FILTER (isIRI(?s) && isIRI(?o))
}
"""
_SUBSIDIARY_TRIPLES = """
CONSTRUCT { ?s schema:parentOrganization ?o } WHERE { ?s schema:parentOrganization ?o }
"""
# The entities a fact links to one of $values (either end of a statement or membership).
_LINKED = """
SELECT DISTINCT ?y WHERE {
  VALUES ?x { $values }
  { ?f rdf:subject ?x ; rdf:object ?y }
  UNION { ?f rdf:object ?x ; rdf:subject ?y }
  UNION { ?f org:organization ?x ; org:member ?y }
  UNION { ?f org:member ?x ; org:organization ?y }
  FILTER (isIRI(?y))
}
"""
# The companies the people of $values founded.
_FOUNDED = """
SELECT DISTINCT ?y WHERE {
  VALUES ?x { $values }
  ?f rdf:predicate schema:founder ; rdf:object ?x ; rdf:subject ?y .
}
"""
# The products the organisations of $values make.
_PRODUCTS = """
SELECT DISTINCT ?y WHERE {
  VALUES ?x { $values }
  ?f rdf:predicate schema:manufacturer ; rdf:object ?x ; rdf:subject ?y .
}
"""
# The facts about one of $values. (One VALUES block a query: Oxigraph 0.5 joins two such
# blocks with each other before it uses either, and then reads the whole store.)
_FACTS = f"""
SELECT DISTINCT ?f WHERE {{
  VALUES ?x {{ $values }}
  ?f ?link ?x .
  FILTER (?link IN ({_LINKS}))
  ?f a ?kind .
  FILTER (?kind IN ({_KINDS}))
}}
"""
# All that is said of each fact of $values, of its evidence spans and of their selectors,
# and the spans anywhere that quote the same words (the report names every source of a
# quote).
_DESCRIBED = """
CONSTRUCT {
  ?f ?p ?o .
  ?span ?sp ?so .
  ?sel ?lp ?lo .
  ?twin oa:hasSource ?work ; oa:hasSelector ?other .
  ?other oa:exact ?exact .
} WHERE {
  VALUES ?f { $values }
  { ?f ?p ?o }
  UNION { ?f prov:wasDerivedFrom ?span . ?span ?sp ?so }
  UNION { ?f prov:wasDerivedFrom ?span . ?span oa:hasSelector ?sel . ?sel ?lp ?lo }
  UNION {
    ?f prov:wasDerivedFrom ?span . ?span oa:hasSelector ?sel . ?sel oa:exact ?exact .
    ?other oa:exact ?exact . ?twin oa:hasSelector ?other ; oa:hasSource ?work .
  }
}
"""
# What the report reads of an entity a fact names: names, types, and where it worked. (Two
# queries: Oxigraph 0.5 reads the whole store for the union of the two.)
_ENTITIES = (
    """CONSTRUCT { ?e ?p ?o } WHERE {
  VALUES ?e { $values }
  ?e ?p ?o .
  FILTER (?p IN (rdf:type, rdfs:label, skos:altLabel, schema:category, schema:alumniOf,
                 schema:worksFor))
}""",
    """CONSTRUCT { ?m a org:Membership ; org:member ?e ; org:organization ?where } WHERE {
  VALUES ?e { $values }
  ?m org:member ?e ; a org:Membership ; org:organization ?where .
}""",
)
_SOURCES = """
CONSTRUCT {
  ?w a schema:CreativeWork ; schema:publisher ?by ; schema:headline ?title .
  ?by rdfs:label ?name .
} WHERE {
  ?w a schema:CreativeWork .
  OPTIONAL { ?w schema:publisher ?by . OPTIONAL { ?by rdfs:label ?name } }
  OPTIONAL { ?w schema:headline ?title }
}
"""


def _batches(iris: Iterable[str]) -> Iterator[str]:
    """``VALUES`` contents of at most :data:`BATCH` IRIs each, in sorted order."""
    ordered = sorted(set(iris))
    for i in range(0, len(ordered), BATCH):
        yield " ".join(f"<{iri}>" for iri in ordered[i : i + BATCH])


def _answer(store: KGStore, text: str) -> Any:
    try:
        result = store.query(_PROLOGUE + text)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise KGError(f"the store could not select the neighbourhood: {first}") from None
    if isinstance(result, tuple):  # rdflib's SPARQLStore reports HTTP errors so
        raise KGError(f"the store could not select the neighbourhood: {result[1]}")
    return result


def _select(store: KGStore, text: str) -> list[tuple[str, ...]]:
    """The rows of a SELECT, every value as its string (IRIs as IRIs)."""
    result = _answer(store, text)
    if type(result).__module__.startswith("pyoxigraph"):
        return [tuple(term.value for term in row) for row in result]
    return [tuple(str(term) for term in row) for row in result]


class _Terms:
    """pyoxigraph terms as rdflib terms, each distinct term made once."""

    def __init__(self) -> None:
        import pyoxigraph as ox
        from rdflib import BNode, Literal, URIRef
        from rdflib.namespace import XSD

        self._ox = ox
        self._cache: dict[Any, Any] = {}
        self._uri, self._bnode, self._literal = URIRef, BNode, Literal
        self._string = str(XSD.string)

    def __call__(self, term: Any) -> Any:
        cache = self._cache
        kind = type(term)
        if kind is self._ox.NamedNode:
            key: Any = term.value
            found = cache.get(key)
            if found is None:
                found = cache[key] = self._uri(key)
            return found
        if kind is self._ox.Literal:
            key = (term.value, term.language, term.datatype.value)
            found = cache.get(key)
            if found is None:
                value, lang, datatype = key
                if lang:
                    found = self._literal(value, lang=canonical_tag(lang))
                elif datatype == self._string:  # as rdflib reads a plain "text"
                    found = self._literal(value)
                else:
                    found = self._literal(value, datatype=self._uri(datatype))
                cache[key] = found
            return found
        return self._bnode(term.value)


def _construct(store: KGStore, text: str, into: Graph, terms: _Terms | None) -> None:
    """Run a CONSTRUCT and add its triples to *into*."""
    result = _answer(store, text)
    if type(result).__module__.startswith("pyoxigraph"):
        assert terms is not None
        into.addN((terms(t.subject), terms(t.predicate), terms(t.object), into) for t in result)
    else:
        into.addN((s, p, _tagged(o), into) for s, p, o in result)


def _tagged(term: Any) -> Any:
    """A literal with its language tag in canonical case (endpoints may lower it)."""
    lang = getattr(term, "language", None)
    if lang and canonical_tag(lang) != lang:
        from rdflib import Literal

        return Literal(str(term), lang=canonical_tag(lang))
    return term


def _ask_each(store: KGStore, query: str, iris: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for values in _batches(iris):
        found.update(row[0] for row in _select(store, query.replace("$values", values)))
    return found


def neighbourhood(store: KGStore, org: str) -> Graph:
    """The subgraph of *store* that the diaspora report of *org* reads.

    Parameters
    ----------
    store : KGStore
        From :func:`kg.query.store.open_store`: Oxigraph, rdflib's memory store, or a
        SPARQL endpoint (``sparql+http(s)://…``, Virtuoso among them).
    org : str
        The organisation's id (``org/baidu``); resolve a name first with
        :func:`kg.query.lookup.find_entity`.

    Returns
    -------
    rdflib.Graph
        A graph on which :func:`kg.analysis.report.diaspora_report` for *org* gives the same
        report as on the whole graph.

    Examples
    --------
    >>> from kg.project import project_root
    >>> from kg.analysis.report import diaspora_report
    >>> from kg.query.store import open_store
    >>> store = open_store("oxigraph", project_root() / "build" / "kg.nt")  # doctest: +SKIP
    >>> small = neighbourhood(store, "org/baidu")  # doctest: +SKIP
    >>> diaspora_report(small, "org/baidu", "en")["org"]  # doctest: +SKIP
    {'id': 'org/baidu', 'name': 'Baidu'}
    """
    from rdflib import Graph, URIRef

    inner = getattr(store, "inner", None)
    terms = _Terms() if inner is not None else None
    iri = BASE + org
    links: dict[str, set[str]] = {}
    for s, o in _select(store, _SUBSIDIARIES):
        links.setdefault(s, set()).add(o)
        links.setdefault(o, set()).add(s)
    group, todo = {iri}, [iri]
    while todo:
        for other in links.get(todo.pop(), ()):
            if other not in group:
                group.add(other)
                todo.append(other)
    linked = group | _ask_each(store, _LINKED, group)
    linked |= _ask_each(store, _FOUNDED, linked)
    linked |= _ask_each(store, _PRODUCTS, linked)

    graph = Graph()
    facts = _ask_each(store, _FACTS, linked)
    for values in _batches(facts):
        _construct(store, _DESCRIBED.replace("$values", values), graph, terms)
    _construct(store, _SUBSIDIARY_TRIPLES, graph, terms)
    _construct(store, _SOURCES, graph, terms)
    named = {str(s) for pair in links.items() for s in (pair[0], *pair[1])}
    for link in (*ABOUT, "org:role"):
        prefix, _, name = link.partition(":")
        named.update(
            str(o)
            for o in graph.objects(None, URIRef(PREFIXES[prefix] + name))
            if isinstance(o, URIRef)
        )
    for values in _batches(named):
        for query in _ENTITIES:
            _construct(store, query.replace("$values", values), graph, terms)
    return graph
