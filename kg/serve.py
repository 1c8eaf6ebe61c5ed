"""Serve: a read-only SPARQL 1.1 endpoint with a query page, safe to leave running.

The HTTP side is the standard library's threading server; queries run in a pool
of worker processes, each with its own read-only view of the store. A query
that runs past the time limit is stopped by ending its worker (which is then
replaced), and is answered 503; the other workers keep answering meanwhile.

Safety, checked on the parsed query before it is evaluated:

- read-only: updates (INSERT, DELETE, LOAD, CLEAR, DROP, …) are refused, by any method;
- no outbound requests and no file reads: SERVICE, FROM and FROM NAMED are refused;
- a time limit and a row cap (with an explicit truncation signal);
- malformed requests get a short 4xx message, never a traceback or a file path;
- no CORS unless an origin is configured; the server binds to loopback by default.
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import multiprocessing as mp
import os
import queue
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kg.errors import KGError

__all__ = ["ServeConfig", "make_server", "serve"]

GRAPH_IRI = "https://w3id.org/china-ai-kg/graph"
RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "ttl",
    "application/turtle": "ttl",
    "application/x-turtle": "ttl",
    "text/n3": "ttl",  # Turtle is N3
    "text/rdf+n3": "ttl",
    "application/n3": "ttl",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
}
FORMAT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "ttl": "text/turtle; charset=utf-8",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class ServeError(KGError):
    """The server cannot start (bad options, port taken, no graph)."""


@dataclass
class ServeConfig:
    """How to serve: the store, where to listen, and the safety limits."""

    store: str = "oxigraph"
    graph: Path = Path("build/kg.nt")
    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 10.0  #: seconds a query may run
    max_rows: int = 10_000  #: rows (or triples) a result may hold before it is truncated
    workers: int = 4  #: query worker processes
    cors_origins: tuple[str, ...] = ()
    graph_html: Path | None = None  #: the interactive graph to serve at /graph
    max_body: int = 1_000_000  #: bytes a request body may have
    max_memory: int = 4 << 30  #: bytes of address space a query worker may use (0: no limit)
    #: queries one client address may have running at once (0: no limit; None: workers - 1,
    #: so that one client can never hold every worker)
    max_per_client: int | None = None
    verbose: bool = False  #: log every request on stderr

    @property
    def per_client(self) -> int:
        """The per-client limit in force (0 for none)."""
        if self.max_per_client is None:
            return max(1, self.workers - 1)
        return self.max_per_client


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, message: str) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", (message.rstrip() + "\n").encode("utf-8"))


# --- the worker process --------------------------------------------------------


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _walk(node: Any) -> Iterable[Any]:
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, CompValue):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif hasattr(item, "asList") and not isinstance(item, str):
            stack.extend(list(item))


def _check_query(text: str) -> str:
    """Parse *text*; refuse updates, SERVICE, FROM and FROM NAMED; return the query form.

    Raises ``_Refused`` with the HTTP status and a short message.
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        parsed = parseQuery(text)
    except ParseException as exc:
        try:
            parseUpdate(text)
        except Exception:
            raise _Refused(
                400, f"malformed query: line {exc.lineno}, column {exc.col}: {exc.msg}"
            ) from None
        raise _Refused(
            403,
            "this endpoint is read-only: "
            "updates (INSERT, DELETE, LOAD, CLEAR, DROP, …) are refused",
        ) from None
    except Exception as exc:
        raise _Refused(400, f"malformed query: {str(exc).splitlines()[0][:200]}") from None
    form = "SELECT"
    for item in _walk(parsed):
        if isinstance(item, CompValue):
            if item.name == "ServiceGraphPattern":
                raise _Refused(
                    400, "SERVICE is not allowed: this endpoint makes no outbound requests"
                )
            if item.name == "DatasetClause" or "datasetClause" in item:
                raise _Refused(
                    400, "FROM and FROM NAMED are not allowed: this endpoint reads no other graphs"
                )
            if item.name in ("SelectQuery", "AskQuery", "ConstructQuery", "DescribeQuery"):
                form = item.name[: -len("Query")].upper()
    return form


# SPARQL's tokens, enough to find its keywords: strings, IRIs, comments, variables,
# language tags, blank nodes and prefixed names are stepped over whole.
_SKIP = "|".join(
    [
        r"\s+",
        r"#[^\n\r]*",
        r'"""(?:[^"\\]|\\.|"(?!""))*"""',
        r"'''(?:[^'\\]|\\.|'(?!''))*'''",
        r'"(?:[^"\\\n\r]|\\.)*"',
        r"'(?:[^'\\\n\r]|\\.)*'",
        r"<[^<>\"{}|^`\\\x00-\x20]*>",
        r"[?$][^\s(){}\[\];,.=<>!&|+*/]+",
        r"@[A-Za-z]+(?:-[A-Za-z0-9]+)*",
        r"_:[^\s(){}\[\];,]+",
        r"[^\s(){}\[\];,:\"'<>?$@#]*:[^\s(){}\[\];,]*",
    ]
)
_TOKEN = re.compile(rf"(?:{_SKIP})|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|.", re.DOTALL)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# Keywords of the refused features (and of updates): only these call for a full parse.
_SUSPECT = {
    "SERVICE", "FROM", "NAMED", "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE",
    "ADD", "MOVE", "COPY", "WITH", "USING",
}  # fmt: skip
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def _unescape(text: str) -> str:
    """Apply SPARQL's codepoint escapes (\\uXXXX, \\UXXXXXXXX), as the parser does first."""

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise _Refused(400, "malformed query: an escape names no character")
        return chr(code)

    return _ESCAPE.sub(char, text)


# Oxigraph reads a keyword even when a name or an IRI follows it with no space
# ("SERVICE:x", "SERVICESILENT<…>"), so the fast path below is taken only when these
# letters appear nowhere in the query, in any case, after unescaping.
_NEEDS_PARSE = ("service", "from", "named")


def keywords(text: str) -> list[str]:
    """The bare words of a query, upper-cased, after SPARQL's codepoint escapes are applied.

    Examples
    --------
    >>> keywords('SELECT ?from WHERE { ?s ex:SERVICE "FROM" } # SERVICE')
    ['SELECT', 'WHERE']
    >>> keywords("SELECT * WHERE { SERV\\\\u0049CE <http://x/> { ?s ?p ?o } }")
    ['SELECT', 'WHERE', 'SERVICE']
    """
    text = _unescape(text)
    return [m.group("word").upper() for m in _TOKEN.finditer(text) if m.group("word")]


def _checked(text: str) -> tuple[str | None, int, str]:
    # Results are cached, but not for long texts, which would fill the cache.
    return _checked_cached(text) if len(text) <= 20_000 else _check_uncached(text)


@functools.lru_cache(maxsize=512)
def _checked_cached(text: str) -> tuple[str | None, int, str]:
    return _check_uncached(text)


def _check_uncached(text: str) -> tuple[str | None, int, str]:
    try:
        words = keywords(text)
        if not words:
            raise _Refused(400, "the query is empty")
        form = next((w for w in words if w in _FORMS), None)
        folded = _unescape(text).casefold()
        if (
            form is not None
            and _SUSPECT.isdisjoint(words)
            and not any(part in folded for part in _NEEDS_PARSE)
        ):
            # No SERVICE, FROM or NAMED anywhere, not even glued to another word, and no
            # update keyword: the grammar cannot produce them, so skip the slow parse.
            return form, 0, ""
        return _check_query(text), 0, ""
    except _Refused as exc:
        return None, exc.status, str(exc)


def check_query(text: str) -> str:
    """Check *text* before it is evaluated; refuse what is unsafe.

    The query is tokenized by SPARQL's lexical rules, after its ``\\u`` escapes
    are applied. A query holding a keyword of a refused feature (SERVICE, FROM,
    FROM NAMED, or any update's) is parsed in full with rdflib's SPARQL parser
    and refused if the parse tree has the feature or the text is an update; a
    query without those keywords cannot have them. Results are cached, since a
    full parse costs far more than a cheap query.

    Returns the query form (SELECT, ASK, CONSTRUCT or DESCRIBE), or raises
    ``_Refused`` with the HTTP status and a short message.
    """
    form, status, message = _checked(text)
    if form is None:
        raise _Refused(status, message)
    return form


def _choose(form: str, accept: str, fmt: str | None) -> str:
    """The output format for a query form, from ?format= or the Accept header."""
    table = GRAPH_TYPES if form in ("CONSTRUCT", "DESCRIBE") else RESULT_TYPES
    allowed = set(table.values())
    if fmt:  # ?format= (or SPARQLWrapper's output=): a short name or a media type
        name = fmt.strip().lower()
        graph = form in ("CONSTRUCT", "DESCRIBE")
        aliases = {
            "turtle": "ttl",
            "n3": "ttl",
            "ntriples": "nt",
            "n-triples": "nt",
            "json-ld": "jsonld",
            "rdf": "rdfxml",
            "rdf+xml": "rdfxml",
            "xml": "rdfxml" if graph else "xml",
            "json": "jsonld" if graph else "json",
        }
        name = table.get(name, aliases.get(name, name))
        if name in allowed:
            return name
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",") if accept else []):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                with contextlib.suppress(ValueError):
                    q = float(param[2:])
        if q > 0:
            ranked.append((-q, index, media.lower()))
    if not ranked:
        return "ttl" if form in ("CONSTRUCT", "DESCRIBE") else "json"
    for _, _, media in sorted(ranked):
        if media in table:
            return table[media]
        if media in ("*/*", "application/*", "text/*"):
            return "ttl" if form in ("CONSTRUCT", "DESCRIBE") else "json"
    raise _Refused(406, f"cannot answer a {form} query as {accept!r}")


def _term(term: Any) -> tuple[str, str, str | None, str | None]:
    """(kind, value, language, datatype) for a pyoxigraph or rdflib term."""
    name = type(term).__name__
    if name == "NamedNode" or name == "URIRef":
        return ("uri", str(term.value if hasattr(term, "value") else term), None, None)
    if name in ("BlankNode", "BNode"):
        return ("bnode", str(term.value if hasattr(term, "value") else term), None, None)
    if hasattr(term, "datatype") and hasattr(term, "value") and not isinstance(term, str):
        value, language = term.value, term.language  # pyoxigraph
        datatype = term.datatype.value if term.datatype is not None else None
    else:
        value, language = str(term), getattr(term, "language", None)
        datatype = str(term.datatype) if getattr(term, "datatype", None) is not None else None
    if language or datatype in ("http://www.w3.org/2001/XMLSchema#string", None):
        datatype = None
    if datatype == "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString":
        datatype = None
    return ("literal", str(value), language, datatype)


def _nt(term: tuple[str, str, str | None, str | None]) -> str:
    kind, value, language, datatype = term
    if kind == "uri":
        return f"<{value}>"
    if kind == "bnode":
        return f"_:{value}"
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    if language:
        return f'"{escaped}"@{language}'
    if datatype:
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'


def _csv_cell(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _xml(text: str) -> str:
    return html.escape(text, quote=True)


def serialize_table(
    variables: list[str], solutions: Iterable[Iterable[Any]], fmt: str, max_rows: int
) -> tuple[bytes, bool]:
    """SELECT results in a W3C format, at most *max_rows* rows; returns (body, truncated)."""
    Cell = tuple[str, str, str | None, str | None]
    converted: dict[Any, Cell] = {}  # results repeat their terms: convert each once

    def convert(term: Any) -> Cell:
        found = converted.get(term)
        if found is None:
            found = converted[term] = _term(term)
        return found

    rows: list[list[Cell | None]] = []
    truncated = False
    for solution in solutions:
        if len(rows) == max_rows:
            truncated = True
            break
        rows.append([convert(t) if t is not None else None for t in solution])
    if fmt == "json":
        fragments: dict[Cell, str] = {}

        def fragment(c: Cell) -> str:
            found = fragments.get(c)
            if found is None:
                kind, value, language, datatype = c
                entry = {"type": kind, "value": value}
                if language:
                    entry["xml:lang"] = language
                if datatype:
                    entry["datatype"] = datatype
                found = fragments[c] = json.dumps(entry, ensure_ascii=False)
            return found

        keys = [json.dumps(v, ensure_ascii=False) + ":" for v in variables]
        bindings = ",".join(
            "{" + ",".join(k + fragment(c) for k, c in zip(keys, row, strict=True) if c) + "}"
            for row in rows
        )
        head: dict[str, Any] = {"vars": variables}
        if truncated:
            head["link"] = [f"urn:kg:truncated:{max_rows}"]
        head_json = json.dumps(head, ensure_ascii=False)
        text = f'{{"head": {head_json}, "results": {{"bindings": [{bindings}]}}}}'
        return text.encode("utf-8"), truncated
    if fmt == "xml":
        out = [
            '<?xml version="1.0"?>',
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
            "<head>",
        ]
        out += [f'<variable name="{_xml(v)}"/>' for v in variables]
        if truncated:
            out.append(f'<link href="urn:kg:truncated:{max_rows}"/>')
        out.append("</head><results>")
        for row in rows:
            out.append("<result>")
            for name, cell in zip(variables, row, strict=True):
                if cell is None:
                    continue
                kind, value, language, datatype = cell
                if kind == "literal":
                    attrs = f' xml:lang="{_xml(language)}"' if language else ""
                    attrs += f' datatype="{_xml(datatype)}"' if datatype else ""
                    inner = f"<literal{attrs}>{_xml(value)}</literal>"
                else:
                    inner = f"<{kind}>{_xml(value)}</{kind}>"
                out.append(f'<binding name="{_xml(name)}">{inner}</binding>')
            out.append("</result>")
        out.append("</results></sparql>")
        return ("\n".join(out) + "\n").encode("utf-8"), truncated
    if fmt == "csv":
        lines = [",".join(_csv_cell(v) for v in variables)]
        lines += [",".join(_csv_cell(c[1]) if c else "" for c in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8"), truncated
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines += ["\t".join(_nt(c) if c else "" for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8"), truncated


def serialize_graph(triples: Iterable[Any], fmt: str, max_rows: int) -> tuple[bytes, bool]:
    """CONSTRUCT/DESCRIBE results as Turtle, N-Triples, JSON-LD or RDF/XML, capped at *max_rows*."""
    from rdflib import Graph

    from kg.build import PREFIXES

    lines: list[str] = []
    truncated = False
    for triple in triples:
        if len(lines) == max_rows:
            truncated = True
            break
        parts = (
            (triple.subject, triple.predicate, triple.object)
            if hasattr(triple, "subject")
            else triple
        )
        lines.append(" ".join(_nt(_term(t)) for t in parts) + " .")
    nt = "\n".join(sorted(set(lines))) + ("\n" if lines else "")
    if fmt == "nt":
        return nt.encode("utf-8"), truncated
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    graph.parse(data=nt, format="nt")
    rdf_format = {"ttl": "turtle", "jsonld": "json-ld", "rdfxml": "xml"}[fmt]
    body = graph.serialize(format=rdf_format, encoding="utf-8")
    return body, truncated


def answer_query(store: Any, text: str, accept: str, fmt: str | None, max_rows: int) -> Answer:
    """Check, run and serialize one query (in a worker process)."""
    try:
        form = check_query(text)
        chosen = _choose(form, accept, fmt)
        try:
            result = store.query(text)
        except SyntaxError as exc:  # Oxigraph's parser: "error at LINE:COLUMN: …"
            from kg.query import oxigraph_position

            return _error(400, f"malformed query: {oxigraph_position(str(exc))[:300]}")
        except (RuntimeError, ValueError, OSError) as exc:
            return _error(
                400, f"the query could not be evaluated: {str(exc).splitlines()[0][:200]}"
            )
        if form == "ASK":
            value = (
                bool(result)
                if type(result).__module__.startswith("pyoxigraph")
                else bool(result.askAnswer)
            )
            if chosen == "json":
                body = json.dumps({"head": {}, "boolean": value}).encode()
            elif chosen == "xml":
                body = (
                    '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                    f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n"
                ).encode()
            else:
                body = (("true" if value else "false") + "\n").encode()
            return Answer(200, FORMAT_TYPES[chosen], body)
        if form in ("CONSTRUCT", "DESCRIBE"):
            triples = result if type(result).__module__.startswith("pyoxigraph") else result.graph
            try:
                body, truncated = serialize_graph(triples, chosen, max_rows)
            except ValueError as exc:  # e.g. RDF/XML cannot write a predicate IRI
                message = str(exc).splitlines()[0][:200]
                return _error(406, f"the result cannot be written as {chosen}: {message}")
        else:
            if type(result).__module__.startswith("pyoxigraph"):
                variables = [v.value for v in result.variables]
            else:
                variables = [str(v) for v in result.vars or []]
            body, truncated = serialize_table(variables, result, chosen, max_rows)
        headers = {"X-KG-Truncated": f"true; max-rows={max_rows}"} if truncated else {}
        return Answer(200, FORMAT_TYPES[chosen], body, headers)
    except _Refused as exc:
        return _error(exc.status, str(exc))


CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def isolate_network() -> bool:
    """Move this process into a network namespace of its own, with no route out.

    Oxigraph follows SERVICE calls by itself; the query check refuses them, and this
    makes sure a worker could not reach any address even if one slipped through.
    Returns False where the system does not allow it (then only the check stands).
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return False
    return any(libc.unshare(flags) == 0 for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET))


def _worker_main(
    conn: Any, spec: str, graph: str, max_rows: int, max_memory: int = 0
) -> None:  # pragma: no cover - child
    from kg.store import open_store

    isolated = isolate_network()
    if max_memory:
        import resource

        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))

    try:
        store = open_store(spec, graph)
    except KGError as exc:
        conn.send(("failed", str(exc)))
        return
    conn.send(("ready", "" if isolated else "not network-isolated"))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        text, accept, fmt = message
        try:
            reply = answer_query(store, text, accept, fmt, max_rows)
        except Exception as exc:  # never a traceback to the client
            reply = _error(500, f"the query could not be answered ({type(exc).__name__})")
        conn.send(reply)


class _Worker:
    def __init__(self, config: ServeConfig):
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main,
            args=(child, config.store, str(config.graph), config.max_rows, config.max_memory),
            daemon=True,
        )
        self.process.start()
        child.close()

    def wait_ready(self, seconds: float) -> None:
        if not self.conn.poll(seconds):
            self.kill()
            raise ServeError("a query worker did not start in time")
        state, message = self.conn.recv()
        if state != "ready":
            raise ServeError(message)
        self.isolated = not message

    demoted = False

    def demote(self) -> None:
        self.demoted = True
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, self.process.pid or 0, 10)

    def retire(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        threading.Thread(target=self.kill, daemon=True).start()

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()


class WorkerPool:
    """Worker processes that run queries; a worker past the time limit is replaced.

    A query still running after ``DEMOTE_AFTER`` seconds has its worker's CPU
    priority lowered (nice 10), so that cheap queries in the other workers keep
    their latency while it runs; a fresh worker takes its place in the pool at
    once, and it is retired once it answers.
    """

    DEMOTE_AFTER = 1.0

    def __init__(self, config: ServeConfig):
        self.config = config
        self.idle: queue.Queue[_Worker] = queue.Queue()
        self.stopped = False
        workers = [_Worker(config) for _ in range(max(1, config.workers))]
        try:
            for worker in workers:
                worker.wait_ready(120)
        except ServeError:
            for worker in workers:
                worker.kill()
            raise
        self.isolated = all(getattr(w, "isolated", False) for w in workers)
        for worker in workers:
            self.idle.put(worker)

    def _replace(self) -> None:
        def start() -> None:
            if self.stopped:
                return
            worker = _Worker(self.config)
            try:
                worker.wait_ready(120)
            except ServeError:
                return
            self.idle.put(worker)

        threading.Thread(target=start, daemon=True).start()

    def run(self, text: str, accept: str, fmt: str | None) -> Answer:
        deadline = time.monotonic() + self.config.timeout
        try:
            worker = self.idle.get(timeout=self.config.timeout)
        except queue.Empty:
            return _error(503, "the server is busy; try again shortly")
        try:
            worker.conn.send((text, accept, fmt))
            ready = worker.conn.poll(min(self.DEMOTE_AFTER, max(0.0, deadline - time.monotonic())))
            if not ready:
                # A long query yields the CPU to the cheap ones running in other workers,
                # and a fresh worker takes its place in the pool straight away.
                worker.demote()
                self._replace()
                ready = worker.conn.poll(max(0.0, deadline - time.monotonic()))
            if ready:
                reply: Answer = worker.conn.recv()
                if worker.demoted:  # its priority cannot be raised again; replaced already
                    worker.retire()
                else:
                    self.idle.put(worker)
                return reply
        except (OSError, EOFError):
            worker.kill()
            if not worker.demoted:
                self._replace()
            return _error(503, "the query was stopped: it needed more memory than a query may use")
        worker.kill()
        if not worker.demoted:
            self._replace()
        return _error(
            503, f"the query ran past the {self.config.timeout:g} s time limit and was stopped"
        )

    def close(self) -> None:
        self.stopped = True
        while True:
            try:
                worker = self.idle.get_nowait()
            except queue.Empty:
                break
            with contextlib.suppress(Exception):
                worker.conn.send(None)
            worker.kill()


# --- the HTTP side ------------------------------------------------------------------


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


def _page() -> bytes:
    return (Path(__file__).resolve().parent / "static" / "query.html").read_bytes()


class _Clients:
    """How many queries each client address has running, against the per-client limit."""

    def __init__(self, limit: int):
        self.limit = limit
        self.running: dict[str, int] = {}
        self.lock = threading.Lock()

    def enter(self, address: str) -> bool:
        with self.lock:
            if self.limit and self.running.get(address, 0) >= self.limit:
                return False
            self.running[address] = self.running.get(address, 0) + 1
            return True

    def leave(self, address: str) -> None:
        with self.lock:
            left = self.running.get(address, 0) - 1
            if left > 0:
                self.running[address] = left
            else:
                self.running.pop(address, None)


class _Handler(BaseHTTPRequestHandler):
    timeout = 30  # seconds a client may take to send its request
    server_version = "kg-sparql"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    config: ServeConfig
    pool: WorkerPool
    clients: _Clients
    queries_json: bytes

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm
        # and the client's delayed ACK add 40 ms to every small answer.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        if self.config.verbose:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    # -- plumbing --
    def _cors(self) -> dict[str, str]:
        origin = self.headers.get("Origin")
        if origin and origin in self.config.cors_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {}

    def _send(self, answer: Answer, head_only: bool = False) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        for key, value in {**self._cors(), **answer.headers}.items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head_only:
            self.wfile.write(answer.body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's own errors (414, 431, 501, 505 …) as short plain text."""
        self.close_connection = True
        with contextlib.suppress(Exception):
            self._fail(code, message or HTTPStatus(code).phrase)

    def _fail(self, status: int, message: str, allow: str | None = None) -> None:
        # The rest of the request may be unread: never parse it as a next request.
        self.close_connection = True
        answer = _error(status, message)
        if allow:
            answer.headers["Allow"] = allow
        self._send(answer)

    def _base(self) -> str:
        # From the configuration, never from the Host header (which the client chooses).
        port = self.server.server_address[1]  # type: ignore[index]
        host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
        return f"http://{host}:{port}/sparql"

    # -- routes --
    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        if url.path == "/sparql":
            self._sparql(method, url.query)
        elif url.path in ("/", "/index.html") and method in ("GET", "HEAD"):
            self._send(
                Answer(200, "text/html; charset=utf-8", _page(), {"Content-Security-Policy": _CSP}),
                head_only=method == "HEAD",
            )
        elif url.path == "/queries" and method in ("GET", "HEAD"):
            self._send(
                Answer(200, "application/json", self.queries_json), head_only=method == "HEAD"
            )
        elif url.path == "/graph" and method in ("GET", "HEAD"):
            path = self.config.graph_html
            if path is None or not path.is_file():
                self._fail(
                    404, "no interactive graph here yet: run `kg viz` and restart `kg serve`"
                )
                return
            csp = _CSP.replace("img-src data:", "img-src data: blob:")
            self._send(
                Answer(
                    200,
                    "text/html; charset=utf-8",
                    path.read_bytes(),
                    {"Content-Security-Policy": csp},
                ),
                head_only=method == "HEAD",
            )
        elif url.path in ("/", "/index.html", "/queries", "/graph"):
            self._fail(405, f"{method} is not allowed here", allow="GET, HEAD")
        else:
            self._fail(404, "not found; the endpoint is /sparql and the query page is /")

    def _sparql(self, method: str, query_string: str) -> None:
        try:
            params = parse_qs(
                query_string, keep_blank_values=True, strict_parsing=False, errors="strict"
            )
        except UnicodeDecodeError:
            self._fail(400, "the URL is not valid UTF-8")
            return
        if method == "OPTIONS":
            headers = self._cors()
            if headers:
                headers.update(
                    {
                        "Access-Control-Allow-Methods": "GET, POST",
                        "Access-Control-Allow-Headers": "Content-Type, Accept",
                    }
                )
            self._send(Answer(204, "text/plain", b"", headers))
            return
        if method not in ("GET", "POST", "HEAD"):
            self._fail(405, f"{method} is not allowed: use GET or POST", allow="GET, POST")
            return
        if method == "POST":
            length = self.headers.get("Content-Length")
            if length is None:
                self._fail(411, "a POST needs a Content-Length")
                return
            if not length.isascii() or not length.isdigit():
                self._fail(400, "bad Content-Length")
                return
            size = int(length)
            if size > self.config.max_body:
                self._fail(413, f"the request body is over {self.config.max_body} bytes")
                return
            body = self.rfile.read(size)
            media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if media == "application/x-www-form-urlencoded":
                try:
                    form = parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict")
                except UnicodeDecodeError:
                    self._fail(400, "the form is not valid UTF-8")
                    return
                if "update" in form:
                    self._fail(403, "this endpoint is read-only: updates are refused")
                    return
                for key, values in form.items():
                    params.setdefault(key, []).extend(values)
            elif media == "application/sparql-query":
                if "query" in params:
                    self._fail(400, "give the query once: in the body or in the URL, not both")
                    return
                try:
                    params["query"] = [body.decode("utf-8")]
                except UnicodeDecodeError:
                    self._fail(400, "the query is not valid UTF-8")
                    return
            elif media == "application/sparql-update":
                self._fail(403, "this endpoint is read-only: updates are refused")
                return
            elif not media:
                self._fail(400, "a POST needs a Content-Type (application/sparql-query or a form)")
                return
            else:
                self._fail(
                    415,
                    f"unsupported media type {media!r}; "
                    "use application/sparql-query or application/x-www-form-urlencoded",
                )
                return
        if "update" in params:
            self._fail(403, "this endpoint is read-only: updates are refused")
            return
        queries = params.get("query", [])
        if not queries:
            if method == "POST":
                self._fail(400, "no query given")
                return
            self._send(
                Answer(200, "text/turtle; charset=utf-8", service_description(self._base())),
                head_only=method == "HEAD",
            )
            return
        if len(queries) > 1:
            self._fail(400, "give exactly one query")
            return
        graphs = params.get("default-graph-uri", [])
        if any(g != GRAPH_IRI for g in graphs) or params.get("named-graph-uri"):
            self._fail(
                400,
                f"this endpoint serves one graph, <{GRAPH_IRI}>; "
                "other default-graph-uri and any named-graph-uri are refused",
            )
            return
        given = params.get("format") or params.get("output")
        fmt = given[0] if given else None
        address = self.client_address[0]
        if not self.clients.enter(address):
            limit = self.clients.limit
            answer = _error(
                429,
                f"this client already has {limit} quer{'y' if limit == 1 else 'ies'} running, "
                "the most one client may run at once; send the next when one has answered",
            )
            answer.headers["Retry-After"] = "1"
            self._send(answer, head_only=method == "HEAD")
            return
        try:
            answer = self.pool.run(queries[0], self.headers.get("Accept", ""), fmt)
        finally:
            self.clients.leave(address)
        self._send(answer, head_only=method == "HEAD")

    def _safe(self, method: str) -> None:
        try:
            self._route(method)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # never a traceback to the client
            sys.stderr.write(
                f"kg serve: {type(exc).__name__} answering {method} {self.path[:80]}\n"
            )
            with contextlib.suppress(Exception):
                self._fail(500, "internal error")

    def do_GET(self) -> None:
        self._safe("GET")

    def do_POST(self) -> None:
        self._safe("POST")

    def do_HEAD(self) -> None:
        self._safe("HEAD")

    def do_OPTIONS(self) -> None:
        self._safe("OPTIONS")

    def do_PUT(self) -> None:
        self._safe("PUT")

    def do_DELETE(self) -> None:
        self._safe("DELETE")

    def do_TRACE(self) -> None:
        self._safe("TRACE")

    def do_CONNECT(self) -> None:
        self._safe("CONNECT")

    def do_PATCH(self) -> None:
        self._safe("PATCH")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(config: ServeConfig) -> tuple[ThreadingHTTPServer, WorkerPool]:
    """Start the workers and bind the HTTP server (not yet serving)."""
    from kg.query import named_queries

    if not config.graph.is_file() and not config.store.startswith("sparql+"):
        raise ServeError(f"{config.graph}: no such graph file; run `kg build` first")
    if config.timeout <= 0 or config.max_rows <= 0 or config.workers <= 0:
        raise ServeError("--timeout, --max-rows and --workers must be positive")
    if config.per_client < 0:
        raise ServeError("--max-per-client must be 0 (no limit) or more")
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
    pool = WorkerPool(config)
    handler = type(
        "Handler",
        (_Handler,),
        {
            "config": config,
            "pool": pool,
            "clients": _Clients(config.per_client),
            "queries_json": json.dumps(listing, ensure_ascii=False).encode(),
        },
    )
    try:
        server = _Server((config.host, config.port), handler)
    except OSError as exc:
        pool.close()
        raise ServeError(f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from None
    return server, pool


def serve(config: ServeConfig, ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted; *ready* is called with the base URL once listening."""
    server, pool = make_server(config)
    host, port = server.server_address[:2]
    if not pool.isolated:
        sys.stderr.write(
            "kg serve: warning: this system does not let the query workers drop their network "
            "access (unshare); refusing SERVICE rests on the query check alone\n"
        )
    try:
        if ready:
            ready(f"http://{host!s}:{port}")
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        pool.close()
