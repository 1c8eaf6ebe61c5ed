"""kg analyze at scale: the report made from an organisation's neighbourhood, fetched from a
store with SPARQL, is exactly the report made from the whole graph (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.analysis.diaspora import diaspora
from kg.analysis.gather import report_scope
from kg.analysis.measures import entity_graph
from kg.analysis.neighbourhood import neighbourhood
from kg.analysis.report import diaspora_report, render_markdown
from kg.cli import main
from kg.query.store import open_store

LANGS = ("en", "zh-Hans", "zh-Hant")


def orgs_with_alumni(graph) -> list[str]:
    G = entity_graph(graph)
    orgs = [n for n, kind in G.nodes(data="type") if kind == "Organization"]
    return [o for o in sorted(orgs) if diaspora(G, o).alumni]


def assert_same_report(whole, part, org: str, lang: str) -> None:
    expected, got = diaspora_report(whole, org, lang), diaspora_report(part, org, lang)
    differ = [key for key in expected if expected[key] != got.get(key)]
    assert not differ, f"{org} ({lang}): the neighbourhood's report differs in {differ}"
    assert got == expected
    assert render_markdown(got) == render_markdown(expected)


@pytest.fixture(scope="module")
def project_store(built):
    with open_store("oxigraph", built.out / "kg.nt") as store:
        yield store


def test_the_project_graph_has_organisations_with_alumni(graph):
    assert "org/baidu" in orgs_with_alumni(graph)


@pytest.mark.parametrize("lang", LANGS)
def test_neighbourhood_report_equals_whole_graph_report_on_the_project_graph(
    graph, project_store, lang
):
    for org in orgs_with_alumni(graph):
        part = neighbourhood(project_store, org)
        assert len(part) < len(graph)
        assert_same_report(graph, part, org, lang)


def test_a_store_gives_the_whole_graph_report(graph, project_store):
    """diaspora_report takes a store (by id or by name) and fetches the neighbourhood itself."""
    expected = diaspora_report(graph, "org/baidu", "en")
    assert diaspora_report(project_store, "org/baidu", "en") == expected
    assert diaspora_report(project_store, "百度", "en") == expected


def test_rdflib_sparql_engine_gives_the_same_report(built, graph):
    """The queries are plain SPARQL 1.1: rdflib's own engine answers them alike. (Its
    triples are not all Oxigraph's: Oxigraph 0.5 answers 1579^^xsd:integer for
    1579^^xsd:nonNegativeInteger and 8300000000 for 8300000000.0; the report reads the
    numbers, not how they are written.)"""
    with open_store("memory", built.out / "kg.nt") as store:
        part = neighbourhood(store, "org/baidu")
    assert_same_report(graph, part, "org/baidu", "en")


def test_virtuoso_gives_the_whole_graph_report(graph, virtuoso):
    """Against Virtuoso (DESIGN.md's SPARQL server), the same report, in every language."""
    with open_store("sparql+" + virtuoso.dataset) as store:
        part = neighbourhood(store, "org/baidu")
    for lang in LANGS:
        assert_same_report(graph, part, "org/baidu", lang)


def analyze(built, *args: str) -> str:
    result = CliRunner().invoke(main, ["analyze", "--out", str(built.out), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_analyze_store_option_reads_any_store(built, virtuoso):
    args = ("--org", "百度", "--lang", "en", "--format", "json")
    default = analyze(built, *args)
    assert json.loads(default) == diaspora_report(built.graph, "org/baidu", "en")
    assert analyze(built, *args, "--store", "sparql+" + virtuoso.dataset) == default


# --- a synthetic graph, many times the size of the article's ---------------------------


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> tuple[object, Path]:
    from kg.graph.build import load_graph
    from kg.graph.synth import write_synthetic

    path = write_synthetic(tmp_path_factory.mktemp("synth") / "synth.nt", 30_000, seed=7)
    return load_graph(path), path


@pytest.fixture(scope="module")
def synthetic_store(synthetic):
    with open_store("oxigraph", synthetic[1]) as store:
        yield store


@pytest.mark.parametrize("org", ["org/baidu", "org/weride"])
def test_neighbourhood_report_equals_whole_graph_report_on_a_synthetic_graph(
    synthetic, synthetic_store, org
):
    graph, _ = synthetic
    part = neighbourhood(synthetic_store, org)
    assert len(part) < len(graph) / 2
    report = diaspora_report(graph, org, "en")
    assert len(report["alumni"]) > 10 and report["companies"] and report["timeline"]
    assert_same_report(graph, part, org, "en")


def test_the_timeline_and_most_linked_are_of_the_reports_scope(synthetic):
    """Only the facts about the scope's entities: an unrelated company's events stay out."""
    from kg.analysis.timeline import timeline

    graph, _ = synthetic
    G = entity_graph(graph)
    scope = report_scope(G, diaspora(G, "org/baidu"))
    report = diaspora_report(graph, "org/baidu", "en", top=50)
    assert len(report["timeline"]) < len(timeline(graph, "en"))
    for row in report["timeline"]:
        assert row["subject_id"] in scope or row["object_id"] in scope, row["description"]
    for rows in report["most_linked"].values():
        assert rows and all(r["id"] in scope for r in rows)


def test_cite_names_the_sources_of_the_quotes_shown(graph):
    report = diaspora_report(graph, "org/baidu", "en")
    shown = json.dumps([report[k] for k in report if k != "cite"], ensure_ascii=False)
    assert report["cite"]
    assert all(json.dumps(q, ensure_ascii=False) in shown for q in report["cite"])
