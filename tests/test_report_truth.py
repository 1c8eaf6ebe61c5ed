"""The diaspora report says no more than its sources (issue 23, item 1): every figure with its
true subject, a value taken at a point shown at that point, a joining cited by the quote that
states it, and never "None", "nan" or a negative number of years. Each test reads the output
of the real ``kg analyze`` (or the report function on the same built graph)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from rdflib import URIRef

from kg.analysis.facts import stating
from kg.analysis.report import diaspora_report, not_dated_text, render_markdown
from kg.cli import main
from kg.project.namespaces import BASE, PREFIXES


def analyze(built, *args: str) -> str:
    result = CliRunner().invoke(main, ["analyze", "--out", str(built.out), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def rows(report: str, quote: str) -> list[str]:
    """The report's table rows that cite *quote*."""
    return [line for line in report.splitlines() if line.startswith("|") and quote in line]


def test_a_bought_gpus_price_is_not_given_as_baidus_price(built):
    en, zh = analyze(built, "--lang", "en"), analyze(built)
    (row,) = rows(en, "百度团队嫌外购GPU太贵(1万美元/片)")
    assert "Baidu unit price" not in row
    assert "unit price of a product Baidu bought: USD 10,000 per unit" in row
    (row,) = rows(zh, "百度团队嫌外购GPU太贵(1万美元/片)")
    assert "百度单价" not in row
    assert "百度外购产品的单价:1万美元/片" in row


def test_the_home_made_chips_cost_is_not_given_as_baidus_development_cost(built):
    en, zh = analyze(built, "--lang", "en"), analyze(built)
    (row,) = rows(en, "两万元就做出来了")
    assert "Baidu development cost" not in row
    assert "cost of a product Baidu developed itself: CNY 20,000" in row
    (row,) = rows(zh, "两万元就做出来了")
    assert "百度研发成本" not in row
    assert "百度自研产品的成本:2万元" in row


def test_values_from_the_start_and_end_of_a_span_are_shown_at_those_dates(built):
    """Apollo's partners went "from 50 to 116" over Lu Qi's tenure (2017 to 2018-05): 50 is
    the number at the start, 116 at the end; neither is the number for the whole span. The
    share price "at the start of the period" is the price in 2017."""
    en = analyze(built, "--lang", "en")
    partners = rows(en, "Apollo number of partners")
    assert sorted(r.split(" | ")[0:2] for r in partners) == [
        ["| 2017", "Apollo number of partners: 50 partners"],
        ["| 2018-05", "Apollo number of partners: 116 partners"],
    ]
    (start,) = rows(en, "share price at the start of the period")
    assert start.startswith("| 2017 | ")
    zh = analyze(built)
    assert {r.split(" | ")[0] for r in rows(zh, "Apollo合作伙伴数量")} == {"| 2017", "| 2018-05"}
    assert "2017–2018-05 | Apollo" not in zh


def test_a_joining_cites_the_quote_that_states_it_not_the_departure(built, full_built):
    """The article dates Lu Qi's tenure by two sentences: "2017年空降百度" (his arrival) and
    "2018年5月…卸任" (his departure). The joining cites the first alone; the departure the
    second. With the cited sources too, "when he stepped down in May" is not cited for the
    joining in 2017-01 either; and the month is cited from a statement that gives the month
    (kg:startDateFrom), not from the article's "2017" alone."""
    for graph, date in ((built, "2017"), (full_built, "2017-01")):
        en = analyze(graph, "--lang", "en")
        (row,) = [r for r in en.splitlines() if r.startswith(f"| {date} | Qi Lu joined Baidu")]
        assert ("2017年空降百度" in row) == (date == "2017")
        assert date == "2017" or "2017-01-17" in row
        assert "卸任" not in row and "stepped down" not in row
    en = analyze(built, "--lang", "en")
    (left,) = [r for r in en.splitlines() if r.startswith("| 2018-05 | Qi Lu left Baidu")]
    assert "2018年5月" in left and "2017年空降百度" not in left


def test_stating_keeps_the_quotes_that_write_the_date():
    found = [
        ("a", "2017年空降百度"),
        ("a", "2018年5月,陆奇因“个人和家庭原因”突然卸任"),
        ("b", "date 2017-01-17"),
        ("b", "Baidu has appointed Qi Lu"),  # no year: dated by its source's dateline
        ("c", "when he stepped down in May"),  # no year, and its source writes none
        ("d", "hired in early 2017"),
        ("d", "when he stepped down in May"),  # another month
    ]
    assert stating(found, "2017-01") == [
        "2017年空降百度",
        "date 2017-01-17",
        "Baidu has appointed Qi Lu",
        "hired in early 2017",
    ]
    assert stating(found, "2018-05") == ["2018年5月,陆奇因“个人和家庭原因”突然卸任"]
    assert stating(found, "2020") == []


def test_an_undated_joining_says_no_quote_writes_the_date(built):
    report = diaspora_report(built.graph, lang="en")
    event = next(e for e in report["timeline"] if e["event"] == "joined")
    report["timeline"] = [{**event, "date_quoted": False}]
    text = render_markdown(report)
    assert f"{event['description']} (no quote shown writes this date)" in text


NEGATIVE_YEARS = re.compile(r"(?<!\d)-\s*\d[\d.]*\s*(?:years?|年)|(?:after|before|后|後|前)\s*-\d")


def orgs_with_alumni(graph) -> list[str]:
    found = {str(o) for o in graph.objects(None, URIRef(PREFIXES["schema"] + "alumniOf"))}
    return sorted(o[len(BASE) :] for o in found if o.startswith(BASE + "org/"))


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant", "en"])
def test_no_report_says_none_nan_or_a_negative_number_of_years(full_built, lang):
    orgs = orgs_with_alumni(full_built.graph)
    assert "org/baidu" in orgs and len(orgs) > 3
    for org in orgs:
        text = render_markdown(diaspora_report(full_built.graph, org, lang))
        assert not re.search(r"\bNone\b", text), org
        assert not re.search(r"\bnan\b", text, re.IGNORECASE), org
        assert not NEGATIVE_YEARS.search(text), (org, NEGATIVE_YEARS.search(text))


def test_a_chinese_role_date_reads_as_chinese_at_its_own_precision(full_built):
    """ "常务副院长(2013-07年出任)" wrote a year's 年 after a month: the prose dates of the
    Chinese report read 2013年7月 (and a bare year 2020年), nothing added."""
    zh = analyze(full_built)
    assert not re.search(r"\d-\d{2}年", zh)
    assert "常务副院长(2013年7月出任)" in zh and "首席芯片架构师(2020年出任)" in zh


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "Every arrival at Big, departure from it, move inside its group and founding"),
        ("zh-Hans", "此处各人加入和离开Big、在集团内调动及所创公司的创立"),
    ],
)
def test_all_dated_says_which_dates_it_checked_not_every_joining(lang, said):
    """With every tenure at the organisation, move and founding dated, the report says just
    that: an earlier job elsewhere the sources leave undated (A at Old) is not "dated"."""
    report = {
        "lang": lang,
        "org": {"id": "org/big", "name": "Big"},
        "alumni": [
            {
                "id": "p/a",
                "name": "A",
                "start": "2010",
                "end": "2016-06",
                "left_group": True,
                "went": [
                    {"how": "founded", "org": {"id": "org/s", "name": "S"}, "start": None},
                    {"how": "joined", "org": {"id": "org/old", "name": "Old"}, "start": None},
                ],
            }
        ],
        "companies": [{"id": "org/s", "name": "S", "founded": "2017-06"}],
    }
    text = not_dated_text(report)
    assert text.startswith(said), text
    assert "joining" not in text and "加入、离开、调动" not in text
