"""What the cleaner recognises in one line of a page: pinyin annotations, damage, page chrome.

Used by :func:`kg.sources.clean.clean_page`; the rules are about kinds of damage, not one
particular article.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = ["REPLACEMENT", "find_damage", "is_pinyin_syllable", "strip_annotations"]

REPLACEMENT = "\ufffd"

# --- pinyin annotations ------------------------------------------------------

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê"
_PINYIN_LETTERS = f"a-z{_TONED}"
_ANNOTATION = re.compile(
    rf"(?<=[\u3400-\u9fff\uf900-\ufaff])[(（]([{_PINYIN_LETTERS}]{{1,7}})[)）]"
)
_SYLLABLE = re.compile(
    r"^(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iong|iang|uang|ueng|iao|ian|uai|uan|van|ing|ang|eng|ong|"
    r"ai|ei|ao|ou|an|en|er|ia|ie|iu|in|ua|uo|ui|un|ve|ue|a|o|e|i|u|v)$"
)


def _plain(syllable: str) -> str:
    """Strip tone marks: ``xiàn`` -> ``xian``, ``lǜ`` -> ``lv``."""
    syllable = syllable.replace("ü", "v").replace("ǖ", "v").replace("ǘ", "v")
    syllable = syllable.replace("ǚ", "v").replace("ǜ", "v")
    decomposed = unicodedata.normalize("NFD", syllable)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_pinyin_syllable(text: str) -> bool:
    """True if *text* is one Hanyu Pinyin syllable, with or without tone marks."""
    return bool(_SYLLABLE.match(_plain(text)))


def strip_annotations(line: str) -> tuple[str, int]:
    """Remove pinyin annotations after CJK characters; return the line and how many."""
    count = 0

    def drop(match: re.Match[str]) -> str:
        nonlocal count
        if is_pinyin_syllable(match.group(1)):
            count += 1
            return ""
        return match.group(0)

    return _ANNOTATION.sub(drop, line), count


# --- damage ------------------------------------------------------------------

# A character lost to "?" with its orphaned annotation and the mis-decoded bytes
# that follow it, e.g. "?duì)I" or "?qū)嵕€".
_ORPHAN = re.compile(rf"\?[{_PINYIN_LETTERS}]{{1,7}}[)）]")
# A "?" that is not a question mark: something other than a line end, a space or
# closing punctuation follows it.
_STRAY = re.compile(r"[?!]*\?(?=[^\s?!”’」』)）\]】》〉])[?!]*")
_CLOSERS = "”’」』)）]】》〉"


def _is_ordinary(char: str) -> bool:
    """True for characters that ordinary Chinese text is made of.

    Mis-decoded bytes show up as ASCII letters, currency signs or rare CJK
    characters that are in neither GB2312 nor Big5's frequent-character range.
    """
    if char.isspace() or char in _CLOSERS:
        return True
    if char.isascii():
        return not char.isalpha()
    try:
        char.encode("gb2312")
        return True
    except UnicodeEncodeError:
        pass
    try:
        code = int.from_bytes(char.encode("big5"), "big")
    except UnicodeEncodeError:
        return unicodedata.category(char).startswith("P")
    return 0xA140 <= code <= 0xC67E


def find_damage(line: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` spans of *line* that are damaged.

    Examples
    --------
    >>> find_damage("其2026年?duì)I收將飆至83億")
    [(6, 12)]
    >>> find_damage("留下了什麼?")
    []
    """
    spans: list[tuple[int, int]] = []
    for match in _ORPHAN.finditer(line):
        end = match.end()
        while end < len(line) and not _is_ordinary(line[end]):
            end += 1
        spans.append((match.start(), end))
    for match in _STRAY.finditer(line):
        spans.append((match.start(), match.end()))
    for i, char in enumerate(line):
        if char == REPLACEMENT:
            spans.append((i, i + 1))
    return _union(spans)


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _overlaps(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    # An empty range (an insertion point) touches a span it borders.
    return any((s < max(end, start + 1) and start < e) or s == start == end for s, e in spans)


# --- page chrome -------------------------------------------------------------

_CHROME_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("reading prompt", re.compile(r"^正在(阅读|閱讀)[:：]?$")),
    ("app download", re.compile(r"(扫一扫|掃一掃).*下(载|載)|^下(载|載).{0,8}(APP|App|app)?$")),
    ("comment widget", re.compile(r"^(评论|評論)$|(暂无|暫無)(评论|評論)|快来评|^\d+条评论$")),
    (
        "share buttons",
        re.compile(r"^(微信公众号|微信公眾號|微信|微博|QQ空间|朋友圈|分享到?.{0,8})$"),
    ),
    ("related headlines", re.compile(r"^[•·●▪◦]\s*\S")),
    ("view counter", re.compile(r"^\d+(\.\d+)?[kKwW万萬千]?(\s*(阅读|閱讀|浏览|瀏覽|次))?$")),
]


def _is_spam(line: str) -> bool:
    parts = [p for p in line.split("|") if p.strip()]
    return len(parts) >= 4 and not any(mark in line for mark in "。,，")


def _chrome_reason(line: str) -> str | None:
    if _is_spam(line):
        return "spam keywords"
    for reason, pattern in _CHROME_RULES:
        if pattern.search(line):
            return reason
    return None
