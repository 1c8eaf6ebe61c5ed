"""One rule for where data and outputs are: the project folder, found from the current one upward.

Commands run as real processes from folders other than the project's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def kg(cwd: Path, *args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KG_HOME"}
    if home is not None:
        env["KG_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_every_command_uses_the_project_folder_above_the_current_one(data_copy):
    project = data_copy
    deep = project / "notes" / "deeper"
    deep.mkdir(parents=True)

    built = kg(deep, "build", "--no-validate")
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith(f"Built {project / 'build'}/:\n")
    assert (project / "build" / "kg.nt").is_file() and not (deep / "build").exists()
    assert f"reading {project / 'data'}" in built.stderr  # the copy's data, not the checkout's

    stats = kg(deep, "stats", "--format", "json")
    assert stats.returncode == 0, stats.stderr
    assert '"triples"' in stats.stdout

    viz = kg(deep, "viz")
    assert viz.returncode == 0, viz.stderr
    assert viz.stdout == f"Wrote {project / 'build' / 'graph.html'}\n"
    assert (project / "build" / "graph.html").is_file()

    query = kg(deep, "query", "founders", "--format", "csv")
    assert query.returncode == 0, query.stderr
    assert "余凯" in query.stdout

    export = kg(project / "notes", "export", "--format", "csv")
    assert export.returncode == 0, export.stderr
    assert export.stdout == (
        f"wrote {project / 'build' / 'kg.nodes.csv'}\nwrote {project / 'build' / 'kg.edges.csv'}\n"
    )


def test_paths_given_are_relative_to_the_current_folder(data_copy):
    project = data_copy
    sub = project / "sub"
    sub.mkdir()
    result = kg(sub, "stats", "--out", "build")
    assert (result.returncode, result.stderr) == (
        1,
        "Error: build/kg.nt: no such graph file; run `kg build` first\n",
    )
    built = kg(project, "build", "--no-validate", "--out", "elsewhere")
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("Built elsewhere/:\n")
    assert (project / "elsewhere" / "kg.nt").is_file() and not (project / "build").exists()


def test_kg_home_names_the_project_from_anywhere(data_copy, tmp_path_factory):
    project = data_copy
    assert kg(project, "build", "--no-validate").returncode == 0
    anywhere = tmp_path_factory.mktemp("anywhere")
    result = kg(anywhere, "stats", home=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith(" triples")
    missing = kg(anywhere, "stats", home=anywhere)
    assert (missing.returncode, missing.stderr) == (
        1,
        f"Error: {anywhere / 'build' / 'kg.nt'}: no such graph file; run `kg build` first\n",
    )


def test_outside_any_project_the_installed_checkout_is_the_project(tmp_path, monkeypatch):
    from kg.project import default_out, project_root

    monkeypatch.delenv("KG_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert project_root() == ROOT
    assert default_out() == ROOT / "build"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "entities.yaml").write_text("entities: []\n")
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    assert project_root() == tmp_path
    from kg.errors import DataError
    from kg.graph.generations import resolve_build

    with pytest.raises(DataError) as exc:  # the library's default is the same build/
        resolve_build()
    assert str(exc.value) == f"{tmp_path / 'build'}: no build here; run `kg build` first"
    monkeypatch.setenv("KG_HOME", "elsewhere")
    assert project_root() == tmp_path / "a" / "b" / "elsewhere"
