"""`kg add-source --new-publisher`: a publisher the graph does not have yet is created by the
command that registers its text, in ``data/entities/publishers-added.yaml``.

Each command runs as the real process, on a scratch copy of the project. A publisher is
created with labels in all three languages (its other script by OpenCC, its English name as
given or as pinyin), appended to the one file, and the graph builds and validates with it; a
name the graph has is used and never created twice; an unknown publisher without the flag, a
taken id, a label another entity has, a bad ``--publisher-label`` and a Latin name with no page
are each one ``Error:`` line that writes nothing. A write that fails after the entity file
leaves it as it was (the entity file and the metadata are one checked write).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_add_source_safety import add_source, data_files, refused

from kg.data.entities import _load_entities
from kg.data.model import Entity
from kg.data.publishers import PUBLISHERS_FILE
from kg.project._yaml import load_yaml


def note(root: Path, name: str = "note.txt", text: str = "Dr. Lu Qi left Baidu in 2018.\n") -> Path:
    path = root / name
    path.write_text(text, encoding="utf-8")
    return path


def entries(root: Path) -> dict[str, Entity]:
    """The entities of the publishers file, by id, read by the build's own loader."""
    return _load_entities(root / "data" / "entities" / PUBLISHERS_FILE)


def meta(root: Path, sid: str) -> dict:
    return load_yaml(root / "data" / "sources" / f"{sid}.meta.yaml")


def test_new_publishers_are_created_in_one_file_and_the_graph_builds_with_them(
    data_copy: Path,
) -> None:
    from rdflib import Literal
    from rdflib.namespace import RDFS

    from kg.graph.build import build

    first = add_source(
        data_copy,
        str(note(data_copy)),
        *("--id", "exercise-note", "--title", "An exercise", "--lang", "en"),
        *("--publisher", "练习出版社", "--new-publisher"),
    )
    assert first.returncode == 0, first.stderr
    path = data_copy / "data" / "entities" / PUBLISHERS_FILE
    assert f"{path}  (its new publisher org/lianxichubanshe)" in first.stdout
    assert "pinyin of its name" in first.stderr  # the user is told the English label is made
    second = add_source(
        data_copy,
        str(note(data_copy, "press.txt", "A second note.\n")),
        *("--id", "press-note", "--title", "A press note", "--lang", "en"),
        *("--publisher", "Exercise Press", "--new-publisher"),
        *("--publisher-label", "zh-Hant=練習報", "--publisher-url", "https://example.org/press"),
    )
    assert second.returncode == 0, second.stderr

    found = entries(data_copy)
    assert list(found) == ["org/lianxichubanshe", "org/exercise-press"]  # appended, in order
    assert found["org/lianxichubanshe"].labels == {
        "zh-Hans": "练习出版社",
        "zh-Hant": "練習出版社",  # by OpenCC
        "en": "Lianxichubanshe",
    }
    assert found["org/lianxichubanshe"].en_source == "hanyu-pinyin"
    assert found["org/exercise-press"].labels == {
        "zh-Hans": "练习报",  # the one Chinese label given, in the other script by OpenCC
        "zh-Hant": "練習報",
        "en": "Exercise Press",
    }
    assert found["org/exercise-press"].en_source == "https://example.org/press"
    assert path.read_text(encoding="utf-8").startswith("# Publishers created by `kg add-source")
    assert meta(data_copy, "exercise-note")["publisher"] == "org/lianxichubanshe"
    assert meta(data_copy, "press-note")["publisher"] == "org/exercise-press"

    result = build(data_copy, data_copy / "build")  # validates against the shapes
    graph = result.graph
    (press,) = graph.subjects(RDFS.label, Literal("练习出版社", lang="zh-hans"))
    assert str(press).endswith("/org/lianxichubanshe")
    assert (press, RDFS.label, Literal("Lianxichubanshe", lang="en")) in graph
    assert result.data.sources["exercise-note"].meta["publisher"] == "org/lianxichubanshe"


def test_a_name_the_graph_has_is_used_and_not_created_again(data_copy: Path) -> None:
    result = add_source(
        data_copy,
        str(note(data_copy)),
        *("--id", "wiki-note", "--title", "A note", "--lang", "en"),
        *("--publisher", "維基百科", "--new-publisher"),
    )
    assert result.returncode == 0, result.stderr
    assert "Note: --new-publisher: '維基百科' is org/wikipedia already" in result.stderr
    assert not (data_copy / "data" / "entities" / PUBLISHERS_FILE).exists()
    assert meta(data_copy, "wiki-note")["publisher"] == "org/wikipedia"


def test_an_unknown_publisher_without_the_flag_says_how_to_create_it(data_copy: Path) -> None:
    before = data_files(data_copy)
    result = add_source(
        data_copy, str(note(data_copy)), "--title", "A", "--lang", "en", "--publisher", "Wikipedai"
    )
    refused(
        result,
        "no entity is named 'Wikipedai' (--publisher); did you mean org/wikipedia (Wikipedia)?",
        f"create it as a new organisation (in data/entities/{PUBLISHERS_FILE})",
        "run the command again with --new-publisher",
    )
    assert data_files(data_copy) == before


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (  # 柏度 is not 百度, but its pinyin is: the id org/baidu is taken
            ("--publisher", "柏度"),
            (
                "'柏度' would have the id org/baidu, which is taken by Baidu (百度)",
                "--publisher-label en=",
            ),
        ),
        (
            (
                "--publisher",
                "Exercise Press",
                "--url",
                "https://example.org/a",
                "--publisher-label",
                "zh-Hans=百度",
            ),
            ("label '百度' names org/baidu already",),
        ),
        (  # an English name needs the page that gives it
            ("--publisher", "Exercise Press"),
            ("English name 'Exercise Press' needs the page that gives it", "--publisher-url"),
        ),
        (
            ("--publisher", "Exercise Press", "--publisher-url", "ftp://example.org"),
            ("--publisher-url",),
        ),
    ],
    ids=["taken id", "label of another entity", "no page", "bad url"],
)
def test_a_publisher_that_cannot_be_created_is_refused_and_nothing_is_written(
    data_copy: Path, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    file = note(data_copy)
    before = data_files(data_copy)
    result = add_source(
        data_copy, str(file), "--title", "A", "--lang", "en", "--new-publisher", *args
    )
    refused(result, f"{file}: ", *fragments)
    assert data_files(data_copy) == before


@pytest.mark.parametrize(
    ("label", "fragment"),
    [
        ("fr=Presse", "--publisher-label 'fr=Presse' must be LANG=TEXT, LANG one of zh-Hans"),
        ("Exercise Press", "--publisher-label 'Exercise Press' must be LANG=TEXT"),
        ("en=", "--publisher-label en "),
        ("en=Exercise\x07Press", "--publisher-label en "),
    ],
    ids=["unknown language", "no language", "empty", "control character"],
)
def test_a_bad_publisher_label_is_refused_and_nothing_is_written(
    data_copy: Path, label: str, fragment: str
) -> None:
    before = data_files(data_copy)
    result = add_source(
        data_copy,
        str(note(data_copy)),
        *("--title", "A", "--lang", "en", "--url", "https://example.org/a"),
        *("--publisher", "Exercise Press", "--new-publisher", "--publisher-label", label),
    )
    refused(result, fragment)
    assert data_files(data_copy) == before


def test_a_label_given_twice_or_without_the_flag_is_refused(data_copy: Path) -> None:
    before = data_files(data_copy)
    common = ("--title", "A", "--lang", "en", "--publisher", "Exercise Press")
    twice = add_source(
        data_copy,
        str(note(data_copy)),
        *common,
        *("--new-publisher", "--publisher-label", "en=A", "--publisher-label", "en=B"),
    )
    refused(twice, "--publisher-label en= is given twice")
    alone = add_source(data_copy, str(note(data_copy)), *common, "--publisher-label", "en=A")
    refused(alone, "--publisher-label describes a publisher to create: add --new-publisher")
    assert data_files(data_copy) == before


def test_a_write_that_fails_after_the_entity_file_leaves_it_as_it_was(
    data_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entity file is written first; if the metadata then cannot be written, the entity
    file is put back (here: the file as it was, holding an earlier publisher)."""
    import kg.project.datafile as datafile
    from kg.data.add_source import add_source as run
    from kg.errors import KGError

    data = data_copy / "data"
    run(data, note(data_copy), title="First", publisher="练习出版社", lang="en", new_publisher=True)
    path = data / "entities" / PUBLISHERS_FILE
    before = path.read_bytes()
    real = datafile.atomic_write

    def failing(target: Path, data: bytes, mode: int = 0o644) -> Path:
        if target.name.endswith(".meta.yaml"):
            raise KGError(f"cannot write {target}: disk full")
        return real(target, data, mode)

    monkeypatch.setattr(datafile, "atomic_write", failing)
    page = note(data_copy, "second.txt", "Another note.\n")
    with pytest.raises(KGError, match="disk full"):
        run(data, page, title="Second", publisher="第二出版社", lang="en", new_publisher=True)
    assert path.read_bytes() == before  # written, then put back
    assert not list((data / "sources").glob("second*"))
    assert list(entries(data_copy)) == ["org/lianxichubanshe"]
