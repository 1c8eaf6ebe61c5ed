"""Benchmark: the graph on a shared Virtuoso, beside the embedded Oxigraph, at scale.

For each synthetic graph (:func:`kg.graph.synth.write_synthetic`, seed 7, under ``bench/data/``)
this starts a throwaway Virtuoso on loopback (:class:`kg.publish.virtuoso.VirtuosoServer`,
the one ``make virtuoso`` starts) and, in one run:

- ``kg push`` onto an empty server through the Graph Store Protocol (staging,
  verification, swap), timed by step, and again with Virtuoso's bulk loader;
- a repeated push, which must change nothing, and (up to 2M triples) a forced one of the
  same graph, whose swap compares every triple to find nothing to change;
- Virtuoso's memory (VmRSS) after the loads;
- every named query with its defaults, on Oxigraph in memory and on Virtuoso through its
  SPARQL endpoint (median of 3 runs each), as a ratio;
- ``kg analyze`` (the diaspora report of ``org/baidu``) on both stores.

The build and validation of the same graphs are timed by ``make bench-build``
(bench/results/build.txt). Run ``python bench/bench_scale.py [--sizes 1000000]``
(``make bench-scale``); results go to ``bench/results/scale-<sizes>.txt``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRAPH = "https://w3id.org/china-ai-kg/graph"


def timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - start


def median_time(func, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        times.append(timed(func)[1])
    return statistics.median(times)


def main() -> None:
    from kg.analysis.report import diaspora_report
    from kg.graph.synth import write_synthetic
    from kg.publish.bulk import BulkLoader
    from kg.publish.client import Endpoint, PushError
    from kg.publish.push import META_GRAPH as META
    from kg.publish.push import _count, push
    from kg.publish.virtuoso import VirtuosoServer, new_password
    from kg.query.named import named_queries
    from kg.query.results import rows, run
    from kg.query.store import open_store

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--memory", type=int, default=4096, help="Virtuoso's buffers, MB")
    parser.add_argument("--runs", type=int, default=3, help="runs of each query (median)")
    sizes = [int(x) for x in parser.parse_args().sizes.split(",")]
    memory = parser.parse_args().memory
    runs = parser.parse_args().runs
    lines = [
        f"scale benchmark ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, Virtuoso 7.2 with {memory} MB of buffers)"
    ]

    def show(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    for size in sizes:
        path, took = timed(
            write_synthetic, ROOT / "bench" / "data" / f"synth-{size}.nt", size, seed=7
        )
        triples = sum(1 for _ in path.open("rb"))
        show(f"{triples:>10,} triples ({path.stat().st_size / 1e6:.0f} MB of N-Triples)")
        password = new_password()
        with tempfile.TemporaryDirectory(prefix="kg-bench-virtuoso-") as folder:
            server = VirtuosoServer(Path(folder), password=password, memory_mb=memory)
            try:
                gsp = server.auth_endpoint.replace("/sparql-auth", "/sparql-graph-crud-auth")
                endpoint = Endpoint(server.auth_endpoint, gsp, "dba", password)
                for label, bulk in (
                    ("Graph Store Protocol", None),
                    ("bulk loader", BulkLoader(server.isql, server.load_dir, "dba", password)),
                ):
                    # Each way onto an empty server, as a first push is.
                    endpoint.update(f"DROP SILENT GRAPH <{GRAPH}> ; DROP SILENT GRAPH <{META}>")
                    try:
                        result, took = timed(push, path, endpoint, GRAPH, bulk=bulk)
                    except PushError as exc:  # e.g. the server's transaction limit
                        show(f"  push, {label}: FAILED: {' '.join(str(exc).split())[:300]}")
                        continue
                    steps = ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items())
                    show(f"  push, {label + ':':<22}{took:7.1f} s ({steps})")
                try:
                    result, took = timed(push, path, endpoint, GRAPH)
                    show(f"  push again: unchanged={result.unchanged} in {took:.2f} s")
                    if triples <= 2_000_000:  # the differential swap compares every triple
                        result, took = timed(push, path, endpoint, GRAPH, force=True)
                        steps = ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items())
                        show(f"  push --force, same graph (no change): {took:.1f} s ({steps})")
                except PushError as exc:
                    show(f"  push again: FAILED: {' '.join(str(exc).split())[:300]}")
                show(f"  Virtuoso memory after the loads: {server.memory_kb() / 1024:.0f} MB")
                if _count(endpoint, GRAPH) != triples:
                    show("  the graph is not on the server: no queries compared")
                    continue

                local, load = timed(open_store, "oxigraph", path)
                show(f"  Oxigraph in memory: loaded in {load:.1f} s")
                remote = open_store(f"sparql+{server.endpoint}?default-graph-uri={GRAPH}", None)
                show("  named query               Oxigraph   Virtuoso   Virtuoso/Oxigraph")
                for name in sorted(named_queries()):
                    try:
                        ox = median_time(lambda n=name, s=local: rows(run(s, n)), runs)  # type: ignore[misc]
                        vi = median_time(lambda n=name, s=remote: rows(run(s, n)), runs)  # type: ignore[misc]
                        show(f"  {name:<24} {ox:8.3f} s {vi:8.3f} s {vi / ox:10.2f}×")
                    except Exception as exc:  # a query one store cannot run: say so, go on
                        show(f"  {name:<24} failed: {str(exc).splitlines()[0][:80]}")
                for label, store in (("Oxigraph", local), ("Virtuoso", remote)):
                    report, took = timed(diaspora_report, store, "org/baidu", "en")
                    show(
                        f"  kg analyze org/baidu on {label}: {took:.1f} s "
                        f"({len(report['alumni'])} alumni)"
                    )
            finally:
                server.stop()
    out = ROOT / "bench" / "results" / f"scale-{'-'.join(map(str, sizes))}.txt"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
