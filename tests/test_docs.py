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
