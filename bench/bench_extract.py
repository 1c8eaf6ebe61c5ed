"""Benchmark: drafting 100 articles of about 3,000 characters, model loading included.

The 100 texts are the seed article's clean text (2,949 characters) with its paragraphs
shuffled by a seeded random generator, so each is a different text of the same kind. One
fresh Python process imports kg, loads the dataset, loads the Chinese model (LAC) and
drafts every text with :func:`kg.extract.drafts.extract_text`; the time is taken around
all of that, against the target of 60 s (the ratio is printed).

Run ``python bench/bench_extract.py``; results go to ``bench/results/extract.txt``.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 60.0
CHILD = r"""
import random, sys, time
t0 = time.perf_counter()
from kg.build import project_root
from kg.extract.drafts import extract_text
from kg.statements import load_dataset
data = load_dataset(project_root() / "data")
src = data.sources["jiemian-baidu-ai-decade"]
paragraphs = src.text.split("\n")
rng = random.Random(0)
texts = []
for _ in range(100):
    rng.shuffle(paragraphs)
    texts.append("\n".join(paragraphs))
t1 = time.perf_counter()
drafts = sum(len(extract_text(data, text, dict(src.meta))) for text in texts)
t2 = time.perf_counter()
print(f"{t2 - t0:.2f} {t2 - t1:.2f} {drafts} {sum(map(len, texts))}")
"""


def main() -> None:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    wall = time.perf_counter() - start
    _, drafting, drafts, chars = float(out[0]), float(out[1]), int(out[2]), int(out[3])
    lines = [
        f"kg extract benchmark ({platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()})",
        f"100 texts, {chars} characters in all ({chars // 100} each), {drafts} drafts",
        f"process wall time (interpreter start, imports, dataset, model, drafting): {wall:.2f} s",
        f"  of which drafting the 100 texts: {drafting:.2f} s",
        f"target: {TARGET:.0f} s; ratio wall/target: {wall / TARGET:.2f} "
        f"({'met' if wall < TARGET else 'NOT met'})",
    ]
    report = "\n".join(lines)
    print(report)
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "extract.txt").write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
