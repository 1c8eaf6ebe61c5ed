"""The checks every text, URL and date of the data passes, wherever it is written or read.

The build's loaders (:mod:`kg.data`) and every writer of a data file (judgements,
review decisions, a new source's metadata) use these, so that a value a writer accepts is one
the build accepts. Each raises a :class:`~kg.errors.DataError` naming the field (and, when
given, the file and line).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.project._text import MAX_LABEL, iri_problem, text_problem

__all__ = ["check_text", "check_url", "parse_date"]

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_date(value: object, where: tuple[Path, int | None]) -> str:
    """Check a YYYY, YYYY-MM or YYYY-MM-DD date and return it as a string.

    The YAML reader never makes dates itself (an unquoted 2018-02-30 arrives here as
    text), so every date gets this check, with the precision the source gives.
    """
    text = str(value)
    match = _DATE.match(text) if isinstance(value, str | int) else None
    if not match:
        raise DataError(
            f"date {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD "
            '(give only the precision the source gives; quote it in YAML: "2018-05")',
            *where,
        )
    year, month, day = match.groups()
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise DataError(f"date {text!r} does not exist", *where) from None
    return text


def check_text(
    value: Any, field: str, path: Path | None, line: int | None, max_length: int = MAX_LABEL
) -> str:
    """Check a label or other short text field (see :func:`kg.project._text.text_problem`).

    Every label, alternative label, name, unit and literal value goes through here:
    one line of visible text of at most ``MAX_LABEL`` characters, given as a string.
    """
    problem = text_problem(value, max_length)
    if problem:
        raise DataError(f"{field} {problem}", path, line)
    return str(value)


def check_url(value: Any, field: str, path: Path, line: int | None) -> str:
    """Check an absolute http(s) IRI before it can become an IRI in the graph."""
    problem = iri_problem(value)
    if problem:
        raise DataError(f"{field} {problem}", path, line)
    return str(value)
