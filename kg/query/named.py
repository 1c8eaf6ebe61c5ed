"""Query: named SPARQL queries, parameters, and results as Python data.

Named queries are ``.rq`` files in ``kg/query/queries/``; each starts with a header::

    # title: Baidu alumni and what they founded
    # en: Who worked at an organisation, and what did each of them found?
    # zh: 曾在某机构任职的人各自创立了哪些公司？
    # param org: kg:org/baidu  the organisation
    # param lang: "zh-Hans"  language of the labels

Parameters are written ``$name`` in the query, and each has its default bound in
the query itself, in a ``VALUES $name { term }`` clause (or ``VALUES ($a $b) {
(term term) }``) at the top of every group that uses it. So a named query gives
its default answer as it stands, in any SPARQL client. :func:`bind` removes these
clauses and replaces the ``$name`` tokens with the bound value (or the default)
as an RDF term, so the same query text runs unchanged on every store, the remote
ones included, and each store sees constants rather than a join with a table.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import KGError
from kg.project._text import iri_chars_problem
from kg.project.namespaces import BASE, PREFIXES

if TYPE_CHECKING:
    from kg.query.store import KGStore

__all__ = [
    "NamedQuery",
    "QueryError",
    "bind",
    "dataframe",
    "in_query_defaults",
    "named_queries",
    "python_value",
    "resolve",
    "rows",
    "run",
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
_TERM = r'<[^<>"{}|^`\\\s]*>|"(?:[^"\\\n]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*)?|-?\d+(?:\.\d+)?'
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


@dataclass
class QueryRun:
    """A query as run: its final text, kind and result.

    ``result`` is the store's own answer: pyoxigraph's for Oxigraph stores (read
    natively, without converting every term to rdflib), an rdflib ``Result``
    otherwise. Read it once, with :func:`rows` or :func:`serialize`.
    """

    text: str
    kind: str  #: SELECT, ASK, CONSTRUCT or DESCRIBE
    result: Any
    named: NamedQuery | None = None
    variables: list[str] = field(default_factory=list)

    @property
    def native(self) -> bool:
        return type(self.result).__module__.startswith("pyoxigraph")

    @property
    def boolean(self) -> bool:
        """The answer of an ASK query."""
        return bool(self.result) if self.native else bool(self.result.askAnswer)


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
        if bound[name] != term(default):
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
    terms = {name: term(value) for name, value in values}

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


def syntax_error(text: str) -> str | None:
    """The parser's message, with line and column, if *text* is not valid SPARQL."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parseQuery(text)
    except ParseException as exc:
        line = exc.line.strip()
        return f"line {exc.lineno}, column {exc.col}: {exc.msg}; near: {line[:80]!r}"
    except Exception as exc:  # rdflib raises a few other kinds for bad input
        return str(exc)
    return None


def run(
    store: KGStore, query: str, bindings: dict[str, str] | None = None, lang: str | None = None
) -> QueryRun:
    """Resolve, bind and run a query on *store*.

    Parameters
    ----------
    store : KGStore
        From :func:`kg.query.store.open_store`.
    query : str
        A named query, a ``.rq`` path, ``-`` or the query text.
    bindings : dict, optional
        Parameter values as text (``{"org": "org/baidu"}``).
    lang : str, optional
        The label language, bound to ``$lang`` where the query has it.
    """
    text, named = resolve(query)
    values = dict(bindings or {})
    if lang and "lang" in _parameters(text) and "lang" not in values:
        values["lang"] = f'"{lang}"'
    final = bind(text, values, named)
    kind = query_kind(final)
    try:
        result = store.query(final)
        if type(result).__module__.startswith("pyoxigraph"):
            variables = [v.value for v in getattr(result, "variables", [])]
        elif isinstance(result, tuple):  # rdflib's SPARQLStore reports HTTP errors so
            message = syntax_error(final) if result[0] == 400 else None
            if message:
                raise QueryError(f"malformed query: {message}")
            raise QueryError(f"the endpoint answered {result[1]}")
        else:
            if kind == "ASK" and result.type != "ASK":
                result = _ask_from_table(result)
            variables = [str(v) for v in result.vars or []] if kind == "SELECT" else []
            if kind == "SELECT":
                result.bindings  # noqa: B018 - evaluate now, so errors surface here
    except KGError:
        raise
    except SyntaxError as exc:  # Oxigraph's parser: "error at LINE:COLUMN: …"
        raise QueryError(f"malformed query: {oxigraph_position(str(exc))}") from None
    except Exception as exc:
        message = syntax_error(final)
        if message:
            raise QueryError(f"malformed query: {message}") from None
        raise QueryError(f"the store could not run the query: {str(exc).splitlines()[0]}") from None
    return QueryRun(final, kind, result, named, variables)


def _ask_from_table(table: Any) -> Any:
    """An ASK answer that an endpoint sent as a table, as Virtuoso 7 does: one column
    (``__ASK_RETVAL``), one row holding 1 for true and no row for false."""
    from rdflib.query import Result

    rows = list(table)
    if len(table.vars or []) != 1 or len(rows) > 1:
        raise QueryError("the endpoint answered an ASK query with a table, not true or false")
    answer = Result("ASK")
    value = rows[0][0].toPython() if rows and rows[0][0] is not None else False
    if isinstance(value, str):
        answer.askAnswer = value.strip().lower() in ("true", "1")
    else:
        answer.askAnswer = bool(value)
    return answer


def oxigraph_position(message: str) -> str:
    match = re.match(r"error at (\d+):(\d+): (.*)", message, re.DOTALL)
    if match:
        return f"line {match.group(1)}, column {match.group(2)}: {match.group(3).strip()}"
    return message.strip()


_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {
    _XSD + name
    for name in [
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    ]
}


@functools.lru_cache(maxsize=1)
def _ox_converter() -> Callable[[Any], Any]:
    """A function from pyoxigraph terms to Python values, with its lookups bound once."""
    from decimal import Decimal

    import pyoxigraph as ox

    literal = ox.Literal
    convert: dict[str, Callable[[str], Any]] = dict.fromkeys(_INTEGERS, int)
    convert[_XSD + "decimal"] = Decimal
    convert[_XSD + "double"] = float
    convert[_XSD + "float"] = float
    convert[_XSD + "boolean"] = lambda v: v in ("true", "1")

    def value(term: Any) -> Any:
        if term is None:
            return None
        if type(term) is literal:
            cast = convert.get(term.datatype.value)
            if cast is not None:
                try:
                    return cast(term.value)
                except (ValueError, ArithmeticError):
                    return term.value
        return term.value

    return value


def python_value(node: Any) -> Any:
    """A Python value for an rdflib term: IRIs as strings, partial dates kept as text."""
    from rdflib import Literal
    from rdflib.namespace import XSD

    if node is None:
        return None
    if isinstance(node, Literal):
        if node.datatype in (XSD.gYear, XSD.gYearMonth, XSD.date, XSD.dateTime):
            return str(node)  # never turn 2018-05 into a day
        value = node.toPython()
        return value if not isinstance(value, Literal) else str(value)
    return str(node)


def rows(done: QueryRun) -> list[dict[str, Any]]:
    """SELECT results as a list of dicts of Python values (IRIs as strings, dates as text)."""
    names = done.variables
    if done.native:
        value = _ox_converter()
        return [dict(zip(names, map(value, solution), strict=True)) for solution in done.result]
    return [{name: python_value(row[i]) for i, name in enumerate(names)} for row in done.result]


def dataframe(
    store: KGStore, query: str, bindings: dict[str, str] | None = None, lang: str | None = None
) -> Any:
    """Run a SELECT query and return a pandas DataFrame (for notebooks).

    Examples
    --------
    >>> from kg.query.store import open_store
    >>> from kg.project import project_root
    >>> store = open_store("oxigraph", project_root() / "build" / "kg.nt")  # doctest: +SKIP
    >>> dataframe(store, "founders").columns.tolist()[:2]  # doctest: +SKIP
    ['company', 'companyLabel']
    """
    import pandas as pd

    done = run(store, query, bindings, lang)
    if done.kind != "SELECT":
        raise QueryError(f"a DataFrame needs a SELECT query, not {done.kind}")
    return pd.DataFrame(rows(done), columns=done.variables)


_IRI = re.compile(r"<([^<>\s]+)>")
_PNAME = re.compile(r"(?<![\w<\"'?$])([A-Za-z][\w-]*):([A-Za-z_](?:[\w/.-]*[\w/-])?)")


def unknown_terms(text: str, ontology: Path) -> list[str]:
    """Terms of the project's vocabularies the query names but the ontology does not declare.

    Entity IRIs (``kg:person/…``) are not terms and are not checked.
    """
    from rdflib import Graph

    graph = Graph().parse(ontology)
    declared = {str(s) for s in graph.subjects()}
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


RESULT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
}


def _tsv(result: Any) -> bytes:
    names = [str(v) for v in result.vars or []]
    lines = ["\t".join(f"?{n}" for n in names)]
    for row in result:
        lines.append("\t".join(term.n3() if term is not None else "" for term in row))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _sorted_nt(text: str) -> bytes:
    return ("\n".join(sorted({line for line in text.splitlines() if line.strip()})) + "\n").encode()


def serialize(done: QueryRun, fmt: str) -> bytes:
    """Serialize a result in a W3C format.

    SELECT and ASK results: ``json``, ``xml``, ``csv``, ``tsv`` (SPARQL 1.1
    Query Results). CONSTRUCT and DESCRIBE graphs: ``ttl``, ``nt``, ``jsonld``.
    """
    if done.kind in ("CONSTRUCT", "DESCRIBE"):
        if fmt not in GRAPH_FORMATS:
            raise QueryError(f"a {done.kind} result is a graph: use ttl, nt or jsonld, not {fmt}")
        from rdflib import Graph

        if done.native:
            import pyoxigraph as ox

            nt = done.result.serialize(format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
            if fmt == "nt":
                return _sorted_nt(nt)
            graph = Graph().parse(data=nt, format="nt")
        else:
            graph = done.result.graph
            assert graph is not None
            if fmt == "nt":
                return _sorted_nt(graph.serialize(format="nt"))
        for prefix, ns in PREFIXES.items():
            graph.bind(prefix, ns, override=True)
        rdf_format = {"ttl": "turtle", "jsonld": "json-ld"}[fmt]
        return graph.serialize(format=rdf_format, encoding="utf-8")
    if fmt not in RESULT_FORMATS:
        raise QueryError(f"a {done.kind} result is a table: use json, xml, csv or tsv, not {fmt}")
    if done.kind == "ASK" and fmt in ("csv", "tsv"):
        return (("true" if done.boolean else "false") + "\n").encode()
    if done.native:
        import pyoxigraph as ox

        formats = {
            "json": ox.QueryResultsFormat.JSON,
            "xml": ox.QueryResultsFormat.XML,
            "csv": ox.QueryResultsFormat.CSV,
            "tsv": ox.QueryResultsFormat.TSV,
        }
        return bytes(done.result.serialize(format=formats[fmt]))
    if fmt == "tsv":
        return _tsv(done.result)
    data = done.result.serialize(format=fmt, encoding="utf-8")
    return data if isinstance(data, bytes) else str(data).encode("utf-8")
