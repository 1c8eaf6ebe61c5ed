"""Benchmark the named queries and loading on synthetic graphs, side by side in one run.

For each size it loads the same N-Triples file into pyoxigraph directly (the
ceiling), into kg's default store (Oxigraph through oxrdflib) and, up to
100k triples, into rdflib's own engine; then it times every named query on
each, interleaving the runs so that machine noise hits all of them alike, and
prints medians and ratios. rdflib runs in a worker process with a time cap; a
query that hits the cap is reported as ">CAP".

Usage: python bench/bench_query.py [--sizes 10k,100k,1M] [--repeat 5] [--cap 60]
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import platform
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Named queries that join people, tenures and founders (the 100x target).
JOINS = {
    "alumni_founders",
    "alumni_startups",
    "co_founders",
    "founders",
    "talent_sources",
    "shortest_connection",
    "career",
    "roles",
    "departures",
}


def size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * factor)


def _rdflib_worker(path: str, conn) -> None:  # runs in a child process
    from rdflib import Graph

    graph = Graph().parse(path, format="nt")
    conn.send("ready")
    while True:
        text = conn.recv()
        if text is None:
            return
        start = time.perf_counter()
        result = graph.query(text)
        rows = list(result)
        conn.send((time.perf_counter() - start, len(rows)))


class RdflibEngine:
    """rdflib's own store and SPARQL engine in a worker process, restarted after a time-out."""

    def __init__(self, path: Path, cap: float):
        self.path, self.cap = str(path), cap
        self.load_seconds = 0.0
        self._start()

    def _start(self) -> None:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        started = time.perf_counter()
        self.proc = ctx.Process(target=_rdflib_worker, args=(self.path, child), daemon=True)
        self.proc.start()
        self.conn.recv()
        self.load_seconds = time.perf_counter() - started

    def query(self, text: str) -> float | None:
        self.conn.send(text)
        if self.conn.poll(self.cap):
            seconds, _ = self.conn.recv()
            return seconds
        self.proc.kill()
        self.proc.join()
        self._start()
        return None

    def close(self) -> None:
        self.conn.send(None)
        self.proc.join(5)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_size(triples: int, repeat: int, cap: float, out: list[str]) -> dict:
    import pyoxigraph as ox

    from kg.query import bind, named_queries, rows, run
    from kg.store import open_store
    from kg.synth import write_synthetic

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    path = write_synthetic(HERE / "data" / f"synth-{triples}.nt", triples, seed=7)
    lines = sum(1 for _ in path.open("rb"))
    say(f"\n## {lines:,} triples ({path.name})")

    # Loading, side by side: pyoxigraph bulk load vs kg's default store.
    # Loading, side by side: pyoxigraph bulk load vs kg's default store, one store in
    # memory at a time so neither pays for the other's memory.
    direct_load, ours_load = [], []
    for _ in range(3):
        gc.collect()
        start = time.perf_counter()
        direct = ox.Store()
        direct.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
        direct_load.append(time.perf_counter() - start)
        del direct
        gc.collect()
        start = time.perf_counter()
        ours = open_store("oxigraph", path)
        ours_load.append(time.perf_counter() - start)
        del ours
    direct = ox.Store()
    direct.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    ours = open_store("oxigraph", path)
    load_ratio = statistics.median(ours_load) / statistics.median(direct_load)
    say(
        f"load: pyoxigraph {statistics.median(direct_load):.2f} s, kg oxigraph "
        f"{statistics.median(ours_load):.2f} s, ratio {load_ratio:.2f}"
    )

    rdf = None
    if triples <= 150_000:
        rdf = RdflibEngine(path, cap)
        say(
            f"load: rdflib {rdf.load_seconds:.2f} s (ratio to pyoxigraph "
            f"{rdf.load_seconds / statistics.median(direct_load):.1f})"
        )

    say("")
    say(
        f"{'query':22} {'rows':>6} {'pyoxigraph':>11} {'kg':>9} {'kg/pyox':>8} "
        f"{'rdflib':>10} {'rdflib/kg':>10}"
    )
    results = {}
    for name, named in named_queries().items():
        text = bind(named.text, {}, named)
        d_samples, o_samples = [], []
        count = 0
        for _ in range(repeat):
            start = time.perf_counter()
            solutions = direct.query(text)
            count = len([tuple(s) for s in solutions])
            d_samples.append(time.perf_counter() - start)
            start = time.perf_counter()
            got = rows(run(ours, name))
            o_samples.append(time.perf_counter() - start)
            assert len(got) == count, (name, len(got), count)
        d, o = median_ms(d_samples), median_ms(o_samples)
        r_text, r_ratio, r_ms = "-", "-", None
        if rdf is not None:
            timings = []
            for _ in range(min(repeat, 3)):
                seconds = rdf.query(text)
                if seconds is None:
                    timings = [None]
                    break
                timings.append(seconds)
                if seconds > 5:
                    break
            if timings[0] is None:
                r_text, r_ratio = f">{cap:.0f}s", f">{cap * 1000 / o:,.0f}"
                r_ms = float("inf")
            else:
                r_ms = median_ms(timings)
                r_text, r_ratio = f"{r_ms:,.1f}ms", f"{r_ms / o:,.0f}"
        results[name] = (d, o, r_ms)
        say(
            f"{name:22} {count:>6} {d:>9.2f}ms {o:>7.2f}ms {o / d:>8.2f} {r_text:>10} {r_ratio:>10}"
        )
    if rdf is not None:
        rdf.close()
    return {"load_ratio": load_ratio, "queries": results}


def check(found: dict[int, dict], out: list[str]) -> None:
    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    say("\n## targets")
    for triples, res in sorted(found.items()):
        layer = [
            name
            for name, (d, o, _) in res["queries"].items()
            if (d > 5 and o > 1.5 * d) or (d <= 5 and o > d + 1)
        ]
        say(
            f"{triples:>9,} triples: kg within 1.5x of pyoxigraph (or +1 ms under 5 ms): "
            + ("all queries" if not layer else "NOT " + ", ".join(layer))
        )
        if any(r is not None for _, _, r in res["queries"].values()):
            slower = [n for n, (_, o, r) in res["queries"].items() if r is not None and r < o]
            joins = {
                n: r / o for n, (_, o, r) in res["queries"].items() if n in JOINS and r is not None
            }
            weak = [f"{n} ({x:.0f}x)" for n, x in joins.items() if x < 100]
            say(
                f"{'':>18}  no named query slower than rdflib: "
                + ("yes" if not slower else "NO: " + ", ".join(slower))
            )
            say(
                f"{'':>18}  joins >=100x faster than rdflib: "
                + (
                    "yes, min " + f"{min(joins.values()):,.0f}x"
                    if not weak
                    else "NO: " + ", ".join(weak)
                )
            )
        say(f"{'':>18}  load ratio to pyoxigraph {res['load_ratio']:.2f} (target <= 1.2 at 1M)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--cap", type=float, default=60.0, help="seconds before an rdflib query is stopped"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "query.txt")
    args = parser.parse_args()

    out: list[str] = ["# kg query benchmark", ""]
    versions = ", ".join(f"{d} {metadata.version(d)}" for d in ("pyoxigraph", "oxrdflib", "rdflib"))
    out.append(
        f"machine: {platform.machine()}, {mp.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; {versions}"
    )
    out.append(
        f"medians of {args.repeat} interleaved runs; rdflib capped at {args.cap:.0f} s a query"
    )
    print("\n".join(out), flush=True)
    found = {}
    for text in args.sizes.split(","):
        triples = size(text)
        found[triples] = bench_size(triples, args.repeat, args.cap, out)
    check(found, out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    sys.exit(main())
