"""A throwaway Virtuoso on loopback: for trying ``kg push``, and for the tests.

Debian's ``virtuoso-opensource-7-bin`` runs from a folder of its own (database, log,
``virtuoso.ini``), its SQL and HTTP ports on 127.0.0.1 only, on free ports. The anonymous
``/sparql`` endpoint stays read-only, and updates go through ``/sparql-auth`` (HTTP
Digest) as ``dba``.

With a password given, the shipped accounts (``dba`` and ``dav``, whose shipped passwords
are their names) never take a login, and the password is written nowhere but
``credentials.env``:

- the password goes into ``credentials.env`` first (a new file of mode 600, renamed over
  any old one);
- the server is started once with no listener at all (``+checkpoint-only``): its
  ``autoexec.isql`` reads the password from that file (so no statement the server logs
  holds it), sets ``dba``'s and a random one for ``dav``, checkpoints (which empties the
  transaction log) and writes a mark only if both took; the server then exits;
- only then is it started with its SQL and HTTP ports.

The folder is 700 (made so), and the files in it are readable by their owner only: Virtuoso
sets its own umask, 022, so its files are made first, with mode 600. Its HTTP server's file
root is an empty folder of its own: with the server's folder as root, it served
``credentials.env`` and the transaction log to anyone on the machine who asked.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from kg.errors import KGError

__all__ = [
    "CREDENTIALS",
    "PASSWORD_VAR",
    "VirtuosoError",
    "VirtuosoServer",
    "free_ports",
    "new_password",
    "write_private",
]

#: The file of the server's folder holding its password, as ``PASSWORD_VAR=…``.
CREDENTIALS = "credentials.env"
#: The environment variable name the password is given in ``credentials.env``.
PASSWORD_VAR = "KG_VIRTUOSO_PASSWORD"
#: The files Virtuoso makes in its folder (made by us first, mode 600).
_FILES = (
    "virtuoso.db",
    "virtuoso.trx",
    "virtuoso.pxa",
    "virtuoso-temp.db",
    "virtuoso-temp.trx",
    "virtuoso.log",
)
#: The mark the first start writes once both passwords are set (checked, then removed).
_MARK = "passwords-set"

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
; An empty folder: the HTTP server serves the files under its root to anyone who asks.
ServerRoot = {www}
MaxClientConnections = 4
ServerThreads = 4

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 600
"""

#: The password as the server reads it from credentials.env (``KG_VIRTUOSO_PASSWORD=…``).
_FROM_FILE = (
    f"trim (subseq (file_to_string ('{CREDENTIALS}'), {len(PASSWORD_VAR) + 1}), "
    "concat (' ', chr (9), chr (10), chr (13)))"
)

#: Run by the first start, which has no listener; it holds no password.
_AUTOEXEC = f"""USER_PASSWORD_SET ('dba', {_FROM_FILE});
USER_PASSWORD_SET ('dav', xenc_rand_bytes (24, 1));
checkpoint;
SELECT string_to_file ('{_MARK}', 'set', -2) FROM DB.DBA.SYS_USERS
 WHERE U_NAME = 'dba' AND pwd_magic_calc (U_NAME, U_PASSWORD, 1) = {_FROM_FILE}
 AND NOT EXISTS (SELECT 1 FROM DB.DBA.SYS_USERS WHERE U_NAME = 'dav'
                 AND pwd_magic_calc (U_NAME, U_PASSWORD, 1) = 'dav');
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


def write_private(path: Path, text: str) -> None:
    """Write *text* to *path*, readable by its owner only, whatever an old file's mode was:
    a new file is made with mode 600 and renamed over the old one (never rewritten in place,
    which keeps the old file's mode)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.new")
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _private_folder(folder: Path) -> None:
    """*folder*, made with mode 700 (never open in between), or an old one set to 700."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)


def _owner_only(folder: Path) -> None:
    """Take the group's and others' rights away from what *folder* holds."""
    for entry in folder.iterdir():
        mode = entry.lstat().st_mode
        if not entry.is_symlink() and mode & 0o077:
            os.chmod(entry, mode & 0o7700)


class VirtuosoServer:
    """Start Virtuoso in *folder* (made if missing; its old database files are removed).

    *memory_mb* sizes its page buffers (Virtuoso's guide: about 2/3 of the memory it may
    use); *password*, if given, replaces the shipped ``dba`` and ``dav`` passwords before
    the server listens (see the module) and is written to :attr:`credentials`.
    """

    def __init__(self, folder: Path, password: str | None = None, memory_mb: int = 256):
        if shutil.which("virtuoso-t") is None or shutil.which("isql-vt") is None:
            raise VirtuosoError(
                "Virtuoso is not installed: apt-get install virtuoso-opensource-7-bin"
            )
        if password is not None and (
            not password or not password.isprintable() or any(c.isspace() for c in password)
        ):
            raise VirtuosoError("the password must be printable, with no spaces")
        self.folder = Path(folder).resolve()
        self.load_dir = self.folder / "load"
        self.credentials = self.folder / CREDENTIALS
        self.password = "dba"
        self.process: subprocess.Popen[bytes] | None = None
        self._memory_mb = memory_mb
        self._prepare()
        self.sql_port, self.http_port = free_ports(2)
        self._write_ini()
        if password is not None:
            write_private(self.credentials, f"{PASSWORD_VAR}={password}\n")
            self._set_passwords()
            self.password = password
        for attempt in range(3):  # a port taken between choosing and binding: try others
            try:
                self._start()
                break
            except VirtuosoError:
                if attempt == 2:
                    raise
                self.sql_port, self.http_port = free_ports(2)
                self._write_ini()

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

    @property
    def log(self) -> Path:
        return self.folder / "virtuoso.log"

    def _prepare(self) -> None:
        """The folder private, emptied of an old server's files."""
        folder = self.folder
        _private_folder(folder)
        for name in ("load", "www"):
            with contextlib.suppress(FileExistsError):
                (folder / name).mkdir(mode=0o700)
        for old in [
            *folder.glob("virtuoso*"),
            *folder.glob(f".{CREDENTIALS}.*.new"),
            folder / "autoexec.isql",
            folder / _MARK,
            folder / CREDENTIALS,
        ]:
            old.unlink(missing_ok=True)
        _owner_only(folder)
        _owner_only(self.load_dir)

    def _write_ini(self) -> None:
        buffers = max(2000, self._memory_mb * 1024 // 8 * 2 // 3)  # 8 KB pages
        write_private(
            self.folder / "virtuoso.ini",
            _INI.format(
                folder=self.folder,
                load=self.load_dir,
                www=self.folder / "www",
                sql_port=self.sql_port,
                http_port=self.http_port,
                buffers=buffers,
                dirty=buffers * 3 // 4,
                after_image=AFTER_IMAGE_LIMIT,
            ),
        )

    def _launch(self, *options: str) -> subprocess.Popen[bytes]:
        """virtuoso-t in the foreground, its messages appended to its log.

        Virtuoso sets its own umask (022) and makes its files readable by all, so they are
        made first, with mode 600 (a file that exists keeps its mode when opened).
        """
        for name in _FILES:
            os.close(os.open(self.folder / name, os.O_WRONLY | os.O_CREAT, 0o600))
        fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            return subprocess.Popen(
                [
                    "virtuoso-t",
                    "+foreground",
                    *options,
                    "+configfile",
                    str(self.folder / "virtuoso.ini"),
                ],
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=fd,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        finally:
            os.close(fd)

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def _set_passwords(self) -> None:
        """Set the passwords in a first start that opens no port (see the module)."""
        autoexec = self.folder / "autoexec.isql"
        mark = self.folder / _MARK
        write_private(autoexec, _AUTOEXEC)
        try:
            first = self._launch("+checkpoint-only")
            try:
                first.wait(600)
            except subprocess.TimeoutExpired:
                first.kill()
                first.wait()
            if not mark.exists():
                raise VirtuosoError(
                    "Virtuoso's first start did not set the passwords (it was never reachable):"
                    f"\n{self._log_tail()}"
                )
        finally:
            autoexec.unlink(missing_ok=True)
            mark.unlink(missing_ok=True)

    def _start(self) -> None:
        (self.folder / "virtuoso.lck").unlink(missing_ok=True)
        self.process = self._launch()
        probe = f"http://127.0.0.1:{self.http_port}/sparql?query=ASK%7B%7D"
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(probe, timeout=5):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise VirtuosoError(f"Virtuoso did not start:\n{self._log_tail()}") from None
                time.sleep(0.3)
        _owner_only(self.folder)  # what Virtuoso made that was not made first (its lock)

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
