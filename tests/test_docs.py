"""The repository's documents are complete on their own: every link resolves inside it, the
documentation site builds strictly and offline, and every walkthrough runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_names_a_file_in_the_repository(doc):
    links = [t for t in LINK.findall(doc.read_text(encoding="utf-8")) if "://" not in t]
    for target in links:
        path = target.partition("#")[0]
        if not path:
            continue  # a heading in the same file
        resolved = (doc.parent / path).resolve()
        assert resolved.is_relative_to(ROOT), f"{doc.name} links outside the repository: {target}"
        assert resolved.exists(), f"{doc.name} links to a missing file: {target}"


def test_the_readme_links_the_design_document_in_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/design.md)" in readme
    assert "../" not in readme


def page(name: str) -> str:
    """The text of a document: ``README.md`` or a page of ``docs/``."""
    return (ROOT / name).read_text(encoding="utf-8")


def test_no_test_reads_a_file_outside_the_repository():
    for test in sorted((ROOT / "tests").glob("*.py")):
        if test.name == Path(__file__).name:
            continue
        text = test.read_text(encoding="utf-8")
        assert "parents[2]" not in text and "/shared/" not in text, test.name


def scratch_project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the project to run README commands in, and the environment that points
    ``kg`` (this interpreter's) at it."""
    import os
    import shutil
    import sys

    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "site", "__pycache__", "*.egg-info"
        ),
    )
    env = {
        **os.environ,
        "KG_HOME": str(copy),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    return copy, env


def run_block(block: str, cwd: Path, env: dict[str, str]) -> str:
    """Run README shell lines with bash -e in *cwd*; their output (they must succeed)."""
    import subprocess

    done = subprocess.run(
        ["bash", "-e", "-c", block], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def walkthroughs() -> dict[str, str]:
    """The walkthrough blocks of the README and of every page of docs/, by name."""
    found: dict[str, str] = {}
    for doc in DOCS:
        blocks = re.findall(
            r"<!-- walkthrough: ([^>]*?) -->\n```sh\n(.*?)```\n<!-- end walkthrough -->",
            doc.read_text(encoding="utf-8"),
            re.S,
        )
        for name, block in blocks:
            assert name not in found, f"two walkthroughs named {name!r}"
            found[name] = block
    return found


def test_the_walkthroughs_are_found_where_they_now_live():
    found = walkthroughs()
    assert set(found) == {
        "first questions",
        "add a source",
        "judge and conflict",
        "extract and review",
        "cite a news page",
    }
    assert "<!-- walkthrough: cite a news page -->" in page("README.md")
    assert "<!-- walkthrough: first questions -->" in page("README.md")
    assert "<!-- walkthrough: add a source -->" in page("docs/sources.md")
    assert "<!-- walkthrough: extract and review -->" in page("docs/extraction.md")


def test_the_first_questions_of_the_readme_run_and_show_what_they_print(tmp_path):
    """The front page's first questions run as written after the build ``make demo`` makes, and
    the answers it shows are the ones a terminal prints."""
    copy, env = scratch_project(tmp_path)
    run_block("kg build >/dev/null", copy, env)
    out = run_block(walkthroughs()["first questions"], copy, env)
    assert "alumni_startups: Companies founded by alumni of an organisation" in out
    assert "org/horizon-robotics,Horizon Robotics,2015,2" in out.replace(
        "https://w3id.org/china-ai-kg/", ""
    )
    assert "| out | schema:alumniOf | org/baidu | Baidu | 2017年空降百度 |" in out
    assert (copy / "diaspora.md").read_text(encoding="utf-8").startswith("#")
    chart = (copy / "flow.svg").read_text(encoding="utf-8")
    assert chart.startswith("<?xml") and "Wang Jing" in chart and "<a " in chart
    readme = page("README.md")
    shown = readme.split("On a terminal, the answers print as tables:\n\n```\n")[1].split("```")[0]
    answers = [a for a in shown.split("$ ") if a.strip()]
    assert len(answers) == 2
    for answer in answers:
        command, _, printed = answer.partition("\n")
        assert command.startswith("kg query ") and command in readme.split("<!-- end")[0]
        got = run_block(command + " --format table", copy, env)  # as on a terminal
        assert [x.rstrip() for x in got.strip().splitlines()] == printed.strip().splitlines()


def test_the_cite_walkthrough_builds_with_and_without_the_cached_text(tmp_path):
    """The README's "Cite a news page" runs as written on a fresh clone (no cached texts): the
    first build checks the new quote against the cached text, the second (its text removed)
    takes it from the quote index, and the evidence shows the quote, the source and the check."""
    import shutil

    copy, env = scratch_project(tmp_path)
    shutil.rmtree(copy / "data" / "cache", ignore_errors=True)  # a clone has no cached texts
    out = run_block(walkthroughs()["cite a news page"], copy, env)
    lines = out.strip().splitlines()
    assert lines[0] == "Registered source example-cited (markdown, en):"
    first = next(x for x in lines if x.startswith("cited sources: "))
    assert first.endswith("; 1 quote(s) checked against the cached text"), first
    check = next(x for x in lines if x.startswith("example-cited: "))
    assert check.startswith("example-cited: 1 quote(s) found in the text;")
    after = lines[lines.index(check) + 1 :]
    second, evidence = after  # the second build's line, and the evidence row
    found = re.search(r"(\d+) quote\(s\) of cited sources could not be checked", second)
    assert found and int(found.group(1)) > 1, second
    assert f"{found.group(1)} checked against the recorded sha256 earlier" in second  # all of them
    assert second.endswith("0 never; the graph marks each (kg:quoteCheck)")
    cells = [c.strip() for c in evidence.strip("|").split("|")]
    assert cells[4:6] == ["Horizon Robotics was founded in 2015", "example-cited"]
    assert "Horizon Robotics (Background)" in cells and "Wikipedia" in cells
    assert "https://en.wikipedia.org/wiki/Horizon_Robotics" in cells
    assert re.fullmatch(
        r"quoted; checked against sha256 [0-9a-f]{64} on \d{4}-\d\d-\d\d", cells[-1]
    )
    assert not (copy / "data" / "cache" / "example-cited.raw.md").exists()


def test_the_readme_walkthroughs_run_as_written(tmp_path):
    """The "Adding a source" and "When sources disagree" blocks (docs/sources.md), run in order
    in a scratch copy of the project, do what the page says they do."""
    found = walkthroughs()
    blocks = [found["add a source"], found["judge and conflict"]]  # the third: test_review.py
    copy, env = scratch_project(tmp_path)
    first, second = (run_block(block, copy, env) for block in blocks)
    assert "Registered source example-horizon-background (markdown, en)" in first
    evidence = [line for line in first.splitlines() if "schema:founder | person/yu-kai" in line]
    quotes = {q for line in evidence for q in line.split(" | ")[4:5]}
    assert {  # the article's, Wikipedia's and this copy's, beside the cited news sources'
        "余凯、黄畅创立地平线",
        "Horizon Robotics was founded in 2015 by several former Baidu employees",
        "Horizon Robotics was founded in 2015 by several former Baidu employees, including Yu Kai",
    } <= quotes
    rows = {line.split(" | ")[5] for line in evidence}
    assert "example-horizon-background" in rows and "jiemian-baidu-ai-decade" in rows
    assert "person/lu-qi  ?  person/lu-qi-2" in second and "same name 'luqi'" in second
    shown = second[second.index("  [dates] person/lu-qi alumniOf org/baidu") :].rstrip()
    assert "exercise-note (An exercise) says: end 2018-04" in shown
    assert shown in page("docs/sources.md")  # the output the page shows is the output
    again = subprocess.run(
        [
            "kg",
            "add-source",
            "docs/examples/horizon-robotics-background.md",
            "--title",
            "x",
            "--publisher",
            "Wikipedia",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 1
    assert "is already registered, as source 'example-horizon-background'" in again.stderr


# --- the documentation site -----------------------------------------------------------------


def build_site(config_dir: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict`` of the site whose mkdocs.yml is in *config_dir*, into *site*."""
    import os

    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=config_dir,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )


#: A reference to another host: an http(s) or protocol-relative URL.
EXTERNAL = r"""["']?\s*(?:https?:)?//"""


def test_the_site_builds_strictly_with_a_generated_reference_and_nothing_from_the_network(
    tmp_path,
):
    import html

    import click

    from kg.cli import main

    done = build_site(ROOT, tmp_path / "site")
    assert done.returncode == 0, done.stderr[-3000:]
    site = tmp_path / "site"
    # The command reference is generated from the click commands: one heading for each.
    reference = (site / "reference.html").read_text(encoding="utf-8")
    headings = set(re.findall(r'<h3 id="kg-([a-z-]+)"', reference))
    assert headings == set(main.commands), headings ^ set(main.commands)
    for name, command in main.commands.items():
        assert f"kg {name} [OPTIONS]" in reference  # the usage line of its --help
        for option in command.params:
            if isinstance(option, click.Option):
                assert all(opt in reference for opt in option.opts), (name, option.opts)
    # Each example is kept as click prints it, one command a line, not run together.
    blocks = [
        html.unescape(re.sub(r"<[^>]+>", "", b))
        for b in re.findall(r"<pre.*?</pre>", reference, re.S)
    ]
    assert any("kg query --list\nkg query alumni_founders" in b for b in blocks)
    # The home page is the README, its links into docs/ made relative to the site.
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "The first ten minutes" in home and 'href="reference.html"' in home
    # Offline: no script, stylesheet or font from another host, in any page or stylesheet.
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 14
    for built in pages:
        text = built.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", text, re.I):
            assert not re.search(r"\b(?:src|href)\s*=\s*" + EXTERNAL, tag, re.I), (built.name, tag)
        for style in re.findall(r"<style\b.*?</style>", text, re.I | re.S):
            assert not re.search(r"(?:url\(|@import)\s*" + EXTERNAL, style, re.I), built.name
    for css in sorted(site.rglob("*.css")):
        text = css.read_text(encoding="utf-8")
        assert not re.search(r"(?:url\(|@import)\s*" + EXTERNAL, text, re.I), css.name
    # Search works from file://: its index is inlined as a script beside the JSON.
    assert (site / "search" / "search_index.js").is_file()


def test_a_broken_link_or_anchor_fails_the_site_build(tmp_path):
    """The build is strict about links: a page linking to a missing page or heading fails."""
    import shutil

    for n, bad in enumerate(["[x](querying.md#no-such-heading)", "[x](no-such-page.md)"]):
        copy = tmp_path / f"copy{n}"
        shutil.copytree(ROOT / "docs", copy / "docs")
        for name in ("mkdocs.yml", "README.md"):
            shutil.copy(ROOT / name, copy / name)
        commands = copy / "docs" / "commands.md"
        commands.write_text(commands.read_text(encoding="utf-8") + f"\n{bad}\n", encoding="utf-8")
        done = build_site(copy, copy / "site")
        assert done.returncode != 0
        target = bad[4:-1]
        assert "commands.md" in done.stderr and target.split("#")[-1] in done.stderr, done.stderr
