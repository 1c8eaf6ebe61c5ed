"""English month names as texts write them (lower-case, January first): one list for every
step that reads a date in words (:mod:`kg.extract.dates`, :mod:`kg.analysis.facts`)."""

from __future__ import annotations

__all__ = ["MONTHS_EN"]

MONTHS_EN: tuple[str, ...] = tuple(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)
