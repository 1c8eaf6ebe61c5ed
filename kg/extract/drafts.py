"""``kg extract``: draft statements for a registered source, each with its quote and rule.

A draft is what a rule found in one sentence: the fact (in the curated statements' fields),
its quote (the matched words, found in the clean text with the same anchoring as the build:
``occurrence`` where they occur more than once), its offsets, the rule, the rule's
confidence, ``status: proposed``, and the names it uses that are not in the registry
(``new``). Drafts are written to ``data/drafts/<source>.yaml``, apart from the curated
statements: nothing there enters the graph until a person decides.

Drafting is linear in the text: the mentions are taken without comparing each with all the
others (:func:`kg.extract.mentions.find_mentions`), each sentence's mentions are one slice of
them, every rule matches a bounded stretch (:mod:`kg.extract.rules`), and the quotes' occurrences
are counted in one pass over the text for all drafts (:func:`_occurrences`), not one per draft.
The Chinese model, the slowest part by far, reads only the lines where some rule could match
whatever names it found there (:func:`_could_match`); the drafts are the same as with it
reading every line (a test compares them).
:func:`extract_key` names everything the drafts of a source depend on, for a cache.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from kg.data.model import Dataset
from kg.errors import DataError
from kg.extract.clauses import ClauseDates, clause_date
from kg.extract.forms import has_title
from kg.extract.mentions import Mention, find_mentions
from kg.extract.rules import RULES, Match, could_match, match_sentence

__all__ = ["Draft", "extract", "extract_key", "extract_text", "render"]

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?|(?<=\n)")
# An English sentence ends at . ! ? before a space or the line's end, except after an
# abbreviation (Inc. Ltd. Co. Dr. Mr. Ms. No. St.) or a single capital (an initial).
_EN_SENTENCE = re.compile(
    r"(?:[^\n.!?]|(?<=\bInc)\.|(?<=\bLtd)\.|(?<=\bCo)\.|(?<=\bDr)\.|(?<=\bMr)\.|(?<=\bMs)\."
    r"|(?<=\bNo)\.|(?<=\bSt)\.|(?<=\b[A-Z])\.|[.!?](?!\s|$))+[.!?]?",
    re.M,
)
_TYPES = {
    "PER": ("Person",),
    "ORG": ("Organization", "StockMarket"),
    "MKT": ("StockMarket",),
    "PRD": ("Product",),
    "ROLE": ("Role",),
}


@dataclass
class Draft:
    kind: str  #: relation or membership
    fields: dict[str, Any]
    quote: str
    start: int
    end: int
    rule: str
    confidence: float
    occurrence: int | None = None
    new: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  #: what the reviewer should check
    event: str | None = None  #: ``left`` for a draft that says someone left

    def record(self, number: int) -> dict[str, Any]:
        out: dict[str, Any] = {"id": f"draft-{number}", **self.fields, "quote": self.quote}
        if self.occurrence:
            out["occurrence"] = self.occurrence
        out.update(
            rule=self.rule,
            confidence=self.confidence,
            status="proposed",
            offsets=[self.start, self.end],
        )
        if self.new:
            out["new"] = self.new
        if self.flags:
            out["flags"] = self.flags
        return out


def _sentences(text: str, lang: str) -> list[tuple[int, int]]:
    spans = []
    pattern = _EN_SENTENCE if lang == "en" else _SENTENCE
    for m in pattern.finditer(text):
        if m.group().strip():
            spans.append((m.start(), m.end()))
    return spans


def _name(m: Mention) -> str:
    return m.entity or m.text


def _fits(m: Mention, allowed: tuple[str, ...], data: Dataset) -> bool:
    if m.entity is None:
        return m.kind in ("PER", "ORG") and any(t in _TYPES[m.kind] for t in allowed)
    return data.entities[m.entity].type in allowed or (
        "Organization" in allowed and data.entities[m.entity].type == "StockMarket"
    )


_CHAIN = re.compile(r"\s{0,2}(?:兼任|兼|及|、|,\s(?:and\s)?|\sand\s|\s&\s)\s{0,2}")


def _role_parts(data: Dataset, role: Mention) -> list[Mention]:
    """A title that joins titles (总裁兼首席技术官, president and CEO) as the registry's roles
    it joins, one each, when the registry has every one of them (so that the graph's roles are
    its entities); otherwise the title as the text words it."""
    if role.entity is not None:
        return [role]
    from kg.extract.mentions import role_ids
    from kg.sources.clean import _t2s

    ids = role_ids(data.entities)
    whole = ids.get(_t2s()(role.text).strip().casefold())
    if whole is not None:  # a title of the registry's, found by its form (任CEO)
        return [Mention(role.start, role.end, "ROLE", role.text, whole)]
    parts = _CHAIN.split(role.text)
    if len(parts) < 2:
        return [role]
    found = [ids.get(_t2s()(p).strip().casefold()) for p in parts]
    if not all(found):
        return [role]
    return [
        Mention(role.start, role.end, "ROLE", p, eid) for p, eid in zip(parts, found, strict=True)
    ]


def _drafts_of(match: Match, data: Dataset, filer: str | None, page: Mention | None) -> list[Draft]:
    rule, slots = match.rule, match.slots
    for name, filled in slots.items():
        # "our" is the filer, in a filing only; an infobox's entity is the page's subject.
        if filled and filled[0].kind == "OUR":
            if filer is None:
                return []
            slots[name] = [Mention(0, 0, "ORG", filer, filer)]
        elif filled and filled[0].kind == "PAGE":
            if page is None:
                return []
            slots[name] = [page]
    dates = {k: slots[v][0].value for k, v in rule.dates.items() if v in slots}
    # A relative date (九年前, 同年) is flagged for the reviewer, resolved or not.
    flags = [
        f"{slots[v][0].text}: {slots[v][0].qualifier}"
        for v in rule.dates.values()
        if v in slots and (slots[v][0].qualifier or "").startswith("relative")
    ]
    base = {
        "rule": rule.id,
        "confidence": rule.confidence,
        "start": match.start,
        "end": match.end,
        "flags": flags,
        "event": rule.event,
    }
    out: list[Draft] = []
    if rule.relation == "role":
        orgs = slots.get(rule.fields["organization"], [])
        roles = [
            r
            for key in ("role", "role2")
            for r in slots.get(rule.fields.get(key, ""), [])
            if r.kind == "ROLE"  # a registry role, or a title as the text words it
        ]
        roles = [part for r in roles for part in _role_parts(data, r)]
        for org, member, role in (
            (o, m, r)
            for o in orgs
            if _fits(o, ("Organization",), data)  # an unnamed organisation is no fact
            for m in slots.get(rule.fields["member"], [])
            if m.kind == "PER"
            for r in roles
        ):
            fields = {"member": _name(member), "organization": _name(org), "role": _name(role)}
            fields.update({k: v for k, v in dates.items() if k in ("start", "end") and v})
            new = [m.text for m in (member, org, role) if m.new]
            out.append(Draft("membership", fields, "", new=new, **base))  # type: ignore[arg-type]
        return out
    relation = data.relations.get(rule.relation)
    if relation is None:
        raise DataError(f"rule {rule.id}: unknown relation {rule.relation!r}")
    subjects = slots.get(rule.fields.get("subject", ""), [])
    if relation.literal:
        value = slots.get(rule.fields.get("value", ""), [])
        for s in subjects:
            for v in value:
                if v.entity is not None and v.entity != s.entity:
                    continue  # a former name is a name of the same company
                if s.entity is None:
                    continue
                fields = {"subject": s.entity, "relation": rule.relation, "value": v.text}
                out.append(Draft("relation", fields, "", **base))  # type: ignore[arg-type]
        return out
    objects = slots.get(rule.fields.get("object", ""), [])
    for s in subjects:
        for o in objects:
            if _name(s) == _name(o):
                continue
            if not (_fits(s, relation.subject, data) and _fits(o, relation.object, data)):
                continue
            fields = {"subject": _name(s), "relation": rule.relation, "object": _name(o)}
            fields.update({k: v for k, v in dates.items() if v})
            new = [m.text for m in (s, o) if m.new]
            out.append(Draft("relation", fields, "", new=new, **base))  # type: ignore[arg-type]
    return out


def extract(data: Dataset, source: str) -> list[Draft]:
    """The drafts for *source* (a registered source id), in text order.

    The result depends only on what :func:`extract_key` digests, so a caller may keep it
    under that key (and must then not change the drafts it hands out)."""
    if source not in data.sources:
        raise DataError(f"no source {source!r}; the sources are: {', '.join(sorted(data.sources))}")
    src = data.sources[source]
    return extract_text(data, src.text, dict(src.meta), hant=src.own_text)


#: The source metadata that drafting reads.
_META = ("language", "date", "type", "publisher", "headline")


def extract_key(data: Dataset, source: str) -> str:
    """A digest of everything :func:`extract` of *source* depends on: the source's clean text
    and its metadata (language, date, type, publisher, headline), every registry entity's
    type and names (labels and alternative labels), the formerName statements, the relations'
    types and the rules file. The same key, the same drafts."""
    if source not in data.sources:
        raise DataError(f"no source {source!r}; the sources are: {', '.join(sorted(data.sources))}")
    src = data.sources[source]
    inputs = {
        "text": src.text,
        "meta": {k: str(src.meta[k]) for k in _META if src.meta.get(k) is not None},
        "entities": sorted(
            [eid, e.type, sorted(e.labels.items()), [label for label, _, _ in e.alt_labels]]
            for eid, e in data.entities.items()
        ),
        "former": sorted(
            [str(st.value), st.subject] for st in data.statements if st.relation == "formerName"
        ),
        "relations": sorted(
            [name, list(r.subject), list(r.object)] for name, r in data.relations.items()
        ),
        "rules": RULES.read_text(encoding="utf-8"),
    }
    blob = json.dumps(inputs, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def extract_text(
    data: Dataset,
    text: str,
    meta: dict[str, Any],
    hant: str | None = None,
    trace: list[dict[str, Any]] | None = None,
) -> list[Draft]:
    """The drafts for a clean *text* whose source metadata is *meta* (language, type,
    publisher, headline). *hant*: the same text in its own script where it was Traditional
    (the clean text is Simplified): the quotes are taken from it, as the reader has them.
    *trace*: a list to which each sentence's mentions, carried subject, rules tried and rules
    matched are appended (:mod:`kg.extract.explain`)."""
    lang = str(meta.get("language", "zh"))
    former = tuple(
        sorted(
            {(str(st.value), st.subject) for st in data.statements if st.relation == "formerName"}
        )
    )
    published = str(meta["date"]) if meta.get("date") else None
    sentences = _sentences(text, lang)
    headline = str(meta.get("headline") or "")
    # What the page's title names first is what "the company", "he" refer to, failing a name
    # before them in the text.
    subjects: dict[str, Mention] = {}
    for m in find_mentions(headline, data.entities, lang, former) if headline else []:
        if m.kind in ("PER", "ORG") and not m.qualifier:
            subjects.setdefault(m.kind, Mention(0, 0, m.kind, m.text, m.entity))
    mentions = find_mentions(
        text,
        data.entities,
        lang,
        former,
        published,
        _could_match(text, sentences, lang),
        subjects,
    )
    publisher = meta.get("publisher")
    filer = publisher if meta.get("type") == "Filing" and publisher in data.entities else None
    # An encyclopedia page is about the entity its title names (its infobox speaks of it); a
    # company's notice or filing, about the company its title names.
    titled = [
        m.entity
        for m in find_mentions(str(meta.get("headline", "")), data.entities, "en")
        if m.entity and m.kind == "ORG"
    ]
    page: Mention | None = None
    if meta.get("type") == "EncyclopediaArticle" and titled:
        page = Mention(0, 0, "ORG", titled[0], titled[0])
    elif meta.get("type") in ("Report", "Filing") and "ORG" in subjects:
        page = subjects["ORG"]
    # The mentions are in order and never overlap, so their ends are in order too: those
    # inside a sentence are one slice, found by bisection.
    starts = [m.start for m in mentions]
    ends = [m.end for m in mentions]
    # Simplified and Traditional line up character for character (OpenCC's conversion keeps
    # the length of every line it reads); where they do not, the Simplified text is quoted.
    own = hant if hant is not None and len(hant) == len(text) else text
    found: dict[str, Draft] = {}
    people = [k for k, m in enumerate(mentions) if m.kind == "PER"]
    known_dates = ClauseDates.of(text, mentions)
    for start, end in sentences:
        first, last = bisect_left(starts, start), bisect_right(ends, end)
        # the last person named before the sentence, whom a clause with none continues
        before = bisect_left(people, first)
        carry = mentions[people[before - 1]] if before else None
        if carry is not None and "\n" in text[carry.end : start]:
            carry = None  # a paragraph's clauses continue its own people only
        inside = mentions[first:last]
        tried: list[str] | None = [] if trace is not None else None
        step = {"start": start, "end": end, "mentions": inside, "carry": carry}
        if trace is not None:
            trace.append(step | {"tried": tried, "matched": []})
        if last - first < (1 if carry is not None else 2):
            continue
        for found_match in match_sentence(text[start:end], start, inside, lang, carry, tried):
            if trace is not None:
                trace[-1]["matched"].append(found_match.rule.id)
            match, notes = clause_date(found_match, text, start, end, known_dates)
            for draft in _drafts_of(match, data, filer, page):
                draft.flags.extend(notes)
                draft.quote = text[draft.start : draft.end]
                key = json.dumps([draft.kind, sorted(draft.fields.items())], ensure_ascii=False)
                kept = found.get(key)
                if kept is None or draft.confidence > kept.confidence:
                    found[key] = draft
    drafts = _fullest(list(found.values()))
    _number(text, drafts)  # counted in the canonical text, as the build anchors quotes
    for d in drafts:
        d.quote = own[d.start : d.end]
    return sorted(drafts, key=lambda d: (d.start, d.end, d.rule))


def _could_match(
    text: str, sentences: list[tuple[int, int]], lang: str
) -> Callable[[int, int, Sequence[Mention]], bool]:
    """Whether the Chinese model should read the line ``text[start:end]``, its registry names
    and dates being *known*: whether a rule could match in one of its sentences, whatever new
    names the model would find (:func:`kg.extract.rules.could_match`). A line where none
    could has no draft with or without the model's names, so the model need not read it."""
    firsts = [start for start, _ in sentences]

    def wanted(start: int, end: int, known: Sequence[Mention]) -> bool:
        at = [m.start for m in known]
        for a, b in sentences[bisect_left(firsts, start) : bisect_left(firsts, end)]:
            kinds = {m.kind for m in known[bisect_left(at, a) : bisect_left(at, b)]}
            if has_title(text, a, b, lang):  # titles are recognised later, by their form
                kinds.add("ROLE")
            if could_match(text[a:b], kinds, lang):
                return True
        return False

    return wanted


def _fullest(drafts: list[Draft]) -> list[Draft]:
    """Drop a draft that says less than another of the same words: one of the same kind whose
    span overlaps it and whose fields are more of the same (a date where it gives none).

    Each draft is filed under every proper subset of its fields (at most 63: a draft has at
    most six), so a draft meets only the drafts that say more than it, not all the others."""
    wider: dict[tuple[str, frozenset[tuple[str, Any]]], list[Draft]] = {}
    for o in drafts:
        items = list(o.fields.items())
        for size in range(1, len(items)):
            for part in combinations(items, size):
                wider.setdefault((o.kind, frozenset(part)), []).append(o)
    return [
        d
        for d in drafts
        if not any(
            o.start < d.end and d.start < o.end
            for o in wider.get((d.kind, frozenset(d.fields.items())), ())
        )
    ]


def _number(text: str, drafts: list[Draft]) -> None:
    """Set each draft's ``occurrence`` where its quote occurs more than once: the number of
    the occurrence it is, counted as ``str.count`` counts (without overlaps, from the left)."""
    quotes = {d.quote for d in drafts}
    if "" in quotes:  # never made by a rule; counted the plain way all the same
        quotes.discard("")
    ends: dict[str, list[int]] = {}  # where each counted occurrence ends
    for q, starts in _occurrences(text, quotes).items():
        kept = ends[q] = []
        for at in starts:  # str.count's occurrences: from the left, none overlapping
            if not kept or at >= kept[-1]:
                kept.append(at + len(q))
    for d in drafts:
        if d.quote:
            kept = ends[d.quote]
            before, total = bisect_right(kept, d.start), len(kept)
        else:
            before, total = text.count("", 0, d.start), text.count("")
        if total > 1:
            d.occurrence = before + 1


#: Up to this many quotes, each is sought on its own (:func:`_occurrences`).
_FEW = 32


def _occurrences(text: str, quotes: Iterable[str]) -> dict[str, list[int]]:
    """Where each of *quotes* (non-empty) starts in *text*, overlapping occurrences included,
    in order: one pass over the text for all of them (Aho-Corasick), where searching the text
    once per quote was quadratic (as many quotes as drafts, as many drafts as facts). A few
    quotes (at most :data:`_FEW`) are each searched for by ``str.find``, which is faster for
    them than a pass of Python over every character."""
    quotes = list(dict.fromkeys(quotes))
    if len(quotes) <= _FEW:
        found: dict[str, list[int]] = {}
        for q in quotes:
            starts = found[q] = []
            at = text.find(q)
            while at >= 0:
                starts.append(at)
                at = text.find(q, at + 1)
        return found
    goto: list[dict[str, int]] = [{}]
    ending: list[list[str]] = [[]]  # the quotes that end at each state
    for q in quotes:
        state = 0
        for char in q:
            nxt = goto[state].get(char)
            if nxt is None:
                nxt = goto[state][char] = len(goto)
                goto.append({})
                ending.append([])
            state = nxt
        ending[state].append(q)
    # fail: the longest proper suffix that is a state; report: the nearest state on the
    # fail chain (itself included) at which a quote ends, 0 if none.
    fail = [0] * len(goto)
    report = [0] * len(goto)
    queue = list(goto[0].values())
    for state in queue:
        report[state] = state if ending[state] else 0
    for state in queue:  # breadth first: a state's fail link is set before its children's
        for char, child in goto[state].items():
            back = fail[state]
            while back and char not in goto[back]:
                back = fail[back]
            fail[child] = goto[back].get(char, 0)  # never the child: shallower
            report[child] = child if ending[child] else report[fail[child]]
            queue.append(child)
    found = {q: [] for q in quotes}
    state = 0
    for i, char in enumerate(text):
        while state and char not in goto[state]:
            state = fail[state]
        state = goto[state].get(char, 0)
        hit = report[state]
        while hit:
            for q in ending[hit]:
                found[q].append(i + 1 - len(q))
            hit = report[fail[hit]]
    return found


def render(source: str, drafts: list[Draft], fmt: str = "yaml") -> str:
    """The drafts as YAML (the curated format, plus rule, confidence and status) or JSON."""
    relations = [d.record(i) for i, d in enumerate(drafts, start=1) if d.kind == "relation"]
    memberships = [d.record(i) for i, d in enumerate(drafts, start=1) if d.kind == "membership"]
    if fmt == "json":
        return json.dumps(
            {"source": source, "relations": relations, "memberships": memberships},
            ensure_ascii=False,
            indent=1,
        )
    lines = [
        f"# Drafts proposed by `kg extract` for {source}: machine proposals, not facts.",
        "# Nothing here enters the graph; `kg review` (or a person editing",
        f"# data/statements/{source}.yaml) decides what does.",
        f"source: {source}",
    ]
    for key, items in (("relations", relations), ("memberships", memberships)):
        lines.append(f"{key}:" + ("" if items else " []"))
        for item in items:
            body = ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in item.items())
            lines.append(f"  - {{{body}}}")
    return "\n".join(lines) + "\n"


def _yaml_scalar(value: Any) -> str:
    """*value* as JSON, which YAML reads as a flow scalar, with every character YAML may not
    hold raw (C1 controls, NEL, format characters, separators) written as an escape."""
    from kg.project._yaml import needs_escape

    text = json.dumps(value, ensure_ascii=False)
    return "".join(
        (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}") if needs_escape(c) else c
        for c in text
    )


def write(root: Path, source: str, drafts: list[Draft]) -> Path:
    """Save the drafts as ``data/drafts/<source>.yaml``, as every data file is written: under
    the data lock, once the project's YAML reader reads the text back."""
    from kg.project._yaml import load_yaml
    from kg.project.datafile import write_checked

    path = root / "drafts" / f"{source}.yaml"
    write_checked(root, {path: render(source, drafts)}, check=lambda: load_yaml(path))
    return path
