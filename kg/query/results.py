"""Query results: a query run on a store, and its answer as Python data or a W3C format.

The query itself (a named query, its parameters and their binding) is :mod:`kg.query.named`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kg.errors import KGError
from kg.project.namespaces import PREFIXES
from kg.query.named import NamedQuery, QueryError, _parameters, bind, query_kind, resolve

if TYPE_CHECKING:
    from kg.query.store import KGStore

__all__ = [
    "QueryRun",
    "dataframe",
    "python_value",
    "rows",
    "run",
    "serialize",
]


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
