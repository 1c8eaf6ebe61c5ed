"""The ``kg`` commands of a shared server: ``push`` and ``virtuoso``.

A thin layer, like :mod:`kg.cli`: each parses its options and calls :mod:`kg.publish`.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from kg.cli.common import _friendly, _out, _shown, main, out_option


@main.command()
@click.option(
    "--to",
    "url",
    required=True,
    metavar="URL",
    help="The server's SPARQL endpoint that takes updates, e.g. Virtuoso's "
    "http://HOST:8890/sparql-auth (a user and password in it are used, and never printed).",
)
@click.option(
    "--graph",
    default=None,
    metavar="IRI",
    help="The named graph to publish [default: https://w3id.org/china-ai-kg/graph].",
)
@click.option(
    "--gsp",
    default=None,
    metavar="URL",
    help="The server's SPARQL 1.1 Graph Store endpoint [default: Virtuoso's beside --to: "
    "/sparql-graph-crud-auth for /sparql-auth].",
)
@click.option("--user", default=None, help="User name for the server (HTTP Digest or Basic).")
@click.option(
    "--password-env",
    default=None,
    metavar="VAR",
    help="The environment variable holding the password (never given on the command line).",
)
@click.option(
    "--isql",
    default=None,
    metavar="127.0.0.1:PORT",
    help="Load with Virtuoso's bulk loader through this SQL port (the server must be on "
    "this machine; needs --bulk-dir; as --user, who needs the DBA role).",
)
@click.option(
    "--bulk-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A folder the server may read (listed in DirsAllowed), for the bulk loader.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Push even if the server holds this build already, and replace a graph that holds "
    "triples no push put there (another application's, or the server's own).",
)
@out_option
@_friendly
def push(
    url: str,
    graph: str | None,
    gsp: str | None,
    user: str | None,
    password_env: str | None,
    isql: str | None,
    bulk_dir: Path | None,
    force: bool,
    out: Path | None,
) -> None:
    """Publish the built graph to a SPARQL server, replacing the graph it held.

    The graph is loaded into a staging graph, checked there (the server's triple count,
    and a sample of literals byte for byte), and only then swapped in with one SPARQL
    Update, so readers never see a half-loaded graph; a push that fails or is killed
    leaves the published graph as it was. Pushing the same build again changes nothing.
    Tested with Virtuoso 7; any server with SPARQL 1.1 Update and the Graph Store
    Protocol should do.

    \b
    Example: (a server from `make virtuoso`)
      kg push --to http://127.0.0.1:8890/sparql-auth --user dba --password-env KG_VIRTUOSO_PASSWORD
    """
    import urllib.parse

    from kg.graph.generations import pin_build, resolve_build
    from kg.publish.client import Endpoint, PushError, graph_store_url
    from kg.publish.push import DEFAULT_GRAPH
    from kg.publish.push import push as run_push

    password = None
    if password_env is not None:
        password = os.environ.get(password_env)
        if password is None:
            raise PushError(f"--password-env {password_env}: that variable is not set")
    elif user is not None:
        raise PushError("--user needs --password-env VAR, the variable holding the password")
    if (isql is None) != (bulk_dir is None):
        raise PushError("--isql and --bulk-dir go together (the bulk loader needs both)")
    endpoint = Endpoint(url, gsp or graph_store_url(url), user, password)
    if any(urllib.parse.urlsplit(given).password for given in (url, gsp or "")):
        click.echo(
            "Warning: a password in a URL on the command line can be read by other users of "
            "this machine; give it in the variable --password-env names.",
            err=True,
        )
    bulk = None
    if isql is not None and bulk_dir is not None:
        from kg.publish.bulk import BulkLoader

        # The user and password as the endpoint took them (from the URL too).
        bulk = BulkLoader(isql, bulk_dir, endpoint.user or "dba", endpoint.password or "")
    source, pin = pin_build(resolve_build(_out(out)) / "kg.nt")
    target = graph or DEFAULT_GRAPH
    start = time.perf_counter()
    try:
        result = run_push(
            source,
            endpoint,
            target,
            bulk=bulk,
            force=force,
            progress=lambda line: click.echo(line, err=True),
        )
    finally:
        if pin is not None:
            os.close(pin)
    took = time.perf_counter() - start
    if result.unchanged:
        click.echo(
            f"Unchanged: <{target}> already holds this build ({result.triples:,} triples); "
            "nothing was written (--force pushes anyway)."
        )
    else:
        steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in result.seconds.items())
        click.echo(
            f"Published {result.triples:,} triples from {_shown(_out(out) / 'kg.nt')} as "
            f"<{target}> in {took:.1f} s ({result.method}; {steps}); {result.sample} literals "
            "read back as sent (text byte for byte, numbers and booleans by value)."
        )
    reader = _reader(endpoint.url)  # with no user name or password
    if reader:
        click.echo(f"Query it: kg query --store 'sparql+{reader}?default-graph-uri={target}'")


def _reader(url: str) -> str | None:
    """Virtuoso's anonymous, read-only endpoint beside its update endpoint."""
    return url[: -len("-auth")] if url.endswith("/sparql-auth") else None


@main.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for its database, removed when it stops [default: a new temporary folder].",
)
@click.option(
    "--memory", default=512, show_default=True, help="Memory for its page buffers, in MB."
)
@click.option("--keep", is_flag=True, help="Keep the folder (and the database) when it stops.")
@_friendly
def virtuoso(folder: Path | None, memory: int, keep: bool) -> None:
    """Start a throwaway Virtuoso on loopback, to try `kg push` and `--store` on.

    It listens on 127.0.0.1 only, on free ports, with a password made for this run, set
    before it listens (the shipped dba/dba never logs in) and written to credentials.env in
    its folder only; the folder and its files are readable by you only. It runs until
    Ctrl-C, then stops and removes its folder. Needs Debian's virtuoso-opensource-7-bin.

    \b
    Example:
      kg virtuoso --dir .virtuoso --memory 1024
    """
    import shutil

    from kg.publish.push import DEFAULT_GRAPH
    from kg.publish.virtuoso import PASSWORD_VAR, VirtuosoServer, new_password

    made = folder is None
    place = Path(tempfile.mkdtemp(prefix="kg-virtuoso-")) if folder is None else folder
    foreign = place.exists() and any(place.iterdir()) and not (place / "virtuoso.ini").exists()
    if not made and foreign:
        raise click.UsageError(f"--dir {place}: not empty and not a kg Virtuoso folder")
    click.echo(f"Starting Virtuoso in {_shown(place)} …", err=True)
    # It writes the password to credentials.env (mode 600) and sets it before it listens.
    server = VirtuosoServer(place, password=new_password(), memory_mb=memory)
    shown = _shown(server.credentials)
    click.echo(
        f"""Virtuoso is running (pid {server.process.pid if server.process else "?"}).
  SPARQL, read-only:   {server.endpoint}
  SPARQL, updates:     {server.auth_endpoint}  (user dba, HTTP Digest)
  SQL (isql-vt):       {server.isql}
  bulk-loader folder:  {_shown(server.load_dir)}
  password:            in {shown} (as {PASSWORD_VAR})

In another terminal:
  set -a; . {shown}; set +a
  kg push --to {server.auth_endpoint} --user dba --password-env {PASSWORD_VAR}
  kg query --store 'sparql+{server.endpoint}?default-graph-uri={DEFAULT_GRAPH}' departures

Ctrl-C stops it{"" if keep else " and removes " + str(_shown(place))}."""
    )
    sys.stdout.flush()

    def stop(*_: Any) -> None:
        raise KeyboardInterrupt

    # Set both, even where the shell started this in the background with SIGINT ignored.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while server.process is not None and server.process.poll() is None:
            time.sleep(0.5)
        click.echo(f"Virtuoso stopped by itself; its log: {place / 'virtuoso.log'}", err=True)
        keep = True  # the log says why
    except KeyboardInterrupt:
        click.echo("Stopping Virtuoso …", err=True)
    finally:
        server.stop()
        if not keep:
            shutil.rmtree(place, ignore_errors=True)
