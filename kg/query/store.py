"""Stores: one small interface over rdflib store plugins, chosen by a spec string.

==========================  ==================================================
spec                        store
==========================  ==================================================
``oxigraph`` (default)      the build's own on-disk Oxigraph store
                            (``kg.oxigraph`` beside ``kg.nt`` in its
                            generation), opened read-only; for a graph file
                            without one, the file loaded into Oxigraph in
                            memory
``oxigraph-memory``         the graph file loaded into Oxigraph in memory,
                            whether or not the build has a store
``oxigraph:PATH``           Oxigraph on disk at PATH; loaded once from the
                            build, then opened read-only by readers
``memory``                  rdflib's own in-memory store and SPARQL engine
``sparql+http(s)://…``      any SPARQL 1.1 endpoint, read-only
==========================  ==================================================

Queries are passed to the store as strings, so Oxigraph's own engine runs them
(a prepared rdflib query would silently fall back to rdflib's slow engine).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import KGError
from kg.graph.generations import STORE as BUILD_STORE

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = [
    "BUILD_STORE",
    "DEFAULT_SPEC",
    "KGStore",
    "StoreError",
    "build_store",
    "canonical_tag",
    "open_store",
    "parse_spec",
    "whole_graph",
]

DEFAULT_SPEC = "oxigraph"
_MARKER = "kg-source.sha256"


class StoreError(KGError):
    """A store cannot be opened or does not allow what was asked."""


@dataclass(frozen=True)
class Spec:
    kind: str  #: oxigraph, oxigraph-memory, oxigraph-disk, memory or sparql
    location: str = ""  #: path or endpoint URL
    graph: str = ""  #: for an endpoint: the default graph to query (default-graph-uri)


def parse_spec(spec: str) -> Spec:
    """Parse a store spec string.

    Examples
    --------
    >>> parse_spec("oxigraph:/tmp/kg-store")
    Spec(kind='oxigraph-disk', location='/tmp/kg-store', graph='')
    >>> parse_spec("sparql+http://127.0.0.1:8000/sparql")
    Spec(kind='sparql', location='http://127.0.0.1:8000/sparql', graph='')
    >>> parse_spec("sparql+http://h:8890/sparql?default-graph-uri=https://w3id.org/china-ai-kg/graph")
    Spec(kind='sparql', location='http://h:8890/sparql', graph='https://w3id.org/china-ai-kg/graph')
    """
    if spec == "oxigraph":
        return Spec("oxigraph")
    if spec == "oxigraph-memory":
        return Spec("oxigraph-memory")
    if spec == "memory":
        return Spec("memory")
    if spec.startswith("oxigraph:") and len(spec) > len("oxigraph:"):
        return Spec("oxigraph-disk", spec[len("oxigraph:") :])
    if spec.startswith(("sparql+http://", "sparql+https://")):
        return _endpoint_spec(spec[len("sparql+") :])
    raise StoreError(
        f"unknown store {spec!r}; use oxigraph, oxigraph-memory, oxigraph:PATH, memory or "
        "sparql+http(s)://HOST/PATH"
    )


def _endpoint_spec(url: str) -> Spec:
    """An endpoint URL, with its dataset in the standard ``default-graph-uri`` parameter.

    The graph IRI is a URL parameter, so it must be percent-encoded where it holds
    ``#``, ``&``, ``+`` or ``%``: written raw, each would silently name another graph.
    """
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise StoreError(f"{url}: not an endpoint URL ({exc})") from None
    if not parts.netloc or not parts.hostname:
        raise StoreError(f"{url}: not an endpoint URL (http(s)://HOST/PATH)")
    if parts.fragment or url.endswith("#"):
        raise StoreError(
            f"{url}: '#' ends a URL; in a default-graph-uri write it as %23 (and & as %26, "
            "+ as %2B)"
        )
    params = parse_qsl(parts.query, keep_blank_values=True)
    graphs = [value for key, value in params if key == "default-graph-uri"]
    others = [(key, value) for key, value in params if key != "default-graph-uri"]
    if len(graphs) > 1 or any(not g.strip() for g in graphs):
        raise StoreError(f"{url}: give at most one non-empty default-graph-uri")
    if graphs and not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+", graphs[0]):
        raise StoreError(
            f"{url}: default-graph-uri {graphs[0]!r} is not an absolute IRI (percent-encode "
            "'+' as %2B, '&' as %26, '#' as %23)"
        )
    if any(key == "named-graph-uri" for key, _ in others):
        raise StoreError(f"{url}: named-graph-uri is not supported; use default-graph-uri")
    endpoint = urlunsplit(parts._replace(query=urlencode(others), fragment=""))
    return Spec("sparql", endpoint, graphs[0] if graphs else "")


class KGStore:
    """An opened store: ask it SPARQL queries as strings.

    The project's prefixes (kg, schema, org, prov, oa, skos, …) are declared for
    every query, so a query may use them without PREFIX lines.
    """

    def __init__(
        self, spec: Spec, graph: Graph, read_only: bool, inner: Any = None, pin: int | None = None
    ):
        from kg.project.namespaces import PREFIXES

        for prefix, ns in PREFIXES.items():
            graph.bind(prefix, ns, override=True)
        self._prefixes = dict(PREFIXES)
        self.spec = spec
        self.graph = graph
        self.read_only = read_only
        self.inner = inner  #: the pyoxigraph Store, for Oxigraph specs
        #: a descriptor holding the build the store belongs to (kg.graph.generations.pin_build)
        self._pin = pin

    def query(self, sparql: str) -> Any:
        """Run a SPARQL query string; the store's own engine evaluates it.

        Oxigraph stores answer with pyoxigraph's own result (read without
        converting every term to rdflib); the others with an rdflib ``Result``.
        """
        if self.inner is not None:
            return self.inner.query(sparql, prefixes=self._prefixes)
        return self.graph.query(sparql)

    def __len__(self) -> int:
        if self.inner is not None:
            return len(self.inner)
        if self.spec.kind == "sparql":
            result = self.graph.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            return int(str(next(iter(result))[0]))  # type: ignore[index]
        return len(self.graph)

    def close(self) -> None:
        self.graph.close()
        if self._pin is not None:
            with contextlib.suppress(OSError):
                os.close(self._pin)
            self._pin = None

    def __enter__(self) -> KGStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f":{self.spec.location}" if self.spec.location else ""
        return f"<KGStore {self.spec.kind}{where}{' read-only' if self.read_only else ''}>"


def _endpoint_store(endpoint: str) -> Any:
    """rdflib's SPARQLStore, asking for SPARQL XML results first, always.

    rdflib builds its Accept header from a set, so its order (and, for servers
    that honour the order, such as Virtuoso, the format of the answer) changed
    from one process to the next; a SELECT could come back as RDF/XML.
    """
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    class EndpointStore(SPARQLStore):
        def response_mime_types(self) -> str:
            return "application/sparql-results+xml, application/rdf+xml;q=0.9"

    return EndpointStore(query_endpoint=endpoint, returnFormat="xml", method="POST_FORM")


def _oxigraph_graph(inner: Any) -> Graph:
    from oxrdflib import OxigraphStore
    from rdflib import Graph
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    return Graph(store=OxigraphStore(store=inner), identifier=DATASET_DEFAULT_GRAPH_ID)


def _ox_format(path: Path) -> Any:
    import pyoxigraph as ox

    formats = {
        ".nt": ox.RdfFormat.N_TRIPLES,
        ".ttl": ox.RdfFormat.TURTLE,
        ".nq": ox.RdfFormat.N_QUADS,
    }
    if path.suffix not in formats:
        raise StoreError(f"{path}: load .nt, .ttl or .nq files into Oxigraph")
    return formats[path.suffix]


def _bulk_load(inner: Any, source: Path) -> None:
    """Load *source* into an Oxigraph store; a syntax error names the file and line."""
    try:
        inner.bulk_load(path=str(source), format=_ox_format(source))
    except SyntaxError as exc:
        raise StoreError(f"{source}:{exc.lineno}: not a valid graph file: {exc.msg}") from None


def _rdflib_load(source: Path) -> Graph:
    """Parse *source* with rdflib; a syntax error names the file and rdflib's reason."""
    from rdflib import Graph

    try:
        return Graph().parse(source, format="nt" if source.suffix == ".nt" else None)
    except Exception as exc:  # rdflib's parsers raise many kinds; all mean "bad file"
        reason = " ".join(str(exc).split()[:40]) or type(exc).__name__
        raise StoreError(f"{source}: not a valid graph file: {reason}") from None


def _require(data: Path | None) -> Path:
    if data is None:
        raise StoreError("no graph file to load; give one (e.g. build/kg.nt)")
    if not data.is_file():
        raise StoreError(f"{data}: no such graph file; run `kg build` first")
    try:
        with data.open("rb"):
            pass
    except OSError as exc:
        raise StoreError(f"{data}: cannot read the graph file: {exc.strerror}") from None
    return data


@contextlib.contextmanager
def _load_lock(folder: Path) -> Iterator[None]:
    """One loader at a time for an on-disk store (an advisory lock beside it)."""
    import fcntl

    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_store(spec: str = DEFAULT_SPEC, data: str | Path | None = "build/kg.nt") -> KGStore:
    """Open the store a spec names, loading *data* into it where it needs loading.

    Parameters
    ----------
    spec : str
        ``oxigraph``, ``oxigraph-memory``, ``oxigraph:PATH``, ``memory`` or
        ``sparql+http(s)://…``.
    data : path, optional
        The graph file to load (N-Triples or Turtle). With ``oxigraph``, a built
        graph whose build holds its own store (``kg.oxigraph``, see
        :func:`build_store`) is not loaded: that store is opened read-only, and its
        build folder kept (pinned) until the store is closed, so the store answers
        from that one build while newer builds are published. An on-disk Oxigraph
        store (``oxigraph:PATH``) is loaded from it once and reloaded when the file
        changes; a remote endpoint ignores it.
    """
    parsed = parse_spec(spec)
    path = Path(data) if data is not None else None
    if parsed.kind == "sparql":
        from rdflib import Graph, URIRef

        dataset = URIRef(parsed.graph) if parsed.graph else None  # sent as default-graph-uri
        graph = Graph(store=_endpoint_store(parsed.location), identifier=dataset)
        return KGStore(parsed, graph, read_only=True)
    if parsed.kind == "memory":
        return KGStore(parsed, _rdflib_load(_require(path)), read_only=False)

    import pyoxigraph as ox

    if parsed.kind == "oxigraph" and path is not None:
        built = _open_build_store(path)
        if built is not None:
            return built
    if parsed.kind in ("oxigraph", "oxigraph-memory"):
        source = _require(path)
        inner = ox.Store()
        _bulk_load(inner, source)
        return KGStore(parsed, _oxigraph_graph(inner), read_only=False, inner=inner)

    folder = Path(parsed.location)
    marker = folder / _MARKER
    if path is not None and path.is_file():
        # A built graph is a link into the current build (kg.build.publish): hash and load
        # the one file it names now, so that a build published meanwhile cannot come between.
        path = Path(os.path.realpath(path))
        wanted = _digest(_require(path))
        with _load_lock(folder):  # checked again under the lock: another loader may be done
            stale = not marker.is_file() or marker.read_text().strip() != wanted
            if stale and folder.exists() and any(folder.iterdir()) and not marker.is_file():
                raise StoreError(
                    f"{folder} holds a store kg did not load; open it with a different path, "
                    "or remove it to let kg load the graph there"
                )
            if stale:
                _load_disk(folder, path, wanted)
    elif not marker.is_file():
        _require(path)
    try:
        inner = ox.Store.read_only(str(folder))
    except OSError as exc:
        raise StoreError(f"{folder}: cannot open the Oxigraph store read-only: {exc}") from None
    return KGStore(parsed, _oxigraph_graph(inner), read_only=True, inner=inner)


def build_store(data: str | Path) -> Path | None:
    """The on-disk store the build of *data* wrote beside it, if that build has one.

    *data* is a built graph (``build/kg.nt``, a link into the current build): the store
    is ``kg.oxigraph`` in the same generation folder. Only a generation folder counts,
    as builds never change one once published, so its store always holds that
    ``kg.nt``; a graph file anywhere else is read as it is.
    """
    from kg.graph.generations import GENERATIONS

    resolved = Path(os.path.realpath(data))
    if resolved.name != "kg.nt" or resolved.parent.parent.name != GENERATIONS:
        return None
    candidate = resolved.parent / BUILD_STORE
    return candidate if candidate.is_dir() else None


def _open_build_store(data: Path) -> KGStore | None:
    """The build's own store for *data*, opened read-only and pinned to its build; None
    when the build has none (a build written before builds had one, or a plain file)."""
    import pyoxigraph as ox

    from kg.graph.generations import pin_build

    for _ in range(3):  # a build folder pruned between finding and pinning it: look again
        folder = build_store(data)
        if folder is None:
            return None
        _, pin = pin_build(folder)
        if folder.is_dir():
            break
        if pin is not None:
            os.close(pin)
    else:
        return None
    try:
        inner = ox.Store.read_only(str(folder))
    except (OSError, RuntimeError) as exc:
        if pin is not None:
            os.close(pin)
        reason = " ".join(str(exc).split())[:300]
        raise StoreError(
            f"{folder}: the build's Oxigraph store cannot be opened ({reason}); it may be "
            f"damaged: run `kg build` again, or give --store oxigraph-memory to load "
            f"{data} instead"
        ) from None
    spec = Spec("oxigraph", str(folder))
    return KGStore(spec, _oxigraph_graph(inner), read_only=True, inner=inner, pin=pin)


def _load_disk(folder: Path, source: Path, digest: str) -> None:
    """(Re)load an on-disk store from *source*, all or nothing (call it under the load lock).

    The store is loaded into a sibling folder, marked with the source's digest,
    and only then moved into place, so that a load that fails or is interrupted
    leaves the previous store (or nothing) behind, never a half-loaded one; the
    next load clears what an interrupted one left.
    """
    import shutil

    import pyoxigraph as ox

    folder.parent.mkdir(parents=True, exist_ok=True)
    # Under the load lock, any staging or retired folder left here is from a loader that
    # was killed: nobody else is loading.
    for pattern in (f".{folder.name}.loading-*", f".{folder.name}.old-*"):
        for left in folder.parent.glob(pattern):
            shutil.rmtree(left, ignore_errors=True)
    staging = folder.parent / f".{folder.name}.loading-{os.getpid()}"
    retired = folder.parent / f".{folder.name}.old-{os.getpid()}"
    try:
        inner = ox.Store(str(staging))
        _bulk_load(inner, source)
        inner.flush()
        del inner
        (staging / _MARKER).write_text(digest + "\n")
        if folder.exists():
            os.replace(folder, retired)
        os.replace(staging, folder)
    except OSError as exc:
        raise StoreError(f"{folder}: cannot write the Oxigraph store: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)


#: Triples asked for at a time from an endpoint: under Virtuoso's shipped answer cap (10,000
#: rows), which cuts an answer short without saying so.
PAGE_ROWS = 5000


def canonical_tag(tag: str) -> str:
    """A language tag in its canonical case (RFC 5646, 2.1.1): ``zh-hans`` → ``zh-Hans``.

    >>> canonical_tag("zh-hans"), canonical_tag("EN"), canonical_tag("zh-hant-tw")
    ('zh-Hans', 'en', 'zh-Hant-TW')
    """
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())  # a script
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())  # a region
        else:
            out.append(part.lower())
    return "-".join(out)


def whole_graph(store: KGStore, page: int = PAGE_ROWS) -> Graph:
    """The whole graph of *store* as an rdflib Graph (for ``kg viz --store``).

    A local store's graph is returned as it is. An endpoint's is read in pages of
    *page* triples in a fixed order, and the number read must equal the
    endpoint's own count, so an answer cut short is an error, never a smaller graph.
    Language tags come back in their canonical case (Virtuoso returns ``zh-hans``).
    """
    from rdflib import Graph, Literal

    if store.spec.kind != "sparql":
        return store.graph
    expected = len(store)
    graph = Graph()
    read = 0
    while read < expected:
        rows = list(
            store.graph.query(
                f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} ORDER BY ?s ?p ?o LIMIT {page} OFFSET {read}"
            )
        )
        if not rows:
            break
        for s, p, o in rows:  # type: ignore[misc]
            if isinstance(o, Literal) and o.language:
                o = Literal(str(o), lang=canonical_tag(o.language))
            graph.add((s, p, o))
        read += len(rows)
    if read != expected or len(graph) != expected:
        raise StoreError(
            f"{store.spec.location}: read {read:,} triples of the {expected:,} the endpoint "
            "counts; its answers may be capped (Virtuoso: ResultSetMaxRows)"
        )
    return graph
