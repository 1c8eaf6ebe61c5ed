"""Clean a scraped article page into the article's text.

The raw page is kept byte for byte; this module turns it into clean text:

1. decode UTF-8 (a clear error names the file, line and column of a bad byte);
   lines end at LF, CRLF or CR; control characters other than tab, Unicode line
   and paragraph separators and bidirectional controls are removed, and each is
   reported with its line and column (the text OpenCC converts never holds one:
   OpenCC stops at a NUL);
2. remove pinyin annotations left after characters (``現(xiàn)`` -> ``現``);
3. drop page chrome (spam keyword lines, reading prompts, app download lines,
   comment widgets, share buttons, related headlines, view counters, tags);
4. find the article body when the page holds it twice and merge the two copies
   line by line, taking characters lost to ``?`` in one copy from the other;
5. mark damage that no copy can repair with U+FFFD and report it;
6. convert to Simplified Chinese (OpenCC), the canonical form; the Traditional
   form is kept too.

Everything it did is in a :class:`CleanReport`. Nothing here knows about one
particular article: the rules are about kinds of damage, and tests exercise them
on small pages written for the purpose.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import SourceError
from kg.project._text import describe, is_hidden
from kg.sources.lines import (
    REPLACEMENT,
    _chrome_reason,
    _overlaps,
    find_damage,
    strip_annotations,
)

__all__ = [
    "CleanReport",
    "CleanText",
    "Damage",
    "Removed",
    "clean_file",
    "clean_page",
    "decode",
    "raw_lines",
]


# --- results -----------------------------------------------------------------


@dataclass(frozen=True)
class Damage:
    """A damaged run of characters, repaired or not."""

    line: int  #: 1-based line of the raw file
    damaged: str  #: the damaged run as the page has it
    replacement: str  #: what the clean text holds instead
    repaired: bool  #: True if the intact copy supplied the replacement
    offset: int | None = None  #: where the replacement starts in the clean (zh-Hans) text

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "damaged": self.damaged,
            "replacement": self.replacement,
            "repaired": self.repaired,
            "offset": self.offset,
        }


@dataclass(frozen=True)
class Removed:
    """A character the cleaner removed from a raw line (a control character, …)."""

    line: int  #: 1-based line of the raw file
    column: int  #: 1-based column (in characters) in that line
    char: str  #: the character removed

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "char": f"U+{ord(self.char):04X}"}


@dataclass
class CleanReport:
    """What the cleaner did to one page."""

    source: str
    raw_lines: int = 0
    removed: list[Removed] = field(default_factory=list)  #: invisible characters taken out
    dropped: dict[str, list[int]] = field(default_factory=dict)  #: reason -> raw lines
    body_copies: list[tuple[int, int]] = field(default_factory=list)  #: raw line ranges
    lines_merged: int = 0
    annotations_removed: int = 0
    repairs: list[Damage] = field(default_factory=list)
    unrepaired: list[Damage] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  #: what a format's reader did, in words

    def drop(self, reason: str, line: int) -> None:
        self.dropped.setdefault(reason, []).append(line)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "raw_lines": self.raw_lines,
            "removed_characters": [r.as_dict() for r in self.removed],
            "dropped": {k: v for k, v in sorted(self.dropped.items())},
            "body_copies": [list(r) for r in self.body_copies],
            "lines_merged": self.lines_merged,
            "annotations_removed": self.annotations_removed,
            "repairs": [d.as_dict() for d in self.repairs],
            "unrepaired": [d.as_dict() for d in self.unrepaired],
            "conflicts": self.conflicts,
            "notes": self.notes,
        }

    def summary(self) -> str:
        """A short human-readable account, one line per kind of change."""
        out = [f"cleaned {self.source}: {self.raw_lines} raw lines"]
        for r in self.removed[:20]:
            out.append(f"  removed {describe(r.char)} at {self.source}:{r.line}:{r.column}")
        if len(self.removed) > 20:
            out.append(f"  … and {len(self.removed) - 20} more removed characters")
        for reason, lines in sorted(self.dropped.items()):
            shown = ", ".join(map(str, lines[:12])) + (" …" if len(lines) > 12 else "")
            out.append(f"  dropped {len(lines):>3} line(s), {reason}: {shown}")
        if len(self.body_copies) > 1:
            ranges = " and ".join(f"lines {a}-{b}" for a, b in self.body_copies)
            out.append(f"  body found twice ({ranges}); {self.lines_merged} line pairs merged")
        if self.annotations_removed or len(self.body_copies) > 1:  # a scraped page's cleaning
            out.append(f"  pinyin annotations removed: {self.annotations_removed}")
        for note in self.notes:
            out.append(f"  {note}")
        for d in self.repairs:
            out.append(f"  repaired line {d.line}: {d.damaged!r} -> {d.replacement!r}")
        for d in self.unrepaired:
            out.append(
                f"  UNREPAIRED line {d.line}: {d.damaged!r} kept as U+FFFD at offset {d.offset}"
            )
        for c in self.conflicts:
            out.append(f"  copies differ at lines {c['lines']}: kept {c['kept']!r}")
        return "\n".join(out)


@dataclass
class CleanText:
    """The clean text of one source, in both scripts, with its report."""

    source: str
    text: str  #: Simplified Chinese, the canonical form; evidence offsets point here
    text_hant: str  #: the Traditional form, paragraph for paragraph
    paragraphs: list[tuple[int, int, int]]  #: (start, end, raw line) for each paragraph
    report: CleanReport


# --- the cleaner -------------------------------------------------------------


_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_END_BYTES = re.compile(rb"\r\n|\r|\n")


def raw_lines(raw: str) -> list[str]:
    """The lines of a decoded page: they end at LF, CRLF or CR (nothing else).

    Examples
    --------
    >>> raw_lines("a\\r\\nb\\rc\\nd\\x0ce\\n")
    ['a', 'b', 'c', 'd\\x0ce']
    """
    lines = _LINE_END.split(raw)
    return lines[:-1] if lines and lines[-1] == "" else lines


def _remove_hidden(text: str, number: int, report: CleanReport) -> str:
    """Take control characters, separators and bidi controls out of one raw line; report each."""
    if not any(is_hidden(c) and c != "\t" for c in text):
        return text
    kept = []
    for column, char in enumerate(text, start=1):
        if is_hidden(char) and char != "\t":
            report.removed.append(Removed(number, column, char))
        else:
            kept.append(char)
    return "".join(kept)


def decode(data: bytes, name: str = "<bytes>", encoding: str = "utf-8") -> str:
    """Decode *encoding* (UTF-8 by default; a BOM is dropped); raise :class:`SourceError`
    naming the bad byte. GBK, GB18030 and Big5 pages are read with ``encoding="gbk"`` etc."""
    import codecs

    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise SourceError(f"{name}: unknown encoding {encoding!r}") from None
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        ends = list(_LINE_END_BYTES.finditer(data, 0, exc.start))
        line = len(ends) + 1
        column = exc.start - (ends[-1].end() if ends else 0) + 1
        bad = data[exc.start : exc.end]
        hint = (
            "save the page as UTF-8, or name its encoding (--encoding gbk, big5, gb18030)"
            if codec == "utf-8"
            else "is that the page's encoding? (--encoding)"
        )
        raise SourceError(
            f"{name}:{line}:{column}: not valid {codec.upper()} "
            f"(byte offset {exc.start}, {bad!r}); {hint}"
        ) from None
    return text.removeprefix("\ufeff")


@dataclass
class _Line:
    number: int  # 1-based raw line
    text: str  # stripped, annotations removed


def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > max(6, len(a) // 3):
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.75


def _find_copies(lines: list[_Line], min_run: int = 3) -> tuple[int, int, int] | None:
    """Find the longest run of lines that the page repeats.

    Returns ``(i, j, n)``: lines ``i..i+n`` and ``j..j+n`` are the two copies.
    """
    seen: dict[str, list[int]] = {}
    best: tuple[int, int, int] | None = None
    for j, line in enumerate(lines):
        for i in seen.get(line.text, []):
            n = 0
            while (
                i + n < j and j + n < len(lines) and _similar(lines[i + n].text, lines[j + n].text)
            ):
                n += 1
            if n >= min_run and (best is None or n > best[2]):
                best = (i, j, n)
        seen.setdefault(line.text, []).append(j)
    return best


def _merge(a: _Line, b: _Line, report: CleanReport) -> str:
    """Merge two copies of one line, taking each damaged run from the intact copy."""
    if a.text == b.text:
        return a.text
    damage_a, damage_b = find_damage(a.text), find_damage(b.text)
    matcher = difflib.SequenceMatcher(None, a.text, b.text, autojunk=False)
    out: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        seg_a, seg_b = a.text[i1:i2], b.text[j1:j2]
        if op == "equal":
            out.append(seg_a)
            continue
        bad_a, bad_b = _overlaps(damage_a, i1, i2), _overlaps(damage_b, j1, j2)
        if bad_a and not bad_b:
            out.append(seg_b)
            report.repairs.append(Damage(a.number, seg_a, seg_b, repaired=True))
        elif bad_b and not bad_a:
            out.append(seg_a)
            report.repairs.append(Damage(b.number, seg_b, seg_a, repaired=True))
        else:
            out.append(seg_a)
            report.conflicts.append({"lines": [a.number, b.number], "kept": seg_a, "other": seg_b})
    return "".join(out)


def clean_page(data: bytes, name: str = "<page>") -> CleanText:
    """Clean one raw page.

    Parameters
    ----------
    data : bytes
        The page exactly as scraped.
    name : str
        How to name the page in messages and in the report.

    Returns
    -------
    CleanText
        The clean text (Simplified, canonical; Traditional kept) and the report.

    Examples
    --------
    >>> page = "正在閱讀:\\n\\n標題\\n\\n陸奇出任集團總裁兼COO。\\n\\n微博\\n"
    >>> clean_page(page.encode()).text
    '标题\\n陆奇出任集团总裁兼COO。'
    """
    raw = decode(data, name)
    report = CleanReport(source=name)
    page_lines = raw_lines(raw)
    report.raw_lines = len(page_lines)

    lines: list[_Line] = []
    for number, text in enumerate(page_lines, start=1):
        text = _remove_hidden(text, number, report)
        text = text.replace("\u00a0", " ").replace("\u3000", " ").strip()
        if not text:
            continue
        text, removed = strip_annotations(text)
        report.annotations_removed += removed
        lines.append(_Line(number, text))

    kept = _drop_chrome(lines, report)
    body = _dedupe(kept, report)

    hant_lines: list[tuple[str, int]] = []
    for line in body:
        text = line.text
        spans = find_damage(text)
        for start, end in reversed(spans):
            report.unrepaired.append(
                Damage(line.number, text[start:end], REPLACEMENT, repaired=False)
            )
            text = text[:start] + REPLACEMENT + text[end:]
        hant_lines.append((text, line.number))
    report.unrepaired.sort(key=lambda d: d.line)

    convert = _t2s()
    paragraphs: list[tuple[int, int, int]] = []
    hans_parts: list[str] = []
    offset = 0
    for text, number in hant_lines:
        hans = convert(text)
        paragraphs.append((offset, offset + len(hans), number))
        hans_parts.append(hans)
        offset += len(hans) + 1
    text_hans = "\n".join(hans_parts)

    # Locate each unrepaired run in the clean text, in order within its line.
    located: list[Damage] = []
    for damage in report.unrepaired:
        start, end, _ = next(p for p in paragraphs if p[2] == damage.line)
        taken = {d.offset for d in located}
        pos = text_hans.find(REPLACEMENT, start, end)
        while pos in taken:
            pos = text_hans.find(REPLACEMENT, pos + 1, end)
        located.append(Damage(damage.line, damage.damaged, REPLACEMENT, False, pos))
    report.unrepaired = located

    return CleanText(
        source=name,
        text=text_hans,
        text_hant="\n".join(t for t, _ in hant_lines),
        paragraphs=paragraphs,
        report=report,
    )


def _drop_chrome(lines: list[_Line], report: CleanReport) -> list[_Line]:
    kept: list[_Line] = []
    after_prompt = False
    for k, line in enumerate(lines):
        reason = _chrome_reason(line.text)
        if reason is None and after_prompt and any(o.text == line.text for o in lines[k + 1 :]):
            reason = "reading prompt"  # the headline it announces, which the page repeats
        if reason is None and k + 1 < len(lines) and len(line.text) <= 8:
            following = _chrome_reason(lines[k + 1].text)
            if following == "view counter" and not re.search(r"[。,，:：]", line.text):
                reason = "tag line"
        after_prompt = reason == "reading prompt" and not after_prompt
        if reason:
            report.drop(reason, line.number)
        else:
            kept.append(line)
    return kept


def _dedupe(lines: list[_Line], report: CleanReport) -> list[_Line]:
    found = _find_copies(lines)
    if found is None:
        if lines:
            report.body_copies = [(lines[0].number, lines[-1].number)]
        return lines
    i, j, n = found
    first, second = lines[i : i + n], lines[j : j + n]
    report.body_copies = [
        (first[0].number, first[-1].number),
        (second[0].number, second[-1].number),
    ]
    for line in lines[:i] + lines[i + n : j] + lines[j + n :]:
        report.drop("outside the article body", line.number)
    merged = []
    for a, b in zip(first, second, strict=True):
        merged.append(_Line(a.number, _merge(a, b, report)))
        report.lines_merged += 1
    return merged


@functools.lru_cache(maxsize=2)
def _opencc(config: str) -> Any:
    """An OpenCC converter, made once per configuration."""
    import opencc

    return opencc.OpenCC(config)


def _convert(config: str, text: str) -> str:
    """Convert with OpenCC, which stops at a NUL and would silently lose the rest of the text."""
    if "\x00" in text:
        raise ValueError(f"text holding a NUL must not reach OpenCC: {text!r}")
    return str(_opencc(config).convert(text))


def _t2s() -> Any:
    """Traditional (Taiwan standard) to Simplified, the cleaner's canonical form."""
    return functools.partial(_convert, "tw2s")


def to_traditional(text: str) -> str:
    """Convert Simplified Chinese to Traditional with OpenCC (for labels with no zh-Hant form)."""
    return _convert("s2t", text)


def clean_file(path: str | Path) -> CleanText:
    """Read and clean one raw page from *path*."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror}") from None
    return clean_page(data, str(path))
