"""kg review in headless Chromium: accept, edit, reject, create an entity; the build after."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rdflib import URIRef
from rdflib.namespace import RDF

from kg.data.add_source import add_source
from kg.graph.build import build
from kg.project.namespaces import BASE

TEXT = "2019年,张伟创立了星河智能科技有限公司。余凯于2015年离开百度。彭军、楼天城创立小马智行。\n"


def start_review(
    root: Path, text: str, source_id: str | None = None
) -> tuple[str, subprocess.Popen[str], str]:
    """Register *text* as a new source of the project *root* and start `kg review` on it:
    the source id, the process and the page's base URL."""
    added = add_source(
        root / "data",
        _write(root / "n.txt", text),
        title="测试",
        publisher="界面新闻",
        lang="zh-Hans",
        source_id=source_id,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "review", added.id, "--by", "Tester", "--port", "0"],
        env={**os.environ, "KG_HOME": str(root)},
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stderr.readline() if proc.stderr else ""
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    assert match, line
    return added.id, proc, f"http://127.0.0.1:{match.group(1)}"


@contextlib.contextmanager
def reviewing_text(root: Path, text: str) -> Iterator[tuple[Path, str, str]]:
    """`kg review` running on *text* registered in the project *root*, stopped afterwards:
    the project, the source id and the page's base URL."""
    source, proc, base = start_review(root, text)
    try:
        yield root, source, base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture()
def reviewing(data_copy: Path):
    with reviewing_text(data_copy, TEXT) as running:
        yield running


def wait_status(page, starts: str, outcomes: str) -> str:
    """The page's status line once it says one of *outcomes* (a regular expression's
    alternatives, "Accepted|Rejected|Not saved"); it must start with *starts*."""
    page.wait_for_function(
        "(o) => new RegExp('^(' + o + ')').test(document.getElementById('status').textContent)",
        arg=outcomes,
    )
    said = page.locator("#status").inner_text()
    assert said.startswith(starts), said
    return said


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _page(chromium, base: str):
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
    page.goto(base + "/")
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    return context, page, errors


def _card(page, text: str):
    return page.locator(".draft", has_text=text).first


def test_review_accept_edit_reject_and_create(chromium, reviewing):
    root, source, base = reviewing
    context, page, errors = _page(chromium, base)
    try:
        assert page.locator(".draft").count() == 4
        # The first draft uses new names: reject it with a reason, from the keyboard.
        first = page.locator(".draft.current")
        assert "new:" in first.inner_text() and "星河" in first.locator("mark").inner_text()
        page.keyboard.press("r")
        page.keyboard.type("the company is not in the graph yet")
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.querySelectorAll('.draft.done').length === 1")
        # Yu Kai left Baidu: edit the end date, then accept with "a".
        left = _card(page, "余凯于2015年离开百度")
        left.locator("input[name=end]").fill("2015")
        left.locator("input[name=subject]").fill("Kai Yu")  # any name of the entity
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("a")
        page.wait_for_function("() => document.querySelectorAll('.draft.done').length === 2")
        # Accept Peng Jun's founding by its button; reject Lou Tiancheng's.
        _card(page, "person/peng-jun").locator("button.accept").click()
        page.wait_for_function("() => document.querySelectorAll('.draft.done').length === 3")
        lou = _card(page, "person/lou-tiancheng")
        lou.locator(".reason").fill("testing a rejection")
        lou.locator("button.reject").click()
        page.wait_for_function("() => document.querySelectorAll('.draft.done').length === 4")
        # Create the new person from the form.
        page.fill("#ne-id", "person/zhang-wei")
        page.fill("#ne-hans", "张伟")
        page.fill("#ne-hant", "張偉")
        page.fill("#ne-en", "Zhang Wei")
        page.fill("#ne-source", "hanyu-pinyin")
        page.click("#ne-create")
        page.wait_for_function(
            "() => document.getElementById('status').textContent.startsWith('Created')"
        )
        shot = Path(__file__).resolve().parent.parent / "build" / "review.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
        assert errors == []
    finally:
        context.close()
    reviewed = yaml.safe_load(
        (root / "data" / "statements" / f"{source}.reviewed.yaml").read_text("utf-8")
    )
    assert [
        (r["subject"], r["relation"], r["object"], r.get("end")) for r in reviewed["relations"]
    ] == [
        ("person/yu-kai", "alumniOf", "org/baidu", "2015"),
        ("org/pony-ai", "founder", "person/peng-jun", None),
    ]
    assert all(
        r["decided_by"] == "Tester" and r["decided_at"] and r["proposed_by"]
        for r in reviewed["relations"]
    )
    rejected = yaml.safe_load((root / "data" / "rejections" / f"{source}.yaml").read_text("utf-8"))
    assert [r["reason"] for r in rejected["rejections"]] == [
        "the company is not in the graph yet",
        "testing a rejection",
    ]
    # The build holds exactly the accepted facts with this source's evidence.
    graph = build(root, root / "out").graph
    stated = set()
    for st in graph.subjects(RDF.type, RDF.Statement):
        for span in graph.objects(st, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")):
            if (
                str(graph.value(span, URIRef("http://www.w3.org/ns/oa#hasSource")))
                == f"{BASE}source/{source}"
            ):
                stated.add(
                    tuple(
                        str(graph.value(st, p)).rsplit("/", 1)[-1]
                        for p in (RDF.subject, RDF.predicate, RDF.object)
                    )
                )
    assert stated == {("yu-kai", "alumniOf", "baidu"), ("pony-ai", "founder", "peng-jun")}
    assert (URIRef(BASE + "person/zhang-wei"), RDF.type, None) in graph
    # Nothing decided is proposed again.
    again = subprocess.run(
        [sys.executable, "-m", "kg", "extract", source],
        env={**os.environ, "KG_HOME": str(root)},
        capture_output=True,
        text=True,
        check=True,
    )
    proposed = yaml.safe_load(again.stdout)["relations"]
    # Only the rejected founding comes back, re-read now that 张伟 is an entity of the graph.
    assert [(r["subject"], r["object"]) for r in proposed] == [
        ("星河智能科技有限公司", "person/zhang-wei")
    ]


def test_two_tabs_never_lose_or_double_a_decision(chromium, reviewing):
    root, source, base = reviewing
    a, page_a, _ = _page(chromium, base)
    b, page_b, _ = _page(chromium, base)
    try:
        _card(page_a, "person/peng-jun").locator("button.accept").click()
        page_a.wait_for_function("() => document.querySelectorAll('.draft.done').length === 1")
        _card(page_b, "person/peng-jun").locator("button.accept").click()
        page_b.wait_for_function(
            "() => document.getElementById('status').textContent.startsWith('Not saved')"
        )
        _card(page_b, "余凯于2015年离开百度").locator("button.accept").click()
        page_b.wait_for_function(
            "() => document.getElementById('status').textContent.startsWith('Accepted')"
        )
    finally:
        a.close()
        b.close()
    reviewed = yaml.safe_load(
        (root / "data" / "statements" / f"{source}.reviewed.yaml").read_text("utf-8")
    )
    assert len(reviewed["relations"]) == 2  # both tabs' decisions, neither twice


def test_review_refuses_other_hosts_and_origins(reviewing):
    _, _, base = reviewing

    def call(headers: dict[str, str], body: bytes | None = None) -> int:
        request = urllib.request.Request(
            base + ("/api/decide" if body else "/api/state"), data=body, headers=headers
        )
        try:
            return urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert call({"Host": "attacker.example"}) == 421  # DNS rebinding
    body = json.dumps({"key": "x", "action": "accept"}).encode()
    assert (
        call({"Origin": "http://attacker.example", "Content-Type": "application/json"}, body) == 403
    )
    assert call({"Content-Type": "text/plain"}, body) == 415  # a form post from another page
    assert call({"Content-Type": "application/json"}, body) == 200  # the page itself: not a draft


def test_the_readme_walkthrough_from_a_text_to_the_graph(chromium, tmp_path):
    """The README's "extract and review" block: add-source and extract run as written, the
    review step is the README's kg review (on a free port) driven in Chromium, then the build."""

    from tests.test_docs import run_block, scratch_project, walkthroughs

    block = walkthroughs()["extract and review"]
    lines = [line for line in block.replace("\\\n", " ").splitlines() if line.strip()]
    at = next(i for i, line in enumerate(lines) if line.startswith("kg review"))
    copy, env = scratch_project(tmp_path)

    def bash(commands: list[str]) -> str:
        return run_block("\n".join(commands), copy, env)

    before = bash(lines[:at])
    assert 'rule: "en-former-role"' in before and 'rule: "en-was-former"' in before
    review = lines[at].split("#")[0].strip() + " --port 0"
    proc = subprocess.Popen(
        ["bash", "-c", "exec " + review], cwd=copy, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", proc.stderr.readline())
        assert match
        context, page, errors = _page(chromium, f"http://127.0.0.1:{match.group(1)}")
        try:
            assert page.locator(".draft").count() == 3
            for n in (1, 2, 3):
                page.keyboard.press("a")
                page.wait_for_function(
                    f"() => document.querySelectorAll('.draft.done').length === {n}"
                )
            assert errors == []
        finally:
            context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    after = bash(lines[at + 1 :])
    rows = [x for x in after.splitlines() if x.startswith("| ") and "example-andrew-ng-lead" in x]
    assert sorted(line.split(" | ")[1] for line in rows) == [
        "org:role",
        "org:role",
        "schema:alumniOf",
    ]


def test_a_new_name_merged_into_an_entity_records_a_judgement(chromium, data_copy):
    source, proc, base = start_review(data_copy, "张伟创立了星河智能科技有限公司。\n")
    env = {**os.environ, "KG_HOME": str(data_copy)}
    try:
        context, page, errors = _page(chromium, base)
        try:
            draft = page.locator(".draft").first
            assert "星河智能科技有限公司" in draft.inner_text()
            draft.locator("input[name=subject]").fill("禾多科技")  # an existing entity, by name
            draft.locator("input[name=object]").fill("person/ni-kai")
            draft.locator("button.accept").click()
            page.wait_for_function(
                "() => document.getElementById('status').textContent.includes('recorded that')"
            )
            assert errors == []
        finally:
            context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    judged = yaml.safe_load((data_copy / "data" / "judgements.yaml").read_text("utf-8"))[
        "judgements"
    ]
    # Both new names were put on existing entities by the reviewer: two recorded decisions.
    assert sorted((j["a"], j["b"], j["verdict"], j["by"]) for j in judged) == [
        ("org/holomatic", "星河智能科技有限公司", "same", "Tester"),
        ("person/ni-kai", "张伟", "same", "Tester"),
    ]
    assert all(source in j["why"] for j in judged)
    graph = build(data_copy, data_copy / "out").graph
    alt = URIRef("http://www.w3.org/2004/02/skos/core#altLabel")
    assert "星河智能科技有限公司" in {
        str(o) for o in graph.objects(URIRef(BASE + "org/holomatic"), alt)
    }
    again = subprocess.run(
        [sys.executable, "-m", "kg", "extract", source],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "new:" not in again.stdout  # the name is the entity's now


@pytest.mark.parametrize(
    ("entity", "message"),
    [
        (
            {"id": "person/x", "type": "Role", "labels": {}, "en_source": "hanyu-pinyin"},
            "Person or an Organization",
        ),
        (
            {
                "id": "../../etc",
                "type": "Person",
                "labels": {"zh-Hans": "甲", "zh-Hant": "甲", "en": "Jia"},
                "en_source": "hanyu-pinyin",
            },
            "entity id",
        ),
        (
            {
                "id": "person/jia",
                "type": "Person",
                "labels": {"zh-Hans": "甲\nentities: []", "zh-Hant": "甲", "en": "Jia"},
                "en_source": "hanyu-pinyin",
            },
            "line break",
        ),
        (
            {
                "id": "person/jia",
                "type": "Person",
                "labels": {"zh-Hans": "甲", "zh-Hant": "甲", "en": "Jia"},
                "en_source": "javascript:alert(1)",
            },
            "en_source",
        ),
        (
            {
                "id": "person/yu-kai",
                "type": "Person",
                "labels": {"zh-Hans": "甲", "zh-Hant": "甲", "en": "Jia"},
                "en_source": "hanyu-pinyin",
            },
            "exists already",
        ),
    ],
)
def test_a_hostile_entity_is_refused_and_the_data_still_builds(reviewing, entity, message):
    root, _, base = reviewing
    request = urllib.request.Request(
        base + "/api/entity",
        data=json.dumps({"entity": entity}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400 and message in refused.value.read().decode()
    assert not (root / "data" / "entities" / "reviewed.yaml").exists()
    from kg.data.dataset import load_dataset

    load_dataset(root / "data")  # nothing half-written: the data loads as before
