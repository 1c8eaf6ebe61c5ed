"""Register a new source: its raw bytes kept as they are, and its metadata beside them.

:func:`add_source` reads the file, refuses one already registered (same sha256), decodes and
cleans it with the cleaner of its format (so an undecodable text, or an HTML page with no
article body, is refused before anything is written), checks the metadata (a publisher that
is an entity of the graph, a date as precise as known, a URL), and writes into ``data/``:

- ``sources/<id>.raw.<ext>``: the file, byte for byte;
- ``sources/<id>.meta.yaml``: title, publisher, author, URL, date, language, format,
  encoding, licence, retrieval date and sha256;
- ``statements/<id>.yaml``: an empty list of statements, for a person to fill with facts
  and their quotes (``kg clean`` prints the text to quote from);
- with *new_publisher*, for a publisher no entity is named: an organisation in
  ``entities/publishers-added.yaml`` (made by :func:`kg.data.publishers.create_publisher`).

The metadata is written by the project's YAML writer (:func:`kg.project._yaml.dump_yaml`, which
gives every string back exactly) through :func:`kg.project.datafile.write_checked`: under the data
folder's lock, and only once the whole data set loads with it by the build's own loader
(:func:`kg.data.dataset.load_dataset`). The raw file is written first, then the metadata, then
the statements file; the raw file is removed again if the rest cannot be written, so a
source is registered whole or not at all. A new publisher's entity file is one of the texts of
that one checked write (the first, so a writer killed midway leaves at most an organisation no
source names yet, which builds), and is put back as it was if the rest fails.

Only a regular file is read (:func:`read_source_file`): a device, a FIFO, a socket, a
directory or a symbolic link is refused, and so is a file larger than :data:`MAX_SIZE`
(``--max-size``), which is read no further than that limit. The free-text options (title,
publisher, author, licence, note) are checked by the build's own label check
(:func:`kg.project.checks.check_text`): one line, no control or bidirectional characters, at
most :data:`~kg.project._text.MAX_LABEL` characters (a note: :data:`MAX_NOTE`). An
``--encoding`` must be a known text encoding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from kg.data.naming import guess_language, slug
from kg.data.publishers import Wanted, label_options, resolve_publisher
from kg.errors import DataError, SourceError
from kg.project._text import MAX_LABEL, MAX_NOTE
from kg.project._yaml import dump_yaml
from kg.project.datafile import atomic_write, data_lock, write_checked
from kg.sources import SOURCE_ID, TYPES
from kg.sources.formats import FORMATS, clean_source, detect_format, rescript, text_encoding

__all__ = [
    "MAX_NOTE",
    "MAX_SIZE",
    "PROGRESS_FROM",
    "AddedSource",
    "add_source",
    "format_size",
    "guess_language",
    "read_source_file",
    "slug",
]

#: The largest file ``kg add-source`` registers (bytes) unless ``--max-size`` says otherwise:
#: 20 MiB, far above any article or encyclopedia page, low enough to read and clean it in
#: memory in well under a minute.
MAX_SIZE = 20 * 1024 * 1024
#: From this size on (bytes), the slow steps (cleaning, guessing the language) say on stderr
#: what they are doing and how long each took.
PROGRESS_FROM = 1024 * 1024

# What a file that is not a regular file is, and why it is not read.
_KINDS = (
    (stat.S_ISDIR, "a directory", "give a file in it"),
    (stat.S_ISCHR, "a character device", "a device can give bytes without end"),
    (stat.S_ISBLK, "a block device", "a device is not a saved page"),
    (stat.S_ISFIFO, "a FIFO (named pipe)", "reading a pipe can wait for a writer for ever"),
    (stat.S_ISSOCK, "a socket", "a socket is not a saved page"),
)
_REGULAR_ONLY = "kg add-source reads only a regular file (a saved page or text)"


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
    publisher: str = ""  #: the publisher's entity id
    publisher_file: Path | None = None  #: the entity file a new publisher was declared in
    notes: tuple[str, ...] = ()  #: what the caller should tell the user (a publisher's labels)


def format_size(size: int) -> str:
    """*size* bytes as people read it.

    >>> format_size(20 * 1024 * 1024), format_size(1536), format_size(100)
    ('20 MiB', '1.5 KiB', '100 bytes')
    """
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} byte{'s' if size != 1 else ''}"


def _not_regular(file: Path, mode: int) -> SourceError | None:
    """The error refusing *file* (of *mode*) if it is not a regular file, else None."""
    if stat.S_ISREG(mode):
        return None
    for test, kind, why in _KINDS:
        if test(mode):
            return SourceError(f"{file}: is {kind}, not a regular file ({why}); {_REGULAR_ONLY}")
    return SourceError(f"{file}: is not a regular file; {_REGULAR_ONLY}")


def _link_error(file: Path) -> SourceError:
    try:
        target = f" to {os.readlink(file)}"
    except OSError:
        target = ""
    return SourceError(
        f"{file}: is a symbolic link{target}, not a regular file (a link is not followed: it "
        f"could point at any file of this machine, whose text would enter the graph); "
        f"{_REGULAR_ONLY}: pass the file itself"
    )


def read_source_file(file: Path, max_size: int = MAX_SIZE) -> bytes:
    """The bytes of *file*, which must be a regular file of at most *max_size* bytes.

    A symbolic link is refused (its target may be any file of the machine, whose text would
    enter the graph); so are a directory, a device, a FIFO and a socket. The file is opened
    with ``O_NOFOLLOW | O_NONBLOCK`` and its opened descriptor checked again, so a file
    swapped for a link or a FIFO after the first look is refused too and nothing blocks; at
    most *max_size* + 1 bytes are read, so a file that grows, or claims no size, cannot fill
    the memory.
    """
    try:
        mode = os.lstat(file).st_mode
    except OSError as exc:
        raise SourceError(f"{file}: cannot read: {exc.strerror}") from None
    if stat.S_ISLNK(mode):
        raise _link_error(file)
    refused = _not_regular(file, mode)
    if refused:  # before opening: opening a device can have effects of its own
        raise refused
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(file, flags)
    except OSError as exc:
        if os.path.islink(file):  # became a link since the first look (O_NOFOLLOW: ELOOP)
            raise _link_error(file) from None
        raise SourceError(f"{file}: cannot read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        refused = _not_regular(file, info.st_mode)
        if refused:
            raise refused
        limit = f"{format_size(max_size)} ({max_size:,} bytes)"
        hint = "save only the article's page or text, or raise the limit with --max-size"
        if info.st_size > max_size:
            raise SourceError(
                f"{file}: is {info.st_size:,} bytes, more than the {limit} a source may "
                f"have; {hint}"
            )
        chunks: list[bytes] = []
        left = max_size + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:  # it grew since, or claims no size (a file of /proc)
            raise SourceError(f"{file}: holds more than the {limit} a source may have; {hint}")
        return b"".join(chunks)
    except OSError as exc:
        raise SourceError(f"{file}: cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)


def _stages(
    progress: Callable[[str], None] | None, file: Path, size: int
) -> Callable[[str], AbstractContextManager[None]]:
    """A context manager factory announcing each slow step of a large file, with its time."""

    @contextmanager
    def stage(what: str) -> Iterator[None]:
        if progress is None or size < PROGRESS_FROM:
            yield
            return
        progress(f"{file.name} ({format_size(size)}): {what}…")
        start = time.perf_counter()
        yield
        progress(f"  done in {time.perf_counter() - start:.1f} s")

    return stage


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
    max_size: int = MAX_SIZE,
    progress: Callable[[str], None] | None = None,
    cite: bool = False,
    new_publisher: bool = False,
    publisher_labels: Sequence[str] = (),
    publisher_url: str | None = None,
) -> AddedSource:
    """Register *file* as a source of the project whose data folder is *data_dir*.

    *file* must be a regular file of at most *max_size* bytes (:func:`read_source_file`).
    For a file of :data:`PROGRESS_FROM` bytes or more, *progress* (if given) is called with
    a line before and after each slow step.

    With *cite*, the source is kept by quotation only (a news page, an interview: a text we
    may quote but not republish): the file goes into the local cache (``data/cache/``, which
    git ignores), its metadata says ``cited: true``, and it needs the URL of the original
    (*url*); its licence is "all rights reserved" unless *license* says otherwise.

    With *new_publisher*, a *publisher* no entity is named is created as an organisation
    (:func:`kg.data.publishers.create_publisher`), with *publisher_labels* (``LANG=TEXT``) and
    *publisher_url* (the page that gives its English name); a publisher the graph has already
    is used as it is.
    """
    from kg.data.entities import _load_all_entities, _names
    from kg.project.checks import check_text, check_url, parse_date
    from kg.resolve.names import NameIndex

    # The options first, by the build's own label check: nothing is read for a command that
    # will be refused anyway. An empty title or publisher gets its own message below.
    for value, option, longest in (
        (title, "--title", MAX_LABEL),
        (publisher, "--publisher", MAX_LABEL),
        (author, "--author", MAX_LABEL),
        (license, "--license", MAX_LABEL),
        (note, "--note", MAX_NOTE),
    ):
        if value is not None and (value.strip() or option not in ("--title", "--publisher")):
            check_text(value, option, file, None, longest)
    given_labels = label_options(publisher_labels, file)
    if (given_labels or publisher_url) and not new_publisher:
        option = "--publisher-label" if given_labels else "--publisher-url"
        raise DataError(f"{option} describes a publisher to create: add --new-publisher", file)
    if publisher_url:
        check_url(publisher_url, "--publisher-url", file, None)
    problem = text_encoding(encoding)
    if problem:
        raise DataError(f"--encoding {problem}", file)
    raw = read_source_file(file, max_size)
    stage = _stages(progress, file, len(raw))
    digest = hashlib.sha256(raw).hexdigest()
    known = _existing(data_dir / "sources")  # before the slow steps; again under the lock
    if digest in known:
        raise DataError(
            f"{file} is already registered, as source {known[digest]!r} (same sha256 {digest})"
        )
    where = (file,)
    if not title or not title.strip():
        raise DataError("a source needs its title (--title)", *where)
    if not publisher or not publisher.strip():
        raise DataError("a source needs its publisher (--publisher)", *where)
    fmt = fmt or detect_format(file.name, raw)
    if fmt not in FORMATS:
        raise DataError(f"format {fmt!r} is not one of {', '.join(FORMATS)}", *where)
    if kind is not None and kind not in TYPES:
        raise DataError(f"type {kind!r} is not one of {', '.join(TYPES)}", *where)
    # Decode and clean now: an undecodable text or an HTML page with no body is refused here.
    guessed = lang is None
    with stage(f"decoding and cleaning it ({fmt})"):
        clean = clean_source(raw, str(file), fmt, lang or "en", encoding)
    if lang is None:
        with stage("guessing its language"):
            lang = guess_language(clean.text_hant if fmt != "scrape" else clean.text)
        if lang != "en" and fmt != "scrape":  # the scrape cleaner's text is Simplified already
            with stage(f"giving it in both scripts ({lang})"):
                clean = rescript(clean, lang)
    entities = _load_all_entities(data_dir)
    index = NameIndex(_names(entities))
    wanted = Wanted(new_publisher, given_labels, publisher_url, url, file)
    # Before the slow and the writing steps, so a refusal comes first; again under the lock.
    publisher_id, _, notes = resolve_publisher(data_dir, entities, publisher, wanted)
    if publisher_id in entities and entities[publisher_id].type != "Organization":
        raise DataError(f"publisher {publisher!r} is {publisher_id}, not an organisation", *where)
    author_value = None
    if author:
        found = index.find(author)
        author_value = found[0] if len(found) == 1 else check_text(author, "--author", file, None)
    if cite and not url:
        raise DataError(
            "a cited source needs the URL of the page it was read from (--url): a reader "
            "follows it to the original, since the repository keeps only the quotes",
            *where,
        )
    if cite and not license:
        license = "all rights reserved"
    if url:
        check_url(url, "--url", file, None)
    if license_url:
        check_url(license_url, "--license-url", file, None)
    if date:
        date = parse_date(date, (file, None))
    retrieved = retrieved or dt.date.today().isoformat()
    parse_date(retrieved, (file, None))
    sid = source_id or slug(title)
    if not SOURCE_ID.fullmatch(sid):
        raise DataError(f"source id {sid!r} is not allowed (pattern {SOURCE_ID.pattern})", *where)
    with data_lock(data_dir):  # from the last look at what is registered to the last write
        entity_texts: dict[Path, str] = {}
        if publisher_id not in entities:  # a new publisher: decided again on the files as now
            publisher_id, entity_texts, notes = resolve_publisher(
                data_dir, _load_all_entities(data_dir), publisher, wanted
            )
        written = _register(
            data_dir,
            file,
            raw,
            digest,
            sid,
            source_id is not None,
            stage,
            {
                "format": fmt,
                "type": kind or "NewsArticle",
                "headline": title,
                "publisher": publisher_id,
                "author": author_value,
                "language": lang,
                "encoding": None if encoding.lower() in ("utf-8", "utf8") else encoding,
                "url": url,
                "date": date,
                "license": license,
                "license_url": license_url,
                "retrieved": retrieved,
                "opening": True if opening else None,
                "note": note,
                "cited": True if cite else None,
            },
            entity_texts,
        )
    sid, raw_path, meta_path, statements = written
    return AddedSource(
        sid,
        raw_path,
        meta_path,
        statements,
        digest,
        lang,
        guessed,
        fmt,
        clean.report.summary(),
        publisher_id,
        next(iter(entity_texts), None),
        tuple(notes),
    )


_META_HEADER = (
    "# Metadata of one source, written by `kg add-source`. The raw file beside it is kept\n"
    "# byte for byte; `kg build` checks its sha256 and cleans it by its format.\n"
)


_CITED_HEADER = (
    "# Metadata of one cited source, written by `kg add-source --cite`: kept by quotation only.\n"
    "# Its text, as read, is in the local cache data/cache/ (git ignores it); `kg build` checks\n"
    "# it against the sha256 below and every quote against it when it is there.\n"
)


def _register(
    data_dir: Path,
    file: Path,
    raw: bytes,
    digest: str,
    sid: str,
    id_given: bool,
    stage: Callable[[str], AbstractContextManager[None]],
    fields: dict[str, object],
    entity_texts: dict[Path, str] | None = None,
) -> tuple[str, Path, Path, Path]:
    """Write the raw file, its metadata and its statements file (the caller holds the lock).

    Returns the id (a free one, from *sid*) and the three paths. The metadata and the
    statements file (and *entity_texts*, a new publisher's entity file, written first) are
    written only once the data set loads with them; the raw file is removed again, and an
    entity file put back as it was, if they are not all written.
    """
    from kg.data.dataset import load_dataset

    sources = data_dir / "sources"
    known = _existing(sources)  # again, under the lock: another writer may have added it
    if digest in known:
        raise DataError(
            f"{file} is already registered, as source {known[digest]!r} (same sha256 {digest})"
        )
    if id_given and (sources / f"{sid}.meta.yaml").exists():
        raise DataError(
            f"a source with the id {sid!r} exists already", sources / f"{sid}.meta.yaml"
        )
    base, n = sid, 2
    while (sources / f"{sid}.meta.yaml").exists():
        sid, n = f"{base}-{n}", n + 1
    ext = {"html": ".html", "markdown": ".md"}.get(str(fields["format"]), ".txt")
    raw_path = sources / f"{sid}.raw{ext}"
    if fields.get("cited"):  # the text stays on this machine, out of git and of every output
        raw_path = _cache(data_dir) / f"{sid}.raw{ext}"
    meta_path = sources / f"{sid}.meta.yaml"
    statements = data_dir / "statements" / f"{sid}.yaml"
    doc: dict[str, object] = {"id": sid, "raw": raw_path.name, "sha256": digest}
    doc |= {key: value for key, value in fields.items() if value is not None}
    # The metadata before the statements file: a writer killed in between leaves a source
    # with no facts yet, which builds, rather than facts of a source that does not exist.
    # A new publisher first: a writer killed after it leaves an organisation no source names.
    texts = dict(entity_texts or {})
    before = {path: path.read_bytes() if path.exists() else None for path in texts}
    texts[meta_path] = dump_yaml(doc, _CITED_HEADER if fields.get("cited") else _META_HEADER)
    if not statements.exists():
        texts[statements] = _skeleton(sid, str(fields["headline"]))
    atomic_write(raw_path, raw)
    try:
        with stage("checking that the data loads with it"):
            write_checked(data_dir, texts, check=lambda: load_dataset(data_dir))
    except BaseException:
        raw_path.unlink(missing_ok=True)
        meta_path.unlink(missing_ok=True)
        for path, old in before.items():
            if old is None:
                path.unlink(missing_ok=True)
            elif not path.exists() or path.read_bytes() != old:
                atomic_write(path, old)
        raise
    return sid, raw_path, meta_path, statements


def _cache(data_dir: Path) -> Path:
    """The local cache of cited texts, made with a ``.gitignore`` that ignores all of it (so
    no cached text is committed even in a project whose own .gitignore does not list it)."""
    from kg.sources import cache_dir

    folder = cache_dir(data_dir)
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        atomic_write(
            ignore,
            b"# The texts of cited sources (kg add-source --cite): kept on this machine only.\n*\n",
        )
    return folder


def _skeleton(sid: str, title: str) -> str:
    """The statements file of a new source: no facts yet, and how to write them."""
    header = (
        f"# Facts stated by {title}, each with its evidence quote from the clean text\n"
        f"# (`kg clean data/sources/{sid}.raw.*` prints it). The format is the seed's:\n"
        "# see data/statements/jiemian-baidu-ai-decade.yaml. Entities may be named by id or\n"
        "# by any of their names; a name that fits several entities is an error.\n"
    )
    return dump_yaml({"source": sid, "relations": []}, header)
