"""``kg push``: publish the built graph to a SPARQL server, never half-loaded.

The graph goes into a staging graph first (in batches through the Graph Store Protocol,
or with the server's own bulk loader where the server is on this machine), is verified
there — the server's triple count equals the file's, and a sample of literals (Chinese
text, quotes, newlines, typed dates) reads back byte for byte — and only then replaces
the published graph in one SPARQL Update request (:func:`_swap`), which also records what
was pushed (the file's SHA-256 and size) in a small bookkeeping graph.

While the graph is loaded and checked, most of a push's time, readers see the published
graph, whole. The swap is one request, but Virtuoso does not hide it from readers: one
counting during the swap of a million triples saw counts in between (deletes become
visible in batches; at repeatable read, readers deadlock the swap instead). Swapping only
the difference keeps that window short when a build changed little. A push that fails or
is killed before the swap leaves the published graph as it was; the next push clears the
staging graph it left. Pushing the graph the server already holds changes nothing.

Once the server is done, the graph is the old one or the new one, whole, even where the
client goes away during the swap (timed out, killed): Virtuoso stops a request whose HTTP
client has gone and its SPARQL endpoint then commits what the request had done so far,
which kept a swap's delete without its insert. So the swap sent to Virtuoso first tells
the server to ignore its client's going (:data:`_STAY`), and it is carried out whole.

A push replaces only a graph that is empty or that a push published (the record says so):
a graph holding triples of another application, or one of the server's own, needs
``force``. The record graph and the staging graphs are never a target.

Counts are taken on the server (``COUNT``), never by reading rows back: Virtuoso caps a
result at 10,000 rows in its shipped configuration and can return a partial answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.publish.client import Endpoint, PushError

if TYPE_CHECKING:
    from kg.publish.bulk import BulkLoader

__all__ = ["DEFAULT_GRAPH", "META_GRAPH", "PushResult", "push", "staging_graph"]

DEFAULT_GRAPH = "https://w3id.org/china-ai-kg/graph"
#: Where each push records what it published: <graph> kgp:sha256 "…"; kgp:triples N.
META_GRAPH = "urn:x-kg:published"
_KGP = "https://w3id.org/china-ai-kg/push#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_LANG = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
#: A batch of the Graph Store upload: big enough to be quick, small enough for the server.
BATCH_BYTES = 4 << 20
#: Above this many triples the swap changes the graph in parts (Virtuoso's limit: 1M rows).
PART_ROWS = 800_000
#: How long to wait for the server's answer to the swap, in seconds (it grows with the graph).
SWAP_TIMEOUT = 4 * 3600
#: A swap the server rolls back for a deadlock (SQL state 40001) is tried this many times.
SWAP_ATTEMPTS = 5
#: Literals sampled per kind for the byte-for-byte check.
SAMPLE_PER_KIND = 40
#: The first operation of a swap sent to Virtuoso: ``SET HTTP_IGNORE_DISCONNECT = ON`` (its
#: ``__set``), so the server carries the request out whole when its client goes away. By
#: default it stops such a request, and ``/sparql`` commits what it had done (its handler
#: commits after an error that is not a deadlock): a delete without its insert. The
#: operation changes nothing (no record holds that predicate). The setting lasts for this
#: request only.
_STAY = (
    "DELETE {{ GRAPH <{meta}> {{ <{graph}> <{kgp}stayed> ?set }} }} "
    'WHERE {{ BIND (<bif:__set> ("HTTP_IGNORE_DISCONNECT", 1) AS ?set) }}'
)
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*")
_BLANK = re.compile(rb"^_:|^<[^>]*> <[^>]*> _:")

Progress = Callable[[str], None]


@dataclass
class PushResult:
    graph: str
    triples: int
    unchanged: bool = False
    method: str = "graph store"
    sample: int = 0  #: literals read back and compared (text byte for byte)
    seconds: dict[str, float] = field(default_factory=dict)


_STAGING = "urn:x-kg:staging:"


def staging_graph(graph: str) -> str:
    """The staging graph of *graph*: one per published graph, cleared by each push."""
    return f"{_STAGING}{hashlib.sha256(graph.encode()).hexdigest()[:20]}"


def push(
    ntriples: Path,
    endpoint: Endpoint,
    graph: str = DEFAULT_GRAPH,
    *,
    bulk: BulkLoader | None = None,
    force: bool = False,
    progress: Progress = lambda line: None,
    batch_bytes: int = BATCH_BYTES,
) -> PushResult:
    """Publish the N-Triples file *ntriples* as *graph* on *endpoint*; see the module.

    A graph that holds triples but no record of a push (another application's, or the
    server's own) is replaced only with *force*; the record graph and the staging graphs
    are never a target.
    """
    if not _IRI.fullmatch(graph):
        raise PushError(f"--graph {graph!r}: not an absolute IRI")
    if graph == META_GRAPH or graph.startswith(_STAGING):
        raise PushError(
            f"--graph <{graph}>: reserved: kg push keeps its "
            + ("record of what it published" if graph == META_GRAPH else "staging graphs")
            + " there; publish to another graph"
        )
    clock = _Clock()
    digest, expected, blank = _scan(ntriples)
    result = PushResult(graph, expected, method="bulk loader" if bulk else "graph store")
    with clock("check"):
        published = _published(endpoint, graph)
        current = _count(endpoint, graph)
        if current and not force and not _recorded(endpoint, graph):
            raise PushError(
                f"--graph <{graph}> holds {current:,} triples that kg push did not put there "
                f"(<{META_GRAPH}> has no record of it): it may be another application's, or "
                "the server's own; nothing was changed. Check --graph, or add --force to "
                "replace it"
            )
    if not force and published == (digest, expected) and current == expected:
        result.unchanged = True
        result.seconds = clock.seconds
        return result
    staging = staging_graph(graph)
    with clock("stage"):
        if bulk is not None:
            bulk.settle(staging, lambda: _count(endpoint, staging))
        endpoint.update(f"DROP SILENT GRAPH <{staging}>")
        if bulk is not None:
            progress(f"loading {expected:,} triples with the server's bulk loader")
            bulk.load(ntriples, staging)
        else:
            _upload(ntriples, endpoint, staging, expected, blank, batch_bytes, progress)
    with clock("verify"):
        staged = _count(endpoint, staging)
        if staged != expected:
            _drop(endpoint, staging)
            raise PushError(
                f"the server holds {staged:,} of the {expected:,} triples sent to the staging "
                f"graph; nothing was published and <{graph}> is as it was"
            )
        progress(f"staged {staged:,} triples; comparing a sample of literals")
        try:
            result.sample = verify_sample(endpoint, staging, ntriples)
        except PushError:
            _drop(endpoint, staging)
            raise
    with clock("swap"):
        virtuoso = "virtuoso" in endpoint.server.lower()
        swap = _swap(staging, graph, digest, expected, current, virtuoso=virtuoso)
        for attempt in range(SWAP_ATTEMPTS):
            try:
                endpoint.update(swap, timeout=SWAP_TIMEOUT)
                break
            except PushError as exc:  # a deadlock rolls the whole swap back: try again
                if "40001" not in str(exc) or attempt == SWAP_ATTEMPTS - 1:
                    left = _after_failure(endpoint, graph, current, exc.answered)
                    raise PushError(f"{exc}\n{left}") from None
                progress("the server rolled the swap back (deadlock); trying again")
                time.sleep(1 + attempt)
    _drop(endpoint, staging)
    after = _count(endpoint, graph)
    if after != expected:
        raise PushError(
            f"<{graph}> holds {after:,} triples after the swap, not {expected:,}; push again"
        )
    result.seconds = clock.seconds
    return result


# -- the steps ---------------------------------------------------------------------------


def _scan(path: Path) -> tuple[str, int, bool]:
    """The file's SHA-256, its number of triples, and whether it has blank nodes."""
    digest = hashlib.sha256()
    lines = 0
    blank = False
    with path.open("rb") as handle:
        for line in handle:
            digest.update(line)
            stripped = line.strip()
            if stripped and not stripped.startswith(b"#"):
                lines += 1
                blank = blank or bool(_BLANK.match(stripped))
    return digest.hexdigest(), lines, blank


def _count(endpoint: Endpoint, graph: str) -> int:
    return endpoint.count(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")


def _published(endpoint: Endpoint, graph: str) -> tuple[str, int] | None:
    rows = endpoint.select(
        f"SELECT ?sha ?n WHERE {{ GRAPH <{META_GRAPH}> {{ <{graph}> <{_KGP}sha256> ?sha ; "
        f"<{_KGP}triples> ?n }} }}"
    )
    if len(rows) != 1:
        return None
    try:
        return rows[0]["sha"]["value"], int(rows[0]["n"]["value"])
    except (KeyError, ValueError):
        return None


def _recorded(endpoint: Endpoint, graph: str) -> bool:
    """Whether the record graph says a push published *graph* (its content is ours)."""
    return bool(
        endpoint.count(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{META_GRAPH}> {{ <{graph}> ?p ?o }} }}"
        )
    )


def _after_failure(endpoint: Endpoint, graph: str, before: int, answered: bool) -> str:
    """What a failed swap left: counted on the server, not assumed."""
    if not answered:  # a server that did not answer may still be swapping
        return (
            f"the server may still be applying the swap, so <{graph}> may yet change: count "
            "it on the server before trusting it, then push again"
        )
    try:
        now = _count(endpoint, graph)
    except PushError:
        return f"the server did not say what <{graph}> holds now; push again"
    if now == before:
        return f"the swap was rolled back: <{graph}> holds its {now:,} triples as before"
    return f"<{graph}> holds {now:,} triples, not the {before:,} it had: push again"


def _drop(endpoint: Endpoint, staging: str) -> None:
    with contextlib.suppress(PushError):  # if not, the next push clears it
        endpoint.update(f"DROP SILENT GRAPH <{staging}>")


def _swap(
    staging: str, graph: str, digest: str, triples: int, current: int, virtuoso: bool = False
) -> str:
    """One update request: *graph* becomes what the staging graph holds, by deleting what
    it has and the staging graph has not and adding the converse (so a push of a build that
    changed little writes little), and the record says so. For Virtuoso, it starts with
    :data:`_STAY`: the server finishes it even if the client goes away.

    Not ``MOVE`` or ``COPY``: Virtuoso clears their target in batches that readers see (a
    reader counted 13,178 triples in a graph going from 1,003,571 to 3,178). Into an empty
    graph (*current* is 0) ``COPY`` hides nothing and is faster (at 1M triples a 5.4 s swap
    against 22.9 s). Virtuoso refuses a delete or insert of over a million rows at once, so
    graphs of more than :data:`PART_ROWS` triples are changed in parts, by the hash of the
    subject, within the same request.
    """
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    largest = max(triples, current)
    parts = [""]
    if largest > PART_ROWS:  # k ranges of the subject hash's first two hex digits
        k = -(-largest // PART_ROWS)
        bounds = [round(256 * i / k) for i in range(k + 1)]
        parts = [
            f'FILTER (SUBSTR(MD5(STR(?s)), 1, 2) >= "{low:02x}"'
            + (f' && SUBSTR(MD5(STR(?s)), 1, 2) < "{high:02x}") ' if high < 256 else ") ")
            for low, high in itertools.pairwise(bounds)
        ]
    steps = [_STAY.format(meta=META_GRAPH, graph=graph, kgp=_KGP)] if virtuoso else []
    if current == 0:  # nothing published: nothing to hide
        parts = []
        steps.append(f"COPY SILENT GRAPH <{staging}> TO GRAPH <{graph}>")
    for part in parts:
        # Delete what the graph has and the staging graph has not, then add the converse.
        for verb, read, other in (("DELETE", graph, staging), ("INSERT", staging, graph)):
            steps.append(
                f"{verb} {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{read}> "
                f"{{ ?s ?p ?o }} {part}FILTER NOT EXISTS {{ GRAPH <{other}> {{ ?s ?p ?o }} }} }}"
            )
    steps.append(f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{graph}> ?p ?o }} }}")
    steps.append(
        f'INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{graph}> <{_KGP}sha256> "{digest}" ; '
        f'<{_KGP}triples> "{triples}"^^<{_XSD}integer> ; '
        f'<{_KGP}pushedAt> "{now}"^^<{_XSD}dateTime> }} }}'
    )
    return " ;\n".join(steps)


def _batches(path: Path, size: int) -> Iterator[tuple[bytes, int]]:
    """The file in batches of whole lines of about *size* bytes, with their triple counts."""
    chunk: list[bytes] = []
    held = triples = 0
    with path.open("rb") as handle:
        for line in handle:
            chunk.append(line)
            held += len(line)
            triples += 1
            if held >= size:
                yield b"".join(chunk), triples
                chunk, held, triples = [], 0, 0
    if chunk:
        yield b"".join(chunk), triples


def _upload(
    path: Path,
    endpoint: Endpoint,
    staging: str,
    expected: int,
    blank: bool,
    size: int,
    progress: Progress,
) -> None:
    # A blank node is one node only within one request: a graph with blank nodes is sent whole.
    size = path.stat().st_size + 1 if blank else size
    sent = 0
    for body, triples in _batches(path, size):
        endpoint.post_triples(staging, body)
        sent += triples
        progress(f"staging: {min(sent, expected):,} / {expected:,} triples sent")


# -- the sample --------------------------------------------------------------------------


def _kinds(line: bytes) -> list[str]:
    """Which kinds of literal a line holds, for the sample."""
    if b'"' not in line:
        return []
    kinds = []
    literal = line[line.index(b'"') :]
    if b"\\n" in literal or b"\\r" in literal:
        kinds.append("newline")
    if b'\\"' in literal or b"\\\\" in literal:
        kinds.append("quote")
    if any(byte > 0x7F for byte in literal) or b"\\u" in literal:
        kinds.append("non-ASCII")
    if b"^^<" + _XSD.encode() in literal:
        kinds.append("typed")
    if b'"@' in literal:
        kinds.append("language")
    return kinds or ["plain"]


def sample_lines(path: Path, per_kind: int = SAMPLE_PER_KIND) -> list[bytes]:
    """A stable sample of the file's literal lines, *per_kind* of each kind of literal."""
    heaps: dict[str, list[tuple[bytes, bytes]]] = {}
    with path.open("rb") as handle:
        for line in handle:
            for kind in _kinds(line):
                key = hashlib.blake2b(line, digest_size=8).digest()
                heap = heaps.setdefault(kind, [])
                item = (_negate(key), line)
                if len(heap) < per_kind:
                    heapq.heappush(heap, item)
                elif item > heap[0]:
                    heapq.heapreplace(heap, item)
    return sorted({line for heap in heaps.values() for _, line in heap})


def _negate(key: bytes) -> bytes:
    return bytes(255 - byte for byte in key)  # a min-heap keeps the smallest keys this way


#: Datatypes Virtuoso keeps as native values, returning another lexical form of the same
#: value ("false" comes back as "0"): these are compared by value, every other literal
#: (strings, language strings, dates, IRIs as xsd:anyURI) byte for byte.
_BY_VALUE = {
    _XSD + name
    for name in (
        "boolean",
        "integer",
        "decimal",
        "double",
        "float",
        "long",
        "int",
        "nonNegativeInteger",
        "positiveInteger",
        "negativeInteger",
        "nonPositiveInteger",
    )
}


def _value(lexical: str, datatype: str) -> str:
    """The value of a literal of a datatype in :data:`_BY_VALUE`, as a canonical string."""
    from decimal import Decimal, InvalidOperation

    text = lexical.strip()
    if datatype == _XSD + "boolean":
        return {"1": "true", "0": "false"}.get(text, text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return format(number.normalize(), "f") if number.is_finite() else text


def _literal(lexical: str, lang: str, datatype: str) -> tuple[str, ...]:
    if datatype in _BY_VALUE:
        return ("literal", _value(lexical, datatype), "", datatype)
    return ("literal", lexical, lang.lower(), datatype)


def _term(term: Any) -> tuple[str, ...]:
    import pyoxigraph as ox

    if isinstance(term, ox.Literal):
        return _literal(term.value, term.language or "", term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode",)
    return ("uri", term.value)


def _remote(binding: dict[str, str]) -> tuple[str, ...]:
    kind = binding.get("type")
    if kind in ("literal", "typed-literal"):
        lang = binding.get("xml:lang", "")
        datatype = binding.get("datatype") or (_RDF_LANG if lang else _XSD + "string")
        return _literal(binding["value"], lang, datatype)
    if kind == "bnode":
        return ("bnode",)
    return ("uri", binding["value"])


def verify_sample(
    endpoint: Endpoint, graph: str, path: Path, per_kind: int = SAMPLE_PER_KIND
) -> int:
    """Compare a sample of the file's literals with what *graph* on the server holds.

    For each sampled (subject, predicate), every object the file has must be on the
    server with the same lexical form, datatype and language (compared case-insensitively:
    Virtuoso returns ``zh-hans``), and no other; booleans and numbers by value. Returns
    how many literals were compared.
    """
    import pyoxigraph as ox

    keys = set()
    for line in sample_lines(path, per_kind):
        for triple in ox.parse(line, format=ox.RdfFormat.N_TRIPLES):
            if isinstance(triple.subject, ox.NamedNode):
                keys.add((triple.subject.value, triple.predicate.value))
    local: dict[tuple[str, str], set[tuple[str, ...]]] = {key: set() for key in keys}
    with path.open("rb") as handle:
        for triple in ox.parse(handle, format=ox.RdfFormat.N_TRIPLES):
            key = (getattr(triple.subject, "value", ""), triple.predicate.value)
            if key in local:
                local[key].add(_term(triple.object))
    remote: dict[tuple[str, str], set[tuple[str, ...]]] = {key: set() for key in keys}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 20):
        values = " ".join(f"(<{s}> <{p}>)" for s, p in ordered[start : start + 20])
        rows = endpoint.select(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ VALUES (?s ?p) {{ {values} }} "
            "?s ?p ?o } }"
        )
        for row in rows:
            remote.setdefault((row["s"]["value"], row["p"]["value"]), set()).add(_remote(row["o"]))
    for key in ordered:
        if local[key] != remote.get(key, set()):
            missing = sorted(local[key] - remote.get(key, set()))
            extra = sorted(remote.get(key, set()) - local[key])
            raise PushError(
                f"the server does not hold <{key[0]}> <{key[1]}> as sent: expected "
                f"{missing[:1]}, found {extra[:1]}; nothing was published"
            )
    return sum(1 for terms in local.values() for term in terms if term[0] == "literal")


class _Clock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, step: str) -> Any:
        @contextlib.contextmanager
        def timed() -> Iterator[None]:
            start = time.perf_counter()
            try:
                yield
            finally:
                self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - start

        return timed()
