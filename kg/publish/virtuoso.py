"""A throwaway Virtuoso on loopback: for trying ``kg push``, and for the tests.

Debian's ``virtuoso-opensource-7-bin`` runs from a folder of its own (database, log,
``virtuoso.ini``), its SQL and HTTP ports on 127.0.0.1 only, on free ports. With a
password given, the shipped accounts (``dba``, ``dav``, whose shipped passwords are their
names) get it before the HTTP port is announced; the anonymous ``/sparql`` endpoint stays
read-only, and updates go through ``/sparql-auth`` (HTTP Digest) as ``dba``.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from kg.errors import KGError
from kg.publish.bulk import sql_string

__all__ = ["VirtuosoError", "VirtuosoServer", "free_ports", "new_password"]

_INI = """[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DirsAllowed = ., {folder}, {load}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
MaxCheckpointRemap = {buffers}
; A push swaps its staging graph in with one transaction, whose log grows with the graph
; (about 400 bytes a triple); Virtuoso's default limit, 50 MB, stops at about 100k triples.
TransactionAfterImageLimit = {after_image}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
MaxClientConnections = 4
ServerThreads = 4

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 600
"""


class VirtuosoError(KGError):
    """Virtuoso cannot be started or does not answer."""


#: Virtuoso's TransactionAfterImageLimit for the servers started here (bytes).
AFTER_IMAGE_LIMIT = 2_000_000_000


def _die_with_parent() -> None:
    """In the child: the kernel stops the server when the process that started it dies,
    however it dies (SIGKILL included), so no throwaway server outlives its owner."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def new_password() -> str:
    return secrets.token_urlsafe(18)


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all held open until all are chosen)."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


class VirtuosoServer:
    """Start Virtuoso in *folder* (made if missing; its old database files are removed).

    *memory_mb* sizes its page buffers (Virtuoso's guide: about 2/3 of the memory it may
    use); *password*, if given, replaces the shipped ``dba`` and ``dav`` passwords.
    """

    def __init__(self, folder: Path, password: str | None = None, memory_mb: int = 256):
        if shutil.which("virtuoso-t") is None or shutil.which("isql-vt") is None:
            raise VirtuosoError(
                "Virtuoso is not installed: apt-get install virtuoso-opensource-7-bin"
            )
        self.folder = Path(folder).resolve()
        self.load_dir = self.folder / "load"
        self.password = "dba"
        self.process: subprocess.Popen[bytes] | None = None
        self._memory_mb = memory_mb
        for attempt in range(3):  # a port taken between choosing and binding: try others
            self.sql_port, self.http_port = free_ports(2)
            try:
                self._start()
                break
            except VirtuosoError:
                if attempt == 2:
                    raise
        if password is not None:
            self.sql(
                f"USER_PASSWORD_SET ('dba', {sql_string(password)});",
                f"USER_PASSWORD_SET ('dav', {sql_string(new_password())});",
            )
            self.password = password

    @property
    def endpoint(self) -> str:
        """The anonymous, read-only SPARQL endpoint."""
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def auth_endpoint(self) -> str:
        """The SPARQL endpoint that takes updates, with HTTP Digest authentication."""
        return f"http://127.0.0.1:{self.http_port}/sparql-auth"

    @property
    def isql(self) -> str:
        return f"127.0.0.1:{self.sql_port}"

    def _start(self) -> None:
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        self.load_dir.mkdir(exist_ok=True)
        for old in folder.glob("virtuoso*"):
            old.unlink()
        buffers = max(2000, self._memory_mb * 1024 // 8 * 2 // 3)  # 8 KB pages
        (folder / "virtuoso.ini").write_text(
            _INI.format(
                folder=folder,
                load=self.load_dir,
                sql_port=self.sql_port,
                http_port=self.http_port,
                buffers=buffers,
                dirty=buffers * 3 // 4,
                after_image=AFTER_IMAGE_LIMIT,
            ),
            encoding="utf-8",
        )
        self.process = subprocess.Popen(
            ["virtuoso-t", "+foreground", "+configfile", str(folder / "virtuoso.ini")],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        probe = f"http://127.0.0.1:{self.http_port}/sparql?query=ASK%7B%7D"
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(probe, timeout=5):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "virtuoso.log").read_text(errors="replace")[-2000:]
                    self.stop()
                    raise VirtuosoError(f"Virtuoso did not start:\n{log}") from None
                time.sleep(0.3)

    def sql(self, *statements: str, timeout: float = 3600) -> str:
        """Run SQL statements as dba through isql-vt; an error is raised."""
        done = subprocess.run(
            ["isql-vt", self.isql, "dba", self.password, "VERBOSE=OFF", "BANNER=OFF"],
            input="\n".join([*statements, "exit;"]) + "\n",
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise VirtuosoError(f"isql failed: {done.stdout}{done.stderr}")
        return done.stdout

    def memory_kb(self) -> int:
        """The server process's resident memory (VmRSS), in KiB."""
        if self.process is None:
            return 0
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)
