"""The OpenRefine reconciliation service of a real `kg serve`, checked against the
Reconciliation Service API 0.2's own JSON schemas and with the requests OpenRefine sends
(tests/data/reconciliation/README.md says where each comes from)."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import pytest
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT7

from kg.query.lookup import AmbiguousEntityError, EntityNotFoundError, entity_names, find_entity
from kg.serve.reconcile import MAX_BATCH, MAX_QUERY_CHARS
from kg.sources.clean import to_traditional
from tests.conftest import Server

DATA = Path(__file__).resolve().parent / "data" / "reconciliation"
OPENREFINE = "http://127.0.0.1:3333"  # where OpenRefine runs by default
PERSON, ORGANIZATION = "https://schema.org/Person", "https://schema.org/Organization"


def _validators() -> dict[str, Draft7Validator]:
    schemas = {p.stem: json.loads(p.read_text()) for p in (DATA / "schemas").glob("*.json")}
    registry: Registry = Registry().with_resources(
        (s["$id"], DRAFT7.create_resource(s)) for s in schemas.values()
    )
    return {name: Draft7Validator(s, registry=registry) for name, s in schemas.items()}


SCHEMAS = _validators()


@pytest.fixture(scope="module")
def recon(built):
    """`kg serve` with OpenRefine's origin allowed, and a row cap of 7 so that reading the
    names takes many pages."""
    running = Server(
        built.out / "kg.nt", "--workers", "2", "--max-rows", "7", "--cors-origin", OPENREFINE
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def names(graph):
    return entity_names(graph)


def send(server, method, path, body=None, headers=None):
    """(status, headers with lower-case names, body) of one request, as given."""
    url = urlsplit(server.base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def recorded(server, name):
    """Send one of the recorded OpenRefine requests."""
    request = json.loads((DATA / "openrefine" / name).read_text(encoding="utf-8"))
    body = request.get("body")
    return send(
        server,
        request["method"],
        request["path"],
        body.encode() if body else None,
        request["headers"],
    )


def batch(server, queries, method="POST"):
    """A query batch as OpenRefine sends it (form field ``queries``); the results."""
    text = json.dumps(queries, ensure_ascii=False)
    if method == "GET":
        status, headers, body = send(server, "GET", "/reconcile?queries=" + quote(text))
    else:
        form = "queries=" + quote_plus(text, safe="*")
        content = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
        status, headers, body = send(server, "POST", "/reconcile", form.encode(), content)
    assert status == 200, body
    assert headers["content-type"] == "application/json"
    results = json.loads(body)
    SCHEMAS["reconciliation-result-batch"].validate(results)
    assert set(results) == set(queries)
    return results


def test_the_schemas_can_fail():
    with pytest.raises(ValidationError):
        SCHEMAS["reconciliation-result-batch"].validate({"q0": {"result": [{"id": "x"}]}})
    with pytest.raises(ValidationError):
        SCHEMAS["manifest"].validate({"versions": ["0.2"], "name": "x", "schemaSpace": "y"})


def test_the_manifest_as_openrefine_fetches_it(recon):
    status, headers, body = recorded(recon, "manifest.json")
    assert status == 200 and headers["content-type"] == "application/json"
    assert headers["access-control-allow-origin"] == OPENREFINE  # OpenRefine's CORS request
    manifest = json.loads(body)
    SCHEMAS["manifest"].validate(manifest)
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == "https://w3id.org/china-ai-kg/"
    assert {t["id"] for t in manifest["defaultTypes"]} == {PERSON, ORGANIZATION}
    assert manifest["batchSize"] == MAX_BATCH
    # the view and preview templates, filled as OpenRefine fills them (encodeURI) and as
    # the spec says a client must (the id as a URI component)
    for entity in ("person/lu-qi", quote("person/lu-qi", safe="")):
        view = urlsplit(manifest["view"]["url"].replace("{{id}}", entity))
        status, _, page = send(recon, "GET", f"{view.path}?{view.query}")
        assert status == 200 and b"/static/entity.js" in page
        preview = urlsplit(manifest["preview"]["url"].replace("{{id}}", entity))
        status, headers, page = send(recon, "GET", f"{preview.path}?{preview.query}")
        assert status == 200 and "陆奇" in page.decode()
    # an origin nobody allowed gets no CORS header
    status, headers, _ = send(recon, "GET", "/reconcile", headers={"Origin": "http://evil.test"})
    assert status == 200 and "access-control-allow-origin" not in headers


def _expected(names, text):
    try:
        return find_entity(names, text)
    except (EntityNotFoundError, AmbiguousEntityError):
        return None


def test_openrefines_type_guessing_batch(recon, names):
    request = json.loads((DATA / "openrefine" / "guess-types.json").read_text(encoding="utf-8"))
    queries = json.loads(parse_qs(request["body"])["queries"][0])
    SCHEMAS["reconciliation-query-batch"].validate(queries)
    status, _, body = recorded(recon, "guess-types.json")
    assert status == 200
    results = json.loads(body)
    SCHEMAS["reconciliation-result-batch"].validate(results)
    for key, query in queries.items():
        found = results[key]["result"]
        assert len(found) <= 3
        wanted = _expected(names, query["query"])
        if wanted is None:
            assert not any(c["match"] for c in found), query
        else:
            assert found[0]["id"] == wanted and found[0]["match"], query
            assert found[0]["type"] and all("name" in t for t in found[0]["type"])
    assert results["q0"]["result"][0]["id"] == "person/lu-qi"
    assert results["q9"]["result"] == []  # "nobody at all"


def test_openrefines_reconciliation_batch(recon):
    request = json.loads((DATA / "openrefine" / "recon-batch.json").read_text(encoding="utf-8"))
    SCHEMAS["reconciliation-query-batch"].validate(
        json.loads(parse_qs(request["body"])["queries"][0])
    )
    status, _, body = recorded(recon, "recon-batch.json")
    assert status == 200
    results = json.loads(body)
    SCHEMAS["reconciliation-result-batch"].validate(results)
    for key in ("q0", "q1", "q2"):  # 陆奇, 陸奇, "Qi Lu" (its property is not used)
        (candidate,) = results[key]["result"]
        assert (candidate["id"], candidate["match"], candidate["score"]) == (
            "person/lu-qi",
            True,
            100,
        )
        assert {"id": PERSON, "name": "Person"} in candidate["type"]
    assert results["q1"]["result"][0]["name"] == "陸奇"  # the label asked for
    assert results["q3"]["result"] == []  # 百度 is no Person
    assert [c["id"] for c in results["q4"]["result"]] == ["person/andrew-ng"]  # limit 1


def test_openrefines_own_test_batch_is_answered(recon):
    """OpenRefine's test body (a Wikidata type, Q11424): valid, and nothing of that type."""
    status, _, body = recorded(recon, "recon-batch-wikidata.json")
    assert status == 200
    results = json.loads(body)
    SCHEMAS["reconciliation-result-batch"].validate(results)
    assert results == {"q0": {"result": []}}


@pytest.mark.parametrize(
    "example", sorted((DATA / "examples").glob("*.json")), ids=lambda p: p.stem
)
def test_the_specs_example_batches_get_valid_answers(recon, example):
    queries = json.loads(example.read_text(encoding="utf-8"))
    SCHEMAS["reconciliation-query-batch"].validate(queries)
    assert batch(recon, queries) == batch(recon, queries, method="GET")


def test_names_in_any_script_match_as_kg_lookup_matches_them(recon, names):
    """Every name of every entity, and its upper-case, full-width and Traditional forms:
    the service's match is the entity kg.query.lookup picks, and only that one."""
    texts = set()
    for known in names.names.values():
        for name in known:
            texts |= {name, name.upper(), to_traditional(name)}
            texts.add("".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name))
    texts |= {"lu-qi", "person/lu-qi", "https://w3id.org/china-ai-kg/org/baidu", "<kg:org/baidu>"}
    texts = sorted(texts)
    assert len(texts) > 100
    checked = ambiguous = 0
    for start in range(0, len(texts), MAX_BATCH):
        chunk = texts[start : start + MAX_BATCH]
        results = batch(recon, {f"q{i}": {"query": t} for i, t in enumerate(chunk)})
        for i, text in enumerate(chunk):
            found = results[f"q{i}"]["result"]
            wanted = _expected(names, text)
            matches = [c["id"] for c in found if c["match"]]
            if wanted is not None:
                assert matches == [wanted], text
                assert found[0]["score"] >= 80
                checked += 1
            else:
                assert matches == [], text
                if len(found) > 1:
                    ambiguous += 1
            assert [c["score"] for c in found] == sorted((c["score"] for c in found), reverse=True)
    assert checked > 100
    print(f"{checked} names matched as kg.query.lookup matches them; {ambiguous} shared names")


def test_types_filter_the_candidates(recon):
    results = batch(
        recon,
        {
            "a": {"query": "百度", "type": ORGANIZATION},
            "b": {"query": "百度", "type": PERSON},
            "c": {"query": "Baidu", "type": "schema:Organization"},
            "d": {"query": "baidu", "type": "Organization"},
            "e": {"query": "陆奇", "type": [ORGANIZATION, PERSON], "type_strict": "any"},
            "f": {"query": "陆奇", "type": "https://example.org/Unknown"},
            "g": {"query": "陆奇", "type": []},
        },
    )
    assert [c["id"] for c in results["a"]["result"]] == ["org/baidu"]
    assert results["b"]["result"] == [] and results["f"]["result"] == []
    assert [c["id"] for c in results["c"]["result"]] == ["org/baidu"]
    assert [c["id"] for c in results["d"]["result"]] == ["org/baidu"]
    assert [c["id"] for c in results["e"]["result"]] == ["person/lu-qi"]
    assert [c["id"] for c in results["g"]["result"]] == ["person/lu-qi"]


def test_scores_say_how_the_name_matched(recon):
    results = batch(
        recon, {"label": {"query": "Qi Lu"}, "alt": {"query": "Lu Qi"}, "end": {"query": "lu-qi"}}
    )
    assert results["label"]["result"][0]["score"] == 100
    assert results["alt"]["result"][0]["score"] == 90
    assert results["end"]["result"][0]["score"] == 80
    assert "陸奇" in results["alt"]["result"][0]["description"]


@pytest.mark.parametrize(
    ("method", "body", "content_type", "status", "text"),
    [
        ("POST", {f"q{i}": {"query": "x"} for i in range(MAX_BATCH + 1)}, None, 413, "at most"),
        (
            "POST",
            {"q0": {"query": "x" * (MAX_QUERY_CHARS + 1)}},
            None,
            400,
            "q0: the query is over",
        ),
        ("POST", "{not json", None, 400, "not JSON"),
        ("POST", ["陆奇"], None, 400, "JSON object"),
        ("POST", {"q0": "陆奇"}, None, 400, "q0: a query must be"),
        ("POST", {"q0": {"query": 5}}, None, 400, "q0: query must be a string"),
        ("POST", {"q0": {"query": "x", "limit": 0}}, None, 400, "positive integer"),
        ("POST", {"q0": {"query": "x", "limit": "3"}}, None, 400, "positive integer"),
        ("POST", {"q0": {"query": "x", "type": 5}}, None, 400, "type must be"),
        ("POST", None, None, 400, "no queries"),
        ("POST", {"q0": {"query": "x"}}, "application/json", 415, "form"),
        ("PUT", {"q0": {"query": "x"}}, None, 405, "not allowed"),
    ],
)
def test_bad_batches_get_a_short_clear_refusal(recon, method, body, content_type, status, text):
    if body is None:
        form = b""
    else:
        value = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        form = ("queries=" + quote_plus(value)).encode()
    headers = {"Content-Type": content_type or "application/x-www-form-urlencoded"}
    got, answer_headers, answer = send(recon, method, "/reconcile", form, headers)
    assert got == status, answer
    assert answer_headers["content-type"].startswith("text/plain")
    assert text in answer.decode() and len(answer) < 300
    status, _, answer = send(recon, "GET", "/reconcile?extend=" + quote('{"ids":["person/lu-qi"]}'))
    assert status == 400 and b"extension" in answer


def test_the_preview_is_a_small_page_openrefine_can_frame(recon):
    status, headers, body = recorded(recon, "preview.json")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert "<h1>陆奇</h1>" in page and "Qi Lu" in page and "Baidu" in page
    assert "<script" not in page and "x-frame-options" not in headers
    assert "frame-ancestors" not in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    assert send(recon, "GET", "/reconcile/preview?id=person/nobody")[0] == 404
    assert send(recon, "GET", "/reconcile/preview")[0] == 400
    assert send(recon, "POST", "/reconcile/preview?id=person/lu-qi", b"")[0] == 405


def test_namesakes_are_candidates_and_none_is_a_match():
    """Two entities sharing a name (none does in the project's data): both are offered,
    neither is a match, as kg.query.lookup finds the name ambiguous; a type that tells them
    apart makes the one of that type the match."""
    from kg.query.lookup import Names
    from kg.serve.reconcile import Index

    names = Names()
    names.add("person/li-na", "李娜", "zh-Hans", True)
    names.add("org/li-na", "李娜", "zh-Hans", False)
    names.add("person/wang-fang", "王芳", "zh-Hans", True)
    index = Index.of(
        names,
        {"person/li-na": [PERSON], "org/li-na": [ORGANIZATION]},
        {PERSON: "Person", ORGANIZATION: "Organization"},
    )
    with pytest.raises(AmbiguousEntityError):
        find_entity(names, "李娜")
    found = index.candidates("李娜", None, 10)
    assert [(c["id"], c["score"], c["match"]) for c in found] == [
        ("person/li-na", 100, False),
        ("org/li-na", 90, False),
    ]
    assert [c["id"] for c in index.candidates("李娜", None, 1)] == ["person/li-na"]
    (only,) = index.candidates("李娜", index.wanted(["Organization"]), 10)
    assert (only["id"], only["match"]) == ("org/li-na", True)
    assert find_entity(names, "李娜", "org") == "org/li-na"
