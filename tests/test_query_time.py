"""Named queries linear in the graph's size by their plans (issue 24), checked on their text.

No timings here (``make bench-query`` prints them, with growth exponents): these tests check
the rules whose breach made a query superlinear on Oxigraph, on every named query's text as
``kg query`` sends it, and that each rule catches the trap it stands for.

- In a group, every triple pattern comes before the group's OPTIONALs and BINDs: ``timeline``'s
  figure label after eight OPTIONALs and three BINDs re-scanned every figure once per label.
- In a group, the triple patterns come before its FILTERs: a label FILTER between two label
  lookups made Oxigraph join every person label with every organisation label (``departures``,
  ``roles``: 40 s and 6 s at 100k triples for answers of 0 and 588 rows).
- A parameter naming an entity is never compared in a FILTER, only matched in a pattern (the
  query is anchored on it): ``competitors`` read every competitorOf statement and filtered.
- No ``FILTER NOT EXISTS`` that Oxigraph evaluates again, whole, for every row (over a UNION, or
  filtering on a variable bound outside it): ``who_was_at``'s took over a minute at 100k triples,
  and one comparing a statement's date with another's 90 s for 7,000 statements; a MINUS group
  or an aggregate in an OPTIONAL is one pass.
"""

from __future__ import annotations

import re

import pytest
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from kg.query.lookup import kind_of_default
from kg.query.named import bind, named_queries

NAMED = sorted(named_queries())


def _walk(node, name: str):
    """Every CompValue called *name* under *node*."""
    if isinstance(node, CompValue):
        if node.name == name:
            yield node
        for value in node.values():
            yield from _walk(value, name)
    elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
        for value in node:
            yield from _walk(value, name)


def plan_problems(text: str) -> list[str]:
    """Where a query's groups put a triple pattern after an OPTIONAL, a BIND or a FILTER."""
    problems = []
    for group in _walk(parseQuery(text), "GroupGraphPatternSub"):
        kinds = [part.name for part in group.get("part", [])]
        for i, kind in enumerate(kinds):
            if kind != "TriplesBlock":
                continue
            before = kinds[:i]
            if {"OptionalGraphPattern", "Bind"} & set(before):
                problems.append("triple patterns after an OPTIONAL or BIND: " + " ".join(kinds))
            elif "Filter" in before and "TriplesBlock" in before:
                problems.append("triple patterns after a FILTER: " + " ".join(kinds))
    return problems


def filtered_parameters(text: str, names: set[str]) -> set[str]:
    """The parameters among *names* that a FILTER selects by equality (``?a = $entity``): the
    rows are found first and filtered after. An exclusion (``?x != $a``) selects nothing."""
    found = set()
    for match in re.finditer(r"FILTER\s*\(", text):
        depth, i = 1, match.end()
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        body = text[match.end() : i]
        found |= {n for n in names if re.search(rf"(?<![!<>=])=\s*\${n}\b|\${n}\s*=(?!=)", body)}
    return found


def sent(name: str) -> str:
    """The named query as `kg query` sends it, with its defaults."""
    query = named_queries()[name]
    return bind(query.text, {}, query)


@pytest.mark.parametrize("name", NAMED)
def test_triple_patterns_come_first_in_every_group(name):
    assert plan_problems(sent(name)) == []


@pytest.mark.parametrize("name", NAMED)
def test_entity_parameters_anchor_patterns_and_are_never_filtered(name):
    query = named_queries()[name]
    entities = {n for n, (default, _) in query.params.items() if kind_of_default(default)}
    # A parameter's default in the text (the query page sends it so) is a VALUES row: a join.
    assert filtered_parameters(query.text, entities) == set()
    for param in entities:
        assert re.search(rf"\${param}\s+[\w:|^/]+\s|\s\${param}\s*[.;]", query.text), param


def _blocks(text: str, opening: str):
    """The text inside each ``opening {…}`` of *text*."""
    for match in re.finditer(opening, text):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        yield text[match.end() : i - 1]


def _parenthesised(text: str, opening: str):
    """The text inside each ``opening (…)`` of *text*."""
    for match in re.finditer(opening, text):
        depth, i = 1, match.end()
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        yield text[match.end() : i - 1]


def not_exists_problems(text: str) -> list[str]:
    """``FILTER NOT EXISTS`` groups that Oxigraph evaluates again, whole, for every row: over a
    UNION, or with a FILTER on a variable that only the row outside binds."""
    problems = []
    for inner in _blocks(text, r"\bNOT\s+EXISTS\s*\{"):
        if "UNION" in inner:
            problems.append("NOT EXISTS over a UNION: " + " ".join(inner.split())[:80])
        filters = list(_parenthesised(inner, r"FILTER\s*\("))
        patterns = inner
        for expression in filters:
            patterns = patterns.replace(expression, " ")
        in_filters = set(re.findall(r"\?(\w+)", inner)) - set(re.findall(r"\?(\w+)", patterns))
        if in_filters:
            problems.append(f"NOT EXISTS filtering on ?{sorted(in_filters)[0]} from outside it")
    return problems


@pytest.mark.parametrize("name", NAMED)
def test_no_not_exists_is_evaluated_again_for_every_row(name):
    assert not_exists_problems(sent(name)) == []


def test_the_rules_catch_the_traps_they_stand_for():
    head = "PREFIX kg: <https://w3id.org/china-ai-kg/> PREFIX schema: <https://schema.org/> "
    head += "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    # timeline before issue 24: the figure's label after its OPTIONALs and BINDs
    figure = head + (
        "SELECT * WHERE { ?f a kg:Figure ; schema:about ?s . OPTIONAL { ?f kg:date ?d } "
        "BIND (?d AS ?when) ?s rdfs:label ?l }"
    )
    assert plan_problems(figure) and "OPTIONAL or BIND" in plan_problems(figure)[0]
    # departures and roles before: a label FILTER between two label lookups
    labels = head + (
        "SELECT * WHERE { ?m schema:member ?p ; schema:memberOf ?o . ?p rdfs:label ?pl . "
        'FILTER (lang(?pl) = "en") ?o rdfs:label ?ol . FILTER (lang(?ol) = "en") }'
    )
    assert "after a FILTER" in plan_problems(labels)[0]
    fixed = head + (
        "SELECT * WHERE { ?m schema:member ?p ; schema:memberOf ?o . ?p rdfs:label ?pl . "
        '?o rdfs:label ?ol . FILTER (lang(?pl) = "en" && lang(?ol) = "en") }'
    )
    assert plan_problems(fixed) == []
    # competitors before: the entity compared in a FILTER over every competitorOf statement
    competitors = "?st rdf:subject ?a . FILTER ((?a = $entity && ?b = ?c) || ?b = $entity)"
    assert filtered_parameters(competitors, {"entity"}) == {"entity"}
    assert filtered_parameters("?st rdf:subject $entity . FILTER (?x = 1)", {"entity"}) == set()
    assert filtered_parameters("FILTER (?middle != $a)", {"a"}) == set()
    # who_was_at and departures before: NOT EXISTS over a UNION, or comparing an outer date
    union = "FILTER NOT EXISTS { { ?s a ?t } UNION { ?s ?p ?o } ?s ?q ?d . FILTER (?d > 1) }"
    assert not_exists_problems(union) == [
        "NOT EXISTS over a UNION: { ?s a ?t } UNION { ?s ?p ?o } ?s ?q ?d . FILTER (?d > 1)"
    ]
    outer = "?st kg:date ?end FILTER (?x || NOT EXISTS { ?st kg:from ?o . FILTER (?o < ?end) })"
    assert not_exists_problems(outer) == ["NOT EXISTS filtering on ?end from outside it"]
    assert not_exists_problems("FILTER NOT EXISTS { ?e a schema:Event }") == []
