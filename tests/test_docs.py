"""The repository's documents are complete on their own: every link resolves inside it."""

from __future__ import annotations

import re
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
        ignore=shutil.ignore_patterns(".git", ".venv", "build", "__pycache__", "*.egg-info"),
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
    """The README's walkthrough blocks, by name."""
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(
        r"<!-- walkthrough: ([^>]*?) -->\n```sh\n(.*?)```\n<!-- end walkthrough -->", text, re.S
    )
    return dict(found)


def test_the_readme_walkthroughs_run_as_written(tmp_path):
    """The README's "Adding a source" and "When sources disagree" blocks, run in order in a
    scratch copy of the project, do what the README says they do."""
    import subprocess

    found = walkthroughs()
    assert set(found) == {"add a source", "judge and conflict", "extract and review"}
    blocks = [found["add a source"], found["judge and conflict"]]  # the third: test_review.py
    copy, env = scratch_project(tmp_path)
    first, second = (run_block(block, copy, env) for block in blocks)
    assert "Registered source example-horizon-background (markdown, en)" in first
    evidence = [line for line in first.splitlines() if "schema:founder | person/yu-kai" in line]
    assert {q for line in evidence for q in line.split(" | ")[4:5]} == {
        "余凯、黄畅创立地平线",
        "Horizon Robotics was founded in 2015 by several former Baidu employees",
        "Horizon Robotics was founded in 2015 by several former Baidu employees, including Yu Kai",
    }
    assert "person/lu-qi  ?  person/lu-qi-2" in second and "same name 'luqi'" in second
    shown = second[second.index("1 conflict(s) between sources:") :].rstrip()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert shown in readme  # the output the README shows is the output
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
