"""``kg extract``: draft statements for a registered source, each with its quote and rule.

A draft is what a rule found in one sentence: the fact (in the curated statements' fields),
its quote (the matched words, found in the clean text with the same anchoring as the build:
``occurrence`` where they occur more than once), its offsets, the rule, the rule's
confidence, ``status: proposed``, and the names it uses that are not in the registry
(``new``). Drafts are written to ``data/drafts/<source>.yaml``, apart from the curated
statements: nothing there enters the graph until a person decides.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.extract.mentions import Mention, find_mentions
from kg.extract.rules import Match, match_sentence
from kg.statements import Dataset

__all__ = ["Draft", "extract", "extract_text", "render"]

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


def _drafts_of(match: Match, data: Dataset, filer: str | None, page: str | None) -> list[Draft]:
    rule, slots = match.rule, match.slots
    for name, filled in slots.items():
        # "our" is the filer, in a filing only; an infobox's entity is the page's subject.
        stands_for = {"OUR": filer, "PAGE": page}
        if filled and filled[0].kind in stands_for:
            eid = stands_for[filled[0].kind]
            if eid is None:
                return []
            slots[name] = [Mention(0, 0, "ORG", eid, eid)]
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
    }
    out: list[Draft] = []
    if rule.relation == "role":
        org = slots.get(rule.fields["organization"], [None])[0]
        roles = [
            r
            for key in ("role", "role2")
            for r in slots.get(rule.fields.get(key, ""), [])
            if r.entity is not None  # a role is one of the registry's
        ]
        if org is None or not _fits(org, ("Organization",), data):
            return out  # an unnamed organisation is no fact
        for member in slots.get(rule.fields["member"], []):
            if member.kind != "PER":
                continue
            for role in roles:
                fields = {"member": _name(member), "organization": _name(org), "role": role.entity}
                fields.update({k: v for k, v in dates.items() if k in ("start", "end") and v})
                new = [m.text for m in (member, org) if m.new]
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
    """The drafts for *source* (a registered source id), in text order."""
    if source not in data.sources:
        raise DataError(f"no source {source!r}; the sources are: {', '.join(sorted(data.sources))}")
    src = data.sources[source]
    return extract_text(data, src.text, dict(src.meta))


def extract_text(data: Dataset, text: str, meta: dict[str, Any]) -> list[Draft]:
    """The drafts for a clean *text* whose source metadata is *meta* (language, type,
    publisher, headline)."""
    lang = str(meta.get("language", "zh"))
    former = tuple(
        sorted(
            {(str(st.value), st.subject) for st in data.statements if st.relation == "formerName"}
        )
    )
    published = str(meta["date"]) if meta.get("date") else None
    mentions = find_mentions(text, data.entities, lang, former, published)
    publisher = meta.get("publisher")
    filer = publisher if meta.get("type") == "Filing" and publisher in data.entities else None
    # An encyclopedia page is about the entity its title names (its infobox speaks of it).
    titled = [
        m.entity
        for m in find_mentions(str(meta.get("headline", "")), data.entities, "en")
        if m.entity and m.kind == "ORG"
    ]
    page = titled[0] if meta.get("type") == "EncyclopediaArticle" and titled else None
    found: dict[str, Draft] = {}
    for start, end in _sentences(text, lang):
        inside = [m for m in mentions if start <= m.start and m.end <= end]
        if len(inside) < 2:
            continue
        for match in match_sentence(text[start:end], start, inside, lang):
            for draft in _drafts_of(match, data, filer, page):
                draft.quote = text[draft.start : draft.end]
                before = text.count(draft.quote, 0, draft.start)
                if text.count(draft.quote) > 1:
                    draft.occurrence = before + 1
                key = json.dumps([draft.kind, sorted(draft.fields.items())], ensure_ascii=False)
                kept = found.get(key)
                if kept is None or draft.confidence > kept.confidence:
                    found[key] = draft
    # A draft that says less than another of the same words (no date where it gives one) goes.
    drafts = list(found.values())
    fullest = [
        d
        for d in drafts
        if not any(
            o is not d
            and o.kind == d.kind
            and o.start < d.end
            and d.start < o.end
            and d.fields.items() < o.fields.items()
            for o in drafts
        )
    ]
    return sorted(fullest, key=lambda d: (d.start, d.end, d.rule))


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
            body = ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in item.items())
            lines.append(f"  - {{{body}}}")
    return "\n".join(lines) + "\n"


def write(root: Path, source: str, drafts: list[Draft]) -> Path:
    from kg.build import atomic_write

    path = root / "drafts" / f"{source}.yaml"
    atomic_write(path, render(source, drafts).encode("utf-8"))
    return path
