"""Named queries, parameters, formats and errors — the same suite on every store."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from kg.query.named import QueryError, named_queries, unknown_terms
from kg.query.results import rows, run, serialize
from kg.query.store import StoreError, open_store, parse_spec
from tests.conftest import founded

GOLDENS = Path(__file__).resolve().parent / "goldens" / "queries"


STORES = ["oxigraph", "oxigraph-disk", "memory", "remote", "virtuoso"]


@pytest.fixture(scope="session", params=STORES)
def store(request, built, tmp_path_factory):
    kind = request.param
    if kind == "oxigraph-disk":
        spec = f"oxigraph:{tmp_path_factory.mktemp('disk') / 'store'}"
    elif kind == "remote":  # the project's own `kg serve`, a real process on loopback
        spec = "sparql+" + request.getfixturevalue("server").endpoint
    elif kind == "virtuoso":  # an existing SPARQL server, as DESIGN.md has the graph grow to
        spec = "sparql+" + request.getfixturevalue("virtuoso").dataset
    else:
        spec = kind
    opened = open_store(spec, built.out / "kg.nt")
    yield opened
    opened.close()


# How a cited source's quote was checked (kg:quoteCheck) depends on whether this machine's cache
# holds its text ("in this build") or not (the quote index's date): the same fact either way.
_CHECKED = re.compile(
    r"checked in this build against the cached text \(sha256 [0-9a-f]{64}\)"
    r"|quoted; checked against sha256 [0-9a-f]{64} on \d{4}-\d\d-\d\d"
)


def normal(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, str) and _CHECKED.fullmatch(value):
        return "<checked against the text>"
    return value


def canonical(result_rows):
    return sorted(
        json.dumps({k: normal(v) for k, v in r.items()}, ensure_ascii=False, sort_keys=True)
        for r in result_rows
    )


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_query_matches_its_golden(store, name, request):
    result = rows(run(store, name))
    golden = GOLDENS / f"{name}.json"
    got = canonical(result)
    if request.config.getoption("--update-goldens"):
        golden.write_text(
            json.dumps([json.loads(r) for r in got], ensure_ascii=False, indent=1) + "\n",
            encoding="utf-8",
        )
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert got == canonical(expected)
    assert result, f"{name} answers nothing on the article graph"


def test_every_named_query_has_a_header_and_declared_terms(root):
    for name, named in named_queries().items():
        assert named.title and named.en and named.zh, name
        assert "lang" in named.params, name
        assert unknown_terms(named.text, root / "ontology.ttl") == [], name
    assert len(named_queries()) >= 15


def test_the_store_holds_the_whole_graph_and_nothing_else(store, built):
    # For Virtuoso this checks that default-graph-uri in the spec reaches the endpoint:
    # without it, Virtuoso's default graph is every graph it holds, its own included.
    assert len(store) == len(built.graph)
    assert store.spec.kind != "sparql" or store.read_only


def test_endpoint_specs_carry_their_dataset():
    spec = parse_spec("sparql+http://h:8890/sparql?default-graph-uri=urn:g&timeout=5")
    assert (spec.location, spec.graph) == ("http://h:8890/sparql?timeout=5", "urn:g")
    with pytest.raises(StoreError, match="at most one"):
        parse_spec("sparql+http://h/sparql?default-graph-uri=urn:a&default-graph-uri=urn:b")
    with pytest.raises(StoreError, match="named-graph-uri is not supported"):
        parse_spec("sparql+http://h/sparql?named-graph-uri=urn:a")
    with pytest.raises(StoreError, match="not an endpoint URL"):
        parse_spec("sparql+http:///sparql")
    with pytest.raises(StoreError, match=r"not an endpoint URL \(Invalid IPv6"):
        parse_spec("sparql+http://[::1/sparql")
    # A graph IRI is a URL parameter: written raw, '#' and '+' would name another graph.
    with pytest.raises(StoreError, match="write it as %23"):
        parse_spec("sparql+http://h/sparql?default-graph-uri=http://ex.org/g#main")
    with pytest.raises(StoreError, match="not an absolute IRI"):
        parse_spec("sparql+http://h/sparql?default-graph-uri=http://ex.org/a+b")
    encoded = parse_spec("sparql+http://h/sparql?default-graph-uri=http://ex.org/g%23main%2Bx")
    assert encoded.graph == "http://ex.org/g#main+x"


def test_the_same_dataset_spec_works_on_kg_serve(server):
    from kg.serve import GRAPH_IRI
    from tests.conftest import VIRTUOSO_GRAPH, founded

    assert GRAPH_IRI == VIRTUOSO_GRAPH
    # kg serve and the Virtuoso set-up above serve the graph under the same IRI.
    store = open_store(f"sparql+{server.endpoint}?default-graph-uri={GRAPH_IRI}", None)
    assert len(rows(run(store, "founders"))) == founded()
    other = open_store(f"sparql+{server.endpoint}?default-graph-uri=urn:other", None)
    with pytest.raises(QueryError, match="400"):
        run(other, "founders")


def test_the_readme_virtuoso_load_reloads_a_changed_graph(built, tmp_path, root):
    from tests.conftest import VIRTUOSO_GRAPH, VIRTUOSO_LOAD, Virtuoso

    documented = VIRTUOSO_LOAD.format(graph=VIRTUOSO_GRAPH, folder="$PWD/build", file="kg.nt")
    assert (
        f'isql-vt 1111 dba dba exec="{documented}"' in (root / "docs" / "querying.md").read_text()
    )
    (tmp_path / "server").mkdir()
    server = Virtuoso(tmp_path / "server")
    try:
        small = tmp_path / "small.nt"
        lines = (built.out / "kg.nt").read_text(encoding="utf-8").splitlines()
        small.write_text("\n".join(lines[:10]) + "\n", encoding="utf-8")
        store = open_store("sparql+" + server.dataset, None)
        assert server.load(small) == 10 and len(store) == 10
        broken = tmp_path / "broken.nt"
        broken.write_text('<urn:a> <urn:b> "open .\n', encoding="utf-8")
        with pytest.raises(RuntimeError, match="bulk loader reported errors"):
            server.load(broken)  # the fixture notices a load that went wrong
        assert server.load(built.out / "kg.nt") == len(built.graph) == len(store)  # replaced
    finally:
        server.stop()


def test_labels_follow_the_language(store):
    zh = {r["founderLabel"] for r in rows(run(store, "founders"))}
    hant = {r["founderLabel"] for r in rows(run(store, "founders", lang="zh-Hant"))}
    en = {r["founderLabel"] for r in rows(run(store, "founders", lang="en"))}
    assert "楼天城" in zh and "樓天城" in hant and "Tiancheng Lou" in en


def test_parameters_bind_entities_and_text(store):
    career = rows(run(store, "career", {"person": "person/ouyang-jian"}, lang="en"))
    assert {
        (r["relation"], r["organizationLabel"], r["roleLabel"], r["start"]) for r in career
    } == {
        ("role", "Baidu", "Chief Chip Architect", "2020"),
        ("role", "Kunlunxin", "CEO", "2021"),
        ("works for", "Kunlunxin", None, "2021"),
        ("worked at (past)", "Baidu", None, None),
    }
    for name in ("陆奇", "陸奇", "qi lu", "硅谷华人传奇", '"陸奇"@zh-Hant'):
        found = rows(run(store, "find_entity", {"name": name}))
        assert {r["entity"].rsplit("/", 1)[-1] for r in found} == {"lu-qi"}, name
    # A text parameter takes a number as text (a name may hold digits).
    digits = rows(run(store, "find_entity", {"name": "800"}))
    assert digits and all("800" in r["matched"] for r in digits)


def test_ask_answers_true_or_false(store):
    # Virtuoso sends ASK answers as a one-row table; they must still read as booleans.
    kg = "https://w3id.org/china-ai-kg/"
    yes = run(store, f"ASK {{ ?c schema:founder <{kg}person/yu-kai> }}")
    no = run(store, f"ASK {{ ?c schema:founder <{kg}org/baidu> }}")
    assert (yes.kind, yes.boolean, no.boolean) == ("ASK", True, False)
    assert json.loads(serialize(yes, "json"))["boolean"] is True
    assert json.loads(serialize(no, "json"))["boolean"] is False


def test_results_in_every_w3c_format(store):
    data = json.loads(serialize(run(store, "founders"), "json"))
    assert len(data["results"]["bindings"]) == founded()
    assert serialize(run(store, "founders"), "xml").startswith(b"<?xml")
    csv_lines = serialize(run(store, "founders"), "csv").decode().splitlines()
    assert (
        csv_lines[0] == "company,companyLabel,founded,founder,founderLabel"
        and len(csv_lines) == founded() + 1
    )
    tsv_lines = serialize(run(store, "founders"), "tsv").decode().splitlines()
    assert tsv_lines[0] == "?company\t?companyLabel\t?founded\t?founder\t?founderLabel"
    assert (
        '"地平线"@zh-hans' in tsv_lines[1].lower()
        or '"地平线"@zh-hans' in "\n".join(tsv_lines).lower()
    )
    graph = run(store, "CONSTRUCT { ?o schema:founder ?p } WHERE { ?o schema:founder ?p }")
    assert serialize(graph, "nt").decode().count("\n") == founded()


def test_malformed_query_gives_line_and_column(store):
    with pytest.raises(QueryError, match=r"malformed query: line 2, column \d+"):
        run(store, "SELECT ?p WHERE {\n ?p a schema:Person")


def test_unknown_named_query_and_parameter(store):
    with pytest.raises(QueryError, match="did you mean 'founders'"):
        run(store, "founderz")
    with pytest.raises(QueryError, match=r"no parameter \$x \(its parameters: \$lang\)"):
        run(store, "founders", {"x": "1"})


def test_unknown_terms_are_found(root):
    text = (
        "SELECT * WHERE { ?o schema:foundr ?p ; kg:competitor ?c ; schema:founder ?f . "
        "?x a kg:org/baidu }"
    )
    assert unknown_terms(text, root / "ontology.ttl") == [
        "https://schema.org/foundr",
        "https://w3id.org/china-ai-kg/competitor",
    ]


def test_bad_store_specs():
    with pytest.raises(StoreError, match="unknown store 'oxygraph'"):
        parse_spec("oxygraph")
    with pytest.raises(StoreError, match="run `kg build` first"):
        open_store("oxigraph", "no/such/kg.nt")


@pytest.mark.parametrize("spec", ["oxigraph", "memory", "oxigraph:DISK"])
@pytest.mark.parametrize("suffix", [".nt", ".ttl"])
def test_a_bad_graph_file_is_named_with_its_line(spec, suffix, tmp_path):
    bad = tmp_path / f"bad{suffix}"
    bad.write_text('<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> "open .\n', encoding="utf-8")
    spec = spec.replace("DISK", str(tmp_path / "store"))
    with pytest.raises(StoreError, match=rf"{re.escape(str(bad))}.*not a valid graph file") as err:
        open_store(spec, bad)
    if spec != "memory":  # Oxigraph's parser gives the line; rdflib's N-Triples parser does not
        assert f"{bad}:2:" in str(err.value)
    assert not (tmp_path / "store").exists()
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != ".store.lock")
    assert left == [bad.name]  # no half-loaded store left


def test_a_failed_reload_keeps_the_previous_disk_store(built, tmp_path):
    folder = tmp_path / "store"
    open_store(f"oxigraph:{folder}", built.out / "kg.nt").close()
    bad = tmp_path / "kg.nt"
    bad.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
    with pytest.raises(StoreError, match="not a valid graph file"):
        open_store(f"oxigraph:{folder}", bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".store.lock", "kg.nt", "store"]
    # The previous store is intact and still marked as the good build.
    again = open_store(f"oxigraph:{folder}", built.out / "kg.nt")
    assert len(again) == len(built.graph)


def test_a_load_clears_what_a_killed_load_left(built, tmp_path):
    # A loader killed mid-way (kill -9) leaves its staging folder; the next load clears it.
    (tmp_path / ".store.loading-4194999" / "data").mkdir(parents=True)
    (tmp_path / ".store.old-4194999").mkdir()
    store = open_store(f"oxigraph:{tmp_path / 'store'}", built.out / "kg.nt")
    assert len(store) == len(built.graph)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".store.lock", "store"]


def test_disk_store_is_read_only_and_reloads_when_the_build_changes(built, tmp_path):
    folder = tmp_path / "store"
    first = open_store(f"oxigraph:{folder}", built.out / "kg.nt")
    assert first.read_only and len(first) == len(built.graph)
    with pytest.raises((OSError, RuntimeError), match="read-write"):
        first.inner.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    first.close()
    smaller = tmp_path / "small.nt"
    smaller.write_text(
        "\n".join((built.out / "kg.nt").read_text(encoding="utf-8").splitlines()[:10]) + "\n",
        encoding="utf-8",
    )
    again = open_store(f"oxigraph:{folder}", smaller)
    assert len(again) == 10


def test_career_names_the_relation_in_the_label_language(store):
    hant = rows(run(store, "career", {"person": "person/ouyang-jian"}, lang="zh-Hant"))
    assert {(r["relation"], r["organizationLabel"]) for r in hant} == {
        ("曾任職於", "百度"),
        ("職務", "百度"),
        ("職務", "昆侖芯"),
        ("任職於", "昆侖芯"),
    }


def test_career_relation_labels_are_the_vocabularys(root):
    """The labels written in career.rq are those of relations.yaml and ontology.ttl."""
    from rdflib import Graph, Literal, URIRef

    from kg.data.vocabulary import load_vocabulary
    from kg.sources.clean import to_traditional

    relations = load_vocabulary(root / "data" / "relations.yaml").relations
    ontology = Graph().parse(root / "ontology.ttl")
    role = {
        o.language: str(o)
        for o in ontology.objects(URIRef("http://www.w3.org/ns/org#role"), URIRef(RDFS_LABEL))
        if isinstance(o, Literal)
    }
    sources = {
        "alumniOf": relations["alumniOf"].labels,
        "worksFor": relations["worksFor"].labels,
        "founded": relations["founder"].verb,
        "role": role,
    }
    expected = set()
    for kind, labels in sources.items():
        hant = labels.get("zh-Hant") or to_traditional(labels["zh-Hans"])
        expected |= {(kind, labels["en"], "en"), (kind, labels["zh-Hans"], "zh-Hans")}
        expected.add((kind, hant, "zh-Hant"))
    text = named_queries()["career"].text
    written = set(re.findall(r'\("(\w+)" "([^"]+)"@([\w-]+)\)', text))
    assert written == expected


RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def test_timeline_has_a_row_per_dated_fact_as_the_analysis_counts_them(store, graph):
    from kg.analysis.timeline import timeline

    got = rows(run(store, "timeline", lang="en"))
    frame = timeline(graph, lang="en")
    # The analysis says one event in one row with all its facts; the query has a row per fact.
    per_fact = [(d, f) for d, facts in zip(frame.date, frame.facts, strict=True) for f in facts]
    assert sorted((r["when"], r["fact"]) for r in got) == sorted(per_fact)
    for row in got:
        assert row["quote"] and row["quotes"] >= 1, row
        if row["kind"] in ("figure", "forecast"):  # a figure says what it measures and how much
            assert row["measure"] and (row["value"] is not None or row["min"] is not None), row
        elif row["kind"] == "event":  # an event says what happened, not rdf:type
            assert row["subjectLabel"] and row["predicate"] is None, row
        else:
            assert row["objectLabel"], row
    # The quote shown dates the row where a quote does: Qi Lu's departure, not his arrival.
    left = [r for r in got if r["kind"] == "fact" and r["what"] == "end"]
    assert left and all("2018" in r["quote"] for r in left)


def test_defaults_bound_in_the_query_are_replaced_by_bind(store):
    text = (
        "SELECT ?label WHERE { VALUES ($who $lang) { (<https://w3id.org/china-ai-kg/person/lu-qi>"
        ' "en") } $who rdfs:label ?label . FILTER (langMatches(lang(?label), $lang)) }'
    )
    assert [r["label"] for r in rows(run(store, text))] == ["Qi Lu"]
    bound = run(store, text, {"who": "person/yu-kai"}, lang="zh-Hans")
    assert "VALUES" not in bound.text and [r["label"] for r in rows(bound)] == ["余凯"]


def test_a_named_query_must_bind_its_header_defaults(tmp_path):
    from kg.query.named import _parse_header

    header = '# title: t\n# en: e\n# zh: z\n# param lang: "zh-Hans"  language\n'
    missing = tmp_path / "missing.rq"
    missing.write_text(header + "SELECT * WHERE { ?s rdfs:label ?l FILTER (lang(?l) = $lang) }\n")
    with pytest.raises(QueryError, match=r"\$lang has no default in the query; add VALUES \$lang"):
        _parse_header(missing)
    other = tmp_path / "other.rq"
    other.write_text(header + 'SELECT * WHERE { VALUES $lang { "en" } ?s rdfs:label ?l }\n')
    with pytest.raises(QueryError, match=r'defaults to "zh-Hans" in the header but to "en"'):
        _parse_header(other)


def _founding_dates(graph) -> dict[str, str]:
    """Each company's founding date as the graph's founder statements give it (kg:date): the
    earliest text where sources differ (2015 before 2015-06)."""
    from rdflib import RDF, URIRef

    founder, date = URIRef("https://schema.org/founder"), URIRef(KG + "date")
    found: dict[str, str] = {}
    for st in graph.subjects(RDF.predicate, founder):
        company = str(graph.value(st, RDF.subject))
        for value in graph.objects(st, date):
            found[company] = min(found.get(company, str(value)), str(value))
    return found


KG = "https://w3id.org/china-ai-kg/"


def test_founding_dates_are_the_sources_and_never_invented(store, graph):
    dates = _founding_dates(graph)
    assert dates[KG + "org/horizon-robotics"] == "2015" and dates[KG + "org/baidu"] == "2000-01-18"
    founders = rows(run(store, "founders", lang="en"))
    assert {r["company"]: r["founded"] for r in founders} == {
        r["company"]: dates.get(r["company"]) for r in founders
    }
    assert any(r["founded"] is None for r in founders)  # undated stays undated
    assert len(founders) == founded()  # a row per founder fact, as before
    startups = rows(run(store, "alumni_startups"))
    assert startups and all(r["founded"] == dates.get(r["company"]) for r in startups)
    assert len({r["company"] for r in startups}) == len(startups)
    career = rows(run(store, "career", {"person": "person/yu-kai"}))
    assert {(r["organization"], r["founded"]) for r in career} == {
        (KG + "org/horizon-robotics", "2015"),
        (KG + "org/baidu", "2000-01-18"),
    }


def test_roles_takes_an_optional_organisation(store):
    every = rows(run(store, "roles"))
    baidu = rows(run(store, "roles", {"org": "org/baidu"}))
    assert len({r["organization"] for r in every}) > 1
    assert baidu and sorted(map(repr, baidu)) == sorted(
        repr(r) for r in every if r["organization"] == KG + "org/baidu"
    )
    assert rows(run(store, "roles", {"org": "org/kunlunxin"}, lang="en")) == [
        r for r in rows(run(store, "roles", lang="en")) if r["organization"] == KG + "org/kunlunxin"
    ]


def test_an_optional_parameter_stays_a_variable_until_given():
    from kg.query.named import bind

    roles = named_queries()["roles"]
    assert roles.params["org"][0] == "UNDEF"
    unbound = bind(roles.text, {}, roles)
    assert "{ UNDEF }" not in unbound and "?m org:organization $org" in unbound
    anchored = bind(roles.text, {"org": "org/baidu"}, roles)
    assert f"?m org:organization <{KG}org/baidu>" in anchored
    assert f"(<{KG}org/baidu> AS ?organization)" in anchored and "$org rdfs" not in anchored
