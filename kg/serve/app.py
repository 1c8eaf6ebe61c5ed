"""The endpoint's routes: the SPARQL 1.1 Protocol at /sparql, the query page, the graph page.

A request arrives parsed (``kg.serve.http``); queries are checked here, in the
HTTP process, before any worker sees them (``kg.serve.check``), then run by the
worker pool (``kg.serve.workers``).
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kg.serve.check import Limits, Refused, check_query
from kg.serve.entity import entity_page
from kg.serve.http import Clients, Request
from kg.serve.linked import Linked
from kg.serve.messages import Answer, error
from kg.serve.reconcile import Reconciler

__all__ = ["GRAPH_IRI", "App", "Clients", "service_description"]

GRAPH_IRI = "https://w3id.org/china-ai-kg/graph"
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# The query and entity pages load their scripts and styles from /static/ only: no inline
# script runs there at all.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
STATIC = Path(__file__).resolve().parent.parent / "static"
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
#: The files the pages load, by URL path: fixed at import, so no request names a file.
STATIC_FILES = {
    f"/static/{p.relative_to(STATIC).as_posix()}": p
    for p in sorted(STATIC.rglob("*"))
    if p.suffix in (".js", ".css") or p.name in ("LICENSE", "README")
}


def service_description(base: str) -> bytes:
    """The SPARQL 1.1 service description, in Turtle."""
    formats = " ,\n        ".join(
        f"<http://www.w3.org/ns/formats/{name}>"
        for name in (
            "SPARQL_Results_JSON",
            "SPARQL_Results_XML",
            "SPARQL_Results_CSV",
            "SPARQL_Results_TSV",
            "Turtle",
            "N-Triples",
            "JSON-LD",
        )
    )
    return f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .

<{base}> a sd:Service ;
    sd:endpoint <{base}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:resultFormat {formats} ;
    sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph <{GRAPH_IRI}> ] .
""".encode()


def _page(name: str = "query.html") -> bytes:
    return (STATIC / name).read_bytes()


def _static(path: Path) -> Answer:
    kind = _TYPES.get(path.suffix, "text/plain; charset=utf-8")
    return Answer(200, kind, path.read_bytes(), {"X-Content-Type-Options": "nosniff"})


@dataclass
class App:
    """Answers one parsed request."""

    pool: Any  #: runs a checked query: ``pool.run(text, accept, fmt) -> Answer``
    clients: Clients
    base: str  #: the endpoint's URL, from the configuration (never from Host)
    queries_json: bytes
    limits: Limits
    cors_origins: tuple[str, ...] = ()
    graph_html: Path | None = None
    public: str = ""  #: the server's own URL, before /sparql (configured, never from Host)
    manifest: Path | None = None  #: the served build's manifest.json (counts for VoID)
    max_rows: int = 10_000  #: the pool's row cap (Linked Data reads page by it)

    def __post_init__(self) -> None:
        if not self.public:
            self.public = self.base.removesuffix("/sparql")
        self.linked = Linked(self)
        self.reconciler = Reconciler(self, labels_listing)
        self._build = getattr(self.pool, "generation", None)
        #: held while a graph page is made from the served graph (see _graph_page)
        self._making_page = threading.Lock()

    def _follow(self) -> None:
        """When the pool has moved to a newer build: its manifest, and its VoID and names
        read afresh."""
        build = getattr(self.pool, "generation", None)
        if build == self._build:
            return
        self._build = build
        served = Path(self.pool.settings.graph)
        self.manifest = served.parent / "manifest.json" if served.is_file() else None
        self.linked = Linked(self)  # (its VoID description is of one build)
        self.reconciler = Reconciler(self, labels_listing)

    def __call__(self, request: Request) -> Answer:
        self._follow()
        try:
            answer = self._route(request)
        except Exception as exc:  # never a traceback to the client
            import sys

            sys.stderr.write(f"kg serve: {type(exc).__name__} answering {request.method}\n")
            answer = error(500, "internal error")
        origin = request.header("origin")
        if origin and origin in self.cors_origins:
            vary = answer.headers.get("Vary")
            answer.headers.update(
                {
                    "Access-Control-Allow-Origin": origin,
                    "Vary": f"{vary}, Origin" if vary else "Origin",
                }
            )
        return answer

    def _route(self, request: Request) -> Answer:
        method = request.method
        url = urlsplit(request.target)
        if url.path == "/sparql":
            return self._sparql(request, url.query)
        read = method in ("GET", "HEAD")
        if url.path == "/entity" and read:  # any name or id, looked up as the CLI does
            return entity_page(self, request, url.query, PAGE_CSP)
        if url.path in ("/", "/index.html") and read:
            return Answer(
                200, "text/html; charset=utf-8", _page(), {"Content-Security-Policy": PAGE_CSP}
            )
        if url.path in STATIC_FILES and read:
            return _static(STATIC_FILES[url.path])
        if url.path == "/queries" and read:
            return Answer(200, "application/json", self.queries_json)
        if url.path == "/labels" and read:
            return Answer(200, "application/json", labels_listing())
        if url.path == "/graph" and read:
            return self._graph_page(url.query)
        if url.path.startswith("/reconcile"):
            return self.reconciler.route(request, url.path, url.query)
        linked = self.linked.route(request, url.path)  # entity paths, VoID, the ontology
        if linked is not None:
            return linked
        if url.path in ("/", "/index.html", "/entity", "/queries", "/labels", "/graph") or (
            url.path in STATIC_FILES
        ):
            return _with(error(405, f"{method} is not allowed here"), Allow="GET, HEAD")
        return error(404, "not found; the endpoint is /sparql and the query page is /")

    def _graph_page(self, query_string: str) -> Answer:
        """The interactive graph: the page ``kg viz`` wrote, or, for ``?lang=`` another
        language than that page's, the page made from the served graph (once per language;
        ``?org=`` is read by the page itself).

        Making one loads the whole graph in this process: one page is made at a time, so
        that many asking at once for a page not made yet wait for it (and then read it
        made) instead of each loading the graph again."""
        from kg.viz.model import LANGS

        csp = CSP.replace("img-src data:", "img-src data: blob:")
        lang = (parse_qs(query_string).get("lang") or [""])[0]
        if lang and lang not in LANGS:
            return error(400, f"unknown language {lang!r}: use lang={', '.join(LANGS)}")
        written = _written_page(self.graph_html)
        body = written[0] if written is not None else None
        if lang and (written is None or written[1] != lang):
            served = Path(self.pool.settings.graph)
            if not served.is_file():
                return error(404, f"no {lang} graph page here: run `kg viz --lang {lang}`")
            from kg.viz.page import served_page

            with self._making_page:
                body = served_page(served, lang)
        if body is None:
            return error(404, "no interactive graph here yet: run `kg viz` and restart `kg serve`")
        return Answer(200, "text/html; charset=utf-8", body, {"Content-Security-Policy": csp})

    def _sparql(self, request: Request, query_string: str) -> Answer:
        method = request.method
        try:
            params = parse_qs(
                query_string, keep_blank_values=True, strict_parsing=False, errors="strict"
            )
        except UnicodeDecodeError:
            return error(400, "the URL is not valid UTF-8")
        if method == "OPTIONS":
            headers = {}
            origin = request.header("origin")
            if origin and origin in self.cors_origins:
                headers = {
                    "Access-Control-Allow-Methods": "GET, POST",
                    "Access-Control-Allow-Headers": "Content-Type, Accept",
                }
            return Answer(204, "text/plain", b"", headers)
        if method not in ("GET", "POST", "HEAD"):
            return _with(error(405, f"{method} is not allowed: use GET or POST"), Allow="GET, POST")
        if method == "POST":
            if (
                "content-length" not in request.headers
                and "transfer-encoding" not in request.headers
            ):
                return error(411, "a POST needs a Content-Length")
            body = request.body
            media = request.header("content-type").split(";")[0].strip().lower()
            if media == "application/x-www-form-urlencoded":
                try:
                    form = parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict")
                except UnicodeDecodeError:
                    return error(400, "the form is not valid UTF-8")
                if "update" in form:
                    return error(403, "this endpoint is read-only: updates are refused")
                for key, values in form.items():
                    params.setdefault(key, []).extend(values)
            elif media == "application/sparql-query":
                if "query" in params:
                    return error(400, "give the query once: in the body or in the URL, not both")
                try:
                    params["query"] = [body.decode("utf-8")]
                except UnicodeDecodeError:
                    return error(400, "the query is not valid UTF-8")
            elif media == "application/sparql-update":
                return error(403, "this endpoint is read-only: updates are refused")
            elif not media:
                return error(
                    400, "a POST needs a Content-Type (application/sparql-query or a form)"
                )
            else:
                return error(
                    415,
                    f"unsupported media type {media!r}; "
                    "use application/sparql-query or application/x-www-form-urlencoded",
                )
        if "update" in params:
            return error(403, "this endpoint is read-only: updates are refused")
        queries = params.get("query", [])
        if not queries:
            if method == "POST":
                return error(400, "no query given")
            return Answer(200, "text/turtle; charset=utf-8", service_description(self.base))
        if len(queries) > 1:
            return error(400, "give exactly one query")
        graphs = params.get("default-graph-uri", [])
        if any(g != GRAPH_IRI for g in graphs) or params.get("named-graph-uri"):
            return error(
                400,
                f"this endpoint serves one graph, <{GRAPH_IRI}>; "
                "other default-graph-uri and any named-graph-uri are refused",
            )
        given = params.get("format") or params.get("output")
        fmt = given[0] if given else None
        if not self.clients.enter(request.client):
            limit = self.clients.limit
            return _with(
                error(
                    429,
                    f"this client already has {limit} quer{'y' if limit == 1 else 'ies'} "
                    "running, the most one client may run at once; send the next when one "
                    "has answered",
                ),
                **{"Retry-After": "1"},
            )
        try:
            try:
                check_query(queries[0], self.limits)  # before any worker sees it
            except Refused as exc:
                return error(exc.status, str(exc))
            answer: Answer = self.pool.run(queries[0], request.header("accept"), fmt)
        finally:
            self.clients.leave(request.client)
        if answer.status == 200:
            _warn(answer, queries[0])
        return answer


def _written_page(path: Path | None) -> tuple[bytes, str] | None:
    """The graph page ``kg viz`` wrote at *path* and its language ("" if it names none),
    read again only when the file changes; None when there is none."""
    import stat

    try:
        found = path.stat() if path is not None else None
    except OSError:
        return None
    if found is None or path is None or not stat.S_ISREG(found.st_mode):
        return None
    return _read_page(path, found.st_mtime_ns, found.st_size)


@functools.lru_cache(maxsize=2)
def _read_page(path: Path, mtime_ns: int, size: int) -> tuple[bytes, str]:
    import re

    body = path.read_bytes()
    lang = re.search(rb'<html lang="([^"]+)"', body[:400])
    return body, lang.group(1).decode() if lang else ""


def _warn(answer: Answer, query: str) -> None:
    """What ``kg query`` would warn of this query (a term the ontology does not declare,
    http://schema.org/, a language tag in capitals), as the ``X-KG-Warnings`` header: a JSON
    list of sentences, in ASCII, which the query page shows beside the row count."""
    warnings = _warnings(query) if len(query) <= 8192 else _warnings.__wrapped__(query)
    if warnings:
        answer.headers["X-KG-Warnings"] = warnings


@functools.lru_cache(maxsize=1024)
def _warnings(query: str) -> str:
    """The warnings of *query* as the header's JSON ("" for none); a few ms each, so kept
    for the queries asked again (those the server answers from its cache), up to 8 KiB
    each (at most 8 MiB in all)."""
    from kg.query.hints import query_warnings

    warnings = query_warnings(query)
    return json.dumps(warnings) if warnings else ""


def _with(answer: Answer, **headers: str) -> Answer:
    answer.headers.update(headers)
    return answer


def queries_listing() -> bytes:
    """The named queries, as the query page reads them."""
    from kg.query.named import named_queries

    listing = [
        {
            "name": q.name,
            "title": q.title,
            "en": q.en,
            "zh": q.zh,
            "text": q.text,
            "params": {k: v[0] for k, v in q.params.items()},
        }
        for q in named_queries().values()
    ]
    return json.dumps(listing, ensure_ascii=False).encode()


@functools.cache
def labels_listing() -> bytes:
    """Display labels of the predicates and classes the pages show, by IRI and language.

    From ``data/relations.yaml`` (relations; figure measures under ``measure:NAME``) and
    ``ontology.ttl`` (the other terms); a
    zh-Hant label the vocabulary lacks is converted from zh-Hans with OpenCC.
    """
    from rdflib import Graph, Literal
    from rdflib.namespace import RDFS

    from kg.data.vocabulary import load_vocabulary
    from kg.project import project_root
    from kg.project.namespaces import PREFIXES
    from kg.sources.clean import to_traditional

    root = project_root()
    labels: dict[str, dict[str, str]] = {}
    ontology = Graph().parse(root / "ontology.ttl")
    for subject, label in ontology.subject_objects(RDFS.label):
        if isinstance(label, Literal) and label.language:
            labels.setdefault(str(subject), {})[label.language] = str(label)
    vocabulary = load_vocabulary(root / "data" / "relations.yaml")
    for relation in vocabulary.relations.values():
        prefix, _, local = relation.predicate.partition(":")
        labels[PREFIXES.get(prefix, prefix + ":") + local] = dict(relation.labels)
    for name, texts in vocabulary.measures.items():  # figures' measures, as "measure:NAME"
        labels["measure:" + name] = {
            k: v for k, v in texts.items() if k in ("en", "zh-Hans", "zh-Hant")
        }
    for texts in labels.values():
        if "zh-Hant" not in texts and "zh-Hans" in texts:
            texts["zh-Hant"] = to_traditional(texts["zh-Hans"])
    return json.dumps(labels, ensure_ascii=False, sort_keys=True).encode()
