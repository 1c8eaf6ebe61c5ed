"""SHACL validation of the built graph, every check kept, fast enough for a million triples.

Two engines share the work, each on the N-Triples of the graph (written once, see
:func:`kg.graph.writers.sorted_ntriples`, and handed over as bytes rather than triple by triple):

- the core constraints of the shapes (counts, classes, datatypes, node kinds, patterns,
  qualified shapes, ``sh:or`` / ``sh:and``) are checked by the ``shacl`` engine (Rust,
  PyPI ``shacl``), which replaced pySHACL here: at a million triples it takes seconds where
  pySHACL took a minute;
- each SPARQL-based constraint (``sh:sparql``: the quote at its offsets) runs once for all
  its focus nodes — its ``SELECT`` with ``$this`` a variable bound to the shape's targets —
  on pyoxigraph when it is installed (rdflib otherwise). The ``shacl`` engine can evaluate
  it too, and gives the same result, but once per focus node: 3.6 s at 100k triples
  against 0.2 s for loading pyoxigraph and running it there.

Both report the shapes' own messages (``sh:message``), with the focus node and the path;
a constraint without a message is reported by its constraint component and value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = [
    "Shapes",
    "SparqlConstraint",
    "core_violations",
    "load_shapes",
    "sparql_constraints",
    "validate",
    "validate_build",
]

SH = "http://www.w3.org/ns/shacl#"


@dataclass(frozen=True)
class SparqlConstraint:
    shape: str
    target_class: str | None
    select: str  #: the constraint's SELECT, prefixes prepended
    message: str


def sparql_constraints(shapes: Graph) -> list[SparqlConstraint]:
    """Take every ``sh:sparql`` constraint out of *shapes* (the graph is changed) and
    return them, each with the target class of its shape and its prefixes."""
    from rdflib import URIRef

    sh = lambda name: URIRef(SH + name)  # noqa: E731
    found = []
    for shape, constraint in list(shapes.subject_objects(sh("sparql"))):
        select = str(shapes.value(constraint, sh("select")))
        message = str(shapes.value(constraint, sh("message")) or "SPARQL constraint violated")
        lines = []
        for holder in shapes.objects(constraint, sh("prefixes")):
            for decl in shapes.objects(holder, sh("declare")):
                prefix = shapes.value(decl, sh("prefix"))
                namespace = shapes.value(decl, sh("namespace"))
                lines.append(f"PREFIX {prefix}: <{namespace}>")
        target = shapes.value(shape, sh("targetClass"))
        found.append(
            SparqlConstraint(
                str(shape), str(target) if target else None, "\n".join([*lines, select]), message
            )
        )
        for triple in list(shapes.triples((constraint, None, None))):
            shapes.remove(triple)
        shapes.remove((shape, sh("sparql"), constraint))
    return found


def _for_all_targets(c: SparqlConstraint) -> str:
    """The constraint's query with ``$this`` a variable bound to every target of its shape."""
    query = re.sub(r"\$this\b", "?this", c.select)
    if c.target_class:
        query = re.sub(
            r"WHERE\s*\{",
            lambda m: f"{m.group(0)} ?this a <{c.target_class}> .",
            query,
            count=1,
            flags=re.I,
        )
    return _not_exists_as_minus(query)


_NOT_EXISTS = re.compile(r"FILTER\s+NOT\s+EXISTS\s*\{", re.I)
_BINDS = re.compile(r"\b(OPTIONAL|BIND|VALUES|UNION|MINUS|GRAPH|SERVICE|SELECT|FILTER)\b", re.I)
_OUTER_BINDS = re.compile(r"\b(OPTIONAL|BIND|VALUES|UNION|MINUS|GRAPH|SERVICE)\b", re.I)
_VARIABLE = re.compile(r"[?$](\w+)")


def _group_end(query: str, start: int) -> int | None:
    """The index just past the ``}`` closing the group opened at *start* (a ``{``)."""
    depth, quoted = 0, None
    for i in range(start, len(query)):
        ch = query[i]
        if quoted:
            quoted = None if ch == quoted and query[i - 1] != "\\" else quoted
        elif ch in "\"'":
            quoted = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _not_exists_as_minus(query: str) -> str:
    """*query* with each ``FILTER NOT EXISTS { … }`` of its WHERE group written as
    ``MINUS { … }``, where that means the same: the group is triple patterns only, the rest
    of the query binds its variables only by triple patterns (no OPTIONAL, BIND, VALUES,
    UNION or nested group), and the two share a variable. Oxigraph evaluates such a NOT
    EXISTS once per solution over the whole graph (81 s for 5,000 quote spans at 100k
    triples, quadratic), and the MINUS as one anti-join (0.1 s). Any other query is
    returned as it is."""
    where = re.search(r"WHERE\s*\{", query, re.I)
    if not where:
        return query
    groups = []
    for found in _NOT_EXISTS.finditer(query, where.end()):
        end = _group_end(query, found.end() - 1)
        if end is None:
            return query
        groups.append((found.start(), found.end() - 1, end))
    if not groups:
        return query
    outer, last = [], where.end()
    for start, _, end in groups:
        outer.append(query[last:start])
        last = end
    outer.append(query[last:])
    rest = " ".join(outer)
    if "{" in rest or _OUTER_BINDS.search(rest):
        return query
    outer_vars = set(_VARIABLE.findall(query[: where.start()] + rest))
    rewritten, last = [], 0
    for start, brace, end in groups:
        inner = query[brace + 1 : end - 1]
        if "{" in inner or _BINDS.search(inner) or not set(_VARIABLE.findall(inner)) & outer_vars:
            return query
        rewritten += [query[last:start], "MINUS {", inner, "}"]
        last = end
    rewritten.append(query[last:])
    return "".join(rewritten)


def _message(template: str, row: dict[str, str]) -> str:
    return re.sub(r"\{[?$](\w+)\}", lambda m: row.get(m.group(1), m.group(0)), template)


def _run(graph: Graph | None, query: str, store: Any) -> list[dict[str, str]]:
    if store is not None:
        results = store.query(query)
        names = list(results.variables)
        return [
            {v.value: solution[v].value for v in names if solution[v] is not None}
            for solution in results
        ]
    assert graph is not None, "no store and no graph to query"
    rows = graph.query(query)
    return [{str(k): str(v) for k, v in row.asdict().items()} for row in rows]  # type: ignore[union-attr]


def _oxigraph(graph: Graph | None, ntriples: bytes | None = None) -> Any:
    """A pyoxigraph store holding *ntriples* (or *graph*), or None without pyoxigraph."""
    try:
        import pyoxigraph
    except ImportError:  # pragma: no cover - depends on the installation
        return None
    if ntriples is None:
        from kg.graph.writers import ntriples_lines

        assert graph is not None
        ntriples = "".join(ntriples_lines(graph)).encode("utf-8")
    store = pyoxigraph.Store()
    store.bulk_load(ntriples, pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def _plain(term: str | None) -> str:
    """A term or path in N-Triples / SPARQL syntax as the report prints it: an IRI bare."""
    if not term:
        return ""
    if term.startswith("<") and term.endswith(">") and term.count("<") == 1:
        return term[1:-1]
    return term


def core_violations(ntriples: str | Path, shapes_turtle: str) -> tuple[bool, list[str]]:
    """Check the core (non-SPARQL) shapes in *shapes_turtle* against the graph in
    *ntriples* (its text, or the path of an N-Triples file, which the engine reads itself)
    with the ``shacl`` engine: ``(conforms, violations)``, one line each,
    ``"<focus> <path>: <message>"``."""
    import shacl

    shapes = shacl.Shapes.from_text(shapes_turtle, format="turtle")
    if isinstance(ntriples, Path):
        report = shapes.validate_file(str(ntriples), inference="none")
    else:
        report = shapes.validate_text(ntriples, format="ntriples", inference="none")
    lines = []
    for r in report.results:
        if r.severity != "Violation":
            continue
        message = r.message or f"{r.component} (value {r.value_plain})"
        lines.append(f"{_plain(r.focus_node)} {_plain(r.path)}: {message}".replace("  ", " "))
    return bool(report.conforms), lines


def validate(
    graph: Graph | None,
    shapes: Path,
    ontology: Path | None = None,
    ntriples: bytes | None = None,
    timings: dict[str, float] | None = None,
) -> tuple[bool, list[str]]:
    """Validate *graph* against *shapes*: ``(conforms, violations)``, one line each.

    *ntriples*, when given, is the graph as N-Triples (as :func:`kg.graph.writers.sorted_ntriples`
    writes it) and is read instead of *graph*. The triples of *ontology*, when given, are
    added to the data graph (as pySHACL's ``ont_graph`` did). *timings*, when given, gets
    the seconds of each part: ``core`` (the shacl engine), ``load`` (the N-Triples into
    pyoxigraph) and ``sparql`` (the SPARQL-based constraints).
    """
    import time

    from rdflib import Graph

    clock = time.perf_counter
    spent = timings if timings is not None else {}

    if ntriples is None:
        from kg.graph.writers import ntriples_lines

        assert graph is not None, "give the graph or its N-Triples"
        ntriples = "".join(ntriples_lines(graph)).encode("utf-8")
    data = ntriples
    if ontology:
        data += Graph().parse(ontology).serialize(format="nt", encoding="utf-8")
    loaded = load_shapes(shapes)
    start = clock()
    core_conforms, violations = core_violations(data.decode("utf-8"), loaded.turtle)
    spent["core"] = clock() - start
    start = clock()
    store = _oxigraph(None, data) if loaded.checks else None
    if loaded.checks and store is None:  # pragma: no cover - without pyoxigraph
        graph = Graph().parse(data=data, format="nt")
    spent["load"] = clock() - start
    start = clock()
    found = _sparql_violations(loaded, graph, store)
    spent["sparql"] = clock() - start
    return core_conforms and not found, sorted(violations + found)


def validate_build(
    ntriples: Path,
    store: Any,
    shapes: Shapes,
    timings: dict[str, float] | None = None,
) -> tuple[bool, list[str]]:
    """Validate a build as it is written: the core shapes on its N-Triples file (*ntriples*,
    read by the ``shacl`` engine, never by Python) and the SPARQL-based constraints on the
    Oxigraph *store* the build has already loaded with the same triples. The same checks
    and report as :func:`validate`; *shapes* is :func:`load_shapes` of the shapes file (the
    build reads it once); *timings* gets ``core`` and ``sparql``."""
    import time

    clock = time.perf_counter
    spent = timings if timings is not None else {}
    start = clock()
    conforms, violations = core_violations(ntriples, shapes.turtle)
    spent["core"] = clock() - start
    start = clock()
    found = _sparql_violations(shapes, None, store)
    spent["sparql"] = clock() - start
    return conforms and not found, sorted(violations + found)


class Shapes(NamedTuple):
    """A shapes file read once: what the ``shacl`` engine checks and the SPARQL checks."""

    turtle: str  #: the shapes but their SPARQL-based constraints, as Turtle
    checks: list[tuple[SparqlConstraint, str]]  #: each constraint, with its query for all targets


def load_shapes(shapes: Path) -> Shapes:
    """Parse the shapes file *shapes* once, for :func:`validate` and :func:`validate_build`."""
    from rdflib import Graph

    graph = Graph().parse(shapes)
    constraints = sparql_constraints(graph)  # takes them out of the graph
    return Shapes(graph.serialize(format="turtle"), [(c, _for_all_targets(c)) for c in constraints])


def _sparql_violations(shapes: Shapes, graph: Graph | None, store: Any) -> list[str]:
    """One line per result of each SPARQL-based constraint, on *store* (else *graph*)."""
    return [
        f"{row.get('this', '')} : {_message(c.message, row)}"
        for c, query in shapes.checks
        for row in _run(graph, query, store)
    ]


_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|<[^>\s]*>|#[^\n]*|[?$]\w+'
    r"|[A-Za-z_][\w-]*:(?:[\w-]|\.(?=[\w-]))*|[\w-]+|[.;,{}()\[\]!^|/*+]|\S"
)


#: A prefixed name (a local name may hold a dot, never at its end; never a slash: a path).
_PREFIXED = re.compile(r"(?<![\w<])([A-Za-z_][\w-]*|):((?:[\w-]|\.(?=[\w-]))*)")


def named_predicates(queries: list[str]) -> set[str] | None:
    """The IRIs the triple patterns of *queries* can match as predicates: every IRI a query
    names (expanded with its PREFIX lines) and rdf:type. None when a query may match any
    predicate (a variable or a negated property set where a predicate goes), so that a
    store holding only the triples of these predicates answers each query as the whole
    graph does."""
    found = {"http://www.w3.org/1999/02/22-rdf-syntax-ns#type"}
    for query in queries:
        prefixes = dict(re.findall(r"PREFIX\s+([\w-]*):\s*<([^>]*)>", query, re.I))
        body = query[query.upper().find("WHERE") :]
        position, depth = 0, 0  # 0 subject, 1 predicate, 2 object; depth: inside (...)
        for token in _TOKEN.findall(body):
            if token.startswith("#") or token.startswith('"'):
                if depth == 0 and not token.startswith("#"):
                    position = 2 if position == 1 else position
                continue
            if token == "(":
                depth += 1
            elif token == ")":
                depth -= 1
            elif depth:
                continue
            elif token in ("{", "}", "."):
                position = 0
            elif token == "[":  # a blank node's property list: a predicate comes next
                position = 1
            elif token == "]":
                position = 2
            elif token == ";":
                position = 1
            elif token == ",":
                position = 2
            elif token.upper() in ("FILTER", "BIND", "OPTIONAL", "MINUS", "NOT", "EXISTS"):
                position = 0
            elif token == "!" or (position == 1 and token[0] in "?$"):
                return None
            elif token[0] in "?$<" or ":" in token or token == "a":
                position = 1 if position == 0 else (2 if position == 1 else position)
            elif token in "^|/*+":
                continue
        for iri in re.findall(r"<([^>\s]*)>", body):
            found.add(iri)
        for prefix, local in re.findall(_PREFIXED, body):
            if prefix in prefixes:
                found.add(prefixes[prefix] + local)
    return found
