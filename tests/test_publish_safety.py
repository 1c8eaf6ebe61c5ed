"""The attacks and mistakes of issue 19 on `kg push` and `kg virtuoso`, against the real
programs: one `kg virtuoso` for the module, started in a folder an earlier run left open to
all (mode 755, its credentials.env 644), watched from before it starts by a thread that
tries to log in with the shipped dba/dba, over SQL and HTTP, until it is ready; and one
`kg virtuoso` killed with SIGKILL, whose folder stays behind.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kg.publish.client import Endpoint
from kg.publish.push import DEFAULT_GRAPH, META_GRAPH, staging_graph
from tests.test_push import lines, start_kg_virtuoso

#: Virtuoso's own graph of its RDF views (2,479 triples in Debian's 7.2).
SYSTEM_GRAPH = "http://www.openlinksw.com/schemas/virtrdf#"


class Watcher:
    """Log in as dba/dba, over SQL (isql-vt) and HTTP Digest (/sparql-auth), back to back,
    once the server's folder names its ports, until told to stop; count the outcomes."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.seen: dict[str, Counter[str]] = {"sql": Counter(), "http": Counter()}
        self.odd: list[str] = []
        self.ready = threading.Event()
        self.threads = [
            threading.Thread(target=self._loop, args=(kind,), daemon=True)
            for kind in ("sql", "http")
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        """Stop after a few more tries each, the server being ready."""
        self.ready.set()
        for thread in self.threads:
            thread.join(120)

    def _ports(self) -> tuple[int, int] | None:
        try:
            ini = (self.folder / "virtuoso.ini").read_text()
        except OSError:
            return None
        ports = re.findall(r"^ServerPort = 127\.0\.0\.1:(\d+)", ini, re.M)
        return (int(ports[0]), int(ports[1])) if len(ports) == 2 else None

    def _loop(self, kind: str) -> None:
        after = 0
        while after < 5:
            ports = self._ports()
            if ports is None:
                outcome = "no ports yet"
            else:
                outcome = self._sql(ports[0]) if kind == "sql" else self._http(ports[1])
            self.seen[kind][outcome] += 1
            if self.ready.is_set():
                after += 1
            elif outcome in ("no ports yet", "nothing listening"):
                time.sleep(0.005)  # tight, and leaves the server a share of the processors

    def _sql(self, port: int) -> str:
        try:
            done = subprocess.run(
                ["isql-vt", f"127.0.0.1:{port}", "dba", "dba", "VERBOSE=OFF", "BANNER=OFF"],
                input="SELECT 'LOGGED' || 'IN';\nexit;\n",
                capture_output=True,
                text=True,
                timeout=20,
            )
        except subprocess.TimeoutExpired:
            return "no answer"
        said = done.stdout + done.stderr
        if "LOGGEDIN" in said:
            return "logged in"
        if "Bad login" in said:
            return "refused"
        if "Connect failed" in said:
            return "nothing listening"
        self.odd.append(said[-300:])
        return "other"

    def _http(self, port: int) -> str:
        url = f"http://127.0.0.1:{port}/sparql-auth?query=ASK%7B%7D"
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, "dba", "dba")
        opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))
        try:
            with opener.open(url, timeout=20) as answer:
                return "logged in" if answer.status == 200 else f"HTTP {answer.status}"
        except urllib.error.HTTPError as exc:
            return "refused" if exc.code == 401 else f"HTTP {exc.code}"
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ConnectionRefusedError):
                return "nothing listening"
            return "no answer"
        except OSError:
            return "no answer"


@dataclass
class Running:
    folder: Path
    process: subprocess.Popen[str]
    said: str
    password: str
    auth: str  #: the /sparql-auth endpoint
    watcher: Watcher
    env: dict[str, str] = field(default_factory=dict)

    def endpoint(self) -> Endpoint:
        return Endpoint(
            self.auth, self.auth.replace("-auth", "-graph-crud-auth"), "dba", self.password
        )

    def count(self, graph: str) -> int:
        return self.endpoint().count(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        )


@pytest.fixture(scope="module")
def kgv():
    # Not under pytest's own folder (mode 700, which would keep `nobody` out by itself).
    parent = Path(tempfile.mkdtemp(prefix="kg-test-virtuoso-"))
    os.chmod(parent, 0o755)
    folder = parent / "v"
    folder.mkdir()
    os.chmod(folder, 0o755)  # what an earlier run left: open to all ...
    (folder / "virtuoso.ini").write_text("; an earlier run's\n")
    old = folder / "credentials.env"
    old.write_text("KG_VIRTUOSO_PASSWORD=the-old-one\n")
    os.chmod(old, 0o644)  # ... its credentials.env too
    watcher = Watcher(folder)
    watcher.start()
    process, said = start_kg_virtuoso(folder, 128)
    watcher.stop()
    try:
        assert said.rstrip().splitlines()[-1].startswith("Ctrl-C"), said
        password = (folder / "credentials.env").read_text().strip().split("=", 1)[1]
        auth = re.search(r"http://127\.0\.0\.1:\d+/sparql-auth", said)
        assert auth is not None, said
        env = {**os.environ, "KG_TEST_PASSWORD": password}
        yield Running(folder, process, said, password, auth.group(0), watcher, env)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
        shutil.rmtree(parent, ignore_errors=True)


def kg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def push(
    kgv: Running, built, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return kg(
        "push",
        "--to",
        kgv.auth,
        "--user",
        "dba",
        "--password-env",
        "KG_TEST_PASSWORD",
        "--out",
        str(built.out),
        *extra,
        env=env or kgv.env,
    )


# -- 10: the shipped dba/dba ----------------------------------------------------------


def test_the_shipped_password_never_logs_in_while_kg_virtuoso_starts(kgv):
    seen = kgv.watcher.seen
    print(f"dba/dba tries while `kg virtuoso` started: {dict(seen['sql'])}, {dict(seen['http'])}")
    assert seen["sql"]["logged in"] == 0 and seen["http"]["logged in"] == 0, seen
    # The watcher was at work before anything listened and while the server answered.
    for kind in ("sql", "http"):
        assert seen[kind]["nothing listening"] > 0 and seen[kind]["refused"] > 0, seen
    assert not kgv.watcher.odd, kgv.watcher.odd


# -- 7: what a push may replace -----------------------------------------------------------


def test_a_push_does_not_replace_a_graph_no_push_made_without_force(kgv, built):
    system = kgv.count(SYSTEM_GRAPH)
    assert system > 1000  # Virtuoso's own
    refused = push(kgv, built, "--graph", SYSTEM_GRAPH)
    assert refused.returncode == 1, refused.stdout
    assert "did not put there" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert kgv.count(SYSTEM_GRAPH) == system

    foreign = "urn:test:another-application"
    kgv.endpoint().update(f"INSERT DATA {{ GRAPH <{foreign}> {{ <urn:a> <urn:b> 1 , 2 , 3 }} }}")
    refused = push(kgv, built, "--graph", foreign)
    assert refused.returncode == 1 and "holds 3 triples" in refused.stderr, refused.stderr
    assert kgv.count(foreign) == 3
    forced = push(kgv, built, "--graph", foreign, "--force")
    assert forced.returncode == 0, forced.stderr
    assert kgv.count(foreign) == lines(built.out / "kg.nt")
    again = push(kgv, built, "--graph", foreign)  # now a push's: no --force needed
    assert again.returncode == 0 and "Unchanged" in again.stdout, again.stderr


def test_the_record_graph_and_the_staging_graphs_are_never_a_target(kgv, built):
    assert push(kgv, built).returncode == 0  # a record to keep
    record = kgv.count(META_GRAPH)
    assert record > 0
    for graph in (META_GRAPH, staging_graph(DEFAULT_GRAPH)):
        refused = push(kgv, built, "--graph", graph, "--force")
        assert refused.returncode == 1 and "reserved" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert kgv.count(META_GRAPH) == record
    assert kgv.count(staging_graph(DEFAULT_GRAPH)) == 0
    again = push(kgv, built)
    assert again.returncode == 0 and "Unchanged" in again.stdout, again.stderr


# -- 11: a password in a URL -----------------------------------------------------------


def test_a_password_in_the_url_is_never_printed(kgv, built):
    secret = "s3cret-" + os.urandom(4).hex()
    out = ["--out", str(built.out)]
    closed = kg("push", "--to", f"http://dba:{secret}@127.0.0.1:1/sparql-auth", *out)
    said = closed.stdout + closed.stderr
    assert closed.returncode == 1 and secret not in said and "Traceback" not in said
    assert "the server at 127.0.0.1:1 does not answer" in closed.stderr, closed.stderr

    port = kgv.auth.split(":")[2].split("/")[0]
    wrong = kg("push", "--to", f"http://dba:{secret}@127.0.0.1:{port}/sparql-auth", *out)
    said = wrong.stdout + wrong.stderr
    assert wrong.returncode == 1 and "HTTP 401" in said and secret not in said, said

    for bad in (
        ["--to", f"http://dba:{secret}@127.0.0.1:{port}/elsewhere"],  # no Graph Store beside
        ["--to", kgv.auth, "--gsp", f"ftp://dba:{secret}@127.0.0.1/x"],  # not http
        ["--to", f"http://dba:{secret}@127.0.0.1:99999/sparql-auth"],  # no such port
    ):
        refused = kg("push", *bad, *out)
        said = refused.stdout + refused.stderr
        assert refused.returncode == 1 and "Error:" in said, said
        assert secret not in said and "Traceback" not in said, said

    # The right password in the URL works; it is warned about, and printed nowhere.
    right = f"http://dba:{kgv.password}@127.0.0.1:{port}/sparql-auth"
    done = kg("push", "--to", right, "--graph", "urn:test:by-url", *out)
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert kgv.password not in said and "Warning: a password in a URL" in said
    assert f"sparql+http://127.0.0.1:{port}/sparql?" in done.stdout
    assert kgv.count("urn:test:by-url") == lines(built.out / "kg.nt")


def test_redact_hides_only_the_password():
    from kg.publish.client import redact

    assert redact("http://dba:pw@h:1/p?q=a:b@c") == "http://dba:***@h:1/p?q=a:b@c"
    assert redact("https://u:p@ss@h/") == "https://u:***@h/"
    assert redact("http://dba@h/") == "http://dba@h/"
    assert "pw" not in repr(Endpoint("http://u:pw@h/sparql", "http://h/g"))


# -- 9: where the password is, and who can read it ------------------------------------------


def exposure(folder: Path, password: str) -> tuple[list[str], dict[str, str]]:
    """The files of *folder* holding *password*, and what in it (itself included) others
    may read or enter, with its mode."""
    holding, loose = [], {}
    for path in [folder, *sorted(folder.rglob("*"))]:
        mode = path.lstat().st_mode
        if mode & 0o077:
            loose[str(path.relative_to(folder))] = oct(mode & 0o777)
        if path.is_file() and password.encode() in path.read_bytes():
            holding.append(path.name)
    return holding, loose


def test_the_password_is_in_credentials_env_only_and_nobody_else_reads_the_folder(kgv, built):
    assert push(kgv, built).returncode == 0  # the server has written its logs
    folder = kgv.folder
    assert kgv.password != "the-old-one" and len(kgv.password) >= 20
    names = {path.name for path in folder.iterdir()}
    assert {"virtuoso.trx", "virtuoso.log", "virtuoso.db", "credentials.env"} <= names
    holding, loose = exposure(folder, kgv.password)
    assert holding == ["credentials.env"], holding  # Virtuoso's transaction log held it
    assert not loose, loose  # the folder was 755 and credentials.env 644 before the run
    assert (folder / "credentials.env").stat().st_mode & 0o777 == 0o600


def test_the_http_server_serves_no_file_of_the_folder(kgv):
    # Virtuoso's HTTP server serves the files under its root to anyone who asks: with the
    # folder as its root, it served credentials.env.
    http = kgv.auth.rsplit("/", 1)[0]
    for name in ("credentials.env", "virtuoso.trx", "virtuoso.ini", "../credentials.env"):
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{http}/{name}", timeout=30).close()


def started(
    folder: Path, running: list[subprocess.Popen[str]]
) -> tuple[subprocess.Popen[str], str, dict[str, str]]:
    """`kg virtuoso` in *folder* (added to *running*): the process, what it said, and its
    password, pid, /sparql-auth and SQL address."""
    process, said = start_kg_virtuoso(folder, 64)
    running.append(process)
    assert said.rstrip().splitlines()[-1].startswith("Ctrl-C"), said
    found = {"password": (folder / "credentials.env").read_text().strip().split("=", 1)[1]}
    for name, pattern in (
        ("pid", r"running \(pid (\d+)\)"),
        ("auth", r"(http://127\.0\.0\.1:\d+/sparql-auth)"),
        ("sql", r"SQL \(isql-vt\): +(127\.0\.0\.1:\d+)"),
    ):
        match = re.search(pattern, said)
        assert match is not None, said
        found[name] = match.group(1)
    return process, said, found


def test_a_folder_a_killed_kg_virtuoso_leaves_keeps_the_password_private(built):
    parent = Path(tempfile.mkdtemp(prefix="kg-test-virtuoso-"))
    os.chmod(parent, 0o755)  # others may enter: only the folder's own mode keeps them out
    folder = parent / "v"
    running: list[subprocess.Popen[str]] = []
    try:
        process, said, first = started(folder, running)
        bulk = ["--isql", first["sql"], "--bulk-dir", str(folder / "load"), "--out", str(built.out)]
        env = {**os.environ, "KG_TEST_PASSWORD": first["password"]}
        login = ["--user", "dba", "--password-env", "KG_TEST_PASSWORD"]
        pushed = kg("push", "--to", first["auth"], *login, *bulk, env=env)
        assert pushed.returncode == 0 and "bulk loader" in pushed.stdout, pushed.stderr
        process.kill()  # no clean-up: the folder stays, and the kernel stops the server
        process.wait(30)
        server = Path(f"/proc/{first['pid']}")
        deadline = time.monotonic() + 60
        while server.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not server.exists()
        assert (folder / "virtuoso.db").exists()  # left behind, as it was
        holding, loose = exposure(folder, first["password"])
        assert holding == ["credentials.env"] and not loose, (holding, loose)

        # `kg virtuoso` takes the folder it left again, with a new password.
        process, said, second = started(folder, running)
        assert second["password"] != first["password"]
        # The bulk loader logs in with a password given in the URL (it used to get none).
        bulk[1] = second["sql"]
        to = second["auth"].replace("http://", f"http://dba:{second['password']}@")
        pushed = kg("push", "--to", to, *bulk)
        said = pushed.stdout + pushed.stderr
        assert pushed.returncode == 0 and "bulk loader" in pushed.stdout, said
        assert second["password"] not in said
        holding, loose = exposure(folder, second["password"])
        assert holding == ["credentials.env"] and not loose, (holding, loose)
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
        assert not folder.exists()
    finally:
        for left in running:  # stopped, whatever failed
            if left.poll() is None:
                left.send_signal(signal.SIGINT)
                try:
                    left.wait(60)
                except subprocess.TimeoutExpired:
                    left.kill()
        shutil.rmtree(parent, ignore_errors=True)


def test_another_user_of_the_machine_reads_nothing_of_the_folder(kgv):
    if os.geteuid() != 0:  # CI runs as root
        pytest.skip("needs root, to try reading as user nobody")
    folder = kgv.folder
    control = subprocess.run(
        ["runuser", "-u", "nobody", "--", "cat", "/etc/hostname"], capture_output=True
    )
    assert control.returncode == 0  # runuser works, so a refusal below is the folder's
    for name in ("credentials.env", "virtuoso.trx", "virtuoso.log", "virtuoso.db"):
        tried = subprocess.run(
            ["runuser", "-u", "nobody", "--", "cat", str(folder / name)], capture_output=True
        )
        assert tried.returncode != 0 and b"Permission denied" in tried.stderr, name
    listed = subprocess.run(
        ["runuser", "-u", "nobody", "--", "ls", str(folder)], capture_output=True
    )
    assert listed.returncode != 0
