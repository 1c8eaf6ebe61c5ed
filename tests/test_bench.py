"""The query benchmark runs end to end on a small graph (so that `make bench` does not rot).

This checks that the script works and reports what it should, not how fast anything is:
timings are never asserted in tests.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bench(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """bench/bench_query.py on a 2k-triple graph, writing under *tmp_path* only."""
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_query.py"),
            "--sizes=2k",
            "--repeat=1",
            "--min-time=0",
            "--max-rounds=1",
            f"--data={tmp_path / 'data'}",
            f"--out={tmp_path / 'q.txt'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def test_query_benchmark_runs_and_checks_its_targets(tmp_path):
    done = run_bench(tmp_path, "--cap=20", "--queries=founders,career,co_founders")
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "q.txt").read_text(encoding="utf-8")
    assert report.strip() in done.stdout
    assert re.search(r"pyoxigraph \d+\.\d+\.\d+, oxrdflib \d+\.\d+", report)  # versions
    assert re.search(r"load in memory: pyoxigraph [\d.]+ s, kg oxigraph [\d.]+ s", report)
    assert re.search(r"load on disk: +pyoxigraph [\d.]+ s, kg oxigraph:PATH [\d.]+ s", report)
    timed = re.findall(r"^(\w+) +(\d+)(?: +[\d.,]+ms +[\d.,]+ms +[\d.]+){2} +[\d.,]+ms +[\d,]+$",
                       report, flags=re.M)  # fmt: skip
    assert sorted(name for name, _ in timed) == ["career", "co_founders", "founders"]
    assert "## targets" in report and "joins >=100x faster than rdflib:" in report
    # The synthetic graph and both on-disk stores went where --data said, not into bench/.
    assert (tmp_path / "data" / "synth-2000.nt").is_file()
    assert (tmp_path / "data" / "stores" / "ours" / "kg-source.sha256").is_file()


def test_query_benchmark_runs_without_any_join_query(tmp_path):
    done = run_bench(tmp_path, "--queries=renamed")
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "q.txt").read_text(encoding="utf-8")
    assert "no named query slower than rdflib" in report and "joins >=100x" not in report


def test_query_benchmark_refuses_an_unknown_query(tmp_path):
    done = run_bench(tmp_path, "--queries=founders,no_such_query")
    assert done.returncode != 0
    assert "unknown named queries: no_such_query" in done.stderr
    assert not (tmp_path / "q.txt").exists()


def test_a_synthetic_graph_made_by_other_code_is_made_again(tmp_path):
    """The benchmarks keep their synthetic graphs between runs; one made before a change to
    how triples are made (a graph without the date links, say) is made again, never
    measured beside one made after it."""
    from kg.graph.synth import write_synthetic

    path = write_synthetic(tmp_path / "synth.nt", 2_000, seed=7)
    made = path.read_bytes()
    path.write_bytes(b"")  # a file kept from another run: same key, so taken as it is
    assert write_synthetic(path, 2_000, seed=7).read_bytes() == b""
    stamp = path.with_name("synth.nt.key")
    stamp.write_text("made by other code\n", encoding="utf-8")
    assert write_synthetic(path, 2_000, seed=7).read_bytes() == made
    stamp.unlink()  # a file from before the key was recorded
    path.write_bytes(b"")
    assert write_synthetic(path, 2_000, seed=7).read_bytes() == made
