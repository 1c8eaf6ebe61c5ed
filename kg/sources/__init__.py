"""Sources: a raw page kept byte for byte, its metadata, and its clean text.

Two kinds of source:

- a **kept** source (openly licensed, or a public record): its raw page is in
  ``data/sources/`` beside its metadata, in git, and its clean text reaches the graph;
- a **cited** source (``cited: true``; news, interviews: texts we may quote, not republish):
  only its metadata, the sha256 of the text as read and the statements' short quotes are in
  the repository. The text itself stays in the project's local cache, ``data/cache/``,
  which git ignores (:data:`CACHE`). Where the cache holds it, the build checks every quote
  against it; where it does not (a fresh clone, CI, a colleague's machine), ``clean`` is
  None and the quotes are taken as recorded, with the offsets the last check wrote into the
  source's quote index (:mod:`kg.sources.quotes`).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import DataError, SourceError
from kg.project._yaml import LINE, load_yaml, yaml_files
from kg.sources.clean import CleanText
from kg.sources.formats import FORMATS, LANGUAGES, clean_source

__all__ = [
    "CACHE",
    "SOURCE_ID",
    "TYPES",
    "Source",
    "cache_dir",
    "clean_any",
    "load_source",
    "load_sources",
]

#: The local cache of cited sources' texts, under the data folder; git ignores it (a
#: ``.gitignore`` in it says ``*``) and no build output contains what it holds.
CACHE = "cache"

#: What a source id may be: 1-100 lower-case ASCII letters, digits and hyphens, not starting
#: with a hyphen (``jiemian-baidu-ai-decade``). An id names files (the build's
#: ``text/<id>.zh-Hans.txt``) and IRIs (``source/<id>``), so it can hold no ``/`` or ``..``.
SOURCE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")

_REQUIRED = ("id", "raw", "sha256", "headline", "publisher", "language")
#: ``url`` and ``date`` are facts from outside the page (it carries neither); ``url_source``
#: and ``date_source`` say where each was found, as the rules ask of any outside fact.
_OPTIONAL = (
    "type",
    "format",
    "encoding",
    "license",
    "license_url",
    "retrieved",
    "opening",
    "headline_zh_hant",
    "author",
    "editor",
    "date",
    "date_source",
    "url",
    "url_source",
    "note",
    "cited",
)
#: A source's ``type`` and the schema.org class it is (every source is also a
#: ``schema:CreativeWork``).
TYPES = {
    "NewsArticle": "schema:NewsArticle",
    "Article": "schema:Article",
    "EncyclopediaArticle": "schema:Article",
    "Report": "schema:Report",
    "Filing": "schema:DigitalDocument",
    "WebPage": "schema:WebPage",
}


@dataclass
class Source:
    """One article: its metadata, raw bytes' hash and clean text."""

    id: str
    meta: dict[str, Any]
    raw_path: Path
    sha256: str
    #: The clean text; None for a cited source whose text is not in this machine's cache.
    clean: CleanText | None
    #: The metadata file (``data/sources/<id>.meta.yaml``); None for a synthetic source.
    meta_path: Path | None = None

    @property
    def quote_index(self) -> Path | None:
        """Where `kg check-quotes` records a cited source's quotes (beside its metadata)."""
        from kg.sources.quotes import INDEX_SUFFIX

        if self.meta_path is None:
            return None
        return self.meta_path.with_name(f"{self.id}{INDEX_SUFFIX}")

    @property
    def cited(self) -> bool:
        """Whether only quotes of this source are kept (its text is in the local cache)."""
        return bool(self.meta.get("cited"))

    @property
    def text(self) -> str:
        """The clean Simplified text that evidence offsets point into."""
        if self.clean is None:
            raise SourceError(
                f"{self.raw_path}: the text of cited source {self.id} is not in this "
                f"machine's cache (the repository keeps only its quotes); save the page there "
                f"as it was read (sha256 {self.sha256}) to work on its text"
            )
        return self.clean.text

    @property
    def own_text(self) -> str:
        """The clean text as the page wrote it (Traditional for a zh-Hant page, the page's own
        characters for one in unspecified ``zh``), character for character beside
        :attr:`text`, so that offsets hold for both; the Simplified text where OpenCC's
        conversion changed a line's length."""
        text = self.text
        assert self.clean is not None  # self.text has raised otherwise
        if self.meta.get("language") not in ("zh", "zh-Hant"):
            return text  # the Simplified text is the page's own (or English: the same)
        hant = self.clean.text_hant
        return hant if len(hant) == len(text) else text


def cache_dir(data_dir: Path) -> Path:
    """The local cache of cited sources' texts of the project whose data folder is *data_dir*."""
    return data_dir / CACHE


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
    source_id = str(meta["id"])
    if not SOURCE_ID.fullmatch(source_id):
        raise DataError(
            f"source id {source_id!r} is not allowed: use 1-100 lower-case letters, digits "
            f"and hyphens, not starting with a hyphen (pattern {SOURCE_ID.pattern})",
            meta_path,
            _key_line(meta_path, "id", meta.get(LINE)),
        )
    for key, allowed in (("type", TYPES), ("format", FORMATS), ("language", LANGUAGES)):
        if meta.get(key) is not None and meta[key] not in allowed:
            raise DataError(
                f"{key} {meta[key]!r} is not one of {', '.join(allowed)}",
                meta_path,
                _key_line(meta_path, key, meta.get(LINE)),
            )
    cited = meta.get("cited")
    if cited is not None and not isinstance(cited, bool):
        raise DataError(
            f"cited must be true or false, not {cited!r}",
            meta_path,
            _key_line(meta_path, "cited", meta.get(LINE)),
        )
    folder = meta_path.parent.parent / CACHE if cited else meta_path.parent
    raw_path, real = _raw_file(meta_path, meta["raw"], meta.get(LINE), folder)
    if cited and not os.path.lexists(raw_path):
        # A fresh clone: the text was never here. The quotes are taken as recorded.
        return Source(source_id, meta, raw_path, str(meta["sha256"]), None, meta_path)
    try:
        data = real.read_bytes()
    except OSError as exc:
        raise SourceError(f"{raw_path}: cannot read the raw page: {exc.strerror}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta["sha256"]:
        kept = (
            "a cited source's cached text must be the text as it was read and quoted "
            "(restore that text, or remove the file to build from the recorded quotes)"
            if cited
            else "the raw page must be kept byte for byte (restore it, or record the new "
            "hash if this is a new version of the page)"
        )
        raise SourceError(
            f"{raw_path}: sha256 is {digest} but {meta_path} records {meta['sha256']}; {kept}"
        )
    return Source(
        id=source_id,
        meta=meta,
        raw_path=raw_path,
        sha256=digest,
        clean=clean_source(
            data,
            str(raw_path),
            str(meta.get("format") or "scrape"),
            str(meta["language"]),
            str(meta.get("encoding") or "utf-8"),
        ),
        meta_path=meta_path,
    )


def _raw_file(
    meta_path: Path, raw: Any, default_line: int | None, folder: Path
) -> tuple[Path, Path]:
    """The raw page *raw* names: a plain file name of a file in *folder* (the meta file's
    folder, or the cache for a cited source).

    Returns the path as named (for messages and the manifest) and the file it resolves to.
    An absolute path, a folder, ``..`` or a symlink to a file elsewhere is refused.
    """
    if not isinstance(raw, str) or raw in (".", "..") or any(c in raw for c in "/\\\0"):
        raise DataError(
            f"raw must be the file name of the raw page in {folder}/ (no folder, no '..', "
            f"not an absolute path), not {raw!r}",
            meta_path,
            _key_line(meta_path, "raw", default_line),
        )
    path = folder / raw
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(Path(os.path.realpath(folder))):
        raise DataError(
            f"raw {raw!r} is a link to {real}, outside {folder}/; put the raw page itself there",
            meta_path,
            _key_line(meta_path, "raw", default_line),
        )
    return path, real


def _key_line(path: Path, key: str, default: int | None) -> int | None:
    """The line of a top-level *key* of a YAML mapping file (for an error message)."""
    import yaml

    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return default
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return int(key_node.start_mark.line) + 1
    return default


def load_sources(directory: Path) -> dict[str, Source]:
    """Load every source described by a ``*.meta.yaml`` in *directory*."""
    sources: dict[str, Source] = {}
    for meta_path in yaml_files(directory, "*.meta.yaml"):
        source = load_source(meta_path)
        if source.id in sources:
            raise DataError(f"duplicate source id {source.id!r}", meta_path)
        sources[source.id] = source
    return sources


def clean_any(path: Path) -> CleanText:
    """The clean text of *path*: as its metadata says if it is a registered source's raw
    file (a ``*.meta.yaml`` beside it names it), else by its name (``.html``, ``.md``; any
    other file is read as a scraped page)."""
    from kg.sources.formats import detect_format

    # A kept source's metadata is beside its raw page; a cited one's is in ../sources/.
    cached = path.parent.name == CACHE
    folder = path.parent.parent / "sources" if cached else path.parent
    for meta_path in sorted(folder.glob("*.meta.yaml")):
        try:
            meta = load_yaml(meta_path)
        except DataError:
            continue
        if (
            isinstance(meta, dict)
            and meta.get("raw") == path.name
            and bool(meta.get("cited")) == cached
        ):
            clean = load_source(meta_path).clean
            if clean is not None:
                return clean
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror}") from None
    fmt = detect_format(path.name, data)
    return clean_source(data, str(path), "scrape" if fmt == "text" else fmt, "zh")
