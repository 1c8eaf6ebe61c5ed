"""Writing the project's data files: one lock, checked by the loaders, atomic on disk.

Every command or page that changes a file under ``data/`` (``kg review``'s decisions,
``kg resolve --judge``, ``kg add-source``, ``kg extract``'s drafts) goes through
:func:`write_checked`:

1. it holds the project's inter-process lock (:func:`data_lock`: ``flock`` on
   ``data/.kg.lock``), so that two writers never read the same old file and each write back
   without the other's record;
2. it checks the new text with the loaders that will read it (the caller's *check*, run
   with the text in place of the file through :func:`kg.project._yaml.overlay`): a value the build
   would refuse is refused here, with the reason, and nothing is written;
3. it writes each file atomically (:func:`atomic_write`: a temporary file renamed into
   place); a temporary file left by a writer that was killed midway is removed by the next
   write into the same folder.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kg.errors import KGError
from kg.project._yaml import overlay

__all__ = ["LOCK_NAME", "atomic_write", "data_lock", "remove_stale_temporaries", "write_checked"]

#: The lock file in the data folder (git ignores it).
LOCK_NAME = ".kg.lock"

_held = threading.local()
_process_lock = threading.RLock()

#: A temporary file of :func:`atomic_write`: ``.<name>.<pid>.<random>.tmp``.
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


@contextmanager
def data_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data folder's inter-process lock (re-entrant within a thread)."""
    depth = getattr(_held, "depth", {})
    _held.depth = depth
    key = str(Path(data_dir).absolute())
    if depth.get(key):
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    import fcntl

    Path(data_dir).mkdir(parents=True, exist_ok=True)
    with _process_lock, open(Path(data_dir) / LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        depth[key] = 1
        try:
            yield
        finally:
            depth[key] = 0
            fcntl.flock(lock, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files of writers that died in *folder*; return them.

    A temporary file names its writer's process; it is stale when that process is gone.
    """
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = _TEMPORARY.match(name)
        if match and not _alive(int(match.group(1))):
            try:
                (folder / name).unlink()
                removed.append(folder / name)
            except OSError:
                pass
    return removed


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """Write *data* to a temporary file beside *path* and rename it into place.

    An interrupted or failed write leaves the old file (or none) and no temporary
    file that outlives the next write into the folder; an OS error is a
    :class:`~kg.errors.KGError` naming the path.
    """
    path = Path(path)
    if path.is_dir():
        raise KGError(f"{path} is a folder; give the file to write")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path.parent)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise KGError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise KGError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    return path


def write_checked(
    data_dir: Path, texts: dict[Path, str], check: Callable[[], Any] | None = None
) -> None:
    """Write *texts* (``{path: new text}``) under the data lock, once *check* accepts them.

    *check* runs with the new texts in place of the files (:func:`kg.project._yaml.overlay`); it
    raises a :class:`~kg.errors.KGError` for anything the loaders refuse, and then nothing
    is written. The caller holds :func:`data_lock` across reading the old file and this
    call, so that no other writer's record is lost in between.
    """
    with data_lock(data_dir):
        if check is not None:
            with overlay(texts):
                check()
        for path, text in texts.items():
            atomic_write(path, text.encode("utf-8"))
