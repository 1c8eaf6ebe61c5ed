"""What text from a data file may hold before it becomes part of the graph.

One set of rules, used by the cleaner (characters removed from a source, and
reported) and by the data checker (labels, names and IRIs refused with file and
line):

- control characters: C0 (U+0000–U+001F), DEL and C1 (U+007F–U+009F);
- line and paragraph separators (U+2028, U+2029);
- bidirectional formatting characters (U+061C, U+200E/F, U+202A–U+202E,
  U+2066–U+2069), which reorder how the text around them is displayed.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

__all__ = [
    "BIDI_CONTROLS",
    "MAX_LABEL",
    "MAX_NOTE",
    "describe",
    "iri_chars_problem",
    "iri_problem",
    "is_hidden",
    "text_problem",
]

#: The longest label, name or other short text field (in characters).
MAX_LABEL = 200
#: The longest note a source's metadata may hold (in characters).
MAX_NOTE = 1000

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_SEPARATORS = frozenset("\u2028\u2029")
# Characters RFC 3987 does not allow anywhere in an IRI (besides controls and spaces).
_IRI_EXCLUDED = frozenset('<>"{}|\\^`')
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Unicode gives control characters no names (only aliases); these are the common ones.
_CONTROL_NAMES = {
    0x00: "NULL",
    0x08: "BACKSPACE",
    0x09: "CHARACTER TABULATION",
    0x0A: "LINE FEED",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
}


def is_hidden(char: str) -> bool:
    """True for a control character, a line/paragraph separator or a bidi control."""
    return unicodedata.category(char) == "Cc" or char in _SEPARATORS or char in BIDI_CONTROLS


def describe(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``; control characters, which have no name, by number.

    Examples
    --------
    >>> describe("\\u202e")
    'U+202E RIGHT-TO-LEFT OVERRIDE'
    >>> describe("\\x00")
    'U+0000 NULL'
    >>> describe("\\x01")
    'U+0001 (a control character)'
    """
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(ord(char), "")
    return f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X} (a control character)"


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def text_problem(value: object, max_length: int = MAX_LABEL) -> str | None:
    """What is wrong with *value* as a label or short text field, or None if nothing.

    A label is one line of visible text: a string (not a list, number or mapping),
    not empty, with no control characters, line breaks or bidi controls, no
    leading or trailing whitespace, and at most *max_length* characters.

    Examples
    --------
    >>> text_problem("陆奇") is None
    True
    >>> text_problem(["陆", "奇"])
    "must be text, not a list (['陆', '奇']); write it as one string"
    >>> text_problem("陆\\u202e奇")
    'holds U+202E RIGHT-TO-LEFT OVERRIDE at character 2 (bidirectional control)'
    """
    if value is None:
        return "is empty"
    if not isinstance(value, str):
        hint = (
            "; quote it in YAML" if isinstance(value, int | float) else "; write it as one string"
        )
        return f"must be text, not {_kind(value)} ({value!r}){hint}"
    if not value.strip():
        return "is empty"
    for i, char in enumerate(value, start=1):
        if char in "\n\r\x0b\x0c\x1c\x1d\x1e\x85" or char in _SEPARATORS:
            return f"holds a line break, {describe(char)}, at character {i}; labels are one line"
        if char in BIDI_CONTROLS:
            return f"holds {describe(char)} at character {i} (bidirectional control)"
        if unicodedata.category(char) == "Cc":
            return f"holds {describe(char)} at character {i}"
    if value != value.strip():
        return "has leading or trailing whitespace"
    if len(value) > max_length:
        return f"is {len(value)} characters long (at most {max_length})"
    return None


def iri_chars_problem(value: str) -> str | None:
    """What character of *value* an IRI may not hold (RFC 3987), or None.

    Spaces, control characters, the characters ``< > " { } | \\ ^`` and the
    backtick, bidi controls and other invisible formatting characters, and a ``%``
    not followed by two hex digits. Any scheme; see :func:`iri_problem` for URLs.

    Examples
    --------
    >>> iri_chars_problem("urn:isbn:0451450523") is None
    True
    >>> iri_chars_problem("https://example.org/x> } <y")
    "holds '>' at character 22, which an IRI may not hold (percent-encode it as %3E)"
    """
    for i, char in enumerate(value, start=1):
        category = unicodedata.category(char)
        if char in _IRI_EXCLUDED or char == " " or (category == "Cc" and char.isascii()):
            return (
                f"holds {char!r} at character {i}, which an IRI may not hold "
                f"(percent-encode it as %{ord(char):02X})"
            )
        if not char.isascii() and category[0] in "CZ":  # controls, formats, separators, unassigned
            return f"holds {describe(char)} at character {i}, which an IRI may not hold"
    bad = _PERCENT.search(value)
    if bad:
        return f"holds a '%' at character {bad.start() + 1} not followed by two hex digits"
    return None


def iri_problem(value: object) -> str | None:
    """What is wrong with *value* as an absolute http(s) IRI, or None if nothing.

    The characters are checked by :func:`iri_chars_problem`; then it must be an
    ``http://`` or ``https://`` URL with a host (and a numeric port, if any).

    Examples
    --------
    >>> iri_problem("https://en.wikipedia.org/wiki/Andrew_Ng") is None
    True
    >>> iri_problem('https://example.org/a"b')
    'holds \\'"\\' at character 22, which an IRI may not hold (percent-encode it as %22)'
    >>> iri_problem("javascript:alert(1)")
    'must be an absolute http:// or https:// URL with a host'
    """
    if not isinstance(value, str):
        return f"must be text, not {_kind(value)} ({value!r})"
    problem = iri_chars_problem(value)
    if problem:
        return problem
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not value.startswith(f"{parts.scheme}://")
    ):
        return "must be an absolute http:// or https:// URL with a host"
    return None
