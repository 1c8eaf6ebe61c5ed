"""Dates in a text, exactly as precise as the text gives them.

``2018年5月`` is ``2018-05``; ``2027年初`` is ``2027`` with the qualifier ``early``;
``二〇一八年`` is ``2018`` (Chinese numerals read by cn2an); ``March 16, 2023`` is
``2023-03-16``; ``in 2015`` is ``2015``. A relative date (九年前, 同年, last year) is not a
date here: it is left to the reviewer, never resolved by guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Date", "find_dates"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
_HAN_DIGITS = "〇零一二三四五六七八九"
_ZH = re.compile(
    rf"(?P<y>\d{{4}}|[{_HAN_DIGITS}]{{4}})年"
    r"(?:(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})月(?:(?P<d>\d{1,2})[日号])?)?"
    r"(?P<q>初|底|末|中|上半年|下半年)?"
)
_EN = re.compile(
    r"\b(?:(?P<m>January|February|March|April|May|June|July|August|September|October|November|December)"
    r"(?:\s+(?P<d>\d{1,2}))?,?\s+)?(?P<y>(?:19|20)\d{2})\b"
)
_QUALIFIER = {
    "初": "early",
    "底": "end",
    "末": "end",
    "中": "mid",
    "上半年": "first half",
    "下半年": "second half",
}


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
    for m in _EN.finditer(text):
        value = m["y"]
        if m["m"]:
            value += f"-{_MONTHS[m['m'].lower()]:02d}"
            if m["d"]:
                value += f"-{int(m['d']):02d}"
        found.append(Date(m.start(), m.end(), value))
    return sorted(found, key=lambda d: d.start)
