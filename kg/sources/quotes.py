"""Cited sources' quotes: how long one may be, and the index that keeps where each was found.

A cited source (``cited: true`` in its metadata) is kept by quotation only: the repository
holds its metadata, the sha256 of its text as read, and its statements' quotes; the text
stays in the local cache (``data/cache/``). Two rules follow.

**A quote is short**: at most :data:`MAX_QUOTE` characters and at most one sentence (no
sentence end followed by more text inside it). The build refuses a longer one, naming the
statement's file and line (:func:`check_cited_quote`).

**The quote index** (``data/sources/<id>.quotes.yaml``, written by ``kg check-quotes`` on a
machine whose cache holds the text) records, for each quote, the offsets where it was
found, the sha256 of the text it was checked against, and the date of the check. A build
without the text takes the quotes as recorded: a quote in the index keeps its offsets and
is marked "quoted; checked against sha256 … on DATE"; a quote not in it is marked as not
checked, and the build counts both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.project._yaml import LINE, dump_yaml, key_line, load_yaml, yaml_exists
from kg.project.checks import parse_date

__all__ = [
    "INDEX_SUFFIX",
    "MAX_QUOTE",
    "QuoteIndex",
    "check_cited_quote",
    "dump_index",
    "load_index",
]

#: The longest quote a cited source's statement may carry, in characters: a sentence or
#: less of a news text (a Chinese sentence of news is rarely over 100 characters).
MAX_QUOTE = 200
#: What ends one sentence and starts another inside a quote: a Chinese full stop,
#: exclamation or question mark (or semicolon) followed by more text, or an English one
#: followed by a capital letter, unless it ends a short abbreviation (Inc., Co., Mr., Dr.) or
#: an initial (J. Smith).
_SENTENCE_END = re.compile(
    r"[。！？；][”’」』\"')）]*+\s*+[^\s”’」』\"')）]"
    r"|(?<![A-Z])(?<!\b[A-Z][a-z])(?<!\b[A-Z][a-z][a-z])[.!?][\"”’)]*+\s+[\"“‘(]*[A-Z]"
)
INDEX_SUFFIX = ".quotes.yaml"


def check_cited_quote(quote: str, source: str, path: Path, line: int | None) -> None:
    """Refuse a quote of cited source *source* that is longer than a short quotation."""
    if len(quote) > MAX_QUOTE:
        raise DataError(
            f"quote of cited source {source} is {len(quote)} characters, more than the "
            f"{MAX_QUOTE} a quotation of a text we may not republish may have; quote the "
            f"words that state the fact (several short quotes may be given as a list): "
            f"{quote[:40]!r}…",
            path,
            line,
        )
    found = _SENTENCE_END.search(quote)
    if found:
        raise DataError(
            f"quote of cited source {source} runs over more than one sentence (at "
            f"{quote[max(0, found.start() - 10) : found.end() + 5]!r}); a cited source is "
            f"quoted a sentence or less at a time: give each sentence as its own quote",
            path,
            line,
        )


@dataclass
class QuoteIndex:
    """Where each quote of one cited source was found, in which text, and when."""

    source: str
    sha256: str
    checked: str  #: the date of the check (YYYY-MM-DD)
    anchors: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    path: Path | None = None

    def starts(self, quote: str) -> list[int]:
        return sorted(start for start, _ in self.anchors.get(quote, []))


def load_index(path: Path) -> QuoteIndex | None:
    """The quote index at *path*, or None if there is none; a malformed one is an error."""
    if not yaml_exists(path):
        return None
    doc = load_yaml(path)
    if not isinstance(doc, dict):
        raise DataError("a quote index is a mapping (source, sha256, checked, quotes)", path)
    for key in ("source", "sha256", "checked", "quotes"):
        if doc.get(key) is None:
            raise DataError(f"missing {key}", path, doc.get(LINE))
    checked = parse_date(doc["checked"], (path, key_line(doc, "checked")))
    if not re.fullmatch(r"[0-9a-f]{64}", str(doc["sha256"])):
        raise DataError("sha256 must be 64 hexadecimal digits", path, key_line(doc, "sha256"))
    if not isinstance(doc["quotes"], list):
        raise DataError("quotes must be a list", path, key_line(doc, "quotes"))
    anchors: dict[str, list[tuple[int, int]]] = {}
    for item in doc["quotes"]:
        line = item.get(LINE) if isinstance(item, dict) else None
        if not isinstance(item, dict) or set(item) - {LINE} != {"quote", "start", "end"}:
            raise DataError("each quote is {quote, start, end}", path, line)
        quote, start, end = item["quote"], item["start"], item["end"]
        if (
            not isinstance(quote, str)
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in (start, end))
            or not 0 <= start < end
            or end - start != len(quote)
        ):
            raise DataError(
                f"quote {quote!r}: start and end must be offsets 0 <= start < end with "
                f"end - start the quote's length",
                path,
                line,
            )
        anchors.setdefault(quote, []).append((start, end))
    return QuoteIndex(str(doc["source"]), str(doc["sha256"]), str(checked), anchors, path)


_HEADER = (
    "# Where each quote of this cited source was found in its text as read (the sha256\n"
    "# below), and when it was checked: written by `kg check-quotes` on a machine whose\n"
    "# cache (data/cache/) holds the text. A build without the text keeps these offsets\n"
    "# and says the quotes were checked on this date; do not edit by hand.\n"
)


def dump_index(index: QuoteIndex) -> str:
    quotes: list[dict[str, Any]] = [
        {"quote": quote, "start": start, "end": end}
        for quote, spans in index.anchors.items()
        for start, end in spans
    ]
    quotes.sort(key=lambda q: (q["start"], q["end"]))
    doc = {
        "source": index.source,
        "sha256": index.sha256,
        "checked": index.checked,
        "quotes": quotes,
    }
    return dump_yaml(doc, _HEADER)
