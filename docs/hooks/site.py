"""MkDocs hooks of the documentation site (mkdocs.yml names this file; nothing here goes online).

- The site's home page is the repository's README.md, so the front page is written once: its
  links into ``docs/`` are made relative to the docs folder (any other relative link would point
  outside the site, and the strict build reports it as broken), and a page's links to
  ``../README.md`` lead to the home page.
- The command reference keeps each command's example as click prints it: click's help marks
  it as preformatted (``\\b``), which mkdocs-click drops, so the example's lines would run
  together into one paragraph. An ``Example:`` line followed by indented lines becomes the line
  and a code block.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor


def on_config(config: Any) -> Any:
    config.markdown_extensions.append(_ClickExamples())
    return config


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if page.file.src_uri != "index.md":
        return re.sub(r"\]\(\.\./README\.md(?=[#)])", "](index.md", markdown)
    readme = Path(config["config_file_path"]).parent / "README.md"
    return re.sub(r"\]\(docs/", "](", readme.read_text(encoding="utf-8"))


class _Examples(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        i, fence = 0, False
        while i < len(lines):
            line = lines[i]
            if line.lstrip().startswith("```"):
                fence = not fence
            example = not fence and re.match(r"Examples?\b.*:", line)
            j = i + 1
            while example and j < len(lines) and lines[j].startswith("  ") and lines[j].strip():
                j += 1
            if j == i + 1:  # not an example with indented lines
                out.append(line)
                i += 1
                continue
            body = textwrap.dedent("\n".join(lines[i + 1 : j]))
            out += [line, "", "```sh", *body.splitlines(), "```", ""]
            i = j
        return out


class _ClickExamples(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        # After mkdocs-click writes the reference (141), before code fences are read (32).
        md.preprocessors.register(_Examples(md), "kg_click_examples", 100)
