"""Reading one YAML mapping: its required and allowed fields, and its texts by language."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.project._yaml import LINE, key_line
from kg.project.checks import check_text


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
