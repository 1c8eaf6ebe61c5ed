"""A reviewer's decisions on drafts, saved so that none is ever lost.

- An accepted (or edited and accepted) draft becomes a curated statement in
  ``data/statements/<source>.reviewed.yaml``, with ``decided_by``, ``decided_at`` and
  ``proposed_by`` (the rule): the build reads it like any statements file.
- A rejected draft is recorded, with its reason, in ``data/rejections/<source>.yaml``;
  ``kg extract`` does not propose it again (nor a draft already curated).
- A new entity the reviewer creates goes to ``data/entities/reviewed.yaml``.

Every save takes the source's lock (``flock`` on ``data/.review.lock``), reads the file as it
is now, adds the decision and writes the whole file atomically (a temporary file renamed into
place): two tabs on one source never lose a decision, and a save killed midway leaves the
file as it was.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kg.errors import DataError

__all__ = ["accept", "create_entity", "decided_keys", "reject"]


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


@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".review.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read(path: Path, key: str) -> dict[str, Any]:
    import yaml

    if not path.exists():
        return {}
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict):
        raise DataError("expected a mapping", path)
    doc.setdefault(key, [])
    return doc


def _write(path: Path, header: str, doc: dict[str, Any]) -> None:
    from kg.build import atomic_write

    lines = [header.rstrip("\n")]
    for key, value in doc.items():
        if isinstance(value, list):
            lines.append(f"{key}:" + ("" if value else " []"))
            for item in value:
                body = ", ".join(
                    f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in item.items()
                )
                lines.append(f"  - {{{body}}}")
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"))


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
    with _locked(data_dir):
        doc = _read(path, kind) or {"source": source, "relations": [], "memberships": []}
        doc.setdefault("relations", [])
        doc.setdefault("memberships", [])
        key = fact_key(record)
        if any(fact_key(r) == key for r in doc[kind]):
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
        doc[kind].append(record)
        _write(path, _REVIEWED.format(source=source), doc)
    return {"saved": True, "id": record["id"]}


def reject(
    data_dir: Path, source: str, draft: dict[str, Any], by: str, reason: str
) -> dict[str, Any]:
    """Record that *draft* is not a fact of the source, and why."""
    if not reason.strip():
        raise DataError("a rejection needs its reason")
    path = rejections_path(data_dir, source)
    with _locked(data_dir):
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
        _write(path, _REJECTED.format(source=source), doc)
    return {"saved": True}


def decided_keys(data_dir: Path, source: str) -> set[str]:
    """The facts already decided for *source*: rejected, or curated in any statements file."""
    import yaml

    keys = set()
    rejected = rejections_path(data_dir, source)
    if rejected.exists():
        keys |= {
            r["fact"]
            for r in (yaml.safe_load(rejected.read_text("utf-8")) or {}).get("rejections", [])
        }
    for path in sorted((data_dir / "statements").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text("utf-8")) or {}
        if isinstance(doc, dict) and doc.get("source") == source:
            for item in [*(doc.get("relations") or []), *(doc.get("memberships") or [])]:
                keys.add(fact_key(item))
    return keys


def create_entity(data_dir: Path, entity: dict[str, Any]) -> str:
    """Add a new entity (id, type, labels, en_source) to ``data/entities/reviewed.yaml``.

    The entity is checked by the loader the build uses (:func:`kg.statements._load_entities`:
    id, type, labels in three languages, the English name's source, visible one-line text),
    and against every entity already declared, before the file is written: a request cannot
    leave the data unbuildable.
    """
    import tempfile

    from kg.statements import _load_all_entities, _load_entities

    if not isinstance(entity, dict):
        raise DataError("an entity is an object (id, type, labels, en_source)")
    record = {k: entity.get(k) for k in ("id", "type", "labels", "en_source")}
    if record["type"] not in ("Person", "Organization"):
        raise DataError("a new entity is a Person or an Organization")
    path = data_dir / "entities" / "reviewed.yaml"
    with _locked(data_dir):
        doc = _read(path, "entities") or {"entities": []}
        doc["entities"].append(record)
        with tempfile.TemporaryDirectory() as scratch:
            trial = Path(scratch) / "entity.yaml"
            _write(trial, _ENTITIES, doc)
            try:
                _load_entities(trial)  # the build's own checks, naming what is wrong
            except DataError as exc:  # said without the scratch file's name
                raise DataError(f"the new entity: {str(exc).split(': ', 1)[-1]}") from None
        existing = _load_all_entities(data_dir)
        if record["id"] in existing:
            raise DataError(f"entity {record['id']} exists already")
        _write(path, _ENTITIES, doc)
    return str(record["id"])


_REVIEWED = """\
# Statements of {source} accepted in `kg review`: each was a machine draft (proposed_by, the
# rule) that a person accepted or edited (decided_by, decided_at). Written by kg review."""
_REJECTED = """\
# Drafts for {source} that a reviewer rejected in `kg review`, with the reason; `kg extract`
# does not propose them again. Written by kg review."""
_ENTITIES = """\
# Entities created in `kg review` from names a source used. Written by kg review."""
