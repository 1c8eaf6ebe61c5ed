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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kg.errors import KGError
from kg.serve.cache import AnswerCache, CostBook, cacheable
from kg.serve.check import Limits, Refused, check_query, check_with_rdflib
from kg.serve.messages import Answer, error
from kg.serve.results import FORMAT_TYPES, choose, serialize_graph, serialize_table

__all__ = ["ServeError", "WorkerPool", "answer_query", "generation_of", "isolate_network"]

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
    nice: int = 0  #: the workers' CPU priority (the expensive lane's run at nice 10)


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
    if settings.nice:
        with contextlib.suppress(OSError):
            os.nice(settings.nice)
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
        try:
            state, message = self.conn.recv()
        except (EOFError, OSError):  # it ended before it was ready (the server is stopping)
            self.kill()
            raise ServeError("a query worker stopped before it was ready") from None
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


class _Lane:
    """The workers of one build that run one kind of query: the cheap or the expensive."""

    def __init__(self, name: str, settings: WorkerSettings, count: int, demote: bool):
        self.name = name
        self.settings = settings
        self.demotes = demote  #: a query running long here is demoted and its worker replaced
        self.idle: queue.Queue[_Worker | None] = queue.Queue()
        self.stopped = False
        self.started = [_Worker(settings) for _ in range(count)]
        #: a started worker kept ready to take a demoted one's place at once (cheap lane)
        self.spare: queue.Queue[_Worker] = queue.Queue()

    def wait_ready(self) -> None:
        try:
            for worker in self.started:
                worker.wait_ready(120)
        except ServeError:
            for worker in self.started:
                worker.kill()
            raise
        for worker in self.started:
            self.idle.put(worker)
        if self.demotes:
            self._start(self.spare)

    def get_nowait(self) -> _Worker | None:
        """An idle worker if there is one now (None: none, or the lane has closed)."""
        if self.stopped:
            return None
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            return None

    def get(self, timeout: float) -> _Worker | None:
        """An idle worker (queue.Empty after *timeout*); None once the lane has closed."""
        if self.stopped:
            return None
        return self.idle.get(timeout=timeout)

    def put(self, worker: _Worker) -> None:
        if self.stopped:
            worker.retire()
        else:
            self.idle.put(worker)

    def replace(self) -> None:
        """Put a worker in the place of one demoted or stopped: the spare if it is ready
        (and start the next spare), else a new one as soon as it has started."""
        try:
            spare = self.spare.get_nowait()
        except queue.Empty:
            self._start(None)
            return
        self.put(spare)
        self._start(self.spare)

    def _start(self, into: queue.Queue[_Worker] | None) -> None:
        def start() -> None:
            if self.stopped:
                return
            worker = _Worker(self.settings)
            try:
                worker.wait_ready(120)
            except ServeError:
                return
            if into is None or self.stopped:
                self.put(worker)
            else:
                into.put(worker)
                if self.stopped:  # closed meanwhile
                    self._drop_spares()

        threading.Thread(target=start, daemon=True).start()

    def _drop_spares(self) -> None:
        while True:
            try:
                self.spare.get_nowait().kill()
            except queue.Empty:
                break

    def close(self) -> None:
        """Stop the idle workers; the busy ones stop once they answer."""
        self.stopped = True
        while True:
            try:
                idle = self.idle.get_nowait()
            except queue.Empty:
                break
            if idle is not None:
                with contextlib.suppress(Exception):
                    idle.conn.send(None)
                idle.kill()
        self._drop_spares()
        for _ in range(256):  # wake whoever waits for a worker here: it asks the new build
            self.idle.put(None)


def generation_of(graph: Path) -> str:
    """The name of the build *graph* belongs to: its generation folder, else the file's name."""
    from kg.graph.generations import GENERATIONS

    return graph.parent.name if graph.parent.parent.name == GENERATIONS else graph.name


class _Build:
    """The workers serving one build, in two lanes, and the pin that keeps the build."""

    def __init__(self, graph: Path, settings: WorkerSettings, workers: int):
        from kg.graph.generations import pin_build

        resolved, self.pin = pin_build(graph) if graph.exists() else (graph, None)
        self.graph = resolved
        self.generation = generation_of(resolved)
        self.settings = replace(settings, graph=str(resolved))
        expensive = workers // 2  # a lane of its own, at a lower CPU priority
        self.cheap = _Lane("cheap", self.settings, max(1, workers - expensive), demote=True)
        self.expensive = (
            _Lane("expensive", replace(self.settings, nice=10), expensive, demote=False)
            if expensive
            else None
        )
        lanes = [lane for lane in (self.cheap, self.expensive) if lane is not None]
        try:
            for lane in lanes:
                lane.wait_ready()
        except ServeError:
            for lane in lanes:
                for worker in lane.started:
                    worker.kill()
            self.close()
            raise
        self.isolated = all(w.isolated for lane in lanes for w in lane.started)

    def lane(self, expensive: bool) -> _Lane:
        return self.expensive if expensive and self.expensive is not None else self.cheap

    def close(self) -> None:
        for lane in (self.cheap, self.expensive):
            if lane is not None:
                lane.close()
        if self.pin is not None:
            with contextlib.suppress(OSError):
                os.close(self.pin)
            self.pin = None


class WorkerPool:
    """Worker processes that run queries, for the current build, with the answers kept.

    **Builds.** Given a built graph (``build/kg.nt``, a link into the current build), the
    pool serves the build that link names, pinned (``pin_build``) so that every worker,
    replacements included, answers from it; when a newer build is published, a new set
    of workers is started on it, and once they are ready the pool moves to them at once:
    a query is answered wholly by one build, and the older build's workers stop when
    they have answered. A graph file given as it is (not a link) is served as it is.

    **Cost.** Queries run in two lanes: those measured expensive (over ``EXPENSIVE``
    seconds on their last runs, by their text without comments) in workers of their own
    at a lower CPU priority (nice 10), every other query in the cheap lane, so a cheap
    query never waits behind an expensive one (it may take an idle worker of the
    expensive lane when no cheap one is free; never the reverse). A query not yet
    measured that is still running in the cheap lane after ``DEMOTE_AFTER`` seconds has
    its worker's priority lowered and a fresh worker takes its place at once (a spare
    kept started for this), and the query is known as expensive from then on; the slow
    worker is retired once it answers.

    **Answers** of 200 are kept (:class:`~kg.serve.cache.AnswerCache`, *cache_bytes*) by
    build, query text, ``Accept`` and ``?format=``; each answer says which build gave it
    (``X-KG-Build``), whether it was kept (``X-KG-Cache: hit``) and in which lane it ran.
    """

    DEMOTE_AFTER = 0.5
    EXPENSIVE = 0.5  #: seconds: a query measured this slow on its last runs is expensive

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
        follow: bool = True,
        cache_bytes: int = 64 << 20,
    ):
        self.source = graph  #: as given: a link into the current build is followed
        self.follow = follow and not store.startswith("sparql+")
        self.workers = max(1, workers)
        self.timeout = timeout
        self.allow_unisolated = allow_unisolated
        self.stopped = False
        self.cache = AnswerCache(cache_bytes)
        self.costs = CostBook()
        self._base = WorkerSettings(store, str(graph), max_rows, max_memory, limits)
        self._lock = threading.Lock()
        self._moving_to: Path | None = None
        self._failed: set[Path] = set()
        self._build = _Build(graph, self._base, self.workers)
        self.isolated = self._build.isolated
        if not self.isolated and not allow_unisolated:
            self.close()
            raise ServeError(
                "this system does not let the query workers drop their network access "
                "(unshare of a network namespace was refused), so a query that slipped past "
                "the check could reach other hosts; refusing to serve. Allow unprivileged "
                "namespaces (sysctl user.max_net_namespaces, kernel.unprivileged_userns_clone), "
                "or accept the risk with --allow-unisolated-workers"
            )

    @property
    def settings(self) -> WorkerSettings:
        """The current build's worker settings (``settings.graph``: its graph file)."""
        return self._build.settings

    @property
    def generation(self) -> str:
        """The name of the build served now."""
        return self._build.generation

    # --- following the builds ------------------------------------------------------

    def _watch(self) -> None:
        """Start moving to a newer build if the graph link now names one."""
        if not self.follow or self.stopped:
            return
        try:
            now = Path(os.path.realpath(self.source))
        except OSError:
            return
        if now == self._build.graph or now in self._failed or not now.is_file():
            return
        with self._lock:
            if self._moving_to is not None:
                return
            self._moving_to = now
        threading.Thread(target=self._move, args=(now,), daemon=True).start()

    def _move(self, target: Path) -> None:
        import sys

        try:
            new = _Build(target, self._base, self.workers)
        except (ServeError, OSError) as exc:  # OSError: the build was removed meanwhile
            sys.stderr.write(f"kg serve: cannot serve the build {target.parent.name}: {exc}\n")
            self._failed.add(target)
            new = None
        if new is not None and not new.isolated and not self.allow_unisolated:
            new.close()
            new = None
        with self._lock:
            self._moving_to = None
            if new is None:
                return
            if self.stopped:
                new.close()
                return
            old, self._build = self._build, new
            self.cache.retain(new.generation)
        old.close()

    # --- answering -----------------------------------------------------------------

    def run(self, text: str, accept: str, fmt: str | None) -> Answer:
        self._watch()
        keep = cacheable(text)
        build = self._build
        if keep:
            found = self.cache.get((build.generation, text, accept or "", fmt or ""))
            if found is not None:
                found.headers.update({"X-KG-Build": build.generation, "X-KG-Cache": "hit"})
                return found
        cost = self.costs.cost(text)
        expensive = cost is not None and cost >= self.EXPENSIVE
        deadline = time.monotonic() + self.timeout
        while True:
            lane = build.lane(expensive)
            worker = lane.get_nowait()
            if worker is None and not expensive and build.expensive is not None:
                # No cheap worker free: an idle one of the expensive lane may answer it.
                worker = build.expensive.get_nowait()
                if worker is not None:
                    lane = build.expensive
            if worker is not None:
                break
            try:
                worker = lane.get(max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                busy = error(503, "the server is busy; try again shortly")
                busy.headers.update({"X-KG-Build": build.generation, "X-KG-Lane": lane.name})
                return busy
            if worker is not None:
                break
            if self._build is build:  # the lane closed and no newer build: stopping
                return error(503, "the server is stopping")
            build = self._build  # the lane closed: the server has moved to a newer build
        # Only a query not yet measured is demoted when it runs long: one known to be cheap
        # is slow because the machine is busy, and a new worker would make it busier.
        demote = lane.demotes and (cost is None or expensive)
        answer, seconds = self._run_on(lane, worker, (text, accept, fmt), deadline, text, demote)
        if seconds is not None:
            self.costs.record(text, seconds)
        if keep:
            self.cache.put((build.generation, text, accept or "", fmt or ""), answer)
        answer.headers.update(
            {"X-KG-Build": build.generation, "X-KG-Cache": "miss", "X-KG-Lane": lane.name}
        )
        return answer

    def _run_on(
        self,
        lane: _Lane,
        worker: _Worker,
        message: tuple[str, str, str | None],
        deadline: float,
        text: str,
        demote: bool,
    ) -> tuple[Answer, float | None]:
        """Run one query on *worker*: (the answer, the seconds it ran, if it ran)."""
        started = time.monotonic()
        try:
            worker.conn.send(message)
            wait = max(0.0, deadline - time.monotonic())
            ready = worker.conn.poll(min(self.DEMOTE_AFTER, wait) if demote else wait)
            if not ready and demote:
                # A long query yields the CPU to the cheap ones running in other workers,
                # and a fresh worker takes its place in the lane straight away.
                worker.demote()
                lane.replace()
                self.costs.record(text, self.DEMOTE_AFTER)  # the next run of it: expensive
                ready = worker.conn.poll(max(0.0, deadline - time.monotonic()))
            if ready:
                reply: Answer = worker.conn.recv()
                seconds = time.monotonic() - started
                if worker.demoted:  # its priority cannot be raised again; replaced already
                    worker.retire()
                else:
                    lane.put(worker)
                return reply, seconds
        except (OSError, EOFError):
            answer = worker.died()
            worker.kill()
            if not worker.demoted:
                lane.replace()
            return answer, None
        worker.kill()
        if not worker.demoted:
            lane.replace()
        message_ = f"the query ran past the {self.timeout:g} s time limit and was stopped"
        return error(503, message_), self.timeout

    def close(self) -> None:
        with self._lock:
            self.stopped = True
        self._build.close()
