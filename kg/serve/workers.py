"""Workers: processes that run queries, each with its own read-only store and no network.

A query that runs past the time limit is stopped by ending its worker (which is
then replaced) and answered 503; the other workers keep answering meanwhile.
Each worker moves itself into a network namespace of its own (no route out), so
that even a SERVICE the check missed could reach no address; queries run on a
thread with a large stack, so that deep queries within the check's limits do not
overflow it.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import KGError
from kg.serve.check import Limits, Refused, check_query, check_with_rdflib
from kg.serve.messages import Answer, error
from kg.serve.results import FORMAT_TYPES, choose, serialize_graph, serialize_table

__all__ = ["ServeError", "WorkerPool", "answer_query", "isolate_network"]

#: bytes of stack for the thread that runs queries (address space, committed only as used)
QUERY_STACK = 512 << 20
DEFAULT_LIMITS = Limits()


class ServeError(KGError):
    """The server cannot start (bad options, port taken, no graph, no isolation)."""


@dataclass(frozen=True)
class WorkerSettings:
    store: str
    graph: str
    max_rows: int
    max_memory: int
    limits: Limits


def _form_of(result: Any) -> str:
    """The query form, from the engine's own result (pyoxigraph or rdflib)."""
    name = type(result).__name__
    if name == "QueryBoolean":
        return "ASK"
    if name == "QueryTriples":
        return "CONSTRUCT"
    if name == "QuerySolutions":
        return "SELECT"
    kind = getattr(result, "type", "SELECT")
    return "CONSTRUCT" if kind in ("CONSTRUCT", "DESCRIBE") else kind


def answer_query(
    store: Any,
    text: str,
    accept: str,
    fmt: str | None,
    max_rows: int,
    limits: Limits = DEFAULT_LIMITS,
) -> Answer:
    """Check, run and serialize one query (in a worker process)."""
    try:
        choose(check_query(text, limits), accept, fmt)  # 406 before any work
        if getattr(store, "inner", None) is None:
            check_with_rdflib(text)  # rdflib evaluates: read the query as its parser does
        try:
            result = store.query(text)
            form = _form_of(result)
            chosen = choose(form, accept, fmt)
            if form == "ASK":
                return _boolean(result, chosen)
            if form == "CONSTRUCT":
                triples = (
                    result if type(result).__module__.startswith("pyoxigraph") else result.graph
                )
                try:
                    body, truncated = serialize_graph(triples, chosen, max_rows)
                except ValueError as exc:  # e.g. RDF/XML cannot write a predicate IRI
                    message = str(exc).splitlines()[0][:200]
                    return error(406, f"the result cannot be written as {chosen}: {message}")
            else:
                if type(result).__module__.startswith("pyoxigraph"):
                    variables = [v.value for v in result.variables]
                else:
                    variables = [str(v) for v in result.vars or []]
                body, truncated = serialize_table(variables, result, chosen, max_rows)
        except SyntaxError as exc:  # Oxigraph's parser: "error at LINE:COLUMN: …"
            from kg.query.results import oxigraph_position

            return error(400, f"malformed query: {oxigraph_position(str(exc))[:300]}")
        except (RuntimeError, ValueError, OSError) as exc:  # also while results are read
            return error(400, f"the query could not be evaluated: {str(exc).splitlines()[0][:200]}")
        headers = {"X-KG-Truncated": f"true; max-rows={max_rows}"} if truncated else {}
        return Answer(200, FORMAT_TYPES[chosen], body, headers)
    except Refused as exc:
        return error(exc.status, str(exc))


def _boolean(result: Any, chosen: str) -> Answer:
    value = (
        bool(result) if type(result).__module__.startswith("pyoxigraph") else bool(result.askAnswer)
    )
    if chosen == "json":
        body = json.dumps({"head": {}, "boolean": value}).encode()
    elif chosen == "xml":
        body = (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n"
        ).encode()
    else:
        body = (("true" if value else "false") + "\n").encode()
    return Answer(200, FORMAT_TYPES[chosen], body)


CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def isolate_network() -> bool:
    """Move this process into a network namespace of its own, with no route out.

    Oxigraph follows SERVICE calls by itself; the query check refuses them, and this
    makes sure a worker could not reach any address even if one slipped through.
    Returns False where the system does not allow it.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return False
    return any(libc.unshare(flags) == 0 for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET))


def _worker_main(conn: Any, settings: WorkerSettings) -> None:  # pragma: no cover - child
    from kg.query.store import open_store

    # A remote store is evaluated by the remote server, which the worker must reach.
    remote = settings.store.startswith("sparql+")
    isolated = False if remote else isolate_network()
    if settings.max_memory:
        import resource

        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (settings.max_memory, settings.max_memory))
    try:
        store = open_store(settings.store, settings.graph)
    except KGError as exc:
        conn.send(("failed", str(exc)))
        return
    conn.send(("ready", "" if isolated or remote else "not network-isolated"))

    def loop() -> None:
        while True:
            try:
                message = conn.recv()
            except EOFError:
                return
            if message is None:
                return
            text, accept, fmt = message
            try:
                reply = answer_query(store, text, accept, fmt, settings.max_rows, settings.limits)
            except MemoryError:
                reply = error(503, "the query needed more memory than a query may use")
            except Exception as exc:  # never a traceback to the client
                reply = error(500, f"the query could not be answered ({type(exc).__name__})")
            conn.send(reply)

    threading.stack_size(QUERY_STACK)
    runner = threading.Thread(target=loop, name="query")
    runner.start()
    runner.join()


class _Worker:
    def __init__(self, settings: WorkerSettings):
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, settings), daemon=True)
        self.process.start()
        child.close()
        self.isolated = False

    def wait_ready(self, seconds: float) -> None:
        if not self.conn.poll(seconds):
            self.kill()
            raise ServeError("a query worker did not start in time")
        state, message = self.conn.recv()
        if state != "ready":
            raise ServeError(message)
        self.isolated = not message

    demoted = False

    def demote(self) -> None:
        self.demoted = True
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, self.process.pid or 0, 10)

    def retire(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        threading.Thread(target=self.kill, daemon=True).start()

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()

    def died(self) -> Answer:
        """The answer for a query whose worker ended while running it."""
        with contextlib.suppress(Exception):
            self.process.join(2)
        code = self.process.exitcode
        if code is not None and code < 0 and -code in (signal.SIGABRT, signal.SIGKILL):
            # Oxigraph aborts when an allocation fails under the memory limit.
            return error(503, "the query was stopped: it needed more memory than a query may use")
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return error(
            503, f"the query stopped the query engine ({how}); the worker has been replaced"
        )


class WorkerPool:
    """Worker processes that run queries; a worker past the time limit is replaced.

    A query still running after ``DEMOTE_AFTER`` seconds has its worker's CPU
    priority lowered (nice 10), so that cheap queries in the other workers keep
    their latency while it runs; a fresh worker takes its place in the pool at
    once, and it is retired once it answers.
    """

    DEMOTE_AFTER = 1.0

    def __init__(
        self,
        store: str,
        graph: Path,
        *,
        workers: int,
        timeout: float,
        max_rows: int,
        max_memory: int,
        limits: Limits,
        allow_unisolated: bool = False,
    ):
        from kg.graph.generations import pin_build

        # Every worker, replacements included, serves the build the server started with.
        resolved, self._pin = pin_build(graph) if graph.exists() else (graph, None)
        self.settings = WorkerSettings(store, str(resolved), max_rows, max_memory, limits)
        self.timeout = timeout
        self.idle: queue.Queue[_Worker] = queue.Queue()
        self.stopped = False
        started = [_Worker(self.settings) for _ in range(max(1, workers))]
        try:
            for worker in started:
                worker.wait_ready(120)
        except ServeError:
            for worker in started:
                worker.kill()
            self.close()
            raise
        self.isolated = all(w.isolated for w in started)
        if not self.isolated and not allow_unisolated:
            for worker in started:
                worker.kill()
            self.close()
            raise ServeError(
                "this system does not let the query workers drop their network access "
                "(unshare of a network namespace was refused), so a query that slipped past "
                "the check could reach other hosts; refusing to serve. Allow unprivileged "
                "namespaces (sysctl user.max_net_namespaces, kernel.unprivileged_userns_clone), "
                "or accept the risk with --allow-unisolated-workers"
            )
        for worker in started:
            self.idle.put(worker)

    def _replace(self) -> None:
        def start() -> None:
            if self.stopped:
                return
            worker = _Worker(self.settings)
            try:
                worker.wait_ready(120)
            except ServeError:
                return
            self.idle.put(worker)

        threading.Thread(target=start, daemon=True).start()

    def run(self, text: str, accept: str, fmt: str | None) -> Answer:
        deadline = time.monotonic() + self.timeout
        try:
            worker = self.idle.get(timeout=self.timeout)
        except queue.Empty:
            return error(503, "the server is busy; try again shortly")
        try:
            worker.conn.send((text, accept, fmt))
            ready = worker.conn.poll(min(self.DEMOTE_AFTER, max(0.0, deadline - time.monotonic())))
            if not ready:
                # A long query yields the CPU to the cheap ones running in other workers,
                # and a fresh worker takes its place in the pool straight away.
                worker.demote()
                self._replace()
                ready = worker.conn.poll(max(0.0, deadline - time.monotonic()))
            if ready:
                reply: Answer = worker.conn.recv()
                if worker.demoted:  # its priority cannot be raised again; replaced already
                    worker.retire()
                else:
                    self.idle.put(worker)
                return reply
        except (OSError, EOFError):
            answer = worker.died()
            worker.kill()
            if not worker.demoted:
                self._replace()
            return answer
        worker.kill()
        if not worker.demoted:
            self._replace()
        return error(503, f"the query ran past the {self.timeout:g} s time limit and was stopped")

    def close(self) -> None:
        self.stopped = True
        if self._pin is not None:
            with contextlib.suppress(OSError):
                os.close(self._pin)
            self._pin = None
        while True:
            try:
                worker = self.idle.get_nowait()
            except queue.Empty:
                break
            with contextlib.suppress(Exception):
                worker.conn.send(None)
            worker.kill()
