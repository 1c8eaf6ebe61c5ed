"""The ``kg`` commands of many sources: ``add-source``, ``resolve`` and ``conflicts``.

A thin layer, like :mod:`kg.cli`: each parses its options and calls the library
(:mod:`kg.data.add_source`, :mod:`kg.resolve`, :mod:`kg.graph.merge`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import click

from kg.cli.common import _friendly, main, root_option

_TYPES = ("NewsArticle", "EncyclopediaArticle", "Article", "Report", "Filing", "WebPage")


def _data(root: Path | None) -> Path:
    from kg.project import project_root

    return (root or project_root()) / "data"


_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "KIB": 1024, "M": 1024**2, "MB": 1024**2}
_UNITS |= {"MIB": 1024**2, "G": 1024**3, "GB": 1024**3, "GIB": 1024**3}


class _Size(click.ParamType):
    """A size in bytes: ``20M``, ``512K``, ``1G`` (powers of 1024) or a number of bytes."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(value))
        unit = found and _UNITS.get(found.group(2).upper())
        if not found or unit is None or float(found.group(1)) * unit < 1:
            self.fail(f"{value!r} is not a size such as 20M, 512K or 1000000 (bytes)", param, ctx)
        return int(float(found.group(1)) * unit)


@main.command("add-source")
# Not click.Path(exists=True, dir_okay=False): kg.data.add_source refuses anything but a regular
# file (a directory, a device, a FIFO, a symbolic link) with one message of its own.
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--title", required=True, help="The text's title, as the text gives it.")
@click.option(
    "--publisher",
    required=True,
    help="Who published it: an organisation of the graph, by id (org/jiemian) or any name.",
)
@click.option(
    "--new-publisher",
    is_flag=True,
    help="If no entity is named --publisher, create it: an organisation in "
    "data/entities/publishers-added.yaml (its English label: as given, or its pinyin).",
)
@click.option(
    "--publisher-label",
    "publisher_labels",
    multiple=True,
    metavar="LANG=TEXT",
    help="With --new-publisher: a label of the new publisher (LANG zh-Hans, zh-Hant or en); "
    "repeatable.",
)
@click.option(
    "--publisher-url",
    help="With --new-publisher: the page that gives its English name (its homepage) "
    "[default: --url, for a publisher named in Latin letters].",
)
@click.option("--author", help="Who wrote it: an entity id or name, or a plain name.")
@click.option("--url", help="Where the original is (http or https).")
@click.option(
    "--date", help="When it was published: YYYY, YYYY-MM or YYYY-MM-DD, as precise as known."
)
@click.option(
    "--lang",
    type=click.Choice(["zh-Hans", "zh-Hant", "en"]),
    help="The text's language and script [default: guessed from its characters].",
)
@click.option(
    "--license", "license_", help="Its licence or status: 'CC BY-SA 4.0', 'public record'."
)
@click.option("--license-url", help="The licence's URL.")
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    help="The file's encoding: gbk, gb18030 or big5 for older Chinese pages.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "html", "scrape"]),
    help="How to read it [default: by its name: .html, .md, else text]; scrape is the "
    "seed article's cleaner for pages scraped with their chrome.",
)
@click.option(
    "--type", "kind", type=click.Choice(_TYPES), help="What it is [default: NewsArticle]."
)
@click.option("--id", "source_id", help="The source's id [default: from the title].")
@click.option("--opening", is_flag=True, help="The file is the opening of a longer page.")
@click.option(
    "--cite",
    is_flag=True,
    help="Keep it by quotation only (news, interviews): the text goes into the local cache "
    "data/cache/ (ignored by git, in no output); the repository keeps its metadata, sha256 "
    "and the statements' short quotes. Needs --url.",
)
@click.option("--retrieved", help="When it was read: YYYY-MM-DD [default: today].")
@click.option(
    "--note", help="A line about the copy: where it came from, what it covers (1000 characters)."
)
@click.option(
    "--max-size",
    type=_Size(),
    default="20M",
    show_default=True,
    help="The largest file accepted: 20M, 512K, 1G or bytes.",
)
@root_option
@_friendly
def add_source(file: Path, root: Path | None, **options: Any) -> None:
    """Register a text as a source: kept byte for byte, with its metadata.

    Plain text, Markdown and HTML pages saved from a browser are accepted (the
    article body of an HTML page is extracted with trafilatura). A file already
    registered is refused with its id. Writes data/sources/<id>.raw.*, its
    <id>.meta.yaml and an empty data/statements/<id>.yaml to fill with facts.
    Only a regular file is read, at most --max-size: a directory, a device, a
    FIFO or a symbolic link is refused. A file over 1 MiB reports each step.

    A text that may be quoted but not republished (a news page, an interview) is
    registered with --cite: its text goes into the local cache data/cache/ (git
    ignores it and no output contains it), and the repository keeps its metadata,
    the sha256 of the text as read and, in its statements, short quotes (at most
    200 characters, a sentence or less). `kg check-quotes` records where each quote
    is, so a clone without the cache still builds and says which were checked.

    \b
    Example:
      kg add-source page.html --title "Horizon Robotics" --publisher Wikipedia \\
          --url https://en.wikipedia.org/wiki/Horizon_Robotics --license "CC BY-SA 4.0"
      kg add-source news.html --cite --title "余凯：从百度到地平线" --publisher 新浪科技 \\
          --url https://tech.sina.com.cn/... --date 2019-05-20
      kg add-source note.txt --title "A note" --publisher "Exercise Press" \\
          --new-publisher --publisher-label zh-Hans=练习出版社 --url https://example.org/note
    """
    from kg.data.add_source import add_source as run

    options["license"] = options.pop("license_")
    added = run(_data(root), file, progress=lambda line: click.echo(line, err=True), **options)
    click.echo(
        f"Registered source {added.id} ({added.format}, {added.language}"
        f"{', guessed' if added.language_guessed else ''}):"
    )
    kept = "  (cited: on this machine only; git ignores it)" if options.get("cite") else ""
    click.echo(f"  {added.raw}  (sha256 {added.sha256}){kept}")
    click.echo(f"  {added.meta}")
    click.echo(f"  {added.statements}  (add its facts here, each with its quote)")
    if added.publisher_file:
        click.echo(f"  {added.publisher_file}  (its new publisher {added.publisher})")
    for note in added.notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(added.report, err=True)


@main.command("check-quotes")
@click.argument("sources", nargs=-1)
@root_option
@_friendly
def check_quotes(sources: tuple[str, ...], root: Path | None) -> None:
    """Check cited sources' quotes against their cached texts, and record the check.

    For each cited source (kg add-source --cite) whose text is in data/cache/,
    finds every quote of its statements in the text (as the build does) and
    writes data/sources/<id>.quotes.yaml: where each quote is, the text's
    sha256 and today's date. Commit it: a clone without the cache then builds
    with those positions, and the graph says each quote was "checked against
    sha256 … on DATE". SOURCES are source ids [default: every cited source].

    \b
    Example:
      kg check-quotes                 # every cited source whose text is here
      kg check-quotes technode-yc-lu-qi-2018-08
    """
    from kg.data.check_quotes import check_quotes as run

    results = run(_data(root), sources)
    if not results:
        click.echo("no cited sources (kg add-source --cite registers one)")
    for result in results:
        if result.index is None:
            click.echo(f"{result.id}: its text is not in data/cache/ here; not checked")
        else:
            what = "written" if result.changed else "unchanged, checked again"
            click.echo(
                f"{result.id}: {result.quotes} quote(s) found in the text; {result.index} {what}"
            )


@main.command()
@root_option
@click.option(
    "--judge",
    nargs=2,
    metavar="A B",
    help="Record a judgement between two entities (ids or names) instead of listing.",
)
@click.option(
    "--verdict",
    type=click.Choice(["same", "different", "unsure"]),
    help="With --judge: same (B is merged into A), different (never merged), unsure.",
)
@click.option("--by", "who", help="With --judge: who decides (a name).")
@click.option("--why", help="With --judge: the evidence for the decision.")
@click.option("--date", help="With --judge: when [default: today].")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_friendly
def resolve(
    root: Path | None,
    judge: tuple[str, str] | None,
    verdict: str | None,
    who: str | None,
    why: str | None,
    date: str | None,
    fmt: str,
) -> None:
    """List the entity pairs a person should judge, or record a judgement.

    A pair is proposed when two entities share a name after normalisation, an
    alias of one is a label of the other, or a Chinese name and a romanised one
    have the same pinyin. Nothing is merged without a judgement in
    data/judgements.yaml; a 'different' judgement blocks any later merge.

    \b
    Example:
      kg resolve
      kg resolve --judge person/yu-kai person/kai-yu --verdict same \\
          --by "Li Ming" --why "both founded Horizon Robotics in 2015"
    """
    from kg.data.dataset import load_dataset

    data_dir = _data(root)
    if judge:
        from kg.resolve.judgements import record_judgement

        if not (verdict and who and why):
            raise click.UsageError("--judge needs --verdict, --by and --why")
        data = load_dataset(data_dir)
        a, b = (data.names.resolve(x, ("--judge",)) for x in judge)
        a, b = data.merged.get(a, a), data.merged.get(b, b)
        if a == b and verdict == "same":
            click.echo(f"{judge[0]} and {judge[1]} are one entity already ({a}); nothing recorded.")
            return
        when = date or dt.date.today().isoformat()
        path = data_dir / "judgements.yaml"
        # Written once the whole data still loads with it (a 'different' blocks a merge; a
        # date, name or reason the build would refuse is refused here), under the data lock.
        record_judgement(path, a, b, verdict, who, when, why, check=lambda: load_dataset(data_dir))
        click.echo(f"Recorded in {path}: {a} and {b}: {verdict}")
        return
    from kg.resolve.candidates import candidates

    data = load_dataset(data_dir)
    found = candidates(data)
    if fmt == "json":
        click.echo(json.dumps([c.as_dict() for c in found], ensure_ascii=False, indent=1))
        return
    if not found:
        click.echo(f"No pairs to judge among {len(data.entities)} entities.")
        return
    click.echo(f"{len(found)} pair(s) to judge (kg resolve --judge A B --verdict …):")
    for c in found:
        earlier = "  [judged unsure before]" if c.earlier else ""
        click.echo(f"\n  {c.a}  ?  {c.b}{earlier}")
        for reason in c.reasons:
            click.echo(f"    why proposed: {reason}")
        click.echo(
            f"    {c.a}: {', '.join(c.names_a)}; in {', '.join(c.sources_a) or 'no statement'}"
        )
        click.echo(
            f"    {c.b}: {', '.join(c.names_b)}; in {', '.join(c.sources_b) or 'no statement'}"
        )


@main.command()
@root_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_friendly
def conflicts(root: Path | None, fmt: str) -> None:
    """List where sources disagree, with each source's quotes.

    Different dates for the same fact or tenure, different founding years,
    different roles for the same person and time, a person said to have left
    and to still work there, different values of the same figure. Nothing is
    resolved: both statements stay in the graph, linked by kg:conflictsWith.

    \b
    Example:
      kg conflicts --format json
    """
    from kg.data.dataset import load_dataset
    from kg.graph.merge import conflicts as find

    data = load_dataset(_data(root))
    found = find(data)
    if fmt == "json":
        click.echo(json.dumps([c.as_dict() for c in found], ensure_ascii=False, indent=1))
        return
    if not found:
        click.echo(f"No conflicts between the {len(data.sources)} sources.")
        return
    click.echo(f"{len(found)} conflict(s) between sources:")
    for c in found:
        click.echo(f"\n  [{c.kind}] {c.summary}")
        for side in c.sides:
            title = data.sources[side.source].meta.get("headline", side.source)
            where = os.path.relpath(side.file) if side.file else ""
            if where.startswith(".."):
                where = side.file
            click.echo(f"    {side.source} ({title}) says: {side.says}   [{where}:{side.line}]")
            for ev in side.evidence:
                click.echo(f"      “{ev.exact}”")


@main.command()
@click.argument("source")
@root_option
@click.option(
    "--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True
)
@click.option(
    "--write",
    is_flag=True,
    help="Save the drafts as data/drafts/<source>.yaml instead of printing.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Show, per sentence, the names, titles, dates and pronoun links recognised and the "
    "rules tried and matched, instead of the drafts.",
)
@_friendly
def extract(source: str, root: Path | None, fmt: str, write: bool, explain: bool) -> None:
    """Propose draft statements for a registered source, each with its quote and rule.

    Entities are every registry name in the text (longest match, any script) and
    new people and organisations (Chinese: Baidu's LAC model, shipped in its
    wheel); facts come from the general patterns of kg/extract/rules.yaml. Every
    draft is marked status: proposed with its rule and confidence: nothing here
    enters the graph until a person decides.

    --explain shows what the extractor saw in each sentence (names, titles,
    dates, pronoun links, the rules tried and matched): why a fact was or was not
    drafted.

    \b
    Example:
      kg extract jiemian-baidu-ai-decade --format json
      kg extract jiemian-baidu-ai-decade --explain
    """
    from kg.data.dataset import load_dataset
    from kg.extract.drafts import extract as run
    from kg.extract.drafts import render
    from kg.extract.drafts import write as save
    from kg.review.decisions import decided_keys, fact_key

    data_dir = _data(root)
    if explain:
        from kg.extract.explain import explain as run_explain
        from kg.extract.explain import render as render_explain

        if write:
            raise click.UsageError("--explain prints; it does not --write")
        sentences = run_explain(load_dataset(data_dir), source)
        if fmt == "json":
            click.echo(json.dumps([s.as_dict() for s in sentences], ensure_ascii=False, indent=1))
        else:
            click.echo(render_explain(source, sentences), nl=False)
        return
    decided = decided_keys(data_dir, source)  # rejected, or curated already: not proposed again
    drafts = [d for d in run(load_dataset(data_dir), source) if fact_key(d.fields) not in decided]
    if write:
        path = save(data_dir, source, drafts)
        click.echo(f"Wrote {len(drafts)} draft(s) to {path}")
        return
    click.echo(render(source, drafts, fmt), nl=fmt == "json")


@main.command("eval")
@click.argument("source", required=False)
@click.option("--all", "every", is_flag=True, help="Every source that has curated statements.")
@click.option(
    "--corpus",
    "split",
    type=click.Choice(["dev", "test", "all"]),
    help="Score the annotated corpus (corpus/): texts the rules were never written from.",
)
@root_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_friendly
def evaluate(
    source: str | None, every: bool, split: str | None, root: Path | None, fmt: str
) -> None:
    """Compare the extractor's drafts with an annotation.

    --corpus test scores the held-out split of the evaluation corpus: real texts
    that nobody tuned the rules on, annotated independently (docs/annotation.md).
    That is the figure to expect on a new text. --corpus dev is the split the
    rules are tuned on.

    SOURCE or --all compares the drafts with a source's curated statements: the
    texts the rules were written from, so the figures say how well the rules fit
    them, not how they do on a new text.

    Precision, recall and F1 per kind of fact (founding, roles, working at,
    leaving) and overall, strict (names, title and dates agree) and lenient (dates
    and titles ignored; a role accepted for working at on the same pair); with
    --corpus, per language (zh, en) and pooled.

    \b
    Example:
      kg eval --corpus test
      kg eval --all
    """
    from kg.data.dataset import load_dataset
    from kg.extract.drafts import extract
    from kg.extract.evaluate import evaluate as run

    if sum(map(bool, (source, every, split))) != 1:
        raise click.UsageError("give one of SOURCE, --all or --corpus dev|test|all")
    data = load_dataset(_data(root))
    if split:
        _corpus_report(data, _data(root).parent, split, fmt)
        return
    # --all: the sources every clone has the text of (kept whole), so that the figures are the
    # same on every machine; a cited source is evaluated by its id, where its text is cached.
    sources = (
        sorted(sid for sid, src in data.sources.items() if not src.cited)
        if every
        else [str(source)]
    )
    report = {}
    for sid in sources:
        if sid not in data.sources:
            raise click.BadParameter(f"no source {sid!r}", param_hint="SOURCE")
        drafts = extract(data, sid)  # once, for both scorings
        report[sid] = {
            mode: run(data, sid, mode == "lenient", drafts) for mode in ("strict", "lenient")
        }
    if every:
        from kg.extract.evaluate import pooled

        report["all sources"] = {
            mode: pooled([report[s][mode] for s in sources]) for mode in ("strict", "lenient")
        }
    _print_scores(report, fmt, "curated")


def _score_dict(report: dict[str, Any], gold: str) -> dict[str, Any]:
    return {
        part: {
            mode: [
                {
                    "group": s.group,
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "right": s.right,
                    "proposed": s.proposed,
                    "found": s.found,
                    gold: s.curated,
                }
                for s in scores
            ]
            for mode, scores in modes.items()
        }
        for part, modes in report.items()
    }


def _print_scores(report: dict[str, Any], fmt: str, gold: str) -> None:
    """Scores per part (a source, a language) and mode, as a table or JSON."""
    if fmt == "json":
        click.echo(json.dumps(_score_dict(report, gold), ensure_ascii=False, indent=1))
        return

    def num(x: float | None) -> str:
        return "   —" if x is None else f"{x:4.2f}"

    for part, modes in report.items():
        click.echo(f"\n{part}")
        click.echo(
            f"  {'':<22} {'strict P':>8} {'R':>5} {'F1':>5}   "
            f"{'lenient P':>9} {'R':>5} {'F1':>5}   drafts/{gold}"
        )
        lenient = {s.group: s for s in modes["lenient"]}
        for s in modes["strict"]:
            L = lenient[s.group]
            click.echo(
                f"  {s.group:<22} {num(s.precision):>8} {num(s.recall):>5} {num(s.f1):>5}   "
                f"{num(L.precision):>9} {num(L.recall):>5} {num(L.f1):>5}   "
                f"{s.proposed}/{s.curated}"
            )


def _corpus_report(data: Any, project: Path, split: str, fmt: str) -> None:
    from kg.extract.corpus import corpus_dir, load_corpus, score_corpus

    texts = load_corpus(corpus_dir(project), split)
    result = score_corpus(data, texts)
    counts = {
        "zh": sum(not t.meta["language"].startswith("en") for t in texts),
        "en": sum(t.meta["language"].startswith("en") for t in texts),
        "pooled": len(texts),
    }
    report = {
        f"corpus {split}, {part} ({counts[part]} texts)": modes
        for part, modes in result.scores.items()
    }
    if fmt == "json":
        doc = {
            "split": split,
            "texts": len(texts),
            "facts": sum(len(t.facts) for t in texts),
            "scores": _score_dict(report, "annotated"),
            "surfaced": {p: {"shown": a, "facts": b} for p, (a, b) in result.surfaced.items()},
        }
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
        return
    click.echo(
        f"The {split} split of the evaluation corpus: {len(texts)} texts, "
        f"{sum(len(t.facts) for t in texts)} annotated facts (docs/annotation.md)."
    )
    _print_scores(report, fmt, "annotated")
    shown, facts = result.surfaced["pooled"]
    by_lang = ", ".join(f"{p} {a}/{b}" for p, (a, b) in result.surfaced.items() if p != "pooled")
    click.echo(
        f"\nkg review shows the sentence of {shown} of {facts} annotated facts "
        f"({shown / facts if facts else 0:.0%}; {by_lang}): drafted, or listed to look at."
    )


@main.command()
@click.argument("source")
@root_option
@click.option(
    "--port", default=8010, show_default=True, help="Port on 127.0.0.1 (0: any free one)."
)
@click.option("--by", "who", required=True, help="Your name: every decision records it.")
@_friendly
def review(source: str, root: Path | None, port: int, who: str) -> None:
    """Open a local page to accept, edit or reject a source's drafts.

    Each draft is shown in its sentence with its quote highlighted; accepted and
    edited drafts are saved to data/statements/<source>.reviewed.yaml with your
    name and the time, rejections (with their reason) to data/rejections/, so
    kg extract does not propose them again. Loopback only; Ctrl-C stops it.

    \b
    Example:
      kg review jiemian-baidu-ai-decade --by "Li Ming"
    """
    from kg.project import project_root
    from kg.review.app import ReviewApp
    from kg.serve.http import HttpServer

    app = ReviewApp(root or project_root(), source, who)
    try:
        server = HttpServer("127.0.0.1", port, app)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    bound = server.server_address[1]
    app.hosts = {f"127.0.0.1:{bound}", f"localhost:{bound}"}
    click.echo(f"Reviewing {source} at http://127.0.0.1:{bound}/ (Ctrl-C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
