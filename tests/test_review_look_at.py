"""kg review's "Sentences to look at": the sentences that name a person and an organisation or a
title where no rule drafted anything, drafted from or dismissed by the reviewer.

The real `kg review` process (started as tests/test_review.py starts it), driven in headless
Chromium and through its API.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from kg.data.dataset import load_dataset
from tests.conftest import run_kg
from tests.test_review import _page, reviewing_text, start_review, wait_status

DRAFTED = "余凯于2015年离开百度。"  # (a) a rule drafts from it (zh-left)
NEW_NAMES = "张伟与星河智能科技有限公司签约。"  # (b) new person, new company: no rule
KNOWN = "陆奇与百度签约。"  # (b) registry person and company: no rule
TEXT = DRAFTED + NEW_NAMES + KNOWN + "\n"


@pytest.fixture()
def review(data_copy: Path):
    with reviewing_text(data_copy, TEXT) as running:
        yield running


def _state(base: str) -> dict[str, Any]:
    return json.loads(urllib.request.urlopen(base + "/api/state", timeout=60).read())


def _post(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    return json.loads(urllib.request.urlopen(request, timeout=60).read())


def _status(page, starts: str) -> str:
    return wait_status(page, starts, "Drafted|Dismissed|Not saved")


def test_the_state_lists_the_undrafted_sentences_with_their_names(review):
    root, source, base = review
    # What kg extract --explain says of the text: a rule drafts from (a), none from the others.
    explained = json.loads(run_kg(root, "extract", source, "--explain", "--format", "json").stdout)
    drafted = {s["text"]: [d["rule"] for d in s["drafts"]] for s in explained}
    assert drafted == {DRAFTED: ["zh-left"], NEW_NAMES: [], KNOWN: []}
    state = _state(base)
    assert [s["text"] for s in state["look_at"]] == [NEW_NAMES, KNOWN]
    new, known = state["look_at"]
    assert new["people"] == [{"text": "张伟", "new": True}]
    assert new["organizations"] == [{"text": "星河智能科技有限公司", "new": True}]
    assert known["people"] == [{"id": "person/lu-qi", "label": "陆奇", "text": "陆奇"}]
    assert known["organizations"] == [{"id": "org/baidu", "label": "百度", "text": "百度"}]
    assert known["parts"] == [
        {"text": "陆奇", "kind": "PER"},
        {"text": "与"},
        {"text": "百度", "kind": "ORG"},
        {"text": "签约。"},
    ]
    text = load_dataset(root / "data").sources[source].text
    assert all(text[s["start"] : s["end"]].strip() == s["text"] for s in state["look_at"])
    # The drafts come from the same extraction: those of kg extract, in the same order.
    extracted = yaml.safe_load(run_kg(root, "extract", source).stdout)
    assert [(d["quote"], d["rule"]) for d in state["drafts"]] == [
        (r["quote"], r["rule"]) for r in extracted["relations"] + extracted.get("memberships", [])
    ]


def test_a_drafted_or_dismissed_sentence_is_no_longer_listed(review):
    root, source, base = review
    keys = {s["text"]: s["key"] for s in _state(base)["look_at"]}
    with pytest.raises(urllib.error.HTTPError) as refused:  # a quote not of the sentence
        _post(
            base,
            "/api/draft",
            {"key": keys[KNOWN], "kind": "relation", "quote": "陆奇离开百度", "fields": {}},
        )
    assert (
        refused.value.code == 400 and "not words of the sentence" in refused.value.read().decode()
    )
    with pytest.raises(urllib.error.HTTPError) as refused:  # a dismissal needs its reason
        _post(base, "/api/dismiss", {"key": keys[NEW_NAMES], "reason": " "})
    assert refused.value.code == 400
    assert [s["text"] for s in _state(base)["look_at"]] == [NEW_NAMES, KNOWN]
    drafted = _post(
        base,
        "/api/draft",
        {
            "key": keys[KNOWN],
            "kind": "relation",
            "quote": "陆奇与百度签约",
            "fields": {"subject": "陆奇", "relation": "worksFor", "object": "org/baidu"},
        },
    )
    assert drafted["saved"] is True
    assert [s["text"] for s in _state(base)["look_at"]] == [NEW_NAMES]
    dismissed = _post(base, "/api/dismiss", {"key": keys[NEW_NAMES], "reason": "a contract only"})
    assert dismissed == {"saved": True}
    assert _state(base)["look_at"] == []
    # Posted again (a second tab): nothing saved twice.
    assert (
        _post(base, "/api/dismiss", {"key": keys[NEW_NAMES], "reason": "again"})["saved"] is False
    )
    again = _post(base, "/api/draft", {"key": keys[KNOWN], "kind": "relation", "quote": KNOWN})
    assert again["saved"] is False
    reviewed = yaml.safe_load(
        (root / "data" / "statements" / f"{source}.reviewed.yaml").read_text("utf-8")
    )
    assert [
        (r["subject"], r["relation"], r["object"], r["quote"], r["proposed_by"])
        for r in reviewed["relations"]
    ] == [("person/lu-qi", "worksFor", "org/baidu", "陆奇与百度签约", "reviewer")]
    rejections = yaml.safe_load(
        (root / "data" / "rejections" / f"{source}.yaml").read_text("utf-8")
    )
    assert [(d["sentence"], d["reason"], d["decided_by"]) for d in rejections["dismissed"]] == [
        (NEW_NAMES, "a contract only", "Tester")
    ]
    assert rejections["rejections"] == []


def test_drafting_from_a_sentence_with_the_keyboard_then_dismissing_one(chromium, review):
    root, source, base = review
    context, page, errors = _page(chromium, base)
    try:
        assert page.locator(".draft").count() == 1
        assert page.locator("#look-count").inner_text() == "2"
        looks = page.locator(".look")
        assert looks.count() == 2
        shown = [looks.nth(i).locator(".sentence").inner_text() for i in range(2)]
        assert shown == [NEW_NAMES, KNOWN]  # (b), not (a)
        assert DRAFTED not in page.locator("#look-at").inner_text()
        assert looks.nth(1).locator("mark.PER").inner_text() == "陆奇"
        assert looks.nth(1).locator("mark.ORG").inner_text() == "百度"
        assert "(new)" in looks.nth(0).locator(".names").inner_text()
        # From the draft, j j reaches the second sentence; d opens the form, prefilled.
        page.keyboard.press("j")
        page.keyboard.press("j")
        current = page.locator(".look.current")
        assert current.locator(".sentence").inner_text() == KNOWN
        page.keyboard.press("d")
        form = current.locator(".look-form")
        assert form.locator(".quote").input_value() == KNOWN
        assert form.locator("input[name=subject]").input_value() == "person/lu-qi"
        assert form.locator("input[name=object]").input_value() == "org/baidu"
        assert form.locator("select[name=relation]").input_value() == "worksFor"
        page.keyboard.press("End")
        page.keyboard.press("Backspace")  # the reviewer shortens the quote: no full stop
        page.screenshot(path="/tmp/kg-review-look-at-form.png", full_page=True)
        page.keyboard.press("Enter")
        assert "saved as reviewed-1" in _status(page, "Drafted")
        assert page.locator("#look-count").inner_text() == "1"
        shot = Path("/tmp/kg-review-look-at.png")
        page.screenshot(path=str(shot), full_page=True)
        # Dismiss the other with the keyboard: x, the reason, Enter; gone after a reload.
        page.evaluate("() => { document.getElementById('status').textContent = ''; }")
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("j")
        assert page.locator(".look.current .sentence").inner_text() == NEW_NAMES
        page.keyboard.press("x")
        page.keyboard.type("a contract, not a role")
        page.keyboard.press("Enter")
        _status(page, "Dismissed")
        page.reload()
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        assert page.locator(".look").count() == 0
        assert page.locator("#look-at").is_hidden()
        assert errors == []
    finally:
        context.close()
    data = load_dataset(root / "data")  # the statement as the build reads it back
    stated = [
        (s.subject, s.relation, s.object, [(e.exact, e.start) for e in s.evidence])
        for s in data.statements
        if any(e.source == source for e in s.evidence)
    ]
    text = data.sources[source].text
    assert stated == [
        ("person/lu-qi", "worksFor", "org/baidu", [("陆奇与百度签约", text.index(KNOWN))])
    ]
    reviewed = yaml.safe_load(
        (root / "data" / "statements" / f"{source}.reviewed.yaml").read_text("utf-8")
    )["relations"][0]
    assert reviewed["decided_by"] == "Tester" and reviewed["decided_at"]
    assert reviewed["proposed_by"] == "reviewer" and "drafted_as" not in reviewed
    built = run_kg(root, "build", "--out", str(root / "out"))
    assert built.returncode == 0, built.stderr


def test_a_pronoun_is_listed_with_its_person_and_prefills_the_statement(data_copy):
    source, proc, base = start_review(data_copy, KNOWN + "他与百度续约。\n")
    try:
        second = _state(base)["look_at"][1]
        assert second["text"] == "他与百度续约。"
        assert second["people"] == [
            {"text": "他", "id": "person/lu-qi", "label": "陆奇", "refers_to": "陆奇"}
        ]
        assert second["parts"][0] == {"text": "他", "kind": "PER"}
        # Only the relation chosen: the subject and object are the sentence's first names.
        saved = _post(
            base,
            "/api/draft",
            {
                "key": second["key"],
                "kind": "relation",
                "quote": second["text"],
                "fields": {"relation": "worksFor"},
            },
        )
        assert saved["saved"] is True and saved["merged"] == []
        assert [s["text"] for s in _state(base)["look_at"]] == [KNOWN]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    reviewed = yaml.safe_load(
        (data_copy / "data" / "statements" / f"{source}.reviewed.yaml").read_text("utf-8")
    )
    assert [(r["subject"], r["object"], r["quote"]) for r in reviewed["relations"]] == [
        ("person/lu-qi", "org/baidu", "他与百度续约。")
    ]
