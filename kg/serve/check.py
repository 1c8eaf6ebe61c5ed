"""The query check: read a query as the engine reads it, and refuse what is unsafe.

The check runs in the HTTP process, before any worker sees the query. It reads
the text by the SPARQL 1.1 grammar's lexical rules (§19.2 codepoint escapes
first, then the terminals of §19.8: whitespace is space, tab, CR and LF only; a
comment runs from ``#`` to the first CR *or* LF; strings, IRIs, variables,
prefixed names and blank nodes exactly as their productions say). That is how
Oxigraph reads queries, so what the check sees as code is what Oxigraph runs.

Refused, with the HTTP status the client gets:

- 400: SERVICE, FROM and FROM NAMED — a keyword, or a bare word or prefix
  *starting* with one (Oxigraph reads ``SERVICE:x`` and ``SERVICESILENT<…>`` as
  the keyword), in any letter case;
- 403: updates (the first keyword after the prologue is INSERT, DELETE, LOAD …);
- 400: a query longer than ``max_bytes`` (UTF-8) or nested deeper than
  ``max_depth`` brackets (``{``, ``(`` and ``[`` together): deep nesting
  overflows the engine's stack and kills the worker;
- 400: an empty query, or an escape that names no character.

An engine that reads comments differently (rdflib ends them at LF only) is
protected by :func:`check_with_rdflib`, which parses with that engine's own
parser; the worker runs it for stores that evaluate with rdflib.
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

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = (
    f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)
_VARNAME = f"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_ECHAR = r"""\\[tbnrf\\"']"""

_TERMINALS = [
    ("ws", r"[ \t\r\n]+"),
    ("comment", r"#[^\r\n]*"),
    ("string", rf'"""(?:(?:"|"")?(?:[^"\\]|{_ECHAR}))*"""'),
    ("string", rf"'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}))*'''"),
    ("string", rf'"(?:[^"\\\n\r]|{_ECHAR})*"'),
    ("string", rf"'(?:[^'\\\n\r]|{_ECHAR})*'"),
    ("iri", r"<[^<>\"{}|^`\\\x00-\x20]*>"),
    ("var", rf"[?$]{_VARNAME}"),
    ("langtag", r"@[A-Za-z]+(?:-[A-Za-z0-9]+)*"),
    ("bnode", rf"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"),
    ("pname", rf"(?P<prefix>{_PN_PREFIX})?:(?:{_PN_LOCAL})?"),
    ("number", r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?"),
    ("word", r"[A-Za-z][A-Za-z0-9_]*"),
    ("open", r"[({\[]"),
    ("close", r"[)}\]]"),
    ("other", r"."),
]
_LEXER = re.compile(
    "|".join(
        f"(?P<{kind}{i}>{pattern})".replace("(?P<prefix>", f"(?P<prefix{i}>")
        for i, (kind, pattern) in enumerate(_TERMINALS)
    ),
    re.DOTALL,
)
_KIND = {f"{kind}{i}": kind for i, (kind, _) in enumerate(_TERMINALS)}
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

_OUTBOUND = ("SERVICE", "FROM", "NAMED")
_UPDATES = {
    "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH",
}  # fmt: skip
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def unescape(text: str) -> str:
    """Apply SPARQL's codepoint escapes (``\\uXXXX``, ``\\UXXXXXXXX``), as the parser does first."""

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise Refused(400, "malformed query: an escape names no character")
        return chr(code)

    return _ESCAPE.sub(char, text)


def tokens(text: str) -> Iterable[tuple[str, str, str | None]]:
    """(kind, text, prefix) of every token of *text* (already unescaped).

    Examples
    --------
    >>> [(k, t) for k, t, _ in tokens('ASK { ?s ex:p "x" } # c') if k != "ws"]
    [('word', 'ASK'), ('open', '{'), ('var', '?s'), ('pname', 'ex:p'), ('string', '"x"'), \
('close', '}'), ('comment', '# c')]
    """
    for match in _LEXER.finditer(text):
        group = match.lastgroup or "other99"
        kind = _KIND.get(group, "other")
        prefix = match.group(f"prefix{group[5:]}") if kind == "pname" else None
        yield kind, match.group(), prefix


def keywords(text: str) -> list[str]:
    """The bare words of a query, upper-cased, after SPARQL's codepoint escapes are applied.

    Examples
    --------
    >>> keywords('SELECT ?from WHERE { ?s ex:SERVICE "FROM" } # SERVICE')
    ['SELECT', 'WHERE']
    >>> keywords("SELECT * WHERE { SERV\\\\u0049CE <http://x/> { ?s ?p ?o } }")
    ['SELECT', 'WHERE', 'SERVICE']
    >>> keywords("SELECT * WHERE { # x\\rSERVICE <http://x/> { ?s ?p ?o }\\n }")
    ['SELECT', 'WHERE', 'SERVICE']
    """
    return [t.upper() for kind, t, _ in tokens(unescape(text)) if kind == "word"]


def _outbound(word: str) -> str | None:
    upper = word.upper()
    return next((k for k in _OUTBOUND if upper.startswith(k)), None)


def _refuse_outbound(keyword: str, seen: str) -> Refused:
    if keyword == "SERVICE":
        what = "SERVICE is not allowed: this endpoint makes no outbound requests"
    else:
        what = "FROM and FROM NAMED are not allowed: this endpoint reads no other graphs"
    if seen.upper() != keyword:
        what += f" (read {seen[:40]!r} as {keyword}; rename a prefix that starts with it)"
    return Refused(400, what)


def _check(text: str, limits: Limits) -> str:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise Refused(
            400,
            f"the query is {size} bytes; this endpoint takes queries of at most "
            f"{limits.max_bytes} bytes",
        )
    depth = deepest = 0
    form: str | None = None
    first: str | None = None
    code = False
    for kind, token, prefix in tokens(unescape(text)):
        if kind in ("ws", "comment"):
            continue
        code = True
        if kind == "open":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limits.max_depth:
                    raise Refused(
                        400,
                        f"the query nests brackets more than {limits.max_depth} deep; "
                        "this endpoint refuses deeper nesting",
                    )
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "word" or (kind == "pname" and prefix):
            word = token if kind == "word" else str(prefix)
            keyword = _outbound(word)
            if keyword:
                raise _refuse_outbound(keyword, word)
            if kind == "word":
                upper = token.upper()
                if first is None and upper not in ("BASE", "PREFIX"):
                    first = upper
                if form is None and upper in _FORMS:
                    form = upper
    if first in _UPDATES:
        raise Refused(
            403,
            "this endpoint is read-only: updates (INSERT, DELETE, LOAD, CLEAR, DROP, …) "
            "are refused",
        )
    if not code:
        raise Refused(400, "the query is empty")
    # With no form keyword the engine's parser rejects the text, with its line and column.
    return form or "SELECT"


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
