"""The analysis: small hand-made graphs whose answers are known, then the article graph."""

from __future__ import annotations

import doctest
import importlib
import json
import re
import subprocess
import sys

import pytest

from kg.analysis import timeline
from kg.analysis.diaspora import diaspora, diaspora_tree
from kg.analysis.drawing import draw_diaspora_tree, draw_talent_flow, use_cjk_font
from kg.analysis.facts import figures, tenures
from kg.analysis.measures import UnknownEntityError, entity_graph, from_edges, person_org_graph
from kg.analysis.network import centrality, communities, ego_network, rankings, shortest_connection
from kg.analysis.report import diaspora_report, render_markdown
from kg.errors import KGError
from kg.viz import export

BAIDU_FOUNDERS = {
    "person/yu-kai": "org/horizon-robotics",
    "person/huang-chang": "org/horizon-robotics",
    "person/peng-jun": "org/pony-ai",
    "person/lou-tiancheng": "org/pony-ai",
    "person/wang-jing": "org/weride",
    "person/han-xu": "org/weride",
    "person/ni-kai": "org/holomatic",
    "person/zhou-guang": "org/deeproute",
}


@pytest.fixture()
def small():
    """Two alumni co-found s1 with an outsider; one also founds s2; one is still there."""
    return from_edges(
        [
            ("person/a", "alumniOf", "org/big", {"start": "2010", "end": "2014-07"}),
            ("person/b", "alumniOf", "org/big"),
            ("person/c", "worksFor", "org/big"),
            ("person/d", "role", "org/big", {"role": "role/cto", "start": "2012", "end": "2013"}),
            ("person/e", "role", "org/big", {"role": "role/ceo", "start": "2015"}),
            ("person/a", "founder", "org/s1", {"date": "2015-07"}),
            ("person/b", "founder", "org/s1"),
            ("person/x", "founder", "org/s1"),
            ("person/a", "founder", "org/s2"),
            ("person/d", "worksFor", "org/s1"),
            ("org/s1", "listedOn", "market/us"),
            ("org/big", "competitorOf", "org/s1"),
            ("product/p", "manufacturer", "org/big"),
        ],
        {"person/a": "甲", "person/b": "乙", "org/big": "大厂", "org/s1": "一号"},
    )


# --- small graphs ----------------------------------------------------------------------


def test_alumni_are_past_staff_only(small):
    d = diaspora(small, "big")
    assert [a.id for a in d.alumni] == ["person/a", "person/b", "person/d"]
    assert "person/c" not in {a.id for a in d.alumni}  # works there now
    assert "person/e" not in {a.id for a in d.alumni}  # role with no end
    d_role = next(a for a in d.alumni if a.id == "person/d")
    # A role's dates are the role's, not the employment's.
    assert (d_role.start, d_role.end, d_role.roles) == (None, None, ["role/cto"])
    assert d_role.role_periods == [("role/cto", "2012", "2013")]


def test_a_move_inside_the_group_is_not_a_departure():
    G = from_edges(
        [
            ("person/a", "alumniOf", "org/big"),
            ("person/a", "worksFor", "org/sub"),
            ("person/b", "alumniOf", "org/big"),
            ("person/b", "worksFor", "org/other"),
            ("person/c", "alumniOf", "org/sub"),
            ("person/c", "worksFor", "org/big"),
            ("org/sub", "parentOrganization", "org/big"),
        ]
    )
    d = diaspora(G, "big")
    assert d.group == ["org/sub"]
    assert d.departures == ["person/b"]
    assert d.moved == [("person/a", "org/sub")] and d.joined == [("person/b", "org/other")]
    up = diaspora(G, "sub")  # to the parent is inside the group too
    assert up.departures == [] and up.moved == [("person/c", "org/big")]
    T = diaspora_tree(G, "big")
    assert T.edges["person/a", "org/sub"]["inside_group"]
    assert not T.edges["person/b", "org/other"]["inside_group"]
    assert (
        T.nodes["org/sub"]["in_group"] and T.edges["org/big", "org/sub"]["relation"] == "subsidiary"
    )
    assert T.nodes["person/a"]["left_group"] is False and T.nodes["person/b"]["left_group"]


def test_founders_companies_cofounders(small):
    d = diaspora(small, "org/big")
    assert d.founders == ["person/a", "person/b"]
    assert d.startups_per_alumnus == {"person/a": 2, "person/b": 1}
    assert d.cofounders == [
        ("person/a", "person/b", "org/s1"),
        ("person/a", "person/x", "org/s1"),
        ("person/b", "person/x", "org/s1"),
    ]
    s1 = d.companies[0]
    assert (s1.id, s1.founders, s1.alumni_founders) == (
        "org/s1",
        ["person/a", "person/b", "person/x"],
        ["person/a", "person/b"],
    )
    assert s1.listed_on == ["market/us"] and s1.rival and s1.founded == "2015-07"
    assert d.joined == [("person/d", "org/s1")]


def test_time_to_founding_only_where_dates_exist(small):
    (t,) = diaspora(small, "big").time_to_founding
    assert t["person"] == "person/a" and t["company"] == "org/s1"
    # Joined 2010, left 2014, founded 2015-07: whole years, as precise as the coarser date.
    assert t["years_from_joining"] == 5 and t["years_from_leaving"] == 1


def test_time_to_founding_is_never_more_precise_or_more_negative_than_the_dates():
    """A founding dated to the year after a departure dated to the month is "the year of
    leaving", not a negative span; the report never prints a negative number."""
    from kg.analysis.measures import from_edges
    from kg.analysis.report import _gaps

    G = from_edges(
        [
            ("person/a", "alumniOf", "org/big", {"start": "2012", "end": "2015-05"}),
            ("person/a", "founder", "org/s1", {"date": "2015"}),
            ("person/b", "alumniOf", "org/big", {"end": "2017-06"}),
            ("person/b", "founder", "org/s2", {"date": "2017-03"}),
        ]
    )
    times = {t["person"]: t for t in diaspora(G, "big").time_to_founding}
    assert (times["person/a"]["years_from_leaving"], times["person/a"]["years_from_joining"]) == (
        0,
        3,
    )
    assert _gaps(times["person/a"], "en") == "the year of leaving; 3 years after joining"
    assert times["person/b"]["years_from_leaving"] == -0.25  # founded while still there
    assert _gaps(times["person/b"], "en") == "0.25 years before leaving"
    assert _gaps(times["person/b"], "zh-Hans") == "离职前0.25年"


def test_diaspora_tree_layers(small):
    T = diaspora_tree(small, "big")
    layers = dict(T.nodes(data="layer"))
    assert layers == {
        "org/big": 0,
        "person/a": 1,
        "person/b": 1,
        "person/d": 1,
        "org/s1": 2,
        "org/s2": 2,
        "market/us": 3,
    }
    assert T.edges["person/a", "org/s1"]["relation"] == "founder"
    assert T.edges["person/d", "org/s1"]["relation"] == "worksFor"
    assert T.nodes["org/s1"]["rival"] and not T.nodes["org/s2"]["rival"]


def test_entity_graph_filters_by_relation(small):
    G = entity_graph(small, relations=["founder"])
    assert {d["relation"] for _, _, d in G.edges(data=True)} == {"founder"}
    assert "product/p" not in G  # its only edge was dropped, and isolates go


def test_person_org_graph_is_bipartite(small):
    B = person_org_graph(small)
    assert not B.has_edge("org/big", "org/s1")  # competitors are not person–org
    assert "product/p" not in B
    assert {n for n, side in B.nodes(data="bipartite") if side == 0} == {
        "person/a",
        "person/b",
        "person/c",
        "person/d",
        "person/e",
        "person/x",
    }


def test_shortest_connection_says_each_fact_its_way_round(small):
    c = shortest_connection(small, "person/x", "person/c", lang="en")
    assert c.path == ["person/x", "org/s1", "org/big", "person/c"]
    assert c.text == "person/x —founder→ 一号 ←competitorOf— 大厂 ←worksFor— person/c"
    assert [s.forward for s in c.steps] == [True, False, False]


def test_shortest_connection_prefers_the_telling_fact():
    G = from_edges(
        [("person/a", "competitorOf", "org/b"), ("person/a", "founder", "org/b")],
        {"person/a": "A", "org/b": "B"},
    )
    assert shortest_connection(G, "A", "B").text == "A —founder→ B"


def test_unconnected_and_unknown_entities(small):
    G = from_edges([("person/a", "alumniOf", "org/x"), ("person/b", "alumniOf", "org/y")])
    with pytest.raises(UnknownEntityError, match="nothing in the graph connects"):
        shortest_connection(G, "person/a", "person/b")
    with pytest.raises(UnknownEntityError, match=r"did you mean: org/big"):
        diaspora(small, "org/bigg")
    with pytest.raises(UnknownEntityError, match="a person, not an organisation"):
        diaspora(small, "甲")
    assert issubclass(UnknownEntityError, KGError)


def test_centrality_of_a_star_and_a_path():
    star = from_edges([(f"person/{i}", "alumniOf", "org/hub") for i in range(4)])
    assert centrality(star, "degree")["org/hub"] == 1.0
    assert centrality(star, "betweenness")["org/hub"] == 1.0
    pagerank = centrality(star, "pagerank")
    assert max(pagerank, key=pagerank.__getitem__) == "org/hub"
    assert sum(pagerank.values()) == pytest.approx(1.0)
    path = from_edges([("person/a", "alumniOf", "org/m"), ("person/b", "alumniOf", "org/m")])
    assert centrality(path, "betweenness") == {
        "person/a": 0.0,
        "org/m": 1.0,
        "person/b": 0.0,
    }
    with pytest.raises(KGError, match="unknown measure"):
        centrality(path, "closeness")


def test_communities_are_seeded_and_stable():
    edges = [(f"person/{c}{i}", "alumniOf", f"org/{c}") for c in "xyz" for i in range(3)]
    edges.append(("person/x0", "worksFor", "org/y"))
    G = from_edges(edges)
    first = communities(G, seed=7)
    assert first == communities(G, seed=7)
    assert sorted(len(c) for c in first) == [4, 4, 4]
    assert ["org/z", "person/z0", "person/z1", "person/z2"] in first


def test_ego_network(small):
    ego = ego_network(small, "乙")
    assert sorted(ego.nodes) == ["org/big", "org/s1", "person/b"]


# --- the article graph -----------------------------------------------------------------


def test_entity_graph_has_only_entities(graph):
    G = entity_graph(graph)
    prefixes = {n.partition("/")[0] for n in G.nodes}
    assert prefixes == {"person", "org", "market", "product"}
    assert not any(n.startswith("http") for n in G.nodes)
    assert all(d["evidence"] for _, _, d in G.edges(data=True))
    assert "person/pei-lin" not in G  # the article's author has no facts as an entity
    assert "person/pei-lin" in entity_graph(graph, isolates=True)
    assert G.nodes["org/weride"]["former_names"] == ["景驰科技"]
    assert G.nodes["org/kunlunxin"]["listing_status"] == ["planned IPO (2027)"]


def test_article_founders_and_cofounders(graph):
    d = diaspora(graph, "org/baidu")
    founded = {a.id: a.founded for a in d.alumni if a.founded}
    assert founded == {person: [company] for person, company in BAIDU_FOUNDERS.items()}
    assert {c.id for c in d.companies} == set(BAIDU_FOUNDERS.values())
    assert {(a, b, c) for a, b, c in d.cofounders} == {
        ("person/huang-chang", "person/yu-kai", "org/horizon-robotics"),
        ("person/lou-tiancheng", "person/peng-jun", "org/pony-ai"),
        ("person/han-xu", "person/wang-jing", "org/weride"),
    }
    alumni = {a.id for a in d.alumni}
    assert {"person/andrew-ng", "person/lu-qi", "person/ouyang-jian"} <= alumni
    # 百度旗下 Kunlunxin: Ouyang Jian moved inside the group, he did not leave it.
    assert d.group == ["org/kunlunxin"]
    assert d.moved == [("person/ouyang-jian", "org/kunlunxin")] and d.joined == []
    assert "person/ouyang-jian" not in d.departures
    assert set(d.departures) == alumni - {"person/ouyang-jian"}
    ouyang = next(a for a in d.alumni if a.id == "person/ouyang-jian")
    # 2020年出任: the start of the role, not of his time at Baidu (百度老人)
    assert (ouyang.start, ouyang.end) == (None, None)
    assert ouyang.role_periods == [("role/chief-chip-architect", "2020", None)]
    assert d.time_to_founding == []  # the article dates no founding


def test_article_connection_in_words(graph):
    c = shortest_connection(graph, "彭军", "余凯")
    assert c.text == "彭军 —曾任职于→ 百度 ←曾任职于— 余凯"
    assert c.steps[0].evidence


def test_article_rankings(graph):
    ranks = rankings(graph, top=2)
    assert [n for n, _ in ranks["betweenness"]["Organization"]] == ["org/baidu", "org/kunlunxin"]
    assert ranks["pagerank"]["Organization"][0][0] == "org/baidu"


def _dated_facts(graph) -> dict[str, set[str]]:
    from rdflib import URIRef

    from kg.project.namespaces import PREFIXES

    found: dict[str, set[str]] = {}
    for key in ("schema:startDate", "schema:endDate", "kg:date", "kg:period"):
        prefix, _, local = key.partition(":")
        for node, date in graph.subject_objects(URIRef(PREFIXES[prefix] + local)):
            found.setdefault(str(node), set()).add(str(date))
    return found


def test_timeline_holds_every_dated_fact(graph):
    df = timeline.timeline(graph, "en")
    dated = _dated_facts(graph)
    facts = [f for row in df.facts for f in row]
    assert set(facts) == set(dated)
    for fact, dates in dated.items():
        rows = df[df.facts.map(lambda fs, fact=fact: fact in fs)]
        assert set(rows.date) | {e for e in rows.end if e} == dates, fact
    assert all(row.fact == row.facts[0] for row in df.itertuples())
    # one event, one row: no two rows say the same thing on the same date
    assert not df.duplicated(["date", "description"]).any()
    assert list(df.columns) == list(timeline.COLUMNS)
    assert all(df.quote.str.len() > 0)
    keys = [tuple(int(p) for p in d.split("-")) for d in df.date]
    assert keys == sorted(keys, key=lambda k: k[:1])  # in year order


def test_timeline_events(graph):
    df = timeline.timeline(graph, "zh-Hans")

    def said(event: str) -> list[tuple[str, str]]:
        return list(zip(df[df.event == event].date, df[df.event == event].description, strict=True))

    assert ("2021", "昆仑芯从百度独立") in said("independent")
    assert ("2027", "昆仑芯:计划IPO") in said("listing")
    assert ("2018-05", "陆奇离开百度,卸任集团总裁、首席运营官") in said("left")
    assert ("2017", "陆奇加入百度,任集团总裁、首席运营官") in said("joined")
    assert ("2020", "欧阳剑出任百度首席芯片架构师") in said("took role")
    assert ("2021", "欧阳剑在百度体系内转到昆仑芯,任首席执行官") in said("moved")
    assert ("2017", "李彦宏招揽陆奇") in said("recruited")
    assert ("2024", "昆仑芯推出昆仑芯P800") in said("launched")
    assert ("2026", "昆仑芯计划推出昆仑芯M100") in said("planned launch")
    # A founding is dated only where a source dates it, with that source's quote.
    founded = df[df.event == "founded"]
    assert sorted(zip(founded.date, founded.subject_id, strict=True)) == [
        ("2000-01-18", "person/robin-li"),
        ("2015", "person/yu-kai"),
    ]
    horizon = founded[founded.subject_id == "person/yu-kai"].iloc[0]
    assert "founded in 2015" in horizon.quote
    spans = df[df.end.notna()]
    # figures over a span: the 2015-2018 departures, and those of Lu Qi's tenure
    assert {tuple(x) for x in spans[["date", "end"]].values.tolist()} == {
        ("2015", "2018"),
        ("2017", "2018-05"),
    }
    hant = timeline.timeline(graph, "zh-Hant")
    assert "昆侖芯從百度獨立" in set(hant.description)


def test_timeline_rejects_unknown_language(graph):
    with pytest.raises(KGError, match="unknown language"):
        timeline.timeline(graph, "fr")


def test_lu_qi_arrives_once_and_leaves_once_with_all_quotes(graph):
    df = timeline.timeline(graph, "en")
    lu = df[(df.subject_id == "person/lu-qi") & (df.object_id == "org/baidu")]
    assert lu.event.tolist() == ["joined", "left"]
    joined, left = lu.iloc[0], lu.iloc[1]
    assert (joined.date, joined.description) == (
        "2017",
        "Qi Lu joined Baidu as COO and Group President",
    )
    assert "2017年空降百度" in joined.quotes and "赋予其集团总裁兼COO的权杖" in joined.quotes
    assert left.date == "2018-05"
    assert left.description == "Qi Lu left Baidu, stepping down as COO and Group President"
    # the tenure, both roles and the article's 卸任 milestone are one departure
    assert len(left.facts) == 4 and any(f.endswith("lu-qi-steps-down") for f in left.facts)
    assert "这场离职被资本市场称为“史上最贵”" in left.quotes
    assert not df.description.str.contains("steps down as Baidu's Group President").any()


def test_a_role_start_is_not_joining(graph):
    df = timeline.timeline(graph, "en")
    ouyang = df[df.subject_id == "person/ouyang-jian"]
    assert ouyang[["date", "event", "description"]].values.tolist() == [
        ["2020", "took role", "Ouyang Jian became Chief Chip Architect of Baidu"],
        ["2021", "moved", "Ouyang Jian moved within the Baidu group to Kunlunxin as CEO"],
    ]
    assert not df.description.str.contains("Ouyang Jian joined").any()


def test_tenures(graph):
    t = tenures(graph, "en")
    lu = t[t.subject_id == "person/lu-qi"]
    assert lu[["relation", "roles", "start", "end"]].values.tolist() == [
        ["alumniOf", "COO and Group President", "2017", "2018-05"]
    ]
    ouyang = t[(t.subject_id == "person/ouyang-jian") & (t.object_id == "org/baidu")]
    assert ouyang[["relation", "start", "end", "roles"]].values.tolist() == [
        ["role", "2020", None, "Chief Chip Architect"]
    ]


def test_figures_include_the_undated(graph):
    f = figures(graph, "en")
    from rdflib import URIRef
    from rdflib.namespace import RDF

    from kg.project.namespaces import PREFIXES

    nodes = set(graph.subjects(RDF.type, URIRef(PREFIXES["kg"] + "Figure")))
    assert sorted(f.fact) == sorted(str(n) for n in nodes)
    undated = f[f.date.isna()].set_index("measure")
    assert undated.loc["valuation"].value == "CNY 21 billion"
    assert undated.loc["tenureDays"].value == "486 days"
    assert undated.loc["marketRank"].subject_id == "org/horizon-robotics"


def test_report_is_json_and_complete(graph):
    report = diaspora_report(graph, "baidu", "en", top=3)
    text = json.dumps(report, ensure_ascii=False)
    assert json.loads(text) == report
    assert report["org"] == {"id": "org/baidu", "name": "Baidu"}
    assert {f["id"] for f in report["founders"]} == set(BAIDU_FOUNDERS)
    assert len(report["timeline"]) == len(timeline.timeline(graph))
    assert [len(v) for v in report["most_linked"].values()] == [3, 3]
    baidu = report["most_linked"]["organizations"][0]
    assert baidu["id"] == "org/baidu" and {"relation": "former staff", "count": 11} in baidu["by"]
    assert "communities" not in report and "rankings" not in report
    with pytest.raises(UnknownEntityError, match="did you mean: org/baidu"):
        diaspora_report(graph, "baido")


@pytest.mark.parametrize(
    ("lang", "head", "sep"),
    [("en", "Not dated by any source: ", ", "), ("zh-Hans", "来源均未注明时间的:", "、")],
)
def test_the_report_says_first_which_dates_no_source_gives(full_built, lang, head, sep):
    """Before any section, the report names the joinings, departures, moves and foundings no
    source dates, computed from the facts of the same report (`kg analyze`, whole project)."""
    from click.testing import CliRunner

    from kg.cli import main

    def analyze(*args: str) -> str:
        result = CliRunner().invoke(
            main, ["analyze", "--out", str(full_built.out), "--lang", lang, *args]
        )
        assert result.exit_code == 0, result.output
        return result.stdout

    report = json.loads(analyze("--format", "json"))
    lines = analyze().splitlines()
    details = next(i for i, line in enumerate(lines) if line.startswith("## "))
    (said,) = [line for line in lines[:details] if head in line]
    items = said.split(head, 1)[1].rstrip(".。").split(";")
    left_word = "the departure from Baidu of " if lang == "en" else "离开百度"
    (left,) = [i for i in items if left_word in i]
    names = left.replace(left_word, "").strip().split(sep)
    undated = [a["name"] for a in report["alumni"] if a["left_group"] and not a["end"]]
    assert undated and sorted(names) == sorted(undated)
    dated = {a["name"] for a in report["alumni"] if a["start"] and a["end"]}
    assert dated and not any(name in said for name in dated)  # Qi Lu, Yu Kai, …
    ouyang = "Ouyang Jian" if lang == "en" else "欧阳剑"  # moved inside the group: not a departure
    assert ouyang not in left
    for company in report["companies"]:
        assert (company["name"] in said) == (company["founded"] is None), company["name"]
    assert report["not_dated"]["left"] == [
        {"id": a["id"], "name": a["name"]} for a in report["alumni"] if a["name"] in undated
    ]


def test_report_ouyang_jian_moved_inside_the_group(graph):
    report = diaspora_report(graph, "baidu", "en")
    assert "person/ouyang-jian" not in {p["id"] for p in report["departures"]}
    assert [p["id"] for p in report["moved_within_group"]] == ["person/ouyang-jian"]
    row = next(a for a in report["alumni"] if a["id"] == "person/ouyang-jian")
    assert (row["start"], row["end"], row["left_group"]) == (None, None, False)
    assert row["roles"] == [{"name": "Chief Chip Architect", "start": "2020", "end": None}]
    (went,) = row["went"]
    assert went["how"] == "moved" and went["org"]["id"] == "org/kunlunxin"
    assert went["inside_group"] and went["relation_to_org"] == "subsidiary"
    assert report["group"][0]["evidence"] == ["百度旗下AI芯片公司“昆仑芯”"]
    md = render_markdown(report)
    line = next(x for x in md.splitlines() if x.startswith("| Ouyang Jian"))
    assert "Chief Chip Architect (took the role in 2020)" in line
    assert "moved to Kunlunxin (subsidiary of Baidu) as CEO, from 2021" in line
    assert "| yes |" in line and "2020–" not in line
    assert "joined Baidu" not in md.replace("Qi Lu joined Baidu", "")


def test_report_keeps_the_figures_the_graph_holds(graph):
    report = diaspora_report(graph, "baidu", "zh-Hans")
    md = render_markdown(report)
    for figure, quote in [
        ("市场排名:第1", "地平线则坐稳了中国自动驾驶芯片的头把交椅"),
        ("在任天数:486天", "陆奇在位的486天"),
        ("估值:210亿元", "这家估值已达210亿元的公司"),
    ]:
        assert figure in md and f"“{quote}”" in md, figure
    horizon = next(c for c in report["companies"] if c["id"] == "org/horizon-robotics")
    assert [f["short"] for f in horizon["figures"]] == ["市场排名:第1"]
    lu = next(a for a in report["alumni"] if a["id"] == "person/lu-qi")
    assert [f["short"] for f in lu["figures"]] == ["在任天数:486天"]
    lu_rows = [e for e in report["timeline"] if e["subject_id"] == "person/lu-qi"]
    assert [e["event"] for e in lu_rows].count("left") == 1


def _headings(md: str) -> list[str]:
    return [line.lstrip("# ") for line in md.splitlines() if line.startswith("#")]


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
def test_chinese_reports_are_chinese(graph, lang):
    md = render_markdown(diaspora_report(graph, "baidu", lang))
    headings = _headings(md)
    assert len(headings) >= 6
    for heading in headings:
        assert not re.search(r"[A-Za-z]", heading), heading
    lines = md.splitlines()
    # The header row of each table (the line above its |---| rule); quotes in the rows are
    # the sources' own words, English where the source is.
    table_heads = [lines[i - 1] for i, line in enumerate(lines) if line.startswith("|---")]
    assert not any(re.search(r"\b(alumnus|company|evidence|date)\b", h) for h in table_heads)
    assert ("原名景驰科技" if lang == "zh-Hans" else "原名景馳科技") in md


def test_english_report_has_no_chinese_outside_quotes(graph):
    md = render_markdown(diaspora_report(graph, "baidu", "en"))
    from rdflib import URIRef

    from kg.project.namespaces import PREFIXES

    quotes = {str(q) for q in graph.objects(None, URIRef(PREFIXES["oa"] + "exact"))}
    outside = md
    for quote in sorted(quotes, key=len, reverse=True):
        outside = outside.replace(f"“{quote}”", "")
    found = re.findall(r".{0,20}[\u3400-\u9fff].{0,5}", outside)
    assert not found
    assert "formerly JingChi" in md and "formerly 景驰" not in md
    assert _headings(md)[0] == "Where Baidu's people went"


# --- export ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_export_reads_back(graph, tmp_path, fmt):
    import networkx as nx

    (path,) = export.export_graph(graph, tmp_path, fmt, lang="en")
    G = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
    entity = entity_graph(graph)
    assert set(G.nodes) == set(entity.nodes)
    assert G.number_of_edges() == entity.number_of_edges()
    lu = G.nodes["person/lu-qi"]
    if fmt == "graphml":
        assert (lu["label"], lu["label_zh-Hans"], lu["label_zh-Hant"]) == ("Qi Lu", "陆奇", "陸奇")
    else:
        assert lu["label"] == "Qi Lu" and lu["label_zh-Hant"] == "陸奇"
    dated = [d for _, _, d in G.edges(data=True) if d.get("start_date") == "2017"]
    assert dated and all(d["end_date"] == "2018-05" for d in dated)
    # The same graph gives the same bytes (no date of writing stamped in).
    first = path.read_bytes()
    export.export_graph(graph, tmp_path, fmt, lang="en")
    assert path.read_bytes() == first and b"lastmodifieddate" not in first


def test_export_csv(graph, tmp_path):
    import csv

    nodes, edges = export.export_graph(graph, tmp_path, "csv")
    node_rows = list(csv.DictReader(nodes.open(encoding="utf-8")))
    edge_rows = list(csv.DictReader(edges.open(encoding="utf-8")))
    assert {r["id"] for r in node_rows} >= {"org/baidu", "person/yu-kai"}
    assert any(r["relation"] == "founder" and r["evidence"] for r in edge_rows)
    assert next(r for r in node_rows if r["id"] == "org/weride")["former_names"] == "景驰科技"
    with pytest.raises(KGError, match="unknown export format"):
        export.export_graph(graph, tmp_path, "dot")


# --- documentation and architecture ---------------------------------------------------------


DOCTESTED = [
    "kg.analysis.measures",
    "kg.analysis.diaspora",
    "kg.analysis.network",
    "kg.analysis.drawing",
    "kg.analysis.facts",
    "kg.analysis.timeline",
    "kg.analysis.report",
    "kg.analysis.flowchart",
    "kg.viz.export",
]


@pytest.mark.parametrize("name", DOCTESTED)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_importing_the_analysis_loads_no_heavy_library():
    code = (
        "import sys, kg.analysis.measures, kg.analysis.diaspora, kg.analysis.network, "
        "kg.analysis.drawing, kg.analysis.facts, kg.analysis.timeline, kg.analysis.gather, "
        "kg.analysis.report, kg.analysis.flowchart, kg.viz.export; "
        "print(sorted(m for m in ('networkx', 'pandas', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_plots_draw_chinese_or_warn(graph):
    import matplotlib

    matplotlib.use("Agg")
    import warnings

    with warnings.catch_warnings(record=True):
        lang = use_cjk_font("zh-Hans")
    ax = draw_diaspora_tree(diaspora_tree(graph), lang=lang)
    texts = {t.get_text() for t in ax.texts}
    assert ("百度" if lang == "zh-Hans" else "Baidu") in texts
    words = {t.get_text() for t in ax.get_legend().get_texts()}
    assert ("创立" if lang == "zh-Hans" else "founded") in words
    assert ("集团内调动" if lang == "zh-Hans" else "moved inside the group") in words
    from kg.analysis.flowchart import talent_flow

    report = diaspora_report(graph, "org/baidu", lang)
    lanes, undated = talent_flow(report)
    fig = draw_talent_flow(lanes, undated, lang=lang, org=report["org"]["name"])
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert ("陆奇" if lang == "zh-Hans" else "Qi Lu") in texts
    words = {t.get_text() for legend in fig.legends for t in legend.get_texts()}
    assert ("离开百度" if lang == "zh-Hans" else "left Baidu") in words
