"""kg review keeps every decision and saves none the build would refuse (issue 19: 2 and 5).

The real `kg review` process, driven in headless Chromium.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from kg.data.add_source import add_source
from tests.conftest import run_kg
from tests.test_review import _card, _page, reviewing_text, start_review, wait_status

TEXT = "2017年1月,陆奇出任百度首席运营官。余凯于2015年离开百度。2019年,张伟创立了星河智能科技有限公司。\n"


@pytest.fixture()
def review(data_copy: Path):
    with reviewing_text(data_copy, TEXT) as running:
        yield running


def _status(page, starts: str) -> str:
    return wait_status(page, starts, "Accepted|Rejected|Not saved")


def _still_builds(root: Path, source: str) -> None:
    built = run_kg(root, "build", "--out", str(root / "out"))
    assert built.returncode == 0, built.stderr
    extracted = run_kg(root, "extract", source)
    assert extracted.returncode == 0 and "Traceback" not in extracted.stderr, extracted.stderr


# ---- 2: a decision survives a reload ------------------------------------------------


def test_an_edited_acceptance_stays_decided_after_a_reload(chromium, review):
    root, source, base = review
    context, page, errors = _page(chromium, base)
    try:
        assert page.locator(".draft").count() == 3
        assert page.locator("#left").inner_text() == "3"
        left = _card(page, "余凯于2015年离开百度")
        left.locator("input[name=end]").fill("2015-06")  # an edit: not the fact drafted
        left.locator("button.accept").click()
        assert "2 draft(s) left to decide, 1 decided" in _status(page, "Accepted")
        assert page.locator("#left").inner_text() == "2"
        page.reload()
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        card = _card(page, "余凯于2015年离开百度")
        assert "done" in (card.get_attribute("class") or "")
        assert "Decided: accepted by Tester" in card.inner_text()
        assert "edited: end 2015 → 2015-06" in card.inner_text()  # what was saved, not drafted
        assert card.locator("input[name=end]").is_disabled()
        assert card.locator("button.accept").count() == 0  # nothing to accept twice
        assert page.locator("#left").inner_text() == "2"
        assert page.locator(".draft.current").inner_text() != card.inner_text()
        assert errors == []
    finally:
        context.close()
    # A second tab (or a stale page) posting the draft again saves nothing.
    state = json.loads(urllib.request.urlopen(base + "/api/state", timeout=30).read())
    drafted = next(d for d in state["drafts"] if "余凯" in d["quote"])
    assert drafted["decided"].startswith("accepted by Tester")
    request = urllib.request.Request(
        base + "/api/decide",
        data=json.dumps({"key": drafted["key"], "action": "accept", "fields": {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    again = json.loads(urllib.request.urlopen(request, timeout=30).read())
    assert again["saved"] is False
    reviewed = yaml.safe_load(
        (root / "data" / "statements" / f"{source}.reviewed.yaml").read_text("utf-8")
    )
    assert [(r["subject"], r.get("end")) for r in reviewed["relations"]] == [
        ("person/yu-kai", "2015-06")
    ]
    # kg extract does not propose the decided draft again either.
    proposed = yaml.safe_load(run_kg(root, "extract", source).stdout)
    assert all("余凯" not in r["quote"] for r in proposed["relations"])


# ---- 5: what the build would refuse is refused on the page, and nothing is written ----------


@pytest.mark.parametrize(
    ("find", "field", "value", "said"),
    [
        ("余凯于2015年离开百度", "end", "2018-02-30", "does not exist"),
        ("陆奇出任百度首席运营官", "member", "org/baidu", "member"),
        ("陆奇出任百度首席运营官", "start", "2017-13", "date"),
    ],
    ids=["impossible-date", "organisation-as-member", "no-such-month"],
)
def test_an_edit_the_build_refuses_is_refused_on_the_page(
    chromium, review, find, field, value, said
):
    root, source, base = review
    context, page, errors = _page(chromium, base)
    try:
        card = _card(page, find)
        card.locator(f"input[name={field}]").fill(value)
        card.locator("button.accept").click()
        message = _status(page, "Not saved")
        assert said in message, message
        assert "done" not in (card.get_attribute("class") or "")
        assert page.locator("#left").inner_text() == "3"
        assert errors == []
    finally:
        context.close()
    assert not (root / "data" / "statements" / f"{source}.reviewed.yaml").exists()
    _still_builds(root, source)


def test_a_control_character_in_a_reason_is_refused_on_the_page(chromium, review):
    root, source, base = review
    context, page, errors = _page(chromium, base)
    try:
        card = _card(page, "张伟创立了")
        card.locator(".reason").fill("it\x92s not a fact")  # a C1 mojibake apostrophe
        card.locator("button.reject").click()
        message = _status(page, "Not saved")
        assert "U+0092" in message and "reason" in message, message
        card.locator(".reason").fill("it’s not a fact")
        page.evaluate("() => { document.getElementById('status').textContent = ''; }")
        card.locator("button.reject").click()
        _status(page, "Rejected")
        assert errors == []
    finally:
        context.close()
    rejected = yaml.safe_load((root / "data" / "rejections" / f"{source}.yaml").read_text("utf-8"))
    assert [r["reason"] for r in rejected["rejections"]] == ["it’s not a fact"]
    _still_builds(root, source)


def test_a_merge_with_a_long_automatic_reason_is_saved_within_the_limit(chromium, data_copy):
    long_id = "s" * 100  # the longest source id, and a long entity id: a why over 200
    source, proc, base = start_review(
        data_copy, "2019年,张伟创立了星河智能科技有限公司。\n", source_id=long_id
    )
    try:
        entity = {
            "id": "org/" + "x" * 90,
            "type": "Organization",
            "labels": {"zh-Hans": "星河公司", "zh-Hant": "星河公司", "en": "Xinghe"},
            "en_source": "hanyu-pinyin",
        }
        request = urllib.request.Request(
            base + "/api/entity",
            data=json.dumps({"entity": entity}).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=30)
        context, page, errors = _page(chromium, base)
        try:
            card = page.locator(".draft").first
            card.locator("input[name=subject]").fill(entity["id"])
            card.locator("input[name=object]").fill("person/ni-kai")
            card.locator("button.accept").click()
            assert "recorded that" in _status(page, "Accepted")
            assert errors == []
        finally:
            context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    judged = yaml.safe_load((data_copy / "data" / "judgements.yaml").read_text("utf-8"))
    whys = [j["why"] for j in judged["judgements"]]
    assert len(whys) == 2 and all(len(w) <= 200 and w.startswith(long_id) for w in whys)
    _still_builds(data_copy, source)


def test_a_reviewer_name_with_a_line_break_is_refused_atstart_review(data_copy):
    path = data_copy / "n.txt"
    path.write_text(TEXT, encoding="utf-8")
    added = add_source(data_copy / "data", path, title="测试", publisher="界面新闻", lang="zh-Hans")
    done = subprocess.run(
        [sys.executable, "-m", "kg", "review", added.id, "--by", "A\nB", "--port", "0"],
        env={**os.environ, "KG_HOME": str(data_copy)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.startswith("Error:") and "--by" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
