"""The commands that ask the graph: query, analyze, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from kg.cli.common import (
    _friendly,
    _graph,
    _out,
    _shown,
    graph_option,
    lang_option,
    main,
    out_option,
    store_option,
)
from kg.errors import KGError


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _short(value: Any) -> str:
    from kg.project.namespaces import PREFIXES

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
    from kg.query import named as q
    from kg.query import results

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

    from kg.project import project_root
    from kg.query.store import open_store

    if query == "-":  # standard input is read once; the text is what runs
        query = sys.stdin.read()
        if not query.strip():
            raise KGError("no query on standard input")
    text, resolved = q.resolve(query)
    from kg.query.hints import query_warnings

    for warning in query_warnings(text, project_root() / "ontology.ttl"):
        click.echo(f"Warning: {warning}", err=True)
    with open_store(store, _graph(graph_file)) as opened:
        values = _entity_bindings(opened, _defaults(text, resolved), values)
        try:
            done = results.run(opened, query, values, lang)
        except q.QueryError as exc:
            raise q.QueryError(f"{exc}{_prefixed_name_hint(text, str(exc))}") from None
        if done.kind in ("CONSTRUCT", "DESCRIBE"):
            click.echo(results.serialize(done, fmt or "ttl").decode("utf-8"), nl=False)
            return
        fmt = fmt or ("table" if sys.stdout.isatty() else "csv")
        if fmt in ("table", "md"):
            if done.kind == "ASK":
                click.echo("true" if done.boolean else "false")
                return
            names = done.variables
            click.echo(_table(names, results.rows(done), markdown=fmt == "md"))
            return
        click.echo(results.serialize(done, fmt).decode("utf-8"), nl=False)


def _defaults(text: str, named: Any) -> dict[str, str]:
    """A query's parameter defaults: a named query's header, else the query's own
    ``VALUES $name { term }`` clauses (where kg.query.named reads them)."""
    if named is not None:
        return {name: default for name, (default, *_) in named.params.items()}
    from kg.query import named as q

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
    names (:func:`kg.query.lookup.find_entity`), and a value naming no entity is an error.
    An IRI outside the project's namespace is passed on as it is.
    """
    from kg.project.namespaces import BASE
    from kg.query.lookup import entity_names, find_entity, kind_of_default

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

    from kg.project.namespaces import PREFIXES

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
    """The diaspora report as Markdown, every word in the report's language (kg.analysis.report)."""
    from kg.analysis.report import render_markdown

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
@click.option(
    "--chart",
    type=click.Path(path_type=Path),
    default=None,
    metavar="FILE.svg|FILE.png",
    help="Also write the talent-flow chart (one lane per alumnus, in the --lang language): "
    "SVG, each mark a link to its quote's source, or PNG.",
)
@store_option
@_friendly
def analyze(
    out: Path | None, lang: str, org: str, top: int, fmt: str, chart: Path | None, store: str
) -> None:
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
      kg analyze --org baidu --lang en --chart flow.svg

    The report says first which dates no source gives. --chart also writes the
    talent-flow chart: each alumnus's time at the organisation (a bar where both
    ends are dated, fading where one is not, "dates not given" where none is), the
    departure, and what came next at its date.
    """
    from kg.analysis.report import diaspora_report
    from kg.query.lookup import entity_names, find_entity
    from kg.query.store import open_store

    if chart is not None:
        from kg.analysis.flowchart import check_chart_path

        check_chart_path(chart)
    with open_store(store, _out(out) / "kg.nt") as opened:
        names = entity_names(opened)
        org_id = find_entity(names, org, "org")
        report = diaspora_report(opened, org_id, lang, top=top)
        if chart is not None:
            import warnings

            from kg.analysis.drawing import use_cjk_font
            from kg.analysis.flowchart import write_talent_flow

            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                drawing = use_cjk_font(lang)
            for warning in caught:
                click.echo(f"Warning: {warning.message}", err=True)
            drawn = report
            if drawing != lang:  # no CJK font: the chart in English, not in boxes
                drawn = diaspora_report(opened, org_id, drawing, top=top)
            count = write_talent_flow(drawn, chart, opened)
    if not report["alumni"]:
        click.echo(
            f"Warning: {names.shown(org_id)} has no alumni in the graph: no one worked there "
            "in the past or held a role there that ended",
            err=True,
        )
    if chart is not None:
        click.echo(f"Wrote {chart}: the talent-flow chart, {count} alumni with dates", err=True)
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
    from kg.graph.build import load_graph
    from kg.viz.export import export_graph

    out = _out(out)
    for path in export_graph(load_graph(out / "kg.nt"), dest or out, fmt, lang):
        click.echo(f"wrote {_shown(Path(path))}")
