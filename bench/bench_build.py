"""Benchmark: the build of synthetic graphs against the pyoxigraph floor, and incrementally.

For the synthetic datasets (:mod:`kg.graph.synth`, seed 7) of about 100k, 1M and 3M triples
(``--sizes``; 10M if asked), each in a process of its own so that its peak memory is its
own, this runs the real build, :func:`kg.graph.build.build` given the dataset (only the
reading of the YAML data is left out: the dataset is made in memory), with validation,
stage by stage as the build times them: merging the facts, making the pieces of the graph,
sorting the lines, writing kg.nt, loading the on-disk Oxigraph store, the SHACL validation
(shacl core on kg.nt, the SPARQL constraints on Oxigraph), kg.ttl and kg.jsonld (written in a
thread beside the store and the validation: "writers" is what was left of them after), and the
manifest and publishing. Beside it, in another process, the **pyoxigraph floor**: the same
kg.nt bulk-loaded into pyoxigraph's in-memory store that then writes Turtle and N-Triples
(what any build of these triples must at least do), and the same with an on-disk store (as the
build writes one). Then one source of the dataset changes
(a statement dropped) and the build runs again on the same --out, reusing the pieces the
change cannot affect: its time as a share of the full build. At the smallest size the
incremental build's outputs are compared, byte for byte, with a full build of the changed
data.

Targets (issue 24): at 10M triples the whole build within 3x the floor and 8 GB peak memory
(measured, only when 10M is run); at 1M the incremental build after one changed source within
10% of a full build. Each is printed met or missed; 10M, when not run, is said so.

Run ``python bench/bench_build.py [--sizes 100000,1000000,3000000] [--append]``
(``make bench-build``); results go to ``bench/results/build.txt`` (``--append`` adds to it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR_RATIO = 3.0  # the build within 3x the floor, at 10M
MEMORY_GB = 8.0  # peak memory at 10M
INCREMENTAL_SHARE = 0.10  # at 1M
STAGES = (
    "merge",
    "pieces",
    "sort",
    "kg.nt",
    "store",
    "validation",
    "writers",
    "publish",
)
BESIDE = ("kg.ttl", "kg.jsonld")  # written in a thread beside the store and the validation


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def outputs(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "kg.oxigraph" not in p.parts
    }


def child_build(size: int, work: Path, mode: str) -> dict:
    """One size: the full build, then (unless *mode* is ``full``) the incremental build after
    one source changed, compared with a full build of the changed data if *mode* is
    ``compare``."""
    from kg.graph.build import build
    from kg.graph.synth import TRIPLES_PER_PERSON, synthetic_dataset

    start = time.perf_counter()
    data = synthetic_dataset(max(4, size // TRIPLES_PER_PERSON), 7)
    made = time.perf_counter() - start
    out = work / "out"
    stages: dict[str, float] = {}
    start = time.perf_counter()
    full = build(ROOT, out, data=data, timings=stages, full=True)
    total = time.perf_counter() - start
    peak = peak_mb()
    shutil.copy(full.folder / "kg.nt", work / "kg.nt")  # for the floor
    result = {
        "size": size,
        "triples": full.manifest["counts"]["triples"],
        "sources": len(data.sources),
        "dataset": made,
        "total": total,
        "stages": stages,
        "peak_mb": peak,
    }
    if mode == "full":
        return result
    victim = next(s for s in data.statements if s.source == "synthetic-3")
    data.statements.remove(victim)
    again: dict[str, float] = {}
    start = time.perf_counter()
    incremental = build(ROOT, out, data=data, timings=again)
    incremental_total = time.perf_counter() - start
    identical = None
    if mode == "compare":
        check = build(ROOT, work / "full-again", data=dataclasses.replace(data), full=True)
        identical = outputs(incremental.folder) == outputs(check.folder)
    return result | {
        "incremental": incremental_total,
        "incremental_stages": again,
        "rebuilt": incremental.rebuilt,
        "pieces": len(incremental.rebuilt) + incremental.reused,
        "identical": identical,
    }


def child_floor(ntriples: Path, work: Path, where: str) -> dict:
    """pyoxigraph alone: kg.nt into a store (in memory, or on disk if *where* is ``disk``),
    then Turtle and N-Triples out."""
    import pyoxigraph as ox

    times = {}
    start = time.perf_counter()
    store = ox.Store(str(work / "floor.oxigraph")) if where == "disk" else ox.Store()
    store.bulk_load(path=str(ntriples), format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    times["load"] = time.perf_counter() - start
    start = time.perf_counter()
    store.dump(str(work / "floor.ttl"), ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph())
    times["turtle"] = time.perf_counter() - start
    start = time.perf_counter()
    store.dump(str(work / "floor.nt"), ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    times["ntriples"] = time.perf_counter() - start
    return {"times": times, "total": sum(times.values()), "peak_mb": peak_mb()}


def run_child(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise SystemExit(f"the benchmark's child {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000,3000000")
    parser.add_argument("--append", action="store_true", help="add to build.txt")
    parser.add_argument(
        "--incremental-up-to",
        type=int,
        default=3_000_000,
        help="run the incremental build only up to this size (it takes as long as a full one)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "build":
            result = child_build(int(rest[0]), Path(rest[1]), rest[2])
        else:
            result = child_floor(Path(rest[0]), Path(rest[1]), rest[2])
        print(json.dumps(result))
        return

    sizes = [int(x) for x in args.sizes.split(",")]
    versions = ", ".join(f"{d} {metadata.version(d)}" for d in ("shacl", "pyoxigraph", "rdflib"))
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        f"kg build benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"({platform.machine()}, {os.cpu_count()} cores shared with other work, "
        f"{memory:.0f} GiB, load average {os.getloadavg()[0]:.1f}; Python "
        f"{platform.python_version()}, {versions})",
        "  build = kg.graph.build.build with validation, on the synthetic dataset in memory; "
        "floor = pyoxigraph bulk load of the same kg.nt into its in-memory store + Turtle + "
        "N-Triples dump (also shown with an on-disk store)",
    ]

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    results = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
            work = Path(tmp)
            mode = "compare" if size == min(sizes) else "incremental"
            if size > args.incremental_up_to:
                mode = "full"
            b = run_child("build", str(size), str(work), mode)
            print(f"  (the build of {size:,}: {b['total']:.2f} s, peak {b['peak_mb']:.0f} MB; "
                  "the floor next)", flush=True)  # fmt: skip
            f = run_child("floor", str(work / "kg.nt"), str(work), "memory")
            d = None
            if size <= args.incremental_up_to:  # the slow floor: only where the rest runs
                d = run_child("floor", str(work / "kg.nt"), str(work), "disk")
        results[size] = (b, f)
        st = b["stages"]
        say(
            f"{b['triples']:>10,} triples: build {b['total']:7.2f} s, "
            f"peak {b['peak_mb']:6.0f} MB | "
            f"floor {f['total']:6.2f} s (load {f['times']['load']:.2f}, Turtle "
            f"{f['times']['turtle']:.2f}, N-Triples {f['times']['ntriples']:.2f}), peak "
            f"{f['peak_mb']:5.0f} MB | build/floor {b['total'] / f['total']:.2f}x, memory "
            f"{b['peak_mb'] / f['peak_mb']:.2f}x"
        )
        if d:
            say(
                f"      floor on disk (the store the build also writes): {d['total']:.2f} s (load "
                f"{d['times']['load']:.2f}, Turtle {d['times']['turtle']:.2f}, N-Triples "
                f"{d['times']['ntriples']:.2f}), peak {d['peak_mb']:.0f} MB; build/that "
                f"{b['total'] / d['total']:.2f}x"
            )
        say(
            "      stages: "
            + ", ".join(f"{k} {st.get(k, 0):.2f}" for k in STAGES)
            + " (beside store and validation: "
            + ", ".join(f"{k} {st.get(k, 0):.2f}" for k in BESIDE)
            + "; writers = what was left of them)"
        )
        if "incremental" not in b:
            say(f"      incremental: not run above {args.incremental_up_to:,} triples")
            continue
        inc = b["incremental"]
        share = inc / b["total"]
        say(
            f"      incremental after one changed source: {inc:.2f} s = {share:.0%} of the full "
            f"build; rebuilt {len(b['rebuilt'])} of {b['pieces']} pieces "
            f"({', '.join(b['rebuilt'])})"
            + (
                f"; outputs {'identical to' if b['identical'] else 'DIFFERENT FROM'} a full build"
                if b["identical"] is not None
                else ""
            )
        )
        ist = b["incremental_stages"]
        say("      its stages: " + ", ".join(f"{k} {ist.get(k, 0):.2f}" for k in STAGES))

    say("targets:")
    at_1m = [r for s, r in results.items() if 900_000 <= s <= 1_100_000]
    if at_1m:
        b, _ = at_1m[0]
        share = b["incremental"] / b["total"]
        say(
            f"  1M, incremental build after one changed source <= {INCREMENTAL_SHARE:.0%} of a "
            f"full build: {share:.0%} ({verdict(share <= INCREMENTAL_SHARE)})"
        )
    else:
        say("  1M incremental: not run in this run")
    at_10m = [r for s, r in results.items() if s >= 9_000_000]
    if at_10m:
        b, f = at_10m[0]
        ratio = b["total"] / f["total"]
        say(
            f"  10M, whole build <= {FLOOR_RATIO:.0f}x the floor: {ratio:.2f}x "
            f"({verdict(ratio <= FLOOR_RATIO)}); peak memory <= {MEMORY_GB:.0f} GB: "
            f"{b['peak_mb'] / 1024:.2f} GB ({verdict(b['peak_mb'] / 1024 <= MEMORY_GB)})"
        )
    else:
        biggest = max(results)
        b, f = results[biggest]
        say(
            f"  10M: not run in this run (run --sizes 10000000 --append); at {biggest:,} the "
            f"build is {b['total'] / f['total']:.2f}x the floor with {b['peak_mb'] / 1024:.2f} GB"
        )
    out = ROOT / "bench" / "results" / "build.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    before = out.read_text(encoding="utf-8") + "\n" if args.append and out.exists() else ""
    out.write_text(before + "\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
