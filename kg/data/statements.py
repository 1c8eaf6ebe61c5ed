"""Statements: entities and curated facts read from data files, each checked.

Reads ``data/entities.yaml``, ``data/relations.yaml`` and
``data/statements/*.yaml``; checks every id, type, date and quote; and anchors
each quote in its source's clean text (offsets are computed, never typed).
Every problem is a :class:`~kg.errors.DataError` naming the file and line.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import AmbiguousQuoteError, DataError, QuoteNotFoundError
from kg.project._text import MAX_LABEL, MAX_NOTE, iri_problem
from kg.project._yaml import LINE, key_line, load_yaml, yaml_files
from kg.project.checks import check_text, check_url, parse_date
from kg.sources import Source, load_sources

__all__ = [
    "ENTITY_TYPES",
    "Dataset",
    "Entity",
    "Event",
    "Evidence",
    "Figure",
    "Membership",
    "Relation",
    "RelationStatement",
    "Vocabulary",
    "load_dataset",
    "load_vocabulary",
    "parse_date",
]

ENTITY_TYPES = ("Person", "Organization", "StockMarket", "Product", "Role")
LANGS = ("zh-Hans", "zh-Hant", "en")
EN_METHODS = ("hanyu-pinyin", "translation")
_ID = re.compile(r"^(person|org|market|product|role)/[a-z0-9]+(-[a-z0-9]+)*$")
_STATEMENT_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_CURIE = re.compile(r"^[a-z][a-z0-9]*:[A-Za-z_][A-Za-z0-9_-]*$")
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# Entity types that a relation's declared type admits.
_SUBTYPES = {"Organization": {"Organization", "StockMarket"}}


def _date_key(date: str) -> tuple[int, ...]:
    return tuple(int(part) for part in date.split("-"))


def _check_order(start: str | None, end: str | None, where: tuple[Path, int | None]) -> None:
    if start and end:
        a, b = _date_key(start), _date_key(end)
        n = min(len(a), len(b))
        if b[:n] < a[:n]:
            raise DataError(f"end {end} is before start {start}", *where)


@dataclass(frozen=True)
class Evidence:
    """A quote anchored in a source's clean text: ``text[start:end] == exact``."""

    source: str
    exact: str
    start: int
    end: int


@dataclass(frozen=True)
class Entity:
    id: str
    type: str
    labels: dict[str, str]
    en_source: str
    alt_labels: tuple[tuple[str, str, str | None], ...] = ()  # (label, lang, source)
    kind: str | None = None
    wikidata: tuple[str, str] | None = None  #: (Q-id, the public page that identifies it)

    def label(self, lang: str = "zh-Hans") -> str:
        return self.labels.get(lang) or self.labels["zh-Hans"]


@dataclass(frozen=True)
class Relation:
    """One relation type of the vocabulary (``data/relations.yaml``)."""

    name: str
    predicate: str
    subject: tuple[str, ...]
    object: tuple[str, ...]  # ("literal",) for literal-valued relations
    labels: dict[str, str]
    values: tuple[str, ...] = ()
    verb: dict[str, str] = field(default_factory=dict)  #: how to say it read object -> subject

    @property
    def literal(self) -> bool:
        return self.object == ("literal",)


@dataclass(frozen=True)
class Vocabulary:
    """``data/relations.yaml``: relation types, figure measures and qualifiers."""

    relations: dict[str, Relation]
    measures: dict[str, dict[str, str]]
    qualifiers: tuple[str, ...]


@dataclass(frozen=True)
class RelationStatement:
    id: str
    source: str
    subject: str
    relation: str
    object: str | None
    value: str | None
    evidence: tuple[Evidence, ...]
    start: str | None = None
    end: str | None = None
    date: str | None = None
    status: str | None = None
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Membership:
    id: str
    source: str
    member: str
    organization: str
    role: str
    evidence: tuple[Evidence, ...]
    start: str | None = None
    end: str | None = None
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Figure:
    id: str
    source: str
    measure: str
    subject: str
    unit: str
    evidence: tuple[Evidence, ...]
    value: float | None = None
    min: float | None = None
    max: float | None = None
    period: str | None = None
    start: str | None = None
    end: str | None = None
    forecast: bool = False
    forecaster: str | None = None
    qualifier: str | None = None
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Event:
    """A dated event the source reports (a milestone, a demonstration, a public remark)."""

    id: str
    source: str
    date: str
    about: tuple[str, ...]
    names: dict[str, str]  #: zh-Hans and en: a short description written for the graph
    evidence: tuple[Evidence, ...]
    file: str = ""
    line: int = 0


@dataclass
class Dataset:
    """Everything the build needs, checked and anchored."""

    root: Path
    sources: dict[str, Source]
    entities: dict[str, Entity]
    relations: dict[str, Relation]
    measures: dict[str, dict[str, str]]
    qualifiers: tuple[str, ...] = ()
    statements: list[RelationStatement] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    #: every entity by any of its names (statements may name an entity instead of its id)
    names: Any = None
    #: ``{id: the id it was merged into}`` by "same" judgements (data/judgements.yaml)
    merged: dict[str, str] = field(default_factory=dict)
    judgements: list[Any] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "sources": len(self.sources),
            "entities": len(self.entities),
            "statements": len(self.statements),
            "memberships": len(self.memberships),
            "figures": len(self.figures),
            "events": len(self.events),
        }


# --- reading -----------------------------------------------------------------


def _fields(
    item: Any, path: Path, required: Iterable[str], optional: Iterable[str], what: str
) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise DataError(f"each {what} must be a mapping, got {item!r}", path)
    line = item.get(LINE)
    required = tuple(required)
    missing = [k for k in required if item.get(k) in (None, "")]
    if missing:
        raise DataError(f"{what} lacks {', '.join(missing)}", path, line)
    allowed = set(required) | set(optional) | {LINE}
    unknown = sorted(k for k in item if k not in allowed)
    if unknown:
        raise DataError(
            f"{what} has unknown field {unknown[0]!r} "
            f"(allowed: {', '.join(sorted(allowed - {LINE}))})",
            path,
            line,
        )
    return item


def _texts(
    mapping: Any, field: str, path: Path, line: int | None, keys: Iterable[str] | None = None
) -> dict[str, str]:
    """A mapping of language (or key) to text, each value checked as a label."""
    if not isinstance(mapping, dict):
        raise DataError(f"{field} must be a mapping of language to text", path, line)
    wanted = tuple(keys) if keys is not None else tuple(k for k in mapping if k != LINE)
    return {
        k: check_text(mapping.get(k), f"{field} {k}", path, key_line(mapping, k) or line)
        for k in wanted
    }


def _source_of(value: Any, field: str, path: Path, line: int | None) -> str:
    """Where a fact from outside the article comes from: a URL or the method that made it."""
    if value in EN_METHODS:
        return str(value)
    problem = iri_problem(value)
    if problem:
        raise DataError(
            f"{field} must be a URL or one of {', '.join(EN_METHODS)}; {value!r} {problem}",
            path,
            line,
        )
    return str(value)


def load_vocabulary(path: str | Path) -> Vocabulary:
    """Read and check ``relations.yaml`` (read again only when the file changes)."""
    path = Path(path)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path) from None
    return _vocabulary(path.resolve(), stamp)


@functools.lru_cache(maxsize=8)
def _vocabulary(path: Path, stamp: int) -> Vocabulary:
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("relations"), dict):
        raise DataError("expected a mapping with 'relations'", path)
    relations: dict[str, Relation] = {}
    for name, spec in doc["relations"].items():
        if name == LINE:
            continue
        spec = _fields(
            spec, path, ("predicate", "subject", "object", "label"), ("values", "verb"), "relation"
        )
        line = spec[LINE]

        def types(value: Any, name: str = name, line: int = line) -> tuple[str, ...]:
            names = tuple(value) if isinstance(value, list) else (value,)
            for t in names:
                if t not in (*ENTITY_TYPES, "literal"):
                    raise DataError(f"relation {name!r}: unknown type {t!r}", path, line)
            return names

        predicate = spec["predicate"]
        if not isinstance(predicate, str) or not _CURIE.match(predicate):
            raise DataError(
                f"relation {name!r}: predicate {predicate!r} must be a prefixed name such as "
                "schema:founder or kg:customerOf",
                path,
                key_line(spec, "predicate"),
            )
        values = spec.get("values") or []
        if not isinstance(values, list):
            raise DataError(f"relation {name!r}: values must be a list", path, line)
        relations[name] = Relation(
            name=name,
            predicate=predicate,
            subject=types(spec["subject"]),
            object=types(spec["object"]),
            labels=_texts(spec["label"], f"relation {name!r}: label", path, line),
            values=tuple(
                check_text(v, f"relation {name!r}: value", path, key_line(spec, "values"))
                for v in values
            ),
            verb=_texts(spec.get("verb") or {}, f"relation {name!r}: verb", path, line),
        )
    measures_doc = doc.get("measures") or {}
    if not isinstance(measures_doc, dict):
        raise DataError("measures must be a mapping", path, key_line(doc, "measures"))
    measures = {
        k: _texts(v, f"measure {k!r}", path, key_line(measures_doc, k))
        for k, v in measures_doc.items()
        if k != LINE
    }
    qualifiers_doc = doc.get("qualifiers") or []
    if not isinstance(qualifiers_doc, list):
        raise DataError("qualifiers must be a list", path, key_line(doc, "qualifiers"))
    qualifiers = tuple(
        check_text(q, "qualifier", path, key_line(doc, "qualifiers")) for q in qualifiers_doc
    )
    return Vocabulary(relations, measures, qualifiers)


def _load_entities(path: Path) -> dict[str, Entity]:
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("entities"), list):
        raise DataError("expected a mapping with a list 'entities'", path)
    entities: dict[str, Entity] = {}
    for item in doc["entities"]:
        item = _fields(
            item,
            path,
            ("id", "type", "labels", "en_source"),
            ("alt_labels", "kind", "wikidata", "wikidata_source"),
            "entity",
        )
        line = item[LINE]
        eid = str(item["id"])
        if not _ID.match(eid):
            raise DataError(
                f"entity id {eid!r} must look like person/lu-qi, org/…, product/…, "
                "market/… or role/…",
                path,
                line,
            )
        if eid in entities:
            raise DataError(f"duplicate entity id {eid!r}", path, line)
        if item["type"] not in ENTITY_TYPES:
            raise DataError(
                f"entity {eid}: unknown type {item['type']!r} (one of {', '.join(ENTITY_TYPES)})",
                path,
                line,
            )
        labels = item["labels"]
        labels_line = key_line(item, "labels")
        if not isinstance(labels, dict) or any(labels.get(lang) in (None, "") for lang in LANGS):
            raise DataError(f"entity {eid}: labels need zh-Hans, zh-Hant and en", path, line)
        unknown = sorted(k for k in labels if k not in (*LANGS, LINE))
        if unknown:
            raise DataError(
                f"entity {eid}: label language {unknown[0]!r} is not one of {', '.join(LANGS)}",
                path,
                key_line(labels, unknown[0]) or labels_line,
            )
        en_source = _source_of(
            item["en_source"], f"entity {eid}: en_source", path, key_line(item, "en_source")
        )
        alt_labels = item.get("alt_labels") or []
        if not isinstance(alt_labels, list):
            raise DataError(f"entity {eid}: alt_labels must be a list", path, line)
        alts = []
        for alt in alt_labels:
            alt = _fields(alt, path, ("label", "lang"), ("source",), "alt label")
            alt_line = alt[LINE]
            if alt["lang"] not in LANGS:
                raise DataError(
                    f"alt label language {alt['lang']!r} is not one of {LANGS}", path, alt_line
                )
            label = check_text(
                alt["label"], f"entity {eid}: alt label", path, key_line(alt, "label")
            )
            source = alt.get("source")
            if source is not None:
                source = _source_of(
                    source, f"entity {eid}: alt label source", path, key_line(alt, "source")
                )
            alts.append((label, str(alt["lang"]), source))
        kind = item.get("kind")
        if kind is not None:
            kind = check_text(kind, f"entity {eid}: kind", path, key_line(item, "kind"))
        wikidata = None
        if item.get("wikidata") is not None or item.get("wikidata_source") is not None:
            qid = str(item.get("wikidata") or "")
            if not re.fullmatch(r"Q[1-9][0-9]*", qid):
                raise DataError(
                    f"entity {eid}: wikidata must be an item id such as Q14772, not {qid!r}",
                    path,
                    key_line(item, "wikidata") or line,
                )
            if not item.get("wikidata_source"):
                raise DataError(
                    f"entity {eid}: wikidata {qid} needs wikidata_source, the public page "
                    "that identifies the item (an identification is never guessed)",
                    path,
                    line,
                )
            wikidata = (
                qid,
                check_url(
                    item["wikidata_source"],
                    "wikidata_source",
                    path,
                    key_line(item, "wikidata_source"),
                ),
            )
        entities[eid] = Entity(
            id=eid,
            wikidata=wikidata,
            type=str(item["type"]),
            labels=_texts(labels, f"entity {eid}: label", path, labels_line, LANGS),
            en_source=en_source,
            alt_labels=tuple(alts),
            kind=kind,
        )
    return entities


#: Fields a reviewed statement carries (``kg review``): who decided, when, and the rule that
#: proposed it. They are the record of a decision; the graph is built from the fact itself.
_DECIDED = ("decided_by", "decided_at", "proposed_by", "drafted_as")


def _check_decided(item: dict[str, Any], path: Path) -> None:
    """The record of a review decision: who (a name), when (an ISO time), which rule, and
    the fact as drafted when the reviewer edited it (``kg review`` keys its decisions so)."""
    for key in ("decided_by", "proposed_by"):
        if item.get(key) is not None:
            check_text(item[key], key, path, key_line(item, key))
    if item.get("decided_at") is not None:
        import datetime as dt

        when = item["decided_at"]
        try:
            dt.datetime.fromisoformat(str(when))
        except ValueError:
            raise DataError(
                f"decided_at {when!r} is not a date and time (as in 2026-12-01T10:00:00+00:00)",
                path,
                key_line(item, "decided_at"),
            ) from None
    if item.get("drafted_as") is not None:
        check_text(item["drafted_as"], "drafted_as", path, key_line(item, "drafted_as"), 2000)


def _load_all_entities(root: Path) -> dict[str, Entity]:
    """``data/entities.yaml`` and every ``data/entities/*.yaml`` (one file per source or
    topic, so that sources added side by side do not edit one file); an id is declared once."""
    entities = _load_entities(root / "entities.yaml")
    where = dict.fromkeys(entities, root / "entities.yaml")
    for path in yaml_files(root / "entities"):
        for eid, entity in _load_entities(path).items():
            if eid in entities:
                raise DataError(f"duplicate entity id {eid!r}, declared in {where[eid]} too", path)
            entities[eid] = entity
            where[eid] = path
    return entities


def _occurrences(text: str, quote: str) -> list[int]:
    """Every offset where *quote* starts in *text*, overlapping ones included.

    Examples
    --------
    >>> _occurrences("哈哈哈。", "哈哈")
    [0, 1]
    """
    starts = []
    start = text.find(quote)
    while start >= 0:
        starts.append(start)
        start = text.find(quote, start + 1)
    return starts


class _Anchor:
    """Finds quotes in the clean texts and explains misses.

    A quote must occur exactly once in its source's clean text, unless the
    statement says which occurrence it means (``occurrence: N``, 1-based; with a
    list of quotes, a list of numbers, one for each quote).
    """

    def __init__(self, sources: dict[str, Source]):
        self.sources = sources

    def __call__(self, source: str, item: dict[str, Any], path: Path) -> tuple[Evidence, ...]:
        line = item[LINE]  # errors name the statement, as every statement error does
        quotes = item["quote"]
        single = isinstance(quotes, str)
        if single:
            quotes = [quotes]
        if (
            not isinstance(quotes, list)
            or not quotes
            or not all(isinstance(q, str) for q in quotes)
        ):
            raise DataError(
                f"quote must be a string or a list of strings, not {quotes!r}", path, line
            )
        if not all(quotes):
            raise DataError("a quote is empty; copy the words from the clean text", path, line)
        occurrences = self.occurrences(item.get("occurrence"), len(quotes), single, path, item)
        text = self.sources[source].text
        found = []
        for quote, occurrence in zip(quotes, occurrences, strict=True):
            starts = _occurrences(text, quote)
            if not starts:
                raise QuoteNotFoundError(
                    f"quote not found in the clean text of {source}: {quote!r}; "
                    f"nearest text: {nearest(text, quote)!r}",
                    path,
                    line,
                )
            if occurrence is None and len(starts) > 1:
                shown = "; ".join(
                    f"{n}: {_context(text, start, len(quote))!r}"
                    for n, start in enumerate(starts[:5], start=1)
                )
                more = f"; … {len(starts) - 5} more" if len(starts) > 5 else ""
                raise AmbiguousQuoteError(
                    f"quote {quote!r} occurs {len(starts)} times in the clean text of {source} "
                    f"({shown}{more}); give a longer quote, or say which with "
                    "'occurrence: N' (1-based)",
                    path,
                    line,
                )
            if occurrence is not None and occurrence > len(starts):
                raise DataError(
                    f"occurrence {occurrence} of quote {quote!r}: it occurs only "
                    f"{len(starts)} time(s) in the clean text of {source}",
                    path,
                    line,
                )
            start = starts[(occurrence or 1) - 1]
            found.append(Evidence(source, quote, start, start + len(quote)))
        return tuple(found)

    @staticmethod
    def occurrences(
        value: Any, count: int, single: bool, path: Path, item: dict[str, Any]
    ) -> list[int | None]:
        line = item[LINE]
        if value is None:
            return [None] * count
        numbers = [value] if single else value
        if (
            not isinstance(numbers, list)
            or len(numbers) != count
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in numbers)
        ):
            want = (
                "a number from 1"
                if single
                else f"a list of {count} numbers from 1, one for each quote"
            )
            raise DataError(f"occurrence must be {want}, not {value!r}", path, line)
        return list(numbers)


def _context(text: str, start: int, length: int, around: int = 8) -> str:
    """The quote at *start* with a few characters either side (for error messages)."""
    before = text[max(0, start - around) : start]
    after = text[start + length : start + length + around]
    return f"…{before}[{text[start : start + length]}]{after}…"


def nearest(text: str, quote: str) -> str:
    """The passage of *text* most like *quote* (for error messages)."""
    n = len(quote)
    if not text or not n:
        return ""
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(quote)

    def scan(starts: Iterable[int], best: tuple[float, int]) -> tuple[float, int]:
        for i in starts:
            matcher.set_seq1(text[i : i + n])
            if matcher.real_quick_ratio() <= best[0] or matcher.quick_ratio() <= best[0]:
                continue
            ratio = matcher.ratio()
            if ratio > best[0]:
                best = (ratio, i)
        return best

    step = max(1, n // 4)
    last = max(0, len(text) - n)
    _, coarse = scan(range(0, last + 1, step), (-1.0, 0))
    _, start = scan(range(max(0, coarse - step), min(last, coarse + step) + 1), (-1.0, coarse))
    best = text[start : start + n]
    return best


def _load_statements(path: Path, data: Dataset, anchor: _Anchor, seen: dict[str, str]) -> None:
    doc = load_yaml(path)
    if not isinstance(doc, dict):
        raise DataError("expected a mapping with 'source' and statement lists", path)
    _fields(
        doc, path, ("source",), ("relations", "memberships", "figures", "events"), "statements file"
    )
    source = str(doc["source"])
    if source not in data.sources:
        raise DataError(
            f"unknown source {source!r} (known: {', '.join(sorted(data.sources))}); "
            "add data/sources/<id>.meta.yaml beside its raw page",
            path,
            doc[LINE],
        )

    def entity(eid: Any, line: int, allowed: tuple[str, ...] | None = None, field: str = "") -> str:
        eid = str(eid)
        if not _ID.match(eid) and data.names is not None:
            eid = data.names.resolve(eid, (path, line))  # a name: the one entity it names
        eid = data.merged.get(eid, eid)
        if eid not in data.entities:
            close = difflib.get_close_matches(eid, data.entities, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "; add it to data/entities.yaml"
            raise DataError(f"unknown entity id {eid!r}{hint}", path, line)
        if allowed is not None:
            admitted = set().union(*(_SUBTYPES.get(t, {t}) for t in allowed))
            if data.entities[eid].type not in admitted:
                kind = data.entities[eid].type
                article = "an" if kind[0] in "AEIOU" else "a"
                raise DataError(
                    f"{field + ': ' if field else ''}{eid} is {article} {kind}, "
                    f"expected {' or '.join(allowed)}",
                    path,
                    line,
                )
        return eid

    def ident(item: dict[str, Any]) -> str:
        sid = str(item["id"])
        if not _STATEMENT_ID.match(sid):
            raise DataError(
                f"statement id {sid!r} must be lowercase words joined by -", path, item[LINE]
            )
        key = f"{source}/{sid}"
        if key in seen:
            raise DataError(
                f"duplicate statement id {sid!r} (first at {seen[key]})", path, item[LINE]
            )
        seen[key] = f"{path}:{item[LINE]}"
        return sid

    def dates(item: dict[str, Any], *names: str) -> dict[str, str | None]:
        where = (path, item[LINE])
        out = {n: parse_date(item[n], where) if item.get(n) is not None else None for n in names}
        _check_order(out.get("start"), out.get("end"), where)
        return out

    for item in doc.get("relations") or []:
        item = _fields(
            item,
            path,
            ("id", "subject", "relation", "quote"),
            ("object", "value", "start", "end", "date", "status", "occurrence", *_DECIDED),
            "relation statement",
        )
        line = item[LINE]
        _check_decided(item, path)
        sid = ident(item)
        name = str(item["relation"])
        if name not in data.relations:
            close = difflib.get_close_matches(name, data.relations, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise DataError(
                f"unknown relation type {name!r}{hint} "
                f"(known: {', '.join(sorted(data.relations))})",
                path,
                line,
            )
        rel = data.relations[name]
        subject = entity(item["subject"], line, rel.subject, field="subject")
        obj = value = None
        if rel.literal:
            if item.get("value") in (None, "") or item.get("object") is not None:
                raise DataError(
                    f"relation {name!r} takes a literal 'value', not an 'object'", path, line
                )
            value = check_text(item["value"], f"{name} value", path, key_line(item, "value"))
            if rel.values and value not in rel.values:
                raise DataError(
                    f"{name} value {value!r} is not one of {list(rel.values)}", path, line
                )
        else:
            if item.get("object") is None or item.get("value") is not None:
                raise DataError(
                    f"relation {name!r} takes an entity 'object', not a 'value'", path, line
                )
            obj = entity(item["object"], line, rel.object, field="object")
        if item.get("status") not in (None, "planned"):
            raise DataError(f"status {item['status']!r} is not 'planned'", path, line)
        data.statements.append(
            RelationStatement(
                id=sid,
                source=source,
                subject=subject,
                relation=name,
                object=obj,
                value=value,
                evidence=anchor(source, item, path),
                status=item.get("status"),
                file=str(path),
                line=line,
                **dates(item, "start", "end", "date"),
            )
        )

    for item in doc.get("memberships") or []:
        item = _fields(
            item,
            path,
            ("id", "member", "organization", "role", "quote"),
            ("start", "end", "occurrence", *_DECIDED),
            "membership",
        )
        line = item[LINE]
        _check_decided(item, path)
        data.memberships.append(
            Membership(
                id=ident(item),
                source=source,
                member=entity(item["member"], line, ("Person",), field="member"),
                organization=entity(
                    item["organization"], line, ("Organization",), field="organization"
                ),
                role=entity(item["role"], line, ("Role",), field="role"),
                evidence=anchor(source, item, path),
                file=str(path),
                line=line,
                **dates(item, "start", "end"),
            )
        )

    for item in doc.get("figures") or []:
        item = _fields(
            item,
            path,
            ("id", "measure", "subject", "unit", "quote"),
            (
                "value",
                "min",
                "max",
                "period",
                "start",
                "end",
                "forecast",
                "forecaster",
                "qualifier",
                "occurrence",
            ),
            "figure",
        )
        line = item[LINE]
        if item["measure"] not in data.measures:
            raise DataError(
                f"unknown measure {item['measure']!r} (known: {', '.join(sorted(data.measures))})",
                path,
                line,
            )
        numbers: dict[str, float | None] = {}
        for key in ("value", "min", "max"):
            raw = item.get(key)
            if raw is not None and (
                isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw)
            ):
                raise DataError(f"figure {key} {raw!r} is not a number", path, line)
            numbers[key] = raw
        if numbers["value"] is None and (numbers["min"] is None or numbers["max"] is None):
            raise DataError("a figure needs a value, or both min and max", path, line)
        if (
            numbers["min"] is not None
            and numbers["max"] is not None
            and numbers["max"] < numbers["min"]
        ):
            raise DataError(
                f"figure max {numbers['max']} is below min {numbers['min']}", path, line
            )
        qualifier = item.get("qualifier")
        if qualifier is not None and data.qualifiers and qualifier not in data.qualifiers:
            raise DataError(
                f"qualifier {qualifier!r} is not one of {', '.join(data.qualifiers)}", path, line
            )
        if not isinstance(item.get("forecast", False), bool):
            raise DataError("figure forecast must be true or false", path, line)
        data.figures.append(
            Figure(
                id=ident(item),
                source=source,
                measure=str(item["measure"]),
                subject=entity(item["subject"], line, None, field="subject"),
                unit=check_text(item["unit"], "figure unit", path, key_line(item, "unit")),
                evidence=anchor(source, item, path),
                forecast=bool(item.get("forecast", False)),
                forecaster=entity(item["forecaster"], line, ("Organization",), field="forecaster")
                if item.get("forecaster")
                else None,
                qualifier=item.get("qualifier"),
                file=str(path),
                line=line,
                value=numbers["value"],
                min=numbers["min"],
                max=numbers["max"],
                **dates(item, "period", "start", "end"),
            )
        )

    for item in doc.get("events") or []:
        item = _fields(
            item, path, ("id", "date", "about", "name", "quote"), ("occurrence",), "event"
        )
        line = item[LINE]
        about = item["about"] if isinstance(item["about"], list) else [item["about"]]
        names = item["name"]
        if not isinstance(names, dict) or not names.get("zh-Hans") or not names.get("en"):
            raise DataError("an event's name needs zh-Hans and en", path, line)
        unknown = sorted(k for k in names if k not in ("zh-Hans", "en", LINE))
        if unknown:
            raise DataError(f"an event's name is in zh-Hans and en, not {unknown[0]!r}", path, line)
        data.events.append(
            Event(
                id=ident(item),
                source=source,
                date=parse_date(item["date"], (path, line)),
                about=tuple(entity(e, line) for e in about),
                names=_texts(names, "event name", path, key_line(item, "name"), ("zh-Hans", "en")),
                evidence=anchor(source, item, path),
                file=str(path),
                line=line,
            )
        )


def _check_source(src: Source, entities: dict[str, Entity]) -> None:
    """The metadata fields that reach the graph, and a clean text to quote from."""
    meta = src.meta
    path = getattr(meta, "path", None) or src.raw_path
    for key in ("publisher", "author", "editor"):
        value = meta.get(key)
        if not value or value in entities:
            continue
        if key == "publisher" or _ID.match(str(value)):
            # A publisher is an organisation of the graph; an author or editor is an entity
            # id or, where the graph has no entity for them, a plain name.
            close = difflib.get_close_matches(str(value), entities, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "; add it to data/entities/"
            raise DataError(
                f"unknown entity id {value!r} in {key}{hint}", path, key_line(meta, key)
            )
        check_text(value, key, path, key_line(meta, key))
    for key, longest in (
        ("headline", MAX_LABEL),
        ("headline_zh_hant", MAX_LABEL),
        ("language", MAX_LABEL),
        ("license", MAX_LABEL),
        ("note", MAX_NOTE),
    ):
        if meta.get(key) is not None:
            check_text(meta[key], key, path, key_line(meta, key), longest)
    if meta.get("url") is not None:
        check_url(meta["url"], "url", path, key_line(meta, "url"))
    if meta.get("date") is not None:
        meta["date"] = parse_date(meta["date"], (path, key_line(meta, "date")))
    if not src.text.strip():
        left = "is empty" if src.sha256 == _EMPTY_SHA256 else "holds no text after cleaning"
        raise DataError(
            f"source {src.id}: {src.raw_path} {left}, so nothing can be quoted from it "
            f"(`kg clean {src.raw_path}` shows what the cleaner keeps)",
            path,
        )


def _names(entities: dict[str, Entity]) -> dict[str, list[str]]:
    return {
        eid: [*e.labels.values(), *(label for label, _, _ in e.alt_labels)]
        for eid, e in entities.items()
    }


def load_dataset(root: str | Path = "data") -> Dataset:
    """Read and check the whole dataset under *root* (the ``data/`` folder).

    Raises
    ------
    DataError
        Naming the file and line at fault, for any malformed or unknown input.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError("no such data folder", root)
    vocabulary = load_vocabulary(root / "relations.yaml")
    data = Dataset(
        root=root,
        sources=load_sources(root / "sources"),
        entities=_load_all_entities(root),
        relations=vocabulary.relations,
        measures=vocabulary.measures,
        qualifiers=vocabulary.qualifiers,
    )
    from kg.resolve.judgements import apply_judgements, load_judgements
    from kg.resolve.names import NameIndex

    data.names = NameIndex(_names(data.entities))
    data.judgements = load_judgements(root / "judgements.yaml", data.names)
    data.merged = apply_judgements(data.judgements, data.entities)
    data.names = NameIndex(_names(data.entities))
    for src in data.sources.values():
        for key in ("publisher", "author", "editor"):
            if src.meta.get(key) in data.merged:
                src.meta[key] = data.merged[src.meta[key]]
        _check_source(src, data.entities)
    anchor = _Anchor(data.sources)
    seen: dict[str, str] = {}
    for path in yaml_files(root / "statements"):
        _load_statements(path, data, anchor, seen)
    return data
