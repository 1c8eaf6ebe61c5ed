"""A fact's date is its clause's: which date a draft takes, and which it must not.

A date field a rule's own words left empty takes the last date of the match's clause up to
the match's end, or the date its sentence opens with (In 2009, …; 2020年，…); a date followed,
after the verb, by a relative offset (半年后, "a year later") belongs to another event of the
sentence and is dropped, with a note for the reviewer. The tables are made once per text and
looked up by bisection, so a sentence of any length costs no more per match.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from kg.extract.mentions import Mention
from kg.extract.rules import Match

__all__ = ["ClauseDates", "clause_date"]

#: Where a clause ends (the date of a clause stays in it).
_CLAUSE_END = re.compile(r"[，,；;。！？!?\n]")
#: A sentence that opens with a date (In 2009, …; 2020年，…): the date of its clauses.
_LEAD = re.compile(r"\s{0,3}(?:(?:In|On|By|Since|From|As of|At the end of|In early|In late)\s)?$")
#: A relative offset right after a matched verb (半年后, 两年之后, a year later): the date
#: before the verb belongs to another event of the sentence.
_OFFSET = re.compile(
    r"\s{0,2}(?:[一二两三四五六七八九十半几数\d]{1,3}(?:个)?多?(?:年|月|周|天|星期)多?(?:后|之后|以后)"
    r"|(?:a|an|one|two|three|four|five|six|several|a few|\d{1,2})\s(?:years?|months?|weeks?|days?)"
    r"\s(?:later|after))"
)


@dataclass
class ClauseDates:
    """What :func:`_clause_date` looks up, made once per text: where clauses end, the dates
    (in order) and their ends."""

    clause_ends: list[int]
    dates: list[Mention]
    ends: list[int]

    @classmethod
    def of(cls, text: str, mentions: list[Mention]) -> ClauseDates:
        dates = [m for m in mentions if m.kind == "DATE" and m.value]
        return cls([m.end() for m in _CLAUSE_END.finditer(text)], dates, [m.end for m in dates])


def clause_date(
    match: Match, text: str, start: int, end: int, known: ClauseDates
) -> tuple[Match, list[str]]:
    """*match* with its dates taken from the clause it is in: a date field of the rule that the
    rule's own words left empty takes the last date of the clause up to the match's end, or
    the date the sentence opens with (In 2009, …; 2020年，…). A date followed, after the verb,
    by a relative offset (半年后, a year later) is another event's: it is dropped and flagged.
    (Each look-up is a bisection: a sentence of any length costs no more per match.)"""
    rule = match.rule
    slots = dict(match.slots)
    notes: list[str] = []
    begin = match.start
    for slot in rule.dates.values():
        if slot in slots:
            continue
        k = bisect_right(known.clause_ends, match.start) - 1
        clause = max(start, known.clause_ends[k]) if k >= 0 else start
        # the last date ending by the match's end, if it is in the clause (X在2015年从微软加入…)
        j = bisect_right(known.ends, match.end) - 1
        chosen = known.dates[j] if j >= 0 and known.dates[j].start >= clause else None
        if chosen is None:  # the date the sentence opens with
            i = bisect_left(known.ends, start + 1)
            lead = known.dates[i] if i < len(known.dates) else None
            if (
                lead is not None
                and lead.start - start <= 40
                and lead.end <= match.start
                and _LEAD.match(text, start, lead.start)
                and _CLAUSE_END.match(text, lead.end + (text[lead.end : lead.end + 1] == "年"))
            ):
                chosen = lead
        if chosen is not None:
            slots[slot] = [chosen]
            begin = min(begin, chosen.start)
    offset = _OFFSET.match(text, match.end, end)
    if offset:
        for key, slot in rule.dates.items():
            if slot in slots:
                notes.append(
                    f"{slots[slot][0].text}: not given as the {key} date: "
                    f"{offset.group().strip()!r} after it says it is of another event"
                )
                del slots[slot]
    return Match(rule, slots, begin, match.end), notes
