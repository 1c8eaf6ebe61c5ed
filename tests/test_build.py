"""The built graph: its facts, evidence, ontology, shapes, files and determinism."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic, to_isomorphic
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kg.errors import QuoteNotFoundError, ValidationError
from kg.graph.build import build, build_graph, validate_graph
from kg.graph.generations import OUTPUTS
from kg.graph.writers import sorted_ntriples
from kg.project.namespaces import BASE

KG = Namespace(BASE)
SCHEMA = Namespace("https://schema.org/")
OA = Namespace("http://www.w3.org/ns/oa#")
PROV = Namespace("http://www.w3.org/ns/prov#")
ORG = Namespace("http://www.w3.org/ns/org#")


def label(graph: Graph, node: URIRef, lang: str = "zh-Hans") -> str:
    return next(str(o) for o in graph.objects(node, RDFS.label) if o.language == lang)


SEED = KG["source/jiemian-baidu-ai-decade"]


def stated_by(graph: Graph, node: URIRef, source: URIRef = SEED) -> bool:
    """Whether *source* is among the sources whose quotes a fact rests on."""
    return any(
        graph.value(span, OA.hasSource) == source
        for span in graph.objects(node, PROV.wasDerivedFrom)
    )


def article_says(graph: Graph, predicate: URIRef, obj: URIRef | None = None) -> set[tuple]:
    """(subject, object) of every *predicate* fact the seed article states (other sources
    may state more)."""
    return {
        (graph.value(st, RDF.subject), graph.value(st, RDF.object))
        for st in graph.subjects(RDF.predicate, predicate)
        if stated_by(graph, st) and (obj is None or graph.value(st, RDF.object) == obj)
    }


def test_founders_as_the_article_states_them(graph):
    founded = {
        (label(graph, org), label(graph, person))
        for org, person in article_says(graph, SCHEMA.founder)
    }
    assert founded == {
        ("地平线", "余凯"),
        ("地平线", "黄畅"),
        ("小马智行", "彭军"),
        ("小马智行", "楼天城"),
        ("文远知行", "王劲"),
        ("文远知行", "韩旭"),
        ("禾多科技", "倪凯"),
        ("元戎启行", "周光"),
    }


def test_baidu_alumni_and_roles(graph):
    alumni = {label(graph, p) for p, _ in article_says(graph, SCHEMA.alumniOf, KG["org/baidu"])}
    assert alumni == {
        "余凯",
        "倪凯",
        "王劲",
        "吴恩达",
        "韩旭",
        "彭军",
        "楼天城",
        "黄畅",
        "周光",
        "陆奇",
        "欧阳剑",
    }
    roles = {
        (
            label(graph, graph.value(m, ORG.member)),
            label(graph, graph.value(m, ORG.role), "en"),
            str(graph.value(m, SCHEMA.startDate)),
            str(graph.value(m, SCHEMA.endDate)),
        )
        for m in graph.subjects(RDF.type, ORG.Membership)
        if stated_by(graph, m)
    }
    assert roles == {
        ("陆奇", "Group President", "2017", "2018-05"),
        ("陆奇", "COO", "2017", "2018-05"),
        ("欧阳剑", "Chief Chip Architect", "2020", "None"),
        ("欧阳剑", "CEO", "2021", "None"),
    }
    end = graph.value(next(iter(graph.subjects(ORG.role, KG["role/coo"]))), SCHEMA.endDate)
    assert end.datatype == XSD.gYearMonth  # the month the article gives, no day invented


def test_renamed_company_is_one_node_with_its_former_name(graph):
    weride = KG["org/weride"]
    assert Literal("景驰科技", lang="zh-Hans") in set(
        graph.objects(weride, RDFS.label.__class__(str(KG) + "formerName"))
    )
    assert Literal("景驰科技", lang="zh-Hans") in set(
        graph.objects(weride, URIRef("http://www.w3.org/2004/02/skos/core#altLabel"))
    )
    assert not list(graph.subjects(RDFS.label, Literal("景驰科技", lang="zh-Hans")))


def test_every_quote_is_the_text_at_its_offsets(graph):
    # Each source's canonical text: Simplified Chinese, or English for an English source.
    texts = {
        work: str(t)
        for work in graph.subjects(RDF.type, SCHEMA.CreativeWork)
        for t in graph.objects(work, SCHEMA.text)
        if t.language in ("zh-Hans", "en")
    }
    spans = list(graph.subjects(RDF.type, OA.SpecificResource))
    assert len(spans) > 50 and len({graph.value(s, OA.hasSource) for s in spans}) > 5
    for span in spans:
        text = texts[graph.value(span, OA.hasSource)]
        selectors = list(graph.objects(span, OA.hasSelector))
        exact = next(
            graph.value(s, OA.exact) for s in selectors if graph.value(s, OA.exact) is not None
        )
        start = next(
            int(graph.value(s, OA.start)) for s in selectors if graph.value(s, OA.start) is not None
        )
        end = next(
            int(graph.value(s, OA.end)) for s in selectors if graph.value(s, OA.end) is not None
        )
        assert text[start:end] == str(exact)


def test_every_fact_has_evidence_and_english_names_their_own_source(graph):
    for statement in graph.subjects(RDF.type, RDF.Statement):
        sources = list(graph.objects(statement, PROV.wasDerivedFrom))
        method = graph.value(statement, KG.method)
        assert sources or method, statement
        if graph.value(statement, RDF.predicate) == RDFS.label:
            # English names are never attributed to the article
            assert all(not str(s).startswith(BASE + "evidence/") for s in sources)
    for kind in (SCHEMA.Person, SCHEMA.Organization):
        for node in graph.subjects(RDF.type, kind):
            langs = sorted(o.language for o in graph.objects(node, RDFS.label))
            assert langs == ["en", "zh-Hans", "zh-Hant"], node


def test_no_blank_nodes(graph):
    assert not any(isinstance(term, BNode) for triple in graph for term in triple)


def test_ontology_parses_and_declares_every_term_used(root, graph):
    ontology = Graph().parse(root / "ontology.ttl")
    declared_kinds = {RDF.Property, RDFS.Class, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}
    declared = {s for s, o in ontology.subject_objects(RDF.type) if o in declared_kinds}
    used = {p for p in graph.predicates() if p != RDF.type} | set(graph.objects(None, RDF.type))
    assert used - declared == set()
    for term in declared:
        langs = {o.language for o in ontology.objects(term, RDFS.label)}
        comment_langs = {o.language for o in ontology.objects(term, RDFS.comment)}
        assert {"en", "zh-Hans"} <= langs and {"en", "zh-Hans"} <= comment_langs, term
    for term in declared:
        if str(term).startswith(BASE) and term != KG.StockMarket:
            parents = set(ontology.objects(term, RDFS.subPropertyOf)) | set(
                ontology.objects(term, RDFS.subClassOf)
            )
            if term not in (
                KG.listingStatus,
                KG.date,
                KG.status,
                KG.measure,
                KG.period,
                KG.isForecast,
                KG.qualifier,
                KG.sha256,
            ):
                assert parents, f"{term} should link to the closest standard term"


def tampered(graph: Graph, remove=(), add=()) -> Graph:
    copy = Graph()
    for triple in graph:
        copy.add(triple)
    for triple in remove:
        copy.remove(triple)
    for triple in add:
        copy.add(triple)
    return copy


def test_shapes_catch_a_quote_that_does_not_match_its_offsets(root, graph):
    selector = next(graph.subjects(OA.exact, None))
    exact = graph.value(selector, OA.exact)
    bad = tampered(
        graph, remove=[(selector, OA.exact, exact)], add=[(selector, OA.exact, Literal("不在此处"))]
    )
    result = validate_graph(bad, root / "shapes.ttl")
    assert not result.conforms
    assert any("is not its source's text at offsets" in v for v in result.violations)


@pytest.mark.parametrize("source", ["jiemian-baidu-ai-decade", "wikipedia-en-horizon-robotics"])
def test_the_quote_check_fires_for_every_source_and_any_tag_case(root, graph, source):
    """A wrong quote is caught in a Chinese and in an English source, and still when the
    store gives the text's language tag in lower case (as Oxigraph-based engines do)."""
    work = KG[f"source/{source}"]
    span = next(s for s in graph.subjects(OA.hasSource, work))
    selector = next(x for x in graph.objects(span, OA.hasSelector) if graph.value(x, OA.exact))
    exact = graph.value(selector, OA.exact)
    text = next(t for t in graph.objects(work, SCHEMA.text) if t.language in ("zh-Hans", "en"))
    bad = tampered(
        graph,
        remove=[(selector, OA.exact, exact), (work, SCHEMA.text, text)],
        add=[
            (selector, OA.exact, Literal("不在此处 not here")),
            (work, SCHEMA.text, Literal(str(text), lang=text.language.lower())),
        ],
    )
    result = validate_graph(bad, root / "shapes.ttl")
    assert [v for v in result.violations if "is not its source's text at offsets" in v] == [
        f"{span} : the quote 不在此处 not here is not its source's text at offsets "
        f"{graph.value(next(x for x in graph.objects(span, OA.hasSelector) if graph.value(x, OA.start) is not None), OA.start)}"
        f"-{graph.value(next(x for x in graph.objects(span, OA.hasSelector) if graph.value(x, OA.end) is not None), OA.end)}"
    ]


def test_shapes_catch_a_missing_label_and_an_untyped_date(root, graph):
    lu_qi = KG["person/lu-qi"]
    membership = next(graph.subjects(ORG.role, KG["role/coo"]))
    bad = tampered(
        graph,
        remove=[
            (lu_qi, RDFS.label, Literal("陸奇", lang="zh-Hant")),
            (membership, SCHEMA.endDate, Literal("2018-05", datatype=XSD.gYearMonth)),
        ],
        add=[(membership, SCHEMA.endDate, Literal("2018-05"))],
    )
    result = validate_graph(bad, root / "shapes.ttl")
    assert not result.conforms
    text = "\n".join(result.violations)
    assert "person/lu-qi" in text and "zh-Hant" in text
    assert str(membership) in text


def test_outputs_written_and_parse_to_the_same_graph(built):
    for name in OUTPUTS:
        assert (built.out / name).stat().st_size > 0
    nt = Graph().parse(built.out / "kg.nt", format="nt")
    for name, fmt in (("kg.ttl", "turtle"), ("kg.jsonld", "json-ld")):
        assert isomorphic(nt, Graph().parse(built.out / name, format=fmt)), name
    assert isomorphic(nt, built.graph)
    lines = (built.out / "kg.nt").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)
    jsonld = json.loads((built.out / "kg.jsonld").read_text(encoding="utf-8"))
    assert isinstance(jsonld["@context"], dict)  # inline, never a remote context
    manifest = json.loads((built.out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sources"]["jiemian-baidu-ai-decade"]["sha256"].startswith("4dbeb49e")
    assert manifest["counts"]["triples"] == len(built.graph)


def test_build_is_byte_identical_under_any_hash_seed(built, tmp_path):
    outs = []
    project = built.out.parent  # the article graph's project folder (see conftest.built)
    for seed in ("1", "4242"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "kg", "build", "--root", str(project), "--out", str(out)],
            check=True,
            env=env,
            capture_output=True,
        )
        outs.append(out)
    for name in (*OUTPUTS, "manifest.json", "text/jiemian-baidu-ai-decade.zh-Hans.txt"):
        first = (outs[0] / name).read_bytes()
        assert first == (outs[1] / name).read_bytes(), name
        assert first == (built.out / name).read_bytes(), name


def test_a_failing_build_leaves_earlier_outputs_untouched(data_copy, tmp_path):
    out = tmp_path / "out"
    build(data_copy, out, validate=False)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    statements = data_copy / "data/statements/jiemian-baidu-ai-decade.yaml"
    statements.write_text(
        statements.read_text(encoding="utf-8").replace("倪凯创立禾多科技", "倪凯创立了禾多科技"),
        encoding="utf-8",
    )
    with pytest.raises(QuoteNotFoundError):
        build(data_copy, out, validate=False)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_a_shape_violation_writes_nothing(data_copy, tmp_path):
    shapes = data_copy / "shapes.ttl"
    shapes.write_text(
        shapes.read_text(encoding="utf-8").replace(
            "sh:qualifiedMinCount 1 ; sh:qualifiedMaxCount 1 ;\n"
            '        sh:message "needs exactly one rdfs:label in en"',
            'sh:qualifiedMinCount 2 ;\n        sh:message "needs two English labels"',
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    with pytest.raises(ValidationError, match=r"violates shapes\.ttl .* nothing was written"):
        build(data_copy, out)
    assert not out.exists()


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_statement_order_does_not_matter(built, seed):
    reference = (built.out / "kg.nt").read_bytes()
    rng = random.Random(seed)

    def shuffled(items):
        return rng.sample(list(items), len(items))

    data = dataclasses.replace(
        built.data,
        statements=shuffled(built.data.statements),
        memberships=shuffled(built.data.memberships),
        figures=shuffled(built.data.figures),
        events=shuffled(built.data.events),
        entities=dict(shuffled(built.data.entities.items())),
    )
    assert sorted_ntriples(build_graph(data)) == reference


@settings(max_examples=5, deadline=None)
@given(fmt=st.sampled_from(["turtle", "nt", "json-ld", "xml"]))
def test_serialize_then_parse_gives_the_same_graph(graph, fmt):
    again = Graph().parse(data=graph.serialize(format=fmt), format=fmt)
    assert to_isomorphic(graph) == to_isomorphic(again)


def test_dated_events_keep_the_articles_precision(graph):
    events = {
        str(graph.value(e, KG.date)): (
            graph.value(e, KG.date).datatype,
            sorted(str(a) for a in graph.objects(e, SCHEMA.about)),
        )
        for e in graph.subjects(RDF.type, SCHEMA.Event)
        if stated_by(graph, e)
    }
    assert events["2015-12"] == (XSD.gYearMonth, [str(KG["org/baidu"])])
    assert events["2018-01"] == (XSD.gYearMonth, [str(KG["person/robin-li"])])
    assert events["2018-05"] == (XSD.gYearMonth, [str(KG["org/baidu"]), str(KG["person/lu-qi"])])
    assert events["2016"][0] == XSD.gYear
    assert sum(stated_by(graph, e) for e in graph.subjects(RDF.type, SCHEMA.Event)) == 7
    # Apollo's launch, "在陆奇推动下", dated by the article to the year only.
    launch = KG["event/jiemian-baidu-ai-decade/apollo-launch"]
    assert graph.value(launch, KG.date) == Literal("2017", datatype=XSD.gYear)
    assert {str(a) for a in graph.objects(launch, SCHEMA.about)} == {
        str(KG[i]) for i in ("product/apollo", "person/lu-qi", "org/baidu")
    }


def test_every_kind_of_planted_violation_is_reported(root, graph):
    """One violation of each kind, planted together; the validation names every one."""
    seed = KG["source/jiemian-baidu-ai-decade"]
    lu_qi = KG["person/lu-qi"]
    hant = next(o for o in graph.objects(lu_qi, RDFS.label) if o.language == "zh-Hant")
    membership = next(graph.subjects(ORG.role, KG["role/coo"]))
    dated = next(graph.subjects(SCHEMA.startDate, None))
    start = graph.value(dated, SCHEMA.startDate)
    statement = next(
        st for st in graph.subjects(RDF.type, RDF.Statement) if graph.value(st, PROV.wasDerivedFrom)
    )
    selector = next(graph.subjects(OA.exact, None))
    bad = tampered(
        graph,
        remove=[
            (lu_qi, RDFS.label, hant),
            (membership, ORG.role, KG["role/coo"]),
            (dated, SCHEMA.startDate, start),
            *graph.triples((statement, PROV.wasDerivedFrom, None)),
            (selector, OA.exact, graph.value(selector, OA.exact)),
            (seed, KG.sha256, graph.value(seed, KG.sha256)),
        ],
        add=[
            (dated, SCHEMA.startDate, Literal(str(start))),  # no datatype
            (selector, OA.exact, Literal("不在此处")),
            (seed, KG.sha256, Literal("not-a-hash")),
        ],
    )
    result = validate_graph(bad, root / "shapes.ttl")
    found = "\n".join(result.violations)
    assert not result.conforms
    for expected in (
        f"{lu_qi} {RDFS.label}: needs exactly one rdfs:label in zh-Hant",
        f"{membership} {ORG.role}: a membership needs exactly one org:Role",
        f"{dated} {SCHEMA.startDate}:",
        f"{statement} : a statement needs prov:wasDerivedFrom",
        "the quote 不在此处 is not its source's text at offsets",
        f"{seed} {KG.sha256}:",
    ):
        assert expected in found, expected


def test_the_sparql_checks_read_the_same_on_oxigraph_and_rdflib(root, graph):
    from rdflib import Graph as G

    from kg.graph.validate import _for_all_targets, _oxigraph, _run, sparql_constraints

    selector = next(graph.subjects(OA.exact, None))
    bad = tampered(
        graph,
        remove=[(selector, OA.exact, graph.value(selector, OA.exact))],
        add=[(selector, OA.exact, Literal("不在此处"))],
    )
    constraints = sparql_constraints(G().parse(root / "shapes.ttl"))
    assert len(constraints) == 3  # the quote at its offsets, a position, a source's text
    store = _oxigraph(bad)
    for constraint in constraints:
        query = _for_all_targets(constraint)
        on_oxigraph = _run(bad, query, store)
        on_rdflib = _run(bad, query, None)
        assert on_oxigraph == on_rdflib, constraint.message
        expected = 1 if "is not its source's text" in constraint.message else 0
        assert len(on_oxigraph) == expected, constraint.message
