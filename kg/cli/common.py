"""The ``kg`` command: a thin layer over the library.

Each command parses its options, calls one library function and renders the
result. Errors the library raises on purpose (:class:`~kg.errors.KGError`) are
printed as ``Error: <message>`` with exit code 1, never as a traceback; a command
used wrongly (an unknown command or option, a value not among the choices, a
missing argument) gets click's usage message ending in an ``Error:`` line and exit
code 2, as POSIX utilities and argparse do.

Where things are: every command works in the project folder
(:func:`kg.project.project_root`: ``$KG_HOME``, else the nearest folder from the current
one upward holding ``data/entities.yaml``, else the checkout kg is installed from). It
reads the data there and builds into, and reads from, its ``build/`` folder; a path
given on the command line is relative to the current folder.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from kg.errors import KGError

F = TypeVar("F", bound=Callable[..., Any])

LANGS = ("zh-Hans", "zh-Hant", "en")


def _friendly(func: F) -> F:
    """Turn KGError into ``Error: …`` and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KGError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing half-written was left behind.", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


# Options shared by several commands, defined once.
root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Project folder with data/, ontology.ttl and shapes.ttl [default: $KG_HOME, the "
    "nearest folder from here upward holding data/entities.yaml, or the checkout kg is "
    "installed from].",
)
out_option = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder the build writes to (and other commands read from) [default: build/ in "
    "the project folder].",
)


def _out(out: Path | None, root: Path | None = None) -> Path:
    """--out, or build/ in the project folder."""
    from kg.project import default_out

    return out if out is not None else default_out(root)


def _shown(path: Path) -> Path:
    """*path* as the user would write it: relative to the current folder where inside it."""
    try:
        return path.absolute().relative_to(Path.cwd())
    except ValueError:
        return path


lang_option = click.option(
    "--lang",
    type=click.Choice(LANGS),
    default="zh-Hans",
    show_default=True,
    help="Language of the names shown.",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="kg")
def main() -> None:
    """A knowledge graph of the people and companies of China's AI industry.

    Built from news articles; every fact carries the quote it came from.

    \b
    Example:
      kg build && kg stats
    """


store_option = click.option(
    "--store",
    default="oxigraph",
    show_default=True,
    help="Where the graph is: oxigraph (the build's own on-disk store, kg.oxigraph, opened "
    "read-only; a graph file without one is loaded into memory), oxigraph-memory (the graph "
    "file loaded into memory), oxigraph:PATH (on disk at PATH, loaded once, then read-only), "
    "memory (rdflib) or sparql+http(s)://HOST/PATH (a SPARQL endpoint; add "
    "?default-graph-uri=IRI, percent-encoded, to query one graph of several, as on "
    "Virtuoso).",
)


def graph_file_option(help_text: str) -> Callable[[F], F]:
    """``--graph FILE``: the built graph a command reads (default build/kg.nt)."""
    return click.option(
        "--graph",
        "graph_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"{help_text} [default: build/kg.nt in the project folder]",
    )


def _graph(graph_file: Path | None) -> Path:
    return graph_file if graph_file is not None else _out(None) / "kg.nt"


graph_option = graph_file_option("The built graph file local stores load.")
