"""The extraction rules (``rules.yaml``) and their matching over a sentence's mentions.

A sentence becomes a *template*: its text with every mention replaced by a slot token
``⟨KIND:i⟩``. A rule is a regular expression over templates, written with the slot macros
``{PER:x}``, ``{PERS:x}``, ``{ORG:x}``, ``{MKT:x}``, ``{PRD:x}``, ``{ROLE:x}``, ``{DATE:x}``,
``{GAP}`` and ``{GAP:n}``; a match names which mentions fill the fact.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.extract.mentions import Mention

__all__ = ["Match", "Rule", "load_rules", "match_sentence"]

RULES = Path(__file__).with_name("rules.yaml")
_LIST = r"(?:、|和|与|及|以及|,\s*|，|\s+and\s+|,\s+and\s+)"
_SLOT = re.compile(r"\{(PERS|PER|ORG|MKT|PRD|ROLES|ROLE|DATE|GAP|FAR|OUR|PAGE)(?::(\w+))?\}")


@dataclass(frozen=True)
class Rule:
    id: str
    lang: str
    relation: str
    pattern: re.Pattern[str]
    fields: dict[str, str]  #: subject/object/member/organization/role/value -> slot name
    dates: dict[str, str]  #: start/end/date -> slot name
    confidence: float


@dataclass(frozen=True)
class Match:
    rule: Rule
    slots: dict[str, list[Mention]]  #: slot name -> the mentions that fill it
    start: int  #: the matched span, in the clean text
    end: int


def _compile(pattern: str) -> re.Pattern[str]:
    def slot(m: re.Match[str]) -> str:
        kind, name = m.group(1), m.group(2)
        if kind == "FAR":  # up to n characters, organisations, products and dates, no person
            n = int(name) if name else 40
            return rf"(?:[^⟨⟩。！？；;!?\n]|⟨(?:ORG|PRD|MKT|DATE|ROLE):\d+⟩){{0,{n}}}?"
        if kind == "PAGE":  # matches nothing: the slot is the entity the page is about
            return rf"(?P<{name}>)"
        if kind == "OUR":  # "our" in a filing: the filer, which is the source's publisher
            return rf"(?P<{name}>[Oo]ur) ?"
        if kind == "GAP":
            n = int(name) if name else 12
            return rf"[^⟨⟩。！？；;!?\n]{{0,{n}}}"
        if kind in ("PERS", "ROLES"):  # one or more, as a list: 余凯、黄畅; chairman and CEO
            one = "PER" if kind == "PERS" else "ROLE"
            return rf"(?P<{name}>⟨{one}:\d+⟩(?:(?:{_LIST}|兼)⟨{one}:\d+⟩)*)"
        return rf"⟨{kind}:(?P<{name}>\d+)⟩"

    return re.compile(_SLOT.sub(slot, pattern))


@functools.lru_cache(maxsize=1)
def load_rules(path: Path = RULES) -> tuple[Rule, ...]:
    from kg._yaml import load_yaml

    doc = load_yaml(path)
    out = []
    for item in doc["rules"]:
        try:
            pattern = _compile(str(item["pattern"]))
        except re.error as exc:
            raise DataError(f"rule {item.get('id')}: bad pattern: {exc}", path) from None
        fields = {
            k: str(item[k])
            for k in ("subject", "object", "member", "organization", "role", "role2", "value")
            if k in item
        }
        dates = {k: str(item[k]) for k in ("start", "end", "date") if k in item}
        out.append(
            Rule(
                str(item["id"]),
                str(item["lang"]),
                str(item["relation"]),
                pattern,
                fields,
                dates,
                float(item["confidence"]),
            )
        )
    return tuple(out)


def _template(text: str, mentions: list[Mention]) -> tuple[str, list[int]]:
    """The template of *text* and, for each template position, the text offset it stands at."""
    parts: list[str] = []
    where: list[int] = []
    pos = 0
    for i, m in enumerate(mentions):
        parts.append(text[pos : m.start])
        where += range(pos, m.start)
        token = f"⟨{m.kind}:{i}⟩"
        parts.append(token)
        where += [m.start] * (len(token) - 1) + [m.end - 1]
        pos = m.end
    parts.append(text[pos:])
    where += range(pos, len(text))
    where.append(len(text))
    return "".join(parts), where


def match_sentence(text: str, offset: int, mentions: list[Mention], lang: str) -> list[Match]:
    """Every rule match in one sentence (*text* starts at *offset* in the clean text)."""
    local = [
        Mention(m.start - offset, m.end - offset, m.kind, m.text, m.entity, m.value, m.qualifier)
        for m in mentions
    ]
    template, where = _template(text, local)
    family = "en" if lang == "en" else "zh"
    found = []
    for rule in load_rules():
        if rule.lang != family:
            continue
        for m in rule.pattern.finditer(template):
            slots: dict[str, list[Mention]] = {}
            for name, value in m.groupdict().items():
                if value is None:
                    continue
                if value == "":
                    slots[name] = [Mention(0, 0, "PAGE", "")]
                    continue
                if value.lower() == "our":
                    slots[name] = [Mention(0, 0, "OUR", value)]
                    continue
                ids = (
                    [int(x) for x in re.findall(r":(\d+)⟩", value)]
                    if "⟨" in value
                    else [int(value)]
                )
                slots[name] = [mentions[i] for i in ids]
            start = offset + where[m.start()]
            end = offset + where[m.end() - 1] + 1 if m.end() > m.start() else start
            found.append(Match(rule, slots, start, end))
    return found


def rule_texts() -> list[str]:
    """The literal text of every rule (for the test that no rule names an entity)."""
    return [str(r.pattern.pattern) for r in load_rules()]


def as_dict(match: Match) -> dict[str, Any]:
    return {"rule": match.rule.id, "start": match.start, "end": match.end}
