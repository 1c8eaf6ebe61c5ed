"""Build: checked statements -> RDF graph -> validated files.

The graph follows DESIGN.md: a direct ("truthy") triple per fact, a reification
node (``rdf:Statement``) carrying its evidence, org:Membership nodes for roles,
kg:Figure nodes for numbers, and Web Annotation selectors anchoring every quote
in the article's clean text. IRIs are deterministic; there are no blank nodes.
The triples themselves are made in :mod:`kg.graph.triples`.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.data.dataset import load_dataset
from kg.data.model import Dataset
from kg.errors import DataError, ValidationError
from kg.graph.generations import STORE, publish
from kg.graph.triples import _Builder
from kg.graph.writers import _sorted_text, jsonld, turtle
from kg.project import default_out, project_root
from kg.project.namespaces import PREFIXES
from kg.sources import SOURCE_ID

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = [
    "BuildResult",
    "build",
    "build_graph",
    "counts",
    "load_graph",
    "sample_facts",
    "validate_graph",
]


def _conflict_counts(data: Dataset) -> dict[str, int]:
    """How many disagreements between sources there are, by kind (``kg conflicts``)."""
    from collections import Counter

    from kg.graph.merge import conflicts

    return dict(sorted(Counter(c.kind for c in conflicts(data)).items()))


def build_graph(data: Dataset) -> Graph:
    """Turn a checked :class:`~kg.data.model.Dataset` into an rdflib Graph."""
    builder = _Builder(data)
    builder.sources()
    builder.entities()
    builder.statements()
    builder.memberships()
    builder.figures()
    builder.events()
    builder.conflicts()
    return builder.graph


# --- validation ---------------------------------------------------------------


@dataclass
class ValidationResult:
    conforms: bool
    violations: list[str]


def validate_graph(
    graph: Graph,
    shapes: Path,
    ontology: Path | None = None,
    ntriples: bytes | None = None,
    timings: dict[str, float] | None = None,
) -> ValidationResult:
    """Validate *graph* against the SHACL *shapes* (:func:`kg.validate.validate`).

    *ntriples* is :func:`sorted_ntriples` of *graph*, when the caller has it already (the
    validation reads the graph as N-Triples); *timings* gets the seconds of each part."""
    from kg.graph.validate import validate

    conforms, violations = validate(graph, shapes, ontology, ntriples=ntriples, timings=timings)
    return ValidationResult(conforms, violations)


@dataclass
class BuildResult:
    out: Path
    graph: Graph
    data: Dataset
    manifest: dict[str, Any]
    folder: Path | None = None  #: the generation folder the build was published in


def counts(graph: Graph) -> dict[str, Any]:
    """Counts of entities by type and facts by relation."""
    from rdflib.namespace import RDF

    types = Counter(graph.qname(str(o)) for o in graph.objects(None, RDF.type))
    relations = Counter(graph.qname(str(p)) for p in graph.objects(None, RDF.predicate))
    return {
        "triples": len(graph),
        "by_type": dict(sorted(types.items())),
        "facts_by_relation": dict(sorted(relations.items())),
    }


def _versions() -> dict[str, str]:
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for dist in ("kg", "rdflib", "shacl", "pyoxigraph", "opencc", "PyYAML"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def build(
    root: str | Path | None = None,
    out: str | Path | None = None,
    validate: bool = True,
    progress: Any = None,
) -> BuildResult:
    """Load, check, build, validate and write the graph.

    Parameters
    ----------
    root : path, optional
        The project folder with ``data/``, ``ontology.ttl`` and ``shapes.ttl``
        (default: :func:`project_root`).
    out : path, optional
        Where the outputs go (default: ``build/`` in *root*): a new generation folder,
        published whole (see :func:`publish`).
    validate : bool
        Run the SHACL validation (and refuse to write on a violation).
    progress : callable, optional
        Called with a short message as each step starts.
    """
    say = progress or (lambda message: None)
    root = Path(root) if root else project_root()
    out = Path(out) if out is not None else default_out(root)
    say(f"reading {root / 'data'}")
    data = load_dataset(root / "data")
    say(f"building the graph from {sum(data.counts().values())} records")
    graph = build_graph(data)
    # N-Triples written once: validated, and the other files made from the same lines
    text = _sorted_text(graph, None)
    ntriples = text.encode("utf-8")
    if validate:
        say("validating against shapes.ttl (shacl engine, SPARQL checks on pyoxigraph)")
        result = validate_graph(graph, root / "shapes.ttl", ntriples=ntriples)
        if not result.conforms:
            shown = "\n  ".join(result.violations[:20])
            more = (
                f"\n  … and {len(result.violations) - 20} more"
                if len(result.violations) > 20
                else ""
            )
            raise ValidationError(
                f"the graph violates shapes.ttl ({len(result.violations)} violations); "
                f"nothing was written:\n  {shown}{more}"
            )
    say(f"writing {out}/")
    files: dict[str, bytes] = {
        "kg.ttl": turtle(graph, text),
        "kg.nt": ntriples,
        "kg.jsonld": jsonld(graph, text),
    }
    for src in data.sources.values():
        if not SOURCE_ID.fullmatch(src.id):  # checked on loading; an id names files here
            raise DataError(f"source id {src.id!r} cannot name a file", src.raw_path)
        if src.cited or src.clean is None:  # kept by quotation only: no text in any output
            continue
        if src.meta["language"] == "en":  # an English text has no scripts to give
            files[f"text/{src.id}.en.txt"] = (src.clean.text + "\n").encode("utf-8")
        else:
            files[f"text/{src.id}.zh-Hans.txt"] = (src.clean.text + "\n").encode("utf-8")
            files[f"text/{src.id}.zh-Hant.txt"] = (src.clean.text_hant + "\n").encode("utf-8")
        files[f"text/{src.id}.report.json"] = (
            json.dumps(src.clean.report.as_dict(), ensure_ascii=False, indent=1, sort_keys=True)
            + "\n"
        ).encode("utf-8")
    manifest = {
        "sources": {
            s.id: {"raw": str(s.raw_path.relative_to(root)), "sha256": s.sha256}
            | ({"cited": True, "text_here": s.clean is not None} if s.cited else {})
            for s in data.sources.values()
        },
        "cited_quotes": quote_checks(data),
        "records": data.counts(),
        "conflicts": _conflict_counts(data),
        "counts": counts(graph),
        "outputs": {name: hashlib.sha256(body).hexdigest() for name, body in sorted(files.items())},
        "validated": validate,
        "versions": _versions(),
    }
    files["manifest.json"] = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode(
        "utf-8"
    )
    folder = publish(out, files, produce=lambda staging: write_store(staging / STORE, ntriples))
    return BuildResult(out=out, graph=graph, data=data, manifest=manifest, folder=folder)


def write_store(path: Path, ntriples: bytes | Path) -> bool:
    """Write an on-disk Oxigraph store at *path* holding exactly the triples of *ntriples*
    (the bytes of kg.nt, or its path) in the default graph, and close it. Readers open it
    read-only (``pyoxigraph.Store.read_only``). Without pyoxigraph nothing is written and
    False is returned."""
    try:
        import pyoxigraph as ox
    except ImportError:  # pragma: no cover - pyoxigraph is the "oxigraph" extra
        return False
    store = ox.Store(str(path))
    if isinstance(ntriples, Path):
        store.bulk_load(path=str(ntriples), format=ox.RdfFormat.N_TRIPLES)
    else:
        store.bulk_load(ntriples, ox.RdfFormat.N_TRIPLES)
    store.flush()
    del store  # closed: the folder is complete before it is flushed and published
    return True


def quote_checks(data: Dataset) -> dict[str, int]:
    """How the quotes of cited sources were checked in this build: against the cached text
    (``checked``), only earlier, by the quote index (``checked_earlier``), or not at all
    (``unchecked``). Each quote of each statement counts once."""
    counts = {"checked": 0, "checked_earlier": 0, "unchecked": 0}
    for fact in data.facts():
        for ev in fact.evidence:
            if ev.checked is None:
                continue
            key = {"build": "checked", "": "unchecked"}.get(ev.checked, "checked_earlier")
            counts[key] += 1
    return counts


def sample_facts(data: Dataset, limit: int = 5, lang: str = "zh-Hans") -> list[dict[str, str]]:
    """A few facts with their quotes, founders first, for a quick look at a build."""
    order = {"founder": 0, "alumniOf": 1, "parentOrganization": 2}
    chosen = sorted(
        (s for s in data.statements if s.object),
        key=lambda s: (order.get(s.relation, 9), s.source, s.line),
    )[:limit]
    return [
        {
            "subject": data.entities[s.subject].label(lang),
            "relation": data.relations[s.relation].labels.get(lang)
            or data.relations[s.relation].labels["zh-Hans"],
            "object": data.entities[str(s.object)].label(lang),
            "quote": " … ".join(ev.exact for ev in s.evidence),
            "where": f"{s.file}:{s.line}",
        }
        for s in chosen
    ]


def load_graph(path: str | Path) -> Graph:
    """Parse a built graph file (format from its extension)."""
    from rdflib import Graph

    path = Path(path)
    fmt = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld"}.get(path.suffix)
    if fmt is None:
        raise DataError("unknown graph file type (use .ttl, .nt or .jsonld)", path)
    if not path.is_file():
        raise DataError("no such graph file; run `kg build` first", path)
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    try:
        return graph.parse(path, format=fmt)
    except OSError as exc:
        raise DataError(f"cannot read the graph file: {exc.strerror}", path) from None
    except Exception as exc:  # rdflib's parsers raise many kinds; each means a bad file
        line, reason = _syntax_error(path, exc)
        raise DataError(f"not a valid graph file: {reason}", path, line) from None


def _syntax_error(path: Path, exc: Exception) -> tuple[int | None, str]:
    """The line and reason of a graph file's syntax error, for one ``Error:`` line.

    rdflib's N-Triples parser names no line, so Oxigraph's parser (where installed)
    is asked where the file goes wrong.
    """
    lineno = getattr(exc, "lineno", None)
    reason = " ".join(str(getattr(exc, "msg", None) or exc).split()[:40]) or type(exc).__name__
    if path.suffix in (".nt", ".ttl"):
        try:
            import pyoxigraph as ox

            fmt = ox.RdfFormat.N_TRIPLES if path.suffix == ".nt" else ox.RdfFormat.TURTLE
            for _ in ox.parse(path=str(path), format=fmt):
                pass
        except ImportError:
            pass
        except SyntaxError as ox_exc:
            return ox_exc.lineno, " ".join(str(ox_exc.msg).split()[:40])
    return (lineno if isinstance(lineno, int) else None), reason
