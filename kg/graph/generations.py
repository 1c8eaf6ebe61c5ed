"""Publishing a build: each build a generation folder, swapped in by one atomic rename."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kg.errors import DataError, KGError
from kg.project import default_out

__all__ = [
    "CURRENT",
    "GENERATIONS",
    "OUTPUTS",
    "PUBLISHED",
    "STORE",
    "pin_build",
    "publish",
    "resolve_build",
    "staged",
]

OUTPUTS = ("kg.ttl", "kg.nt", "kg.jsonld")
#: The build's on-disk Oxigraph store (a folder; exactly the triples of kg.nt, default graph).
STORE = "kg.oxigraph"
#: What a reader sees in --out: stable links through CURRENT into the current generation.
PUBLISHED = ("kg.ttl", "kg.nt", "kg.jsonld", STORE, "manifest.json", "text")
GENERATIONS = ".generations"  #: the folder in --out holding each build, one folder a build
CURRENT = ".current"  #: the link in --out naming the current generation; swapped atomically


# --- publishing a build -----------------------------------------------------------
#
# out/kg.ttl -> .current/kg.ttl  (one stable link per name in PUBLISHED, made once)
# out/kg.oxigraph -> .current/kg.oxigraph  (the store: a folder, published like the files)
# out/.current -> .generations/<id>  (replaced by one rename: the moment a build is published)
# out/.generations/<id>/  (each build's files; the current and the previous one are kept)
# out/.generations/.lock  (one build at a time)
#
# A reader opening out/kg.nt goes through .current when it opens the file, so it gets one
# build's file; a reader of several files resolves .current once (resolve_build). A build
# killed at any point leaves the published build as it was, and at most a hidden folder
# under .generations that the next build removes.


def resolve_build(out: str | Path | None = None) -> Path:
    """The folder of the build *out* shows now: read every file of one build from there.

    Reading ``out/manifest.json`` and then ``out/kg.nt`` could straddle a new build being
    published between the two reads; reading both from the returned folder cannot. The
    folder stays as it is (builds never change a published folder) until two more builds
    are published. *out* defaults to ``build/`` in the project folder. In a notebook:
    ``folder = resolve_build()``, then
    ``json.loads((folder / "manifest.json").read_text())`` and
    ``load_graph(folder / "kg.nt")`` read the same build.
    """
    out = Path(out) if out is not None else default_out()
    current = out / CURRENT
    if current.is_symlink():
        folder = Path(os.path.realpath(current))
        if folder.is_dir():
            return folder
    raise DataError("no build here; run `kg build` first", out)


def publish(out: str | Path, files: dict[str, bytes]) -> Path:
    """Write *files* (relative names) as a new build of *out* and publish it at once.

    The files go into a fresh folder under ``out/.generations``, are flushed to disk,
    and become what ``out/<name>`` shows by one atomic rename of the ``out/.current``
    link (see :func:`staged`, which the build uses to write its files and store there
    itself). Returns the new generation folder. A name that would land outside that
    folder is refused before anything is written.
    """
    _check_names(Path(out) / GENERATIONS / "new", files)  # before anything is written
    with staged(out) as folder:
        _write_generation(folder, files)
    return folder


@contextmanager
def staged(out: str | Path) -> Iterator[Path]:
    """A fresh staging folder for a new build of *out*, published when the block ends.

    Write the build's files and folders into the yielded folder (``kg.nt``, the
    ``kg.oxigraph`` store, ``text/``…); when the ``with`` block ends normally every file
    and folder in it is flushed to disk and the folder becomes the current build by one
    atomic rename (see :func:`publish`). If the block raises, or the process dies, nothing
    readers see changes and the folder goes (now, or at the next build). One build of
    *out* at a time: the block holds ``out/.generations/.lock``.
    """
    out = Path(out)
    gens = out / GENERATIONS
    try:
        gens.mkdir(parents=True, exist_ok=True)
        lock = open(gens / ".lock", "a")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise KGError(f"cannot write {out}: {exc.strerror or exc}") from exc
    with lock:
        try:
            folder, previous = _begin(out, gens, lock)
        except OSError as exc:
            raise KGError(f"cannot write {out}: {exc.strerror or exc}") from exc
        published = False
        try:
            yield folder
            _fsync_tree(folder)
            _fsync(gens)
            _link_published_names(out, gens)
            _replace_link(out / CURRENT, f"{GENERATIONS}/{folder.name}", gens)
            published = True
            _fsync(out)
        except OSError as exc:
            raise KGError(f"cannot write {out}: {exc.strerror or exc}") from exc
        finally:
            if not published:
                shutil.rmtree(folder, ignore_errors=True)
        _prune(gens, keep={folder.name, previous})


def _begin(out: Path, gens: Path, lock: Any) -> tuple[Path, str | None]:
    """Take the lock, tidy up after killed builds, and make the staging folder."""
    import fcntl

    fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time: another's staging is safe
    _adopt_flat_build(out, gens)
    previous = _current_generation(out)
    _prune(gens, keep={previous})  # what killed builds left
    folder = Path(tempfile.mkdtemp(prefix=_stamp(), dir=gens))
    os.chmod(folder, 0o755)
    return folder, previous


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ-", time.gmtime())


def _current_generation(out: Path) -> str | None:
    """The name of the generation ``out/.current`` points to, if it is one."""
    try:
        target = Path(os.readlink(out / CURRENT))
    except OSError:
        return None
    if target.parent != Path(GENERATIONS) or not (out / target).is_dir():
        return None
    return target.name


def pin_build(path: str | Path) -> tuple[Path, int | None]:
    """Resolve *path* (e.g. ``build/kg.nt``) to the file of one build, and keep that build.

    Returns the resolved path and an open descriptor holding a shared lock on its
    generation folder (None if the file is not in one): while it is open, later builds
    leave that folder in place. A long-running reader (``kg serve``) pins the build it
    started with, so every worker it starts, even after a rebuild, serves the same build.
    Close the descriptor to let the folder go.
    """
    import fcntl

    resolved = Path(os.path.realpath(path))
    folder = resolved.parent
    while folder.parent != folder and folder.parent.name != GENERATIONS:
        folder = folder.parent
    if folder.parent.name != GENERATIONS:
        return resolved, None
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return resolved, fd


def _pinned(folder: Path) -> bool:
    """Whether a reader holds *folder* (see :func:`pin_build`)."""
    import fcntl

    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the lock just taken
    return False


def _prune(gens: Path, keep: set[str | None]) -> None:
    """Remove every generation, staging folder and temporary link not kept or pinned."""
    for entry in gens.iterdir():
        if entry.name == ".lock" or entry.name in keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            if not _pinned(entry):
                shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _check_names(folder: Path, files: dict[str, bytes]) -> dict[str, Path]:
    """Where each of *files* lands in *folder*; refuse a name that would land outside it."""
    base = folder.resolve()
    targets = {}
    for name in files:
        target = (base / name).resolve()
        if not target.is_relative_to(base) or target == base:
            raise DataError(
                f"refusing to write {name!r}: it would land outside the build folder {folder}"
            )
        targets[name] = target
    return targets


def _write_generation(folder: Path, files: dict[str, bytes]) -> None:
    targets = _check_names(folder, files)
    (folder / "text").mkdir(exist_ok=True)
    for name, body in files.items():
        target = targets[name]
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)


def _fsync_tree(folder: Path) -> None:
    """Flush every file and folder under *folder* (and itself) to disk, deepest first."""
    folders = []
    for parent, _dirs, names in os.walk(folder):
        folders.append(parent)
        for name in names:
            path = os.path.join(parent, name)
            if os.path.islink(path):
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    for path in sorted(folders, key=lambda p: p.count(os.sep), reverse=True):
        _fsync(Path(path))


def _fsync(folder: Path) -> None:
    """Flush a folder's entries (new files, renames) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_link(link: Path, target: str, gens: Path) -> None:
    """Make *link* a symlink to *target* in one rename (a folder there is moved aside)."""
    temporary = gens / f".link-{os.getpid()}-{time.monotonic_ns()}"
    os.symlink(target, temporary)
    if link.is_dir() and not link.is_symlink():  # rename cannot replace a folder with a link
        os.rename(link, gens / f".retired-{os.getpid()}-{time.monotonic_ns()}")
    os.replace(temporary, link)


def _link_published_names(out: Path, gens: Path) -> None:
    """Make each name in PUBLISHED a stable link through ``.current`` (once per --out)."""
    for name in PUBLISHED:
        link, target = out / name, f"{CURRENT}/{name}"
        if not (link.is_symlink() and os.readlink(link) == target):
            _replace_link(link, target, gens)


def _adopt_flat_build(out: Path, gens: Path) -> None:
    """Take over a folder an earlier kg wrote file by file, keeping what readers see.

    Its files become a generation of their own (hard links, else copies) and the
    current one, before the names are turned into links; its temporary files go.
    """
    flat = [n for n in PUBLISHED if (out / n).exists() and not (out / n).is_symlink()]
    if flat and not _current_generation(out):
        folder = Path(tempfile.mkdtemp(prefix=_stamp() + "adopted-", dir=gens))
        os.chmod(folder, 0o755)

        def link_or_copy(src: str, dst: str) -> None:
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)

        for name in flat:
            if (out / name).is_dir():
                shutil.copytree(
                    out / name,
                    folder / name,
                    copy_function=link_or_copy,
                    ignore=shutil.ignore_patterns(".*.tmp"),
                )
            else:
                link_or_copy(str(out / name), str(folder / name))
        _fsync(folder)
        _fsync(gens)
        _replace_link(out / CURRENT, f"{GENERATIONS}/{folder.name}", gens)
        _link_published_names(out, gens)  # each name: the same file, now through .current
    for name in PUBLISHED:  # what the earlier kg's interrupted writes left
        for stray in out.glob(f".{name}.*.tmp"):
            stray.unlink(missing_ok=True)
