"""Benchmark: ``kg extract`` at growing sizes, text shapes side by side, before and after.

Three parts, each run in fresh Python processes (one per measurement), written together to
``bench/results/extract.txt``:

1. **100 articles**: the seed article's clean text (2,949 characters) with its paragraphs
   shuffled 100 times, drafted in one process, model loading included, against 60 s.
2. **Scale**: :func:`kg.extract.drafts.extract_text` on texts of 10k, 100k and 1M characters
   (``--sizes``; the shapes other than news up to ``--other-max``, 100k), each timed after the
   dataset and the Chinese model are loaded, with the growth per 10x (linear is 10x,
   quadratic 100x), the old time over the new, and the peak memory of the process. Shapes:
   ordinary news made of the real sources' sentences (the seed article, which is
   ``../shared/article`` cleaned, and the English sources), drawn at random into new
   paragraphs of one to eight sentences; a run of ``Inc.``; a run of ``余凯、``; one huge
   sentence with no punctuation (the news with its sentence ends taken out); one English list
   of names (``Baidu was founded by A, B, C, …``); many different facts in English (``Robin Li
   founded Xyz Abc Robotics in 2015.``, each company a different made-up name) and in Chinese
   (``余凯于2015年创立了智行科技公司。``); many dates and relative dates on one line
   (``2018年5月，同年，March 4, 2018，…``). The same texts are drafted by the code before the
   fix (``--old-ref``, unpacked with ``git archive`` into a temporary folder and put first on
   the path) up to ``--old-max`` characters, each within ``--old-timeout`` seconds ("> N s"
   when it did not finish), and the new code within ``--timeout``.
3. **Rules**: every rule of ``rules.yaml``, old and new, searched over adversarial templates
   of 20k and 80k characters made of its own alphabet (its slot tokens, literal characters and
   list separators), with the growth per 4x (linear is 4x, quadratic 16x).

Run ``python bench/bench_extract.py`` (``make bench-extract``); ``--help`` for the options.
Timings on a shared machine vary with its load, which is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_ARTICLES = 60.0
TARGET_1M_NEWS = 10.0
TARGET_100K_ANY = 10.0
OLD_REF = "b6a8130"  # the last commit before the extraction was made linear (issue 19)

ARTICLES = r"""
import random, sys, time
t0 = time.perf_counter()
try:  # the package grouped by step (issue 20), or the flat one of the old commit
    from kg.project import project_root
    from kg.data.dataset import load_dataset
except ImportError:
    from kg.build import project_root
    from kg.statements import load_dataset
from kg.extract.drafts import extract_text
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

# One measurement: load the dataset and the model (a small text drafted first), then time the
# drafting of the text in the file argv[1] with the language argv[2].
ONE = r"""
import json, resource, sys, time
try:  # the package grouped by step (issue 20), or the flat one of the old commit
    from kg.project import project_root
    from kg.data.dataset import load_dataset
except ImportError:
    from kg.build import project_root
    from kg.statements import load_dataset
from kg.extract.drafts import extract_text
data = load_dataset(project_root() / "data")
text = open(sys.argv[1], encoding="utf-8").read()
meta = {"language": sys.argv[2]}
extract_text(data, "2015年,余凯创立了地平线。Kai Yu founded Horizon Robotics.", meta)
wall, cpu = time.perf_counter(), time.process_time()
drafts = extract_text(data, text, meta)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": wall, "cpu": cpu, "drafts": len(drafts), "peak_mb": peak}))
"""

# Every rule (of the rules.py and rules.yaml importable here) over adversarial templates.
RULES = r"""
import json, random, re, sys, time
from kg.extract.rules import load_rules
sizes = [int(n) for n in sys.argv[1].split(",")]
raw = {}
import yaml
for item in yaml.safe_load(open(sys.argv[2], encoding="utf-8"))["rules"]:
    raw[item["id"]] = str(item["pattern"])
out = {}
for rule in load_rules():
    source = raw[rule.id]
    kinds = sorted(set(re.findall(r"\{(PERS|PER|ORG|MKT|PRD|ROLES|ROLE|DATE)", source)))
    kinds = sorted({{"PERS": "PER", "ROLES": "ROLE"}.get(k, k) for k in kinds})
    letters = sorted(set(re.sub(r"\{[^}]*\}|\\[a-z]|\(\?[:<!=]+|[][(){}?*+|^$\\]", "", source)))
    units = [f"⟨{k}:7⟩" for k in kinds] * 3 + letters + ["、", "和", ", ", " and "]
    rng = random.Random(0)
    times = []
    for n in sizes:
        parts, length = [], 0
        while length < n:
            unit = rng.choice(units)
            parts.append(unit)
            length += len(unit)
        template = "".join(parts)[:n]
        t = time.process_time()
        found = sum(1 for _ in rule.pattern.finditer(template))
        times.append(time.process_time() - t)
    # and the worst shape for a list slot: a run of the rule's first slot and a separator
    first = "⟨" + (kinds[0] if kinds else "PER") + ":7⟩、"
    runs = []
    for n in sizes:
        template = (first * (n // len(first) + 1))[:n]
        t = time.process_time()
        sum(1 for _ in rule.pattern.finditer(template))
        runs.append(time.process_time() - t)
    out[rule.id] = {"random": times, "run": runs}
print(json.dumps(out))
"""


def _load() -> tuple[dict[str, str], list[str], list[str], list[str]]:
    sys.path.insert(0, str(ROOT))
    from kg.data.dataset import load_dataset
    from kg.project import project_root

    data = load_dataset(project_root() / "data")
    texts = {sid: s.text for sid, s in data.sources.items() if not getattr(s, "cited", False)}
    languages = {sid: str(s.meta.get("language", "zh")) for sid, s in data.sources.items()}
    people = sorted(
        e.labels["en"]
        for e in data.entities.values()
        if e.type == "Person" and e.labels.get("en") and " " in e.labels["en"]
    )
    orgs = sorted(
        e.labels["en"]
        for e in data.entities.values()
        if e.type == "Organization" and e.labels.get("en")
    )
    people_zh = sorted(
        e.labels["zh-Hans"]
        for e in data.entities.values()
        if e.type == "Person" and e.labels.get("zh-Hans")
    )
    zh = [t for sid, t in sorted(texts.items()) if languages[sid] != "en"]
    en = [t for sid, t in sorted(texts.items()) if languages[sid] == "en"]
    return {"zh": "\n".join(zh), "en": "\n".join(en)}, people, orgs, people_zh


def _fill(text: str, size: int, seed: int, lang: str) -> str:
    """Ordinary news of *size* characters made of the sentences of *text*: paragraphs of one
    to eight sentences drawn at random, so that the paragraphs are new and of every length
    (the same paragraphs repeated would be read by the Chinese model in lines of a few
    lengths only, which it reads faster than real text's)."""
    ends = r"[^。！？；\n]+[。！？；]?" if lang == "zh" else r"[^.!?\n]+(?:[.!?]+\s*|$)"
    sentences = [m.group().strip() for m in re.finditer(ends, text) if len(m.group().strip()) > 1]
    rng = random.Random(seed)
    out: list[str] = []
    length = 0
    joiner = "" if lang == "zh" else " "
    while length < size:
        paragraph = joiner.join(rng.choice(sentences) for _ in range(rng.randint(1, 8)))
        out.append(paragraph)
        length += len(paragraph) + 1
    return "\n".join(out)[:size]


#: Characters for made-up Chinese company names.
_HAN = "智行云启星辰海岳远图灵犀微澜致新恒通博瀚"


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _made_up(rng: random.Random) -> str:
    return rng.choice("BCDFGHJKLMNPRSTVWZ") + "".join(
        rng.choice("aeiou" if i % 2 == 0 else "bcdfghklmnprstvz") for i in range(rng.randint(3, 7))
    )


def shapes(size: int) -> dict[str, tuple[str, str]]:
    """Each shape's text of *size* characters and its language."""
    news, people, orgs, people_zh = _load()
    no_ends_zh = "".join(c for c in news["zh"] if c not in "。！？；;!?\n")
    no_ends_en = " ".join(news["en"].translate({ord(c): " " for c in ".!?\n"}).split())
    rng = random.Random(1)
    facts, facts_zh, dates = [], [], []
    length = 0
    while length < size:
        year = rng.randint(1990, 2024)
        facts.append(
            f"{rng.choice(people)} founded {_made_up(rng)} {_made_up(rng)} Robotics in {year}. "
        )
        company = "".join(rng.choice(_HAN) for _ in range(rng.randint(2, 4)))
        end = "\n" if rng.random() < 0.2 else ""
        facts_zh.append(f"{rng.choice(people_zh)}于{year}年创立了{company}科技公司。{end}")
        relative = rng.choice(["，同年", "，去年", "，三年前", "，the same year", ""])
        dates.append(
            f"{year}年{rng.randint(1, 12)}月{relative}，March {rng.randint(1, 28)}, {year}，"
        )
        length += min(len(facts[-1]), len(facts_zh[-1]), len(dates[-1]))
    return {
        "news-zh": (_fill(news["zh"], size, 0, "zh"), "zh"),
        "news-en": (_fill(news["en"], size, 0, "en"), "en"),
        "Inc.": (_repeat("Inc.", size), "en"),
        "余凯、": (_repeat("余凯、", size), "zh"),
        "sentence-zh": (_repeat(no_ends_zh, size), "zh"),
        "sentence-en": (_repeat(no_ends_en + " ", size), "en"),
        "list-en": (
            (f"{orgs[0]} was founded by " + _repeat(", ".join(people) + ", ", size))[:size],
            "en",
        ),
        "facts-en": ("".join(facts)[:size], "en"),
        "facts-zh": ("".join(facts_zh)[:size], "zh"),
        "dates-zh": ("".join(dates)[:size], "zh"),
    }


def _old_tree(ref: str, where: Path) -> Path | None:
    """The kg package as it was at *ref*, unpacked under *where* (None if git cannot)."""
    try:
        archive = subprocess.run(
            ["git", "archive", ref, "kg"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return where


def _run(code: str, args: list[str], timeout: float, path: Path | None) -> dict | None:
    if path is not None:  # the old package first on the path, before this tree ('' = cwd)
        code = f"import sys; sys.path.insert(0, {str(path)!r})\n{code}"
    code = f"{code}\nimport kg; assert kg.__file__.startswith({str(path or ROOT)!r})\n"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        if path is None:
            raise SystemExit(f"a measurement failed:\n{done.stderr[-2000:]}")
        print(f"the old code failed (shown as such):\n{done.stderr[-800:]}", file=sys.stderr)
        return {"failed": True}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pad(name: str, width: int) -> str:
    """*name* padded to *width* columns (a Chinese character takes two)."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in name)
    return name + " " * max(0, width - len(name) - wide)


def _cell(result: dict | None, limit: float) -> str:
    if result is None:
        return f"> {limit:.0f} s"
    if result.get("failed"):
        return "failed"
    return f"{result['wall']:.2f} s"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--other-max", type=int, default=100000, help="largest size of the shapes but news"
    )
    parser.add_argument("--shapes", default="", help="comma-separated; all when empty")
    parser.add_argument("--timeout", type=float, default=600.0, help="per new measurement, s")
    parser.add_argument("--old-ref", default=OLD_REF, help="the code before (a git revision)")
    parser.add_argument("--old-max", type=int, default=100000, help="largest size run old")
    parser.add_argument("--old-timeout", type=float, default=120.0, help="per old run, s")
    parser.add_argument("--rule-sizes", default="20000,80000")
    parser.add_argument("--skip-articles", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "extract.txt"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    wanted = [s for s in args.shapes.split(",") if s]

    lines = [
        f"kg extract benchmark ({platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}); load average at the start "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        "",
    ]

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    for line in lines:
        print(line)
    if not args.skip_articles:
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", ARTICLES], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.split()
        wall = time.perf_counter() - start
        drafting, drafts, chars = float(out[1]), int(out[2]), int(out[3])
        say("## 100 articles")
        say(f"100 texts, {chars} characters in all ({chars // 100} each), {drafts} drafts")
        say(f"process wall time (start, imports, dataset, model, drafting): {wall:.2f} s")
        say(f"  of which drafting the 100 texts: {drafting:.2f} s")
        say(
            f"target: {TARGET_ARTICLES:.0f} s; ratio wall/target: {wall / TARGET_ARTICLES:.2f} "
            f"({'met' if wall < TARGET_ARTICLES else 'NOT met'})"
        )
        say()

    with tempfile.TemporaryDirectory() as tmp:
        old = _old_tree(args.old_ref, Path(tmp))
        say(
            f"## scale: drafting one text (model loaded); old = {args.old_ref} "
            f"(up to {args.old_max} characters, {args.old_timeout:.0f} s at most), new = this tree"
        )
        say(
            f"{'shape':<12} {'chars':>9} {'old':>10} {'new':>9} {'old/new':>8} {'new cpu':>9} "
            f"{'x per 10x':>9} {'peak MB':>8} {'drafts':>7} {'old drafts':>10}"
        )
        table: dict[str, dict[int, dict | None]] = {}
        texts_by_size = {n: shapes(n) for n in sizes}
        names = [s for s in texts_by_size[sizes[0]] if not wanted or s in wanted]
        for shape in names:
            table[shape] = {}
            previous = None
            for n in sizes:
                if n > args.other_max and not shape.startswith("news-"):
                    continue
                text, lang = texts_by_size[n][shape]
                path = Path(tmp) / f"{n}.txt"
                path.write_text(text, encoding="utf-8")
                new = _run(ONE, [str(path), lang], args.timeout, None)
                before = None
                ran_old = old is not None and n <= args.old_max
                if ran_old:
                    before = _run(ONE, [str(path), lang], args.old_timeout, old)
                table[shape][n] = new
                growth = (
                    f"{new['wall'] / previous['wall']:.1f}"
                    if new and previous and previous["wall"] > 0
                    else ""
                )
                cpu = f"{new['cpu']:.2f} s" if new else ""
                peak = f"{new['peak_mb']:.0f}" if new else ""
                if before is not None and before.get("failed"):
                    speedup = ""
                elif new and ran_old:
                    lower = ">" if before is None else ""
                    took = args.old_timeout if before is None else before["wall"]
                    speedup = f"{lower}{took / max(new['wall'], 1e-3):.0f}x"
                else:
                    speedup = ""
                say(
                    f"{_pad(shape, 12)} {n:>9} "
                    f"{(_cell(before, args.old_timeout) if ran_old else '-'):>10} "
                    f"{_cell(new, args.timeout):>9} {speedup:>8} {cpu:>9} {growth:>9} {peak:>8} "
                    f"{(new['drafts'] if new else ''):>7} "
                    f"{(before.get('drafts', '') if before else ''):>10}"
                )
                previous = new
        say()
        say("## targets")
        for shape, n, target in [
            *((s, 1000000, TARGET_1M_NEWS) for s in ("news-zh", "news-en")),
            *((s, 100000, TARGET_100K_ANY) for s in names),
        ]:
            result = table.get(shape, {}).get(n)
            if n not in sizes or shape not in table:
                continue
            verdict = (
                "met" if result and result["wall"] < target else "NOT met"
            ) + f" ({_cell(result, args.timeout)})"
            say(f"{shape} at {n} characters under {target:.0f} s: {verdict}")
        say()

        rule_sizes = args.rule_sizes
        factor = int(rule_sizes.split(",")[-1]) // int(rule_sizes.split(",")[0])
        say(
            f"## rules: each rule searched over adversarial templates of {rule_sizes} characters "
            f"(process CPU time); growth per {factor}x (linear {factor}x, quadratic {factor**2}x)"
        )
        yaml_new = ROOT / "kg" / "extract" / "rules.yaml"
        new_rules = _run(RULES, [rule_sizes, str(yaml_new)], args.timeout, None) or {}
        old_rules = {}
        if old is not None:
            yaml_old = old / "kg" / "extract" / "rules.yaml"
            old_rules = _run(RULES, [rule_sizes, str(yaml_old)], args.timeout, old) or {}
            old_rules.pop("failed", None)
        say(f"{'rule':<24} {'old random':>12} {'old run':>18} {'new random':>12} {'new run':>18}")

        def fmt(times: list[float]) -> str:
            return f"{times[-1]:.3f} s {times[-1] / max(times[0], 1e-4):.1f}x"

        worst = 0.0
        for rid, new_t in new_rules.items():
            old_t = old_rules.get(rid)
            worst = max(worst, new_t["run"][-1], new_t["random"][-1])
            say(
                f"{rid:<24} {(fmt(old_t['random']) if old_t else '-'):>12} "
                f"{(fmt(old_t['run']) if old_t else '-'):>18} "
                f"{fmt(new_t['random']):>12} {fmt(new_t['run']):>18}"
            )
        say(f"slowest new rule on {rule_sizes.split(',')[-1]} characters: {worst:.3f} s")

    report = "\n".join(lines)
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
