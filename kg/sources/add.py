"""Register a new source: its raw bytes kept as they are, and its metadata beside them.

:func:`add_source` reads the file, refuses one already registered (same sha256), decodes and
cleans it with the cleaner of its format (so an undecodable text, or an HTML page with no
article body, is refused before anything is written), checks the metadata (a publisher that
is an entity of the graph, a date as precise as known, a URL), and writes into ``data/``:

- ``sources/<id>.raw.<ext>``: the file, byte for byte;
- ``sources/<id>.meta.yaml``: title, publisher, author, URL, date, language, format,
  encoding, licence, retrieval date and sha256;
- ``statements/<id>.yaml``: an empty list of statements, for a person to fill with facts
  and their quotes (``kg clean`` prints the text to quote from).

Each file is written atomically, the metadata last, and the raw file is removed again if the
metadata cannot be written: a source is registered whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import DataError, SourceError
from kg.sources import SOURCE_ID, TYPES
from kg.sources.formats import FORMATS, clean_source, detect_format

__all__ = ["AddedSource", "add_source", "guess_language", "slug"]


@dataclass(frozen=True)
class AddedSource:
    id: str
    raw: Path
    meta: Path
    statements: Path
    sha256: str
    language: str
    language_guessed: bool
    format: str
    report: str  #: the cleaner's account of what it did


def guess_language(text: str) -> str:
    """zh-Hans, zh-Hant or en, from the characters of *text*.

    >>> [guess_language(t) for t in ("陸奇出任集團總裁", "陆奇出任集团总裁", "Qi Lu")]
    ['zh-Hant', 'zh-Hans', 'en']
    """
    from kg.clean import _t2s

    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if len(han) < max(1, len(text) // 20):
        return "en"
    sample = "".join(han[:5000])
    changed = sum(a != b for a, b in zip(sample, _t2s()(sample), strict=False))
    return "zh-Hant" if changed > len(sample) * 0.02 else "zh-Hans"


def slug(title: str, limit: int = 60) -> str:
    """A source id from a title: ASCII words, Chinese as toneless pinyin.

    >>> slug("Horizon Robotics — Wikipedia"), slug("百度AI十年启示录")
    ('horizon-robotics-wikipedia', 'bai-du-ai-shi-nian-qi-shi-lu')
    """
    from pypinyin import lazy_pinyin

    words = " ".join(lazy_pinyin(title)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", words).strip("-")
    text = text[:limit].rstrip("-")
    return text or "source"


def _existing(sources: Path) -> dict[str, str]:
    """sha256 -> id of every registered source (read from the metadata files)."""
    import yaml

    found = {}
    for meta in sorted(sources.glob("*.meta.yaml")):
        try:
            doc = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(doc, dict) and doc.get("sha256"):
            found[str(doc["sha256"])] = str(doc.get("id") or meta.name.removesuffix(".meta.yaml"))
    return found


def add_source(
    data_dir: Path,
    file: Path,
    *,
    title: str,
    publisher: str,
    author: str | None = None,
    url: str | None = None,
    date: str | None = None,
    lang: str | None = None,
    license: str | None = None,
    license_url: str | None = None,
    encoding: str = "utf-8",
    fmt: str | None = None,
    kind: str | None = None,
    source_id: str | None = None,
    opening: bool = False,
    note: str | None = None,
    retrieved: str | None = None,
) -> AddedSource:
    """Register *file* as a source of the project whose data folder is *data_dir*."""
    from kg.build import atomic_write
    from kg.resolve.names import NameIndex
    from kg.statements import _load_all_entities, _names, check_text, check_url, parse_date

    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise SourceError(f"{file}: cannot read: {exc.strerror}") from None
    digest = hashlib.sha256(raw).hexdigest()
    sources = data_dir / "sources"
    known = _existing(sources)
    if digest in known:
        raise DataError(
            f"{file} is already registered, as source {known[digest]!r} (same sha256 {digest})"
        )
    where = (file,)
    if not title or not title.strip():
        raise DataError("a source needs its title (--title)", *where)
    if not publisher or not publisher.strip():
        raise DataError("a source needs its publisher (--publisher)", *where)
    title = check_text(title, "title", file, None)
    fmt = fmt or detect_format(file.name, raw)
    if fmt not in FORMATS:
        raise DataError(f"format {fmt!r} is not one of {', '.join(FORMATS)}", *where)
    if kind is not None and kind not in TYPES:
        raise DataError(f"type {kind!r} is not one of {', '.join(TYPES)}", *where)
    # Decode and clean now: an undecodable text or an HTML page with no body is refused here.
    guessed = lang is None
    first = clean_source(raw, str(file), fmt, lang or "en", encoding)
    if lang is None:
        lang = guess_language(first.text_hant if fmt != "scrape" else first.text)
    clean = clean_source(raw, str(file), fmt, lang, encoding) if lang != "en" else first
    entities = _load_all_entities(data_dir)
    index = NameIndex(_names(entities))
    publisher_id = index.resolve(publisher, where)
    if entities[publisher_id].type != "Organization":
        raise DataError(f"publisher {publisher!r} is {publisher_id}, not an organisation", *where)
    author_value = None
    if author:
        found = index.find(author)
        author_value = found[0] if len(found) == 1 else check_text(author, "author", file, None)
    if url:
        check_url(url, "url", file, None)
    if license_url:
        check_url(license_url, "license_url", file, None)
    if date:
        date = parse_date(date, (file, None))
    retrieved = retrieved or dt.date.today().isoformat()
    parse_date(retrieved, (file, None))
    sid = source_id or slug(title)
    if not SOURCE_ID.fullmatch(sid):
        raise DataError(f"source id {sid!r} is not allowed (pattern {SOURCE_ID.pattern})", *where)
    if source_id is None:
        base, n = sid, 2
        while (sources / f"{sid}.meta.yaml").exists():
            sid, n = f"{base}-{n}", n + 1
    elif (sources / f"{sid}.meta.yaml").exists():
        raise DataError(
            f"a source with the id {sid!r} exists already", sources / f"{sid}.meta.yaml"
        )
    ext = {"html": ".html", "markdown": ".md"}.get(fmt, ".txt")
    raw_path = sources / f"{sid}.raw{ext}"
    meta_path = sources / f"{sid}.meta.yaml"
    statements = data_dir / "statements" / f"{sid}.yaml"
    fields: list[tuple[str, object]] = [
        ("id", sid),
        ("raw", raw_path.name),
        ("sha256", digest),
        ("format", fmt),
        ("type", kind or "NewsArticle"),
        ("headline", title),
        ("publisher", publisher_id),
        ("author", author_value),
        ("language", lang),
        ("encoding", None if encoding.lower() in ("utf-8", "utf8") else encoding),
        ("url", url),
        ("date", date),
        ("license", license),
        ("license_url", license_url),
        ("retrieved", retrieved),
        ("opening", True if opening else None),
        ("note", note),
    ]
    meta = (
        "# Metadata of one source, written by `kg add-source`. The raw file beside it is kept\n"
        "# byte for byte; `kg build` checks its sha256 and cleans it by its format.\n"
        + "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in fields if v is not None)
    )
    atomic_write(raw_path, raw)
    try:
        atomic_write(meta_path, meta.encode("utf-8"))
        if not statements.exists():
            atomic_write(statements, _skeleton(sid, title).encode("utf-8"))
    except BaseException:
        raw_path.unlink(missing_ok=True)
        meta_path.unlink(missing_ok=True)
        raise
    return AddedSource(
        sid, raw_path, meta_path, statements, digest, lang, guessed, fmt, clean.report.summary()
    )


def _skeleton(sid: str, title: str) -> str:
    return (
        f"# Facts stated by {title}, each with its evidence quote from the clean text\n"
        f"# (`kg clean data/sources/{sid}.raw.*` prints it). The format is the seed's:\n"
        "# see data/statements/jiemian-baidu-ai-decade.yaml. Entities may be named by id or\n"
        "# by any of their names; a name that fits several entities is an error.\n"
        f"source: {sid}\n"
        "relations: []\n"
    )
