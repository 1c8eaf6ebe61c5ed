"""The query page runs the parameters it shows, in a real browser against a real `kg serve`.

Issue 19: on the named query `career`, typing 欧阳剑 into `person` and pressing Run at once
showed Lu Qi's career under a header, editor and permalink that said ouyang-jian, and the CSV
download saved Lu Qi's rows. The name lookup answered after the run had already sent the old
text. These tests hold the page's lookup (or query) requests until the test lets them go, so
that every ordering the user can meet is reached on purpose, not by luck of timing.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.test_serve_page import get_query, page_open

KG = "https://w3id.org/china-ai-kg/"
LOOKUP = "skos:altLabel ?matched"  # the find_entity query, as the page sends it
CAREER = "?organizationLabel ?roleLabel"  # the career query
PERSON = "#param-person"


class Hold:
    """Holds the page's POSTs to /sparql whose text contains *marker* until released."""

    def __init__(self, page, marker: str):
        self.marker = marker
        self.routes: list = []
        self.holding = True
        self.page = page
        page.route("**/sparql", self._route)

    def _route(self, route):
        if self.holding and self.marker in (route.request.post_data or ""):
            self.routes.append(route)
        else:
            route.fallback()  # on to the page's loopback-only rule

    def wait(self, count: int = 1) -> None:
        """Until *count* requests are held (the page sent them)."""
        for _ in range(1000):
            if len(self.routes) >= count:
                return
            self.page.wait_for_timeout(10)
        raise AssertionError(f"the page sent {len(self.routes)} of {count} {self.marker!r}")

    def release(self, index: int = 0) -> None:
        self.routes.pop(index).fallback()

    def stop(self) -> None:
        """Let every held request and every later one through."""
        self.holding = False
        while self.routes:
            self.release()


def named_text(query: str, value: str) -> str:
    """The named query's text with its one entity parameter set to *value* (an id)."""
    from kg.query.named import named_queries

    q = named_queries()[query]
    (default,) = (d for n, (d, _) in q.params.items() if n != "lang")
    assert q.text.count(KG + default + ">") >= 1
    return q.text.replace(KG + default + ">", KG + value + ">")


def career(person: str) -> str:
    return named_text("career", person)


def ask(server, text: str, accept: str) -> str:
    request = urllib.request.Request(
        server.endpoint,
        data=text.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": accept},
    )
    with urllib.request.urlopen(request) as response:
        return response.read().decode()


def expected_rows(server, person: str, query: str = "career") -> list[list[str]]:
    """The rows as the page's table shows them (an entity cell shows its name)."""
    data = json.loads(ask(server, named_text(query, person), "application/sparql-results+json"))
    names = data["head"]["vars"]
    return [
        [
            b[v + "Label"]["value"]
            if v + "Label" in b and v in b
            else b.get(v, {}).get("value", "")
            for v in names
        ]
        for b in data["results"]["bindings"]
    ]


def shown_rows(page) -> list[list[str]]:
    return page.evaluate(
        """() => [...document.querySelectorAll('#results tbody tr')].map(
             tr => [...tr.cells].map(td => td.textContent))"""
    )


def enter(page, how: str, text: str, field: str = PERSON) -> None:
    """Replace a field's text with *text* the way a person (or a test) types it."""
    if how == "fill":
        page.fill(field, text)
    else:
        page.click(field)
        page.keyboard.press("Control+A")  # what is typed next replaces the old value
        if how == "insert_text":
            page.keyboard.insert_text(text)
        elif how == "type":
            page.keyboard.type(text)
        elif how == "ime":
            # A Chinese IME: the pinyin is composed, the candidate chosen, then committed;
            # the page sees composition events and input events marked isComposing.
            cdp = page.context.new_cdp_session(page)
            for composing in ("pin", "pinyin", text):
                n = len(composing)
                cdp.send(
                    "Input.imeSetComposition",
                    {"text": composing, "selectionStart": n, "selectionEnd": n},
                )
            cdp.send("Input.insertText", {"text": text})
            cdp.detach()
        else:
            raise ValueError(how)
    assert page.input_value(field) == text


@contextlib.contextmanager
def open_career(chromium, server, person="person/lu-qi", query="career", param="person"):
    """The page at a link to the career of *person* (or another query), which it runs, for a
    ``with`` block: ``(page, seen)`` (:func:`tests.test_serve_page.page_open`)."""
    link = f"/?query={query}&lang=zh-Hans&{param}=" + urllib.request.quote(person)
    with page_open(chromium, server, link) as (page, seen):
        page.set_default_timeout(15000)
        wait_for_results(page)
        yield page, seen


def wait_for_results(page) -> None:
    page.wait_for_function(
        "() => /^\\d+ results? in/.test(document.querySelector('#status').textContent)"
    )


def assert_cleared(page) -> None:
    assert page.locator("#results tbody tr").count() == 0
    assert page.is_disabled("#csv") and page.is_disabled("#json")
    assert "result" not in page.inner_text("#status")


def downloaded(page, button: str, tmp_path) -> str:
    with page.expect_download() as download:
        page.click(button)
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    return path.read_text(encoding="utf-8")


def assert_shows(
    page, server, person: str, tmp_path, query="career", param="person", old="person/lu-qi"
) -> None:
    """Header, form, editor, permalink, table and both downloads are all *person*'s."""
    iri = "<" + KG + person + ">"
    assert page.input_value("#param-" + param) == person
    assert param + " = " + person in page.inner_text("#about")
    text = get_query(page)
    assert iri in text and KG + old + ">" not in text
    link = parse_qs(urlsplit(page.url).query)
    assert link["query"] == [query] and link[param] == [person]
    assert "sparql" not in link  # the form says it all: no stale text rides along
    rows = expected_rows(server, person, query)
    assert rows and shown_rows(page) == rows
    table = list(csv.reader(io.StringIO(downloaded(page, "#csv", tmp_path))))
    answer = ask(server, named_text(query, person), "text/csv")
    assert table == list(csv.reader(io.StringIO(answer))) and len(table) == len(rows) + 1
    data = json.loads(downloaded(page, "#json", tmp_path))
    answer = ask(server, named_text(query, person), "application/sparql-results+json")
    assert data["results"]["bindings"] == json.loads(answer)["results"]["bindings"]


NAMES = {"欧阳剑": "person/ouyang-jian", "余凯": "person/yu-kai"}


@pytest.mark.parametrize("how", ["fill", "insert_text", "type", "ime"])
@pytest.mark.parametrize("name", list(NAMES))
def test_run_right_after_typing_a_name_runs_that_name(chromium, server, tmp_path, name, how):
    """The user's steps: Lu Qi's career is shown; type a Chinese name, press Run at once.
    The lookup answers only after Run was pressed: the run waits for it."""
    with open_career(chromium, server) as (page, seen):
        assert shown_rows(page) == expected_rows(server, "person/lu-qi")
        lookups = Hold(page, LOOKUP)
        sent: list[str] = []  # the career queries the page sends from now on
        page.on(
            "request",
            lambda r: sent.append(r.post_data) if CAREER in (r.post_data or "") else None,
        )
        enter(page, how, name)
        page.click("#run")
        lookups.wait()
        header = page.inner_text("#about")  # while the lookup is on its way
        rows = page.locator("#results tbody tr").count()
        lookups.stop()
        page.wait_for_function(
            "iri => document.querySelector('.CodeMirror').CodeMirror.getValue().includes(iri)"
            " && /^\\d+ results? in/.test(document.querySelector('#status').textContent)",
            arg=KG + NAMES[name],
        )
        assert_shows(page, server, NAMES[name], tmp_path)
        # Only the shown value ever ran (the downloads sent the same text).
        assert sent and all(KG + NAMES[name] + ">" in text for text in sent), sent
        # While it waited for the lookup: no old rows, and the header said what Run would use.
        assert rows == 0 and "person = " + name + " (to be looked up)" in header
        if name == "欧阳剑" and how == "ime":
            page.screenshot(path=str(tmp_path.parent / "query-page-params.png"))
        assert seen["errors"] == []


@pytest.mark.parametrize(
    ("query", "param", "old", "name", "new"),
    [
        ("products", "org", "org/kunlunxin", "百度", "org/baidu"),
        ("alumni_founders", "org", "org/kunlunxin", "Baidu, Inc", "org/baidu"),
        ("competitors", "entity", "org/kunlunxin", "地平线", "org/horizon-robotics"),
    ],
)
def test_every_query_runs_the_name_typed_into_any_parameter(
    chromium, server, tmp_path, query, param, old, name, new
):
    """The same mechanism for every named query and entity parameter."""
    with open_career(chromium, server, old, query, param) as (page, _):
        lookups = Hold(page, LOOKUP)
        enter(page, "ime", name, "#param-" + param)
        page.click("#run")
        lookups.wait()
        rows = page.locator("#results tbody tr").count()  # while the lookup is on its way
        lookups.stop()
        page.wait_for_function(
            "iri => document.querySelector('.CodeMirror').CodeMirror.getValue().includes(iri)"
            " && /^\\d+ results? in/.test(document.querySelector('#status').textContent)",
            arg=KG + new,
        )
        assert_shows(page, server, new, tmp_path, query, param, old)
        assert rows == 0  # the old value's rows went when the name was typed


def test_an_older_lookup_answering_last_does_not_win(chromium, server, tmp_path):
    """余凯 is looked up (the field left), then 欧阳剑 typed and Run pressed; the answers
    arrive newest first. The page runs 欧阳剑, the text it shows."""
    with open_career(chromium, server) as (page, _):
        lookups = Hold(page, LOOKUP)
        enter(page, "insert_text", "余凯")
        page.keyboard.press("Tab")  # leaving the field looks the name up
        lookups.wait(1)
        enter(page, "insert_text", "欧阳剑")
        page.click("#run")
        lookups.wait(2)
        lookups.release(1)  # 欧阳剑's answer first
        page.wait_for_function(
            "iri => document.querySelector('.CodeMirror').CodeMirror.getValue().includes(iri)",
            arg=KG + "person/ouyang-jian",
        )
        with page.expect_event("requestfinished", lambda r: "余凯" in (r.post_data or "")):
            lookups.stop()  # then 余凯's, which must change nothing
        page.evaluate("() => fetch('/queries').then((r) => r.text())")  # its answer is read
        wait_for_results(page)
        assert_shows(page, server, "person/ouyang-jian", tmp_path)


@pytest.mark.parametrize("how", ["fill", "ime"])
def test_changing_a_parameter_or_the_query_clears_the_results(chromium, server, how):
    with open_career(chromium, server) as (page, _):
        assert page.locator("#results tbody tr").count() == 3 and page.is_enabled("#csv")
        enter(page, how, "余凯")  # typed, not yet looked up
        assert_cleared(page)
        page.click("#run")
        wait_for_results(page)
        assert "person = person/yu-kai" in page.inner_text("#about")
        page.select_option("#lang", "en")  # the label language is a parameter too
        assert_cleared(page)
        page.click("#run")
        wait_for_results(page)
        assert "Horizon Robotics" in page.inner_text("#results")
        page.click(".CodeMirror")  # an edit of the text
        page.keyboard.press("Control+End")
        page.keyboard.type("\nLIMIT 1")
        assert_cleared(page)
        page.click("#run")
        wait_for_results(page)
        assert page.locator("#results tbody tr").count() == 1
        page.select_option("#named", "founders")  # another query
        assert_cleared(page)
        assert page.locator("#param-person").count() == 0


def test_a_parameter_changed_while_the_query_runs_drops_its_answer(chromium, server):
    with open_career(chromium, server) as (page, _):
        queries = Hold(page, CAREER)
        page.click("#run")
        queries.wait()
        enter(page, "fill", "余凯")  # while Lu Qi's career is on its way
        queries.stop()
        # The answer arrives for a form that no longer shows it: nothing is shown, nothing
        # offered for download. Run again and 余凯's career comes.
        page.wait_for_function(
            "() => !/running/.test(document.querySelector('#status').textContent)"
        )
        assert_cleared(page)
        assert page.inner_text("#status") == ""
        page.click("#run")
        wait_for_results(page)
        assert shown_rows(page) == expected_rows(server, "person/yu-kai")


def test_a_name_with_several_matches_waits_for_a_choice(chromium, server, tmp_path):
    """'Kai' names 余凯 and 倪凯: Run runs neither, nor the Lu Qi the text still holds."""
    with open_career(chromium, server) as (page, _):
        queries = Hold(page, CAREER)
        enter(page, "fill", "Kai")
        page.click("#run")
        page.wait_for_selector("#param-person-matches:not([hidden])")
        assert "choose" in page.inner_text("#status")
        assert queries.routes == []  # no career query went out
        assert_cleared(page)
        queries.stop()
        options = page.locator("#param-person-matches option").all_inner_texts()
        assert len(options) == 3 and "余凯 — person/yu-kai" in options
        page.select_option("#param-person-matches", "person/yu-kai")
        assert page.input_value(PERSON) == "person/yu-kai"
        page.click("#run")
        wait_for_results(page)
        assert_shows(page, server, "person/yu-kai", tmp_path)


def test_the_link_button_waits_for_the_lookup(chromium, server):
    with open_career(chromium, server) as (page, _):
        lookups = Hold(page, LOOKUP)
        enter(page, "fill", "余凯")
        page.click("#share")
        lookups.wait()
        lookups.stop()
        page.wait_for_function("() => /link/.test(document.querySelector('#status').textContent)")
        link = parse_qs(urlsplit(page.inner_text("#status").split(": ", 1)[1]).query)
        assert link["person"] == ["person/yu-kai"] and "sparql" not in link
        assert page.inner_text("#status").endswith(": " + page.url)


def test_a_link_may_name_the_person(chromium, server, tmp_path):
    """A link with person=欧阳剑 runs 欧阳剑's career (the name is looked up first)."""
    with open_career(chromium, server, person="欧阳剑") as (page, _):
        assert_shows(page, server, "person/ouyang-jian", tmp_path)


def bound_rows(server, query: str, values: dict[str, str]) -> list[list[str]]:
    """The rows of a named query with *values* bound, as the page's table shows them."""
    from kg.project.namespaces import PREFIXES
    from kg.query.named import bind, named_queries

    q = named_queries()[query]
    data = json.loads(ask(server, bind(q.text, values, q), "application/sparql-results+json"))
    names = data["head"]["vars"]

    def cell(b: dict, v: str) -> str:
        if v + "Label" in b and v in b:
            return b[v + "Label"]["value"]
        value = b.get(v, {}).get("value", "")
        if b.get(v, {}).get("type") == "uri":  # shown short, as kg.js's short() writes it
            for prefix, ns in PREFIXES.items():
                if value.startswith(ns):
                    local = value[len(ns) :]
                    return local if prefix == "kg" and "/" in local else f"{prefix}:{local}"
        return value

    return [[cell(b, v) for v in names] for b in data["results"]["bindings"]]


def test_who_was_at_takes_an_organisation_and_a_year_from_the_form(chromium, server, tmp_path):
    """Issue 23: "who was at ORG in YEAR" on the form: org by name, year as a number."""
    with page_open(chromium, server) as (page, seen):
        page.set_default_timeout(15000)
        page.select_option("#named", "who_was_at")
        labels = page.eval_on_selector_all("#params label", "ls => ls.map(l => l.textContent)")
        assert labels == ["org", "year"]
        assert page.input_value("#param-org") == "org/baidu"
        assert page.input_value("#param-year") == "2016"
        assert page.get_attribute("#param-year", "inputmode") == "numeric"
        page.fill("#param-org", "百度")  # a name, looked up
        page.fill("#param-year", "2017")  # a number, never looked up as a name
        page.click("#run")
        wait_for_results(page)
        assert "year = 2017" in page.inner_text("#about")
        assert "(<" + KG + "org/baidu> 2017)" in get_query(page)
        rows = bound_rows(server, "who_was_at", {"org": "org/baidu", "year": "2017"})
        assert rows and shown_rows(page) == rows
        # Qi Lu joined Baidu in 2017: dated there in 2017, not in the default 2016.
        assert ["dated", "陆奇"] in [r[:3:2] for r in rows]
        before = bound_rows(server, "who_was_at", {"org": "org/baidu", "year": "2016"})
        assert ["dated", "陆奇"] not in [r[:3:2] for r in before]
        link = parse_qs(urlsplit(page.url).query)
        assert link["query"] == ["who_was_at"] and link["year"] == ["2017"]
        page.fill("#param-year", "last year")
        page.click("#run")
        page.wait_for_function("() => document.querySelector('#status.error')")
        assert "year takes a number" in page.inner_text("#status")
        assert page.locator("#results tbody tr").count() == 0
        page.screenshot(path=str(tmp_path / "who-was-at.png"))
        assert seen["errors"] == []


def test_roles_lists_every_organisation_until_one_is_given(chromium, server):
    """roles' $org is optional: empty shows every organisation's roles, a name anchors them."""
    with page_open(chromium, server) as (page, seen):
        page.set_default_timeout(15000)
        page.select_option("#named", "roles")
        assert page.input_value("#param-org") == ""
        page.click("#run")
        wait_for_results(page)
        every = shown_rows(page)
        assert every == bound_rows(server, "roles", {})
        assert len({r[3] for r in every}) > 1  # several organisations
        page.fill("#param-org", "百度")
        page.click("#run")
        page.wait_for_function(
            "iri => document.querySelector('.CodeMirror').CodeMirror.getValue().includes(iri)"
            " && /^\\d+ results? in/.test(document.querySelector('#status').textContent)",
            arg="VALUES $org { <" + KG + "org/baidu> }",
        )
        baidu = shown_rows(page)
        assert baidu == bound_rows(server, "roles", {"org": "org/baidu"})
        assert baidu and {r[3] for r in baidu} == {"百度"} and len(baidu) < len(every)
        page.fill("#param-org", "")  # back to every organisation
        page.click("#run")
        page.wait_for_function(
            "() => document.querySelector('.CodeMirror').CodeMirror.getValue()"
            ".includes('VALUES $org { UNDEF }')"
            " && /^\\d+ results? in/.test(document.querySelector('#status').textContent)"
        )
        assert shown_rows(page) == every
        assert seen["errors"] == []
