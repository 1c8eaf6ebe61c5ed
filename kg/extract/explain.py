"""What the extractor saw in a text, sentence by sentence, and the sentences a reviewer should
read because no rule drafted from them.

- :func:`explain`: ``kg extract --explain SOURCE``: per sentence, the mentions recognised (names
  from the registry or new, titles, dates with their values, pronouns and the name each refers
  to), the person a clause without one continues, the rules tried (those whose words and slots
  the sentence has) and the rules that matched, with the drafts they gave.
- :func:`sentences_to_look_at`: the sentences that name a person and an organisation or a title
  but gave no draft: ``kg review`` lists them, so that the review's recall is not the rules'.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from kg.data.model import Dataset

__all__ = ["Sentence", "explain", "explain_text", "render", "sentences_to_look_at"]


@functools.lru_cache(maxsize=1)
def _surname_moves() -> re.Pattern[str]:
    """A surname alone before a verb of moving (made when first needed)."""
    from kg.extract.forms import surnames

    names = "|".join(sorted(surnames(), key=len, reverse=True))
    return re.compile(
        rf"\b(?:{names})\b,?\s(?:who\s)?(?:has\s|had\s|was\s)?(?:joined|left|founded|co-founded"
        r"|worked|quit|resigned|retired|stepped|became|served|started|moved|was\sappointed)\b"
    )


#: Verbs of the four kinds of fact, in both languages: a sentence with a person and one of them
#: may state a fact that no rule took.
_MOVES = re.compile(
    r"创立|创办|创建|成立|創立|創辦|創建|加入|加盟|入职|入職|离开|離開|离职|離職|辞职|辭職|出任|担任"
    r"|擔任|任命|卸任|接任|履新|跳槽|(?i:\b(?:co-?founded|founded|joined|joins|left|leaves|quit"
    r"|resigned|retired|stepped down|appointed|named|promoted|hired|succeeded|departed|departing"
    r"|serves|served|heads|headed|leads|led)\b)"
)


@dataclass
class Sentence:
    start: int
    end: int
    text: str  #: as the page writes it
    mentions: list[dict[str, Any]]
    carried: str | None  #: the person a clause with none continues, from before the sentence
    tried: list[str]
    matched: list[str]
    drafts: list[Any] = field(default_factory=list)

    @property
    def look_at(self) -> bool:
        """Whether it names a person and an organisation or a title, or a person and a verb of
        founding, joining, taking a post or leaving, with no draft from it."""
        if self.drafts:
            return False
        kinds = {m["kind"] for m in self.mentions}
        if "PER" not in kinds:
            # English news names a person by the surname alone once it has named them (often
            # in a part of the page not quoted): "Cao joined SenseTime"
            return bool(_surname_moves().search(self.text))
        return bool(kinds & {"ORG", "ROLE"}) or bool(_MOVES.search(self.text))

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "mentions": self.mentions,
            "carried": self.carried,
            "tried": self.tried,
            "matched": self.matched,
            "drafts": [d.record(i) for i, d in enumerate(self.drafts, start=1)],
        }


def _mention(m: Any, own: str) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": m.kind, "text": own[m.start : m.end]}
    if m.entity:
        out["entity"] = m.entity
    elif m.kind != "DATE":
        out["new"] = True
    if m.value:
        out["value"] = m.value
    if m.qualifier and m.qualifier.startswith("refers to "):
        out["refers_to"] = m.qualifier[len("refers to ") :]
    elif m.qualifier:
        out["qualifier"] = m.qualifier
    return out


def explain_text(
    data: Dataset, text: str, meta: dict[str, Any], hant: str | None = None
) -> list[Sentence]:
    """Every sentence of a clean *text* with what the extractor recognised and tried in it."""
    from kg.extract.drafts import extract_text

    trace: list[dict[str, Any]] = []
    drafts = extract_text(data, text, meta, hant=hant, trace=trace)
    own = hant if hant is not None and len(hant) == len(text) else text
    out = []
    for step in trace:
        carry = step["carry"]
        sentence = Sentence(
            step["start"],
            step["end"],
            own[step["start"] : step["end"]].strip(),
            [_mention(m, own) for m in step["mentions"]],
            (carry.entity or carry.text) if carry is not None else None,
            list(step["tried"] or []),
            list(dict.fromkeys(step["matched"])),
        )
        sentence.drafts = [d for d in drafts if step["start"] <= d.start < step["end"]]
        out.append(sentence)
    return out


def explain(data: Dataset, source: str) -> list[Sentence]:
    """:func:`explain_text` of a registered source."""
    from kg.errors import DataError

    if source not in data.sources:
        raise DataError(f"no source {source!r}; the sources are: {', '.join(sorted(data.sources))}")
    src = data.sources[source]
    return explain_text(data, src.text, dict(src.meta), hant=src.own_text)


def sentences_to_look_at(sentences: list[Sentence]) -> list[Sentence]:
    """The sentences a reviewer should read: a person and an organisation or a title are named
    in them, and no rule drafted from them."""
    return [s for s in sentences if s.look_at]


def render(source: str, sentences: list[Sentence]) -> str:
    """The explanation as text, one block per sentence."""
    lines = [f"# What kg extract recognised and tried in {source}, sentence by sentence."]
    for n, s in enumerate(sentences, start=1):
        lines.append("")
        lines.append(f"[{n}] {s.start}-{s.end}  {s.text}")
        for m in s.mentions:
            what = m["kind"]
            shown = f"    {what:<5} {m['text']}"
            if m.get("entity"):
                shown += f"  = {m['entity']}"
            elif m.get("new"):
                shown += "  (new)"
            if m.get("value"):
                shown += f"  = {m['value']}"
            if m.get("refers_to"):
                shown += f"  → {m['refers_to']}"
            if m.get("qualifier"):
                shown += f"  ({m['qualifier']})"
            lines.append(shown)
        if s.carried:
            lines.append(f"    a clause with no person of its own continues: {s.carried}")
        lines.append(f"    rules tried: {', '.join(s.tried) if s.tried else 'none'}")
        lines.append(f"    rules matched: {', '.join(s.matched) if s.matched else 'none'}")
        for d in s.drafts:
            fields = ", ".join(f"{k}: {v}" for k, v in d.fields.items())
            lines.append(f"    draft ({d.rule}): {fields}")
        if s.look_at:
            lines.append("    to look at: names a person and an organisation or title; no draft")
    return "\n".join(lines) + "\n"
