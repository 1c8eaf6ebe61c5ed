"""Warnings about a query that parses but is likely to find nothing.

:func:`query_warnings` is the one check that ``kg query`` prints to standard error
(``Warning: …``), that ``kg serve`` sends with a query's answer (the
``X-KG-Warnings`` header, which the query page shows) and that notebooks call. Each
warning is a sentence naming what the query wrote and what to write instead:

- a term of the project's vocabularies the ontology does not declare (a typo?);
- the ``http://schema.org/`` namespace, where the graph uses ``https://schema.org/``
  (Wikidata's habit);
- ``lang(?x) = "zh-Hans"``: Oxigraph stores language tags in lower case, so a tag
  with capitals never equals ``lang(…)`` there; ``langMatches`` compares them as
  RFC 4647 says, without regard to case.
"""

from __future__ import annotations

import re
from pathlib import Path

from kg.project.namespaces import PREFIXES

__all__ = ["query_warnings"]

HTTP_SCHEMA = "http://schema.org/"
HTTPS_SCHEMA = "https://schema.org/"

# SPARQL's tokens, as far as these checks need them: comments are dropped, strings,
# IRIs, prefixed names and variables are one token each.
_TOKEN = re.compile(
    r"(?P<comment>#[^\n]*)"
    r'|(?P<string>(?:"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*')"
    r"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^\S+)?)"
    r'|(?P<iri><[^<>"{}|^`\\\s]*>)'
    r"|(?P<pname>(?:[A-Za-z][\w.-]*)?:(?:[\w%:-](?:[\w.%:-]*[\w%:-])?)?)"
    r"|(?P<var>[?$]\w+)"
    r"|(?P<word>[A-Za-z_]\w*)"
    r"|(?P<op>!=|<=|>=|&&|\|\||\S)",
    re.DOTALL,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) of each token of *text*, comments left out."""
    return [
        (m.lastgroup or "op", m.group(0)) for m in _TOKEN.finditer(text) if m.lastgroup != "comment"
    ]


def query_warnings(text: str, ontology: Path | None = None) -> list[str]:
    """What in the query *text* is likely wrong, one sentence each (empty: nothing seen).

    *ontology* is the ontology whose terms are known (the project's by default; a
    missing file skips that check).
    """
    from kg.query.named import unknown_terms

    if ontology is None:
        from kg.project import project_root

        ontology = project_root() / "ontology.ttl"
    warnings = []
    if ontology.is_file():
        unknown = unknown_terms(text, ontology)
        if unknown:
            warnings.append(
                "the query names terms the ontology does not declare (a typo?): "
                + ", ".join(_short(u) for u in unknown)
            )
    tokens = _tokens(text)
    warnings += _http_schema(tokens)
    warnings += _lang_case(tokens)
    return warnings


def _short(iri: str) -> str:
    """A term as a prefixed name where one of the project's prefixes fits."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def _http_schema(tokens: list[tuple[str, str]]) -> list[str]:
    """A warning if the query uses http://schema.org/ (as a PREFIX or in a full IRI)."""
    prefixes: list[str] = []
    terms: list[str] = []
    declaration = False
    for i, (kind, token) in enumerate(tokens):
        if kind == "word" and token.upper() == "PREFIX":
            nxt = tokens[i + 1 : i + 3]
            if len(nxt) == 2 and nxt[0][0] == "pname" and nxt[1][1].startswith("<" + HTTP_SCHEMA):
                prefixes.append(nxt[0][1])
                declaration = True
        elif kind == "iri" and token.startswith("<" + HTTP_SCHEMA):
            if declaration:  # the IRI of the PREFIX just read
                declaration = False
                continue
            terms.append(token)
        elif kind == "pname" and token.split(":", 1)[0] + ":" in prefixes and token[-1] != ":":
            if i and tokens[i - 1][1].upper() == "PREFIX":
                continue
            terms.append(token)
    if not prefixes and not terms:
        return []
    named = list(dict.fromkeys(terms)) or [f"PREFIX {p} <{HTTP_SCHEMA}>" for p in prefixes]
    shown = ", ".join(named[:5]) + (", …" if len(named) > 5 else "")
    if prefixes:
        fix = f"PREFIX {prefixes[0]} <{HTTPS_SCHEMA}>"
    else:
        fix = terms[0].replace(HTTP_SCHEMA, HTTPS_SCHEMA, 1)
    return [
        f"the query uses the namespace {HTTP_SCHEMA} ({shown}), but the graph's schema.org "
        f"terms are {HTTPS_SCHEMA}…, so these match nothing: write {fix} "
        f"(schema: is {HTTPS_SCHEMA} where kg declares the prefixes)"
    ]


def _closings(tokens: list[tuple[str, str]]) -> dict[int, int]:
    """The index of the ``)`` that closes each ``(`` (by its index), in one pass: looking for
    each one's match from its place was quadratic in a query of many open ``lang(``."""
    out: dict[int, int] = {}
    open_at: list[int] = []
    for i, (_, token) in enumerate(tokens):
        if token == "(":
            open_at.append(i)
        elif token == ")" and open_at:
            out[open_at.pop()] = i
    return out


def _lang_call(
    tokens: list[tuple[str, str]], i: int, closing: dict[int, int]
) -> tuple[str, int] | None:
    """``lang(…)`` at *i*: its text and the index after it."""
    if not (
        i < len(tokens) - 1
        and tokens[i][0] == "word"
        and tokens[i][1].lower() == "lang"
        and tokens[i + 1][1] == "("
    ):
        return None
    end = closing.get(i + 1)
    if end is None:
        return None
    # (at most a few tokens shown: joining all of a nested call's for each call was quadratic)
    shown = [t for _, t in tokens[i + 2 : min(end, i + 2 + _SHOWN)]]
    inner = " ".join(shown) + (" …" if end > i + 2 + _SHOWN else "")
    return f"{tokens[i][1]}({inner})", end + 1


#: The most tokens of a lang(…) call a warning writes out.
_SHOWN = 12


def _content(literal: str) -> str:
    """The text of a string token, without its quotes, tag or datatype."""
    match = re.match(r'("""|\'\'\'|"|\')(.*)\1', literal, re.DOTALL)
    return match.group(2) if match else literal


def _lang_case(tokens: list[tuple[str, str]]) -> list[str]:
    """Warnings for ``lang(…)`` compared with ``=``, ``!=`` or ``IN`` to a tag with capitals."""
    found: dict[tuple[str, str], str] = {}
    closing = _closings(tokens)
    for i in range(len(tokens)):
        call = _lang_call(tokens, i, closing)
        literals: list[tuple[str, str]] = []  # (operator, literal)
        if call is not None:
            text, at = call  # at: the token after lang(…)
            rest = tokens[at : at + 3]  # (never a copy of the rest of the query)
            if len(rest) >= 2 and rest[0][1] in ("=", "!=") and rest[1][0] == "string":
                literals.append((rest[0][1], rest[1][1]))
            else:
                negated = bool(rest) and rest[0][1].upper() == "NOT"
                if negated:
                    at += 1
                    rest = rest[1:]
                if len(rest) >= 2 and rest[0][1].upper() == "IN" and rest[1][1] == "(":
                    end = closing.get(at + 1, len(tokens))
                    operator = "NOT IN" if negated else "IN"
                    literals += [(operator, t) for k, t in tokens[at + 2 : end] if k == "string"]
        elif (
            tokens[i][0] == "string"
            and i + 2 < len(tokens)
            and tokens[i + 1][1] in ("=", "!=")
            and (reverse := _lang_call(tokens, i + 2, closing)) is not None
        ):
            text = reverse[0]
            literals.append((tokens[i + 1][1], tokens[i][1]))
        for operator, literal in literals:
            tag = _content(literal)
            if tag == tag.lower() or (text, tag) in found:
                continue
            matches = f'langMatches({text}, "{tag}")'
            if operator in ("!=", "NOT IN"):
                matches = "!" + matches
            if operator.endswith("IN"):
                written = f'{text} {operator} (… "{tag}" …)'
                lower = f'"{tag.lower()}" in the list'
            else:
                written = f'{text} {operator} "{tag}"'
                lower = f'{text} {operator} "{tag.lower()}"'
            found[(text, tag)] = (
                f"{written} compares with a language tag in capitals, and Oxigraph (the "
                "default store, and kg serve's) stores tags in lower case, so lang() never "
                f"returns it there: write {matches}, which ignores case (or {lower})"
            )
    return list(found.values())
