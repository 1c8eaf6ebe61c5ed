"""Build: checked statements -> RDF graph -> validated files.

The graph follows DESIGN.md: a direct ("truthy") triple per fact, a reification
node (``rdf:Statement``) carrying its evidence, org:Membership nodes for roles,
kg:Figure nodes for numbers, and Web Annotation selectors anchoring every quote
in the article's clean text. IRIs are deterministic; there are no blank nodes.
The triples themselves are made in :mod:`kg.graph.triples`, as N-Triples lines, piece by
piece (:mod:`kg.graph.fragments`, which reuses the pieces of the last build that a change
cannot affect); the build sorts them, streams them into the files and an Oxigraph store,
and validates that store, without ever holding an rdflib graph.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from kg.data.dataset import load_dataset
from kg.data.model import Dataset
from kg.errors import DataError, KGError, ValidationError
from kg.graph.generations import STORE, _check_names, staged
from kg.graph.triples import graph_lines
from kg.graph.writers import write_jsonld, write_ntriples, write_turtle
from kg.project import default_out, project_root
from kg.project.namespaces import PREFIXES
from kg.sources import SOURCE_ID

if TYPE_CHECKING:
    from rdflib import Graph

    from kg.graph.validate import Shapes

__all__ = [
    "BuildResult",
    "build",
    "build_graph",
    "counts",
    "load_graph",
    "sample_facts",
    "validate_graph",
]


def build_graph(data: Dataset) -> Graph:
    """Turn a checked :class:`~kg.data.model.Dataset` into an rdflib Graph (the graph
    ``kg build`` writes; for the library's callers and small graphs: the build itself
    never makes one)."""
    from rdflib import Graph

    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    lines = sorted(set(graph_lines(data)))
    if lines:
        graph.parse(data="\n".join(lines) + "\n", format="nt")
    return graph


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
    data: Dataset
    manifest: dict[str, Any]
    folder: Path | None = None  #: the generation folder the build was published in
    rebuilt: list[str] = field(default_factory=list)  #: the pieces made anew (not reused)
    reused: int = 0  #: how many pieces came from the cache
    _graph: Graph | None = field(default=None, repr=False)

    @property
    def graph(self) -> Graph:
        """The built graph in rdflib, parsed from the build's kg.nt when first asked for
        (the build itself holds none)."""
        if self._graph is None:
            self._graph = load_graph((self.folder or self.out) / "kg.nt")
        return self._graph


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


def _counts_of(triples: int, tally: Counter[tuple[str, str]]) -> dict[str, Any]:
    """:func:`counts` from the number of triples and the objects of rdf:type and
    rdf:predicate as :func:`kg.graph.writers.write_turtle` tallied them."""
    from rdflib import Graph

    from kg.graph.writers import TALLIED

    names = Graph()  # the prefixes a built graph has, for the same qnames
    for prefix, ns in PREFIXES.items():
        names.bind(prefix, ns, override=True)
    types: Counter[str] = Counter()
    relations: Counter[str] = Counter()
    for (p, o), n in tally.items():
        if o.startswith("<"):
            (types if p == TALLIED[0] else relations)[names.qname(o[1:-1])] += n
    return {
        "triples": triples,
        "by_type": dict(sorted(types.items())),
        "facts_by_relation": dict(sorted(relations.items())),
    }


class _Hashed:
    """A file written through :func:`kg.graph.writers.write_turtle` and the like, hashed as
    it is written."""

    def __init__(self, handle: BinaryIO):
        self.handle, self.digest = handle, hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.handle.write(data)


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
    full: bool = False,
    data: Dataset | None = None,
    timings: dict[str, float] | None = None,
) -> BuildResult:
    """Load, check, build, validate and write the graph.

    Parameters
    ----------
    root : path, optional
        The project folder with ``data/``, ``ontology.ttl`` and ``shapes.ttl``
        (default: :func:`project_root`).
    out : path, optional
        Where the outputs go (default: ``build/`` in *root*): a new generation folder,
        published whole (see :func:`kg.graph.generations.staged`).
    validate : bool
        Run the SHACL validation (and refuse to write on a violation).
    progress : callable, optional
        Called with a short message as each step starts.
    full : bool
        Make every piece of the graph again instead of reusing the last builds' pieces
        that the change cannot affect (``out/.fragments``; the outputs are the same).
    data : Dataset, optional
        The dataset, already loaded (default: loaded from ``root/data``).
    timings : dict, optional
        Gets the seconds of each stage (``load``, ``merge``, ``pieces``, ``sort``,
        ``kg.nt``, ``store``, ``validation``, ``kg.ttl``, ``kg.jsonld``, ``publish``).
    """
    from kg.graph.fragments import CACHE, FragmentCache, make_lines
    from kg.graph.merge import merge_all
    from kg.graph.validate import load_shapes

    say = progress or (lambda message: None)
    tick = _Clock(timings)
    root = Path(root) if root else project_root()
    out = Path(out) if out is not None else default_out(root)
    if data is None:
        say(f"reading {root / 'data'}")
        data = load_dataset(root / "data")
    tick("load")
    say(f"building the graph from {sum(data.counts().values())} records")
    merged = merge_all(data)
    tick("merge")
    cache = FragmentCache(out / CACHE, use=not full)
    lines, pieces, made = make_lines(data, merged, cache, tick)
    rebuilt = [piece.name for piece, _ in made]
    say(_rebuilt_message(len(pieces), rebuilt, cache.corrupt, full))
    texts = _text_files(data)
    created = not out.exists()
    try:
        with staged(out) as folder:
            shapes = root / "shapes.ttl" if validate else None
            loaded = load_shapes(shapes) if shapes and _has_oxigraph() else None
            needed = _sparql_predicates(loaded) if loaded else None
            outputs, picked = _write_ntriples(folder, lines, needed)
            triples = len(lines)
            del lines  # from here on the lines are read back from kg.nt, one at a time
            cache.stage(folder / STAGED_PIECES, made)
            del made
            tick("kg.nt")
            outputs.update(_write_rest(folder, triples, shapes, loaded, picked, say, tick))
            del picked
            for name, body in texts.items():
                target = _check_names(folder, {name: body})[name]  # never outside the folder
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
                outputs[name] = hashlib.sha256(body).hexdigest()
            manifest = _manifest(data, merged, root, outputs, validate)
            (folder / "manifest.json").write_bytes(
                (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
            )
            cache.adopt(folder / STAGED_PIECES)  # only a build that validates keeps its pieces
            cache.keep_only(pieces)  # under the build lock: never another build's new pieces
    except BaseException:
        if created:
            _remove_if_empty(out)
        raise
    tick("publish")
    return BuildResult(
        out=out,
        data=data,
        manifest=manifest,
        folder=folder,
        rebuilt=rebuilt,
        reused=len(pieces) - len(rebuilt),
    )


def _rebuilt_message(total: int, rebuilt: list[str], corrupt: list[str], full: bool) -> str:
    """``rebuilt 2 of 120 pieces of the graph (1 source's text, 1 source's facts); reused
    118: source/x, facts/x``."""
    if full:
        return f"made all {total} pieces of the graph (--full: the cache not read)"
    kinds = Counter(name.split("/", 1)[0] for name in rebuilt)
    parts = ["the entities"] if kinds["entities"] else []  # one piece
    parts += [
        f"{kinds[kind]} {one if kinds[kind] == 1 else many}"
        for kind, one, many in (
            ("source", "source's node", "sources' nodes"),
            ("facts", "source's facts", "sources' facts"),
        )
        if kinds[kind]
    ]
    message = f"rebuilt {len(rebuilt)} of {total} pieces of the graph"
    if parts:
        message += f" ({', '.join(parts)})"
    message += f"; reused {total - len(rebuilt)}"
    if rebuilt and len(rebuilt) <= 5:
        message += f"; made again: {', '.join(rebuilt)}"
    if corrupt:
        message += f"; {len(corrupt)} cached piece(s) were damaged and were made again"
    return message


def _text_files(data: Dataset) -> dict[str, bytes]:
    """Each kept source's clean texts and cleaning report, by their names in the build."""
    files: dict[str, bytes] = {}
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
    return files


class _Clock:
    """``tick(stage)``: the seconds since the last tick go to *timings[stage]*."""

    def __init__(self, timings: dict[str, float] | None):
        import time

        self.timings, self.now = timings, time.perf_counter
        self.last = self.now()

    def __call__(self, stage: str) -> None:
        now = self.now()
        if self.timings is not None:
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
        self.last = now


STAGED_PIECES = ".pieces"  #: the pieces made by a build, in its staging folder until it is good


def _has_oxigraph() -> bool:
    try:
        import pyoxigraph  # noqa: F401
    except ImportError:  # pragma: no cover - pyoxigraph is the "oxigraph" extra
        return False
    return True


def _sparql_predicates(shapes: Shapes) -> set[str] | None:
    """The predicates (as N-Triples terms) the SPARQL constraints of *shapes* can match, or
    None if they may match any (see :func:`kg.graph.validate.named_predicates`)."""
    from kg.graph.validate import named_predicates

    names = named_predicates([query for _, query in shapes.checks])
    return None if names is None else {f"<{iri}>" for iri in names}


def _write_ntriples(
    folder: Path, lines: list[str], needed: set[str] | None
) -> tuple[dict[str, Any], list[str] | None]:
    """Write kg.nt from the sorted *lines*; return its hash and the lines whose predicate is
    in *needed* (for the SPARQL constraints; None if *needed* is None)."""
    with open(folder / "kg.nt", "wb") as handle:
        hashed = _Hashed(handle)
        write_ntriples(lines, hashed.write)
    picked = None
    if needed is not None:
        picked = [line for line in lines if line.split(" ", 2)[1] in needed]
    return {"kg.nt": hashed.digest.hexdigest()}, picked


def _read_lines(path: Path) -> Iterator[str]:
    """The lines of an N-Triples file, without their line breaks, one at a time."""
    with open(path, encoding="utf-8", newline="\n") as handle:
        for line in handle:
            yield line[:-1]


def _write_rest(
    folder: Path,
    triples: int,
    shapes: Path | None,
    loaded: Shapes | None,
    picked: list[str] | None,
    say: Any,
    tick: Any,
) -> dict[str, Any]:
    """The store (loaded from kg.nt, and checked to hold its *triples*) and the validation
    (when *shapes* is given; *loaded* is it read, where pyoxigraph is installed), and beside
    them, in a thread, kg.ttl and kg.jsonld (streamed from kg.nt: Python, while the store
    and the checks run in Rust); return the files' hashes and the counts (``_counts``)."""
    import threading

    ntriples = folder / "kg.nt"
    written: dict[str, Any] = {}

    def write_files() -> None:
        try:
            written.update(_write_text_formats(folder, ntriples))
        except BaseException as exc:  # re-raised once the thread is joined
            written["error"] = exc

    writer = threading.Thread(target=write_files, name="kg-build-writers")
    writer.start()
    try:
        store = open_new_store(folder / STORE)
        if store is not None:
            import pyoxigraph as ox

            store.bulk_load(path=str(ntriples), format=ox.RdfFormat.N_TRIPLES)
            store.flush()
            _check_store(store, triples)
        tick("store")
        if shapes is not None:
            say("validating against shapes.ttl (shacl engine on kg.nt, SPARQL checks on Oxigraph)")
            _check(ntriples, store, shapes, loaded, picked)
        tick("validation")
        del store  # closed: the folder is complete before it is flushed and published
    finally:
        writer.join()
    tick("writers")  # what was left of kg.ttl and kg.jsonld once the rest was done
    if "error" in written:
        raise written["error"]
    seconds = written.pop("_seconds")
    if tick.timings is not None:
        tick.timings.update(seconds)
    return written


def _check_store(store: Any, triples: int) -> None:
    """Refuse to publish an on-disk store that does not hold as many triples as kg.nt (what
    ``kg query`` reads by default; counting them took 1.3 s at a million triples)."""
    held = len(store)
    if held != triples:
        raise KGError(
            f"the build's Oxigraph store holds {held:,} triples where kg.nt has {triples:,}; "
            "nothing was published"
        )


def _write_text_formats(folder: Path, ntriples: Path) -> dict[str, Any]:
    """kg.ttl and kg.jsonld from kg.nt: their hashes, the counts and (``_seconds``) the time
    each took."""
    import time

    outputs: dict[str, Any] = {}
    tally: Counter[tuple[str, str]] = Counter()
    start = time.perf_counter()
    with open(folder / "kg.ttl", "wb") as handle:
        hashed = _Hashed(handle)
        triples = write_turtle(_read_lines(ntriples), hashed.write, tally)
    outputs["kg.ttl"] = hashed.digest.hexdigest()
    middle = time.perf_counter()
    with open(folder / "kg.jsonld", "wb") as handle:
        hashed = _Hashed(handle)
        write_jsonld(_read_lines(ntriples), hashed.write)
    outputs["kg.jsonld"] = hashed.digest.hexdigest()
    outputs["_counts"] = _counts_of(triples, tally)
    outputs["_seconds"] = {"kg.ttl": middle - start, "kg.jsonld": time.perf_counter() - middle}
    return outputs


def _check(
    ntriples: Path, store: Any, shapes: Path, loaded: Shapes | None, picked: list[str] | None
) -> None:
    """Raise :class:`ValidationError` listing the violations, if the build has any.

    The SPARQL constraints run on an in-memory Oxigraph store holding the *picked* lines
    (the triples of the predicates they name) where there are some: the same answers as
    the whole graph gives, ten times faster than on the on-disk store, whose reads of
    each article's text per quote dominate (40 s at a million triples); else on *store*."""
    from kg.graph.validate import validate, validate_build

    if picked is not None:
        import pyoxigraph as ox

        store = ox.Store()
        if picked:
            store.bulk_load(("\n".join(picked) + "\n").encode("utf-8"), ox.RdfFormat.N_TRIPLES)
        picked.clear()  # the store has them: let the lines go
    if store is not None and loaded is not None:
        conforms, violations = validate_build(ntriples, store, loaded)
    else:  # pragma: no cover - without pyoxigraph
        conforms, violations = validate(None, shapes, ntriples=ntriples.read_bytes())
    if not conforms:
        shown = "\n  ".join(violations[:20])
        more = f"\n  … and {len(violations) - 20} more" if len(violations) > 20 else ""
        raise ValidationError(
            f"the graph violates shapes.ttl ({len(violations)} violations); "
            f"nothing was written:\n  {shown}{more}"
        )


def _manifest(
    data: Dataset, merged: Any, root: Path, outputs: dict[str, Any], validate: bool
) -> dict[str, Any]:
    counted = outputs.pop("_counts")
    return {
        "sources": {
            s.id: {"raw": _relative(s.raw_path, root), "sha256": s.sha256}
            | ({"cited": True, "text_here": s.clean is not None} if s.cited else {})
            for s in data.sources.values()
        },
        "cited_quotes": quote_checks(data),
        "records": data.counts(),
        "conflicts": dict(sorted(Counter(c.kind for c in merged.conflicts).items())),
        "counts": counted,
        "outputs": dict(sorted(outputs.items())),
        "validated": validate,
        "versions": _versions(),
    }


def _relative(path: Path, root: Path) -> str:
    """*path* as the manifest names it: from the project folder (as given otherwise)."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _remove_if_empty(out: Path) -> None:
    """Remove the --out folder a failed first build made, if it holds only its lock."""
    import shutil

    from kg.graph.generations import GENERATIONS

    gens = out / GENERATIONS
    try:
        leftover = {p.name for p in gens.iterdir()} if gens.is_dir() else set()
        others = {p.name for p in out.iterdir()} - {GENERATIONS}
    except OSError:
        return
    if leftover <= {".lock"} and not others:
        shutil.rmtree(out, ignore_errors=True)


def open_new_store(path: Path) -> Any:
    """A new, empty on-disk Oxigraph store at *path*, or None without pyoxigraph."""
    try:
        import pyoxigraph as ox
    except ImportError:  # pragma: no cover - pyoxigraph is the "oxigraph" extra
        return None
    return ox.Store(str(path))


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
