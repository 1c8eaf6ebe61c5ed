"""Benchmark: the diaspora report of one organisation on synthetic graphs, step by step.

For the synthetic graphs of about 100k and 1M triples (:func:`kg.synth.write_synthetic`,
seed 7, written under ``bench/data/``) this times, in one process, loading the N-Triples
file into rdflib (:func:`kg.build.load_graph`) and :func:`kg.report.diaspora_report` for
``org/baidu`` (which projects the graph for NetworkX, builds the timeline and the report),
against the target of issue 14: the whole ``kg analyze`` of one organisation on 1M triples in
under 15 s.

Run ``python bench/bench_analyze.py [--sizes 100000,1000000]``; results go to
``bench/results/analyze.txt``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = (1_000_000, 15.0)


def main() -> None:
    from kg.build import load_graph
    from kg.report import diaspora_report
    from kg.synth import write_synthetic

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    sizes = [int(x) for x in parser.parse_args().sizes.split(",")]
    lines = [
        f"kg analyze benchmark ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()})"
    ]
    for size in sizes:
        path = write_synthetic(ROOT / "bench" / "data" / f"synth-{size}.nt", size, seed=7)
        start = time.perf_counter()
        graph = load_graph(path)
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        report = diaspora_report(graph, "org/baidu", "en")
        analysed = time.perf_counter() - start
        total = loaded + analysed
        lines.append(
            f"{len(graph):>9} triples: load {loaded:6.2f} s | report {analysed:6.2f} s "
            f"({len(report['alumni'])} alumni) | total {total:6.2f} s"
        )
        if size == TARGET[0]:
            lines.append(
                f"    target {TARGET[1]:.0f} s: {total / TARGET[1]:.2f}× "
                f"({'met' if total < TARGET[1] else 'MISSED'})"
            )
        print(lines[-1], flush=True)
    report_text = "\n".join(lines)
    print(report_text)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "analyze.txt").write_text(report_text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
