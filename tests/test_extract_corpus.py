"""The evaluation corpus, `kg eval --corpus`, and the extraction by form it measures."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kg.cli import main
from kg.data.dataset import load_dataset
from kg.errors import DataError
from kg.extract.corpus import _found, _matches, _Names, corpus_dir, load_corpus, load_split
from kg.extract.drafts import extract, extract_text
from tests.conftest import ROOT, kept_only

CORPUS = ROOT / "corpus"
#: The test split as frozen in commit 2226be4, before any rule was tuned: its ids, and the
#: bytes of its texts and annotations. A change to either is a change to the held-out set.
TEST_IDS_SHA256 = "fc5f3b550b3af298cd0aca7226716d395e9da7fa7407d2bbe8453c61c692f03d"
TEST_FILES_SHA256 = "ae9cedb92a2fb21f864d6709544bbb772225a2eaef3c5cd6fedf6ee0e566946b"


@pytest.fixture(scope="module")
def data():
    return load_dataset(ROOT / "data")


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    return load_dataset(kept_only(ROOT, tmp_path_factory.mktemp("kept")) / "data")


def test_the_corpus_is_whole_licensed_and_its_test_split_frozen():
    split = load_split(CORPUS)
    ids = sorted(p.name[: -len(".txt")] for p in (CORPUS / "texts").glob("*.txt"))
    assert sorted(split["dev"] + split["test"]) == ids and len(ids) >= 40
    assert not set(split["dev"]) & set(split["test"])
    assert hashlib.sha256("\n".join(split["test"]).encode()).hexdigest() == TEST_IDS_SHA256
    h = hashlib.sha256()
    for tid in split["test"]:
        h.update((CORPUS / "texts" / f"{tid}.txt").read_bytes())
        h.update((CORPUS / "annotations" / f"{tid}.yaml").read_bytes())
    assert h.hexdigest() == TEST_FILES_SHA256
    chinese = 0
    for tid in ids:
        meta = yaml.safe_load((CORPUS / "texts" / f"{tid}.meta.yaml").read_text("utf-8"))
        text = (CORPUS / "texts" / f"{tid}.txt").read_text("utf-8")
        assert meta["url"].startswith("http") and meta["publisher"] and meta["language"]
        # Copyrighted news only as short quotation; whole sections only when openly licensed
        # or a public record.
        if meta["licence"] == "all rights reserved":
            assert len(text) <= 300, tid
        else:
            assert meta["licence"] in ("CC BY-SA 4.0", "public record") and len(text) <= 1500
        chinese += meta["language"].startswith("zh")
    assert chinese >= 15


def test_the_annotation_loads_with_every_quote_verbatim():
    texts = load_corpus(CORPUS, "all")
    assert sum(len(t.facts) for t in texts) == 211
    hant = [t for t in texts if t.meta["language"] == "zh-Hant"]
    assert hant and all(t.text != t.text_hant for t in hant)


def test_a_bad_annotation_is_one_error_naming_file_and_line(tmp_path: Path):
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    tid = load_split(folder)["dev"][0]
    path = folder / "annotations" / f"{tid}.yaml"
    lines = path.read_text("utf-8").splitlines()
    k = next(i for i, line in enumerate(lines) if "quote:" in line)
    lines[k] = lines[k].replace('quote: "', 'quote: "NOT IN THE TEXT ')
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(DataError) as err:
        load_corpus(folder, "dev")
    assert f"{tid}.yaml" in str(err.value) and "quote not in the text" in str(err.value)
    assert f":{k + 1}" in str(err.value)
    with pytest.raises(DataError, match="no split 'train'"):
        load_corpus(folder, "train")


def test_eval_corpus_prints_figures_per_language_and_pooled():
    result = CliRunner().invoke(main, ["eval", "--corpus", "test"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "30 texts, 95 annotated facts" in out
    for part in ("zh (16 texts)", "en (14 texts)", "pooled (30 texts)"):
        assert f"corpus test, {part}" in out
    for group in ("founding", "roles", "working at", "leaving", "all"):
        assert group in out
    assert "kg review shows the sentence of" in out
    doc = json.loads(
        CliRunner().invoke(main, ["eval", "--corpus", "test", "--format", "json"]).output
    )
    pooled = doc["scores"]["corpus test, pooled (30 texts)"]
    for mode in ("strict", "lenient"):
        every = {s["group"]: s for s in pooled[mode]}["all"]
        assert every["annotated"] == 95 and every["right"] <= every["proposed"]
        assert every["found"] <= every["annotated"]
    assert doc["surfaced"]["pooled"]["facts"] == 95
    # one of SOURCE, --all and --corpus
    assert CliRunner().invoke(main, ["eval", "--all", "--corpus", "dev"]).exit_code == 2


def test_names_are_compared_as_a_reader_compares_them(data):
    names = _Names(data.entities)
    # script, case, spacing and legal form aside; a registry entity is any of its names
    assert names.key("杭州宇樹科技有限公司") == names.key("杭州宇树科技")
    assert names.key("Megvii Technology Inc.") == names.key("megvii technology")
    assert names.key("百度") == names.key("org/baidu") == names.key("Baidu")
    gold = {"person": "李想", "org": "理想汽车", "role": "董事长兼 CEO", "dates": ("None", "None")}
    chair = {**gold, "role": "role/chairman"}
    ceo = {**gold, "role": "CEO", "role_id": "role/ceo"}
    # a title that joins titles is given by one draft per title, and only by all of them
    assert _matches(gold, chair, names, False) and _matches(gold, ceo, names, False)
    assert _found(gold, [chair, ceo], names, False)
    assert not _found(gold, [chair], names, False)
    assert _found(gold, [chair], names, True)
    # lenient: one organisation's name inside the other's
    unit = {**ceo, "org": "理想汽车智能汽车群组"}
    assert _matches(gold, unit, names, True) and not _matches(gold, unit, names, False)


def test_a_traditional_source_is_quoted_as_written_and_its_quote_builds(data_copy: Path):
    from kg.data.add_source import add_source
    from kg.graph.build import build

    text = "陸奇於2017年1月加入百度，出任集團總裁兼首席運營官。\n"
    (data_copy / "hant.txt").write_text(text, "utf-8")
    sid = add_source(
        data_copy / "data",
        data_copy / "hant.txt",
        title="陸奇加入百度",
        publisher="界面新闻",
        lang="zh-Hant",
    ).id
    dataset = load_dataset(data_copy / "data")
    drafts = extract(dataset, sid)
    assert drafts
    for d in drafts:
        assert d.quote in text, d.quote  # as the page writes it, not in Simplified
    joined = next(d for d in drafts if d.fields.get("relation") == "worksFor")
    assert joined.fields["start"] == "2017-01" and "於" in joined.quote
    # The Traditional quote is evidence the build anchors in the canonical text.
    (data_copy / "data" / "statements" / f"{sid}.yaml").write_text(
        f"source: {sid}\nrelations:\n  - {{id: {sid}-1, subject: person/lu-qi, relation: worksFor, "
        f'object: org/baidu, start: "2017-01", quote: "{joined.quote}"}}\n',
        "utf-8",
    )
    assert build(data_copy, data_copy / "out").manifest["counts"]["triples"] > 0


def test_a_date_before_a_relative_offset_is_not_given_to_the_fact(kept):
    meta = {"language": "zh-Hans"}
    text = "2016年5月，张伟加入星河智能公司半年后，公司完成融资。\n"
    joined = [d for d in extract_text(kept, text, meta) if d.fields.get("relation") == "worksFor"]
    assert joined and all("start" not in d.fields for d in joined)
    assert any("半年后" in flag for d in joined for flag in d.flags)
    # The same sentence without the offset: the date is the joining's.
    plain = extract_text(kept, "2016年5月，张伟加入星河智能公司。\n", meta)
    assert any(d.fields.get("start") == "2016-05" for d in plain)


def test_dates_belong_to_their_clause_and_sentence(kept):
    en = extract_text(
        kept,
        "In 2009, Zhou Wen founded the venture capital firm Dawn Harbor Capital.\n",
        {"language": "en"},
    )
    founded = [d for d in en if d.fields.get("relation") == "founder"]
    assert founded and founded[0].fields["date"] == "2009"
    assert founded[0].fields["object"] == "Zhou Wen"
    zh = extract_text(
        kept, "2000 年至 2003 年间，张伟曾就职于星河智能公司，任工程师。\n", {"language": "zh-Hans"}
    )
    assert any(d.fields.get("organization") == "星河智能公司" for d in zh), zh


def test_titles_units_names_and_pronouns_by_their_form(kept):
    zh = {"language": "zh-Hans"}
    drafts = extract_text(kept, "星河智能公司高级副总裁、云计算事业群总经理张伟宣布离职。\n", zh)
    roles = {(d.fields["organization"], d.fields["role"]) for d in drafts if "role" in d.fields}
    assert ("星河智能公司", "role/senior-vice-president") in roles, roles
    assert ("云计算事业群", "role/general-manager") in roles, roles  # the unit, as one name
    # a zero subject: the clause continues the person of the clause before
    drafts = extract_text(kept, "2022年底张伟离开星河智能公司，次年2月联合创立远山机器人。\n", zh)
    founded = [d for d in drafts if d.fields.get("relation") == "founder"]
    assert founded and founded[0].fields["object"] == "张伟"
    assert founded[0].fields["subject"] == "远山机器人" and founded[0].fields["date"] == "2023-02"
    # 他 is the person named before it
    drafts = extract_text(kept, "张伟毕业于清华。他于2019年加入星河智能公司。\n", zh)
    assert any(
        d.fields.get("subject") == "张伟" and d.fields.get("object") == "星河智能公司"
        for d in drafts
    )
    en = {"language": "en"}
    drafts = extract_text(
        kept, "Haojun Wang, the chief financial officer of Dawn Harbor Robotics, left.\n", en
    )
    assert any(
        d.fields.get("member") == "Haojun Wang"
        and d.fields.get("role") == "chief financial officer"
        for d in drafts
    ), [d.fields for d in drafts]


def test_extract_explain_shows_what_was_recognised_and_tried(data_copy: Path):
    env = {"KG_HOME": str(data_copy)}
    shown = CliRunner().invoke(main, ["extract", "jiemian-baidu-ai-decade", "--explain"], env=env)
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert "rules tried:" in out and "rules matched:" in out and "= org/baidu" in out
    assert "draft (" in out and "DATE" in out
    doc = json.loads(
        CliRunner()
        .invoke(
            main, ["extract", "jiemian-baidu-ai-decade", "--explain", "--format", "json"], env=env
        )
        .output
    )
    assert doc and {"text", "mentions", "tried", "matched", "drafts"} <= set(doc[0])
    matched = [s for s in doc if s["matched"]]
    assert matched and all(s["drafts"] or s["matched"] for s in matched)
    bad = CliRunner().invoke(
        main, ["extract", "jiemian-baidu-ai-decade", "--explain", "--write"], env=env
    )
    assert bad.exit_code == 2


def test_word_lists_name_no_entity(data):
    from kg.extract import forms

    names = {
        label
        for e in data.entities.values()
        if e.type in ("Person", "Organization")
        for label in [*e.labels.values(), *(x for x, _, _ in e.alt_labels)]
    }
    assert sorted((forms.surnames() | forms.not_person()) & names) == []


def test_corpus_dir_is_the_projects():
    assert corpus_dir(ROOT) == CORPUS


def test_sentences_to_look_at_include_a_surname_that_moves(kept):
    from kg.extract.explain import explain_text, sentences_to_look_at

    text = "In 2015, Cao joined SenseTime. The weather was fine.\n"
    sentences = explain_text(kept, text, {"language": "en"})
    listed = [s.text for s in sentences_to_look_at(sentences)]
    assert listed == ["In 2015, Cao joined SenseTime."]
