"""`kg serve` tested as a client sees it: a real server process on loopback."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from SPARQLWrapper import CSV, JSON, N3, TSV, TURTLE, XML, SPARQLWrapper

from tests.conftest import Server, founded

FOUNDERS = """SELECT ?company ?founder WHERE { ?company schema:founder ?founder }"""
PREFIXES = "PREFIX schema: <https://schema.org/>\n"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def request(url, data=None, headers=None, method=None):
    """(status, headers, body) without raising on 4xx/5xx."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def get(server, query, **params):
    return request(f"{server.endpoint}?{urlencode({'query': query, **params})}")


def count(server) -> int:
    status, _, body = get(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert status == 200
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


# --- a real SPARQL client ------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_in_every_format(server, method):
    client = SPARQLWrapper(server.endpoint)
    client.setMethod(method)
    client.setQuery(PREFIXES + FOUNDERS)
    client.setReturnFormat(JSON)
    data = client.query().convert()
    assert len(data["results"]["bindings"]) == founded()
    client.setReturnFormat(XML)
    xml = client.query().convert()
    assert len(xml.getElementsByTagName("result")) == founded()
    client.setReturnFormat(CSV)
    assert client.query().convert().decode().splitlines()[0] == "company,founder"
    client.setReturnFormat(TSV)
    tsv = client.query().convert().decode().splitlines()
    assert tsv[0] == "?company\t?founder" and len(tsv) == founded() + 1
    assert tsv[1].startswith("<https://w3id.org/china-ai-kg/org/")


def test_sparqlwrapper_ask_and_construct(server):
    client = SPARQLWrapper(server.endpoint)
    client.setQuery(
        PREFIXES + "ASK { ?o schema:founder <https://w3id.org/china-ai-kg/person/yu-kai> }"
    )
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True
    client.setQuery(PREFIXES + "CONSTRUCT { ?o schema:founder ?p } WHERE { ?o schema:founder ?p }")
    client.setReturnFormat(TURTLE)
    turtle = client.query().convert()
    from rdflib import Graph

    assert len(Graph().parse(data=turtle, format="turtle")) == founded()
    client.setReturnFormat(N3)
    assert len(Graph().parse(data=client.query().convert(), format="turtle")) == founded()
    client.setReturnFormat(XML)
    assert (
        len(client.query().convert()) == founded()
    )  # RDF/XML, parsed by SPARQLWrapper into a Graph


def test_construct_as_ntriples_and_jsonld(server):
    query = PREFIXES + "CONSTRUCT { ?o schema:founder ?p } WHERE { ?o schema:founder ?p }"
    status, headers, body = get(server, query, format="nt")
    assert status == 200 and headers["Content-Type"] == "application/n-triples"
    assert len(body.decode().splitlines()) == founded()
    status, headers, body = request(
        f"{server.endpoint}?{urlencode({'query': query})}",
        headers={"Accept": "application/ld+json"},
    )
    assert status == 200 and headers["Content-Type"] == "application/ld+json"
    assert json.loads(body)


# --- the protocol -------------------------------------------------------------------------


def test_query_by_get_post_form_and_post_direct(server):
    query = PREFIXES + FOUNDERS
    answers = [
        get(server, query),
        request(
            server.endpoint,
            urlencode({"query": query}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        request(server.endpoint, query.encode(), {"Content-Type": "application/sparql-query"}),
    ]
    for status, headers, body in answers:
        assert status == 200
        assert headers["Content-Type"] == "application/sparql-results+json"
        assert len(json.loads(body)["results"]["bindings"]) == founded()


def test_content_negotiation(server):
    query = PREFIXES + FOUNDERS
    url = f"{server.endpoint}?{urlencode({'query': query})}"
    for accept, media in [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv; charset=utf-8"),
        ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
        (
            "text/html;q=0.9, application/sparql-results+json;q=0.8",
            "application/sparql-results+json",
        ),
        ("*/*", "application/sparql-results+json"),
    ]:
        status, headers, _ = request(url, headers={"Accept": accept})
        assert (status, headers["Content-Type"]) == (200, media), accept
    status, _, body = request(url, headers={"Accept": "image/png"})
    assert status == 406 and b"cannot answer" in body


def test_service_description_at_the_endpoint(server):
    status, headers, body = request(server.endpoint)
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF

    graph = Graph().parse(data=body, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (URIRef(server.endpoint), RDF.type, URIRef(sd + "Service")) in graph


def test_dataset_parameters(server):
    query = "ASK { ?s ?p ?o }"
    assert (
        get(server, query, **{"default-graph-uri": "https://w3id.org/china-ai-kg/graph"})[0] == 200
    )
    status, _, body = get(server, query, **{"default-graph-uri": "http://example.org/other"})
    assert status == 400 and b"serves one graph" in body
    assert get(server, query, **{"named-graph-uri": "http://example.org/g"})[0] == 400


# --- safe by default -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "send",
    [
        lambda s: get(s, "INSERT DATA { <urn:a> <urn:b> <urn:c> }"),
        lambda s: get(s, "DROP ALL"),
        lambda s: get(s, "LOAD <http://127.0.0.1:9/x.ttl>"),
        lambda s: request(
            s.endpoint,
            urlencode({"update": "CLEAR DEFAULT"}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        lambda s: request(
            s.endpoint, b"DELETE WHERE { ?s ?p ?o }", {"Content-Type": "application/sparql-update"}
        ),
        lambda s: request(
            s.endpoint, b"DELETE WHERE { ?s ?p ?o }", {"Content-Type": "application/sparql-query"}
        ),
    ],
    ids=[
        "insert-get",
        "drop-get",
        "load-get",
        "clear-form",
        "delete-update-type",
        "delete-query-type",
    ],
)
def test_updates_are_refused_and_nothing_changes(server, send):
    before = count(server)
    status, _, body = send(server)
    assert 400 <= status < 500
    assert b"read-only" in body or b"malformed" in body
    assert count(server) == before


def test_no_outbound_requests_and_no_file_reads(server, canary):
    url, hits = canary
    refused = [  # refused by name ("… is not allowed")
        f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?x ?y ?z . SERVICE SILENT <{url}/s> {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{url}/data.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{url}/g.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        f"ASK {{ {{ SELECT * WHERE {{ SERVICE <{url}/nested> {{ ?s ?p ?o }} }} }} }}",
        f"PREFIX : <{url}/> SELECT * WHERE {{ SERVICE:viaserver {{ ?x ?y ?z }} }}",
        f"PREFIX : <{url}/> ASK {{ FILTER EXISTS {{ service:sub {{ ?x ?y ?z }} }} }}",
    ]
    # Oxigraph reads SERVICE and FROM even with a name or an IRI glued to them; rdflib's
    # full parse does not accept these at all, so they are refused as malformed.
    glued = [
        f"PREFIX c: <{url}/> SELECT * WHERE {{ SERVICEc:p3 {{ ?x ?y ?z }} }}",
        f"SELECT * WHERE {{ SERVICESILENT<{url}/p2>{{ ?x ?y ?z }} }}",
        "SELECT (COUNT(*) AS ?n) FROMkg:nothing WHERE { ?s ?p ?o }",
        f"SELECT * FROMNAMED<{url}/n> WHERE {{ ?s ?p ?o }}",
        "SELECT * WHERE { SERV\\u0049CE:x { ?s ?p ?o } }",
    ]
    for query in refused + glued:
        status, _, body = get(server, query)
        assert status == 400, (query, body)
        assert query in glued or b"not allowed" in body, (query, body)
    time.sleep(0.2)
    assert hits == []


def test_a_runaway_query_is_stopped_while_others_are_answered(server):
    """Checked by order of events, not by timing: the cheap answers arrive while the
    runaway query is still running, and the runaway one ends in the time-limit 503."""
    before = count(server)
    result = {}
    running = threading.Event()

    def runaway():
        running.set()
        result["answer"] = get(server, RUNAWAY)

    thread = threading.Thread(target=runaway)
    thread.start()
    running.wait()
    time.sleep(0.3)  # let it reach a worker
    cheap = []
    for _ in range(5):
        status, _, _ = get(server, "ASK { ?s ?p ?o }")
        cheap.append((status, thread.is_alive()))
    thread.join(60)
    status, _, body = result["answer"]
    assert status == 503 and b"time limit" in body
    assert cheap == [(200, True)] * 5  # answered while the runaway query still ran
    assert count(server) == before  # and the server answers the same afterwards


def ask_from(server, address: str, query: str = "ASK { ?s ?p ?o }") -> tuple[int, dict, bytes]:
    """A query sent from a given loopback address (another client, as the server sees it)."""
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(server.endpoint)
    conn = http.client.HTTPConnection(
        url.hostname, url.port, timeout=30, source_address=(address, 0)
    )
    try:
        conn.request("GET", f"{url.path}?{urlencode({'query': query})}")
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_one_client_cannot_hold_every_worker(server):
    """The server has 3 workers, so one client address may run 2 queries at once: a
    third gets 429 at once, while another client is still answered. Checked by order of
    events: both runaway queries are still running when the others are answered."""
    answers = []

    def runaway():
        answers.append(ask_from(server, "127.0.0.1", RUNAWAY))

    threads = [threading.Thread(target=runaway) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # let both reach the server (they run until the 2 s time limit)
    same = ask_from(server, "127.0.0.1")
    other = ask_from(server, "127.0.0.2")  # another client, as the server sees it
    alive = [thread.is_alive() for thread in threads]
    for thread in threads:
        thread.join(60)
    assert alive == [True, True]
    status, headers, body = same
    assert status == 429, body
    assert headers["Retry-After"] == "1" and b"already has 2 queries running" in body
    assert other[0] == 200
    assert [a[0] for a in answers] == [503, 503]  # both stopped by the time limit
    assert ask_from(server, "127.0.0.1")[0] == 200  # and the client may query again


def test_client_counts_release_and_zero_means_no_limit():
    from kg.serve import Clients as _Clients

    two = _Clients(2)
    assert two.enter("a") and two.enter("a") and not two.enter("a") and two.enter("b")
    two.leave("a")
    assert two.enter("a") and not two.enter("a")
    for _ in range(3):
        two.leave("a")
    assert "a" not in two.running  # counts never go below zero or linger
    unlimited = _Clients(0)
    assert all(unlimited.enter("a") for _ in range(100))


def test_row_cap_truncates_with_a_signal(server):
    status, headers, body = get(server, "SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    data = json.loads(body)
    assert status == 200
    assert len(data["results"]["bindings"]) == 100
    assert headers["X-KG-Truncated"] == "true; max-rows=100"
    assert data["head"]["link"] == ["urn:kg:truncated:100"]
    status, headers, _ = get(server, PREFIXES + FOUNDERS)
    assert "X-KG-Truncated" not in headers


@pytest.mark.parametrize(
    ("send", "status", "text"),
    [
        (lambda s: request(s.endpoint, b"", method="PUT"), 405, b"not allowed"),
        (lambda s: request(s.endpoint, method="DELETE"), 405, b"not allowed"),
        (
            lambda s: request(s.endpoint, b"ASK {}", {"Content-Type": "text/plain"}),
            415,
            b"unsupported media type",
        ),
        (
            lambda s: request(s.endpoint, b"query=ASK%7B%7D", {"Content-Type": ""}),
            400,
            b"Content-Type",
        ),
        (
            lambda s: request(f"{s.endpoint}?query=ASK%7B%7D&query=ASK%7B%7D"),
            400,
            b"exactly one query",
        ),
        (lambda s: request(f"{s.endpoint}?query=ASK%7B%FF%7D"), 400, b"UTF-8"),
        (
            lambda s: request(
                s.endpoint, b"ASK { \xff }", {"Content-Type": "application/sparql-query"}
            ),
            400,
            b"UTF-8",
        ),
        (
            lambda s: request(
                s.endpoint,
                b"query=ASK%7B%FF%7D",
                {"Content-Type": "application/x-www-form-urlencoded"},
            ),
            400,
            b"UTF-8",
        ),
        (lambda s: get(s, "SELECT ?x WHERE { ?x ?y }"), 400, b"malformed query: line 1, column"),
        (lambda s: get(s, "SELEKT * WHERE { ?s ?p ?o }"), 400, b"malformed query"),
        (
            lambda s: request(
                s.endpoint, b"", {"Content-Type": "application/x-www-form-urlencoded"}
            ),
            400,
            b"no query",
        ),
        (lambda s: request(f"{s.base}/nowhere"), 404, b"not found"),
    ],
    ids=[
        "put",
        "delete",
        "wrong-media-type",
        "missing-media-type",
        "two-queries",
        "non-utf8-url",
        "non-utf8-body",
        "non-utf8-form",
        "syntax-error",
        "not-sparql",
        "empty-form",
        "unknown-path",
    ],
)
def test_malformed_requests_get_a_short_4xx(server, send, status, text):
    got, _, body = send(server)
    assert got == status
    assert text in body
    assert b"Traceback" not in body and b"/work" not in body and b".py" not in body
    assert len(body) < 500


def test_cors_only_for_configured_origins(server):
    url = f"{server.endpoint}?{urlencode({'query': 'ASK {}'})}"
    _, headers, _ = request(url, headers={"Origin": "http://evil.test"})
    assert "Access-Control-Allow-Origin" not in headers
    _, headers, _ = request(url, headers={"Origin": "http://allowed.test"})
    assert headers["Access-Control-Allow-Origin"] == "http://allowed.test"


def test_query_page_is_self_contained_and_lists_named_queries(server):
    status, headers, body = request(server.base + "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    page = body.decode()
    # Scripts and styles come from the server itself (/static/), never from elsewhere.
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    scripts = [request(server.base + s)[2].decode() for s in sources if s.endswith("kg.js")]
    assert scripts and "textContent" in scripts[0] and "innerHTML" not in scripts[0]
    status, _, body = request(server.base + "/queries")
    names = {q["name"] for q in json.loads(body)}
    assert {"alumni_founders", "evidence", "find_entity"} <= names


def test_server_refuses_to_start_without_a_graph(tmp_path):
    with pytest.raises(RuntimeError, match="no such graph file"):
        Server(tmp_path / "missing.nt")


def test_help_says_it_binds_loopback():
    from click.testing import CliRunner

    from kg.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert "loopback (127.0.0.1)" in " ".join(result.output.split())


def test_graph_page_is_served_once_written(server, built):
    from kg.viz.page import write_html

    page = built.out / "graph.html"
    page.unlink(missing_ok=True)
    status, _, body = request(server.base + "/graph")
    assert status == 404 and b"kg viz" in body
    write_html(built.out / "kg.nt", page)
    status, headers, body = request(server.base + "/graph")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert body == page.read_bytes()
    written = body
    write_html(built.out / "kg.nt", page, lang="en")  # rewritten: served as it is now
    assert request(server.base + "/graph")[2] == page.read_bytes() != written
    write_html(built.out / "kg.nt", page)
    assert request(server.base + "/graph")[2] == written


def test_query_workers_have_no_network():
    """The second line of defence: a worker cannot open any connection, not even to loopback."""
    import subprocess
    import sys

    code = (
        "import socket; from kg.serve import isolate_network; assert isolate_network(); "
        "socket.create_connection(('127.0.0.1', 9), timeout=2)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "Network is unreachable" in result.stderr


@pytest.mark.parametrize(
    ("send", "status", "text"),
    [
        (
            lambda s: request(
                s.endpoint,
                b"ASK {}",
                {"Content-Type": "application/sparql-query", "Content-Length": "-1"},
            ),
            400,
            b"Content-Length",
        ),
        (lambda s: get(s, "# only a comment"), 400, b"empty"),
        (lambda s: get(s, ""), 400, b"empty"),
        (lambda s: request(s.endpoint, method="TRACE"), 405, b"not allowed"),
        (lambda s: get(s, "SELECT * WHERE { ?s ?p ?o } LIMIT 1 # \\U00110000"), 400, b"escape"),
        (
            lambda s: get(
                s,
                'CONSTRUCT { <http://a/s> <http://example.org/p/> "x" } WHERE {}',
                format="rdfxml",
            ),
            406,
            b"cannot be written",
        ),
    ],
    ids=["negative-length", "comment-only", "empty", "trace", "bad-escape", "rdfxml-unwritable"],
)
def test_odd_requests_get_a_short_4xx(server, send, status, text):
    got, headers, body = send(server)
    assert (got, text in body) == (status, True), body
    assert headers.get("Content-Type", "").startswith("text/plain")


def test_errors_close_the_connection_and_the_host_header_is_not_echoed(server):
    import http.client

    netloc = server.base.removeprefix("http://")
    conn = http.client.HTTPConnection(netloc, timeout=10)
    conn.request("POST", "/sparql", body=b"ASK {}", headers={"Content-Type": "text/plain"})
    response = conn.getresponse()
    response.read()
    assert response.status == 415 and response.getheader("Connection") == "close"
    status, _, body = request(
        server.endpoint, headers={"Host": 'a> . <http://evil/x> <http://evil/p> "pwn" . <http://b'}
    )
    assert status == 200 and b"evil" not in body
