"""Results: SELECT tables and CONSTRUCT graphs in the W3C formats, chosen by Accept or ?format=."""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import Iterable
from typing import Any

from kg.serve.check import Refused

__all__ = ["FORMAT_TYPES", "choose", "serialize_graph", "serialize_table"]

RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "ttl",
    "application/turtle": "ttl",
    "application/x-turtle": "ttl",
    "text/n3": "ttl",  # Turtle is N3
    "text/rdf+n3": "ttl",
    "application/n3": "ttl",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
}
FORMAT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "ttl": "text/turtle; charset=utf-8",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}


def choose(form: str, accept: str, fmt: str | None) -> str:
    """The output format for a query form, from ?format= or the Accept header."""
    table = GRAPH_TYPES if form in ("CONSTRUCT", "DESCRIBE") else RESULT_TYPES
    allowed = set(table.values())
    if fmt:  # ?format= (or SPARQLWrapper's output=): a short name or a media type
        name = fmt.strip().lower()
        graph = form in ("CONSTRUCT", "DESCRIBE")
        aliases = {
            "turtle": "ttl",
            "n3": "ttl",
            "ntriples": "nt",
            "n-triples": "nt",
            "json-ld": "jsonld",
            "rdf": "rdfxml",
            "rdf+xml": "rdfxml",
            "xml": "rdfxml" if graph else "xml",
            "json": "jsonld" if graph else "json",
        }
        name = table.get(name, aliases.get(name, name))
        if name in allowed:
            return name
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",") if accept else []):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                with contextlib.suppress(ValueError):
                    q = float(param[2:])
        if q > 0:
            ranked.append((-q, index, media.lower()))
    if not ranked:
        return "ttl" if form in ("CONSTRUCT", "DESCRIBE") else "json"
    for _, _, media in sorted(ranked):
        if media in table:
            return table[media]
        if media in ("*/*", "application/*", "text/*"):
            return "ttl" if form in ("CONSTRUCT", "DESCRIBE") else "json"
    raise Refused(406, f"cannot answer a {form} query as {accept!r}")


def _term(term: Any) -> tuple[str, str, str | None, str | None]:
    """(kind, value, language, datatype) for a pyoxigraph or rdflib term."""
    name = type(term).__name__
    if name == "NamedNode" or name == "URIRef":
        return ("uri", str(term.value if hasattr(term, "value") else term), None, None)
    if name in ("BlankNode", "BNode"):
        return ("bnode", str(term.value if hasattr(term, "value") else term), None, None)
    if hasattr(term, "datatype") and hasattr(term, "value") and not isinstance(term, str):
        value, language = term.value, term.language  # pyoxigraph
        datatype = term.datatype.value if term.datatype is not None else None
    else:
        value, language = str(term), getattr(term, "language", None)
        datatype = str(term.datatype) if getattr(term, "datatype", None) is not None else None
    if language or datatype in ("http://www.w3.org/2001/XMLSchema#string", None):
        datatype = None
    if datatype == "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString":
        datatype = None
    return ("literal", str(value), language, datatype)


def _nt(term: tuple[str, str, str | None, str | None]) -> str:
    kind, value, language, datatype = term
    if kind == "uri":
        return f"<{value}>"
    if kind == "bnode":
        return f"_:{value}"
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    if language:
        return f'"{escaped}"@{language}'
    if datatype:
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'


def _csv_cell(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _xml(text: str) -> str:
    return html.escape(text, quote=True)


def serialize_table(
    variables: list[str], solutions: Iterable[Iterable[Any]], fmt: str, max_rows: int
) -> tuple[bytes, bool]:
    """SELECT results in a W3C format, at most *max_rows* rows; returns (body, truncated)."""
    Cell = tuple[str, str, str | None, str | None]
    converted: dict[Any, Cell] = {}  # results repeat their terms: convert each once

    def convert(term: Any) -> Cell:
        found = converted.get(term)
        if found is None:
            found = converted[term] = _term(term)
        return found

    rows: list[list[Cell | None]] = []
    truncated = False
    for solution in solutions:
        if len(rows) == max_rows:
            truncated = True
            break
        rows.append([convert(t) if t is not None else None for t in solution])
    if fmt == "json":
        fragments: dict[Cell, str] = {}

        def fragment(c: Cell) -> str:
            found = fragments.get(c)
            if found is None:
                kind, value, language, datatype = c
                entry = {"type": kind, "value": value}
                if language:
                    entry["xml:lang"] = language
                if datatype:
                    entry["datatype"] = datatype
                found = fragments[c] = json.dumps(entry, ensure_ascii=False)
            return found

        keys = [json.dumps(v, ensure_ascii=False) + ":" for v in variables]
        bindings = ",".join(
            "{" + ",".join(k + fragment(c) for k, c in zip(keys, row, strict=True) if c) + "}"
            for row in rows
        )
        head: dict[str, Any] = {"vars": variables}
        if truncated:
            head["link"] = [f"urn:kg:truncated:{max_rows}"]
        head_json = json.dumps(head, ensure_ascii=False)
        text = f'{{"head": {head_json}, "results": {{"bindings": [{bindings}]}}}}'
        return text.encode("utf-8"), truncated
    if fmt == "xml":
        out = [
            '<?xml version="1.0"?>',
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
            "<head>",
        ]
        out += [f'<variable name="{_xml(v)}"/>' for v in variables]
        if truncated:
            out.append(f'<link href="urn:kg:truncated:{max_rows}"/>')
        out.append("</head><results>")
        for row in rows:
            out.append("<result>")
            for name, cell in zip(variables, row, strict=True):
                if cell is None:
                    continue
                kind, value, language, datatype = cell
                if kind == "literal":
                    attrs = f' xml:lang="{_xml(language)}"' if language else ""
                    attrs += f' datatype="{_xml(datatype)}"' if datatype else ""
                    inner = f"<literal{attrs}>{_xml(value)}</literal>"
                else:
                    inner = f"<{kind}>{_xml(value)}</{kind}>"
                out.append(f'<binding name="{_xml(name)}">{inner}</binding>')
            out.append("</result>")
        out.append("</results></sparql>")
        return ("\n".join(out) + "\n").encode("utf-8"), truncated
    if fmt == "csv":
        lines = [",".join(_csv_cell(v) for v in variables)]
        lines += [",".join(_csv_cell(c[1]) if c else "" for c in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8"), truncated
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines += ["\t".join(_nt(c) if c else "" for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8"), truncated


def serialize_graph(triples: Iterable[Any], fmt: str, max_rows: int) -> tuple[bytes, bool]:
    """CONSTRUCT/DESCRIBE results as Turtle, N-Triples, JSON-LD or RDF/XML, capped at *max_rows*."""
    from rdflib import Graph

    from kg.project.namespaces import PREFIXES

    lines: list[str] = []
    truncated = False
    for triple in triples:
        if len(lines) == max_rows:
            truncated = True
            break
        parts = (
            (triple.subject, triple.predicate, triple.object)
            if hasattr(triple, "subject")
            else triple
        )
        lines.append(" ".join(_nt(_term(t)) for t in parts) + " .")
    nt = "\n".join(sorted(set(lines))) + ("\n" if lines else "")
    if fmt == "nt":
        return nt.encode("utf-8"), truncated
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    graph.parse(data=nt, format="nt")
    rdf_format = {"ttl": "turtle", "jsonld": "json-ld", "rdfxml": "xml"}[fmt]
    body = graph.serialize(format=rdf_format, encoding="utf-8")
    return body, truncated
