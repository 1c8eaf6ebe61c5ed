"""Benchmark: the build of synthetic graphs, stage by stage, against the targets.

For the synthetic datasets of about 10k, 100k and 1M triples (:mod:`kg.synth`, seed 7) this
times, in one process, each stage of the real build path: statements to graph
(:func:`kg.build.build_graph`), SHACL validation (:func:`kg.validate.validate`: pySHACL for
the core shapes, each SPARQL-based constraint once on pyoxigraph — timed apart), and each
output (sorted N-Triples, Turtle, JSON-LD). The targets are those of issue 14: validation of
100k triples under 2 s and of 1M under 10 s, the whole build of 1M under 30 s.

Run ``python bench/bench_build.py [--sizes 10000,100000,1000000]`` (``make bench-build``);
results go to ``bench/results/build.txt``.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {100_000: 2.0, 1_000_000: 10.0}  # validation, seconds
BUILD_TARGET = (1_000_000, 30.0)


def clock(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def sparql_rows(graph, constraints, store):
    from kg.validate import _for_all_targets, _run

    return [row for c in constraints for row in _run(graph, _for_all_targets(c), store)]


def main() -> None:
    import pyshacl
    from rdflib import Graph

    from kg.build import build_graph, jsonld, sorted_ntriples, turtle
    from kg.synth import TRIPLES_PER_PERSON, synthetic_dataset
    from kg.validate import _oxigraph, sparql_constraints

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    sizes = [int(x) for x in parser.parse_args().sizes.split(",")]
    lines = [
        f"kg build benchmark ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, pySHACL {pyshacl.__version__})"
    ]
    for size in sizes:
        data = synthetic_dataset(max(4, size // TRIPLES_PER_PERSON), 7)
        graph, t_graph = clock(build_graph, data)
        shapes = Graph().parse(ROOT / "shapes.ttl")
        constraints = sparql_constraints(shapes)
        _, t_core = clock(
            functools.partial(pyshacl.validate, graph, shacl_graph=shapes, inference="none")
        )
        store, t_load = clock(_oxigraph, graph)
        rows, t_sparql = clock(sparql_rows, graph, constraints, store)
        t_valid = t_core + t_load + t_sparql
        _, t_nt = clock(sorted_ntriples, graph)
        _, t_ttl = clock(turtle, graph)
        _, t_json = clock(jsonld, graph)
        total = t_graph + t_valid + t_nt + t_ttl + t_json
        lines.append(
            f"{len(graph):>9} triples: graph {t_graph:6.2f} s | validation {t_valid:6.2f} s "
            f"(pySHACL core {t_core:.2f}, Oxigraph load {t_load:.2f}, "
            f"SPARQL checks {t_sparql:.2f}; {len(rows)} violations) | N-Triples {t_nt:.2f} | "
            f"Turtle {t_ttl:.2f} | JSON-LD {t_json:.2f} | total {total:6.2f} s"
        )
        target = TARGETS.get(size)
        if target:
            lines.append(
                f"    validation target {target:.0f} s: {t_valid / target:.2f}× "
                f"({'met' if t_valid < target else 'MISSED'})"
            )
        if size == BUILD_TARGET[0]:
            lines.append(
                f"    whole-build target {BUILD_TARGET[1]:.0f} s: {total / BUILD_TARGET[1]:.2f}× "
                f"({'met' if total < BUILD_TARGET[1] else 'MISSED'})"
            )
        print(lines[-1 if not target else -2], flush=True)
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "build.txt").write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
