"""Malformed data gets a clear error naming the file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.data.dataset import load_dataset
from kg.errors import DataError, QuoteNotFoundError, SourceError
from tests.conftest import edit

STATEMENTS = "data/statements/jiemian-baidu-ai-decade.yaml"


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_the_article_dataset_loads(root):
    data = load_dataset(root / "data")
    assert data.counts()["statements"] > 50
    assert all(s.evidence for s in data.statements)


def test_quote_not_found_names_file_line_quote_and_nearest_text(data_copy):
    path = edit(data_copy, STATEMENTS, 'quote: "倪凯创立禾多科技"', 'quote: "倪凯创办禾多科技"')
    with pytest.raises(QuoteNotFoundError) as exc:
        load_dataset(data_copy / "data")
    line = line_of(path, "倪凯创办禾多科技") - 1  # the mapping starts on the line before
    assert str(exc.value) == (
        f"{path}:{line}: quote not found in the clean text of jiemian-baidu-ai-decade: "
        "'倪凯创办禾多科技'; nearest text: '倪凯创立禾多科技'"
    )


def test_unknown_entity_suggests_the_closest_id(data_copy):
    path = edit(data_copy, STATEMENTS, "object: person/ni-kai,", "object: person/ni-kia,")
    with pytest.raises(
        DataError, match=r"unknown entity id 'person/ni-kia'; did you mean 'person/ni-kai'\?"
    ):
        load_dataset(data_copy / "data")
    with pytest.raises(DataError) as exc:
        load_dataset(data_copy / "data")
    assert str(exc.value).startswith(f"{path}:")


def test_unknown_relation_type(data_copy):
    edit(
        data_copy,
        STATEMENTS,
        "relation: founder, object: person/ni-kai",
        "relation: founded, object: person/ni-kai",
    )
    with pytest.raises(
        DataError, match=r":\d+: unknown relation type 'founded'; did you mean 'founder'\?"
    ):
        load_dataset(data_copy / "data")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('"2018-5"', r"date '2018-5' is not YYYY, YYYY-MM or YYYY-MM-DD"),
        ('"May 2018"', r"date 'May 2018' is not YYYY, YYYY-MM or YYYY-MM-DD"),
        ('"2018-13"', r"date '2018-13' does not exist"),
        ('"2016"', r"end 2016 is before start 2017"),
    ],
)
def test_bad_dates(data_copy, bad, message):
    path = edit(
        data_copy,
        STATEMENTS,
        'start: "2017", end: "2018-05",\n     quote: ["2017',
        f'start: "2017", end: {bad},\n     quote: ["2017',
    )
    with pytest.raises(DataError, match=re.escape(str(path)) + r":\d+: " + message):
        load_dataset(data_copy / "data")


def test_duplicate_statement_id(data_copy):
    edit(data_copy, STATEMENTS, "id: pony-founder-lou-tiancheng", "id: pony-founder-peng-jun")
    with pytest.raises(
        DataError, match=r"duplicate statement id 'pony-founder-peng-jun' \(first at .*yaml:\d+\)"
    ):
        load_dataset(data_copy / "data")


def test_duplicate_entity_id(data_copy):
    edit(data_copy, "data/entities.yaml", "id: person/robin-li", "id: person/lu-qi")
    with pytest.raises(DataError, match=r"entities.yaml:\d+: duplicate entity id 'person/lu-qi'"):
        load_dataset(data_copy / "data")


def test_bad_yaml_names_the_line(data_copy):
    path = edit(data_copy, STATEMENTS, "  - {id: ni-kai-baidu,", "  - {id: ni-kai-baidu,,: [")
    with pytest.raises(DataError, match=re.escape(str(path)) + r":\d+: bad YAML"):
        load_dataset(data_copy / "data")


def test_wrong_entity_type_for_relation(data_copy):
    edit(data_copy, STATEMENTS, "object: person/ni-kai,", "object: org/baidu,")
    with pytest.raises(DataError, match=r"object: org/baidu is an Organization, expected Person"):
        load_dataset(data_copy / "data")


def test_unknown_field_is_a_typo_not_ignored(data_copy):
    edit(
        data_copy,
        STATEMENTS,
        "relation: founder, object: person/ni-kai",
        "relation: founder, objcet: person/ni-kai",
    )
    with pytest.raises(DataError, match=r"unknown field 'objcet'"):
        load_dataset(data_copy / "data")


def test_changed_raw_page_fails_its_hash(data_copy):
    raw = data_copy / "data/sources/jiemian-baidu-ai-decade.raw.txt"
    raw.write_bytes(raw.read_bytes() + b"\n")
    with pytest.raises(SourceError, match="must be kept byte for byte"):
        load_dataset(data_copy / "data")


def test_labels_are_clean_text(root):
    data = load_dataset(root / "data")
    for entity in data.entities.values():
        names = [*entity.labels.values(), *(label for label, _, _ in entity.alt_labels)]
        for name in names:
            assert name == name.strip() and name.count('"') % 2 == 0, (entity.id, name)


def test_unknown_qualifier(data_copy):
    edit(data_copy, STATEMENTS, "qualifier: nearly,", "qualifier: roughly,")
    with pytest.raises(DataError, match=r":\d+: qualifier 'roughly' is not one of approximately"):
        load_dataset(data_copy / "data")
