"""SHACL validation of the built graph, every check kept, fast enough for a million triples.

pySHACL evaluates a SPARQL-based constraint (``sh:sparql``) once per focus node, parsing
its query each time; on this graph that was 90% of the validation time (the quote check
runs once per evidence span). Here each SPARQL-based constraint of the shapes is evaluated
once for all its focus nodes — its ``SELECT`` with ``$this`` as a variable bound to the
shape's targets, on pyoxigraph when it is installed (rdflib otherwise) — which gives the
same violations, with the shapes' own messages; pySHACL checks the rest of the shapes
(the core constraints) as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = ["SparqlConstraint", "sparql_constraints", "validate"]

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
    return query


def _message(template: str, row: dict[str, str]) -> str:
    return re.sub(r"\{[?$](\w+)\}", lambda m: row.get(m.group(1), m.group(0)), template)


def _run(graph: Graph, query: str, store: Any) -> list[dict[str, str]]:
    if store is not None:
        results = store.query(query)
        names = list(results.variables)
        return [
            {v.value: solution[v].value for v in names if solution[v] is not None}
            for solution in results
        ]
    rows = graph.query(query)
    return [{str(k): str(v) for k, v in row.asdict().items()} for row in rows]  # type: ignore[union-attr]


def _oxigraph(graph: Graph) -> Any:
    try:
        import pyoxigraph
    except ImportError:  # pragma: no cover - depends on the installation
        return None
    store = pyoxigraph.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def validate(graph: Graph, shapes: Path, ontology: Path | None = None) -> tuple[bool, list[str]]:
    """Validate *graph* against *shapes*: ``(conforms, violations)``, one line each."""
    import pyshacl
    from rdflib import Graph
    from rdflib.namespace import SH as SHNS

    shapes_graph = Graph().parse(shapes)
    constraints = sparql_constraints(shapes_graph)
    ont_graph = Graph().parse(ontology) if ontology else None
    core_conforms, report, _ = pyshacl.validate(
        graph, shacl_graph=shapes_graph, ont_graph=ont_graph, inference="none", allow_warnings=False
    )
    violations = []
    for result in report.subjects(SHNS.resultSeverity, SHNS.Violation):
        focus = report.value(result, SHNS.focusNode)
        path = report.value(result, SHNS.resultPath)
        message = report.value(result, SHNS.resultMessage)
        violations.append(f"{focus} {path or ''}: {message}".replace("  ", " "))
    store = _oxigraph(graph) if constraints else None
    found = [
        f"{row.get('this', '')} : {_message(c.message, row)}"
        for c in constraints
        for row in _run(graph, _for_all_targets(c), store)
    ]
    return bool(core_conforms) and not found, sorted(violations + found)
