"""A build is published whole: readers see one complete build, old or new, never a mix.

The kill test runs real ``kg build`` processes and kills them (SIGKILL) at many points: spread
over the whole run, and right after the first change under --out, over the measured length of
the write phase. After each kill every file reachable through --out must belong to one build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.errors import DataError, KGError
from kg.graph.build import build
from kg.graph.generations import publish, resolve_build, staged

KG_BUILD = [sys.executable, "-m", "kg", "build"]
LABEL = "zh-Hant: 陸奇, en: Qi Lu}"
VISIBLE = {"kg.ttl", "kg.nt", "kg.jsonld", "kg.oxigraph", "manifest.json", "text"}


def set_version(root: Path, original: str, n: int) -> None:
    """Give Lu Qi's English label a version number, so that every build differs."""
    (root / "data/entities.yaml").write_text(
        original.replace(LABEL, LABEL[:-1] + f" v{n}}}"), encoding="utf-8"
    )


def snapshot(out: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry under *out* (hidden ones too, symlinks not followed)."""
    seen = {}
    for folder, dirs, files in os.walk(out):
        for name in dirs + files:
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
            except FileNotFoundError:  # removed by the running build meanwhile
                continue
            seen[os.path.relpath(path, out)] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return seen


def start_build(root: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*KG_BUILD, "--root", str(root), "--out", str(out), "--no-validate"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_change(proc: subprocess.Popen[bytes], out: Path, before: dict) -> bool:
    """Poll until something under *out* changes; False if the build ended first."""
    while snapshot(out) == before:
        if proc.poll() is not None:
            return False
    return True


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_files(folder: Path) -> dict:
    """The manifest in *folder* records exactly the files beside it; return it."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    outputs = manifest["outputs"]
    for name, digest in outputs.items():
        assert sha256(folder / name) == digest, f"{folder / name} is not the manifest's"
    texts = {name.split("/", 1)[1] for name in outputs if name.startswith("text/")}
    assert set(os.listdir(folder / "text")) == texts
    return manifest


def check_one_build(out: Path, parsed: dict[str, int]) -> int:
    """Everything reachable through *out* is one complete build; return its label version."""
    assert {name for name in os.listdir(out) if not name.startswith(".")} == VISIBLE
    strays = [
        os.path.join(folder, name)
        for folder, dirs, files in os.walk(out)
        for name in dirs + files
        if name.endswith(".tmp")
    ]
    assert not strays, f"temporary files left in {out}: {strays}"
    manifest = check_files(out)
    key = json.dumps(manifest["outputs"], sort_keys=True)
    if key not in parsed:
        nt = Graph().parse(out / "kg.nt", format="nt")
        assert len(nt) == manifest["counts"]["triples"]
        assert isomorphic(nt, Graph().parse(out / "kg.ttl", format="turtle"))
        assert isomorphic(nt, Graph().parse(out / "kg.jsonld", format="json-ld"))
        found = re.search(r'"Qi Lu v(\d+)"@en', (out / "kg.nt").read_text(encoding="utf-8"))
        assert found, "the build has no versioned label"
        assert store_label(out) == f"Qi Lu v{found.group(1)}", "the store is another build's"
        parsed[key] = int(found.group(1))
    return parsed[key]


def store_label(out: Path) -> str:
    """Lu Qi's English label in the build's Oxigraph store, opened read-only."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(resolve_build(out) / "kg.oxigraph"))
    assert len(store) == json.loads((out / "manifest.json").read_bytes())["counts"]["triples"]
    rows = store.query(
        "SELECT ?l WHERE { <https://w3id.org/china-ai-kg/person/lu-qi> "
        '<http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(lang(?l) = "en") }'
    )
    return str(next(iter(rows))[0].value)


def generations(out: Path) -> list[Path]:
    return sorted(p for p in (out / ".generations").iterdir() if not p.name.startswith("."))


def test_a_killed_build_leaves_one_complete_build(data_copy, tmp_path):
    root, out = data_copy, tmp_path / "out"
    original = (root / "data/entities.yaml").read_text(encoding="utf-8")
    set_version(root, original, 0)
    build(root, out)  # validated once; the killed builds skip SHACL to keep the test short
    parsed: dict[str, int] = {}
    assert check_one_build(out, parsed) == 0

    # Measure one build: how long until it first changes --out, and how long from then on.
    set_version(root, original, 1)
    before = snapshot(out)
    began = time.monotonic()
    proc = start_build(root, out)
    assert wait_for_change(proc, out, before)
    first_change = time.monotonic()
    assert proc.wait() == 0
    total, writing = time.monotonic() - began, time.monotonic() - first_change
    assert check_one_build(out, parsed) == 1

    # 10 kills spread over the whole run; 20 from the first change on, over its writing,
    # denser at first (where the files are written; the rest is flushing and exiting).
    plan = [("run", total * (i + 0.5) / 10) for i in range(10)]
    plan += [("write", writing * (i / 19) ** 2) for i in range(20)]
    landed = {"before writing": 0, "while writing": 0, "after publishing": 0, "finished": 0}
    staging_left = 0
    published, generation_names = 1, {resolve_build(out).name}
    for n, (phase, delay) in enumerate(plan, start=2):
        set_version(root, original, n)
        before = snapshot(out)
        proc = start_build(root, out)
        if phase == "write" and not wait_for_change(proc, out, before):
            delay = 0.0
        time.sleep(delay)
        proc.kill()
        code = proc.wait()
        assert code in (0, -9), f"kg build exited with {code}"
        version = check_one_build(out, parsed)
        assert version in (published, n), f"a build from nowhere: v{version}"
        if code == 0:
            landed["finished"] += 1
            assert version == n
        elif version == n:
            landed["after publishing"] += 1
        elif snapshot(out) != before:
            landed["while writing"] += 1
        else:
            landed["before writing"] += 1
        generation_names.add(resolve_build(out).name)
        staging_left += any(p.name not in generation_names for p in generations(out))
        published = version
    print(
        f"\n{len(plan)} kills (run {total:.2f} s, writing {writing * 1000:.1f} ms): {landed}; "
        f"{staging_left} left a staging folder"
    )
    assert landed["while writing"] + landed["after publishing"] > 0, "no kill hit the writes"

    # The next build clears what the killed ones left: the current and the previous build stay.
    final = len(plan) + 2
    set_version(root, original, final)
    result = subprocess.run(
        [*KG_BUILD, "--root", str(root), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert check_one_build(out, parsed) == final
    kept = generations(out)
    assert len(kept) <= 2 and resolve_build(out) in kept
    for folder in kept:
        check_files(folder)
        assert set(os.listdir(folder)) == VISIBLE
    assert {p.name for p in (out / ".generations").iterdir()} - {p.name for p in kept} <= {".lock"}


def test_readers_resolve_one_build_folder(data_copy, tmp_path):
    out = tmp_path / "out"
    build(data_copy, out, validate=False)
    folder = resolve_build(out)
    assert folder.is_absolute() and folder.is_dir() and folder != out.resolve()
    manifest = check_files(folder)
    for name in manifest["outputs"]:
        assert (out / name).resolve() == folder / name


def test_a_build_over_an_old_style_folder_takes_it_over(data_copy, tmp_path):
    """Real files from an earlier kg (and its stray temporary files) become the new layout."""
    out = tmp_path / "out"
    build(data_copy, out, validate=False)
    flat = tmp_path / "flat"
    shutil.copytree(out, flat, symlinks=False, ignore=shutil.ignore_patterns(".*"))
    shutil.rmtree(out)
    flat.rename(out)
    (out / ".kg.nt.x1y2z3.tmp").write_text("half a file")
    (out / "text/.jiemian-baidu-ai-decade.zh-Hans.txt.a1b2.tmp").write_text("half a file")
    (out / "graph.html").write_text("kept")  # written by kg viz, not by the build
    build(data_copy, out, validate=False)
    for name in VISIBLE:
        assert (out / name).is_symlink(), name
    assert (out / "graph.html").read_text() == "kept"
    visible = {name for name in os.listdir(out) if not name.startswith(".")}
    assert visible == VISIBLE | {"graph.html"}
    check_one_build_files = check_files(out)
    assert check_one_build_files["counts"]["triples"] > 0
    assert not [p for p in snapshot(out) if p.endswith(".tmp")]


def test_what_is_staged_is_published_whole_or_not_at_all(tmp_path):
    out = tmp_path / "out"

    def write(folder: Path, nt: bytes) -> None:
        (folder / "kg.oxigraph").mkdir()
        (folder / "kg.oxigraph/000001.sst").write_bytes(b"one")
        (folder / "kg.nt").write_bytes(nt)

    with staged(out) as first:
        write(first, b"<a> <b> <c> .\n")
    assert (out / "kg.oxigraph/000001.sst").read_bytes() == b"one"
    assert (out / "kg.oxigraph").resolve() == first / "kg.oxigraph"

    with pytest.raises(KGError, match="No space left"), staged(out) as second:
        write(second, b"<a> <b> <d> .\n")
        raise OSError(28, "No space left on device")
    assert resolve_build(out) == first and (out / "kg.nt").read_bytes() == b"<a> <b> <c> .\n"
    assert [p.name for p in generations(out)] == [first.name]  # the staging folder went


def test_a_store_short_of_the_triples_of_kg_nt_is_never_published(data_copy, tmp_path, monkeypatch):
    """The build counts the triples of its on-disk store after loading it; one that holds
    fewer than kg.nt (here a load that drops the first line) fails the build."""
    import pyoxigraph as ox

    import kg.graph.build as build_module

    out = tmp_path / "out"
    first = build(data_copy, out, validate=False)

    class ShortStore:
        def __init__(self, path: Path):
            self.inner = ox.Store(str(path))

        def bulk_load(self, path: str, format: ox.RdfFormat) -> None:
            lines = Path(path).read_bytes().split(b"\n", 1)[1]
            self.inner.bulk_load(lines, format)

        def flush(self) -> None:
            self.inner.flush()

        def __len__(self) -> int:
            return len(self.inner)

    monkeypatch.setattr(build_module, "open_new_store", ShortStore)
    triples = first.manifest["counts"]["triples"]
    with pytest.raises(KGError, match=f"holds {triples - 1:,} triples where kg.nt has {triples:,}"):
        build(data_copy, out, validate=False)
    assert resolve_build(out) == first.folder
    assert [p.name for p in generations(out)] == [first.folder.name]


@pytest.mark.parametrize("name", ["text/../../../../x.txt", "text/../../x.txt", "ABSOLUTE"])
def test_the_writer_refuses_a_name_outside_the_build(tmp_path, name):
    name = str(tmp_path / "x.txt") if name == "ABSOLUTE" else name
    out = tmp_path / "a/out"
    with pytest.raises(DataError, match="outside the build folder"):
        publish(out, {"kg.nt": b"", name: b"x"})
    assert not (out / ".current").exists()
    assert [p for p in snapshot(tmp_path) if "x.txt" in p] == []


def test_kg_serve_moves_to_each_new_build_whole(data_copy, tmp_path):
    """Rebuilds while `kg serve` runs: the server moves to the newest build published, every
    answer from one build (never the old one again once it has moved), workers replaced after
    runaway queries serve that build too; and the builds leave no folder of an older build."""
    from tests.test_serve import get
    from tests.test_serve_attacks import Served

    out = tmp_path / "out"
    original = (data_copy / "data/entities.yaml").read_text(encoding="utf-8")
    set_version(data_copy, original, 1)
    subprocess.run([*KG_BUILD, "--root", str(data_copy), "--out", str(out), "--no-validate"],
                   check=True, capture_output=True)  # fmt: skip
    served = Served(out / "kg.nt", "--workers", "2", "--timeout", "1")
    label = 'SELECT ?l WHERE { kg:person/lu-qi rdfs:label ?l FILTER(lang(?l) = "en") }'
    label = label.replace("kg:person/lu-qi", "<https://w3id.org/china-ai-kg/person/lu-qi>")
    label = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" + label
    try:
        body = get(served, label)[2]
        assert b"Qi Lu v1" in body
        for n in (2, 3, 4):
            set_version(data_copy, original, n)
            subprocess.run(
                [*KG_BUILD, "--root", str(data_copy), "--out", str(out), "--no-validate"],
                check=True, capture_output=True,
            )  # fmt: skip
        assert b"v4" in (out / "kg.nt").read_bytes()
        seen = []
        for _ in range(40):  # the server starts workers on the new build, then moves
            body = get(served, label)[2]
            seen.append(re.search(rb"Qi Lu (v\d)", body).group(1))  # type: ignore[union-attr]
            if seen[-1] == b"v4":
                break
            time.sleep(0.25)
        assert seen[-1] == b"v4" and set(seen) <= {b"v1", b"v4"}, seen  # never v2 or v3
        # Runaway queries replace both workers; the new ones serve build 4 as well.
        runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        for _ in range(2):
            assert get(served, runaway)[0] == 503
        time.sleep(3)  # the replacements start
        for _ in range(6):
            status, _, body = get(served, label)
            assert status == 200 and b"Qi Lu v4" in body, body
    finally:
        served.stop()
    # Once the server is gone, the next build removes every folder but the last two.
    subprocess.run([*KG_BUILD, "--root", str(data_copy), "--out", str(out), "--no-validate"],
                   check=True, capture_output=True)  # fmt: skip
    assert len(generations(out)) == 2
