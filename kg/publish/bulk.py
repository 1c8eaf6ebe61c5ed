"""Virtuoso's bulk loader (``ld_dir`` and ``rdf_loader_run``), for a server on this machine.

The loader reads files from the server's own disk, from a folder its ``DirsAllowed``
lists, and is started over SQL: through ``isql-vt``, Debian's Virtuoso SQL client. The
file is copied into that folder under a name of its own, loaded into the graph asked for
(the push's staging graph), and removed; the loader's own error list is checked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kg.publish.client import PushError

__all__ = ["BulkLoader", "sql_string"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass
class BulkLoader:
    isql: str  #: HOST:PORT of the server's SQL port, on this machine
    folder: Path  #: a folder of this machine the server may read (in DirsAllowed)
    user: str
    password: str

    def __post_init__(self) -> None:
        host, _, port = self.isql.rpartition(":")
        if host not in _LOOPBACK or not port.isdigit():
            raise PushError(
                f"--isql {self.isql!r}: the bulk loader needs the server's SQL port on this "
                "machine (127.0.0.1:PORT); push to a remote server without --isql"
            )
        if shutil.which("isql-vt") is None:
            raise PushError("--isql needs isql-vt (Debian's virtuoso-opensource-7-bin)")
        if not self.folder.is_dir():
            raise PushError(f"--bulk-dir {self.folder}: no such folder")

    def settle(self, graph: str, count: Callable[[], int], wait: float = 600) -> None:
        """Let a load into *graph* that a killed push left on the server end, then forget it.

        The loader's list keeps a killed load's file as "being loaded" for good; while the
        graph still grows, a loader is at work, so wait; once it stops growing, drop the
        stale rows and the files left in the folder.
        """
        deadline = time.monotonic() + wait
        running = f"FROM DB.DBA.load_list WHERE ll_graph = {sql_string(graph)} AND ll_state = 1"
        while _last_number(self.sql(f"SELECT COUNT(*) {running};")) != "0":
            before = count()
            time.sleep(2)
            if count() == before:
                self.sql(f"DELETE {running};")
                break
            if time.monotonic() > deadline:
                raise PushError(f"{self.isql}: a bulk load into <{graph}> is still running")
        for left in [*self.folder.glob("kg-push-*.nt"), *self.folder.glob(".kg-push-*.part")]:
            left.unlink(missing_ok=True)

    def load(self, source: Path, graph: str) -> None:
        """Load the N-Triples file *source* into *graph* with the server's bulk loader."""
        name = f"kg-push-{os.getpid()}.nt"
        part = self.folder / f".{name}.part"
        target = self.folder / name
        try:
            shutil.copyfile(source, part)
            os.replace(part, target)
            folder = sql_string(str(self.folder.resolve()))
            out = self.sql(
                f"DELETE FROM DB.DBA.load_list WHERE ll_graph = {sql_string(graph)};",
                f"ld_dir({folder}, {sql_string(name)}, {sql_string(graph)});",
                "rdf_loader_run();",
                "SELECT COUNT(*) FROM DB.DBA.load_list WHERE ll_graph = "
                f"{sql_string(graph)} AND ll_file LIKE {sql_string('%/' + name)} "
                "AND (ll_state <> 2 OR ll_error IS NOT NULL);",
            )
            if _last_number(out) != "0":
                errors = self.sql(
                    "SELECT ll_state, ll_error FROM DB.DBA.load_list WHERE ll_graph = "
                    f"{sql_string(graph)} AND ll_file LIKE {sql_string('%/' + name)};"
                )
                raise PushError(f"Virtuoso's bulk loader did not load {source}: {errors.strip()}")
        except OSError as exc:
            raise PushError(f"--bulk-dir {self.folder}: cannot copy the graph: {exc}") from None
        finally:
            part.unlink(missing_ok=True)
            target.unlink(missing_ok=True)

    def sql(self, *statements: str) -> str:
        """Run SQL statements through isql-vt; an error stops and is raised."""
        host, _, port = self.isql.rpartition(":")
        host = "127.0.0.1" if host in ("localhost", "[::1]", "::1") else host
        try:
            done = subprocess.run(
                [
                    "isql-vt",
                    f"{host}:{port}",
                    self.user,
                    self.password,
                    "VERBOSE=OFF",
                    "BANNER=OFF",
                ],
                input="\n".join([*statements, "exit;"]) + "\n",
                capture_output=True,
                text=True,
                timeout=3600,
            )
        except subprocess.TimeoutExpired:
            raise PushError(f"{self.isql}: the bulk loader took over an hour; stopped") from None
        said = done.stdout + done.stderr
        if done.returncode != 0 or "*** Error" in said:
            raise PushError(f"{self.isql}: SQL failed: {' '.join(said.split())[:400]}")
        return done.stdout


def sql_string(text: str) -> str:
    """*text* as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _last_number(out: str) -> str | None:
    """The last number isql printed: the answer of the last statement, a COUNT(*)."""
    numbers = re.findall(r"\b\d+\b", out)
    return numbers[-1] if numbers else None
