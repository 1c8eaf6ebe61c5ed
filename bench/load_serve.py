"""Drive `kg serve` with many concurrent clients on loopback, for a bounded time.

For each size, the synthetic graph is published as a build (a generation folder with
``kg.nt`` and its on-disk store ``kg.oxigraph``, as ``kg build`` writes them), and a real
server process serves it. A mix of cheap named queries, some expensive ones and a few
runaway queries (which the time limit must stop with a deliberate 503) runs against it.
The expensive and runaway queries each carry a comment of their own, so none is ever
answered from the server's cache; cheap ones are sent as they are (the cache answers
them once they have run) and, in a phase of their own, each with a comment of its own
(every one runs). It reports throughput, p50/p95/p99 latency per kind of query and
every error, checks that the server answers the same afterwards, and compares
throughput with pyoxigraph queried directly in one process (the ceiling), side by side
in the same run.

Then, at the sizes given by --jena-at, ``kg query`` as a process (the build's store, and
the graph file loaded in memory) beside Apache Jena TDB2's ``tdbquery`` on the same
query (Debian's libapache-jena-java; the TDB2 database loaded beforehand, not timed).

Usage: python bench/load_serve.py [--triples 100k,1M] [--clients 16] [--seconds 20]
       [--jena-at 1M]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter, defaultdict
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode, urlsplit

HERE = Path(__file__).resolve().parent
CHEAP = [
    "alumni_startups",
    "customers",
    "products",
    "renamed",
    "competitors",
    "founders",
    "evidence",
    "alumni_founders",
    "figures",
]
EXPENSIVE = ["timeline", "most_connected", "departures", "career", "roles"]
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# What an attacker sends: queries that crashed pyoxigraph (deep nesting, huge unions), a
# long chain that is only slow on the workers' large stack, a comment that hides SERVICE
# from a lexer that ends comments at LF only, and runaways. Each gets a unique tail, so
# that no answer comes from the check's cache.
ATTACKS = [
    lambda n: "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000 + f" # {n}",
    lambda n: "SELECT * WHERE { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + f") }} # {n}",
    lambda n: "SELECT * WHERE { {} " + "UNION {} " * 100_000 + f"}} # {n}",
    lambda n: "SELECT (1" + "+1" * 20_000 + f" AS ?x) WHERE {{}} # {n}",
    lambda n: f"SELECT * WHERE {{ # {n}\rSERVICE <http://127.0.0.1:9/> {{ ?s ?p ?o }}\n}}",
    lambda n: RUNAWAY + f" # {n}",
    # the slowest texts to check that were found (64 KiB, read both ways: about 0.1 s each)
    lambda n: f"ASK {{ # {n}\n(1<a>)\\u0041" + "<a" * 31_990,
    lambda n: f"ASK {{ # {n}\n\\u0041 " + "a " * 31_990,
]
ATTACK_WEIGHTS = [9, 9, 9, 1, 9, 1, 9, 9]


def pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def publish_synthetic(graph: Path, out: Path) -> Path:
    """*graph* published in *out* as a build is: a generation folder with the graph and its
    on-disk store, ``out/.current`` naming it, ``out/kg.nt`` through it. Made once."""
    import pyoxigraph as ox

    folder = out / ".generations" / "bench"
    same = (folder / "kg.nt").is_file() and os.path.samefile(folder / "kg.nt", graph)
    if not same or not (folder / "kg.oxigraph" / "CURRENT").is_file():
        import shutil

        shutil.rmtree(out, ignore_errors=True)
        folder.mkdir(parents=True)
        os.link(graph, folder / "kg.nt")
        store = ox.Store(str(folder / "kg.oxigraph.loading"))
        store.bulk_load(path=str(graph), format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        del store
        os.rename(folder / "kg.oxigraph.loading", folder / "kg.oxigraph")
        os.symlink(".generations/bench", out / ".current")
        os.symlink(".current/kg.nt", out / "kg.nt")
    return out / "kg.nt"


def serve_load(graph: Path, args: argparse.Namespace, say, summary: dict) -> None:
    """The load phases against `kg serve` on one published graph."""
    from kg.query.named import bind, named_queries

    named = named_queries()
    texts = {name: bind(named[name].text, {}, named[name]) for name in CHEAP + EXPENSIVE}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kg",
            "serve",
            "--graph",
            str(graph),
            "--port",
            "0",
            "--workers",
            str(args.workers),
            "--timeout",
            str(args.timeout),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    started_at = time.perf_counter()
    base = server.stdout.readline().strip()
    say(f"server ready in {time.perf_counter() - started_at:.1f} s (its workers open the store)")
    netloc = urlsplit(base).netloc

    def ask(
        conn: http.client.HTTPConnection, text: str, form: bool = True
    ) -> tuple[int, bytes, str, str]:
        conn.request(
            "POST",
            "/sparql",
            body=urlencode({"query": text}) if form else text.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded"
                if form
                else "application/sparql-query",
                "Accept": "application/sparql-results+json",
            },
        )
        response = conn.getresponse()
        cache = response.getheader("X-KG-Cache") or ""
        return response.status, response.read(), cache, response.getheader("X-KG-Lane") or ""

    try:
        probe = http.client.HTTPConnection(netloc, timeout=60)
        before = {name: ask(probe, texts[name]) for name in ("founders", "customers")}
        # Warm-up: every named query of the mix once, as a server that has run a while has
        # seen them (it measures each query's cost, and keeps the answers).
        begin = time.perf_counter()
        warm = Counter(ask(probe, texts[name])[0] for name in CHEAP + EXPENSIVE)
        say(
            f"warm-up: each of the {len(CHEAP + EXPENSIVE)} named queries once, one after "
            f"another, in {time.perf_counter() - begin:.1f} s (answers: "
            + ", ".join(f"{n} x {code}" for code, n in sorted(warm.items()))
            + ")"
        )
        attacks: Counter[int] = Counter()

        def drive(plan: dict[str, tuple[int, float, float]], fresh_cheap: bool):
            """Run the clients for the set time; plan: kind -> (clients, pause, runaway share)."""
            latencies: dict[str, list[float]] = defaultdict(list)
            statuses: Counter[tuple[str, int]] = Counter()
            hits: Counter[str] = Counter()
            errors: list[str] = []
            attacks.clear()
            stop = time.monotonic() + args.seconds
            budget = [args.max_requests]
            lock = threading.Lock()

            def client(
                index: int, seed: int, role: str, pause: float, runaway_share: float
            ) -> None:
                # Each client from its own loopback address, as distinct clients are seen by
                # the server (which limits how many queries one address may run at once).
                def connect() -> http.client.HTTPConnection:
                    return http.client.HTTPConnection(
                        netloc, timeout=args.timeout + 30, source_address=(f"127.0.1.{index}", 0)
                    )

                rng = random.Random(seed)
                conn = connect()
                while time.monotonic() < stop:
                    with lock:
                        if budget[0] <= 0:
                            return
                        budget[0] -= 1
                    kind = role
                    if role == "mixed":
                        kind = "cheap" if rng.random() < 0.85 else "expensive"
                    if rng.random() < runaway_share:
                        kind = "runaway"
                    tail = f"\n# {index}-{rng.random()}"  # a text of its own: never cached
                    if kind == "attack":  # mostly the instant refusals, 1 in 10 a slow one
                        text = rng.choices(ATTACKS, weights=ATTACK_WEIGHTS)[0](rng.random())
                    elif kind == "runaway":
                        text = RUNAWAY + tail
                    elif kind == "cheap":
                        text = texts[rng.choice(CHEAP)] + (tail if fresh_cheap else "")
                    else:
                        text = texts[rng.choice(EXPENSIVE)] + tail
                    started = time.perf_counter()
                    try:
                        status, _, cache, lane = ask(conn, text, form=kind != "attack")
                    except Exception as exc:  # a dropped connection is an error to report
                        with lock:
                            errors.append(f"{kind}: {type(exc).__name__}")
                        conn = connect()
                        continue
                    elapsed = time.perf_counter() - started
                    with lock:
                        statuses[(kind, status)] += 1
                        if status == 200:
                            latencies[kind].append(elapsed)
                            hits[kind] += cache == "hit"
                            if kind == "cheap" and cache != "hit":  # by the lane it ran in
                                latencies[f"run in {lane} lane"].append(elapsed)
                        elif kind == "attack":
                            attacks[status] += 1
                            if status not in (400, 429, 503):
                                errors.append(f"{kind}: HTTP {status}")
                        elif not (kind in ("runaway", "expensive") and status == 503):
                            errors.append(f"{kind}: HTTP {status}")
                    if pause:
                        time.sleep(pause)

            threads = []
            for role, (count, pause, share) in plan.items():
                for i in range(count):
                    seed = len(threads) + i
                    threads.append(
                        threading.Thread(
                            target=client, args=(len(threads) + 1, seed, role, pause, share)
                        )
                    )
            begin = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return latencies, statuses, hits, errors, time.monotonic() - begin

        heavy = 2
        light = max(1, args.clients - heavy)
        busy = {"cheap": (light, 0.02, 0.0), "expensive": (heavy, 0.0, 0.10)}
        phases = [
            (
                "target",
                f"latency: {light} clients send cheap queries (20 ms apart) while {heavy} send "
                "expensive ones back to back, 10% of them runaway",
                busy,
                False,
            ),
            (
                "fresh",
                "latency, nothing from the cache: 4 clients send cheap queries (100 ms apart), "
                f"each a text of its own (so each one runs), while {heavy} send expensive ones "
                "back to back, 10% of them runaway",
                {"cheap": (4, 0.1, 0.0), "expensive": (heavy, 0.0, 0.10)},
                True,
            ),
            (
                "attack",
                f"attack: {light} clients send cheap queries (20 ms apart) while one client "
                "sends crashing, deep, SERVICE-hiding and runaway queries back to back",
                {"cheap": (light, 0.02, 0.0), "attack": (1, 0.0, 0.0)},
                False,
            ),
            (
                "throughput",
                f"throughput: {args.clients} clients back to back, 85% cheap, 15% expensive "
                "(each expensive one a text of its own), no runaways",
                {"mixed": (args.clients, 0.0, 0.0)},
                False,
            ),
        ]
        throughput = 0.0
        for key, label, plan, fresh in phases:
            latencies, statuses, hits, errors, wall = drive(plan, fresh)
            served = len(latencies["cheap"]) + len(latencies["expensive"])
            throughput = served / wall
            say("")
            say(f"### {label}")
            say(
                f"{'kind':10} {'answered':>9} {'cached':>7} {'p50 ms':>8} {'p95 ms':>8} "
                f"{'p99 ms':>8}"
            )
            for kind in ("cheap", "expensive"):
                samples = latencies[kind]
                say(
                    f"{kind:10} {len(samples):>9} {hits[kind]:>7} {pct(samples, 0.5):>8.1f} "
                    f"{pct(samples, 0.95):>8.1f} {pct(samples, 0.99):>8.1f}"
                )
            for kind in ("run in cheap lane", "run in expensive lane"):
                samples = latencies[kind]  # cheap ones the server measured cheap, or not
                if samples:
                    say(
                        f"  {kind}: {len(samples)}, p50 {pct(samples, 0.5):.1f} ms, p95 "
                        f"{pct(samples, 0.95):.1f} ms, p99 {pct(samples, 0.99):.1f} ms"
                    )
            if statuses[("expensive", 503)]:
                say(
                    f"expensive  {statuses[('expensive', 503)]:>9} answered 503 (the time limit, "
                    "or no expensive worker free within it)"
                )
            if attacks:
                refused = ", ".join(f"{n} x {code}" for code, n in sorted(attacks.items()))
                say(f"attack     {sum(attacks.values()):>9} answered: {refused}")
            if statuses[("runaway", 503)]:
                say(f"runaway    {statuses[('runaway', 503)]:>9} stopped with 503 (deliberate)")
            say(f"throughput: {throughput:.1f} answered queries/s over {wall:.1f} s")
            say(
                f"errors other than deliberate 503s: {len(errors)}"
                + (f" ({Counter(errors).most_common(5)})" if errors else "")
            )
            if "cheap" in plan:
                cheap_p95 = pct(latencies["cheap"], 0.95)
                summary[key] = cheap_p95
                summary[key + "-lane"] = pct(latencies["run in cheap lane"], 0.95)
                verdict = "met" if cheap_p95 < 50 else "NOT met"
                what = "an attacker sends" if "attack" in plan else "expensive queries run"
                say(f"cheap p95 < 50 ms while {what}: {verdict} ({cheap_p95:.1f} ms)")
        probe = http.client.HTTPConnection(netloc, timeout=60)  # the first one idled out
        after = {name: ask(probe, texts[name]) for name in ("founders", "customers")}
        same = all(
            before[n][0] == after[n][0] == 200
            and json.loads(before[n][1]) == json.loads(after[n][1])
            for n in before
        )
        say("")
        say(f"answers the same after the load: {'yes' if same else 'NO'}")
        summary["same"] = same
        summary["throughput"] = throughput
    finally:
        server.terminate()
        server.wait(10)


def _alone(path: str, texts: dict[str, str], conn) -> None:  # in a child process
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=path, format=ox.RdfFormat.N_TRIPLES)
    for name, text in texts.items():
        runs = []
        for _ in range(3 if name in CHEAP else 1):
            begin = time.perf_counter()
            list(store.query(text))
            runs.append(time.perf_counter() - begin)
        conn.send((name, statistics.median(runs)))
    conn.send(None)


def ceiling(graph: Path, args: argparse.Namespace, say, summary: dict) -> None:
    """Each query of the mix alone on pyoxigraph in one process (cheap: median of 3; an
    expensive one once, stopped at the server's time limit), and from those the ceiling:
    the mix's queries per second in one thread with nothing cached."""
    import multiprocessing as mp

    from kg.query.named import bind, named_queries

    named = named_queries()
    texts = {name: bind(named[name].text, {}, named[name]) for name in CHEAP + EXPENSIVE}
    alone: dict[str, float] = {}
    remaining = list(texts)
    while remaining:  # a query past the limit is stopped with its process; the rest go on
        parent, child = mp.get_context("spawn").Pipe()
        process = mp.get_context("spawn").Process(
            target=_alone, args=(str(graph), {n: texts[n] for n in remaining}, child)
        )
        process.start()
        first = True
        while remaining:
            if not parent.poll(args.timeout + (120 if first else 0)):
                remaining.pop(0)  # over the limit
                break
            first = False
            message = parent.recv()
            if message is None:
                remaining = []
                break
            alone[message[0]] = message[1]
            remaining.remove(message[0])
        process.kill()
        process.join()
    shown = {n: alone.get(n) for n in CHEAP + EXPENSIVE}
    say(
        "each query alone on pyoxigraph in one process (ms; an expensive one stopped at "
        f"{args.timeout:g} s): "
        + ", ".join(
            f"{n} {f'{v * 1000:.0f}' if v is not None else '>limit'}" for n, v in shown.items()
        )
    )
    cheap = statistics.mean(alone.get(n, args.timeout) for n in CHEAP)
    expensive = statistics.mean(min(alone.get(n, args.timeout), args.timeout) for n in EXPENSIVE)
    rate = 1 / (0.85 * cheap + 0.15 * expensive)
    say(
        f"ceiling: the throughput phase's mix on pyoxigraph in one thread, nothing cached: "
        f"{rate:.1f} queries/s; kg serve throughput / ceiling = {summary['throughput'] / rate:.2f}"
    )


JENA_JARS = [
    "jena-arq", "jena-base", "jena-cmds", "jena-core", "jena-iri", "jena-rdfconnection",
    "jena-shacl", "jena-shex", "jena-tdb", "jena-tdb2", "jena-dboe-base", "jena-dboe-index",
    "jena-dboe-storage", "jena-dboe-trans-data", "jena-dboe-transaction", "commons-cli",
    "commons-codec", "commons-compress", "commons-csv", "commons-io", "commons-lang3", "gson",
    "guava", "httpclient", "httpcore", "jackson-core", "jackson-databind",
    "jackson-annotations", "jsonld-java", "jakarta.json-api", "titanium-json-ld", "slf4j-api",
    "slf4j-nop",
]  # fmt: skip
JENA_VERSIONED = ["dexx.collection-*", "protobuf-[0-9]*", "thrift-[0-9]*", "commons-logging-[0-9]*"]


def jena_classpath(work: Path) -> str | None:
    """Jena's command classpath from Debian's libapache-jena-java (None: not installed);
    the tests run Jena's rsparql with it too."""
    java = Path("/usr/share/java")
    if (
        not all((java / f"{n}.jar").is_file() for n in JENA_JARS)
        or not Path("/usr/bin/java").exists()
    ):
        return None
    jars = [java / f"{n}.jar" for n in JENA_JARS]
    for pattern in JENA_VERSIONED:
        jars += sorted(p for p in java.glob(f"{pattern}.jar") if not p.is_symlink())[:1]
    # Debian's jena-core holds Xerces' classes unrelocated (xerces.*) but their message
    # files relocated (org/apache/jena/ext/xerces/…); Jena then fails at start with
    # "internal error". The files are put where the classes look for them.
    fix = work / "jena-xerces"
    with zipfile.ZipFile(java / "jena-core.jar") as jar:
        for name in jar.namelist():
            prefix = "org/apache/jena/ext/xerces/"
            if name.startswith(prefix) and name.endswith(".properties"):
                target = fix / "xerces" / name[len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return ":".join([str(fix), *map(str, jars)])


def timed_runs(command: list[str], runs: int = 3) -> tuple[float, str]:
    """The median wall time of *command* as a process, and its output (checked to succeed)."""
    times, output = [], ""
    for _ in range(runs):
        begin = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - begin)
        if done.returncode != 0:
            raise SystemExit(f"{command[:4]}… failed: {done.stderr[-500:]}")
        output = done.stdout
    return statistics.median(times), output


def query_processes(graph: Path, work: Path, say) -> None:
    """`kg query` as a process on the build's store and on the file, beside Jena's tdbquery."""
    from kg.project.namespaces import PREFIXES
    from kg.query.named import bind, named_queries

    named = named_queries()
    classpath = jena_classpath(work)
    database = work / "tdb2"
    if classpath is not None and not (database / "Data-0001").is_dir():
        import shutil

        shutil.rmtree(database, ignore_errors=True)
        begin = time.perf_counter()
        subprocess.run(
            ["java", "-cp", classpath, "tdb2.tdbloader", "--loc", str(database), str(graph)],
            check=True, capture_output=True,
        )  # fmt: skip
        say(
            "Jena TDB2 database loaded once with tdb2.tdbloader: "
            f"{time.perf_counter() - begin:.1f} s"
        )
    if classpath is None:
        say("Apache Jena not found (apt-get install libapache-jena-java): kg query alone")
    say("")
    say("### kg query as a process, end to end (median of 3 runs, wall time)")
    say(
        f"{'query':16} {'rows':>6} {'kg (store)':>11} {'kg (file)':>10} {'Jena TDB2':>10} "
        f"{'kg/Jena':>8}"
    )
    prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
    ratios: list[float] = []
    for name in ("founders", "alumni_startups", "most_connected"):
        kg = [sys.executable, "-m", "kg", "query", name, "--graph", str(graph), "--format", "csv"]
        ours, rows = timed_runs(kg)
        loaded, _ = timed_runs([*kg, "--store", "oxigraph-memory"])
        count = len(rows.splitlines()) - 1
        jena_text = "   —"
        ratio = "   —"
        if classpath is not None:
            query = work / f"{name}.rq"
            query.write_text(prefixes + bind(named[name].text, {}, named[name]), encoding="utf-8")
            jena, answer = timed_runs(
                ["java", "-cp", classpath, "tdb2.tdbquery", "--loc", str(database),
                 "--query", str(query), "--results", "csv"]
            )  # fmt: skip
            jena_rows = len(answer.strip().splitlines()) - 1
            if jena_rows != count:
                say(f"  {name}: Jena returned {jena_rows} rows, kg {count}")
            jena_text, ratio = f"{jena:.2f} s", f"{ours / jena:.2f}"
            ratios.append(ours / jena)
        say(f"{name:16} {count:>6} {ours:>9.2f} s {loaded:>8.2f} s {jena_text:>10} {ratio:>8}")
    if ratios:
        verdict = "met" if max(ratios) <= 1.5 else "NOT met"
        say(f"target kg query <= 1.5x Jena TDB2's tdbquery, as a process: {verdict} "
            f"(at most {max(ratios):.2f}x)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", default="100k,1M")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument(
        "--jena-at", default="1M", help="sizes to time kg query vs Jena at ('' for none)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "serve.txt")
    args = parser.parse_args()

    from bench_query import size  # same folder

    from kg.graph.synth import write_synthetic

    out: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    versions = ", ".join(f"{d} {metadata.version(d)}" for d in ("pyoxigraph", "rdflib"))
    say("# kg serve load test")
    say(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; Python "
        f"{platform.python_version()}; {versions}; load average before the run "
        f"{os.getloadavg()[0]:.1f}"
    )
    say(
        f"{args.clients} clients for {args.seconds:g} s a phase; server: {args.workers} "
        f"workers (half of them for queries measured expensive), {args.timeout:g} s time limit"
    )
    say(
        "cheap: small named queries; expensive: timeline, most_connected, departures, career, "
        "roles; runaway: a cartesian product the time limit must stop"
    )
    summaries = {}
    jena_at = {size(t) for t in args.jena_at.split(",") if t.strip()}
    for text in args.triples.split(","):
        triples = size(text)
        data = write_synthetic(HERE / "data" / f"synth-{triples}.nt", triples, seed=7)
        say("")
        say(f"## {sum(1 for _ in data.open('rb')):,} triples")
        graph = publish_synthetic(data, HERE / "data" / f"serve-{triples}")
        summary: dict = {}
        serve_load(graph, args, say, summary)
        ceiling(data, args, say, summary)
        summaries[triples] = summary
        if triples in jena_at:
            query_processes(graph, HERE / "data" / f"serve-{triples}-work", say)
    say("")
    say("## Summary: cheap-query p95 while two clients send expensive queries (target < 50 ms)")
    for triples, summary in summaries.items():
        verdict = "met" if summary.get("target", 1e9) < 50 else "NOT met"
        say(
            f"{triples:>9,} triples: {summary.get('target', float('nan')):.1f} ms ({verdict}); "
            "with every cheap query run afresh (4 clients) "
            f"{summary.get('fresh', float('nan')):.1f} ms, of them those the server ran in its "
            "cheap lane "
            f"{summary.get('fresh-lane', float('nan')):.1f} ms; "
            f"while an attacker sends {summary.get('attack', float('nan')):.1f} ms"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
