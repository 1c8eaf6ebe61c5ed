"""The build's own on-disk store (``kg.oxigraph`` in its generation folder), read by default.

Until the build writes the store itself, :func:`add_build_store` makes it here from the
build's ``kg.nt``, exactly as the contract says: a pyoxigraph store holding the triples of
``kg.nt`` in the default graph, in the generation folder, beside ``kg.nt``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg.graph.generations import publish, resolve_build
from kg.query import results
from kg.query.named import named_queries
from kg.query.store import BUILD_STORE, StoreError, build_store, open_store

LU_QI = "https://w3id.org/china-ai-kg/person/lu-qi"
MARK = "<urn:kg-test:store> <urn:kg-test:is> <urn:kg-test:the-build-store> .\n"
ASK_MARK = "ASK { <urn:kg-test:store> <urn:kg-test:is> <urn:kg-test:the-build-store> }"


def add_build_store(out: Path, extra: str = "") -> Path:
    """Write the current build's ``kg.oxigraph`` from its ``kg.nt`` (plus *extra* N-Triples)."""
    import pyoxigraph as ox

    folder = resolve_build(out)
    store = ox.Store(str(folder / BUILD_STORE))
    store.bulk_load(path=str(folder / "kg.nt"), format=ox.RdfFormat.N_TRIPLES)
    if extra:
        store.load(extra.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    del store
    return folder / BUILD_STORE


def publish_copy(built: Path, out: Path, *, store: bool = True, replace: str = "") -> Path:
    """Publish the graph of *built* (a build folder) as a new build of *out*, with its store.

    *replace* ("old=>new") changes the graph's text first, to tell builds apart.
    """
    text = (built / "kg.nt").read_bytes()
    if replace:
        old, new = replace.split("=>")
        assert old.encode() in text
        text = text.replace(old.encode(), new.encode())
    publish(out, {"kg.nt": text, "manifest.json": (built / "manifest.json").read_bytes()})
    if store:
        add_build_store(out)
    return resolve_build(out)


def table(store, name: str) -> list[str]:
    """A named query's answer with its default bindings, as sorted TSV lines (exact terms)."""
    done = results.run(store, name, {}, "zh-Hans")
    if done.kind == "ASK":
        return [str(done.boolean)]
    fmt = "nt" if done.kind in ("CONSTRUCT", "DESCRIBE") else "tsv"
    return sorted(results.serialize(done, fmt).decode("utf-8").splitlines())


@pytest.fixture(scope="module")
def out(built, tmp_path_factory):
    folder = tmp_path_factory.mktemp("persistent") / "out"
    publish_copy(built.out, folder)
    return folder


def test_the_default_store_is_the_builds_own_read_only_store(out):
    assert build_store(out / "kg.nt") == resolve_build(out) / BUILD_STORE
    with open_store("oxigraph", out / "kg.nt") as store:
        assert store.read_only and store.spec.location == str(resolve_build(out) / BUILD_STORE)
        with pytest.raises((OSError, RuntimeError), match="read-write"):
            store.inner.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with open_store("oxigraph-memory", out / "kg.nt") as loaded:
        assert not loaded.read_only and loaded.spec.location == ""


def test_every_named_query_answers_as_the_in_memory_store(out):
    names = sorted(named_queries())
    assert len(names) >= 19
    with (
        open_store("oxigraph", out / "kg.nt") as disk,
        open_store("oxigraph-memory", out / "kg.nt") as memory,
    ):
        assert disk.inner is not None and disk.spec.location.endswith(BUILD_STORE)
        assert len(disk) == len(memory) > 1000
        answered = 0
        for name in names:
            expected = table(memory, name)
            assert table(disk, name) == expected, name
            answered += len(expected) > 1  # more than a header: the comparison means something
        assert answered >= len(names) - 2


def test_a_reader_keeps_its_build_while_newer_ones_are_published(built, tmp_path):
    out = tmp_path / "out"
    first = publish_copy(built.out, out, replace="Qi Lu=>Qi Lu v1")
    label = f'SELECT ?l WHERE {{ <{LU_QI}> rdfs:label ?l FILTER(lang(?l) = "en") }}'
    reader = open_store("oxigraph", out / "kg.nt")
    assert [str(r[0].value) for r in reader.query(label)] == ["Qi Lu v1"]
    for n in (2, 3, 4):  # without the pin, the first build's folder goes at the third
        publish_copy(built.out, out, replace=f"Qi Lu=>Qi Lu v{n}")
    assert first.is_dir() and resolve_build(out) != first
    assert [str(r[0].value) for r in reader.query(label)] == ["Qi Lu v1"]
    with open_store("oxigraph", out / "kg.nt") as newer:
        assert [str(r[0].value) for r in newer.query(label)] == ["Qi Lu v4"]
    reader.close()  # the pin goes: the next build removes the first build's folder
    publish_copy(built.out, out, replace="Qi Lu=>Qi Lu v5")
    assert not first.exists()


def kg(*args: str, cwd: Path, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KG_HOME": str(home)} if home else None
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_kg_query_and_analyze_read_the_store_and_fall_back_to_the_file(built, tmp_path):
    out = tmp_path / "out"
    publish_copy(built.out, out, store=False)  # a build from before builds wrote a store
    args = ("query", ASK_MARK, "--graph", str(out / "kg.nt"), "--format", "csv")
    done = kg(*args, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "false", done.stderr
    add_build_store(out, extra=MARK)  # a mark only the store holds: which one answered
    done = kg(*args, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "true", done.stderr
    done = kg(*args[:-2], "--store", "oxigraph-memory", "--format", "csv", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "false", done.stderr
    project = built.out.parent  # the project folder the build was made from
    report = kg("analyze", "--out", str(out), "--org", "baidu", "--format", "json",
                cwd=tmp_path, home=project)  # fmt: skip
    assert report.returncode == 0 and '"alumni"' in report.stdout, report.stderr
    loaded = kg("analyze", "--out", str(out), "--org", "baidu", "--format", "json",
                "--store", "oxigraph-memory", cwd=tmp_path, home=project)  # fmt: skip
    assert loaded.returncode == 0 and loaded.stdout == report.stdout  # the same report


def test_a_damaged_store_is_named_with_what_to_do(built, tmp_path):
    out = tmp_path / "out"
    folder = publish_copy(built.out, out) / BUILD_STORE
    (folder / "CURRENT").write_text("garbage")
    with pytest.raises(StoreError, match=r"kg\.oxigraph: the build's Oxigraph store cannot be"):
        open_store("oxigraph", out / "kg.nt")
    done = kg("query", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "--graph", str(out / "kg.nt"),
              cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: ") and "--store oxigraph-memory" in done.stderr
    with open_store("oxigraph-memory", out / "kg.nt") as loaded:  # the way round it
        assert len(loaded) > 1000


def test_a_graph_file_outside_a_build_is_read_as_it_is(built, tmp_path):
    plain = tmp_path / "kg.nt"
    plain.write_bytes((built.out / "kg.nt").read_bytes())
    (tmp_path / BUILD_STORE).mkdir()  # not a build's: never trusted to hold this file
    assert build_store(plain) is None
    with open_store("oxigraph", plain) as store:
        assert not store.read_only and len(store) > 1000
