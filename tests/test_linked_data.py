"""Linked Data from a real `kg serve`: every IRI at its path by content negotiation, the w3id
redirect the docs give, the ontology, and the VoID/DCAT description at /.well-known/void."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import to_isomorphic
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID

from kg.serve.linked import HTML_OFFERS, RDF_OFFERS, negotiate
from tests.conftest import Server

ROOT = Path(__file__).resolve().parent.parent
KG = Namespace("https://w3id.org/china-ai-kg/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
OA = Namespace("http://www.w3.org/ns/oa#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SCHEMA = Namespace("https://schema.org/")
#: What Firefox and Chromium send for a page (Accept of a top-level navigation).
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FORMATS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld"}


@pytest.fixture(scope="module")
def ld(built):
    """`kg serve` on the project's build, with the default row cap (whole documents)."""
    running = Server(built.out / "kg.nt", "--workers", "2", "--cors-origin", "http://allowed.test")
    yield running
    running.stop()


def fetch(server, path, accept=None, method="GET", **headers):
    """(status, headers with lower-case names, body), never following a redirect."""
    url = urlsplit(server.base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    if accept is not None:
        headers["Accept"] = accept
    try:
        conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def stored(triples) -> set:
    """Triples compared as the store gives them back: Oxigraph (0.5) keeps numbers by value
    (an xsd:nonNegativeInteger such as a selector's oa:start comes back an xsd:integer,
    ``20000.0`` a ``20000``), so numbers are compared by their value."""
    out = set()
    for s, p, o in triples:
        if isinstance(o, Literal) and isinstance(o.toPython(), (int, float, Decimal)):
            o = ("number", float(o.toPython()))
        out.add((s, p, o))
    return out


def parse(body: bytes, media: str) -> Graph:
    return Graph().parse(data=body, format=FORMATS[media.split(";")[0]])


# --- content negotiation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (BROWSER, "text/html"),
        ("", "text/turtle"),
        ("*/*", "text/turtle"),
        ("text/*", "text/turtle"),
        ("application/*", "application/ld+json"),
        ("text/html;q=0.1, text/turtle;q=0.9", "text/turtle"),
        ("application/ld+json;q=0.5, application/n-triples", "application/n-triples"),
        ("text/turtle;q=0, */*", "application/ld+json"),  # q=0: not acceptable
        ("text/*;q=0.1, text/html", "text/html"),  # the most specific range wins
        ("text/html;q=0.2, */*;q=0.8", "text/turtle"),
        ("TEXT/TURTLE;Q=0.5, application/json;q=0.4", "text/turtle"),
        ("text/turtle;charset=utf-8;q=0.3, application/n-triples;q=0.2", "text/turtle"),
        ("text/turtle;q=2, application/n-triples;q=0.1", "application/n-triples"),  # q>1: invalid
        ("image/png", None),
        ("text/turtle;q=0", None),
        ("application/rdf+xml, text/html;q=0", None),
    ],
)
def test_negotiation_reads_q_values_as_rfc_9110_says(accept, chosen):
    assert negotiate(accept, RDF_OFFERS + HTML_OFFERS) == chosen


@pytest.mark.parametrize("path", ["/person/lu-qi", "/org/baidu"])
@pytest.mark.parametrize("media", list(FORMATS))
def test_an_entity_in_each_rdf_format_holds_its_triples_and_facts_with_evidence(
    ld, built, path, media
):
    status, headers, body = fetch(ld, path, media)
    assert status == 200, body
    assert headers["content-type"].split(";")[0] == media
    assert "Accept" in headers["vary"]
    ext = {"text/turtle": "ttl", "application/n-triples": "nt", "application/ld+json": "jsonld"}
    assert headers["content-location"] == f"{ld.base}{path}.{ext[media]}"
    assert f"<{ld.base}{path}.jsonld>" in headers["link"]
    doc = parse(body, media)
    entity = KG[path[1:]]
    # every triple of the built graph about the entity, and every triple pointing at it
    own = stored(built.graph.triples((entity, None, None)))
    inbound = stored(built.graph.triples((None, None, entity)))
    assert own and own <= stored(doc) and inbound <= stored(doc)
    # every statement about it (as subject or object), with its evidence and quote
    statements = {s for s, _, _ in inbound if (s, RDF.type, RDF.Statement) in built.graph}
    assert statements
    quotes = 0
    for statement in statements:
        assert stored(built.graph.triples((statement, None, None))) <= stored(doc)
        for evidence in built.graph.objects(statement, PROV.wasDerivedFrom):
            if (evidence, RDF.type, OA.SpecificResource) not in built.graph:
                continue  # a cited source's URL
            assert stored(built.graph.triples((evidence, None, None))) <= stored(doc)
            for selector in built.graph.objects(evidence, OA.hasSelector):
                assert stored(built.graph.triples((selector, None, None))) <= stored(doc)
                quotes += (selector, OA.exact, None) in doc
    assert quotes  # at least one quote travels with the facts
    # no source's whole text in an entity's document
    assert not list(doc.triples((None, SCHEMA.text, None)))
    assert "X-KG-Truncated".lower() not in headers


def test_the_three_formats_and_the_suffixed_urls_say_the_same(ld):
    graphs = []
    for media in FORMATS:
        graphs.append(parse(fetch(ld, "/person/lu-qi", media)[2], media))
    for ext, media in (
        ("ttl", "text/turtle"),
        ("nt", "application/n-triples"),
        ("jsonld", "application/ld+json"),
    ):
        status, headers, body = fetch(ld, f"/person/lu-qi.{ext}", "text/html")  # Accept ignored
        assert status == 200 and headers["content-type"].split(";")[0] == media
        assert "content-location" not in headers
        graphs.append(parse(body, media))
    first = to_isomorphic(graphs[0])
    assert all(to_isomorphic(g) == first for g in graphs[1:])
    assert '"陆奇"@zh-Hans' in fetch(ld, "/person/lu-qi.nt")[2].decode()  # canonical case


def test_a_browser_is_sent_to_the_entity_page(ld):
    status, headers, _ = fetch(ld, "/person/lu-qi", BROWSER)
    assert status == 303
    assert headers["location"] == f"{ld.base}/entity?id=person/lu-qi"
    assert "Accept" in headers["vary"]
    status, headers, body = fetch(ld, "/entity?id=person/lu-qi", BROWSER)
    assert status == 200 and b'src="/static/entity.js"' in body
    # an event's page too; nodes without a page are given as RDF even to a browser
    event = "/event/jiemian-baidu-ai-decade/lu-qi-steps-down"
    assert fetch(ld, event, BROWSER)[1]["location"].endswith("/entity?id=" + event[1:])
    status, headers, _ = fetch(ld, "/membership/2c97e6da923977ed", BROWSER)
    assert status == 200 and headers["content-type"].startswith("text/turtle")


def test_unsupported_types_get_406_and_unknown_iris_404(ld):
    status, headers, body = fetch(ld, "/org/baidu", "image/png")
    assert status == 406 and "Accept" in headers["vary"]
    assert b"text/turtle" in body and len(body) < 400
    for path in ("/person/nobody", "/org/baidu-nope.ttl", "/person/..", "/statement/0000"):
        status, headers, body = fetch(ld, path, "text/turtle")
        assert status == 404, path
        assert headers["content-type"].startswith("text/plain") and len(body) < 200
    assert fetch(ld, "/person/nobody")[2] == b"no person/nobody in this graph\n"


def test_every_kind_of_node_dereferences(ld, built):
    """Statements, evidence (with selectors), sources, memberships, figures, events."""
    kinds = {}
    for subject in built.graph.subjects():
        local = str(subject).removeprefix(str(KG))
        kinds.setdefault(local.split("/")[0], local)
    for kind in ("statement", "evidence", "source", "membership", "figure", "event", "role"):
        local = kinds[kind]
        status, _, body = fetch(ld, "/" + local, "application/n-triples")
        assert status == 200, local
        doc = parse(body, "application/n-triples")
        assert stored(built.graph.triples((KG[local], None, None))) <= stored(doc), local


def test_head_and_other_methods(ld):
    status, headers, body = fetch(ld, "/person/lu-qi", "text/turtle", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 1000
    status, headers, _ = fetch(ld, "/person/lu-qi", method="POST")
    assert status == 405 and headers["allow"] == "GET, HEAD"


def test_cors_keeps_vary_accept(ld):
    _, headers, _ = fetch(ld, "/person/lu-qi", "text/turtle", Origin="http://allowed.test")
    assert headers["access-control-allow-origin"] == "http://allowed.test"
    assert headers["vary"] == "Accept, Origin"
    _, headers, _ = fetch(ld, "/person/lu-qi", "text/turtle", Origin="http://evil.test")
    assert "access-control-allow-origin" not in headers


def test_the_ontology_and_its_terms(ld, root):
    status, headers, body = fetch(ld, "/ontology")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    assert body == (root / "ontology.ttl").read_bytes()
    status, headers, body = fetch(ld, "/ontology", "application/ld+json")
    assert status == 200 and (KG.recruited, RDFS.label, None) in parse(body, "application/ld+json")
    for term in ("recruited", "Figure", "listedOn"):
        status, headers, _ = fetch(ld, "/" + term, "text/turtle")
        assert status == 303 and headers["location"] == f"{ld.base}/ontology"
    assert fetch(ld, "/notAterm", "text/turtle")[0] == 404


# --- the w3id.org redirect the docs give ----------------------------------------------


def test_the_documented_w3id_rule_lands_on_the_entity_and_the_dataset(ld):
    """Apply docs/linked-data.md's RewriteRules as Apache would (path relative to the
    china-ai-kg folder), with the server in place of https://kg.example.org."""
    doc = (ROOT / "docs" / "linked-data.md").read_text(encoding="utf-8")
    block = re.search(r"```apache\n(.*?)```", doc, re.S)
    assert block, "docs/linked-data.md gives no .htaccess"
    rules = re.findall(r"^RewriteRule (\S+) (\S+) \[([^\]]*)\]$", block.group(1), re.M)
    assert rules and all("R=303" in flags for _, _, flags in rules)

    def redirect(iri: str) -> str:
        rest = iri.removeprefix("https://w3id.org/china-ai-kg/")
        for pattern, target, _ in rules:
            found = re.match(pattern, rest)
            if found:
                for number, group in enumerate(found.groups(), start=1):
                    target = target.replace(f"${number}", group)
                return target.replace("https://kg.example.org", ld.base)
        raise AssertionError(f"no rule for {iri}")

    location = redirect("https://w3id.org/china-ai-kg/person/lu-qi")
    assert location == f"{ld.base}/person/lu-qi"
    status, headers, body = fetch(ld, urlsplit(location).path, "text/turtle")
    assert status == 200 and (KG["person/lu-qi"], RDFS.label, None) in parse(body, "text/turtle")
    status, headers, _ = fetch(ld, urlsplit(location).path, BROWSER)
    assert status == 303 and headers["location"].endswith("/entity?id=person/lu-qi")
    status, _, body = fetch(ld, urlsplit(redirect("https://w3id.org/china-ai-kg/")).path)
    assert status == 200 and b"void:Dataset" in body
    assert fetch(ld, urlsplit(redirect(str(KG.dataset))).path)[1]["location"].endswith(
        "/.well-known/void"
    )


# --- VoID / DCAT -----------------------------------------------------------------------


def test_void_describes_the_dataset_its_sources_and_the_endpoint(ld, built, root):
    import yaml

    # the Host header is not where the server's address comes from
    status, headers, body = fetch(ld, "/.well-known/void", Host="evil.example")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    assert b"evil.example" not in body
    void = parse(body, "text/turtle")
    dataset = KG.dataset
    assert (dataset, RDF.type, VOID.Dataset) in void and (dataset, RDF.type, DCAT.Dataset) in void
    assert void.value(dataset, VOID.sparqlEndpoint) == URIRef(ld.endpoint)
    assert str(void.value(dataset, VOID.uriSpace)) == str(KG)
    counts = built.manifest["counts"]
    assert void.value(dataset, VOID.triples).toPython() == counts["triples"] == len(built.graph)
    assert void.value(dataset, VOID.entities).toPython() == built.manifest["records"]["entities"]
    partitions = {
        void.value(p, VOID["class"]): void.value(p, VOID.entities).toPython()
        for p in void.objects(dataset, VOID.classPartition)
    }
    assert partitions[SCHEMA.Person] == counts["by_type"]["schema:Person"]
    assert len(partitions) == len(counts["by_type"])
    vocabularies = set(void.objects(dataset, VOID.vocabulary))
    assert {
        URIRef(str(KG)),
        URIRef(str(SCHEMA)),
        URIRef(str(PROV)),
        URIRef(str(OA)),
    } <= vocabularies
    services = set(void.subjects(RDF.type, DCAT.DataService))
    assert {URIRef(ld.endpoint), URIRef(ld.base + "/reconcile")} == services
    # every source with its licence, as its metadata file records it
    metas = [  # the sources of the served graph (conftest.built: the texts kept whole)
        yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((built.out.parent / "data" / "sources").glob("*.meta.yaml"))
    ]
    assert len(set(void.objects(dataset, DCTERMS.source))) == len(metas)
    for meta in metas:
        source = KG["source/" + meta["id"]]
        assert (dataset, DCTERMS.source, source) in void
        if meta.get("license"):
            assert str(void.value(source, DCTERMS.rights)) == str(meta["license"])
        if meta.get("license_url"):
            assert void.value(source, DCTERMS.license) == URIRef(meta["license_url"])
        if meta.get("url"):
            assert void.value(source, DCAT.landingPage) == URIRef(meta["url"])
    # negotiated: the same description in N-Triples and JSON-LD; 406 for what it is not
    for media in ("application/n-triples", "application/ld+json"):
        status, headers, body = fetch(ld, "/.well-known/void", media)
        assert status == 200 and "Accept" in headers["vary"]
        assert to_isomorphic(parse(body, media)) == to_isomorphic(void)
    assert fetch(ld, "/.well-known/void", "text/html")[0] == 406


def test_public_url_is_used_for_every_link(built):
    """Behind a proxy: the configured public URL, never the Host header, in redirects,
    Content-Location, VoID and the reconciliation manifest."""
    import threading

    from kg.serve import ServeConfig, ServeError, make_server

    with pytest.raises(ServeError, match="--public-url"):
        make_server(ServeConfig(graph=built.out / "kg.nt", port=0, public_url="ftp://x"))
    config = ServeConfig(
        graph=built.out / "kg.nt",
        port=0,
        workers=1,
        public_url="https://kg.example.org/",
    )
    server, pool = make_server(config)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        host, port = server.server_address[:2]

        class Local:
            base = f"http://{host}:{port}"

        _, headers, _ = fetch(Local, "/person/lu-qi", BROWSER, Host="evil.example")
        assert headers["location"] == "https://kg.example.org/entity?id=person/lu-qi"
        _, headers, _ = fetch(Local, "/person/lu-qi", "text/turtle")
        assert headers["content-location"] == "https://kg.example.org/person/lu-qi.ttl"
        void = parse(fetch(Local, "/.well-known/void")[2], "text/turtle")
        endpoint = URIRef("https://kg.example.org/sparql")
        assert void.value(KG.dataset, VOID.sparqlEndpoint) == endpoint
        manifest = json.loads(fetch(Local, "/reconcile")[2])
        assert manifest["view"]["url"] == "https://kg.example.org/entity?id={{id}}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        pool.close()


def test_kg_serve_takes_its_public_url_from_the_command_line(built):
    """The real `kg serve --public-url`: the VoID names the public endpoint; a bad URL is one
    Error: line."""
    running = Server(
        built.out / "kg.nt", "--workers", "1", "--public-url", "https://kg.example.org/x"
    )
    try:
        void = parse(fetch(running, "/.well-known/void", "text/turtle")[2], "text/turtle")
        assert void.value(KG.dataset, VOID.sparqlEndpoint) == URIRef(
            "https://kg.example.org/x/sparql"
        )
    finally:
        running.stop()
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg",
            "serve",
            "--graph",
            str(built.out / "kg.nt"),
            "--public-url",
            "ftp://x",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1 and refused.stderr.startswith("Error: --public-url"), (
        refused.stderr
    )
