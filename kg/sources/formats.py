"""Clean text from each kind of source: plain text, Markdown, an HTML page, the Jiemian scrape.

A source's ``format`` (in its metadata) says which cleaner reads it:

- ``scrape``: a news page scraped with its chrome, as the seed article is
  (:func:`kg.sources.clean.clean_page`: spam, page chrome, the body twice, pinyin annotations, lost
  characters);
- ``text``: plain text (an encyclopedia page's text, a filing's section);
- ``markdown``: Markdown, read with markdown-it-py; the text of its blocks is kept, the markup
  dropped;
- ``html``: an HTML page saved from a browser; its main content is extracted by trafilatura
  (offline), and navigation, footers and comments are dropped.

Every cleaner decodes the bytes (``encoding``, UTF-8 by default: a text encoding that
:func:`text_encoding` accepts, so not ``rot13`` or ``base64``), takes out invisible control
characters, drops empty lines and, in encyclopedia-style text, reference marks such as ``[12]``
or ``[citation needed]``, and reports each kind of change. Chinese text is given in both
scripts: Simplified (the canonical text, which evidence offsets point into) and Traditional.
"""

from __future__ import annotations

import re

from kg.errors import SourceError
from kg.sources.clean import CleanReport, CleanText, _remove_hidden, clean_page, decode, raw_lines

__all__ = ["FORMATS", "LANGUAGES", "clean_source", "detect_format", "rescript", "text_encoding"]

#: The formats a source can have, and what each means.
FORMATS = {
    "scrape": "a scraped news page with its chrome (the seed article's cleaner)",
    "text": "plain text",
    "markdown": "Markdown",
    "html": "an HTML page saved from a browser (main content extracted)",
}
#: The languages a source can be written in. ``zh`` is the seed's older spelling of Chinese.
LANGUAGES = ("zh-Hans", "zh-Hant", "en", "zh")

# Reference marks of encyclopedia text: [12], [a], [note 3], [citation needed], [edit].
_REFERENCE = re.compile(
    r"\[(?:\d{1,3}|[a-z]|note \d{1,3}|citation needed|clarification needed|edit|编辑|編輯)\]"
)


def text_encoding(encoding: object) -> str | None:
    """What is wrong with *encoding* as the name of a text's encoding, or None if nothing.

    It must be a codec Python knows that decodes bytes to text: ``rot13``, ``base64``,
    ``zlib`` or ``hex`` are codecs, but not text encodings.

    Examples
    --------
    >>> text_encoding("gbk") is None, text_encoding("UTF_8") is None
    (True, True)
    >>> text_encoding("rot13")
    "'rot13' is not a text encoding (it is the rot-13 codec); give the file's character encoding: utf-8, gbk, gb18030, big5…"
    >>> text_encoding("klingon")
    "'klingon' is not an encoding Python knows; give the file's character encoding: utf-8, gbk, gb18030, big5…"
    """  # noqa: E501
    import codecs

    hint = "give the file's character encoding: utf-8, gbk, gb18030, big5…"
    if not isinstance(encoding, str) or not encoding.strip() or "\0" in encoding:
        return f"{encoding!r} is not an encoding Python knows; {hint}"
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        return f"{encoding!r} is not an encoding Python knows; {hint}"
    try:
        # str.encode and bytes.decode refuse what is not a text encoding (LookupError);
        # the 'undefined' codec refuses everything (UnicodeError).
        "a".encode(info.name)
    except (LookupError, UnicodeError):
        return f"{encoding!r} is not a text encoding (it is the {info.name} codec); {hint}"
    return None


def detect_format(name: str, data: bytes) -> str:
    """The format of a file by its name, else by a look at its start (``text`` if unsure)."""
    lower = name.lower()
    if lower.endswith((".html", ".htm", ".xhtml")):
        return "html"
    if lower.endswith((".md", ".markdown")):
        return "markdown"
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "text"


def clean_source(
    data: bytes, name: str, fmt: str = "scrape", lang: str = "zh", encoding: str = "utf-8"
) -> CleanText:
    """Clean one source's bytes as its *fmt* says; see the module's description.

    Examples
    --------
    >>> text = "Kai Yu founded Horizon Robotics in 2015.[3]\\n\\n Qi Lu[citation needed]\\n"
    >>> clean = clean_source(text.encode(), "page.txt", "text", "en")
    >>> clean.text
    'Kai Yu founded Horizon Robotics in 2015.\\nQi Lu'
    >>> clean.report.dropped
    {'reference marks': [1, 3]}
    """
    if fmt not in FORMATS:
        raise SourceError(f"{name}: unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if lang not in LANGUAGES:
        raise SourceError(f"{name}: unknown language {lang!r} (one of zh-Hans, zh-Hant, en)")
    problem = text_encoding(encoding)
    if problem:
        raise SourceError(f"{name}: encoding {problem}")
    if fmt == "scrape":
        if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            data = decode(data, name, encoding).encode("utf-8")
        return clean_page(data, name)
    raw = decode(data, name, encoding)
    report = CleanReport(source=name)
    if fmt == "html":
        numbered = list(enumerate(_html_lines(raw, name), start=1))
        report.raw_lines = len(raw_lines(raw))
        report.notes.append(
            f"main content extracted by trafilatura: {len(numbered)} line(s) kept; navigation, "
            "headers, footers, comments and markup dropped (line numbers are the extracted text's)"
        )
    elif fmt == "markdown":
        numbered = _markdown_lines(raw)
        report.raw_lines = len(raw_lines(raw))
        report.notes.append(
            f"Markdown read with markdown-it-py: {len(numbered)} block(s) of text kept; markup, "
            "link targets and images dropped"
        )
    else:
        numbered = list(enumerate(raw_lines(raw), start=1))
        report.raw_lines = len(numbered)
    lines: list[tuple[str, int]] = []
    for number, line in numbered:
        line = _remove_hidden(line, number, report)
        line = line.replace("\u00a0", " ").replace("\u3000", " ")
        line, marks = _REFERENCE.subn("", line)
        if marks:
            report.drop("reference marks", number)
        line = re.sub(r"[ \t]+", " ", line).strip()
        if line:
            lines.append((line, number))
    if not lines:
        raise SourceError(f"{name}: no text left after cleaning (is the file empty?)")
    return _scripts(lines, name, lang, report)


def rescript(clean: CleanText, lang: str) -> CleanText:
    """*clean*, cleaned as ``en`` (its text as written), given in both scripts as *lang* says.

    The same as cleaning the bytes again with *lang* (the language changes nothing but the
    scripts), without the cost of extracting and cleaning a large page a second time.

    >>> first = clean_source("陸奇出任集團總裁\\n".encode(), "a.txt", "text", "en")
    >>> again = rescript(first, "zh-Hant")
    >>> again.text, again.text_hant
    ('陆奇出任集团总裁', '陸奇出任集團總裁')
    >>> again == clean_source("陸奇出任集團總裁\\n".encode(), "a.txt", "text", "zh-Hant")
    True
    """
    if lang not in LANGUAGES:
        raise SourceError(
            f"{clean.source}: unknown language {lang!r} (one of zh-Hans, zh-Hant, en)"
        )
    lines = [
        (text, number)
        for text, (_, _, number) in zip(clean.text_hant.split("\n"), clean.paragraphs, strict=True)
    ]
    return _scripts(lines, clean.source, lang, clean.report)


def _scripts(lines: list[tuple[str, int]], name: str, lang: str, report: CleanReport) -> CleanText:
    from kg.sources.clean import _t2s, to_traditional

    if lang in ("zh-Hant", "zh"):
        convert = _t2s()
        hans = [convert(t) for t, _ in lines]
        hant = [t for t, _ in lines]
    elif lang == "zh-Hans":
        hans = [t for t, _ in lines]
        hant = [to_traditional(t) for t in hans]
    else:
        hans = hant = [t for t, _ in lines]
    paragraphs = []
    offset = 0
    for text, (_, number) in zip(hans, lines, strict=True):
        paragraphs.append((offset, offset + len(text), number))
        offset += len(text) + 1
    return CleanText(
        source=name,
        text="\n".join(hans),
        text_hant="\n".join(hant),
        paragraphs=paragraphs,
        report=report,
    )


def _html_lines(raw: str, name: str) -> list[str]:
    """The main content of an HTML page, a paragraph a line (trafilatura, offline)."""
    import trafilatura

    body = trafilatura.extract(
        raw,
        output_format="txt",
        include_comments=False,
        include_tables=True,
        include_links=False,
        include_images=False,
        favor_precision=True,
        deduplicate=False,
        with_metadata=False,
        # trafilatura's own algorithm only: its fallbacks return a page's navigation when it
        # has no article, and a page with no article must be refused, not half-read.
        fast=True,
    )
    if not body or not body.strip():
        raise SourceError(
            f"{name}: no article body found in the HTML page (trafilatura found only "
            "navigation or nothing); save the article's own page, or its text as a .txt file"
        )
    return raw_lines(body)


def _markdown_lines(raw: str) -> list[tuple[int, str]]:
    """The text of each Markdown block with its first line: markup dropped, link text kept."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(raw)
    out: list[tuple[int, str]] = []
    for token in tokens:
        if token.type == "inline" and token.children is not None:
            parts = []
            for child in token.children:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
            start = token.map[0] + 1 if token.map else 0
            out.append((start, "".join(parts)))
        elif token.type in ("code_block", "fence"):
            start = token.map[0] + 1 if token.map else 0
            for k, line in enumerate(token.content.splitlines()):
                out.append((start + k + (1 if token.type == "fence" else 0), line))
    return out
