"""The commands of the graph itself: init, clean, build, validate, stats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kg.cli.common import (
    _friendly,
    _out,
    _shown,
    format_option,
    lang_option,
    main,
    out_option,
    root_option,
)
from kg.errors import KGError


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


def _print_quote_checks(result: Any) -> None:
    """What the build could check of the cited sources' quotes, and what it could not."""
    cited = [s for s in result.data.sources.values() if s.cited]
    if not cited:
        return
    checks = result.manifest["cited_quotes"]
    here = sum(s.clean is not None for s in cited)
    click.echo(
        f"cited sources: {len(cited)} (kept by quotation; the text of {here} in the local "
        f"cache, data/cache/); {checks['checked']} quote(s) checked against the cached text"
    )
    later = checks["checked_earlier"] + checks["unchecked"]
    if later:
        click.echo(
            f"{later} quote(s) of cited sources could not be checked in this build (their text "
            f"is not in data/cache/): {checks['checked_earlier']} checked against the recorded "
            f"sha256 earlier (kg check-quotes), {checks['unchecked']} never; the graph marks "
            "each (kg:quoteCheck)"
        )


@main.command()
@root_option
@out_option
@lang_option
@click.option(
    "--no-validate", is_flag=True, help="Skip the SHACL validation (faster; not for releases)."
)
@click.option(
    "--full",
    is_flag=True,
    help="Make every piece of the graph again, reading nothing from the last builds' cache "
    "(--out/.fragments); the outputs are the same.",
)
@_friendly
def build(root: Path | None, out: Path | None, lang: str, no_validate: bool, full: bool) -> None:
    """Build the graph: check every quote, validate with SHACL, write the files.

    Writes kg.ttl, kg.nt (sorted), kg.jsonld, the clean texts, the cleaning
    reports and manifest.json to --out, published all at once: readers see the
    old build or the new one, never a mix.

    \b
    Example:
      kg build --out build
    """
    from kg.graph.build import build as run_build
    from kg.graph.build import sample_facts

    result = run_build(
        root,
        _out(out, root),
        validate=not no_validate,
        progress=lambda m: click.echo(f"… {m}", err=True),
        full=full,
    )
    shown = _shown(result.out)
    click.echo(f"Built {shown}/:")
    for name in sorted(result.manifest["outputs"]):
        click.echo(f"  {shown / name}")
    click.echo(f"  {shown / 'manifest.json'}")
    if (result.out / "kg.oxigraph").exists():
        click.echo(f"  {shown / 'kg.oxigraph'}/   (the graph as an on-disk Oxigraph store)")
    if not no_validate:
        click.echo("Validated against shapes.ttl: conforms.")
    _print_counts(result.manifest["counts"])
    _print_quote_checks(result)
    for src in result.data.sources.values():
        if src.clean is None or src.cited:
            continue
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
    from kg.data.dataset import load_dataset
    from kg.graph.build import build_graph, validate_graph
    from kg.project import project_root

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
    from kg.graph.build import counts, load_graph

    result = counts(load_graph(_out(out) / "kg.nt"))
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        _print_counts(result)
