"""Named SPARQL queries: their headers, parameters, and binding values into them.

Named queries are ``.rq`` files in ``kg/query/queries/``; each starts with a header::

    # title: Baidu alumni and what they founded
    # en: Who worked at an organisation, and what did each of them found?
    # zh: 曾在某机构任职的人各自创立了哪些公司？
    # param org: kg:org/baidu  the organisation
    # param lang: "zh-Hans"  language of the labels

A parameter whose default is ``UNDEF`` is optional: without a value it stays a variable
(``VALUES $org { UNDEF }`` leaves ``$org`` unbound, so ``roles`` lists every organisation's),
and a value puts a constant in its place like any other parameter's.

Parameters are written ``$name`` in the query, and each has its default bound in
the query itself, in a ``VALUES $name { term }`` clause (or ``VALUES ($a $b) {
(term term) }``) at the top of every group that uses it. So a named query gives
its default answer as it stands, in any SPARQL client. :func:`bind` removes these
clauses and replaces the ``$name`` tokens with the bound value (or the default)
as an RDF term, so the same query text runs unchanged on every store, the remote
ones included, and each store sees constants rather than a join with a table.

Running a query and reading its results is :mod:`kg.query.results`.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from kg.errors import KGError
from kg.project._text import iri_chars_problem
from kg.project.namespaces import BASE, PREFIXES

__all__ = [
    "NamedQuery",
    "QueryError",
    "bind",
    "in_query_defaults",
    "named_queries",
    "resolve",
    "unknown_terms",
]

QUERY_DIR = Path(__file__).resolve().parent / "queries"
_HEADER = re.compile(r"^#\s*(title|en|zh|param)\s*(\w+)?\s*:\s*(.*)$")
# Tokens to step over when substituting: strings, IRIs and comments.
_SKIP = (
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*"
)
_NAME = r"\$[A-Za-z_][A-Za-z0-9_]*"
# A parameter's default: VALUES over $-written variables with one row, e.g.
# VALUES ($org $lang) { (<https://w3id.org/china-ai-kg/org/baidu> "zh-Hans") }.
_TERM = (
    r'<[^<>"{}|^`\\\s]*>|"(?:[^"\\\n]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*)?|-?\d+(?:\.\d+)?'
    r"|\bUNDEF\b"
)
#: The default of an optional parameter: unbound, so the query answers for every value.
UNDEF = "UNDEF"
_DEFAULTS = (
    rf"\bVALUES\s+(?:{_NAME}|\((?:\s*{_NAME})+\s*\))\s*"
    rf"\{{\s*(?:(?:{_TERM})|\((?:\s*(?:{_TERM}))+\s*\))\s*\}}"
)
_PARAM = re.compile(rf"({_SKIP})|(?P<defaults>{_DEFAULTS})|\$([A-Za-z_][A-Za-z0-9_]*)")
_PARAM_NAME = 3  # the group of a $name token
_ENTITY_ID = re.compile(r"^(person|org|market|product|role)/[a-z0-9-]+$")


class QueryError(KGError):
    """A query that cannot be found, parsed or bound."""


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    en: str
    zh: str
    params: dict[str, tuple[str, str]]  #: name -> (default, description)
    text: str
    path: Path

    def defaults(self) -> dict[str, str]:
        return {name: default for name, (default, _) in self.params.items()}


def _parse_header(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    params: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if not match:
            continue
        key, name, value = match.groups()
        if key == "param" and name:
            default, _, description = value.partition("  ")
            params[name] = (default.strip(), description.strip())
        else:
            meta[key] = value.strip()
    for key in ("title", "en", "zh"):
        if key not in meta:
            raise QueryError(f"{path}: the header lacks '# {key}: …'")
    try:
        bound = in_query_defaults(text)
    except QueryError as exc:
        raise QueryError(f"{path}: {exc}") from None
    for name, (default, _) in params.items():
        if name not in bound:
            raise QueryError(
                f"{path}: parameter ${name} has no default in the query; "
                f"add VALUES ${name} {{ {term(default)} }} to each group that uses it"
            )
        if bound[name] != (UNDEF if default == UNDEF else term(default)):
            raise QueryError(
                f"{path}: parameter ${name} defaults to {default} in the header "
                f"but to {bound[name]} in the query"
            )
    extra = sorted(set(bound) - set(params))
    if extra:
        raise QueryError(f"{path}: VALUES ${extra[0]} is not a '# param' of the header")
    return NamedQuery(path.stem, meta["title"], meta["en"], meta["zh"], params, text, path)


def named_queries(folder: Path = QUERY_DIR) -> dict[str, NamedQuery]:
    """The named queries, by name (the file name without ``.rq``)."""
    return dict(_named(folder))


@functools.lru_cache(maxsize=8)
def _named(folder: Path) -> tuple[tuple[str, NamedQuery], ...]:
    return tuple((p.stem, _parse_header(p)) for p in sorted(folder.glob("*.rq")))


def resolve(query: str) -> tuple[str, NamedQuery | None]:
    """Turn a NAME, a FILE.rq path, ``-`` (stdin) or a query text into query text."""
    named = named_queries()
    if query in named:
        return named[query].text, named[query]
    if query == "-":
        return sys.stdin.read(), None
    if re.fullmatch(r"[\w./-]+\.(rq|sparql)", query):
        path = Path(query)
        if not path.is_file():
            raise QueryError(f"{path}: no such query file")
        return path.read_text(encoding="utf-8"), None
    if re.fullmatch(r"[\w-]+", query):
        from difflib import get_close_matches

        close = get_close_matches(query, named, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "; `kg query --list` shows them"
        raise QueryError(f"no named query {query!r}{hint}")
    return query, None


def term(value: str) -> str:
    """An RDF term in SPARQL syntax for a parameter value given as text.

    Examples
    --------
    >>> term("org/baidu")
    '<https://w3id.org/china-ai-kg/org/baidu>'
    >>> term("schema:Person")
    '<https://schema.org/Person>'
    >>> term('"陆奇"')
    '"陆奇"'
    >>> term("2017")
    '2017'
    >>> term("Qi Lu")
    '"Qi Lu"'

    An IRI is checked before it goes into the query, so a value cannot end it early
    and add SPARQL of its own:

    >>> term("<x> } <y>")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kg.query.named.QueryError: parameter value '<x> } <y>' is not an IRI: 'x> } <y' holds '>' at ...
    """
    value = value.strip()
    if _ENTITY_ID.match(value):
        return f"<{BASE}{value}>"
    if value.startswith("<") and value.endswith(">"):
        return f"<{_iri(value, value[1:-1])}>"
    prefix, colon, local = value.partition(":")
    if colon and prefix in PREFIXES and not local.startswith("//"):
        return f"<{_iri(value, PREFIXES[prefix] + local)}>"
    if re.fullmatch(r"https?://\S+", value):
        return f"<{_iri(value, value)}>"
    if _STRING.fullmatch(value):
        return value
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return value
    return text_term(value)


def _iri(value: str, iri: str) -> str:
    problem = iri_chars_problem(iri)
    if problem:
        raise QueryError(f"parameter value {value!r} is not an IRI: {iri!r} {problem}")
    return iri


@functools.lru_cache(maxsize=256)
def _parameters(text: str) -> frozenset[str]:
    names = set()
    for match in _PARAM.finditer(text):
        if match.group(_PARAM_NAME):
            names.add(match.group(_PARAM_NAME))
        elif match.group("defaults"):
            names.update(re.findall(r"\$(\w+)", match.group("defaults")))
    return frozenset(names)


@functools.lru_cache(maxsize=256)
def _in_query_defaults(text: str) -> tuple[tuple[str, str], ...]:
    """The ``VALUES $name { term }`` defaults of *text*, in order (a name may repeat)."""
    found: list[tuple[str, str]] = []
    for match in _PARAM.finditer(text):
        clause = match.group("defaults")
        if clause:
            head, _, row = clause.partition("{")
            names = re.findall(r"\$(\w+)", head)
            terms = re.findall(_TERM, row)
            if len(terms) != len(names):
                raise QueryError(f"VALUES gives {len(terms)} values for {len(names)} parameters")
            found.extend(zip(names, terms, strict=True))
    return tuple(found)


def in_query_defaults(text: str) -> dict[str, str]:
    """The defaults a query binds itself, ``VALUES $name { term }``, as SPARQL terms.

    Examples
    --------
    >>> in_query_defaults('SELECT * { VALUES ($org $lang) { (<urn:x> "en") } ?a ?b $org }')
    {'org': '<urn:x>', 'lang': '"en"'}
    """
    defaults: dict[str, str] = {}
    for name, value in _in_query_defaults(text):
        if defaults.setdefault(name, value) != value:
            raise QueryError(
                f"parameter ${name} has two defaults in the query: {defaults[name]} and {value}"
            )
    return defaults


def parameters(text: str) -> set[str]:
    """The ``$name`` parameters a query text uses."""
    return set(_parameters(text))


def bind(text: str, values: dict[str, str], named: NamedQuery | None = None) -> str:
    """Substitute parameter values (and a named query's defaults) into *text*."""
    used = _parameters(text)
    unknown = sorted(set(values) - used)
    if unknown:
        listed = ", ".join(f"${p}" for p in sorted(used)) or "none"
        raise QueryError(f"the query has no parameter ${unknown[0]} (its parameters: {listed})")
    defaults = named.defaults() if named else in_query_defaults(text)
    # A parameter whose default is text takes text: "100" stays the string "100" and a
    # language tag is dropped, so the query's string functions get what they expect.
    values = {k: text_term(v) if _is_text(defaults.get(k, "")) else v for k, v in values.items()}
    merged = {**defaults, **values}
    return _bind(text, tuple(sorted((k, v) for k, v in merged.items() if k in used)))


_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(@[A-Za-z]+(?:-[A-Za-z0-9]+)*)?')


def _is_text(default: str) -> bool:
    match = _STRING.fullmatch(default.strip())
    return match is not None and not match.group(2)


def text_term(value: str) -> str:
    """A parameter value as a plain string literal.

    Examples
    --------
    >>> text_term("100")
    '"100"'
    >>> text_term('"陆奇"@zh')
    '"陆奇"'
    >>> text_term('say "hi"')
    '"say \\\\"hi\\\\""'
    """
    match = _STRING.fullmatch(value.strip())
    if match:
        return f'"{match.group(1)}"'
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@functools.lru_cache(maxsize=1024)
def _bind(text: str, values: tuple[tuple[str, str], ...]) -> str:
    """The substitution itself, cached: the same query is often run again."""
    # An optional parameter left UNDEF stays a variable: unbound, it matches every value.
    terms = {name: term(value) for name, value in values if value.strip() != UNDEF}

    def swap(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)
        if match.group("defaults") is not None:  # the values replace the clause's variables
            return ""
        return terms.get(match.group(_PARAM_NAME), match.group(0))

    return _PARAM.sub(swap, text)


@functools.lru_cache(maxsize=1024)
def query_kind(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first such keyword outside the prologue."""
    stripped = _PARAM.sub(lambda m: " " if m.group(1) or m.group("defaults") else m.group(0), text)
    match = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", stripped, re.IGNORECASE)
    return match.group(1).upper() if match else "SELECT"


_IRI = re.compile(r"<([^<>\s]+)>")
_PNAME = re.compile(r"(?<![\w<\"'?$])([A-Za-z][\w-]*):([A-Za-z_](?:[\w/.-]*[\w/-])?)")


@functools.lru_cache(maxsize=4)
def _declared(ontology: str, mtime_ns: int) -> frozenset[str]:
    """The terms *ontology* declares, read again when the file changes (``kg serve``
    checks every query)."""
    from rdflib import Graph

    return frozenset(str(s) for s in Graph().parse(ontology).subjects())


def unknown_terms(text: str, ontology: Path) -> list[str]:
    """Terms of the project's vocabularies the query names but the ontology does not declare.

    Entity IRIs (``kg:person/…``) are not terms and are not checked.
    """
    declared = _declared(str(ontology), ontology.stat().st_mtime_ns)
    prefixes = dict(PREFIXES)
    for match in re.finditer(r"PREFIX\s+([\w-]*):\s*<([^>]*)>", text, re.IGNORECASE):
        prefixes[match.group(1)] = match.group(2)
    body = re.sub(r"PREFIX\s+[\w-]*:\s*<[^>]*>", " ", text, flags=re.IGNORECASE)
    body = re.sub(r'"(?:[^"\\]|\\.)*"|#[^\n]*', " ", body)
    vocabularies = {PREFIXES[p] for p in ("schema", "org", "prov", "oa", "kg", "skos")}
    found = {m.group(1) for m in _IRI.finditer(body)}
    found |= {
        prefixes[m.group(1)] + m.group(2) for m in _PNAME.finditer(body) if m.group(1) in prefixes
    }
    unknown = []
    for iri in sorted(found):
        namespace = next((ns for ns in vocabularies if iri.startswith(ns)), None)
        if namespace is None or "/" in iri[len(namespace) :] or iri == namespace:
            continue
        if iri not in declared:
            unknown.append(iri)
    return unknown
