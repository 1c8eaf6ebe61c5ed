"""The ``kg`` command: a thin layer over the library.

Each command parses its options, calls one library function and renders the
result. Errors the library raises on purpose (:class:`~kg.errors.KGError`) are
printed as ``Error: <message>`` with exit code 1, never as a traceback; a command
used wrongly (an unknown command or option, a value not among the choices, a
missing argument) gets click's usage message ending in an ``Error:`` line and exit
code 2, as POSIX utilities and argparse do.

Where things are: every command works in the project folder
(:func:`kg.build.project_root`: ``$KG_HOME``, else the nearest folder from the current
one upward holding ``data/entities.yaml``, else the checkout kg is installed from). It
reads the data there and builds into, and reads from, its ``build/`` folder; a path
given on the command line is relative to the current folder.
"""

from __future__ import annotations

import functools
import json
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
    from kg.build import default_out

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


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@_friendly
def init(folder: Path) -> None:
    """Create a new, empty project in FOLDER (new or empty).

    It holds data/ (an empty entity registry with the generic roles, the relation
    vocabulary, folders for sources and statements), the ontology and the shapes as
    shipped with kg, and a README walking through the first source. Every kg command
    run in FOLDER (or below it) works on that project.

    \b
    Example:
      kg init ~/alumni-of-x && cd ~/alumni-of-x && kg build
    """
    from kg.project.init import init_project

    written = init_project(folder)
    click.echo(f"Created a kg project in {_shown(folder)} ({len(written)} files):")
    for path in written:
        click.echo(f"  {_shown(path)}")
    click.echo(f"Next: cd {_shown(folder)}, then follow its README.md (kg add-source, kg build).")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--hant", is_flag=True, help="Print the Traditional text instead of the Simplified.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the report as JSON (on stdout) instead of the text.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print the text only, without the report.")
@_friendly
def clean(file: Path, hant: bool, as_json: bool, quiet: bool) -> None:
    """Clean a source: print its clean text (what quotes come from), the report on stderr.

    A registered source's raw file is read as its metadata says (format,
    language, encoding). Any other file is read by its name: .html (main content
    extracted), .md, or a scraped page (.txt): spam lines and page chrome dropped,
    a body that appears twice merged (repairing characters lost to '?' from the
    intact copy), pinyin annotations removed. Chinese is converted to Simplified
    (OpenCC); damage no copy can repair is kept as U+FFFD and reported.

    \b
    Example:
      kg clean data/sources/jiemian-baidu-ai-decade.raw.txt > article.txt
    """
    from kg.sources import clean_any

    result = clean_any(file)
    if as_json:
        click.echo(json.dumps(result.report.as_dict(), ensure_ascii=False, indent=1))
        return
    click.echo(result.text_hant if hant else result.text)
    if not quiet:
        click.echo(result.report.summary(), err=True)


def _print_counts(counts: dict[str, Any]) -> None:
    click.echo(f"{counts['triples']} triples")
    click.echo("entities and nodes by type:")
    for name, n in counts["by_type"].items():
        click.echo(f"  {n:>6}  {name}")
    click.echo("facts by relation:")
    for name, n in counts["facts_by_relation"].items():
        click.echo(f"  {n:>6}  {name}")


@main.command()
@root_option
@out_option
@lang_option
@click.option(
    "--no-validate", is_flag=True, help="Skip the SHACL validation (faster; not for releases)."
)
@_friendly
def build(root: Path | None, out: Path | None, lang: str, no_validate: bool) -> None:
    """Build the graph: check every quote, validate with SHACL, write the files.

    Writes kg.ttl, kg.nt (sorted), kg.jsonld, the clean texts, the cleaning
    reports and manifest.json to --out, published all at once: readers see the
    old build or the new one, never a mix.

    \b
    Example:
      kg build --out build
    """
    from kg.build import build as run_build
    from kg.build import sample_facts

    result = run_build(
        root,
        _out(out, root),
        validate=not no_validate,
        progress=lambda m: click.echo(f"… {m}", err=True),
    )
    shown = _shown(result.out)
    click.echo(f"Built {shown}/:")
    for name in sorted(result.manifest["outputs"]):
        click.echo(f"  {shown / name}")
    click.echo(f"  {shown / 'manifest.json'}")
    if not no_validate:
        click.echo("Validated against shapes.ttl: conforms.")
    _print_counts(result.manifest["counts"])
    for src in result.data.sources.values():
        report = src.clean.report
        click.echo(
            f"source {src.id}: {len(src.text)} characters of clean text; "
            f"{len(report.repairs)} repaired, {len(report.unrepaired)} unrepaired damaged runs"
        )
        if report.removed:
            first = report.removed[0]
            click.echo(
                f"Warning: {len(report.removed)} control, separator or bidi character(s) "
                f"removed from {src.raw_path} (the first at line {first.line}, column "
                f"{first.column}); the cleaning report lists each (kg clean {src.raw_path})",
                err=True,
            )
    found = result.manifest["conflicts"]
    if found:
        kinds = ", ".join(f"{n} {kind}" for kind, n in found.items())
        click.echo(
            f"{sum(found.values())} conflict(s) between sources ({kinds}): both sides are "
            "kept; `kg conflicts` lists them with their quotes"
        )
    else:
        click.echo(f"no conflicts between the {len(result.data.sources)} sources")
    click.echo("a few facts with their evidence:")
    for fact in sample_facts(result.data, 5, lang):
        click.echo(f"  {fact['subject']} —{fact['relation']}→ {fact['object']}")
        click.echo(f"      “{fact['quote']}”")


@main.command()
@root_option
@_friendly
def validate(root: Path | None) -> None:
    """Validate the graph built from the data against shapes.ttl (SHACL) without writing.

    Exits 1 and lists the violations if the graph does not conform.

    \b
    Example:
      kg validate
    """
    from kg.build import build_graph, project_root, validate_graph
    from kg.statements import load_dataset

    root = root or project_root()
    graph = build_graph(load_dataset(root / "data"))
    result = validate_graph(graph, root / "shapes.ttl")
    if not result.conforms:
        for line in result.violations:
            click.echo(line, err=True)
        raise KGError(f"{len(result.violations)} SHACL violations")
    click.echo(f"conforms: {len(graph)} triples satisfy {root / 'shapes.ttl'}")


@main.command()
@out_option
@format_option
@_friendly
def stats(out: Path | None, fmt: str) -> None:
    """Print counts of entities by type and facts by relation of a built graph.

    \b
    Example:
      kg stats --out build --format json
    """
    from kg.build import counts, load_graph

    result = counts(load_graph(_out(out) / "kg.nt"))
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        _print_counts(result)


store_option = click.option(
    "--store",
    default="oxigraph",
    show_default=True,
    help="Where the graph is: oxigraph (in memory), oxigraph:PATH (on disk, read-only), "
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


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _short(value: Any) -> str:
    from kg.build import PREFIXES

    if value is None:
        return ""
    text = str(value)
    for prefix, ns in PREFIXES.items():
        if text.startswith(ns) and prefix != "kg":
            return f"{prefix}:{text[len(ns) :]}"
    if text.startswith(PREFIXES["kg"]):
        local = text[len(PREFIXES["kg"]) :]
        return local if "/" in local else f"kg:{local}"  # entities by id, terms prefixed
    return text


def _table(names: list[str], rows: list[dict[str, Any]], markdown: bool) -> str:
    cells = [[_short(row[n]).replace("\n", " ") for n in names] for row in rows]
    if markdown:
        escape = lambda s: s.replace("|", "\\|")  # noqa: E731
        lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
        lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [
        max([_display_width(n)] + [_display_width(r[i]) for r in cells])
        for i, n in enumerate(names)
    ]

    def line(values: list[str]) -> str:
        return "  ".join(
            v + " " * (w - _display_width(v)) for v, w in zip(values, widths, strict=True)
        ).rstrip()

    out = [line(names), line(["-" * w for w in widths])] + [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


@main.command()
@click.argument("query", required=False)
@click.option("--list", "list_queries", is_flag=True, help="List the named queries and exit.")
@click.option(
    "--bind",
    "bindings",
    multiple=True,
    metavar="VAR=VALUE",
    help="Set a $parameter: an entity id (org/baidu) or any of its names (百度, Baidu) where "
    "the parameter takes an entity, prefix:name, <iri>, a number or text.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "md", "json", "xml", "csv", "tsv", "ttl", "nt", "jsonld"]),
    default=None,
    help="Output format [default: table on a terminal, csv otherwise; ttl for CONSTRUCT/DESCRIBE].",
)
@lang_option
@store_option
@graph_option
@_friendly
def query(
    query: str | None,
    list_queries: bool,
    bindings: tuple[str, ...],
    fmt: str | None,
    lang: str,
    store: str,
    graph_file: Path | None,
) -> None:
    """Run a SPARQL query: a named query, a FILE.rq, - (stdin) or the query text.

    Named queries take $parameters with defaults (see --list); --bind sets them.
    SELECT/ASK results print as a table or in a W3C results format (json, xml,
    csv, tsv); CONSTRUCT/DESCRIBE results as Turtle, N-Triples or JSON-LD.

    \b
    Example:
      kg query --list
      kg query alumni_founders --bind org=org/baidu --lang en
      kg query career --bind person="Qi Lu"
      echo 'SELECT * WHERE { ?s ?p ?o } LIMIT 3' | kg query -
      kg query 'SELECT ?p WHERE { ?p a <https://schema.org/Person> }' --format json
    """
    from kg import query as q

    if list_queries:
        for name, named in q.named_queries().items():
            click.echo(f"{name}: {named.title}")
            click.echo(f"    {named.en}")
            click.echo(f"    {named.zh}")
            for param, (default, description) in named.params.items():
                click.echo(f"    ${param} = {default}  ({description})")
        return
    if not query:
        raise click.UsageError("give a QUERY (a name, a FILE.rq, - or the text), or --list")
    values: dict[str, str] = {}
    for item in bindings:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise click.BadParameter(f"{item!r} is not VAR=VALUE", param_hint="--bind")
        values[name.lstrip("$?")] = value

    from kg.build import project_root
    from kg.store import open_store

    if query == "-":  # standard input is read once; the text is what runs
        query = sys.stdin.read()
        if not query.strip():
            raise KGError("no query on standard input")
    text, resolved = q.resolve(query)
    unknown = q.unknown_terms(text, project_root() / "ontology.ttl")
    if unknown:
        click.echo(
            "Warning: the query names terms the ontology does not declare (a typo?): "
            + ", ".join(_short(u) for u in unknown),
            err=True,
        )
    with open_store(store, _graph(graph_file)) as opened:
        values = _entity_bindings(opened, _defaults(text, resolved), values)
        try:
            done = q.run(opened, query, values, lang)
        except q.QueryError as exc:
            raise q.QueryError(f"{exc}{_prefixed_name_hint(text, str(exc))}") from None
        if done.kind in ("CONSTRUCT", "DESCRIBE"):
            click.echo(q.serialize(done, fmt or "ttl").decode("utf-8"), nl=False)
            return
        fmt = fmt or ("table" if sys.stdout.isatty() else "csv")
        if fmt in ("table", "md"):
            if done.kind == "ASK":
                click.echo("true" if done.boolean else "false")
                return
            names = done.variables
            click.echo(_table(names, q.rows(done), markdown=fmt == "md"))
            return
        click.echo(q.serialize(done, fmt).decode("utf-8"), nl=False)


def _defaults(text: str, named: Any) -> dict[str, str]:
    """A query's parameter defaults: a named query's header, else the query's own
    ``VALUES $name { term }`` clauses (where kg.query reads them)."""
    if named is not None:
        return {name: default for name, (default, *_) in named.params.items()}
    from kg import query as q

    in_query = getattr(q, "in_query_defaults", None)
    try:
        return dict(in_query(text)) if in_query else {}
    except KGError:
        return {}  # the query's own error is reported when it runs


def _entity_bindings(
    store: Any, defaults: dict[str, str], values: dict[str, str]
) -> dict[str, str]:
    """Bound values of a query's entity parameters, as ids: any name finds its entity.

    A parameter takes an entity when its default is one (``$org`` defaults to
    ``org/baidu``); its value may then be an id, the end of one or any of the entity's
    names (:func:`kg.lookup.find_entity`), and a value naming no entity is an error.
    An IRI outside the project's namespace is passed on as it is.
    """
    from kg.build import BASE
    from kg.lookup import entity_names, find_entity, kind_of_default

    wanted = {
        name: kind
        for name, default in defaults.items()
        if name in values and (kind := kind_of_default(default))
    }
    # A parameter called "entity" takes an entity of any kind (its default is only an example).
    wanted = {name: ("" if name == "entity" else kind) for name, kind in wanted.items()}
    wanted = {
        name: kind
        for name, kind in wanted.items()
        if not (values[name].strip().startswith("<") and BASE not in values[name])
    }
    if not wanted:
        return values
    names = entity_names(store)
    found = dict(values)
    for name, kind in wanted.items():
        try:
            found[name] = find_entity(names, values[name], kind or None)
        except KGError as exc:
            raise KGError(f"--bind {name}={values[name]}: {exc}") from None
    return found


def _prefixed_name_hint(text: str, message: str) -> str:
    """Why a query with ``kg:person/lu-qi`` does not parse, and what to write instead."""
    import re

    from kg.build import PREFIXES

    if "malformed query" not in message:
        return ""
    plain = re.sub(r'<[^>\s]*>|"(?:[^"\\\n]|\\.)*"|#[^\n]*', " ", text)
    match = re.search(r"(?<![\w:/<])([A-Za-z][\w-]*):([\w-]+/[\w/-]*\w)", plain)
    if not match:
        return ""
    prefix, local = match.groups()
    iri = f"<{PREFIXES[prefix]}{local}>" if prefix in PREFIXES else f"<…{local}>"
    return (
        f"; {match.group(0)} is not a prefixed name (its local part cannot hold '/'): "
        f"write the IRI, {iri}"
    )


def _render_diaspora_md(report: dict[str, Any]) -> str:
    """The diaspora report as Markdown, every word in the report's language (kg.report)."""
    from kg.report import render_markdown

    return render_markdown(report)


@main.command()
@out_option
@lang_option
@click.option(
    "--org",
    default="org/baidu",
    show_default=True,
    help="Organisation whose alumni to follow (id or name).",
)
@click.option(
    "--top",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many of the most linked entities to list.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json"]),
    default="md",
    show_default=True,
    help="Output format.",
)
@store_option
@_friendly
def analyze(out: Path | None, lang: str, org: str, top: int, fmt: str, store: str) -> None:
    """Report where an organisation's people went: alumni (and whether they left the group
    or moved inside it), their companies, co-founders, the group's figures, the most linked
    entities and the timeline, each fact with its quote.

    Reads the graph built in --out (run `kg build` first), or the store --store names (a
    SPARQL endpoint such as Virtuoso); only the organisation's neighbourhood is read.
    --org takes the organisation's id or any of its names, in any script (百度, Baidu, baidu).

    \b
    Example:
      kg analyze --org baidu --lang en --format md
      kg analyze --org 百度 --format json
      kg analyze --org baidu --store sparql+http://127.0.0.1:8890/sparql
    """
    from kg.analysis import diaspora_report
    from kg.lookup import entity_names, find_entity
    from kg.store import open_store

    with open_store(store, _out(out) / "kg.nt") as opened:
        names = entity_names(opened)
        org_id = find_entity(names, org, "org")
        report = diaspora_report(opened, org_id, lang, top=top)
    if not report["alumni"]:
        click.echo(
            f"Warning: {names.shown(org_id)} has no alumni in the graph: no one worked there "
            "in the past or held a role there that ended",
            err=True,
        )
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        click.echo(_render_diaspora_md(report))


@main.command()
@out_option
@lang_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["graphml", "gexf", "csv"]),
    default="graphml",
    show_default=True,
    help="graphml (Cytoscape, Gephi), gexf (Gephi), or csv (kg.nodes.csv + kg.edges.csv).",
)
@click.option(
    "--to",
    "dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write to [default: --out].",
)
@_friendly
def export(out: Path | None, lang: str, fmt: str, dest: Path | None) -> None:
    """Export the entity graph for Gephi and Cytoscape, with labels in every language
    and dates as attributes (--lang picks the default 'label').

    \b
    Example:
      kg export --format gexf --lang en
    """
    from kg.build import load_graph
    from kg.export import export_graph

    out = _out(out)
    for path in export_graph(load_graph(out / "kg.nt"), dest or out, fmt, lang):
        click.echo(f"wrote {_shown(Path(path))}")


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
    verbose: bool,
) -> None:
    """Serve the graph as a read-only SPARQL 1.1 endpoint, with a query page.

    The endpoint is /sparql (GET or POST, SPARQL 1.1 Protocol; results as JSON, XML,
    CSV or TSV, graphs as Turtle, N-Triples or JSON-LD; the service description at
    /sparql itself). The query page is /, the interactive graph /graph. Binds to
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
@store_option
@_friendly
def viz(graph_file: Path | None, lang: str, out: Path | None, seed: int, store: str) -> None:
    """Write the interactive graph: one self-contained HTML file that works offline.

    People, organisations, products and stock markets are styled by type and sized
    by degree; edges are labelled by relation. Hover for names in every language,
    dates and the quoted evidence; search by any name; filter by type and relation.

    \b
    Example:
      kg build && kg viz --lang en --out build/graph-en.html
    """
    from kg.viz import write_html

    target = out if out is not None else _out(None) / "graph.html"
    source: Any = _graph(graph_file)
    if store != "oxigraph":  # the default reads the file directly
        from kg.store import open_store, whole_graph

        source = whole_graph(open_store(store, source))
    path = write_html(source, target, lang=lang, seed=seed)
    click.echo(f"Wrote {_shown(Path(path))}")


# The commands of many sources live in their own module; importing it registers them.
from kg import cli_publish, cli_sources  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    main()
