"""Serve: a read-only SPARQL 1.1 endpoint with a query page, safe to leave running.

The parts, in the order a request meets them:

- ``http``: HTTP/1.1 (h11) with limits on the request line, headers, body,
  time and connections, each ending in its own status;
- ``app``: the routes; the SPARQL 1.1 Protocol at /sparql;
- ``check``: every query is read as the engine reads it (the SPARQL grammar's
  lexical rules) and refused, before any worker sees it, if it is an update
  (403), asks for SERVICE, FROM or FROM NAMED, or is too big or too deep (400);
- ``workers``: queries run in worker processes that have no network (their own
  network namespace; the server refuses to start without it unless told
  ``allow_unisolated``), with a time limit, a memory limit and a row cap;
- ``cache``: the answers of the served build kept (by build, query text and
  format, within a memory budget), and each query's measured cost, by which the
  workers run expensive queries apart from cheap ones;
- ``results``: answers in the W3C result and RDF formats;
- ``linked``: Linked Data — every IRI of the graph at its own path, by content
  negotiation (the entity page, Turtle, N-Triples, JSON-LD), and the ontology;
- ``void``: the dataset's VoID and DCAT description at /.well-known/void;
- ``reconcile``: an OpenRefine reconciliation service (Reconciliation Service API 0.2)
  at /reconcile, matching names as :mod:`kg.query.lookup` does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kg.serve.app import GRAPH_IRI, App, Clients, queries_listing
from kg.serve.check import Limits, Refused, check_query, keywords
from kg.serve.http import HttpLimits, HttpServer
from kg.serve.workers import ServeError, WorkerPool, answer_query, isolate_network

__all__ = [
    "GRAPH_IRI",
    "Clients",
    "HttpLimits",
    "Limits",
    "Refused",
    "ServeConfig",
    "ServeError",
    "answer_query",
    "check_query",
    "isolate_network",
    "keywords",
    "make_server",
    "serve",
]


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
    #: the URL clients reach the server at (behind a proxy, or where w3id.org redirects
    #: to), used in every link the server writes; default: http://HOST:PORT
    public_url: str | None = None
    max_body: int = 1_000_000  #: bytes a request body may have
    max_memory: int = 4 << 30  #: bytes of address space a query worker may use (0: no limit)
    #: queries one client address may have running at once (0: no limit; None: workers - 1,
    #: so that one client can never hold every worker)
    max_per_client: int | None = None
    max_query_bytes: int = Limits.max_bytes  #: UTF-8 bytes a query may have
    max_depth: int = Limits.max_depth  #: brackets a query may have open at once
    max_connections: int = HttpLimits.max_connections  #: connections open at once
    #: connections one client address may have open (0: no limit)
    max_connections_per_client: int = HttpLimits.max_per_client
    request_timeout: float = HttpLimits.request_timeout  #: seconds to send a whole request
    idle_timeout: float = HttpLimits.idle_timeout  #: seconds a connection may sit idle
    #: serve even where the workers cannot be cut off from the network (not recommended)
    allow_unisolated: bool = False
    #: move to each newer build published where ``graph`` links to (``build/kg.nt``); off:
    #: serve the build the server started with until it stops
    follow_builds: bool = True
    cache_bytes: int = 64 << 20  #: memory for kept answers (0: keep none)
    verbose: bool = False  #: log every request on stderr

    @property
    def per_client(self) -> int:
        """The per-client limit in force (0 for none)."""
        if self.max_per_client is None:
            return max(1, self.workers - 1)
        return self.max_per_client

    @property
    def limits(self) -> Limits:
        return Limits(max_bytes=self.max_query_bytes, max_depth=self.max_depth)

    @property
    def http_limits(self) -> HttpLimits:
        return HttpLimits(
            max_body=self.max_body,
            max_connections=self.max_connections,
            max_per_client=self.max_connections_per_client,
            request_timeout=self.request_timeout,
            idle_timeout=self.idle_timeout,
        )


def make_server(config: ServeConfig) -> tuple[HttpServer, WorkerPool]:
    """Start the workers and bind the HTTP server (not yet serving)."""
    if not config.graph.is_file() and not config.store.startswith("sparql+"):
        raise ServeError(f"{config.graph}: no such graph file; run `kg build` first")
    positive = (
        config.timeout,
        config.max_rows,
        config.workers,
        config.max_query_bytes,
        config.max_depth,
        config.max_connections,
        config.request_timeout,
        config.idle_timeout,
    )
    if min(positive) <= 0:
        raise ServeError(
            "--timeout, --max-rows, --workers, --max-query-bytes, --max-depth, "
            "--max-connections and --request-timeout must be positive"
        )
    if config.per_client < 0:
        raise ServeError("--max-per-client must be 0 (no limit) or more")
    public = _public_url(config.public_url)
    listing = queries_listing()
    pool = WorkerPool(
        config.store,
        config.graph,
        workers=config.workers,
        timeout=config.timeout,
        max_rows=config.max_rows,
        max_memory=config.max_memory,
        limits=config.limits,
        allow_unisolated=config.allow_unisolated,
        follow=config.follow_builds,
        cache_bytes=config.cache_bytes,
    )
    host = config.host if ":" not in config.host else f"[{config.host}]"

    def log(line: str) -> None:
        sys.stderr.write(line + "\n")

    try:
        server = HttpServer(
            config.host,
            config.port,
            lambda r: app(r),
            config.http_limits,
            log if config.verbose else None,
        )
    except OSError as exc:
        pool.close()
        raise ServeError(f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from None
    # The endpoint's own URL comes from the configuration, never from the Host header.
    public = public or f"http://{host}:{server.server_address[1]}"
    served = Path(pool.settings.graph)
    app = App(
        pool=pool,
        clients=Clients(config.per_client),
        base=f"{public}/sparql",
        public=public,
        manifest=served.parent / "manifest.json" if served.is_file() else None,
        max_rows=config.max_rows,
        queries_json=listing,
        limits=config.limits,
        cors_origins=config.cors_origins,
        graph_html=config.graph_html,
    )
    return server, pool


def _public_url(url: str | None) -> str | None:
    """The configured public URL, checked: http(s), a host, no query or fragment."""
    if url is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or any(c in url for c in ' <>"{}|\\^`')
    ):
        raise ServeError(
            f"--public-url {url!r}: give an http(s) URL such as https://kg.example.org "
            "(a path is allowed; no query or fragment)"
        )
    return url.strip().rstrip("/")


def serve(config: ServeConfig, ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted; *ready* is called with the base URL once listening."""
    server, pool = make_server(config)
    host, port = server.server_address[:2]
    if not pool.isolated:
        sys.stderr.write(
            "kg serve: warning: the query workers are NOT cut off from the network "
            "(--allow-unisolated-workers); refusing SERVICE and FROM rests on the query "
            "check alone\n"
        )
    try:
        if ready:
            ready(f"http://{host!s}:{port}")
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        pool.close()
