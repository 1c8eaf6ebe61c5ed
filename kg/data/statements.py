"""Statements: the curated facts of ``data/statements/*.yaml``, each checked.

Checks every id, relation type, date and quote of a statements file, and anchors each quote
in its source's clean text (offsets are computed, never typed). Every problem is a
:class:`~kg.errors.DataError` naming the file and line.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kg.data._fields import _fields, _texts
from kg.data.entities import _ID
from kg.data.model import Dataset, Event, Evidence, Figure, Membership, RelationStatement
from kg.errors import AmbiguousQuoteError, DataError, QuoteNotFoundError
from kg.project._yaml import LINE, key_line, load_yaml
from kg.project.checks import check_text, parse_date
from kg.sources import Source
from kg.sources.quotes import QuoteIndex, check_cited_quote, load_index

__all__ = ["nearest"]

_STATEMENT_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
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
        self._indexes: dict[str, QuoteIndex | None] = {}

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
        src = self.sources[source]
        if src.cited:
            for quote in quotes:
                check_cited_quote(quote, source, path, line)
            if src.clean is None:
                return self.recorded(source, quotes, occurrences, path, line)
        text = src.text
        checked = "build" if src.cited else None
        found = []
        own = src.own_text
        for quote, occurrence in zip(quotes, occurrences, strict=True):
            starts = _occurrences(text, quote)
            if not starts and own != text:
                # a quote in the script the page was written in (Traditional): the same
                # offsets; the evidence quotes the canonical Simplified text they point into
                # (and its occurrences are counted there, as for any quote).
                at = own.find(quote)
                if at >= 0:
                    quote = text[at : at + len(quote)]
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
            found.append(
                Evidence(source, quote, start, start + len(quote), checked, occurrence or 1)
            )
        return tuple(found)

    def index(self, source: str) -> QuoteIndex | None:
        """The quote index of cited source *source*, if one was written for its text."""
        if source not in self._indexes:
            src = self.sources[source]
            found = load_index(src.quote_index) if src.quote_index else None
            if found is not None and found.sha256 != src.sha256:
                raise DataError(
                    f"the quote index was written for a text with sha256 {found.sha256}, but "
                    f"source {source} records {src.sha256}; run `kg check-quotes {source}` "
                    f"with the cached text",
                    found.path,
                )
            self._indexes[source] = found
        return self._indexes[source]

    def recorded(
        self,
        source: str,
        quotes: list[str],
        occurrences: list[int | None],
        path: Path,
        line: int | None,
    ) -> tuple[Evidence, ...]:
        """The evidence of a cited source whose text is not here: the quotes as recorded,
        with the offsets and date of the last check where the quote index has them."""
        index = self.index(source)
        found = []
        for quote, occurrence in zip(quotes, occurrences, strict=True):
            starts = index.starts(quote) if index else []
            if index and len(starts) >= (occurrence or 1):
                start = starts[(occurrence or 1) - 1]
                found.append(
                    Evidence(
                        source, quote, start, start + len(quote), index.checked, occurrence or 1
                    )
                )
            else:
                found.append(Evidence(source, quote, None, None, "", occurrence or 1))
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
