"""The incremental build: pieces of the last build reused, and the same bytes as a full build.

After each kind of change (a statement, a source, an entity, the vocabulary, a judgement) a
build that reuses the cached pieces (``out/.fragments``) writes exactly what a full build
writes, and makes again only the pieces the change can affect. A damaged cache is noticed
and made again, never used.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kg.graph.build import build
from kg.graph.fragments import CACHE

SEED = "jiemian-baidu-ai-decade"


def outputs(folder: Path) -> dict[str, bytes]:
    """Every file of a build but its store (whose files are the database's own)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "kg.oxigraph" not in p.parts
    }


def store_triples(folder: Path) -> set[str]:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(folder / "kg.oxigraph"))
    return {str(q.triple) for q in store}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def change_statement(root: Path) -> None:
    """A statement goes: the company's former name."""
    edit(
        root / f"data/statements/{SEED}.yaml",
        "  - {id: weride-former-name, subject: org/weride, relation: formerName, value: 景驰科技,\n"
        '     quote: "景驰科技(后为文远知行)"}\n',
        "",
    )


def change_source(root: Path) -> None:
    """The article's text gains a paragraph at its end (its sha256 with it)."""
    raw = root / f"data/sources/{SEED}.raw.txt"
    old = hashlib.sha256(raw.read_bytes()).hexdigest()
    raw.write_bytes(raw.read_bytes() + "\n補充一段。\n".encode())
    edit(root / f"data/sources/{SEED}.meta.yaml", old, hashlib.sha256(raw.read_bytes()).hexdigest())


def change_entity(root: Path) -> None:
    edit(root / "data/entities.yaml", "en: Qi Lu}", "en: Qi Lu (Lu Qi)}")


def change_vocabulary(root: Path) -> None:
    edit(root / "data/relations.yaml", "predicate: kg:formerName", "predicate: kg:previousName")


def change_judgement(root: Path) -> None:
    """A reviewer judges a new name to be Lu Qi's: it becomes his alternative label."""
    (root / "data/judgements.yaml").write_text(
        "judgements:\n"
        "  - {a: person/lu-qi, b: 陆奇博士, verdict: same, by: A Tester, date: 2026-12-01,\n"
        '     why: "the test of the incremental build"}\n',
        encoding="utf-8",
    )


CHANGES: dict[str, tuple[Callable[[Path], None], set[str] | None]] = {
    # the change, and the pieces it makes again (None: every piece)
    "statement": (change_statement, {f"facts/{SEED}"}),
    "source": (change_source, {f"source/{SEED}"}),
    "entity": (change_entity, {"entities"}),
    "vocabulary": (change_vocabulary, None),
    "judgement": (change_judgement, {"entities"}),
}


@pytest.mark.parametrize("kind", list(CHANGES))
def test_an_incremental_build_is_byte_identical_to_a_full_build(data_copy, tmp_path, kind):
    change, expected = CHANGES[kind]
    out = tmp_path / "incremental"
    first = build(data_copy, out, validate=False)
    assert first.reused == 0 and len(first.rebuilt) > 10
    before = outputs(first.folder)

    change(data_copy)
    again = build(data_copy, out, validate=kind == "statement")  # one of them validated
    full = build(data_copy, tmp_path / "full", validate=kind == "statement", full=True)
    assert full.reused == 0

    assert outputs(again.folder) == outputs(full.folder)
    assert outputs(again.folder) != before, "the change changed nothing: a useless test"
    assert store_triples(again.folder) == store_triples(full.folder)
    total = len(first.rebuilt)
    if expected is None:
        assert again.reused == 0 and len(again.rebuilt) == total
    else:
        assert set(again.rebuilt) == expected
        assert again.reused == total - len(expected)


def test_a_damaged_cache_is_made_again_never_used(data_copy, tmp_path):
    out = tmp_path / "out"
    first = build(data_copy, out, validate=False)
    before = outputs(first.folder)
    cache = out / CACHE
    pieces = {
        re.match(rb"kg-fragment 1 (\S+)", p.read_bytes()).group(1).decode(): p  # type: ignore[union-attr]
        for p in cache.iterdir()
    }
    # a changed character, a file cut short, a file of another piece, an empty file
    entities = pieces["entities"]
    entities.write_bytes(entities.read_bytes().replace("陆奇".encode(), "陆琦".encode(), 1))
    facts = pieces[f"facts/{SEED}"]
    facts.write_bytes(facts.read_bytes()[: facts.stat().st_size // 2])
    source = pieces[f"source/{SEED}"]
    source.write_bytes(pieces["source/wikipedia-en-andrew-ng"].read_bytes())
    pieces["facts/wikipedia-en-andrew-ng"].write_bytes(b"")
    (cache / ".stray.nt.123.part").write_bytes(b"half a piece")  # a killed write

    messages: list[str] = []
    again = build(data_copy, out, validate=False, progress=messages.append)
    damaged = {"entities", f"facts/{SEED}", f"source/{SEED}", "facts/wikipedia-en-andrew-ng"}
    assert set(again.rebuilt) == damaged
    assert any("4 cached piece(s) were damaged" in m for m in messages), messages
    assert outputs(again.folder) == before
    assert not list(cache.glob("*.part"))
    third = build(data_copy, out, validate=False)  # the pieces made again were kept
    assert third.rebuilt == [] and outputs(third.folder) == before


def test_kg_build_says_what_it_rebuilt_and_full_reads_no_cache(data_copy, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "kg", "build", "--root", str(data_copy), "--out", str(out)]
    first = subprocess.run([*command, "--no-validate"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert re.search(r"rebuilt (\d+) of \1 pieces", first.stderr), first.stderr
    change_entity(data_copy)
    second = subprocess.run([*command, "--no-validate"], capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    found = re.search(r"rebuilt 1 of (\d+) pieces of the graph \(the entities\); reused (\d+)",
                      second.stderr)  # fmt: skip
    assert found and int(found.group(2)) == int(found.group(1)) - 1, second.stderr
    full = subprocess.run([*command, "--no-validate", "--full"], capture_output=True, text=True)
    assert full.returncode == 0, full.stderr
    assert "made all" in full.stderr and "--full" in full.stderr


def test_the_store_holds_exactly_the_triples_of_kg_nt(built):
    """The on-disk store is kg.nt loaded into Oxigraph, in the default graph (Oxigraph keeps
    literals by value, as its in-memory store does: "16.0"^^xsd:decimal reads back as
    "16", language tags in lower case)."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(built.folder / "kg.oxigraph"))
    quads = list(store)
    assert all(q.graph_name == ox.DefaultGraph() for q in quads)
    loaded = ox.Store()
    loaded.bulk_load(path=str(built.folder / "kg.nt"), format=ox.RdfFormat.N_TRIPLES)
    assert {str(q) for q in quads} == {str(q) for q in loaded}
    assert len(quads) == built.manifest["counts"]["triples"] > 1000
