"""Many sources, one graph: adding sources, one entity across them, judgements, conflicts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg.cli import main
from kg.data.add_source import add_source
from kg.data.dataset import load_dataset
from kg.errors import DataError, SourceError
from kg.graph.build import build, build_graph
from kg.graph.merge import conflicts
from kg.project.namespaces import BASE

KG = BASE
SCHEMA = "https://schema.org/"
OA = "http://www.w3.org/ns/oa#"
PROV = "http://www.w3.org/ns/prov#"
SEED = URIRef(KG + "source/jiemian-baidu-ai-decade")


def kg(*args: str, root: Path | None = None) -> Any:
    env = {"KG_HOME": str(root)} if root else {}
    return CliRunner().invoke(main, list(args), env=env, prog_name="kg")


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in (root / "data").rglob("*") if p.is_file()}


def add_statements(root: Path, source: str, body: str) -> None:
    (root / "data" / "statements" / f"{source}.yaml").write_text(
        f"source: {source}\n{body}", encoding="utf-8"
    )


def register(root: Path, name: str, text: str, **meta: Any) -> str:
    page = root / name
    page.write_text(text, encoding="utf-8")
    options = {"title": name, "publisher": "Wikipedia", "lang": "en", **meta}
    return add_source(root / "data", page, **options).id


# --- kg add-source -----------------------------------------------------------------


def test_add_source_registers_text_markdown_and_html_byte_for_byte(data_copy: Path) -> None:
    data = data_copy / "data"
    text = data_copy / "note.txt"
    text.write_bytes(b"Kai Yu founded Horizon Robotics in 2015.[3]\r\n")
    added = add_source(
        data, text, title="A note", publisher="维基百科", url="https://a.example/x", date="2015-06"
    )
    assert added.raw.read_bytes() == text.read_bytes()  # byte for byte, CRLF kept
    meta = added.meta.read_text(encoding="utf-8")
    assert '"publisher": ' not in meta and "publisher: org/wikipedia" in meta  # a name: its id
    assert "date: 2015-06" in meta and f"sha256: {added.sha256}" in meta
    assert "retrieved: " in meta and added.language == "en" and added.language_guessed

    md = data_copy / "page.md"
    md.write_text("# Title\n\nKai Yu led [Baidu's](https://x.example) **IDL**.\n", "utf-8")
    added_md = add_source(data, md, title="Markdown", publisher="org/wikipedia", lang="en")
    html = data_copy / "page.html"
    html.write_text(
        "<html><body><nav>Home | News | Login</nav><article><h1>Robotics</h1>"
        "<p>Kai Yu left Baidu to found Horizon Robotics, a maker of chips for cars.</p>"
        "<p>The company is based in Beijing and makes processors for driving.</p></article>"
        "<footer>Copyright 2024 Example</footer></body></html>",
        "utf-8",
    )
    added_html = add_source(data, html, title="HTML", publisher="org/wikipedia", lang="en")
    assert added_md.raw.suffix == ".md" and added_html.raw.suffix == ".html"
    dataset = load_dataset(data)
    assert dataset.sources[added.id].text == "Kai Yu founded Horizon Robotics in 2015."
    assert dataset.sources[added_md.id].text == "Title\nKai Yu led Baidu's IDL."
    body = dataset.sources[added_html.id].text
    assert "Kai Yu left Baidu to found Horizon Robotics" in body
    assert "Login" not in body and "Copyright" not in body  # navigation and footer dropped
    # The empty statements file it writes builds, and the new sources are in the graph.
    graph = build(data_copy, data_copy / "out").graph
    assert (
        URIRef(KG + f"source/{added_html.id}"),
        RDF.type,
        URIRef(SCHEMA + "CreativeWork"),
    ) in graph


def test_add_source_reads_gbk_with_its_encoding(data_copy: Path) -> None:
    page = data_copy / "gbk.txt"
    page.write_bytes("陆奇出任百度集团总裁。".encode("gbk"))
    before = files(data_copy)
    with pytest.raises(SourceError, match=r"gbk.txt:1:3: not valid UTF-8 .*--encoding gbk"):
        add_source(data_copy / "data", page, title="GBK", publisher="界面新闻")
    assert files(data_copy) == before  # nothing written
    added = add_source(data_copy / "data", page, title="GBK", publisher="界面新闻", encoding="gbk")
    assert added.raw.read_bytes() == page.read_bytes() and added.language == "zh-Hans"
    assert load_dataset(data_copy / "data").sources[added.id].text == "陆奇出任百度集团总裁。"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("duplicate", "already registered, as source 'jiemian-baidu-ai-decade'"),
        ("no body", "no article body found in the HTML page"),
        ("no title", "needs its title"),
        ("unknown publisher", "no entity is named 'Nobody Press'"),
        ("bad date", "date"),
    ],
)
def test_add_source_refuses_bad_input_and_writes_nothing(
    data_copy: Path, case: str, message: str
) -> None:
    seed = data_copy / "data" / "sources" / "jiemian-baidu-ai-decade.raw.txt"
    page = data_copy / "in.txt"
    options: dict[str, Any] = {"title": "T", "publisher": "org/wikipedia", "lang": "en"}
    if case == "duplicate":
        shutil.copy(seed, page)
    elif case == "no body":
        page = data_copy / "in.html"
        page.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>", "utf-8")
    else:
        page.write_text("Some text about Baidu.\n", "utf-8")
    if case == "no title":
        options["title"] = " "
    if case == "unknown publisher":
        options["publisher"] = "Nobody Press"
    if case == "bad date":
        options["date"] = "2015-13"
    before = files(data_copy)
    with pytest.raises((DataError, SourceError), match=message):
        add_source(data_copy / "data", page, **options)
    assert files(data_copy) == before


def test_add_source_command_reports_and_exits_cleanly(data_copy: Path) -> None:
    page = data_copy / "n.txt"
    page.write_text("Ernie Bot is made by Baidu.\n", "utf-8")
    missing = kg("add-source", str(page), "--publisher", "Wikipedia", root=data_copy)
    assert missing.exit_code == 2 and "Missing option '--title'" in missing.output
    ok = kg("add-source", str(page), "--title", "Ernie", "--publisher", "Wikipedia", root=data_copy)
    assert ok.exit_code == 0, ok.output
    assert "Registered source ernie (text, en, guessed)" in ok.output
    again = kg(
        "add-source", str(page), "--title", "Ernie", "--publisher", "Wikipedia", root=data_copy
    )
    assert again.exit_code == 1 and again.output.count("Error:") == 1
    assert "already registered, as source 'ernie'" in again.output


# --- one entity across sources -----------------------------------------------------


def test_one_node_for_one_person_across_scripts_and_languages(data_copy: Path) -> None:
    hant = register(data_copy, "hant.txt", "余凱曾任職於百度。\n", lang="zh-Hant", title="繁體")
    en = register(data_copy, "en.txt", "Kai Yu once worked at Baidu.\n", title="English")
    # Statements may name entities; 余凱 (Traditional) and Kai Yu (an alias) are person/yu-kai.
    add_statements(
        data_copy,
        hant,
        "relations:\n  - {id: a, subject: 余凱, relation: alumniOf, object: 百度, quote: 余凯曾任职于百度}\n",
    )
    add_statements(
        data_copy,
        en,
        "relations:\n  - {id: b, subject: Kai Yu, relation: alumniOf, object: BAIDU,"
        " quote: Kai Yu once worked at Baidu}\n",
    )
    graph = build(data_copy, data_copy / "out").graph
    yu = URIRef(KG + "person/yu-kai")
    assert len([s for s in graph.subjects(RDFS.label, Literal("余凯", lang="zh-Hans"))]) == 1
    # One fact, with the evidence of the seed and of both new sources.
    (statement,) = [
        st
        for st in graph.subjects(RDF.subject, yu)
        if graph.value(st, RDF.predicate) == URIRef(SCHEMA + "alumniOf")
    ]
    sources = {
        str(graph.value(span, URIRef(OA + "hasSource")))
        for span in graph.objects(statement, URIRef(PROV + "wasDerivedFrom"))
    }
    assert sources >= {str(SEED), KG + f"source/{hant}", KG + f"source/{en}"}
    assert len(sources) == 4  # and Wikipedia's Horizon Robotics, which says so too


def test_a_fact_from_two_sources_carries_both_evidences(graph: Graph) -> None:
    # Horizon Robotics' founding by Yu Kai: the article and Wikipedia (which dates it).
    (statement,) = [
        st
        for st in graph.subjects(RDF.subject, URIRef(KG + "org/horizon-robotics"))
        if graph.value(st, RDF.predicate) == URIRef(SCHEMA + "founder")
        and graph.value(st, RDF.object) == URIRef(KG + "person/yu-kai")
    ]
    quotes = {
        str(graph.value(span, URIRef(OA + "hasSource"))).rsplit("/", 1)[1]: str(
            graph.value(selector, URIRef(OA + "exact"))
        )
        for span in graph.objects(statement, URIRef(PROV + "wasDerivedFrom"))
        for selector in graph.objects(span, URIRef(OA + "hasSelector"))
        if graph.value(selector, URIRef(OA + "exact")) is not None
    }
    assert quotes["jiemian-baidu-ai-decade"] == "余凯、黄畅创立地平线"
    assert "founded in 2015" in quotes["wikipedia-en-horizon-robotics"]
    assert str(graph.value(statement, URIRef(KG + "date"))) == "2015"  # the precise source's date


def test_homonyms_are_kept_apart_and_proposed_for_judgement(data_copy: Path) -> None:
    extra = data_copy / "data" / "entities" / "homonyms.yaml"
    extra.write_text(
        "entities:\n"
        "  - {id: person/wang-jun-a, type: Person, labels: {zh-Hans: 王军, zh-Hant: 王軍, en: Wang Jun},"
        ' en_source: "https://a.example/1"}\n'
        "  - {id: person/wang-jun-b, type: Person, labels: {zh-Hans: 王军, zh-Hant: 王軍, en: Jun Wang},"
        ' en_source: "https://a.example/2"}\n',
        encoding="utf-8",
    )
    source = register(data_copy, "w.txt", "王军曾任职于百度。\n", lang="zh-Hans", title="王军")
    add_statements(
        data_copy,
        source,
        "relations:\n  - {id: w, subject: 王军, relation: alumniOf, object: org/baidu, quote: 王军曾任职于百度}\n",
    )
    with pytest.raises(
        DataError, match=r"'王军' names 2 entities: person/wang-jun-a .*write the id"
    ):
        load_dataset(data_copy / "data")
    add_statements(
        data_copy,
        source,
        "relations:\n  - {id: w, subject: person/wang-jun-a, relation: alumniOf, object: org/baidu,"
        " quote: 王军曾任职于百度}\n",
    )
    listed = kg("resolve", "--format", "json", root=data_copy)
    pairs = [(c["a"], c["b"]) for c in json.loads(listed.output)]
    assert ("person/wang-jun-a", "person/wang-jun-b") in pairs
    judged = kg(
        "resolve",
        "--judge",
        "person/wang-jun-a",
        "person/wang-jun-b",
        "--verdict",
        "different",
        "--by",
        "Test",
        "--why",
        "two people who share a name",
        root=data_copy,
    )
    assert judged.exit_code == 0, judged.output
    after = json.loads(kg("resolve", "--format", "json", root=data_copy).output)
    assert ("person/wang-jun-a", "person/wang-jun-b") not in [(c["a"], c["b"]) for c in after]
    graph = build(data_copy, data_copy / "out").graph
    assert {s for s in graph.subjects(RDFS.label, Literal("王军", lang="zh-Hans"))} == {
        URIRef(KG + "person/wang-jun-a"),
        URIRef(KG + "person/wang-jun-b"),
    }


def test_same_merges_and_not_the_same_blocks_a_merge(data_copy: Path) -> None:
    extra = data_copy / "data" / "entities" / "dup.yaml"
    extra.write_text(
        "entities:\n"
        "  - {id: person/kai-yu, type: Person, labels: {zh-Hans: 余凯博士, zh-Hant: 余凱博士,"
        ' en: Yu Kai}, en_source: "https://a.example/kai"}\n',
        encoding="utf-8",
    )
    proposed = json.loads(kg("resolve", "--format", "json", root=data_copy).output)
    ((pair,),) = [[c for c in proposed if {c["a"], c["b"]} == {"person/kai-yu", "person/yu-kai"}]]
    assert "same name 'yukai'" in pair["reasons"]  # Yu Kai, and person/yu-kai's label
    source = register(data_copy, "k.txt", "余凯博士 founded Horizon Robotics.\n", title="K")
    add_statements(
        data_copy,
        source,
        "relations:\n  - {id: k, subject: org/horizon-robotics, relation: founder,"
        " object: person/kai-yu, quote: 余凯博士 founded Horizon Robotics}\n",
    )
    judgements = data_copy / "data" / "judgements.yaml"
    judgements.write_text(
        "judgements:\n"
        "  - {a: person/yu-kai, b: person/kai-yu, verdict: same, by: Test, date: 2026-12-01,"
        " why: both founded Horizon Robotics}\n",
        encoding="utf-8",
    )
    graph = build(data_copy, data_copy / "out").graph
    yu = URIRef(KG + "person/yu-kai")
    assert not list(graph.triples((URIRef(KG + "person/kai-yu"), None, None)))  # merged away
    assert Literal("余凯博士", lang="zh-Hans") in set(
        graph.objects(yu, URIRef("http://www.w3.org/2004/02/skos/core#altLabel"))
    )
    founder = [
        st
        for st in graph.subjects(RDF.object, yu)
        if graph.value(st, RDF.predicate) == URIRef(SCHEMA + "founder")
    ]
    assert (
        len(founder) == 1
        and len(list(graph.objects(founder[0], URIRef(PROV + "wasDerivedFrom")))) >= 3
    )
    # A later "not the same" between the two contradicts the merge: the build says so.
    judgements.write_text(
        judgements.read_text(encoding="utf-8")
        + "  - {a: Kai Yu, b: person/kai-yu, verdict: different, by: Other, date: 2026-12-02,"
        " why: another person}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"judged not the same here, but 'same' judgements"):
        load_dataset(data_copy / "data")
    refused = kg(
        "resolve",
        "--judge",
        "person/yu-kai",
        "person/kai-yu",
        "--verdict",
        "same",
        "--by",
        "X",
        "--why",
        "y",
        root=data_copy,
    )
    assert refused.exit_code == 1 and "Error:" in refused.output


# --- conflicts ---------------------------------------------------------------------


def test_sources_that_disagree_are_reported_with_both_quotes(data_copy: Path) -> None:
    source = register(
        data_copy,
        "c.txt",
        "Qi Lu left Baidu in April 2018. Yu Kai still works at Baidu.\n",
        title="C",
    )
    add_statements(
        data_copy,
        source,
        "relations:\n"
        "  - {id: lu, subject: Qi Lu, relation: alumniOf, object: Baidu, end: 2018-04,"
        " quote: Qi Lu left Baidu in April 2018}\n"
        "  - {id: yu, subject: Yu Kai, relation: worksFor, object: Baidu,"
        " quote: Yu Kai still works at Baidu}\n",
    )
    data = load_dataset(data_copy / "data")
    found = {c.kind: c for c in conflicts(data)}
    assert set(found) == {"dates", "left-and-stayed"}
    dates = found["dates"]
    assert {s.source for s in dates.sides} == {"jiemian-baidu-ai-decade", source}
    quotes = {q.exact for s in dates.sides for q in s.evidence}
    assert "Qi Lu left Baidu in April 2018" in quotes
    assert "2018年5月,陆奇因“个人和家庭原因”突然卸任" in quotes
    assert {s.says for s in dates.sides} == {"start 2017, end 2018-05", "end 2018-04"}
    # The command lists both; the build counts them and keeps both statements, linked.
    listed = kg("conflicts", root=data_copy)
    assert listed.exit_code == 0 and "2 conflict(s) between sources" in listed.output
    assert "“Qi Lu left Baidu in April 2018”" in listed.output and "突然卸任”" in listed.output
    result = build(data_copy, data_copy / "out")
    assert result.manifest["conflicts"] == {"dates": 1, "left-and-stayed": 1}
    graph = result.graph
    lu = [
        st
        for st in graph.subjects(RDF.subject, URIRef(KG + "person/lu-qi"))
        if graph.value(st, RDF.predicate) == URIRef(SCHEMA + "alumniOf")
    ]
    assert len(lu) == 2  # neither date wins
    assert {str(graph.value(st, URIRef(SCHEMA + "endDate"))) for st in lu} == {"2018-04", "2018-05"}
    assert (lu[0], URIRef(KG + "conflictsWith"), lu[1]) in graph
    # The graph page marks the disputed facts.
    from kg.viz.facts import viz_graph

    marked = [e for e in viz_graph(graph).edges if e.disputed]
    assert {(e.source, e.target) for e in marked} >= {("person/lu-qi", "org/baidu")}
    assert all(e.label.startswith("⚠ ") and "来源之间有分歧" in e.status for e in marked)


def test_dates_that_agree_merge_into_the_most_precise(data_copy: Path) -> None:
    source = register(data_copy, "d.txt", "Qi Lu left Baidu in 2018.\n", title="D")
    add_statements(
        data_copy,
        source,
        "relations:\n  - {id: lu, subject: Qi Lu, relation: alumniOf, object: Baidu, end: 2018,"
        " quote: Qi Lu left Baidu in 2018}\n",
    )
    data = load_dataset(data_copy / "data")
    assert conflicts(data) == []
    graph = build_graph(data)
    (st,) = [
        st
        for st in graph.subjects(RDF.subject, URIRef(KG + "person/lu-qi"))
        if graph.value(st, RDF.predicate) == URIRef(SCHEMA + "alumniOf")
    ]
    assert str(graph.value(st, URIRef(SCHEMA + "endDate"))) == "2018-05"


# --- the seed, and what the sources add -------------------------------------------


def test_the_seed_graphs_facts_are_all_still_there(data_copy: Path, graph: Graph) -> None:
    data = data_copy / "data"
    for folder in ("sources", "statements", "entities"):
        for path in (data / folder).glob("*"):
            if not path.name.startswith("jiemian-baidu-ai-decade") and path.name not in (
                "wikipedia.yaml",
                "roles.yaml",
            ):
                path.unlink()
    seed = build_graph(load_dataset(data))
    lost = [t for t in seed if t not in graph]
    # The seed's own source node gains nothing it loses; every other triple is kept as it was.
    assert lost == []
    assert len(graph) > len(seed) + 300


def test_the_diaspora_report_uses_every_source(graph: Graph) -> None:
    from kg.analysis.report import diaspora_report, render_markdown

    report = diaspora_report(graph, "baidu", "en")
    horizon = next(c for c in report["companies"] if c["id"] == "org/horizon-robotics")
    assert horizon["founded"] == "2015"
    md = render_markdown(report)
    line = next(x for x in md.splitlines() if x.startswith("| Horizon Robotics |"))
    assert "| 2015 |" in line
    assert "founded in 2015 by several former Baidu employees, including Yu Kai”(Wikipedia" in line
    assert "“余凯、黄畅创立地平线”(Jiemian News)" in line


def test_wikidata_links_need_their_source(data_copy: Path) -> None:
    from tests.conftest import edit

    edit(
        data_copy,
        "data/entities.yaml",
        "    labels: {zh-Hans: 陆奇, zh-Hant: 陸奇, en: Qi Lu}\n",
        "    labels: {zh-Hans: 陆奇, zh-Hant: 陸奇, en: Qi Lu}\n    wikidata: Q123\n",
    )
    with pytest.raises(DataError, match="wikidata Q123 needs wikidata_source"):
        load_dataset(data_copy / "data")
    edit(
        data_copy,
        "data/entities.yaml",
        "    wikidata: Q123\n",
        '    wikidata: Q123\n    wikidata_source: "https://a.example/qi-lu"\n',
    )
    graph = build_graph(load_dataset(data_copy / "data"))
    lu, item = URIRef(KG + "person/lu-qi"), URIRef("http://www.wikidata.org/entity/Q123")
    assert (lu, URIRef(SCHEMA + "sameAs"), item) in graph
    (st,) = [s for s in graph.subjects(RDF.object, item)]
    assert str(graph.value(st, URIRef(PROV + "wasDerivedFrom"))) == "https://a.example/qi-lu"


def test_pinyin_proposes_but_never_decides() -> None:
    from kg.resolve.names import identity_key, pinyin_keys

    assert pinyin_keys("余凯") == pinyin_keys("Kai Yu") == {"yukai", "kaiyu"}
    assert not pinyin_keys("王劲") & pinyin_keys("Wang Jing")  # jìn, not jīng
    assert identity_key("WeRide, Inc.") == identity_key("weride") == "weride"
    assert identity_key("北京小马智行科技有限公司") == "北京小马智行科技"
