"""The query page of `kg serve`, in a real browser with the network blocked."""

from __future__ import annotations

import contextlib

import pytest

from tests.conftest import Server, founded

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
        "<https://w3id.org/china-ai-kg/person/yu-kai> .\n" + _hostile_fact(label)
    )
    graph.write_text((built.out / "kg.nt").read_text(encoding="utf-8") + extra, encoding="utf-8")
    running = Server(graph, "--workers", "2")
    yield running
    running.stop()


def _hostile_fact(label):
    """A statement about org/evil quoted from a source whose every field is hostile."""
    kg, oa = "https://w3id.org/china-ai-kg/", "http://www.w3.org/ns/oa#"
    text = "前文。" + label + "后文。"
    start, end = len("前文。"), len("前文。") + len(HOSTILE)  # HOSTILE needs no escapes
    span = f"<{kg}evidence/evil/{start}-{end}>"
    source = f"<{kg}source/evil>"
    st = f"<{kg}statement/evil>"
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    lines = [
        f"{st} <{rdf}type> <{rdf}Statement>",
        f"{st} <{rdf}subject> <{kg}org/evil>",
        f"{st} <{rdf}predicate> <https://schema.org/founder>",
        f"{st} <{rdf}object> <{kg}person/yu-kai>",
        f"{st} <http://www.w3.org/ns/prov#wasDerivedFrom> {span}",
        f"{span} <{oa}hasSource> {source}",
        f"{span} <{oa}hasSelector> {span[:-1]}/quote>",
        f"{span} <{oa}hasSelector> {span[:-1]}/position>",
        f'{span[:-1]}/quote> <{oa}exact> "{label}"',
        f'{span[:-1]}/position> <{oa}start> "{start}"^^<http://www.w3.org/2001/XMLSchema#integer>',
        f'{span[:-1]}/position> <{oa}end> "{end}"^^<http://www.w3.org/2001/XMLSchema#integer>',
        f'{source} <https://schema.org/headline> "{label}"@zh-Hans',
        f'{source} <https://schema.org/text> "{text}"@zh-Hans',
        f'{source} <https://schema.org/url> "javascript:window.pwned=3"',
    ]
    return "".join(line + " .\n" for line in lines)


def open_page(chromium, server, path="/"):
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    seen = {"requests": [], "errors": [], "dialogs": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith((server.base, "blob:"))
            else route.abort()
        ),
    )
    page.goto(server.base + path)
    if path.startswith("/entity"):
        page.wait_for_function(
            "() => document.body.dataset.ready || document.querySelector('#status.error')"
        )
    else:
        page.wait_for_function("() => document.body.dataset.ready === '1'")
    return context, page, seen


@contextlib.contextmanager
def page_open(chromium, server, path="/"):
    """:func:`open_page` for a ``with`` block: ``(page, seen)``, the page's context closed after
    it however it ends."""
    context, page, seen = open_page(chromium, server, path)
    try:
        yield page, seen
    finally:
        context.close()


def set_query(page, text):
    page.evaluate("t => document.querySelector('.CodeMirror').CodeMirror.setValue(t)", text)


def get_query(page):
    return page.evaluate("() => document.querySelector('.CodeMirror').CodeMirror.getValue()")


def wait_for_answer(page):
    page.wait_for_function(
        "() => /result|^\\d{3}:/.test(document.querySelector('#status').textContent)"
    )


def test_named_query_runs_and_entities_link_by_name_to_their_page(chromium, hostile_server, built):
    with page_open(chromium, hostile_server) as (page, seen):
        page.select_option("#named", "co_founders")
        page.click("#run")
        page.wait_for_selector("#results table tbody tr")
        assert page.locator("#results tbody tr").count() == 3
        assert page.locator(".CodeMirror .cm-keyword").count() > 0  # highlighted
        # Entity links show names (from the row's label, or looked up), the id on hover.
        link = page.locator("#results a", has_text="地平线").first
        assert link.get_attribute("title").startswith("org/horizon-robotics")
        texts = page.locator("#results a").all_inner_texts()
        assert texts and not any("/" in t for t in texts)
        page.screenshot(path=str(built.out / "query-page.png"))
        link.click()
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        assert page.inner_text("#name") == "地平线"
        facts = page.inner_text("#facts")
        assert "余凯、黄畅创立地平线" in facts and "创始人" in facts
        assert "余凯" in page.locator("#facts a").all_inner_texts()
        page.screenshot(path=str(built.out / "entity-page.png"), full_page=True)
        assert all(url.startswith((hostile_server.base, "blob:")) for url in seen["requests"])
        assert seen["errors"] == [] and seen["dialogs"] == []


def test_text_from_the_graph_is_shown_as_text(chromium, hostile_server):
    with page_open(chromium, hostile_server) as (page, seen):
        set_query(
            page,
            "SELECT ?label WHERE { <https://w3id.org/china-ai-kg/org/evil> rdfs:label ?label }",
        )
        page.click("#run")
        page.wait_for_selector("#results table tbody tr")
        assert page.inner_text("#results tbody td").strip() == HOSTILE
        page.goto(hostile_server.base + "/entity?id=org/evil")
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        assert page.inner_text("#name") == HOSTILE
        # A fact quoted from a hostile source: quote, sentence and title stay text, and a
        # javascript: URL makes no link.
        fact = page.locator("#facts blockquote")
        assert fact.locator("mark").inner_text() == HOSTILE
        assert fact.locator(".sentence").inner_text() == HOSTILE + "后文。"  # its sentence
        assert "《" + HOSTILE + "》" in fact.locator(".cite").inner_text()
        assert fact.locator("a").count() == 0 and "原文链接未记录" in fact.inner_text()
        assert page.evaluate("() => window.pwned") is None
        assert page.locator("img").count() == 0
        assert seen["dialogs"] == [] and seen["errors"] == []


def test_a_syntax_error_is_placed_on_the_users_own_line(chromium, hostile_server):
    with page_open(chromium, hostile_server) as (page, _):
        set_query(page, "SELECT ?x WHERE { ?x ?y }")
        page.click("#run")
        page.wait_for_function("() => document.querySelector('#status').className === 'error'")
        message = page.inner_text("#status")
        assert "400: malformed query: line 1, column 26" in message, message
        assert page.locator(".CodeMirror .error-line").count() == 1
        set_query(page, "SELECT ?x WHERE {\n  ?x a schema:Person .\n  ?x ?y\n}")
        page.click("#run")
        page.wait_for_function("() => document.querySelector('#status').className === 'error'")
        # The prefixes the page adds are not counted: the line is the text's own.
        assert "malformed query: line 4, column 2" in page.inner_text("#status")
        marked = page.locator(".CodeMirror .error-line")
        assert marked.count() == 1 and marked.inner_text().split() == [
            "4",
            "}",
        ]  # line number, text


def test_parameter_form_looks_entities_up_by_name_and_the_url_restores_it(
    chromium, hostile_server, built
):
    with page_open(chromium, hostile_server) as (page, seen):
        page.select_option("#named", "career")
        page.select_option("#lang", "en")
        page.fill("#param-person", "Ouyang")
        page.press("#param-person", "Enter")
        page.wait_for_function(
            "() => document.querySelector('#param-person').value === 'person/ouyang-jian'"
        )
        assert "person = person/ouyang-jian" in page.inner_text("#about")
        assert "person/ouyang-jian" in get_query(page)
        page.click("#run")
        page.wait_for_selector("#results table tbody tr")
        first = page.inner_text("#results")
        assert "Kunlunxin" in first and "worked at (past)" in first
        page.screenshot(path=str(built.out / "query-page-form.png"))
        link = page.url
        assert (
            "query=career" in link and "person=person%2Fouyang-jian" in link and "lang=en" in link
        )
        other = page.context.new_page()
        other.goto(link)
        other.wait_for_selector("#results table tbody tr")
        assert other.inner_text("#results") == first
        assert other.input_value("#param-person") == "person/ouyang-jian"
        assert other.input_value("#lang") == "en"
        assert seen["errors"] == []


def test_switching_the_language_keeps_the_users_edits(chromium, hostile_server):
    with page_open(chromium, hostile_server) as (page, _):
        page.select_option("#named", "founders")
        edited = get_query(page).replace("ORDER BY ?company ?founder", "ORDER BY ?founder\nLIMIT 2")
        set_query(page, "# mine\n" + edited)
        page.select_option("#lang", "zh-Hant")
        text = get_query(page)
        assert text.startswith("# mine\n") and "LIMIT 2" in text
        assert 'VALUES $lang { "zh-Hant" }' in text
        page.click("#run")
        page.wait_for_selector("#results table tbody tr")
        assert page.locator("#results tbody tr").count() == 2
        # An edited text is part of the link too.
        assert "sparql=" in page.url


def test_results_download_as_csv_and_json(chromium, hostile_server, tmp_path):
    import json

    with page_open(chromium, hostile_server) as (page, _):
        page.select_option("#named", "founders")
        page.click("#run")
        page.wait_for_selector("#results table tbody tr")
        shown = page.locator("#results tbody tr").count()
        assert shown == founded() + 1  # the data's founder facts and the hostile graph's one more
        with page.expect_download() as csv_download:
            page.click("#csv")
        csv_path = tmp_path / "founders.csv"
        csv_download.value.save_as(csv_path)
        assert csv_download.value.suggested_filename == "founders.csv"
        lines = csv_path.read_text(encoding="utf-8").splitlines()
        assert (
            lines[0] == "company,companyLabel,founded,founder,founderLabel"
            and len(lines) == shown + 1
        )
        with page.expect_download() as json_download:
            page.click("#json")
        json_path = tmp_path / "founders.json"
        json_download.value.save_as(json_path)
        data = json.loads(json_path.read_text(encoding="utf-8"))
        assert len(data["results"]["bindings"]) == shown


def test_evidence_offsets_are_labelled_as_offsets(chromium, hostile_server):
    with page_open(chromium, hostile_server) as (page, _):
        page.select_option("#named", "evidence")
        page.click("#run")
        page.wait_for_selector("#results table tbody tr")
        headers = page.locator("#results th").all_inner_texts()
        assert not any(h.split("\n")[0] in ("start", "end") for h in headers)
        offset = [h for h in headers if h.startswith("startOffset")]
        assert offset and "character offset" in offset[0]


def test_the_pages_load_only_their_own_static_files(hostile_server):
    import urllib.request

    with urllib.request.urlopen(hostile_server.base + "/") as response:
        csp = response.headers["Content-Security-Policy"]
        html = response.read().decode()
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "<script>" not in html and "http" not in html.replace("http-equiv", "")
    for path, kind in [
        ("/static/vendor/codemirror/codemirror.js", "text/javascript"),
        ("/static/page.css", "text/css"),
        ("/static/vendor/codemirror/LICENSE", "text/plain"),
    ]:
        with urllib.request.urlopen(hostile_server.base + path) as response:
            assert response.headers["Content-Type"].startswith(kind), path
    import urllib.error

    with pytest.raises(urllib.error.HTTPError, match="404"):
        urllib.request.urlopen(hostile_server.base + "/static/query.html.bak")


def test_the_entity_page_gives_the_graph_panels_view_of_every_fact(chromium, hostile_server, graph):
    """Roles name their organisation and dates; each quote is highlighted inside its
    sentence, with the source's title, publisher, and what is not recorded."""
    with page_open(chromium, hostile_server, "/entity?id=person/lu-qi&lang=zh-Hans") as (
        page,
        seen,
    ):
        lines = page.locator("#facts .statement").all_inner_texts()
        assert "陆奇 —首席运营官→ 百度 (2017–2018-05)" in lines
        assert "陆奇 —集团总裁→ 百度 (2017–2018-05)" in lines
        assert "陆奇 — 在任天数: 486 days" in lines or any("在任天数: 486" in x for x in lines)
        first = page.locator("#facts blockquote").first
        whole = first.inner_text()
        marked = first.locator("mark").inner_text()
        assert marked in whole and len(whole) > len(marked)  # the sentence around the quote
        assert "《百度AI十年启示录" in whole and "界面新闻" in whole and "发布日期未记录" in whole
        assert page.locator("#facts blockquote a").count() == 0  # no URL recorded: no link
        assert not any(
            x.startswith("”") for x in page.locator("#facts blockquote").all_inner_texts()
        )
        # Every quote sits in the sentence the graph page's details panel shows it in.
        from rdflib import URIRef

        from kg.viz.facts import _in_sentence

        texts = {  # each source's canonical text (Simplified, or English)
            str(s): str(o)
            for s, o in graph.subject_objects(URIRef("https://schema.org/text"))
            if o.language in ("zh-Hans", "en")
        }
        shown = page.evaluate(
            """() => [...document.querySelectorAll('#facts blockquote')].map(b => [
                 b.dataset.source, Number(b.dataset.start), Number(b.dataset.end),
                 [...b.querySelector('.sentence').childNodes].map(n => n.textContent)])"""
        )
        assert len(shown) >= 18
        for source, start, end, parts in shown:
            text = texts[source]
            before, after = _in_sentence(text, start, end, text[start:end])
            assert parts == [p for p in (before, text[start:end], after) if p], (start, end)
        # Events and every other fact in zh-Hant too (an event named only in zh-Hans keeps it).
        page.goto(hostile_server.base + "/entity?id=person/lu-qi&lang=zh-Hant")
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        lines = page.locator("#facts .statement").all_inner_texts()
        assert len(lines) == 9 and "陸奇 —首席運營官→ 百度 (2017–2018-05)" in lines
        assert "發布日期未記錄" in page.inner_text("#facts")
        # The organisation's page names the person who held the role.
        page.goto(hostile_server.base + "/entity?id=org/kunlunxin&lang=en")
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        lines = page.locator("#facts .statement").all_inner_texts()
        assert "Ouyang Jian —CEO→ Kunlunxin (2021–)" in lines
        # A figure says what the source says: a forecast, by whom, "more than", "nearly".
        assert "Kunlunxin — revenue: more than 3,500,000,000 CNY (2025) · forecast" in lines
        assert (
            "Kunlunxin — revenue growth multiple: nearly 6 times (2026) · forecast by JPMorgan Chase"
            in lines
        )
        assert "Kunlunxin — revenue: approximately 2,000,000,000 CNY (2024)" in lines
        assert "publication date not recorded" in page.inner_text("#facts")
        assert seen["errors"] == []
