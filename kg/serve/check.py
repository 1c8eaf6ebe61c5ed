"""The query check: read a query as the engines read it, and refuse what is unsafe.

The check runs in the HTTP process, before any worker sees the query. It reads
the text by the SPARQL 1.1 grammar's terminals (§19.8: whitespace is space, tab,
CR and LF only; a comment runs from ``#`` to the first CR *or* LF; strings, IRIs,
variables, prefixed names and blank nodes as their productions say). Where
engines read a text differently it reads it both ways and refuses what either
reading shows: ``\\u`` escapes decoded only inside strings and IRIs (Oxigraph) and
in the whole text first (the grammar's §19.2, rdflib). A ``<`` right after a value
inside parentheses may be an IRI or less-than (Oxigraph's expression parser); it
is refused if the two readings could differ in anything that matters (brackets,
a quote, a comment that hides a long string's start). A quote that opens no
complete string is refused (the engine rejects it too). The lexer's time is
linear in the query's length.

Refused, with the HTTP status the client gets:

- 400: SERVICE, FROM and FROM NAMED — a keyword, or any bare word or prefix
  *holding* one (Oxigraph matches keywords without a word boundary: it reads
  ``SERVICE:x``, ``SERVICESILENT<…>`` and ``falseSERVICE<…>`` as the keyword), in
  any letter case;
- 403: updates (the first keyword after the prologue is INSERT, DELETE, LOAD …);
- 400: a query longer than ``max_bytes`` (UTF-8) or nested deeper than
  ``max_depth`` brackets (``{``, ``(`` and ``[`` together) in any reading: deep
  nesting overflows the engine's stack and kills the worker;
- 400: an empty query, or an escape that names no character.

Stores that evaluate with rdflib are also checked with rdflib's own parser
(:func:`check_with_rdflib`), in the worker.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Limits", "Refused", "check_query", "check_with_rdflib", "keywords"]


class Refused(Exception):
    """A query the endpoint will not run: the HTTP status and a short message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """How big a query may be."""

    max_bytes: int = 65_536  #: UTF-8 bytes of query text
    max_depth: int = 128  #: brackets open at once ({, ( and [ together)


DEFAULT_LIMITS = Limits()

# --- the grammar's terminals (SPARQL 1.1 Query, §19.8) --------------------------------
#
# Every repetition is possessive (Python 3.11's *+), and a run of name characters is one
# token whatever follows it, so the lexer takes time linear in the query's length.

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:[{_PN_CHARS}.:]|{_PLX})*+"
_VARNAME = f"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*+"
_ECHAR = r"""\\[tbnrf\\"']"""
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_Q1 = "'"
_Q3 = "'''"


def _lexer(uchar: bool) -> re.Pattern[str]:
    """The terminals; with *uchar*, strings and IRIs may hold ``\\u`` escapes (as Oxigraph
    reads them: it does not apply the escapes to the whole text first)."""
    esc = f"{_ECHAR}|{_UCHAR}" if uchar else _ECHAR
    iri = r"[^<>\"{}|^`\\\x00-\x20]" + (f"|{_UCHAR}" if uchar else "")
    terminals = [
        ("ws", r"[ \t\r\n]++"),
        ("comment", r"#[^\r\n]*+"),
        ("string", rf'"""(?:(?:"|"")?+(?:[^"\\]|{esc}))*+"""'),
        ("string", rf"{_Q3}(?:(?:{_Q1}|{_Q1}{_Q1})?+(?:[^{_Q1}\\]|{esc}))*+{_Q3}"),
        ("string", rf'"(?:[^"\\\n\r]|{esc})*+"'),
        ("string", rf"{_Q1}(?:[^{_Q1}\\\n\r]|{esc})*+{_Q1}"),
        # a quote that opens no complete string: the engine rejects the query
        ("badstring", r"\"|'"),
        ("iri", rf"<(?:{iri})*+>"),
        ("var", rf"[?$]{_VARNAME}"),
        ("langtag", r"@[A-Za-z]++(?:-[A-Za-z0-9]++)*+"),
        ("bnode", rf"_:[{_PN_CHARS_U}0-9][{_PN_CHARS}.]*+"),
        ("number", r"(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)(?:[eE][+-]?[0-9]++)?+"),
        # a prefixed name, or a bare word (keywords, functions, true/false): one run
        ("name", rf"[{_PN_CHARS_BASE}][{_PN_CHARS}.]*+(?::(?:{_PN_LOCAL})?+)?+"),
        ("name", rf":(?:{_PN_LOCAL})?+"),
        ("open", r"[({\[]"),
        ("close", r"[)}\]]"),
        ("other", r"."),
    ]
    return re.compile(
        "|".join(f"(?P<{kind}{i}>{pattern})" for i, (kind, pattern) in enumerate(terminals)),
        re.DOTALL,
    )


_LEXERS = {uchar: _lexer(uchar) for uchar in (False, True)}
_KINDS = {name: re.sub(r"[0-9]+$", "", name) for name in _LEXERS[True].groupindex}
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_OPERANDS = {"var", "string", "number", "iri", "name", "close", "langtag"}

_OUTBOUND = ("SERVICE", "FROM", "NAMED")
_UPDATES = (
    "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH",
)  # fmt: skip
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def unescape(text: str) -> str:
    """Apply SPARQL's codepoint escapes (``\\uXXXX``, ``\\UXXXXXXXX``) to the whole text."""

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise Refused(400, "malformed query: an escape names no character")
        return chr(code)

    return _ESCAPE.sub(char, text)


def _kind(match: re.Match[str]) -> str:
    return _KINDS.get(match.lastgroup or "", "other")


def tokens(text: str, *, uchar: bool = True) -> Iterable[tuple[str, str]]:
    """(kind, text) of every token of *text*.

    Examples
    --------
    >>> [t for t in tokens('ASK { ?s ex:p "x" } # c') if t[0] != "ws"]
    [('name', 'ASK'), ('open', '{'), ('var', '?s'), ('name', 'ex:p'), ('string', '"x"'), \
('close', '}'), ('comment', '# c')]
    """
    for match in _LEXERS[uchar].finditer(text):
        yield _kind(match), match.group()


def keywords(text: str) -> list[str]:
    """The bare words of a query as Oxigraph reads it, upper-cased.

    Examples
    --------
    >>> keywords('SELECT ?from WHERE { ?s ex:SERVICE "FROM" } # SERVICE')
    ['SELECT', 'WHERE']
    >>> keywords("SELECT * WHERE { # x\\rSERVICE <http://x/> { ?s ?p ?o }\\n }")
    ['SELECT', 'WHERE', 'SERVICE']
    """
    return [t.upper() for kind, t in tokens(text) if kind == "name" and ":" not in t]


@dataclass
class _Reading:
    form: str | None = None
    first: str | None = None
    code: bool = False


def _refuse_outbound(keyword: str, seen: str) -> Refused:
    if keyword == "SERVICE":
        what = "SERVICE is not allowed: this endpoint makes no outbound requests"
    else:
        what = "FROM and FROM NAMED are not allowed: this endpoint reads no other graphs"
    if seen.upper() != keyword:
        what += f" (read {seen[:40]!r} as holding {keyword}; rename a prefix that holds it)"
    return Refused(400, what)


def _ambiguous(text: str, end: int, iri: str) -> bool:
    """Whether an IRI token read right after a value inside parentheses could change the
    reading if the engine took its ``<`` for less-than (as in an expression) instead.

    Read as less-than, the IRI's inside is code: ``)`` or ``(`` or ``[`` ``]`` would close or
    open brackets (SERVICE can follow only once the expression is closed), a ``'`` would
    open a string, and a ``#`` a comment that hides the ``>`` and the rest of its line, after
    which this reading could open a long string the engine does not see.
    """
    inside = iri[1:-1]
    if any(c in inside for c in "()[]'"):
        return True
    if "#" in inside:
        line_end = text.find("\n", end)
        rest = text[end : line_end if line_end >= 0 else len(text)]
        cr = rest.find("\r")
        rest = rest if cr < 0 else rest[:cr]
        return "'''" in rest or '"""' in rest
    return False


def _read(text: str, limits: Limits, *, uchar: bool) -> _Reading:
    """One reading of *text*: refuse what it shows; return its form and first keyword."""
    reading = _Reading()
    depth = 0
    stack: list[str] = []
    previous = ""
    kinds = _KINDS
    for match in _LEXERS[uchar].finditer(text):
        kind = kinds[match.lastgroup or ""]
        if kind == "ws" or kind == "comment":
            continue
        token = match.group()
        reading.code = True
        if kind == "badstring":
            raise Refused(400, "malformed query: a string that does not end")
        if kind == "open":
            depth += 1
            stack.append(token)
            if depth > limits.max_depth:
                raise Refused(
                    400,
                    f"the query nests brackets more than {limits.max_depth} deep; "
                    "this endpoint refuses deeper nesting",
                )
        elif kind == "close":
            depth = max(0, depth - 1)
            if stack:
                stack.pop()
        elif kind == "name":
            # Oxigraph matches keywords with no word boundary ("falseSERVICE<…>",
            # "SERVICE:x"): a run or prefix that holds a refused keyword anywhere is refused.
            head = token.split(":", 1)[0]
            upper = head.upper()
            for keyword in _OUTBOUND:
                if keyword in upper:
                    raise _refuse_outbound(keyword, head)
            if ":" not in token:
                if reading.first is None and upper not in ("BASE", "PREFIX"):
                    reading.first = upper
                if reading.form is None:
                    reading.form = next((f for f in _FORMS if upper.startswith(f)), None)
        elif (
            kind == "iri"
            and previous in _OPERANDS
            and stack
            and stack[-1] == "("
            and _ambiguous(text, match.end(), token)
        ):
            raise Refused(
                400,
                f"ambiguous '<' in {token[:40]!r}: after a value in an expression '<' is "
                "less-than, and read so this text holds brackets, a quote or a comment; "
                "put a space after a less-than, or keep ( ) [ ] ' # out of this IRI",
            )
        previous = kind
    return reading


def _check(text: str, limits: Limits) -> str:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise Refused(
            400,
            f"the query is {size} bytes; this endpoint takes queries of at most "
            f"{limits.max_bytes} bytes",
        )
    # Engines differ: Oxigraph decodes \u escapes only inside strings and IRIs, the
    # grammar (and rdflib) in the whole text first. The query is refused if either reading
    # shows a refused feature; a "<" that either could read two ways is refused in both.
    variants = [(text, True)]
    if "\\u" in text or "\\U" in text:
        variants.append((unescape(text), False))
    main: _Reading | None = None
    for variant, uchar in variants:
        reading = _read(variant, limits, uchar=uchar)
        if main is None:
            main = reading
    assert main is not None
    if main.first is not None and main.first.startswith(_UPDATES):
        raise Refused(
            403,
            "this endpoint is read-only: updates (INSERT, DELETE, LOAD, CLEAR, DROP, …) "
            "are refused",
        )
    if not main.code:
        raise Refused(400, "the query is empty")
    # With no form keyword the engine's parser rejects the text, with its line and column.
    return main.form or "SELECT"


@functools.lru_cache(maxsize=512)
def _cached(text: str, limits: Limits) -> tuple[str | None, int, str]:
    try:
        return _check(text, limits), 0, ""
    except Refused as exc:
        return None, exc.status, str(exc)


def check_query(text: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """Check *text* before it is evaluated; return its form or raise :class:`Refused`.

    Returns the query form (SELECT, ASK, CONSTRUCT or DESCRIBE). Results are
    cached for texts up to 20 000 characters (longer ones would fill the cache).

    Examples
    --------
    >>> check_query("ASK { ?s ?p ?o }")
    'ASK'
    >>> check_query("SELECT * { # x\\rSERVICE <http://127.0.0.1/> { ?s ?p ?o }\\n }")
    Traceback (most recent call last):
    ...
    kg.serve.check.Refused: SERVICE is not allowed: this endpoint makes no outbound requests
    """
    if len(text) <= 20_000:
        form, status, message = _cached(text, limits)
    else:
        try:
            form, status, message = _check(text, limits), 0, ""
        except Refused as exc:
            form, status, message = None, exc.status, str(exc)
    if form is None:
        raise Refused(status, message)
    return form


def _walk(node: Any) -> Iterable[Any]:
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, CompValue):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif hasattr(item, "asList") and not isinstance(item, str):
            stack.extend(list(item))


def check_with_rdflib(text: str) -> None:
    """Refuse SERVICE, FROM and FROM NAMED as rdflib's own parser reads *text*.

    For stores that evaluate with rdflib, whose lexer differs from the grammar
    (a comment ends only at LF): its own parse tree is what it would run.
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        parsed = parseQuery(text)
    except ParseException as exc:
        raise Refused(
            400, f"malformed query: line {exc.lineno}, column {exc.col}: {exc.msg}"
        ) from None
    except RecursionError:
        raise Refused(400, "the query nests too deep for this engine") from None
    except Exception as exc:
        raise Refused(400, f"malformed query: {str(exc).splitlines()[0][:200]}") from None
    for item in _walk(parsed):
        if isinstance(item, CompValue):
            if item.name == "ServiceGraphPattern":
                raise _refuse_outbound("SERVICE", "SERVICE")
            if item.name == "DatasetClause" or "datasetClause" in item:
                raise _refuse_outbound("FROM", "FROM")
