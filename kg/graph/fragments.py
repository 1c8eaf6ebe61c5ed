"""The graph in pieces, each cached under a key of everything it is made from.

A build makes the graph's N-Triples lines piece by piece (:func:`plan`):

- ``entities``: every entity's type, labels, sameAs and their provenance;
- ``source/<id>``: one source's node (headline, text, publisher, dates …);
- ``facts/<id>``: the merged facts, roles, figures and events whose first statement (in
  the order of the sources' ids) is that source's, with all their evidence, whichever
  sources it comes from;
- ``conflicts``: ``kg:conflictsWith`` between the nodes of disagreeing statements (made
  every time: it is small, and depends on every source).

Each piece's key is the SHA-256 of what its triples are made from, as loaded and checked
(the records, merged; a source's metadata and text; the hashes of the sources its quotes
name), of the vocabulary (``relations.yaml``) and of the code (kg's version and the
source of the modules that write triples). A piece whose key is in the cache
(``<out>/.fragments/``) is read from there instead of made again; a cached piece whose
contents do not match the hash written in it (a disk error, a write cut short) is made
again, never used. The outputs do not depend on what was reused: a build from the cache
is byte for byte a full build (``tests/test_incremental_build.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from kg.data.model import Dataset, Event, Evidence
from kg.graph.merge import Merged, MergedFact
from kg.graph.triples import _Builder

__all__ = ["CACHE", "FragmentCache", "Piece", "conflict_lines", "make_lines", "plan"]

CACHE = ".fragments"  #: the cache's folder in --out
_FORMAT = "kg-fragment 1"
#: The modules whose code decides the triples: a change to any of them changes every key.
_CODE = (
    "graph/triples.py",
    "graph/merge.py",
    "graph/fragments.py",
    "project/namespaces.py",
    "sources/__init__.py",
    "data/model.py",
)


@dataclass
class Piece:
    name: str  #: ``entities``, ``source/<id>`` or ``facts/<id>``
    key: str  #: SHA-256 (hex) of everything its triples are made from
    make: Callable[[_Builder], None]  #: makes its triples into the builder's lines


def _code_key() -> str:
    from importlib import metadata

    import kg

    digest = hashlib.sha256(_FORMAT.encode())
    with contextlib.suppress(metadata.PackageNotFoundError):  # run from a source tree
        digest.update(metadata.version("kg").encode())
    package = Path(kg.__file__).parent
    for name in _CODE:
        digest.update(name.encode() + b"\0" + (package / name).read_bytes())
    return digest.hexdigest()


def _hash(*parts: object) -> str:
    return hashlib.sha256("\x1e".join(map(repr, parts)).encode("utf-8")).hexdigest()


def plan(data: Dataset, merged: Merged) -> list[Piece]:
    """The pieces of *data*'s graph but its conflicts, each with its key, in a stable order."""
    common = _hash(_code_key(), sorted((k, repr(v)) for k, v in data.relations.items()))
    pieces = [
        Piece(
            "entities",
            _hash(common, "entities", [repr(e) for e in data.entities.values()]),
            lambda b: b.entities(),
        )
    ]
    for src in sorted(data.sources.values(), key=lambda s: s.id):
        clean = src.clean
        material = (
            src.id,
            sorted((str(k), repr(v)) for k, v in src.meta.items()),
            src.sha256,
            src.cited,
            None if clean is None else _text_hash(clean.text, clean.text_hant),
            [src.meta.get(k) in data.entities for k in ("publisher", "author", "editor")],
        )
        pieces.append(
            Piece(f"source/{src.id}", _hash(common, "source", material), _source_maker(src))
        )
    by_source: dict[str, list[tuple[str, object]]] = {}
    for fact in merged.facts:
        by_source.setdefault(fact.records[0].source, []).append(("statement", fact))
    for fact in merged.memberships:
        by_source.setdefault(fact.records[0].source, []).append(("membership", fact))
    for records in merged.figures:
        by_source.setdefault(records[0].source, []).append(("figure", records))
    for ev in data.events:
        by_source.setdefault(ev.source, []).append(("event", ev))
    for source in sorted(by_source):
        items = by_source[source]
        shas = sorted(
            {
                (e.source, data.sources[e.source].sha256)
                for _, item in items
                for e in _evidence(item)
                if e.checked is not None
            }
        )
        key = _hash(common, "facts", source, [repr(item) for _, item in items], shas)
        pieces.append(Piece(f"facts/{source}", key, _facts_maker(items)))
    return pieces


def _text_hash(*texts: str) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    return digest.hexdigest()


def _evidence(item: object) -> Iterable[Evidence]:
    if isinstance(item, MergedFact):
        return item.evidence
    if isinstance(item, Event):
        return item.evidence
    return (e for record in item for e in record.evidence)  # type: ignore[attr-defined]


def _source_maker(src: object) -> Callable[[_Builder], None]:
    return lambda b: b.source(src)  # type: ignore[arg-type]


def _facts_maker(items: list[tuple[str, object]]) -> Callable[[_Builder], None]:
    def make(b: _Builder) -> None:
        for kind, item in items:
            getattr(b, kind)(item)

    return make


def conflict_lines(data: Dataset, merged: Merged) -> list[str]:
    """The ``kg:conflictsWith`` triples of *merged*'s conflicts: their nodes are worked out
    from the merged facts (without making the facts' triples)."""
    if not merged.conflicts:
        return []
    builder = _Builder(data)
    wanted = {(side.source, side.record) for c in merged.conflicts for side in c.sides}
    nodes = {}
    for kind, facts in (("statement", merged.facts), ("membership", merged.memberships)):
        for fact in facts:
            hits = [(r.source, r.id) for r in fact.records if (r.source, r.id) in wanted]
            if hits:
                node = getattr(builder, f"{kind}_node")(fact)
                nodes.update(dict.fromkeys(hits, node))
    for records in merged.figures:
        figure_hits = [(r.source, r.id) for r in records if (r.source, r.id) in wanted]
        if figure_hits:
            nodes.update(dict.fromkeys(figure_hits, builder.figure_node(records)))
    for conflict in merged.conflicts:
        builder.conflict(conflict, nodes)
    return builder.lines


class FragmentCache:
    """The pieces of earlier builds, one file a piece, named by its key, in *folder*.

    A file holds a header line, ``kg-fragment 1 <name> <sha256 of the rest> <lines>``,
    and the piece's sorted N-Triples lines. :meth:`get` returns the lines only if the
    file is whole and matches its hash; anything else counts as missing (and is made
    again). Files are written whole or not at all (a temporary name, then a rename)."""

    def __init__(self, folder: Path, use: bool = True):
        self.folder = folder
        self.use = use
        self.corrupt: list[str] = []  #: pieces whose cached file was damaged

    def _path(self, piece: Piece) -> Path:
        return self.folder / f"{piece.key}.nt"

    def get(self, piece: Piece) -> list[str] | None:
        if not self.use:
            return None
        try:
            raw = self._path(piece).read_bytes()
        except OSError:
            return None
        header, _, body = raw.partition(b"\n")
        parts = header.decode("utf-8", "replace").split(" ")
        ok = (
            len(parts) == 5
            and " ".join(parts[:2]) == _FORMAT
            and parts[2] == piece.name
            and parts[3] == hashlib.sha256(body).hexdigest()
        )
        if ok:
            lines = body.decode("utf-8").split("\n")[:-1]
            ok = str(len(lines)) == parts[4]
            if ok:
                return lines
        self.corrupt.append(piece.name)
        return None

    def put(self, piece: Piece, lines: list[str], folder: Path | None = None) -> None:
        """Keep *lines* (sorted, unique) as *piece*'s, in the cache or in *folder* (see
        :meth:`stage`); a failure to write only loses the cache entry."""
        body = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
        header = f"{_FORMAT} {piece.name} {hashlib.sha256(body).hexdigest()} {len(lines)}\n"
        folder = folder or self.folder
        path = folder / self._path(piece).name
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as handle:
                handle.write(header.encode("utf-8") + body)
            os.replace(partial, path)
        except OSError:
            partial.unlink(missing_ok=True)

    def stage(self, folder: Path, made: list[tuple[Piece, list[str]]]) -> None:
        """Write the pieces made in this build into *folder* (in the build's staging folder,
        so that their lines need not be held until the build is known to be good)."""
        for piece, lines in made:
            self.put(piece, lines, folder)

    def adopt(self, folder: Path) -> None:
        """Move the pieces :meth:`stage` wrote into the cache (the build is good) and
        remove *folder*."""
        try:
            entries = list(folder.iterdir())
        except OSError:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            try:
                os.replace(entry, self.folder / entry.name)
            except OSError:
                entry.unlink(missing_ok=True)
        folder.rmdir()

    def keep_only(self, pieces: Iterable[Piece]) -> None:
        """Remove every cached file but those of *pieces* (and what killed builds left)."""
        keep = {self._path(p).name for p in pieces}
        try:
            entries = list(self.folder.iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.name not in keep:
                entry.unlink(missing_ok=True)


def make_lines(
    data: Dataset,
    merged: Merged,
    cache: FragmentCache,
    tick: Callable[[str], None] = lambda stage: None,
) -> tuple[list[str], list[Piece], list[tuple[Piece, list[str]]]]:
    """Every line of the graph, sorted and unique; the pieces; and those made anew (with
    their lines, for :meth:`FragmentCache.put` once the build is known to be good).
    *tick* is called after the pieces (``pieces``) and after sorting (``sort``)."""
    pieces = plan(data, merged)
    lines: list[str] = []
    made: list[tuple[Piece, list[str]]] = []
    builder = _Builder(data)
    for piece in pieces:
        got = cache.get(piece)
        if got is None:
            builder.lines = []
            piece.make(builder)
            got = sorted(set(builder.lines))
            made.append((piece, got))
        lines += got
    lines += conflict_lines(data, merged)
    tick("pieces")
    lines = sorted(set(lines))
    tick("sort")
    return lines, pieces, made
