"""kg.query.lookup: an entity by any of its names, on the built graph and on a store alike."""

from __future__ import annotations

import pytest

from kg.query.lookup import (
    AmbiguousEntityError,
    EntityNotFoundError,
    Names,
    entity_names,
    find_entity,
    kind_of_default,
    normalize,
)


@pytest.fixture(scope="module")
def names(graph):
    return entity_names(graph)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("person/lu-qi", "person/lu-qi"),
        ("<https://w3id.org/china-ai-kg/person/lu-qi>", "person/lu-qi"),
        ("https://w3id.org/china-ai-kg/person/lu-qi", "person/lu-qi"),
        ("kg:person/lu-qi", "person/lu-qi"),
        ("lu-qi", "person/lu-qi"),
        ("陆奇", "person/lu-qi"),  # zh-Hans label
        ("陸奇", "person/lu-qi"),  # zh-Hant label
        ("Qi Lu", "person/lu-qi"),  # en label
        ("Lu Qi", "person/lu-qi"),  # an alternative label
        ("  qi   LU ", "person/lu-qi"),  # spaces and case
        ("ＱＩ　ＬＵ", "person/lu-qi"),  # full-width letters and space
        ("硅谷華人傳奇", "person/lu-qi"),  # an alternative label, written in Traditional
        ("百度", "org/baidu"),
        ("ｂａｉｄｕ", "org/baidu"),
        ("景驰科技", "org/weride"),  # a former name
    ],
)
def test_any_name_finds_its_entity(names, name, expected):
    assert find_entity(names, name) == expected


def test_the_kind_asked_for_is_checked(names):
    assert find_entity(names, "百度", "org") == "org/baidu"
    with pytest.raises(EntityNotFoundError) as exc:
        find_entity(names, "百度", "person")
    assert str(exc.value) == "'百度' is org/baidu (百度, Baidu), an organisation, not a person"


def test_a_name_of_nothing_suggests_near_names(names):
    with pytest.raises(EntityNotFoundError) as exc:
        find_entity(names, "Pony")
    assert str(exc.value) == (
        "no entity named 'Pony' in the graph; did you mean: org/pony-ai (小马智行, 小馬智行, Pony.ai)?"
    )
    with pytest.raises(EntityNotFoundError) as exc:
        find_entity(names, "org/nonexistent", "org")
    assert str(exc.value).startswith("no organisation org/nonexistent in the graph")
    with pytest.raises(EntityNotFoundError) as exc:
        find_entity(names, "zzzz", "person")
    assert str(exc.value) == "no person named 'zzzz' in the graph"
    with pytest.raises(EntityNotFoundError) as exc:
        find_entity(names, "  ")
    assert str(exc.value) == "an empty name names no entity"


def test_a_name_of_several_entities_lists_them():
    names = Names()
    names.add("person/zhang-a", "张伟", "zh-Hans", True)
    names.add("person/zhang-b", "張偉", "zh-Hant", True)
    names.add("org/zw", "张伟", "zh-Hans", False)
    with pytest.raises(AmbiguousEntityError) as exc:
        find_entity(names, "张伟", "person")
    assert str(exc.value) == (
        "'张伟' names 2 entities: person/zhang-a (张伟); person/zhang-b (張偉); "
        "give the id of the one you mean"
    )
    assert find_entity(names, "张伟", "org") == "org/zw"
    assert find_entity(names, "person/zhang-b") == "person/zhang-b"


@pytest.mark.parametrize("spec", ["oxigraph", "memory"])
def test_a_store_gives_the_same_names_as_the_graph(built, names, spec):
    from kg.query.store import open_store

    with open_store(spec, built.out / "kg.nt") as store:
        from_store = entity_names(store)
    assert from_store == names
    assert len(names.names) >= 50 and names.labels["person/lu-qi"] == ["陆奇", "陸奇", "Qi Lu"]


def test_normalize_folds_width_case_space_and_script():
    assert normalize("Ｐｏｎｙ.ＡＩ") == "pony.ai"
    assert normalize("昆侖芯") == normalize("昆仑芯") == "昆仑芯"
    assert normalize("a\x00b") == "ab"  # OpenCC never sees a NUL


def test_the_kind_of_a_parameter_comes_from_its_default():
    assert kind_of_default("org/baidu") == "org"
    assert kind_of_default("kg:person/lu-qi") == "person"
    assert kind_of_default("<https://w3id.org/china-ai-kg/org/kunlunxin>") == "org"
    assert kind_of_default('"zh-Hans"') is None
    assert kind_of_default('"陸奇"') is None
    assert kind_of_default("10") is None
