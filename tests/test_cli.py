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
    assert f"kg {name}" in (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")


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


# --- usage errors: click's usage message, ending in one Error: line, exit code 2 --------

USAGE_ERRORS = {
    "a value not among the choices": (
        ["query", "founders", "--format", "yaml"],
        "Usage: kg query [OPTIONS] [QUERY]\nTry 'kg query --help' for help.\n\n"
        "Error: Invalid value for '--format': 'yaml' is not one of 'table', 'md', 'json', "
        "'xml', 'csv', 'tsv', 'ttl', 'nt', 'jsonld'.\n",
    ),
    "a binding without '='": (
        ["query", "founders", "--bind", "org"],
        "Usage: kg query [OPTIONS] [QUERY]\nTry 'kg query --help' for help.\n\n"
        "Error: Invalid value for --bind: 'org' is not VAR=VALUE\n",
    ),
    "no argument": (
        ["query"],
        "Usage: kg query [OPTIONS] [QUERY]\nTry 'kg query --help' for help.\n\n"
        "Error: give a QUERY (a name, a FILE.rq, - or the text), or --list\n",
    ),
    "a misspelt command": (
        ["qeury"],
        "Usage: kg [OPTIONS] COMMAND [ARGS]...\nTry 'kg --help' for help.\n\n"
        "Error: No such command 'qeury'. Did you mean 'query'?\n",
    ),
}


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_usage_errors_print_the_usage_and_one_error_line_and_exit_2(case):
    args, expected = USAGE_ERRORS[case]
    result = CliRunner().invoke(main, args, prog_name="kg")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", expected)


def test_the_readme_states_the_exit_codes_the_cli_gives():
    readme = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert "exits with code 1" in readme and "exits with code 2" in readme


# --- a query on standard input is read once -------------------------------------------


def test_a_query_on_standard_input_runs(built):
    result = CliRunner().invoke(
        main,
        ["query", "-", "--graph", str(built.out / "kg.nt"), "--format", "csv"],
        input="SELECT ?name WHERE { <https://w3id.org/china-ai-kg/person/lu-qi> rdfs:label ?name "
        "FILTER(lang(?name) = 'en') }",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["name", "Qi Lu"]


def test_an_empty_standard_input_is_one_error_line(built):
    result = CliRunner().invoke(
        main, ["query", "-", "--graph", str(built.out / "kg.nt")], input="  \n"
    )
    assert (result.exit_code, result.stderr) == (1, "Error: no query on standard input\n")


def test_an_id_written_as_a_prefixed_name_is_explained(built):
    result = CliRunner().invoke(
        main, ["query", "DESCRIBE kg:person/lu-qi", "--graph", str(built.out / "kg.nt")]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: malformed query: ")
    assert result.stderr.endswith(
        "; kg:person/lu-qi is not a prefixed name (its local part cannot hold '/'): "
        "write the IRI, <https://w3id.org/china-ai-kg/person/lu-qi>\n"
    )
    assert result.stderr.count("\n") == 1


# --- a malformed graph file is one error line in every command that reads one ----------

READERS = {
    "stats": lambda folder: ["stats", "--out", str(folder)],
    "analyze": lambda folder: ["analyze", "--out", str(folder)],
    "export": lambda folder: ["export", "--out", str(folder), "--to", str(folder / "x")],
    "viz": lambda folder: [
        "viz",
        "--graph",
        str(folder / "kg.nt"),
        "--out",
        str(folder / "g.html"),
    ],
    "query": lambda folder: ["query", "founders", "--graph", str(folder / "kg.nt")],
}


@pytest.mark.parametrize("command", sorted(READERS))
def test_a_malformed_graph_file_is_one_error_line_naming_file_and_line(tmp_path, command):
    (tmp_path / "kg.nt").write_text(
        "<https://a/x> <https://a/p> <https://a/y> .\n<https://a/x> <https://a/p> oops .\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, READERS[command](tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'kg.nt'}:2: not a valid graph file: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "g.html").exists()


def test_a_malformed_turtle_or_json_ld_file_names_its_line(tmp_path):
    from kg.errors import DataError
    from kg.graph.build import load_graph

    (tmp_path / "g.ttl").write_text("@prefix a: <https://a/> .\na:x a:p ;; .\n")
    (tmp_path / "g.jsonld").write_text('{"@id": 3\n')
    for name, line in (("g.ttl", 2), ("g.jsonld", 2)):
        with pytest.raises(DataError) as exc:
            load_graph(tmp_path / name)
        assert str(exc.value).startswith(f"{tmp_path / name}:{line}: not a valid graph file: ")


# --- names where ids are expected -------------------------------------------------------


def run_kg(built, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--graph", str(built.out / "kg.nt")])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", ["Qi Lu", "陸奇", "陆奇", "lu qi", "ＱＩ　ＬＵ", "lu-qi"])
def test_bind_takes_any_name_of_an_entity(built, name):
    by_id = run_kg(built, "query", "career", "--bind", "person=person/lu-qi", "--format", "csv")
    assert by_id[0] == 0 and "Group President" not in by_id[1]  # zh-Hans labels by default
    assert len(by_id[1].splitlines()) == 4  # the header and three rows
    assert run_kg(built, "query", "career", "--bind", f"person={name}", "--format", "csv") == by_id


def test_bind_of_an_unknown_entity_says_so(built):
    code, out, err = run_kg(built, "query", "alumni_founders", "--bind", "org=org/nonexistent")
    assert (code, out) == (1, "")
    assert err.startswith(
        "Error: --bind org=org/nonexistent: no organisation org/nonexistent in the graph; "
        "did you mean: "
    )
    code, out, err = run_kg(built, "query", "career", "--bind", "person=Qi Luu")
    assert (code, out) == (1, "")
    assert err == (
        "Error: --bind person=Qi Luu: no person named 'Qi Luu' in the graph; "
        "did you mean: person/lu-qi (陆奇, 陸奇, Qi Lu)?\n"
    )


def test_bind_of_an_entity_of_another_kind_says_so(built):
    code, _, err = run_kg(built, "query", "career", "--bind", "person=百度")
    assert (code, err) == (
        1,
        "Error: --bind person=百度: '百度' is org/baidu (百度, Baidu), an organisation, "
        "not a person\n",
    )


def test_bind_of_text_parameters_is_left_as_text(built):
    code, out, _ = run_kg(built, "query", "find_entity", "--bind", "name=Pony", "--format", "csv")
    assert code == 0 and "Pony.ai" in out


def analyze(built, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["analyze", "--out", str(built.out), *args])
    return result.exit_code, result.stdout, result.stderr


def test_analyze_takes_any_name_of_the_organisation(built):
    import json

    by_id = analyze(built, "--org", "org/baidu", "--lang", "en", "--format", "json")
    assert by_id[0] == 0 and len(json.loads(by_id[1])["alumni"]) == 11
    for name in ("百度", "Baidu", "baidu", "ＢＡＩＤＵ"):
        assert analyze(built, "--org", name, "--lang", "en", "--format", "json") == by_id


def test_analyze_of_an_organisation_without_alumni_says_so(built):
    import json

    code, out, err = analyze(built, "--org", "org/kunlunxin", "--format", "json")
    assert code == 0 and json.loads(out)["alumni"] == []
    assert err == (
        "Warning: org/kunlunxin (昆仑芯, 昆侖芯, Kunlunxin) has no alumni in the graph: no one "
        "worked there in the past or held a role there that ended\n"
    )


def test_analyze_of_an_unknown_organisation_is_an_error(built):
    assert analyze(built, "--org", "nobody") == (
        1,
        "",
        "Error: no organisation named 'nobody' in the graph\n",
    )
    code, _, err = analyze(built, "--org", "陆奇")
    assert (code, err) == (
        1,
        "Error: '陆奇' is person/lu-qi (陆奇, 陸奇, Qi Lu), a person, not an organisation\n",
    )


def test_bind_in_a_query_of_your_own_takes_names_where_its_default_is_an_entity(built, tmp_path):
    mine = tmp_path / "mine.rq"
    mine.write_text(
        "SELECT ?person WHERE {\n"
        "  VALUES $org { <https://w3id.org/china-ai-kg/org/baidu> }\n"
        "  ?person schema:alumniOf $org\n"
        "} ORDER BY ?person LIMIT 1\n",
        encoding="utf-8",
    )
    by_id = run_kg(built, "query", str(mine), "--bind", "org=org/baidu", "--format", "csv")
    assert by_id[0] == 0 and by_id[1].splitlines()[1].endswith("/person/andrew-ng")
    assert run_kg(built, "query", str(mine), "--bind", "org=百度", "--format", "csv") == by_id
    code, _, err = run_kg(built, "query", str(mine), "--bind", "org=陆奇")
    assert (code, err) == (
        1,
        "Error: --bind org=陆奇: '陆奇' is person/lu-qi (陆奇, 陸奇, Qi Lu), a person, "
        "not an organisation\n",
    )
