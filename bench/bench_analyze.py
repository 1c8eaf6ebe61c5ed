"""Benchmark: the diaspora report of one organisation on synthetic graphs, step by step.

For the synthetic graphs of about 100k and 1M triples (:func:`kg.graph.synth.write_synthetic`,
seed 7, written under ``bench/data/``) this times, in one process, ``kg analyze``'s path
for ``org/baidu``:

1. open the store: Oxigraph in memory, loaded from the N-Triples file (``--store oxigraph``,
   the default);
2. find the organisation by name (:func:`kg.query.lookup.find_entity`, one query of all names);
3. the neighbourhood query (:func:`kg.neighbourhood.neighbourhood`: the part of the
   graph the report reads, into a small rdflib graph);
4. the projection into NetworkX (:func:`kg.analysis.measures.entity_graph`);
5. centralities: the report computes none (its "most linked" counts neighbours), so there
   is nothing to time and no fast graph library is used;
6. the report itself (diaspora measures, figures, timeline, citations).

Side by side, in the same run, the whole-graph path: parse the whole file with rdflib
(:func:`kg.graph.build.load_graph`), project all of it, and make the same report from it; the two
reports are checked to be equal. The target of issue 14: the whole ``kg analyze`` of one
organisation on 1M triples in under 15 s.

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
ORG = "org/baidu"


def _timed(steps: dict[str, float], name: str, func, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = func(*args)
    steps[name] = time.perf_counter() - start
    return result


def main() -> None:
    from kg.analysis.gather import _report
    from kg.analysis.measures import entity_graph
    from kg.analysis.neighbourhood import neighbourhood
    from kg.graph.build import load_graph
    from kg.graph.synth import write_synthetic
    from kg.query.lookup import find_entity
    from kg.query.store import open_store

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    sizes = [int(x) for x in parser.parse_args().sizes.split(",")]
    lines = [
        f"kg analyze benchmark ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}), one organisation ({ORG}), --lang en"
    ]

    def show(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    for size in sizes:
        path = write_synthetic(ROOT / "bench" / "data" / f"synth-{size}.nt", size, seed=7)
        new: dict[str, float] = {}
        store = _timed(new, "open store", open_store, "oxigraph", path)
        org = _timed(new, "find org", find_entity, store, "合成公司0", "org")
        part = _timed(new, "neighbourhood", neighbourhood, store, org)
        G = _timed(new, "projection", entity_graph, part)
        new["centralities"] = 0.0
        report = _timed(new, "report", _report, part, G, org, "en", 5)
        triples = len(store)
        store.close()

        old: dict[str, float] = {}
        whole = _timed(old, "load (rdflib)", load_graph, path)
        G_whole = _timed(old, "projection", entity_graph, whole)
        expected = _timed(old, "report", _report, whole, G_whole, org, "en", 5)
        same = report == expected
        del whole, G_whole, expected

        total, total_old = sum(new.values()), sum(old.values())
        show(
            f"{triples:>9} triples, {len(part)} in the neighbourhood, "
            f"{len(report['alumni'])} alumni, {len(report['timeline'])} timeline rows; "
            f"same report as from the whole graph: {'yes' if same else 'NO'}"
        )
        show(
            "    neighbourhood path: "
            + " | ".join(f"{k} {v:6.2f} s" for k, v in new.items())
            + f" | total {total:6.2f} s"
        )
        show(
            "    whole-graph path:   "
            + " | ".join(f"{k} {v:6.2f} s" for k, v in old.items())
            + f" | total {total_old:6.2f} s"
        )
        show(f"    whole graph / neighbourhood: {total_old / total:.1f}×")
        if size == TARGET[0]:
            show(
                f"    target {TARGET[1]:.0f} s at 1M: {total:.2f} s, {total / TARGET[1]:.2f}× "
                f"the target ({'met' if total < TARGET[1] else 'MISSED'})"
            )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "analyze.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
