"""The cleaner, on small pages written for the purpose and on the article itself."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kg.errors import SourceError
from kg.sources.clean import clean_file, clean_page
from kg.sources.lines import REPLACEMENT, find_damage, strip_annotations

ARTICLE = Path(__file__).resolve().parent.parent / "data/sources/jiemian-baidu-ai-decade.raw.txt"
META = ARTICLE.with_name("jiemian-baidu-ai-decade.meta.yaml")
#: The sha256 of the page as scraped, recorded when it was added; the raw file never changes.
ARTICLE_SHA256 = "4dbeb49ed04341e68554fcc2af587671a0f2d9ef86491d0391dffca05896027a"


def page(*lines: str) -> bytes:
    return "\n\n".join(lines).encode("utf-8")


BODY = [
    "標題:一場測試",
    "文 | 記者",
    "張三創立了甲公司,李四擔任首席執行官。",
    "第二段說明(2020年)公司營收增長了一倍?",
    "第三段:王五離職,後為乙公司(ok)。",
]


def test_body_twice_is_merged_and_repaired_from_either_copy():
    first = list(BODY)
    second = list(BODY)
    first[2] = "張三創立了甲公司?!?四擔任首席執行官。"  # lost in the first copy
    second[4] = "第三段:王五離?qū)職,後為乙公司(ok)。"  # garbled in the second copy only
    raw = page(
        "色情|賭博|彩票|成人|免費",
        "正在閱讀:",
        "標題:一場測試",
        *first,
        "評論",
        "暫無評論",
        *second,
    )
    result = clean_page(raw, "fixture")
    assert result.text.splitlines() == [
        "标题:一场测试",
        "文 | 记者",
        "张三创立了甲公司,李四担任首席执行官。",
        "第二段说明(2020年)公司营收增长了一倍?",
        "第三段:王五离职,后为乙公司(ok)。",
    ]
    report = result.report
    assert [(d.damaged, d.replacement) for d in report.repairs] == [("?!?", ",李"), ("?qū)", "")]
    assert report.unrepaired == []
    assert report.dropped["spam keywords"] == [1]
    assert report.dropped["reading prompt"] == [3, 5]
    assert report.dropped["comment widget"] == [17, 19]
    assert len(report.body_copies) == 2


def test_pinyin_annotations_are_removed_but_other_parentheses_kept():
    text, count = strip_annotations("變現(xiàn)與(2020年)人才(ok)的離散(lí)(sàn)")
    assert text == "變現與(2020年)人才(ok)的離散(sàn)"  # a second annotation follows ")"
    assert count == 2
    assert strip_annotations("公司(AI)與(hello)")[1] == 0


def test_damage_in_both_copies_is_reported_not_hidden():
    line = "其2026年?duì)I收將飆至83億。"
    raw = page("標題", line, "尾段。", "其他", "標題", line, "尾段。")
    result = clean_page(raw, "fixture")
    assert "其2026年" + REPLACEMENT + "收将飙至83亿。" in result.text
    (damage,) = result.report.unrepaired
    assert damage.damaged == "?duì)I"
    assert damage.line == 3
    assert result.text[damage.offset] == REPLACEMENT
    assert "UNREPAIRED line 3" in result.report.summary()


def test_single_copy_page_keeps_its_body_and_drops_chrome():
    raw = page("掃一掃下載界面新聞APP", *BODY, "百度", "4.9k", "  • 相關新聞一則", "微博")
    result = clean_page(raw, "fixture")
    assert result.text.splitlines()[0] == "标题:一场测试"
    assert result.text.splitlines()[-1] == "第三段:王五离职,后为乙公司(ok)。"
    dropped = result.report.dropped
    assert set(dropped) == {
        "app download",
        "tag line",
        "view counter",
        "related headlines",
        "share buttons",
    }


def test_question_marks_that_end_sentences_are_not_damage():
    assert find_damage("百度究竟留下了什麼?") == []
    assert find_damage("他問:“真的嗎?”然後走了") == []
    assert find_damage("All in AI?!?018年") == [(9, 12)]


def test_non_utf8_page_names_file_line_and_column(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("第一行\n第二".encode() + b"\xff\xfe" + "行\n".encode())
    with pytest.raises(SourceError) as exc:
        clean_file(bad)
    message = str(exc.value)
    assert message.startswith(f"{bad}:2:7: not valid UTF-8")
    assert "save the page as UTF-8" in message


def test_the_article_raw_file_is_kept_byte_for_byte():
    # The repository's own copy is the reference: its bytes hash to the sha256 its
    # metadata records, which is the hash of the page as it was scraped.
    from kg.project._yaml import load_yaml

    recorded = load_yaml(META)["sha256"]
    assert recorded == ARTICLE_SHA256
    assert hashlib.sha256(ARTICLE.read_bytes()).hexdigest() == recorded


def test_the_article_cleans_as_reported():
    result = clean_file(ARTICLE)
    text, report = result.text, result.report
    assert text.startswith("百度AI十年启示录:一颗芯片的变现与一场人才的离散\n")
    assert text.endswith("本文为转载内容,授权事宜请联系原著作权人。")
    assert text.count("余凯、黄畅创立地平线") == 1  # one copy of the body
    assert "(xiàn)" not in text and "(" + "yíng)" not in text
    assert "“自己从未说过All in AI。”2018年5月,陆奇" in text  # repaired from the second copy
    assert [(d.line, d.damaged) for d in report.repairs] == [(73, "?!?")]
    assert [(d.line, d.damaged) for d in report.unrepaired] == [(37, "?duì)I"), (91, "?qū)嵕€")]
    assert report.body_copies == [(9, 113), (131, 235)]
    assert report.dropped["spam keywords"] == [1]
    assert report.dropped["view counter"] == [117]
    assert "随着" in text and "随著" not in text  # Taiwan-standard variants converted too
    assert result.text_hant.startswith("百度AI十年啟示錄")
    for start, end, line in result.paragraphs:
        assert 1 <= line <= 235 and text[start:end]
