"""Sources: a raw page kept byte for byte, its metadata, and its clean text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg._yaml import LINE, load_yaml
from kg.clean import CleanText, clean_page
from kg.errors import DataError, SourceError

__all__ = ["Source", "load_source", "load_sources"]

_REQUIRED = ("id", "raw", "sha256", "headline", "publisher", "language")
_OPTIONAL = ("type", "headline_zh_hant", "author", "editor", "date", "url", "note")


@dataclass
class Source:
    """One article: its metadata, raw bytes' hash and clean text."""

    id: str
    meta: dict[str, Any]
    raw_path: Path
    sha256: str
    clean: CleanText

    @property
    def text(self) -> str:
        """The clean Simplified text that evidence offsets point into."""
        return self.clean.text


def load_source(meta_path: Path) -> Source:
    """Load one ``*.meta.yaml``, check the raw file's hash, and clean it."""
    meta = load_yaml(meta_path)
    if not isinstance(meta, dict):
        raise DataError("expected a mapping of metadata", meta_path)
    missing = [k for k in _REQUIRED if not meta.get(k)]
    if missing:
        raise DataError(f"missing {', '.join(missing)}", meta_path, meta.get(LINE))
    unknown = sorted(set(meta) - set(_REQUIRED) - set(_OPTIONAL) - {LINE})
    if unknown:
        raise DataError(f"unknown field {unknown[0]!r}", meta_path, meta.get(LINE))
    raw_path = meta_path.parent / str(meta["raw"])
    try:
        data = raw_path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{raw_path}: cannot read the raw page: {exc.strerror}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta["sha256"]:
        raise SourceError(
            f"{raw_path}: sha256 is {digest} but {meta_path} records {meta['sha256']}; "
            "the raw page must be kept byte for byte (restore it, or record the new hash "
            "if this is a new version of the page)"
        )
    return Source(
        id=str(meta["id"]),
        meta=meta,
        raw_path=raw_path,
        sha256=digest,
        clean=clean_page(data, str(raw_path)),
    )


def load_sources(directory: Path) -> dict[str, Source]:
    """Load every source described by a ``*.meta.yaml`` in *directory*."""
    sources: dict[str, Source] = {}
    for meta_path in sorted(directory.glob("*.meta.yaml")):
        source = load_source(meta_path)
        if source.id in sources:
            raise DataError(f"duplicate source id {source.id!r}", meta_path)
        sources[source.id] = source
    return sources
