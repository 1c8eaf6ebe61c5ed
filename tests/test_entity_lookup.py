"""The entity page looks ``?id=`` up as the CLI does: any name or id, against the real server."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

from tests.conftest import Server
from tests.test_serve_page import open_page

HOSTILE = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>"


def get(server, given: str | None) -> tuple[int, dict[str, str], str]:
    """Status, headers and text of ``/entity?id=given`` (no ``id`` at all when None)."""
    path = "/entity" if given is None else "/entity?id=" + quote(given, safe="")
    try:
        with urllib.request.urlopen(server.base + path, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


def entity_of(page: str) -> str | None:
    """The entity id the server put in the page for entity.js, if any."""
    found = re.search(r'<main id="entity" data-id="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'<a href="(/entity\?[^"]*)"', page)]


@pytest.fixture(scope="module")
def twins_server(tmp_path_factory, built):
    """kg serve on the article graph plus two entities sharing one hostile label."""
    graph = tmp_path_factory.mktemp("twins") / "kg.nt"
    label = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    extra = "".join(
        f"<https://w3id.org/china-ai-kg/{entity}> "
        f'<http://www.w3.org/2000/01/rdf-schema#label> "{label}"@zh-Hans .\n'
        for entity in ("org/evil", "person/evil")
    )
    graph.write_text((built.out / "kg.nt").read_text(encoding="utf-8") + extra, encoding="utf-8")
    running = Server(graph, "--workers", "2")
    yield running
    running.stop()


@pytest.mark.parametrize(
    "given", ["欧阳剑", "歐陽劍", "Ouyang Jian", " ouyang jian ", "ouyang-jian"]
)
def test_a_name_in_any_script_or_a_short_id_opens_the_entitys_page(server, given):
    status, headers, page = get(server, given)
    assert status == 200, page
    assert entity_of(page) == "person/ouyang-jian"
    assert "<title>kg — 欧阳剑</title>" in page
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert '<script src="/static/entity.js"></script>' in page


@pytest.mark.parametrize(
    "given", ["baidu", "org/baidu", "百度", "https://w3id.org/china-ai-kg/org/baidu"]
)
def test_a_short_or_full_id_opens_the_same_page(server, given):
    status, _, page = get(server, given)
    assert status == 200, page
    assert entity_of(page) == "org/baidu" and "<title>kg — 百度</title>" in page


@pytest.mark.parametrize(
    ("given", "nearest"),
    [
        ("Ouyang Jain", "person/ouyang-jian"),
        ("欧阳建", "person/ouyang-jian"),
        ("org/baidoo", "org/baidu"),
    ],
)
def test_an_unknown_name_is_a_404_listing_the_nearest_names(server, given, nearest):
    status, headers, page = get(server, given)
    assert status == 404, page
    assert "no entity id given" not in page
    assert f"No entity “{given}” in this graph" in page
    assert entity_of(page) is None  # not the entity page
    assert f"/entity?id={nearest}" in links(page)
    assert all(re.fullmatch(r"/entity\?id=[a-z]+/[a-z0-9-]+", link) for link in links(page))
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_a_missing_or_empty_id_is_a_400_saying_so(server):
    for given in (None, "", "   "):
        status, _, page = get(server, given)
        assert status == 400 and "no entity id given" in page, (given, status)


def test_an_ambiguous_name_lists_each_candidate_escaped(twins_server):
    status, headers, page = get(twins_server, HOSTILE)
    assert status == 300, page
    assert sorted(links(page)) == ["/entity?id=org/evil", "/entity?id=person/evil"]
    assert "<script>" not in page.replace('<script src="/static/', "") and "<img" not in page
    assert html.escape(HOSTILE) in page
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    # An id picks one; its name is escaped in the page's title.
    status, _, page = get(twins_server, "person/evil")
    assert status == 200 and entity_of(page) == "person/evil"
    assert f"<title>kg — {html.escape(HOSTILE)}</title>" in page


def test_an_unknown_hostile_name_is_shown_escaped(server):
    attack = '"><script>alert(1)</script>'
    status, _, page = get(server, attack)
    assert status == 404
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_page_of_a_chinese_name_shows_its_facts_in_chromium(chromium, server):
    context, page, seen = open_page(chromium, server, "/entity?id=" + quote("欧阳剑"))
    try:
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        assert page.inner_text("#name") == "欧阳剑"
        assert page.inner_text("#id") == "person/ouyang-jian"
        facts = page.inner_text("#facts")
        assert "2020年出任百度首席芯片架构师" in facts and "昆仑芯" in facts
        assert "百度" in page.locator("#facts a").all_inner_texts()
        assert seen["errors"] == [] and seen["dialogs"] == []
        assert all(url.startswith(server.base) for url in seen["requests"])
    finally:
        context.close()
