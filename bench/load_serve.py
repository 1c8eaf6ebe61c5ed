"""Drive `kg serve` with many concurrent clients on loopback, for a bounded time.

A mix of cheap named queries, some expensive ones and a few runaway queries
(which the time limit must stop with a deliberate 503) runs against a real
server process on a synthetic graph. It reports throughput, p50/p95/p99 latency
per kind of query and every error, checks that the server answers the same
afterwards, and compares throughput with pyoxigraph queried directly in one
process (the ceiling), side by side in the same run.

Usage: python bench/load_serve.py [--triples 100k] [--clients 16] [--seconds 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import platform
import random
import subprocess
import sys
import threading
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", default="100k")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "serve.txt")
    args = parser.parse_args()

    from bench_query import size  # same folder

    from kg.graph.synth import write_synthetic
    from kg.query.named import bind, named_queries

    triples = size(args.triples)
    graph = write_synthetic(HERE / "data" / f"synth-{triples}.nt", triples, seed=7)
    named = named_queries()
    texts = {name: bind(named[name].text, {}, named[name]) for name in CHEAP + EXPENSIVE}

    out: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    versions = ", ".join(f"{d} {metadata.version(d)}" for d in ("pyoxigraph", "rdflib"))
    say("# kg serve load test")
    say(
        f"machine: {platform.machine()}, {__import__('os').cpu_count()} cores; Python "
        f"{platform.python_version()}; {versions}"
    )
    say(
        f"graph: {sum(1 for _ in graph.open('rb')):,} triples; {args.clients} clients for "
        f"{args.seconds:g} s; server: {args.workers} workers, {args.timeout:g} s time limit"
    )
    say(
        "cheap: small named queries; expensive: timeline, most_connected, departures, career, "
        "roles; runaway: a cartesian product the time limit must stop"
    )

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
    base = server.stdout.readline().strip()
    netloc = urlsplit(base).netloc

    def ask(conn: http.client.HTTPConnection, text: str, form: bool = True) -> tuple[int, bytes]:
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
        return response.status, response.read()

    try:
        probe = http.client.HTTPConnection(netloc, timeout=60)
        before = {name: ask(probe, texts[name]) for name in ("founders", "roles")}

        def drive(plan: dict[str, tuple[int, float, float]]) -> tuple[dict, Counter, list, float]:
            """Run the clients for the set time; plan: kind -> (clients, pause, runaway share)."""
            latencies: dict[str, list[float]] = defaultdict(list)
            statuses: Counter[tuple[str, int]] = Counter()
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
                    if kind == "attack":  # mostly the instant refusals, 1 in 10 a slow one
                        text = rng.choices(ATTACKS, weights=ATTACK_WEIGHTS)[0](rng.random())
                    elif kind == "runaway":
                        text = RUNAWAY
                    else:
                        text = texts[rng.choice(CHEAP if kind == "cheap" else EXPENSIVE)]
                    started = time.perf_counter()
                    try:
                        status, _ = ask(conn, text, form=kind != "attack")
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
                        elif kind == "attack":
                            attacks[status] += 1
                            if status not in (400, 429, 503):
                                errors.append(f"{kind}: HTTP {status}")
                        elif not (kind == "runaway" and status == 503):
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
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return latencies, statuses, errors, time.monotonic() - started

        attacks: Counter[int] = Counter()
        heavy = max(1, args.clients // 8)
        light = max(1, args.clients - heavy)
        phases = [
            (
                f"latency: {light} clients send cheap queries (20 ms apart) while {heavy} send "
                "expensive ones back to back, 10% of them runaway",
                {"cheap": (light, 0.02, 0.0), "expensive": (heavy, 0.0, 0.10)},
            ),
            (
                f"attack: {light} clients send cheap queries (20 ms apart) while one client "
                "sends crashing, deep, SERVICE-hiding and runaway queries back to back",
                {"cheap": (light, 0.02, 0.0), "attack": (1, 0.0, 0.0)},
            ),
            (
                f"throughput: {args.clients} clients back to back, 85% cheap, 15% expensive, "
                "no runaways",
                {"mixed": (args.clients, 0.0, 0.0)},
            ),
        ]
        throughput = 0.0
        for label, plan in phases:
            latencies, statuses, errors, wall = drive(plan)
            served = sum(len(v) for v in latencies.values())
            throughput = served / wall
            say("")
            say(f"### {label}")
            say(f"{'kind':10} {'answered':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
            for kind in ("cheap", "expensive"):
                samples = latencies[kind]
                say(
                    f"{kind:10} {len(samples):>9} {pct(samples, 0.5):>8.1f} "
                    f"{pct(samples, 0.95):>8.1f} {pct(samples, 0.99):>8.1f}"
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
                say(
                    "target cheap p95 < 50 ms while "
                    + ("an attacker sends" if "attack" in plan else "expensive queries run")
                    + ": "
                    f"{'met' if cheap_p95 < 50 else 'NOT met'} ({cheap_p95:.1f} ms)"
                )
        probe = http.client.HTTPConnection(netloc, timeout=60)  # the first one idled out
        after = {name: ask(probe, texts[name]) for name in ("founders", "roles")}
        same = all(
            before[n][0] == after[n][0] == 200
            and json.loads(before[n][1]) == json.loads(after[n][1])
            for n in before
        )
        say("")
        say(f"answers the same after the load: {'yes' if same else 'NO'}")

        # The ceiling: the same cheap/expensive mix on pyoxigraph in this process.
        import pyoxigraph as ox

        store = ox.Store()
        store.bulk_load(path=str(graph), format=ox.RdfFormat.N_TRIPLES)
        rng = random.Random(0)
        done, begin = 0, time.monotonic()
        while time.monotonic() - begin < min(args.seconds, 10):
            kind = "cheap" if rng.random() < 0.85 else "expensive"  # as the run without runaways
            text = texts[rng.choice(CHEAP if kind == "cheap" else EXPENSIVE)]
            list(store.query(text))
            done += 1
        ceiling = done / (time.monotonic() - begin)
        say(
            f"ceiling: the same mix on pyoxigraph in one process, one thread: {ceiling:.1f} "
            f"queries/s; kg serve throughput / ceiling = {throughput / ceiling:.2f}"
        )
    finally:
        server.terminate()
        server.wait(10)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
