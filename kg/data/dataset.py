"""The whole dataset: sources, entities, vocabulary, judgements and statements, checked.

Reads ``data/`` (see :mod:`kg.data.entities`, :mod:`kg.data.vocabulary` and
:mod:`kg.data.statements`) into one :class:`~kg.data.model.Dataset`. Every problem is a
:class:`~kg.errors.DataError` naming the file and line.
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path

from kg.data.entities import _ID, _load_all_entities, _names
from kg.data.model import Dataset, Entity
from kg.data.statements import _Anchor, _load_statements
from kg.data.vocabulary import load_vocabulary
from kg.errors import DataError
from kg.project._text import MAX_LABEL, MAX_NOTE
from kg.project._yaml import key_line, yaml_files
from kg.project.checks import check_text, check_url, parse_date
from kg.sources import Source, load_sources

__all__ = ["load_dataset"]

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _check_source(src: Source, entities: dict[str, Entity]) -> None:
    """The metadata fields that reach the graph, and a clean text to quote from."""
    meta = src.meta
    path = getattr(meta, "path", None) or src.raw_path
    for key in ("publisher", "author", "editor"):
        value = meta.get(key)
        if not value or value in entities:
            continue
        if key == "publisher" or _ID.match(str(value)):
            # A publisher is an organisation of the graph; an author or editor is an entity
            # id or, where the graph has no entity for them, a plain name.
            close = difflib.get_close_matches(str(value), entities, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "; add it to data/entities/"
            raise DataError(
                f"unknown entity id {value!r} in {key}{hint}", path, key_line(meta, key)
            )
        check_text(value, key, path, key_line(meta, key))
    for key, longest in (
        ("headline", MAX_LABEL),
        ("headline_zh_hant", MAX_LABEL),
        ("language", MAX_LABEL),
        ("license", MAX_LABEL),
        ("note", MAX_NOTE),
    ):
        if meta.get(key) is not None:
            check_text(meta[key], key, path, key_line(meta, key), longest)
    if meta.get("url") is not None:
        check_url(meta["url"], "url", path, key_line(meta, "url"))
    if meta.get("date") is not None:
        meta["date"] = parse_date(meta["date"], (path, key_line(meta, "date")))
    if src.clean is not None and not src.text.strip():
        left = "is empty" if src.sha256 == _EMPTY_SHA256 else "holds no text after cleaning"
        raise DataError(
            f"source {src.id}: {src.raw_path} {left}, so nothing can be quoted from it "
            f"(`kg clean {src.raw_path}` shows what the cleaner keeps)",
            path,
        )


def load_dataset(root: str | Path = "data") -> Dataset:
    """Read and check the whole dataset under *root* (the ``data/`` folder).

    Raises
    ------
    DataError
        Naming the file and line at fault, for any malformed or unknown input.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError("no such data folder", root)
    vocabulary = load_vocabulary(root / "relations.yaml")
    data = Dataset(
        root=root,
        sources=load_sources(root / "sources"),
        entities=_load_all_entities(root),
        relations=vocabulary.relations,
        measures=vocabulary.measures,
        qualifiers=vocabulary.qualifiers,
    )
    from kg.resolve.judgements import apply_judgements, load_judgements
    from kg.resolve.names import NameIndex

    data.names = NameIndex(_names(data.entities))
    data.judgements = load_judgements(root / "judgements.yaml", data.names)
    data.merged = apply_judgements(data.judgements, data.entities)
    data.names = NameIndex(_names(data.entities))
    for src in data.sources.values():
        for key in ("publisher", "author", "editor"):
            if src.meta.get(key) in data.merged:
                src.meta[key] = data.merged[src.meta[key]]
        _check_source(src, data.entities)
    anchor = _Anchor(data.sources)
    seen: dict[str, str] = {}
    for path in yaml_files(root / "statements"):
        _load_statements(path, data, anchor, seen)
    return data
