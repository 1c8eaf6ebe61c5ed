"""Linked Data: every IRI of the graph answers at its own path, in the format asked for.

An entity's IRI is ``https://w3id.org/china-ai-kg/person/lu-qi``; w3id.org redirects it
(303, path kept) to ``<server>/person/lu-qi``, and `kg serve` answers there by content
negotiation on ``Accept`` (RFC 9110 §12.5.1: q-values, the most specific range wins,
``Vary: Accept``):

- a browser (``text/html`` preferred) is sent on (303) to the entity page,
  ``/entity?id=person/lu-qi``;
- an RDF client gets Turtle, N-Triples or JSON-LD (``*/*``: Turtle): the entity's own
  triples, the triples that point at it, and every fact about it (``rdf:Statement``
  reifications with it as subject or object, memberships, figures and events about it)
  with its evidence: the ``oa:SpecificResource`` each fact was derived from and its
  quote and position selectors;
- anything else gets 406, and an IRI no triple of the graph names gets 404.

``/person/lu-qi.ttl``, ``.nt`` and ``.jsonld`` name one format each. Statements,
evidence, sources, memberships, figures and events dereference the same way (their
documents have no HTML page). ``/ontology`` is the vocabulary and ``/<Term>`` (a term
``ontology.ttl`` declares in the project's namespace) is sent on to it; ``/dataset``
is sent on to the dataset's VoID description at ``/.well-known/void``.

The graph is read through the worker pool with the same checks, time limit, row cap
and per-client limit as any SPARQL query; the queries are built here from a path that
can only hold unreserved characters, so no request text reaches them. Documents are
written as the build writes its files (:func:`kg.graph.writers.turtle`,
:func:`kg.graph.writers.jsonld`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote

from kg.errors import KGError
from kg.project.namespaces import BASE, PREFIXES
from kg.serve.messages import Answer, error

__all__ = [
    "RDF_OFFERS",
    "Linked",
    "Unanswered",
    "describe_query",
    "held",
    "negotiate",
    "one_build",
    "select",
]

T = TypeVar("T")

#: The formats an RDF document is offered in, by media type, in the server's order of
#: preference: the first wins a tie, so ``*/*`` (and no ``Accept`` at all) gets Turtle.
RDF_OFFERS: tuple[tuple[str, str], ...] = (
    ("text/turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"),
    ("application/x-turtle", "ttl"),
    ("application/json", "jsonld"),  # JSON-LD is JSON
    ("text/plain", "nt"),  # N-Triples' media type before it had its own
)
HTML_OFFERS: tuple[tuple[str, str], ...] = (
    ("text/html", "html"),
    ("application/xhtml+xml", "html"),
)
MEDIA = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json"}

_SEGMENT = r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*"
#: A resource path (its format suffix taken off): a kind and one to four segments of
#: unreserved characters, so the IRI built from it needs no escaping.
RESOURCE_PATH = re.compile(rf"/(?P<id>[a-z]+(?:/{_SEGMENT}){{1,4}})")
#: The ids the entity page shows (the same check as kg/static/entity.js).
ENTITY_PAGE = re.compile(
    r"(?:person|org|market|product|role)/[a-z0-9-]+|event/[a-z0-9-]+/[a-z0-9-]+"
)
ONTOLOGY_TERM = re.compile(r"/(?P<term>[A-Za-z][A-Za-z0-9]*)")
READ = ("GET", "HEAD")


class Unanswered(Exception):
    """The pool could not answer (busy, time limit, client over its limit): send *answer*."""

    def __init__(self, answer: Answer):
        super().__init__(answer.body.decode("utf-8", "replace"))
        self.answer = answer


def negotiate(accept: str, offers: Sequence[tuple[str, str]]) -> str | None:
    """The offered media type the client prefers, by RFC 9110 §12.5.1; None if none is acceptable.

    Each offer takes the q-value of the most specific range that matches it (``type/sub``
    over ``type/*`` over ``*/*``); the highest q above 0 wins, a tie goes to the earlier
    offer. A missing or empty ``Accept`` (or one with no valid range) accepts anything.

    Examples
    --------
    >>> offers = RDF_OFFERS + HTML_OFFERS
    >>> negotiate("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", offers)
    'text/html'
    >>> negotiate("text/html;q=0.1, text/turtle;q=0.9", offers)
    'text/turtle'
    >>> negotiate("text/*;q=0.2, text/html", offers), negotiate("*/*", offers)
    ('text/html', 'text/turtle')
    >>> negotiate("text/turtle;q=0, */*", RDF_OFFERS)
    'application/ld+json'
    >>> negotiate("image/png", offers) is None
    True
    """
    ranges: list[tuple[str, str, float]] = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not kind or not slash or not sub or (kind == "*" and sub != "*"):
            continue  # not a media range
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
                break  # what follows q is accept-ext, not media-type parameters
        if 0.0 <= q <= 1.0:
            ranges.append((kind, sub, q))
    if not ranges:
        return offers[0][0]
    best, best_q = None, 0.0
    for media, _ in offers:
        kind, _, sub = media.partition("/")
        q, specificity = 0.0, -1
        for rkind, rsub, rq in ranges:
            if (rkind, rsub) == (kind, sub):
                level = 2
            elif rkind == kind and rsub == "*":
                level = 1
            elif rkind == "*":
                level = 0
            else:
                continue
            if level > specificity:
                q, specificity = rq, level
            elif level == specificity:
                q = max(q, rq)
        if q > best_q:
            best, best_q = media, q
    return best


@contextlib.contextmanager
def held(app: Any, client: str) -> Iterator[None]:
    """Hold one of *client*'s query slots (the per-client limit of /sparql) while inside."""
    if not app.clients.enter(client):
        limit = app.clients.limit
        answer = error(
            429,
            f"this client already has {limit} quer{'y' if limit == 1 else 'ies'} running, "
            "the most one client may run at once; send the next when one has answered",
        )
        answer.headers["Retry-After"] = "1"
        raise Unanswered(answer)
    try:
        yield
    finally:
        app.clients.leave(client)


def _term(cell: dict[str, str]) -> Any:
    from rdflib import BNode, Literal, URIRef

    if cell["type"] == "uri":
        return URIRef(cell["value"])
    if cell["type"] == "bnode":
        return BNode(cell["value"])
    return Literal(cell["value"], lang=cell.get("xml:lang"), datatype=cell.get("datatype"))


class Moved(Exception):
    """The server moved to a newer build between the queries of one reading."""


def one_build(read: Callable[[set[str]], T], tries: int = 3) -> T:
    """``read(builds)``, whose queries all answer from one build: *builds* collects the
    builds that answered (``X-KG-Build``), and a reading that saw two is read again."""
    for _ in range(tries):
        try:
            return read(set())
        except Moved:
            continue
    raise Unanswered(error(503, "the server moved to newer builds while answering; try again"))


def select(app: Any, text: str, builds: set[str] | None = None) -> list[dict[str, Any]]:
    """Every row of a SELECT query run through the pool, as rdflib terms by variable.

    Read a page of ``app.max_rows`` rows at a time, ordered by the projected variables,
    so that the row cap never cuts the answer short; every page from one build (read
    again when the server moves to a newer one between pages). Given *builds*, the
    reading of several queries this one is part of (:func:`one_build`).
    """
    if builds is None:
        return one_build(lambda seen: select(app, text, seen))
    head = re.search(r"\bSELECT\s+(?:DISTINCT\s+)?(.*?)\s*\bWHERE\b", text, re.S | re.I)
    order = " ".join(re.findall(r"\?\w+", head.group(1))) if head else ""
    page = max(1, int(app.max_rows))
    rows: list[dict[str, Any]] = []
    while True:
        paged = f"{text}\n{'ORDER BY ' + order if order else ''} LIMIT {page} OFFSET {len(rows)}"
        answer = app.pool.run(paged, "", "json")
        if answer.status != 200:
            raise Unanswered(answer)
        build = answer.headers.get("X-KG-Build")
        if build is not None:
            builds.add(build)
            if len(builds) > 1:
                raise Moved(build)
        bindings = json.loads(answer.body)["results"]["bindings"]
        rows += [{k: _term(v) for k, v in b.items()} for b in bindings]
        if len(bindings) < page:
            return rows


def describe_query(iri: str) -> str:
    """The CONSTRUCT query of a resource's document (see the module's docstring)."""
    e = f"<{iri}>"
    return (
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
        "PREFIX prov: <http://www.w3.org/ns/prov#>\n"
        "PREFIX oa: <http://www.w3.org/ns/oa#>\n"
        "PREFIX org: <http://www.w3.org/ns/org#>\n"
        "PREFIX schema: <https://schema.org/>\n"
        "CONSTRUCT { ?s ?p ?o } WHERE {\n"
        "  {\n"
        f"    {{ VALUES ?fact {{ {e} }} }}\n"
        "    UNION { ?fact rdf:subject|rdf:object|org:member|org:organization|schema:about "
        f"{e} }}\n"
        "    ?fact prov:wasDerivedFrom?/oa:hasSelector? ?s .\n"
        "    ?s ?p ?o .\n"
        # a source's whole text only in the source's own document
        f"    FILTER (?p != schema:text || ?s = {e})\n"
        "  }\n"
        f"  UNION {{ VALUES ?o {{ {e} }} ?s ?p ?o }}\n"
        "}"
    )


def see_other(location: str, vary: bool = True) -> Answer:
    answer = Answer(303, "text/plain; charset=utf-8", f"See {location}\n".encode(), {})
    answer.headers["Location"] = location
    if vary:
        answer.headers["Vary"] = "Accept"
    return answer


def not_acceptable(accept: str, offers: Sequence[tuple[str, str]]) -> Answer:
    kinds = ", ".join(dict.fromkeys(media for media, _ in offers))
    answer = error(406, f"cannot answer as {accept[:200]!r}; this resource is offered as {kinds}")
    answer.headers["Vary"] = "Accept"
    return answer


def not_allowed(method: str, allow: str = "GET, HEAD") -> Answer:
    answer = error(405, f"{method} is not allowed here")
    answer.headers["Allow"] = allow
    return answer


@functools.cache
def _ontology() -> tuple[bytes, frozenset[str]]:
    """``ontology.ttl`` as served, and the project's own terms it declares."""
    from rdflib import Graph

    from kg.project import project_root

    path = project_root() / "ontology.ttl"
    text = path.read_bytes()
    graph = Graph().parse(data=text, format="turtle")
    terms = {
        str(s)[len(BASE) :]
        for s in graph.subjects()
        if str(s).startswith(BASE) and "/" not in str(s)[len(BASE) :]
    }
    return text, frozenset(terms)


def _ontology_terms() -> frozenset[str]:
    try:
        return _ontology()[1]
    except (KGError, OSError, SyntaxError, ValueError):  # no project here, or no ontology
        return frozenset()


_LANGUAGE = re.compile(r'"@([A-Za-z0-9-]+) \.$')


def document(ntriples: bytes, fmt: str) -> bytes:
    """A resource's document from the pool's N-Triples, written as the build writes its
    files (:func:`kg.graph.writers.turtle`, :func:`kg.graph.writers.jsonld`), language tags in their
    canonical case (the store gives them lower-cased)."""
    from rdflib import Graph

    from kg.graph.writers import jsonld, turtle
    from kg.query.store import canonical_tag

    lines = ntriples.decode("utf-8").split("\n")[:-1]
    text = "".join(
        sorted(
            {_LANGUAGE.sub(lambda m: f'"@{canonical_tag(m[1])} .', line) + "\n" for line in lines}
        )
    )
    if fmt == "nt":
        return text.encode("utf-8")
    return turtle(Graph(), text) if fmt == "ttl" else jsonld(Graph(), text)


def rdf_body(graph: Any, fmt: str) -> bytes:
    """A small rdflib graph in one of the document formats, with the project's prefixes."""
    if fmt == "nt":
        from kg.graph.writers import sorted_ntriples

        return sorted_ntriples(graph)
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    body: bytes = graph.serialize(format="turtle" if fmt == "ttl" else "json-ld", encoding="utf-8")
    return body


class Linked:
    """The Linked Data routes of one server (see the module's docstring)."""

    def __init__(self, app: Any):
        self.app = app
        self._void: dict[str, bytes] | None = None
        self._lock = threading.Lock()

    def route(self, request: Any, path: str) -> Answer | None:
        """The answer for *path*, or None if it is not a Linked Data path."""
        if path == "/.well-known/void":
            return self._guard(request, self._void_answer)
        if path == "/dataset":
            return self._guard(
                request, lambda r: see_other(self.app.public + "/.well-known/void", vary=False)
            )
        if path == "/ontology" or path.startswith("/ontology."):
            return self._guard(request, self._ontology_answer)
        term = ONTOLOGY_TERM.fullmatch(path)
        if term and term.group("term") in _ontology_terms():
            location = self.app.public + "/ontology"
            return self._guard(request, lambda r: see_other(location, vary=False))
        path = unquote(path)
        ext = next((f for f in MEDIA if path.endswith("." + f)), None)
        found = RESOURCE_PATH.fullmatch(path.removesuffix(f".{ext}") if ext else path)
        if found is None:
            return None
        return self._guard(request, lambda r: self._resource(r, found["id"], ext))

    def _guard(self, request: Any, answer: Any) -> Answer:
        if request.method not in READ:
            return not_allowed(request.method)
        try:
            result: Answer = answer(request)
        except Unanswered as exc:
            return exc.answer
        return result

    def _chosen(self, request: Any, ext: str | None, offers: Sequence[tuple[str, str]]) -> str:
        """The format: the suffix's, else the negotiated one ("" if none is acceptable)."""
        if ext:
            return ext
        media = negotiate(request.header("accept"), offers)
        return dict(offers)[media] if media else ""

    def _resource(self, request: Any, resource: str, ext: str | None) -> Answer:
        iri = BASE + resource
        page = ENTITY_PAGE.fullmatch(resource) is not None
        offers = RDF_OFFERS + (HTML_OFFERS if page else ())
        with held(self.app, request.client):
            found: Answer = self.app.pool.run(describe_query(iri), "", "nt")
        if found.status != 200:
            return found
        if not found.body.strip():
            return error(404, f"no {resource} in this graph")
        fmt = self._chosen(request, ext, offers)
        if not fmt:
            return not_acceptable(request.header("accept"), offers)
        if fmt == "html":
            return see_other(f"{self.app.public}/entity?id={resource}")
        answer = Answer(200, _content_type(fmt), document(found.body, fmt), dict(found.headers))
        here = f"{self.app.public}/{resource}"
        links = [f'<{here}.{f}>; rel="alternate"; type="{MEDIA[f]}"' for f in MEDIA]
        if page:
            links.append(
                f'<{self.app.public}/entity?id={resource}>; rel="alternate"; type="text/html"'
            )
        answer.headers["Link"] = ", ".join(links)
        if not ext:
            answer.headers["Vary"] = "Accept"
            answer.headers["Content-Location"] = f"{here}.{fmt}"
        return answer

    def _ontology_answer(self, request: Any) -> Answer:
        from rdflib import Graph

        path = request.target.split("?")[0]
        ext = path.rpartition(".")[2] if path != "/ontology" else None
        if ext not in (None, *MEDIA):
            return error(404, "not found; the ontology is /ontology (.ttl, .nt, .jsonld)")
        fmt = self._chosen(request, ext, RDF_OFFERS)
        if not fmt:
            return not_acceptable(request.header("accept"), RDF_OFFERS)
        try:
            text, _ = _ontology()
        except (KGError, OSError, SyntaxError, ValueError):
            return error(404, "no ontology here: ontology.ttl is missing or unreadable")
        body = text if fmt == "ttl" else rdf_body(Graph().parse(data=text, format="turtle"), fmt)
        answer = Answer(200, _content_type(fmt), body)
        if not ext:
            answer.headers["Vary"] = "Accept"
            answer.headers["Content-Location"] = f"{self.app.public}/ontology.{fmt}"
        return answer

    def _void_answer(self, request: Any) -> Answer:
        from kg.serve.void import void_graph

        fmt = self._chosen(request, None, RDF_OFFERS)
        if not fmt:
            return not_acceptable(request.header("accept"), RDF_OFFERS)
        with self._lock:  # read once: the server serves one build
            if self._void is None:
                with held(self.app, request.client):
                    graph = void_graph(self.app, select)
                self._void = {f: rdf_body(graph, f) for f in MEDIA}
            body = self._void[fmt]
        answer = Answer(200, _content_type(fmt), body)
        answer.headers["Vary"] = "Accept"
        return answer


def _content_type(fmt: str) -> str:
    return MEDIA[fmt] + ("; charset=utf-8" if fmt == "ttl" else "")
