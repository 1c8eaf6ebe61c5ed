"""The extraction rules (``rules.yaml``) and their matching over a sentence's mentions.

A sentence becomes a *template*: its text with every mention replaced by a slot token
``⟨KIND:i⟩``. A rule is a regular expression over templates, written with the slot macros
``{PER:x}``, ``{PERS:x}``, ``{ORG:x}``, ``{MKT:x}``, ``{PRD:x}``, ``{ROLE:x}``, ``{DATE:x}``,
``{GAP}`` and ``{GAP:n}``; a match names which mentions fill the fact.

Every rule matches a bounded stretch of template (:func:`max_width`; a test holds every rule in
``rules.yaml`` under :data:`MAX_WIDTH`), so searching a sentence of any length is linear in it:
a list slot takes at most :data:`LIST_MAX` names (余凯、黄畅…: one more is left to a later match),
a list separator at most 8 spaces, a slot number at most 9 digits, and a rule writes every other
repetition with a bound (``{0,30}``, never ``*`` or ``+``). Unbounded, one sentence of 16,000
names ``余凯、余凯、…`` made each rule re-read the rest of the list from every name: quadratic.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.extract.mentions import Mention

__all__ = ["Match", "Rule", "could_match", "load_rules", "match_sentence"]

RULES = Path(__file__).with_name("rules.yaml")
_LIST = r"(?:、|和|与|及|以及|,\s{0,8}|，|\s{1,8}and\s{1,8}|,\s{1,8}and\s{1,8})"
#: The most names (or roles) one list slot ({PERS}, {ROLES}) takes.
LIST_MAX = 32
#: The most template characters a rule may match (a test checks every rule of rules.yaml).
MAX_WIDTH = 3000
_SLOT = re.compile(
    r"\{(PERS|PER|ORGS|ORG|MKT|PRD|ROLES|ROLE|DATE|GAP|FAR|OUR|PAGE|DESC)(?::(\w+))?\}"
)


@dataclass(frozen=True)
class Rule:
    id: str
    lang: str
    relation: str
    pattern: re.Pattern[str]
    fields: dict[str, str]  #: subject/object/member/organization/role/value -> slot name
    dates: dict[str, str]  #: start/end/date -> slot name
    confidence: float
    #: what a sentence needs for the rule to match in it (:func:`_needs`)
    needs: tuple[frozenset[str], ...] = ()
    #: ``left``: the rule says someone left the organisation (not only that they worked there)
    event: str | None = None


@dataclass(frozen=True)
class Match:
    rule: Rule
    slots: dict[str, list[Mention]]  #: slot name -> the mentions that fill it
    start: int  #: the matched span, in the clean text
    end: int


def _translate(pattern: str, token: Callable[[str, str], str]) -> str:
    """*pattern* with its slot macros written out; ``token(kinds, group)`` writes one slot
    token of one of *kinds* (``|``-separated), its number captured as *group* (if not empty)."""

    def slot(m: re.Match[str]) -> str:
        kind, name = m.group(1), m.group(2)
        if kind == "FAR":  # up to n characters, organisations, products and dates, no person
            n = int(name) if name else 40
            # (and a clause's carried subject: ZPER, see _zero_subjects)
            return rf"(?:[^⟨⟩。！？；;!?\n]|{token('ORG|PRD|MKT|DATE|ROLE|ZPER', '')}){{0,{n}}}?"
        if kind == "DESC":  # an English descriptor before a name: the venture capital firm
            return (
                r"(?:(?:the|a|an|its|his|her|their)\s)?"
                r"(?:(?!(?:and|or|to|led|then|later|but)\s)[A-Za-z][\w-]{0,24}\s){0,5}?"
            )
        if kind == "PAGE":  # matches nothing: the slot is the entity the page is about
            return rf"(?P<{name}>)"
        if kind == "OUR":  # "our" in a filing: the filer, which is the source's publisher
            return rf"(?P<{name}>[Oo]ur) ?"
        if kind == "GAP":  # up to n characters with no name in them (a title may be there)
            n = int(name) if name else 12
            return rf"(?:[^⟨⟩。！？；;!?\n]|{token('ROLE|ZPER', '')}){{0,{n}}}"
        if kind in ("PERS", "ROLES", "ORGS"):  # one or more, as a list: 余凯、黄畅; 百度和谷歌
            one = token(kind[:-1], "")
            return rf"(?P<{name}>{one}(?:(?:{_LIST}|兼){one}){{0,{LIST_MAX - 1}}})"
        return token(kind, name)

    return _SLOT.sub(slot, pattern)


def _token(kinds: str, group: str) -> str:
    """A slot token as templates write it: ⟨ORG:3⟩. A person's slot takes a clause's carried
    subject too (⟨ZPER:3⟩, :func:`_zero_subjects`), which the gaps step over."""
    number = rf"(?P<{group}>\d{{1,9}})" if group else r"\d{1,9}"
    if kinds == "PER":
        return f"⟨Z?PER:{number}⟩"
    return f"⟨{kinds}:{number}⟩" if "|" not in kinds else f"⟨(?:{kinds}):{number}⟩"


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(_translate(pattern, _token))


#: In a rule's skeleton (:func:`_needs`), a slot is one private-use character for its kind.
_MARK = {
    kind: chr(0xE000 + i) for i, kind in enumerate(("PER", "ORG", "MKT", "PRD", "ROLE", "DATE"))
}


_MARKS = frozenset(_MARK.values())


def _mark(kinds: str, group: str) -> str:
    marks = "".join(_MARK[k] for k in kinds.split("|") if k in _MARK)
    return marks if len(marks) == 1 else f"[{marks}]"


def _needs(pattern: str) -> tuple[frozenset[str], ...]:
    """What a sentence needs for the rule *pattern* (its source, slot macros and all) to match
    in it: groups of which each has a member in the sentence, a member being a text (outside
    the mentions) or a mark of :data:`_MARK` (a mention of that kind).

    Read from the rule's skeleton, each slot one mark: a run of literal characters is needed
    (cut at the marks), a repetition at least once what it repeats, a choice one of what each
    alternative needs (a choice none of whose alternatives needs anything needs nothing);
    nothing else is needed (classes of more than characters, lookarounds, case-insensitive
    parts). A sentence lacking a group cannot match, whatever else it holds."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    def split(run: str) -> list[frozenset[str]]:
        return [
            frozenset([part]) for part in re.split(f"([{''.join(_MARK.values())}])", run) if part
        ]

    def weight(group: frozenset[str]) -> tuple[bool, int]:  # the rarer, the better to choose
        return (not any(m in group for m in (_MARK["PER"], _MARK["ORG"])), min(map(len, group)))

    def needs(items: Any) -> list[frozenset[str]]:
        out: list[frozenset[str]] = []
        run: list[str] = []
        for op, av in [*items, (None, None)]:
            if op is c.LITERAL:
                run.append(chr(av))
                continue
            out += split("".join(run))
            run = []
            if op is c.SUBPATTERN and not av[1] & re.IGNORECASE:
                out += needs(av[3])
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
                out += needs(av[2])
            elif op is c.ATOMIC_GROUP:
                out += needs(av)
            elif op is c.BRANCH:
                choices = [needs(alternative) for alternative in av[1]]
                if all(choices):
                    out.append(frozenset().union(*(max(ch, key=weight) for ch in choices)))
            elif op is c.IN and av and all(o is c.LITERAL for o, _ in av):
                out.append(frozenset(chr(v) for _, v in av))
        return out

    parsed = _parser.parse(_translate(pattern, _mark))
    if parsed.state.flags & re.IGNORECASE:
        return ()
    return tuple(dict.fromkeys(sorted(needs(parsed), key=weight, reverse=True)))


@functools.lru_cache(maxsize=1)
def load_rules(path: Path = RULES) -> tuple[Rule, ...]:
    from kg.project._yaml import load_yaml

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
                _needs(str(item["pattern"])),
                str(item["event"]) if item.get("event") else None,
            )
        )
    return tuple(out)


def could_match(text: str, kinds: Collection[str], lang: str) -> bool:
    """Whether a rule of *lang* could match in the sentence *text* whose registry names and
    dates are of *kinds* (PER, ROLE, DATE …), whatever new people and organisations the
    Chinese model would find in it: false when every rule lacks something it needs
    (:func:`_needs`), so that the model need not read the sentence."""
    rules, texts = _family("en" if lang == "en" else "zh")
    have = _present(text, texts, [*kinds, "PER", "ORG"])
    for rule in rules:  # noqa: SIM110 - a loop, 6x faster than any() over a generator
        if _has(rule, have):
            return True
    return False


@functools.lru_cache(maxsize=2)
def _family(family: str) -> tuple[tuple[Rule, ...], tuple[str, ...]]:
    """The rules of *family* (zh, en), and every text one of them needs."""
    rules = tuple(r for r in load_rules() if r.lang == family)
    texts = {member for r in rules for group in r.needs for member in group} - _MARKS
    return rules, tuple(sorted(texts))


def _present(text: str, texts: tuple[str, ...], kinds: Collection[str]) -> set[str]:
    """Those of *texts* that *text* holds, and the marks of *kinds*."""
    return {t for t in texts if t in text} | {_MARK[k] for k in kinds if k in _MARK}


def _has(rule: Rule, have: set[str]) -> bool:
    """Whether a sentence that holds *have* (texts and marks) has everything *rule* needs."""
    for group in rule.needs:  # noqa: SIM110 - called for every rule of every sentence
        if group.isdisjoint(have):
            return False
    return True


def _template(
    text: str,
    mentions: list[Mention],
    virtual: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> tuple[str, list[int]]:
    """The template of *text* and, for each template position, the text offset it stands at.
    *virtual*: ``(offset, mention index)`` of a person's token to insert where a clause
    continues that person (it stands at the offset, taking no text)."""
    parts: list[str] = []
    where: list[int] = []
    pos = 0
    inserts = sorted(virtual)
    vi = 0

    def carried_until(limit: int) -> None:  # the carried subjects' tokens up to *limit*
        nonlocal pos, vi
        while vi < len(inserts) and inserts[vi][0] <= limit:
            at, k = inserts[vi]
            vi += 1
            parts.append(text[pos:at])
            where.extend(range(pos, at))
            token = f"⟨ZPER:{k}⟩"
            parts.append(token)
            where.extend([at] * len(token))
            pos = at

    for i, m in enumerate(mentions):
        carried_until(m.start)
        parts.append(text[pos : m.start])
        where += range(pos, m.start)
        token = f"⟨{m.kind}:{i}⟩"
        parts.append(token)
        where += [m.start] * (len(token) - 1) + [m.end - 1]
        pos = m.end
    carried_until(len(text))
    parts.append(text[pos:])
    where += range(pos, len(text))
    where.append(len(text))
    return "".join(parts), where


#: Where a Chinese clause starts: after a comma or semicolon.
_CLAUSE = re.compile(r"[，,；;]\s{0,3}")


def _zero_subjects(
    text: str, mentions: list[Mention], carry: Mention | None
) -> list[tuple[int, int]]:
    """Chinese drops a clause's subject when it is the person of the clause before (…离职后，
    联合创立智元机器人，担任总裁): ``(clause start, index in *mentions*)`` of the person each
    clause without a person of its own continues — the last person named before it in the
    sentence, else *carry* (index ``len(mentions)``), the last one before the sentence. A
    clause that opens with an organisation has that for its subject, not a person."""
    out = []
    starts = [0, *(m.end() for m in _CLAUSE.finditer(text))]
    bounds = [*starts[1:], len(text)]
    k = 0  # mentions are in order: one sweep over them for all the clauses
    last_person: int | None = None
    for a, b in zip(starts, bounds, strict=True):
        while k < len(mentions) and mentions[k].start < a:
            if mentions[k].kind == "PER":
                last_person = k
            k += 1
        first = k
        person = None
        while k < len(mentions) and mentions[k].start < b:
            if mentions[k].kind == "PER" and person is None:
                person = k
            k += 1
        if person is None and not (
            first < k and mentions[first].kind == "ORG" and mentions[first].start - a <= 2
        ):
            if last_person is not None:
                out.append((a, last_person))
            elif carry is not None:
                out.append((a, len(mentions)))
        for i in range(first, k):
            if mentions[i].kind == "PER":
                last_person = i
    return out


def match_sentence(
    text: str,
    offset: int,
    mentions: list[Mention],
    lang: str,
    carry: Mention | None = None,
    tried: list[str] | None = None,
) -> list[Match]:
    """Every rule match in one sentence (*text* starts at *offset* in the clean text). A rule
    that lacks something it needs in the sentence (:func:`_needs`) is not searched for. In
    Chinese, a clause with no person continues the person before it (:func:`_zero_subjects`;
    *carry*: the last person named before the sentence)."""
    rules, texts = _family("en" if lang == "en" else "zh")
    kinds = {m.kind for m in mentions} | ({"PER"} if carry is not None else set())
    have = _present(text, texts, kinds)
    rules = tuple(rule for rule in rules if _has(rule, have))
    if tried is not None:
        tried.extend(rule.id for rule in rules)
    if not rules:
        return []
    local = [
        Mention(m.start - offset, m.end - offset, m.kind, m.text, m.entity, m.value, m.qualifier)
        for m in mentions
    ]
    virtual = _zero_subjects(text, local, carry) if lang != "en" else []
    if virtual:
        mentions = [*mentions, carry] if carry is not None else list(mentions)
    template, where = _template(text, local, virtual)
    found = []
    for rule in rules:
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


def max_width(pattern: re.Pattern[str]) -> int:
    """The most characters *pattern* can match (huge when a repetition has no bound)."""
    from re import _parser  # type: ignore[attr-defined]

    return int(_parser.parse(pattern.pattern, pattern.flags).getwidth()[1])


def rule_texts() -> list[str]:
    """The literal text of every rule (for the test that no rule names an entity)."""
    return [str(r.pattern.pattern) for r in load_rules()]


def as_dict(match: Match) -> dict[str, Any]:
    return {"rule": match.rule.id, "start": match.start, "end": match.end}
