"""The commands that show the graph: serve (pages, Linked Data, SPARQL) and viz."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kg.cli.common import (
    _friendly,
    _graph,
    _out,
    _shown,
    graph_file_option,
    graph_option,
    lang_option,
    main,
    store_option,
)


@main.command()
@store_option
@graph_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. The default is loopback only; binding elsewhere exposes the "
    "endpoint to the network.",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0 picks a free one).",
)
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=float,
    help="Seconds a query may run before it is stopped (answered 503).",
)
@click.option(
    "--max-rows",
    default=10_000,
    show_default=True,
    type=int,
    help="Rows (or triples) a result may hold; beyond it the answer is truncated "
    "and says so (header X-KG-Truncated).",
)
@click.option(
    "--workers",
    default=4,
    show_default=True,
    type=int,
    help="Query worker processes (queries run in parallel, one per worker).",
)
@click.option(
    "--max-per-client",
    type=click.IntRange(min=0),
    default=None,
    help="Queries one client address may run at once; more get 429 with Retry-After. "
    "0: no limit (e.g. behind a proxy that sends every client from one address). "
    "[default: workers - 1, so one client never holds every worker]",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Allow cross-origin requests from ORIGIN (repeatable). None by default.",
)
@click.option(
    "--graph-html",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The interactive graph served at /graph (made by `kg viz`) [default: "
    "build/graph.html in the project folder].",
)
@click.option(
    "--max-query-bytes",
    default=65_536,
    show_default=True,
    type=click.IntRange(min=1),
    help="UTF-8 bytes a query may have; longer ones get 400 before any worker sees them.",
)
@click.option(
    "--max-depth",
    default=128,
    show_default=True,
    type=click.IntRange(min=1),
    help="Brackets ({, ( and [ together) a query may have open at once; deeper get 400.",
)
@click.option(
    "--max-connections",
    default=128,
    show_default=True,
    type=click.IntRange(min=1),
    help="Connections open at once; beyond it a new one gets 503 and is closed.",
)
@click.option(
    "--max-connections-per-client",
    default=16,
    show_default=True,
    type=click.IntRange(min=0),
    help="Connections one client address may have open at once; beyond it 429. "
    "0: no limit (e.g. behind a proxy that sends every client from one address).",
)
@click.option(
    "--request-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds a client has to send a whole request (408 after); also how long an "
    "idle connection stays open.",
)
@click.option(
    "--allow-unisolated-workers",
    is_flag=True,
    help="Serve even where the query workers cannot be given a network namespace of their "
    "own (unshare refused). Without it kg serve refuses to start there: refusing SERVICE "
    "would then rest on the query check alone.",
)
@click.option(
    "--public-url",
    default=None,
    metavar="URL",
    help="The address readers reach the server at (behind a proxy: https://host/path); every "
    "link the server writes (VoID, reconciliation, redirects) is built from it [default: "
    "http://HOST:PORT], never from a request's Host header.",
)
@click.option("--verbose", "-v", is_flag=True, help="Log every request on stderr.")
@_friendly
def serve(
    store: str,
    graph_file: Path | None,
    host: str,
    port: int,
    timeout: float,
    max_rows: int,
    workers: int,
    max_per_client: int | None,
    cors_origins: tuple[str, ...],
    graph_html: Path | None,
    max_query_bytes: int,
    max_depth: int,
    max_connections: int,
    max_connections_per_client: int,
    request_timeout: float,
    allow_unisolated_workers: bool,
    public_url: str | None,
    verbose: bool,
) -> None:
    """Serve the graph as a read-only SPARQL 1.1 endpoint, with a query page.

    The endpoint is /sparql (GET or POST, SPARQL 1.1 Protocol; results as JSON, XML,
    CSV or TSV, graphs as Turtle, N-Triples or JSON-LD; the service description at
    /sparql itself). The query page is /, the interactive graph /graph; every entity's
    path (/person/lu-qi) answers by content negotiation (HTML page, Turtle, N-Triples,
    JSON-LD), /.well-known/void describes the dataset and /reconcile is an OpenRefine
    reconciliation service. Binds to
    loopback (127.0.0.1) unless --host says otherwise. Updates, SERVICE and FROM are
    refused; each query has a time limit and a row cap.

    \b
    Example:
      kg serve --port 8000
      curl 'http://127.0.0.1:8000/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D'
    """
    from kg.serve import ServeConfig
    from kg.serve import serve as run_server

    config = ServeConfig(
        store=store,
        graph=_graph(graph_file),
        host=host,
        port=port,
        timeout=timeout,
        max_rows=max_rows,
        workers=workers,
        max_per_client=max_per_client,
        cors_origins=cors_origins,
        graph_html=graph_html if graph_html is not None else _out(None) / "graph.html",
        max_query_bytes=max_query_bytes,
        max_depth=max_depth,
        max_connections=max_connections,
        max_connections_per_client=max_connections_per_client,
        request_timeout=request_timeout,
        public_url=public_url,
        idle_timeout=request_timeout,
        allow_unisolated=allow_unisolated_workers,
        verbose=verbose,
    )

    def ready(base: str) -> None:
        click.echo(
            f"Serving SPARQL at {base}/sparql (query page {base}/) — Ctrl-C to stop", err=True
        )
        click.echo(base, nl=True)
        sys.stdout.flush()

    try:
        run_server(config, ready)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@main.command()
@graph_file_option("Graph file written by kg build (.nt, .ttl or .jsonld).")
@lang_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The HTML file to write [default: build/graph.html in the project folder].",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the layout (same graph and seed, same file).",
)
@click.option(
    "--org",
    default=None,
    help="The organisation whose diaspora the page shows first: an id, the end of one or "
    "a name [default: Baidu, where the graph has it]; ?org= in the page's URL picks another.",
)
@store_option
@_friendly
def viz(
    graph_file: Path | None, lang: str, out: Path | None, seed: int, org: str | None, store: str
) -> None:
    """Write the interactive graph: one self-contained HTML file that works offline.

    The first view is an organisation's diaspora: the organisation, the people who
    worked there by when they left, and what they founded or joined; the whole graph
    is one click away. People, organisations, products and stock markets are styled
    by type; edges are labelled by relation. Hover for names in every language,
    dates and the quoted evidence; search by any name; filter by type and relation;
    a year slider shows who was where in a year, from the dated facts.

    \b
    Example:
      kg build && kg viz --lang en --out build/graph-en.html
      kg viz --org google
    """
    from kg.viz.page import write_html

    target = out if out is not None else _out(None) / "graph.html"
    source: Any = _graph(graph_file)
    if store != "oxigraph":  # the default reads the file directly
        from kg.query.store import open_store, whole_graph

        source = whole_graph(open_store(store, source))
    path = write_html(source, target, lang=lang, seed=seed, org=org)
    click.echo(f"Wrote {_shown(Path(path))}")
