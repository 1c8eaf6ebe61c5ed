"""A date is cited only by the quotes that give it (kg:startDateFrom, kg:endDateFrom,
kg:dateFrom). A fact merges several sources' statements; before, `kg query departures`
cited any quote of the fact that wrote the year: a departure from Baidu was "cited" by a
sentence about leaving Google, a tenure's end by the sentence of its start."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner
from rdflib import URIRef

from kg.cli import main
from kg.project.namespaces import BASE, PREFIXES


def departures(built) -> list[dict[str, str]]:
    result = CliRunner().invoke(
        main, ["query", "departures", "--graph", str(built.out / "kg.nt"), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_a_departure_cites_only_the_quotes_of_statements_that_give_its_date(full_built):
    rows = departures(full_built)
    lou = [r for r in rows if r["personLabel"] == "Tiancheng Lou"]
    at_baidu = {r["quote"] for r in lou if r["organizationLabel"] == "Baidu"}
    assert at_baidu and not any("Alphabet" in q for q in at_baidu)  # leaving Google, 2016-01
    assert not any("加入百度" in q for q in at_baidu)  # the joining, 2016 spring
    wang = {r["quote"] for r in rows if r["personLabel"] == "Wang Jing"}
    assert not any(q.startswith("王劲于2010") for q in wang)  # joining quotes of the tenure
    # every departure still has a quote, and every quote stands for its own date
    assert all(r["quote"] and r["source"] for r in rows)


def test_the_date_links_are_part_of_the_evidence(full_built):
    from rdflib import Graph

    g = Graph()
    g.parse(full_built.out / "kg.nt", format="nt")
    derived = URIRef(PREFIXES["prov"] + "wasDerivedFrom")
    links = 0
    for name in ("startDateFrom", "endDateFrom", "dateFrom"):
        for node, span in g.subject_objects(URIRef(BASE + name)):
            links += 1
            assert (node, derived, span) in g  # a sub-property: the span is its evidence
    assert links > 100


def test_a_date_given_at_two_precisions_is_cited_by_the_quotes_that_give_the_month(full_built):
    """Sources give Yu Kai's departure as 2015 and as 2015-05: the row for 2015-05 cites only
    the statement that gives the month, not "又于2015年离职创立地平线"."""
    quotes = {
        r["quote"]
        for r in departures(full_built)
        if r["personLabel"] == "Yu Kai" and r["organizationLabel"] == "Baidu"
    }
    assert quotes and all("5月" in q or "May" in q for q in quotes), quotes
