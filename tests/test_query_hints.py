"""Queries that find nothing for a known reason say so: `kg query`, `kg serve` and notebook 02.

The two mistakes (issue 23): the namespace http://schema.org/ (the graph's is https://), and
``lang(?x) = "zh-Hans"``, which never matches on Oxigraph, as it stores tags in lower case.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import nbclient
import nbformat
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.query.hints import query_warnings
from tests.test_serve_page import open_page, set_query, wait_for_answer

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "02_sparql_tour.ipynb"
LU_QI = "<https://w3id.org/china-ai-kg/person/lu-qi>"


def kg_query(built, text: str):
    """`kg query TEXT --format csv` on the article graph: (data rows, warning lines)."""
    result = CliRunner().invoke(
        main, ["query", text, "--graph", str(built.out / "kg.nt"), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    return result.stdout.splitlines()[1:], warnings


def label_query(condition: str) -> str:
    return f"SELECT ?name WHERE {{ {LU_QI} rdfs:label ?name FILTER({condition}) }}"


def test_kg_query_warns_of_a_language_tag_in_capitals_and_not_of_the_right_forms(built):
    found, warnings = kg_query(built, label_query('lang(?name) = "zh-Hans"'))
    assert found == []  # Oxigraph's tag is zh-hans: nothing matches, hence the hint
    assert len(warnings) == 1
    assert 'lang(?name) = "zh-Hans"' in warnings[0]
    assert "lower case" in warnings[0]
    assert 'langMatches(lang(?name), "zh-Hans")' in warnings[0]
    assert 'lang(?name) = "zh-hans"' in warnings[0]
    # The other side, != and IN are read too; each tag once.
    _, warnings = kg_query(built, label_query('"EN" != lang(?name) && lang(?name) != "EN"'))
    assert len(warnings) == 1 and '!langMatches(lang(?name), "EN")' in warnings[0]
    _, warnings = kg_query(built, label_query('lang(?name) IN ("zh-Hant", "en")'))
    assert len(warnings) == 1 and 'langMatches(lang(?name), "zh-Hant")' in warnings[0]
    for right, expected in [
        ('langMatches(lang(?name), "zh-Hans")', ["陆奇"]),
        ('lang(?name) = "zh-hans"', ["陆奇"]),
        ('lang(?name) = "en"', ["Qi Lu"]),
        ('langMatches(LANG(?name), "EN")', ["Qi Lu"]),
    ]:
        found, warnings = kg_query(built, label_query(right) + ' # lang(?name) = "EN"')
        assert (found, warnings) == (expected, []), right


def test_kg_query_warns_of_http_schema_org_as_a_prefix_or_an_iri(built):
    found, warnings = kg_query(
        built, "PREFIX s: <http://schema.org/>\nSELECT ?p WHERE { ?p a s:Person ; s:name ?n }"
    )
    assert found == []
    assert len(warnings) == 1
    assert "http://schema.org/" in warnings[0] and "s:Person, s:name" in warnings[0]
    assert "PREFIX s: <https://schema.org/>" in warnings[0]
    found, warnings = kg_query(built, "SELECT ?p WHERE { ?p a <http://schema.org/Person> }")
    assert found == []
    assert len(warnings) == 1
    assert "<http://schema.org/Person>" in warnings[0]
    assert "<https://schema.org/Person>" in warnings[0]
    for right in [
        "SELECT ?p WHERE { ?p a <https://schema.org/Person> }",
        "PREFIX s: <https://schema.org/>\nSELECT ?p WHERE { ?p a s:Person }",
        'SELECT ?p WHERE { ?p a schema:Person FILTER(STR(?p) != "http://schema.org/") }',
    ]:
        found, warnings = kg_query(built, right)
        assert found and warnings == [], right


def test_an_unknown_term_is_still_warned_of_with_the_others(built):
    _, warnings = kg_query(
        built, 'SELECT ?p WHERE { ?p schema:foundr ?o ; rdfs:label ?l FILTER(lang(?l) = "EN") }'
    )
    assert len(warnings) == 2
    assert warnings[0].endswith("not declare (a typo?): schema:foundr")
    assert "langMatches" in warnings[1]


def sparql_get(server, query: str):
    with urlopen(f"{server.endpoint}?{urlencode({'query': query})}", timeout=30) as answer:
        return json.loads(answer.read()), answer.headers.get("X-KG-Warnings")


def test_the_endpoint_sends_the_hints_with_the_answer(server):
    data, header = sparql_get(server, label_query('lang(?name) = "zh-Hans"'))
    assert data["results"]["bindings"] == []
    assert header is not None and header.isascii()
    (hint,) = json.loads(header)
    assert 'langMatches(lang(?name), "zh-Hans")' in hint
    data, header = sparql_get(server, "SELECT ?p WHERE { ?p a <http://schema.org/Person> }")
    assert data["results"]["bindings"] == []
    assert "<https://schema.org/Person>" in json.loads(header)[0]
    data, header = sparql_get(server, label_query('langMatches(lang(?name), "zh-Hans")'))
    assert [b["name"]["value"] for b in data["results"]["bindings"]] == ["陆奇"]
    assert header is None


def test_the_query_page_shows_the_hint_beside_no_results(chromium, server):
    context, page, seen = open_page(chromium, server)
    try:
        set_query(page, label_query('lang(?name) = "zh-Hans"'))
        page.click("#run")
        wait_for_answer(page)
        shown = page.text_content("#status")
        assert shown.startswith("0 results in ")
        assert 'Warning: lang(?name) = "zh-Hans"' in shown
        assert 'langMatches(lang(?name), "zh-Hans")' in shown
        set_query(page, label_query('langMatches(lang(?name), "zh-Hans")'))
        page.click("#run")
        page.wait_for_function(
            "() => /^1 result /.test(document.querySelector('#status').textContent)"
        )
        assert "Warning" not in page.text_content("#status")
        assert not seen["errors"]
    finally:
        context.close()


def _queries(nb) -> list[str]:
    """The SPARQL text of each sparql('''…''') call of the notebook, in order."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return re.findall(r"sparql\('''(.*?)'''", code, re.DOTALL)


def test_the_notebooks_first_query_teaches_langmatches_and_finds_people():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    queries = _queries(nb)
    assert 'langMatches(lang(?zh), "zh-Hans")' in queries[0]
    assert not re.search(r"\blang\(\?\w+\)\s*=", queries[0])
    for query in queries:  # no query of the tour teaches a form the tools warn of
        assert query_warnings(query) == [], query
    # Its first query, run from a clean kernel, finds people, with no warning printed.
    first = next(
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "sparql('''" in c.source
    )
    setup = next(c for c in nb.cells if c.cell_type == "code")
    run = nbformat.v4.new_notebook(metadata=nb.metadata)
    run.cells = [
        nbformat.v4.new_code_cell(setup.source),
        nbformat.v4.new_code_cell(nb.cells[first].source),
    ]
    nbclient.NotebookClient(
        run,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    out = run.cells[1].outputs
    assert not [o for o in out if o.output_type == "stream"]  # no Warning: line
    html = next(o for o in out if "text/html" in o.get("data", {}))["data"]["text/html"]
    assert html.count("person/") >= 5 and "吴恩达" in html and "Andrew Ng" in html
    saved = "".join(o["data"]["text/html"] for o in nb.cells[first].outputs if "data" in o)
    assert saved.count("<tr>") == html.count("<tr>")  # the saved output is this query's


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * { ?x rdfs:label ?l FILTER(langMatches(lang(?l), "zh-Hans")) }',
        'SELECT * { ?x rdfs:label ?l FILTER(lang(?l) = ?tag) } # lang(?l) = "EN"',
        'SELECT * { ?x rdfs:label "lang(?l) = \\"EN\\"" }',
        "SELECT * { ?x schema:founder ?n }",
    ],
)
def test_the_right_forms_raise_no_hint(query):
    assert query_warnings(query) == []
    assert query_warnings(query.replace("?l)", "?l) ", 1)) == []


def test_a_hostile_query_of_nested_and_open_calls_gets_a_short_hint():
    """The attack: 20,000 nested lang( calls (and as many left open) made the checker join
    each call's whole inside and search each one's closing parenthesis from its place, which
    was quadratic; a warning now writes out a few tokens of a call, and parentheses are
    matched in one pass."""
    n = 20_000
    nested = query_warnings("lang(" * n + ")" * n + ' = "EN"', ontology=Path("/nonexistent"))
    assert len(nested) == 1 and "lang(lang ( lang" in nested[0] and " …)" in nested[0]
    assert len(nested[0]) < 1000
    unclosed = query_warnings('FILTER(lang(?x) = "EN") ' + "lang(" * n, Path("/nonexistent"))
    assert len(unclosed) == 1 and 'lang(?x) = "EN"' in unclosed[0]
