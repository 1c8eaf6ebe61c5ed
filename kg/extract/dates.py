"""Dates in a text, exactly as precise as the text gives them.

``2018年5月`` is ``2018-05``; ``2027年初`` is ``2027`` with the qualifier ``early``;
``二〇一八年`` is ``2018`` (Chinese numerals read by cn2an); ``March 16, 2023`` is
``2023-03-16``; ``in 2015`` is ``2015``. A relative date (九年前, 同年, last year) is not a
date here: it is left to the reviewer, never resolved by guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.project.months import MONTHS_EN

__all__ = ["Date", "Relative", "find_dates", "find_relative"]

_MONTHS = {m: i for i, m in enumerate(MONTHS_EN, start=1)}
_HAN_DIGITS = "〇零一二三四五六七八九"
_ZH = re.compile(
    rf"(?P<y>\d{{4}}|[{_HAN_DIGITS}]{{4}}) ?年"  # a space may stand by a number: 2000 年
    r"(?: ?(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3}) ?月(?: ?(?P<d>\d{1,2}) ?[日号])?)?"
    r"(?P<q>初|底|末|中|上半年|下半年)?"
)
# (at most 8 spaces apart: every pattern here matches a bounded stretch; see kg.extract.rules)
_EN = re.compile(
    r"\b(?:(?P<m>January|February|March|April|May|June|July|August|September|October|November|December)"
    r"(?:\s{1,8}(?P<d>\d{1,2}))?,?\s{1,8})?(?P<y>(?:19|20)\d{2})\b"
)
_EN_DMY = re.compile(
    r"\b(?P<d>\d{1,2})\s{1,8}(?P<m>January|February|March|April|May|June|July|August|September"
    r"|October|November|December)\s{1,8}(?P<y>(?:19|20)\d{2})\b"
)
_QUALIFIER = {
    "初": "early",
    "底": "end",
    "末": "end",
    "中": "mid",
    "上半年": "first half",
    "下半年": "second half",
}


_ZH_NUM = "一二两三四五六七八九十"
_RELATIVE = re.compile(
    rf"(?P<n>\d{{1,2}}|[{_ZH_NUM}]{{1,3}})年(?:前|之前)|(?P<last>去年|前年)|(?P<same>同年|当年|那一年)"
    r"|(?P<en_n>\b(?:one|two|three|four|five|six|seven|eight|nine|ten|\d{1,2}) years? ago\b)"
    r"|(?P<en_last>\blast year\b)|(?P<en_same>\b(?:the same|that) year\b)"
    rf"|(?P<next>次年|翌年|隔年|第二年)(?:(?P<next_m>\d{{1,2}}|[{_ZH_NUM}]{{1,3}})月)?"
    r"|(?P<en_next>\bthe (?:following|next) year\b)"
)
_EN_NUM = {
    w: i
    for i, w in enumerate(
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    )
}


@dataclass(frozen=True)
class Relative:
    """A date given relative to another (九年前, 同年, last year): resolved only where the text
    allows it — against the source's own date, or the date just before it in the text."""

    start: int
    end: int
    text: str
    value: str | None  #: the year, where it can be told; otherwise None (for the reviewer)
    how: str  #: what it was resolved against, or why it was not


def find_relative(text: str, published: str | None, dates: list[Date]) -> list[Relative]:
    """Relative dates in *text*; *published* is the source's date (YYYY…) if known.

    >>> [(r.text, r.value) for r in find_relative("九年前,他加入;同年离开", "2025-07", [])]
    [('九年前', '2016'), ('同年', '2016')]
    >>> [(r.value, r.how) for r in find_relative("去年", None, [])]
    [(None, 'the source has no date to count from')]
    """
    import cn2an

    out: list[Relative] = []
    # The date just before a point: the one ending last before it (a resolved relative date
    # over a date on a tie, the later of two dates). The dates are swept once, in order of
    # their ends, as the relative dates come in text order.
    by_end = sorted(dates, key=lambda d: d.end)
    swept = 0
    latest: Date | None = None
    resolved: Relative | None = None
    for m in _RELATIVE.finditer(text):
        back = None
        if m["n"]:
            back = (
                int(m["n"])
                if m["n"].isdigit()
                else int(cn2an.cn2an(m["n"].replace("两", "二"), "smart"))
            )
        elif m["last"]:
            back = 1 if m["last"] == "去年" else 2
        elif m["en_n"]:
            word = m["en_n"].split()[0].lower()
            back = int(word) if word.isdigit() else _EN_NUM[word]
        elif m["en_last"]:
            back = 1
        if back is not None:
            if published:
                value, how = (
                    str(int(published[:4]) - back),
                    f"{back} year(s) before the source's date {published}",
                )
            else:
                value, how = None, "the source has no date to count from"
        else:  # the same year as the date the text gave just before (or the year after it)
            after = 1 if (m["next"] or m["en_next"]) else 0
            while swept < len(by_end) and by_end[swept].end <= m.start():
                latest = by_end[swept]
                swept += 1
            before: Date | Relative | None = latest
            if resolved is not None and (latest is None or resolved.end >= latest.end):
                before = resolved
            if before is not None and before.value:
                value = str(int(before.value[:4]) + after)
                how = (
                    "the year after the date just before it"
                    if after
                    else ("the year of the date just before it")
                )
                month = m["next_m"]
                if month and 1 <= _number(month) <= 12:
                    value += f"-{_number(month):02d}"
            else:
                value, how = None, "no date before it in the text"
        out.append(Relative(m.start(), m.end(), m.group(), value, how))
        if value:
            resolved = out[-1]
    return out


@dataclass(frozen=True)
class Date:
    start: int
    end: int
    value: str  #: YYYY, YYYY-MM or YYYY-MM-DD
    qualifier: str | None = None  #: early, mid, end, first half …


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    import cn2an

    if all(c in _HAN_DIGITS for c in text):  # a year written digit by digit: 二〇一八
        return int("".join(str("〇一二三四五六七八九".index(c.replace("零", "〇"))) for c in text))
    return int(cn2an.cn2an(text, "smart"))


def find_dates(text: str) -> list[Date]:
    """Every date in *text*, in order.

    >>> [d.value for d in find_dates("2018年5月,陆奇卸任;2027年初上市;二〇一五年")]
    ['2018-05', '2027', '2015']
    >>> [(d.value, d.qualifier) for d in find_dates("It was released on March 16, 2023, in 2024")]
    [('2023-03-16', None), ('2024', None)]
    """
    found: list[Date] = []
    for m in _ZH.finditer(text):
        value = f"{_number(m['y']):04d}"
        if m["m"]:
            month = _number(m["m"])
            if not 1 <= month <= 12:
                continue
            value += f"-{month:02d}"
            if m["d"]:
                value += f"-{int(m['d']):02d}"
        found.append(Date(m.start(), m.end(), value, _QUALIFIER.get(m["q"] or "")))
    for m in _EN_DMY.finditer(text):  # 20 December 2007
        found.append(
            Date(m.start(), m.end(), f"{m['y']}-{_MONTHS[m['m'].lower()]:02d}-{int(m['d']):02d}")
        )
    taken = {(d.start, d.end) for d in found}
    for m in _EN.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        value = m["y"]
        if m["m"]:
            value += f"-{_MONTHS[m['m'].lower()]:02d}"
            if m["d"]:
                value += f"-{int(m['d']):02d}"
        found.append(Date(m.start(), m.end(), value))
    return sorted(found, key=lambda d: d.start)
