"""kg: a knowledge graph of the people and companies of China's AI industry.

The library does the work; the ``kg`` command is a thin layer over it. Nothing
heavy is imported here: ``import kg`` and ``kg --help`` stay fast.

>>> from kg.graph import build
>>> result = build(out="build")            # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from kg.errors import (
    AmbiguousQuoteError,
    DataError,
    KGError,
    QuoteNotFoundError,
    SourceError,
    ValidationError,
)

__all__ = [
    "AmbiguousQuoteError",
    "DataError",
    "KGError",
    "QuoteNotFoundError",
    "SourceError",
    "ValidationError",
    "build",
    "build_graph",
    "clean_file",
    "clean_page",
    "load_dataset",
    "load_graph",
]

_LAZY = {
    "build": "kg.graph.build",
    "build_graph": "kg.graph.build",
    "load_graph": "kg.graph.build",
    "clean_file": "kg.sources.clean",
    "clean_page": "kg.sources.clean",
    "load_dataset": "kg.data.dataset",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kg' has no attribute {name!r}")
