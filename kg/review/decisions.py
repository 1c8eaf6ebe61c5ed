"""A reviewer's decisions on drafts, saved so that none is ever lost.

- An accepted (or edited and accepted) draft becomes a curated statement in
  ``data/statements/<source>.reviewed.yaml``, with ``decided_by``, ``decided_at`` and
  ``proposed_by`` (the rule): the build reads it like any statements file.
- A rejected draft is recorded, with its reason, in ``data/rejections/<source>.yaml``;
  ``kg extract`` does not propose it again (nor a draft already curated).
- A new entity the reviewer creates goes to ``data/entities/reviewed.yaml``.
- A sentence no rule drafted from, which the reviewer drafted a statement from
  (``proposed_by: reviewer``) or dismissed with a reason (``dismissed`` in
  ``data/rejections/<source>.yaml``, :func:`dismiss`), is not listed to look at again.

Every save goes through :func:`kg.project.datafile.write_checked`: under the data folder's lock
(``flock`` on ``data/.kg.lock``, the lock every writer of a data file takes) it reads the
file as it is now, adds the decision, checks the result with the build's own loaders (a
decision the build would refuse is refused, with the reason, and nothing is written) and
writes the whole file atomically: two tabs on one source never lose a decision, and a save
killed midway leaves the file as it was.

A draft's key is the fact it states (:func:`fact_key`). An accepted draft the reviewer
edited keeps the key it was drafted with (``drafted_as``), so that it stays decided.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.project._yaml import LINE, dump_yaml, load_yaml, overlay
from kg.project.datafile import data_lock, write_checked

__all__ = [
    "accept",
    "anchor_in",
    "create_entity",
    "decided",
    "decided_keys",
    "dismiss",
    "dismissed",
    "load_dismissed",
    "load_rejections",
    "reject",
]


#: The fields that say what a fact is (and that a reviewer may edit).
FACT_FIELDS = (
    "subject", "relation", "object", "value", "member", "organization", "role",
    "start", "end", "date",
)  # fmt: skip


def fact_key(fields: dict[str, Any]) -> str:
    """What a draft or statement says, as a comparable string (ids, relation, dates)."""
    keep = FACT_FIELDS
    return json.dumps(
        {k: fields[k] for k in keep if fields.get(k)}, sort_keys=True, ensure_ascii=False
    )


def _read(path: Path, key: str) -> dict[str, Any]:
    """The data file at *path* as the loaders read it (absent: an empty mapping)."""
    if not path.exists():
        return {}
    doc = load_yaml(path)
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise DataError("expected a mapping", path)
    doc = {k: v for k, v in doc.items() if k != LINE}
    doc.setdefault(key, [])
    if not isinstance(doc[key], list):
        raise DataError(f"expected a list {key!r}", path)
    return doc


def _check(data_dir: Path, source: str | None = None) -> None:
    """Load the data as the build does (and the source's rejections as kg extract does)."""
    from kg.data.dataset import load_dataset

    load_dataset(data_dir)
    if source is not None:
        load_rejections(rejections_path(data_dir, source))
        load_dismissed(rejections_path(data_dir, source))


def _write(data_dir: Path, path: Path, header: str, doc: dict[str, Any], source: str) -> None:
    try:
        write_checked(
            data_dir, {path: dump_yaml(doc, header)}, check=lambda: _check(data_dir, source)
        )
    except DataError as exc:
        if exc.path is None or Path(str(exc.path)) != path:
            raise
        # Said of the decision: the line is that of a file not written.
        raise DataError(f"the decision: {str(exc).split(': ', 1)[-1]}") from None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def reviewed_path(data_dir: Path, source: str) -> Path:
    return data_dir / "statements" / f"{source}.reviewed.yaml"


def rejections_path(data_dir: Path, source: str) -> Path:
    return data_dir / "rejections" / f"{source}.yaml"


def accept(data_dir: Path, source: str, draft: dict[str, Any], by: str) -> dict[str, Any]:
    """Save *draft* (its fields as edited, with quote and rule) as a curated statement."""
    kind = "memberships" if "member" in draft else "relations"
    fields = (
        ("member", "organization", "role")
        if kind == "memberships"
        else ("subject", "relation", "object", "value")
    )
    record: dict[str, Any] = {}
    for k in (*fields, "start", "end", "date", "quote", "occurrence"):
        if draft.get(k) not in (None, ""):
            record[k] = draft[k]
    if not record.get("quote"):
        raise DataError("a statement needs its quote")
    path = reviewed_path(data_dir, source)
    with data_lock(data_dir):
        doc = _read(path, kind) or {"source": source, "relations": [], "memberships": []}
        doc.setdefault("relations", [])
        doc.setdefault("memberships", [])
        key = fact_key(record)
        drafted = fact_key(draft.get("drafted") or record)
        if any(key in (fact_key(r), r.get("drafted_as")) for r in doc[kind]) or any(
            drafted in (fact_key(r), r.get("drafted_as")) for r in doc[kind]
        ):
            return {"saved": False, "why": "already accepted"}
        taken = {str(r.get("id")) for r in doc["relations"] + doc["memberships"]}
        n = len(taken) + 1
        while f"reviewed-{n}" in taken:
            n += 1
        record = {
            "id": f"reviewed-{n}",
            **record,
            "decided_by": by,
            "decided_at": _now(),
            "proposed_by": str(draft.get("rule") or "reviewer"),
        }
        if drafted != key:
            record["drafted_as"] = drafted  # edited: still the decision on that draft
        doc[kind].append(record)
        _write(data_dir, path, _REVIEWED.format(source=source), doc, source)
    return {"saved": True, "id": record["id"]}


def reject(
    data_dir: Path, source: str, draft: dict[str, Any], by: str, reason: str
) -> dict[str, Any]:
    """Record that *draft* is not a fact of the source, and why."""
    from kg.project.checks import check_text

    if not reason.strip():
        raise DataError("a rejection needs its reason")
    check_text(reason.strip(), "the reason", None, None, MAX_REASON)
    check_text(by, "the reviewer's name", None, None)
    reason = reason.strip()
    path = rejections_path(data_dir, source)
    with data_lock(data_dir):
        doc = _read(path, "rejections") or {"source": source, "rejections": []}
        key = fact_key(draft)
        if any(r.get("fact") == key for r in doc["rejections"]):
            return {"saved": False, "why": "already rejected"}
        doc["rejections"].append(
            {
                "fact": key,
                "quote": draft.get("quote", ""),
                "rule": draft.get("rule", ""),
                "reason": reason,
                "decided_by": by,
                "decided_at": _now(),
            }
        )
        _write(data_dir, path, _REJECTED.format(source=source), doc, source)
    return {"saved": True}


#: The longest reason a rejection may give (in characters).
MAX_REASON = 1000


def load_rejections(path: Path) -> list[dict[str, Any]]:
    """The rejections recorded in *path* (absent: none), checked as they are read."""
    from kg.project.checks import check_text

    doc = _read(path, "rejections")
    out = []
    for item in doc.get("rejections", []):
        if not isinstance(item, dict):
            raise DataError("a rejection is a mapping (fact, quote, reason, …)", path)
        line = item.get(LINE)
        for key in ("fact", "reason", "decided_by"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise DataError(f"a rejection without its {key}", path, line)
        check_text(item["reason"], "reason", path, line, MAX_REASON)
        check_text(item["decided_by"], "decided_by", path, line)
        out.append(item)
    return out


#: The longest sentence a dismissal records (in characters).
MAX_SENTENCE = 20000


def dismiss(
    data_dir: Path, source: str, sentence: dict[str, Any], by: str, reason: str
) -> dict[str, Any]:
    """Record that the reviewer read *sentence* (its ``text``, ``start`` and ``end``), which
    no rule drafted from, and found no fact in it to state, and why: it is not listed again."""
    from kg.project.checks import check_text

    if not reason.strip():
        raise DataError("dismissing a sentence needs its reason")
    reason = check_text(reason.strip(), "the reason", None, None, MAX_REASON)
    check_text(by, "the reviewer's name", None, None)
    text = str(sentence["text"])
    path = rejections_path(data_dir, source)
    with data_lock(data_dir):
        doc = _read(path, "dismissed") or {"source": source, "rejections": [], "dismissed": []}
        if any(r.get("sentence") == text for r in doc["dismissed"] if isinstance(r, dict)):
            return {"saved": False, "why": "dismissed already"}
        doc["dismissed"].append(
            {
                "sentence": text,
                "offsets": [int(sentence["start"]), int(sentence["end"])],
                "reason": reason,
                "decided_by": by,
                "decided_at": _now(),
            }
        )
        _write(data_dir, path, _REJECTED.format(source=source), doc, source)
    return {"saved": True}


def load_dismissed(path: Path) -> list[dict[str, Any]]:
    """The sentences dismissed in *path* (absent: none), checked as they are read."""
    from kg.project.checks import check_text

    doc = _read(path, "dismissed")
    out = []
    for item in doc.get("dismissed", []):
        if not isinstance(item, dict):
            raise DataError("a dismissed sentence is a mapping (sentence, reason, …)", path)
        line = item.get(LINE)
        for key in ("sentence", "reason", "decided_by"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise DataError(f"a dismissed sentence without its {key}", path, line)
        check_text(item["sentence"], "sentence", path, line, MAX_SENTENCE)
        check_text(item["reason"], "reason", path, line, MAX_REASON)
        check_text(item["decided_by"], "decided_by", path, line)
        out.append(item)
    return out


def dismissed(data_dir: Path, source: str) -> dict[str, str]:
    """The sentences of *source* dismissed in review: ``{sentence: who dismissed it, why}``."""
    return {
        r["sentence"]: f"dismissed by {r['decided_by']}: {r['reason']}"
        for r in load_dismissed(rejections_path(data_dir, source))
    }


def anchor_in(text: str, own: str, quote: str, start: int, end: int) -> tuple[str, int | None]:
    """*quote* as a statement records it, taken from the sentence at ``start:end`` of a
    source's clean *text* (*own*: the text as written, same offsets), and its ``occurrence``
    (None where it occurs once): anchored by the build (:mod:`kg.data.statements`) to these
    words of this sentence, not to the same words elsewhere in the text."""
    from kg.data.statements import _occurrences

    quote = quote.strip()
    if not quote:
        raise DataError("a statement needs its quote")
    at = own.find(quote, start, end)
    if at < 0:
        at = text.find(quote, start, end)
    if at < 0:
        raise DataError(
            f"the quote {quote!r} is not words of the sentence; shorten it, do not edit it"
        )
    # What the build does with the quote: found in the canonical text, or else where it is
    # in the text as written (the first time), then counted in the canonical text.
    starts = _occurrences(text, quote)
    if not starts and own != text and own.find(quote) >= 0:
        first = own.find(quote)
        starts = _occurrences(text, text[first : first + len(quote)])
    if at not in starts:  # the build would anchor it elsewhere: quote the canonical words
        quote = text[at : at + len(quote)]
        starts = _occurrences(text, quote)
    return quote, (starts.index(at) + 1 if len(starts) > 1 else None)


def decided(data_dir: Path, source: str) -> dict[str, str]:
    """The facts already decided for *source*, each with how: ``{fact key: what was done}``.

    Rejected drafts, and facts curated in any statements file (an accepted draft under the
    key it was drafted with as well as the fact it states).
    """
    out: dict[str, str] = {}
    for r in load_rejections(rejections_path(data_dir, source)):
        out[r["fact"]] = f"rejected by {r['decided_by']}: {r['reason']}"
    for path in sorted((data_dir / "statements").glob("*.yaml")):
        doc = load_yaml(path) or {}
        if isinstance(doc, dict) and doc.get("source") == source:
            for item in [*(doc.get("relations") or []), *(doc.get("memberships") or [])]:
                if not isinstance(item, dict):
                    continue
                how = (
                    f"accepted by {item['decided_by']} as {item.get('id')}"
                    if item.get("decided_by")
                    else f"curated in {path.name}"
                )
                out[fact_key(item)] = how
                if item.get("drafted_as"):
                    out[str(item["drafted_as"])] = how + _edits(str(item["drafted_as"]), item)
    return out


def _edits(drafted_as: str, item: dict[str, Any]) -> str:
    """What the reviewer changed in a draft (``, edited: end 2015 → 2015-06``)."""
    try:
        drafted = json.loads(drafted_as)
    except ValueError:
        return ""
    changes = [
        f"{k} {drafted.get(k) or '(none)'} → {item.get(k) or '(none)'}"
        for k in FACT_FIELDS
        if str(drafted.get(k) or "") != str(item.get(k) or "")
    ]
    return f", edited: {'; '.join(changes)}" if changes else ""


def decided_keys(data_dir: Path, source: str) -> set[str]:
    """The facts already decided for *source*: rejected, or curated in any statements file."""
    return set(decided(data_dir, source))


def create_entity(data_dir: Path, entity: dict[str, Any]) -> str:
    """Add a new entity (id, type, labels, en_source) to ``data/entities/reviewed.yaml``.

    The entity is checked by the loader the build uses (:func:`kg.data.entities._load_entities`:
    id, type, labels in three languages, the English name's source, visible one-line text),
    and against every entity already declared, before the file is written: a request cannot
    leave the data unbuildable.
    """
    from kg.data.entities import _load_entities

    if not isinstance(entity, dict):
        raise DataError("an entity is an object (id, type, labels, en_source)")
    record = {k: entity.get(k) for k in ("id", "type", "labels", "en_source")}
    if record["type"] not in ("Person", "Organization"):
        raise DataError("a new entity is a Person or an Organization")
    path = data_dir / "entities" / "reviewed.yaml"
    with data_lock(data_dir):
        doc = _read(path, "entities") or {"entities": []}
        text = dump_yaml({**doc, "entities": [*doc["entities"], record]}, _ENTITIES)
        with overlay({path: text}):
            try:
                _load_entities(path)  # the build's own checks, naming what is wrong
            except DataError as exc:  # said of the new entity, not of a file not yet written
                raise DataError(f"the new entity: {str(exc).split(': ', 1)[-1]}") from None
        existing = _read_entity_ids(data_dir)
        if record["id"] in existing:
            raise DataError(f"entity {record['id']} exists already")
        write_checked(data_dir, {path: text}, check=lambda: _check(data_dir))
    return str(record["id"])


_REVIEWED = """\
# Statements of {source} decided in `kg review` (decided_by, decided_at): a machine draft
# (proposed_by, the rule) that a person accepted or edited, or a statement the person drafted
# from a sentence no rule drafted from (proposed_by: reviewer). Written by kg review."""
_REJECTED = """\
# Drafts for {source} that a reviewer rejected in `kg review`, with the reason; `kg extract`
# does not propose them again. `dismissed`: sentences no rule drafted from that a reviewer
# read and found nothing to state in, with the reason; not listed again. Written by kg review."""
_ENTITIES = """\
# Entities created in `kg review` from names a source used. Written by kg review."""


def _read_entity_ids(data_dir: Path) -> set[str]:
    from kg.data.entities import _load_all_entities

    return set(_load_all_entities(data_dir))
