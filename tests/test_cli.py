"""The command line: help for every command, README coverage, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main

ROOT = Path(__file__).resolve().parent.parent


def commands() -> list[str]:
    return sorted(main.commands)


@pytest.mark.parametrize("name", commands())
def test_every_command_has_help_with_an_example_and_is_in_the_readme(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert f"kg {name}" in result.output.split("Example:")[1]
    assert f"kg {name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_dash_m_kg_works():
    result = subprocess.run(
        [sys.executable, "-m", "kg", "--help"], capture_output=True, text=True, check=True
    )
    assert "Commands:" in result.stdout


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from click.testing import CliRunner; from kg.cli import main; "
        "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0; "
        "heavy = [m for m in ('rdflib', 'networkx', 'pyvis', 'pandas', 'pyshacl', "
        "'pyoxigraph', 'opencc') if m in sys.modules]; print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_clean_prints_text_and_report(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("正在閱讀:\n\n標題\n\n陸奇出任集團總裁。\n\n微博\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["clean", str(page)])
    assert result.exit_code == 0
    assert result.stdout == "标题\n陆奇出任集团总裁。\n"
    assert "dropped   1 line(s), share buttons: 7" in result.stderr


def test_errors_are_one_line_without_traceback(tmp_path):
    result = CliRunner().invoke(main, ["clean", str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: {tmp_path / 'missing.txt'}: cannot read: No such file or directory\n"
    )
    assert "Traceback" not in result.output


def test_build_error_names_the_file_and_line(tmp_path):
    import shutil

    for name in ("data", "ontology.ttl", "shapes.ttl"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    statements = tmp_path / "data/statements/jiemian-baidu-ai-decade.yaml"
    statements.write_text(
        statements.read_text(encoding="utf-8").replace(
            "relation: founder, object: person/ni-kai", "relation: founder, object: person/nobody"
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg",
            "build",
            "--root",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Error: {statements}:")
    assert "unknown entity id 'person/nobody'" in last
    assert not (tmp_path / "out").exists()


def test_stats_on_a_missing_build_says_what_to_do(tmp_path):
    result = CliRunner().invoke(main, ["stats", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "run `kg build` first" in result.stderr
