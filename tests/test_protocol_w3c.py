"""The W3C SPARQL 1.1 Protocol test cases that apply to a read-only query service.

Written from the descriptions in the protocol test manifest (query_get, bad_query_method,
…). Update tests expect a refusal (this endpoint is read-only by design); dataset tests
expect the served graph to be accepted and any other graph refused with 400, as a service
that does not load client-named graphs may.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.test_serve import get, request

ASK = "ASK {}"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}
GRAPH = "https://w3id.org/china-ai-kg/graph"

CASES = {
    # positive
    "query_get": (lambda s: get(s, ASK), 200),
    "query_post_form": (
        lambda s: request(s.endpoint, urlencode({"query": ASK}).encode(), FORM),
        200,
    ),
    "query_post_direct": (lambda s: request(s.endpoint, ASK.encode(), DIRECT), 200),
    "query_dataset_default_graph": (lambda s: get(s, ASK, **{"default-graph-uri": GRAPH}), 200),
    "query_content_type_select": (lambda s: get(s, "SELECT (1 AS ?x) {}"), 200),
    "query_content_type_ask": (lambda s: get(s, ASK), 200),
    "query_content_type_describe": (
        lambda s: get(s, "DESCRIBE <https://w3id.org/china-ai-kg/org/baidu>"),
        200,
    ),
    "query_content_type_construct": (
        lambda s: get(s, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"),
        200,
    ),
    # refused: client-named datasets other than the served graph
    "query_dataset_default_graphs_get": (
        lambda s: get(s, ASK, **{"default-graph-uri": "http://example.org/data1.rdf"}),
        400,
    ),
    "query_dataset_named_graphs_get": (
        lambda s: get(s, ASK, **{"named-graph-uri": "http://example.org/data2.rdf"}),
        400,
    ),
    "query_dataset_named_graphs_post": (
        lambda s: request(
            s.endpoint,
            urlencode({"query": ASK, "named-graph-uri": "http://example.org/data2.rdf"}).encode(),
            FORM,
        ),
        400,
    ),
    # negative
    "bad_query_method": (
        lambda s: request(f"{s.endpoint}?query=ASK%20%7B%7D", b"", method="PUT"),
        405,
    ),
    "bad_multiple_queries": (
        lambda s: request(f"{s.endpoint}?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D"),
        400,
    ),
    "bad_query_wrong_media_type": (
        lambda s: request(s.endpoint, ASK.encode(), {"Content-Type": "text/plain"}),
        415,
    ),
    "bad_query_missing_form_type": (
        lambda s: request(s.endpoint, b"query=ASK%20%7B%7D", {"Content-Type": ""}),
        400,
    ),
    "bad_query_missing_direct_type": (
        lambda s: request(s.endpoint, ASK.encode(), {"Content-Type": ""}),
        400,
    ),
    "bad_query_non_utf8": (lambda s: request(s.endpoint, ASK.encode("utf-16"), DIRECT), 400),
    "bad_query_syntax": (lambda s: get(s, "ASK {"), 400),
    # updates: all refused by this read-only service
    "bad_update_get": (lambda s: get(s, "CLEAR ALL"), 403),
    "update_post_form": (
        lambda s: request(s.endpoint, urlencode({"update": "CLEAR ALL"}).encode(), FORM),
        403,
    ),
    "update_post_direct": (
        lambda s: request(s.endpoint, b"CLEAR ALL", {"Content-Type": "application/sparql-update"}),
        403,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_w3c_protocol_case(server, case):
    send, expected = CASES[case]
    status, headers, body = send(server)
    assert status == expected, body
    if status == 200 and "select" in case:
        assert json.loads(body)["results"]["bindings"] == [
            {
                "x": {
                    "type": "literal",
                    "value": "1",
                    "datatype": "http://www.w3.org/2001/XMLSchema#integer",
                }
            }
        ]
    if status == 200 and ("describe" in case or "construct" in case):
        assert headers["Content-Type"].startswith("text/turtle") and body.strip()
    if status >= 400:
        assert len(body) < 500 and b"Traceback" not in body
