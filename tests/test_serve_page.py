"""The query page of `kg serve`, in a real browser with the network blocked."""

from __future__ import annotations

import pytest

from tests.conftest import Server

HOSTILE = "<img src=x onerror=window.pwned=1></script><script>window.pwned=2</script> href"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, built):
    """kg serve on the article graph plus one entity whose label is hostile markup."""
    folder = tmp_path_factory.mktemp("hostile")
    graph = folder / "kg.nt"
    label = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    extra = (
        "<https://w3id.org/china-ai-kg/org/evil> <http://www.w3.org/2000/01/rdf-schema#label> "
        f'"{label}"@zh-Hans .\n'
        "<https://w3id.org/china-ai-kg/org/evil> <https://schema.org/founder> "
        "<https://w3id.org/china-ai-kg/person/yu-kai> .\n"
    )
    graph.write_text((built.out / "kg.nt").read_text(encoding="utf-8") + extra, encoding="utf-8")
    running = Server(graph, "--workers", "2")
    yield running
    running.stop()


def open_page(chromium, server):
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    seen = {"requests": [], "errors": [], "dialogs": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(server.base) else route.abort()
        ),
    )
    page.goto(server.base + "/")
    page.wait_for_function("() => document.querySelectorAll('#named option').length > 15")
    return context, page, seen


def test_named_query_runs_and_entities_link_to_their_evidence(chromium, hostile_server, built):
    context, page, seen = open_page(chromium, hostile_server)
    try:
        page.select_option("#named", "co_founders")
        page.click("#run")
        page.wait_for_selector("#results table tbody tr")
        rows = page.locator("#results tbody tr")
        assert rows.count() == 3
        assert "地平线" in page.inner_text("#results")
        page.locator("#results a", has_text="org/horizon-robotics").first.click()
        page.wait_for_function(
            "() => document.querySelector('#status').textContent.includes('result')"
        )
        assert "余凯、黄畅创立地平线" in page.inner_text("#results")
        page.screenshot(path=str(built.out / "query-page.png"))
        assert all(url.startswith(hostile_server.base) for url in seen["requests"])
        assert seen["errors"] == [] and seen["dialogs"] == []
    finally:
        context.close()


def test_text_from_the_graph_is_shown_as_text(chromium, hostile_server):
    context, page, seen = open_page(chromium, hostile_server)
    try:
        page.fill(
            "#query",
            "SELECT ?label WHERE { <https://w3id.org/china-ai-kg/org/evil> rdfs:label ?label }",
        )
        page.click("#run")
        page.wait_for_selector("#results table tbody tr")
        assert page.inner_text("#results tbody td").strip() == HOSTILE
        assert page.evaluate("() => window.pwned") is None
        assert page.locator("#results img").count() == 0
        assert seen["dialogs"] == [] and seen["errors"] == []
    finally:
        context.close()


def test_errors_show_the_servers_message(chromium, hostile_server):
    context, page, _ = open_page(chromium, hostile_server)
    try:
        page.fill("#query", "SELECT ?x WHERE { ?x ?y }")
        page.click("#run")
        page.wait_for_function("() => document.querySelector('#status').className === 'error'")
        assert "400: malformed query: line" in page.inner_text("#status")
    finally:
        context.close()
