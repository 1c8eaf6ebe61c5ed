"""Hostile or careless data gets one `Error:` line naming the file and line, never a
traceback, a hang, a silently lost character or a wrong value (security review, issue 10).

Each case runs `kg build --root` on a copy of the project's data with one edit.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kg.errors import SourceError
from kg.sources.clean import clean_file, clean_page, decode
from tests.conftest import edit

STATEMENTS = "data/statements/jiemian-baidu-ai-decade.yaml"
ENTITIES = "data/entities.yaml"
RELATIONS = "data/relations.yaml"
META = "data/sources/jiemian-baidu-ai-decade.meta.yaml"
RAW = "data/sources/jiemian-baidu-ai-decade.raw.txt"


def append(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def set_raw(root: Path, data: bytes) -> Path:
    """Replace the raw page and record its new sha256, as a user adding a page would."""
    raw = root / RAW
    raw.write_bytes(data)
    meta = root / META
    digest = hashlib.sha256(data).hexdigest()
    meta.write_text(re.sub(r"sha256: \w+", f"sha256: {digest}", meta.read_text()))
    return raw


def kg_build(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", "build", "--root", str(root), "--out", str(root / "out")],
        capture_output=True,
        text=True,
    )


def assert_one_error(result: subprocess.CompletedProcess[str], root: Path, expected: str) -> None:
    """Exit code 1, no traceback, exactly one `Error:` line, the last, as expected; no output."""
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [expected], result.stderr[-3000:]
    assert result.stderr.splitlines()[-1] == expected
    assert result.returncode == 1
    assert not (root / "out").exists()


# --- sources: control characters are removed and reported, never lost or kept ----------


def test_a_nul_in_the_source_is_removed_and_reported_not_a_truncated_line(data_copy, built):
    raw = data_copy / RAW
    damaged = raw.read_bytes().replace("余凱、黃暢".encode(), "余凱、黃暢\x00".encode())
    assert damaged.count(b"\x00") == 2  # once in each copy of the body (lines 95 and 217)
    set_raw(data_copy, damaged)

    result = kg_build(data_copy)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert (
        f"Warning: 2 control, separator or bidi character(s) removed from {raw} (the first at "
        f"line 95, column 6); the cleaning report lists each (kg clean {raw})"
    ) in result.stderr.splitlines()
    out = data_copy / "out"
    name = "text/jiemian-baidu-ai-decade.zh-Hans.txt"
    # The rest of each line survives: the clean text is exactly the undamaged page's.
    assert (out / name).read_bytes() == (built.out / name).read_bytes()
    assert b"\x00" not in (out / "kg.nt").read_bytes()
    report = json.loads((out / "text/jiemian-baidu-ai-decade.report.json").read_text())
    assert report["removed_characters"] == [
        {"line": 95, "column": 6, "char": "U+0000"},
        {"line": 217, "column": 6, "char": "U+0000"},
    ]


def test_a_nul_keeps_the_rest_of_its_line():
    result = clean_page("標題\n\n陸奇\x00出任集團總裁兼COO。\n".encode(), "page.txt")
    assert result.text == "标题\n陆奇出任集团总裁兼COO。"
    assert result.text_hant == "標題\n陸奇出任集團總裁兼COO。"
    assert [(r.line, r.column, r.char) for r in result.report.removed] == [(3, 3, "\x00")]
    assert "removed U+0000 NULL at page.txt:3:3" in result.report.summary()


def test_crlf_ends_lines_and_other_controls_and_bidi_overrides_are_removed_and_reported():
    lf = "標題\n\n陸奇出任集團總裁兼COO。\n\n第二段。\n"
    hostile = "標題\r\n\r\n陸奇\u202e出任集團\x0c總裁兼COO。\r\n\r\n第二段。\x1b[31m\r\n"
    plain = clean_page(lf.encode(), "page.txt")
    result = clean_page(hostile.encode(), "page.txt")
    assert result.text == plain.text.replace("第二段。", "第二段。[31m")
    assert result.text_hant == plain.text_hant.replace("第二段。", "第二段。[31m")
    assert [(r.line, r.column, r.char) for r in result.report.removed] == [
        (3, 3, "\u202e"),
        (3, 8, "\x0c"),
        (5, 5, "\x1b"),
    ]
    assert result.report.as_dict()["removed_characters"][0] == {
        "line": 3,
        "column": 3,
        "char": "U+202E",
    }
    summary = result.report.summary()
    assert "removed U+202E RIGHT-TO-LEFT OVERRIDE at page.txt:3:3" in summary
    assert "removed U+000C FORM FEED at page.txt:3:8" in summary
    assert plain.report.removed == []


def test_a_bad_byte_after_cr_line_ends_is_named_by_its_line():
    with pytest.raises(SourceError) as exc:
        decode("一\r二\r三".encode() + b"\xff", "page.txt")
    assert str(exc.value).startswith("page.txt:3:4: not valid UTF-8")


def test_the_article_has_nothing_to_remove():
    assert clean_file(Path(__file__).resolve().parent.parent / RAW).report.removed == []


# --- YAML: one reader that refuses what the data does not need ---------------------------

LAUGHS = "lol:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  {b}: &{b} [{', '.join(['*' + a] * 9)}]\n"
    for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_a_billion_laughs_document_is_refused_at_its_first_anchor(data_copy):
    path = append(data_copy, RELATIONS, LAUGHS)
    result = kg_build(data_copy)
    assert_one_error(
        result,
        data_copy,
        f"Error: {path}:{line_of(path, 'a: &a')}: YAML anchor &a is not allowed here "
        "(the data files use no anchors or aliases); write the value out",
    )


def test_deep_nesting_is_refused_before_the_parser_recurses(data_copy):
    path = append(data_copy, RELATIONS, "deep: " + "[" * 20000 + "\n")
    result = kg_build(data_copy)
    assert_one_error(
        result,
        data_copy,
        f"Error: {path}:{line_of(path, 'deep: [')}: YAML nested more than 32 levels deep",
    )


def test_an_unquoted_impossible_date_gets_the_projects_own_date_error(data_copy):
    path = edit(
        data_copy,
        STATEMENTS,
        'start: "2017", end: "2018-05",\n     quote: ["2017',
        'start: "2017", end: 2018-02-30,\n     quote: ["2017',
    )
    result = kg_build(data_copy)
    assert_one_error(
        result,
        data_copy,
        f"Error: {path}:{line_of(path, 'id: lu-qi-baidu,')}: date '2018-02-30' does not exist",
    )


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("value: !!int x,", "YAML tag !!int is not allowed here"),
        ("value: !!timestamp 2018-02-30,", "YAML tag !!timestamp is not allowed here"),
        ("value: " + "9" * 5000 + ",", "a number of 5000 digits is too long"),
    ],
    ids=["tag", "timestamp-tag", "huge-number"],
)
def test_values_yaml_would_crash_on_are_refused(data_copy, new, message):
    path = edit(data_copy, STATEMENTS, "value: 486,", new)
    result = kg_build(data_copy)
    line = line_of(path, "id: lu-qi-tenure,")
    tail = (
        '; write the value plainly (in quotes if it is text, as in "2018-05")'
        if "tag" in message
        else ""
    )
    assert_one_error(result, data_copy, f"Error: {path}:{line}: {message}{tail}")


def test_a_duplicate_key_names_the_file(data_copy):
    path = edit(
        data_copy,
        STATEMENTS,
        "- {id: horizon-founder-yu-kai,",
        "- {id: horizon-founder-yu-kai, id: x,",
    )
    result = kg_build(data_copy)
    line = line_of(path, "id: horizon-founder-yu-kai,")
    assert_one_error(result, data_copy, f"Error: {path}:{line}: duplicate key 'id' in one mapping")


# --- URLs are checked as IRIs before rdflib sees them -----------------------------------


def test_an_en_source_url_with_a_quote_is_refused_with_file_and_line(data_copy):
    url = "https://thetechportal.com/2017/01/17/baidu-appoints-new-coo"
    path = edit(
        data_copy, ENTITIES, f'en_source: "{url}"', 'en_source: "https://example.org/a\\"b"'
    )
    result = kg_build(data_copy)
    line = line_of(path, "https://example.org/a")
    assert_one_error(
        result,
        data_copy,
        f"Error: {path}:{line}: entity person/lu-qi: en_source must be a URL or one of "
        "hanyu-pinyin, translation; 'https://example.org/a\"b' holds '\"' at character 22, "
        "which an IRI may not hold (percent-encode it as %22)",
    )


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (
            "https://example.org/a b",
            "holds ' ' at character 22, which an IRI may not hold (percent-encode it as %20)",
        ),
        (
            "https://example.org/<x>",
            "holds '<' at character 21, which an IRI may not hold (percent-encode it as %3C)",
        ),
        ("https://example.org/100%", "holds a '%' at character 24 not followed by two hex digits"),
        (
            "https://example.org/\u202ex",
            "holds U+202E RIGHT-TO-LEFT OVERRIDE at character 21, which an IRI may not hold",
        ),
        ("javascript:alert(1)", "must be an absolute http:// or https:// URL with a host"),
        ("wikipedia", "must be an absolute http:// or https:// URL with a host"),
    ],
    ids=["space", "angle", "percent", "bidi", "javascript", "not-a-url"],
)
def test_an_alt_label_source_must_be_a_url_or_a_method(data_copy, source, problem):
    """Alt label sources become IRIs too (prov:wasDerivedFrom); they were not checked at all."""
    path = edit(
        data_copy,
        ENTITIES,
        "{label: 硅谷华人传奇, lang: zh-Hans}",
        "{label: 硅谷华人传奇, lang: zh-Hans, source: " + json.dumps(source) + "}",
    )
    result = kg_build(data_copy)
    line = line_of(path, "硅谷华人传奇")
    assert_one_error(
        result,
        data_copy,
        f"Error: {path}:{line}: entity person/lu-qi: alt label source must be a URL or one of "
        f"hanyu-pinyin, translation; {source!r} {problem}",
    )


def test_a_source_url_and_date_in_the_metadata_are_checked(data_copy):
    path = edit(data_copy, META, "language: zh\n", 'language: zh\nurl: "https://a.example/x y"\n')
    result = kg_build(data_copy)
    assert_one_error(
        result,
        data_copy,
        f"Error: {path}:{line_of(path, 'url:')}: url holds ' ' at character 20, which an IRI "
        "may not hold (percent-encode it as %20)",
    )
    edit(data_copy, META, 'url: "https://a.example/x y"\n', "date: 2018-02-30\n")
    result = kg_build(data_copy)
    assert_one_error(
        result,
        data_copy,
        f"Error: {path}:{line_of(path, 'date:')}: date '2018-02-30' does not exist",
    )


# --- labels and other text fields: one rule --------------------------------------------

LU_QI = "labels: {zh-Hans: 陆奇, zh-Hant: 陸奇, en: Qi Lu}"


@pytest.mark.parametrize(
    ("labels", "field", "problem"),
    [
        (
            "labels: {zh-Hans: [陆, 奇], zh-Hant: 陸奇, en: Qi Lu}",
            "zh-Hans",
            "must be text, not a list (['陆', '奇']); write it as one string",
        ),
        (
            'labels: {zh-Hans: "陆\\u202e奇", zh-Hant: 陸奇, en: Qi Lu}',
            "zh-Hans",
            "holds U+202E RIGHT-TO-LEFT OVERRIDE at character 2 (bidirectional control)",
        ),
        (
            'labels: {zh-Hans: 陆奇, zh-Hant: "陸\\u2066奇", en: Qi Lu}',
            "zh-Hant",
            "holds U+2066 LEFT-TO-RIGHT ISOLATE at character 2 (bidirectional control)",
        ),
        (
            'labels: {zh-Hans: 陆奇, zh-Hant: 陸奇, en: "Qi\\nLu"}',
            "en",
            "holds a line break, U+000A LINE FEED, at character 3; labels are one line",
        ),
        (
            'labels: {zh-Hans: 陆奇, zh-Hant: 陸奇, en: "Qi\\u2028Lu"}',
            "en",
            "holds a line break, U+2028 LINE SEPARATOR, at character 3; labels are one line",
        ),
        (
            'labels: {zh-Hans: 陆奇, zh-Hant: 陸奇, en: "Qi\\x00Lu"}',
            "en",
            "holds U+0000 NULL at character 3",
        ),
        (
            'labels: {zh-Hans: 陆奇, zh-Hant: 陸奇, en: "Qi\\x9bLu"}',
            "en",
            "holds U+009B (a control character) at character 3",
        ),
        (
            'labels: {zh-Hans: 陆奇, zh-Hant: 陸奇, en: " Qi Lu"}',
            "en",
            "has leading or trailing whitespace",
        ),
        (
            "labels: {zh-Hans: 陆奇, zh-Hant: 陸奇, en: " + "Q" * 201 + "}",
            "en",
            "is 201 characters long (at most 200)",
        ),
        (
            "labels: {zh-Hans: 陆奇, zh-Hant: 陸奇, en: 360}",
            "en",
            "must be text, not a number (360); quote it in YAML",
        ),
    ],
    ids=[
        "list",
        "rlo",
        "isolate",
        "newline",
        "line-separator",
        "nul",
        "c1",
        "space",
        "long",
        "number",
    ],
)
def test_a_bad_label_is_refused_with_file_line_and_field(data_copy, labels, field, problem):
    path = edit(data_copy, ENTITIES, LU_QI, labels)
    result = kg_build(data_copy)
    line = line_of(path, labels[:20])
    assert_one_error(
        result, data_copy, f"Error: {path}:{line}: entity person/lu-qi: label {field} {problem}"
    )


@pytest.mark.parametrize(
    ("rel", "old", "new", "needle", "message"),
    [
        (
            ENTITIES,
            "{label: 硅谷华人传奇, lang: zh-Hans}",
            '{label: "硅谷\\u202e华人传奇", lang: zh-Hans}',
            "硅谷",
            "entity person/lu-qi: alt label holds U+202E RIGHT-TO-LEFT OVERRIDE at character 3 "
            "(bidirectional control)",
        ),
        (
            STATEMENTS,
            "relation: formerName, value: 景驰科技,",
            "relation: formerName, value: [景驰, 科技],",
            "formerName",
            "formerName value must be text, not a list (['景驰', '科技']); write it as one string",
        ),
        (
            STATEMENTS,
            "unit: days,",
            'unit: "days\\r",',
            "id: lu-qi-tenure,",
            "figure unit holds a line break, U+000D CARRIAGE RETURN, at character 5; labels are "
            "one line",
        ),
        (
            RELATIONS,
            "label: {en: founded by, zh-Hans: 创始人, zh-Hant: 創始人}",
            'label: {en: "founded\\u202eby", zh-Hans: 创始人, zh-Hant: 創始人}',
            "founded",
            "relation 'founder': label en holds U+202E RIGHT-TO-LEFT OVERRIDE at character 8 "
            "(bidirectional control)",
        ),
    ],
    ids=["alt-label", "former-name", "unit", "relation-label"],
)
def test_every_text_field_follows_the_label_rule(data_copy, rel, old, new, needle, message):
    path = edit(data_copy, rel, old, new)
    result = kg_build(data_copy)
    assert_one_error(result, data_copy, f"Error: {path}:{line_of(path, needle)}: {message}")


# --- quotes: an ambiguous quote is an error unless the statement says which ------------


def test_an_ambiguous_quote_is_an_error(data_copy):
    path = edit(
        data_copy,
        STATEMENTS,
        'quote: "陆奇在位的486天", occurrence: 2}',
        'quote: "陆奇在位的486天"}',
    )
    result = kg_build(data_copy)
    line = line_of(path, "id: lu-qi-tenure,")
    assert_one_error(
        result,
        data_copy,
        f"Error: {path}:{line}: quote '陆奇在位的486天' occurs 2 times in the clean text of "
        "jiemian-baidu-ai-decade (1: '…17年空降百度,[陆奇在位的486天]里,为自研芯片项…'; "
        "2: '…“史上最贵”。\\n[陆奇在位的486天],为百度浇筑了A…'); give a longer quote, or say "
        "which with 'occurrence: N' (1-based)",
    )


def test_occurrence_picks_the_one_the_statement_means(built):
    text = next(iter(built.data.sources.values())).text
    (tenure,) = [f for f in built.data.figures if f.id == "lu-qi-tenure"]
    (evidence,) = tenure.evidence
    first = text.find("陆奇在位的486天")
    assert evidence.start == text.find("陆奇在位的486天", first + 1) > first
    assert text[evidence.start : evidence.end] == "陆奇在位的486天"
    assert text[evidence.end : evidence.end + 9] == ",为百度浇筑了AI"  # the tenure summed up


def test_an_occurrence_beyond_the_last_is_an_error(data_copy):
    path = edit(data_copy, STATEMENTS, "occurrence: 2}", "occurrence: 3}")
    result = kg_build(data_copy)
    assert_one_error(
        result,
        data_copy,
        f"Error: {path}:{line_of(path, 'id: lu-qi-tenure,')}: occurrence 3 of quote "
        "'陆奇在位的486天': it occurs only 2 time(s) in the clean text of jiemian-baidu-ai-decade",
    )


def test_an_empty_source_is_reported_as_empty(data_copy):
    raw = set_raw(data_copy, b"")
    meta = data_copy / META
    result = kg_build(data_copy)
    assert_one_error(
        result,
        data_copy,
        f"Error: {meta}: source jiemian-baidu-ai-decade: {raw} is empty, so nothing can be "
        f"quoted from it (`kg clean {raw}` shows what the cleaner keeps)",
    )


def test_a_source_that_is_all_page_chrome_is_reported_as_holding_no_text(data_copy):
    raw = set_raw(data_copy, "正在閱讀:\n\n微博\n\n評論\n".encode())
    meta = data_copy / META
    result = kg_build(data_copy)
    assert_one_error(
        result,
        data_copy,
        f"Error: {meta}: source jiemian-baidu-ai-decade: {raw} holds no text after cleaning, "
        f"so nothing can be quoted from it (`kg clean {raw}` shows what the cleaner keeps)",
    )


# --- parameter values become IRIs in queries: checked the same way ----------------------


@pytest.mark.parametrize(
    ("value", "iri", "position"),
    [
        (
            "<https://w3id.org/china-ai-kg/org/baidu> . ?s ?p ?o } #>",
            "https://w3id.org/china-ai-kg/org/baidu> . ?s ?p ?o } #",
            39,
        ),
        ("schema:founder> ?o . ?s ?p ?o } #", "https://schema.org/founder> ?o . ?s ?p ?o } #", 27),
        (
            "https://w3id.org/china-ai-kg/org/baidu>}#",
            "https://w3id.org/china-ai-kg/org/baidu>}#",
            39,
        ),
    ],
    ids=["iri", "prefixed-name", "url"],
)
def test_a_parameter_value_cannot_end_its_iri_and_add_sparql(built, value, iri, position):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg",
            "query",
            "SELECT ?s WHERE { ?s ?p $o }",
            "--bind",
            f"o={value}",
            "--graph",
            str(built.out / "kg.nt"),
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"Error: parameter value {value!r} is not an IRI: {iri!r} holds '>' at character "
        f"{position}, "
        "which an IRI may not hold (percent-encode it as %3E)"
    ]
    assert result.returncode == 1
    assert result.stdout == ""
