"""Benchmark: the build of synthetic graphs, stage by stage, against the targets.

For the synthetic datasets of about 10k, 100k and 1M triples (:mod:`kg.graph.synth`, seed 7) this
times, in one process, each stage of the real build path, called as :func:`kg.build.build`
calls them: statements to graph (:func:`kg.graph.build.build_graph`); the sorted N-Triples,
written once (the validation reads their bytes, the other writers their text); SHACL
validation (:func:`kg.graph.build.validate_graph` given those bytes: the shacl engine for the core
shapes, the N-Triples loaded into pyoxigraph and each SPARQL-based constraint run once
there, the parts as the validation itself times them); Turtle and JSON-LD
(:func:`kg.graph.writers.turtle`, :func:`kg.graph.writers.jsonld`); and the manifest (the
counts, the
conflicts and the hashes of the files) with the files published into a temporary folder
(:func:`kg.build.publish`). Only the reading of the YAML data is not in it (the synthetic
dataset is made in memory). Every graph must conform: the number of violations is printed.

The targets are those of issue 14: validation of 100k triples under 2 s and of 1M under
10 s, the whole build of 1M under 30 s.

Run ``python bench/bench_build.py [--sizes 10000,100000,1000000]`` (``make bench-build``);
results go to ``bench/results/build.txt``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {100_000: 2.0, 1_000_000: 10.0}  # validation, seconds
BUILD_TARGET = (1_000_000, 30.0)


def clock(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def ntriples_once(graph) -> tuple[str, bytes]:
    """The sorted N-Triples as kg.build.build makes them: the text (which the Turtle and
    JSON-LD writers read) and its bytes (kg.nt, which the validation reads)."""
    from kg.graph.writers import _sorted_text

    text = _sorted_text(graph, None)
    return text, text.encode("utf-8")


def manifest_and_publish(graph, data, files: dict[str, bytes], out: Path) -> None:
    """The tail of kg.build.build: the manifest's counts, conflicts and hashes, then the
    files published as one generation."""
    from kg.graph.build import _conflict_counts, counts
    from kg.graph.generations import publish

    manifest = {
        "conflicts": _conflict_counts(data),
        "counts": counts(graph),
        "outputs": {name: hashlib.sha256(body).hexdigest() for name, body in files.items()},
    }
    publish(out, {**files, "manifest.json": repr(manifest).encode()})


def main() -> None:
    from kg.graph.build import build_graph, validate_graph
    from kg.graph.synth import TRIPLES_PER_PERSON, synthetic_dataset
    from kg.graph.writers import jsonld, turtle

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    sizes = [int(x) for x in parser.parse_args().sizes.split(",")]
    versions = ", ".join(f"{d} {metadata.version(d)}" for d in ("shacl", "pyoxigraph", "rdflib"))
    lines = [
        f"kg build benchmark ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {versions})"
    ]
    for size in sizes:
        data = synthetic_dataset(max(4, size // TRIPLES_PER_PERSON), 7)
        graph, t_graph = clock(build_graph, data)
        (text, nt), t_nt = clock(ntriples_once, graph)
        parts: dict[str, float] = {}
        result, t_valid = clock(
            validate_graph, graph, ROOT / "shapes.ttl", ntriples=nt, timings=parts
        )
        ttl, t_ttl = clock(turtle, graph, text)
        js, t_json = clock(jsonld, graph, text)
        files = {"kg.ttl": ttl, "kg.nt": nt, "kg.jsonld": js}
        with tempfile.TemporaryDirectory() as tmp:
            _, t_rest = clock(manifest_and_publish, graph, data, files, Path(tmp) / "out")
        total = t_graph + t_nt + t_valid + t_ttl + t_json + t_rest
        status = "conforms" if result.conforms else "DOES NOT CONFORM"
        lines.append(
            f"{len(graph):>9} triples: graph {t_graph:5.2f} s | N-Triples {t_nt:.2f} | "
            f"validation {t_valid:5.2f} s (shacl core {parts['core']:.2f}, Oxigraph load "
            f"{parts['load']:.2f}, SPARQL checks {parts['sparql']:.2f}; "
            f"{len(result.violations)} violations, {status}) | Turtle {t_ttl:.2f} | "
            f"JSON-LD {t_json:.2f} | manifest+publish {t_rest:.2f} | total {total:6.2f} s"
        )
        print(lines[-1], flush=True)
        target = TARGETS.get(size)
        if target:
            lines.append(
                f"    validation target {target:.0f} s: {t_valid:.2f} s = {t_valid / target:.2f}× "
                f"({'met' if t_valid < target else 'MISSED'})"
            )
            print(lines[-1], flush=True)
        if size == BUILD_TARGET[0]:
            lines.append(
                f"    whole-build target {BUILD_TARGET[1]:.0f} s: {total:.2f} s = "
                f"{total / BUILD_TARGET[1]:.2f}× ({'met' if total < BUILD_TARGET[1] else 'MISSED'})"
            )
            print(lines[-1], flush=True)
        del graph, text, nt, ttl, js, files
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "build.txt").write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
