"""The vocabulary: relation types, figure measures and qualifiers (``data/relations.yaml``)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from kg.data._fields import _fields, _texts
from kg.data.model import ENTITY_TYPES, Relation, Vocabulary
from kg.errors import DataError
from kg.project._yaml import LINE, key_line, load_yaml
from kg.project.checks import check_text

__all__ = ["load_vocabulary"]

_CURIE = re.compile(r"^[a-z][a-z0-9]*:[A-Za-z_][A-Za-z0-9_-]*$")


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
