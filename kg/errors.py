"""The exception tree of kg: one root, a few kinds, messages that say what to fix."""

from __future__ import annotations

__all__ = [
    "AmbiguousQuoteError",
    "DataError",
    "KGError",
    "QuoteNotFoundError",
    "SourceError",
    "ValidationError",
]


class KGError(Exception):
    """Root of every error kg raises on purpose; the CLI prints it as ``Error: <message>``."""


class SourceError(KGError):
    """A source file cannot be read, decoded or does not match its recorded hash."""


class DataError(KGError):
    """A data file (entities, relations, statements) is malformed.

    The message names the file and line at fault.
    """

    def __init__(self, message: str, path: object | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


class QuoteNotFoundError(DataError):
    """An evidence quote does not occur in the clean text of its source."""


class AmbiguousQuoteError(DataError):
    """An evidence quote occurs more than once and the statement does not say which."""


class ValidationError(KGError):
    """The built graph violates the SHACL shapes."""
