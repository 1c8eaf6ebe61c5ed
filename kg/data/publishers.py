"""A source's publisher, and one the graph does not have, created by ``kg add-source``.

:func:`resolve_publisher` finds the organisation a ``--publisher`` names (by id or any name);
one no entity is named is an error saying how to create it, unless ``--new-publisher`` asks
for it: then :func:`create_publisher` makes an organisation, with labels in the three
languages the entities need, and the new text of ``data/entities/publishers-added.yaml``
(:data:`PUBLISHERS_FILE`), which :func:`kg.data.add_source.add_source` writes with the
source's metadata in one checked write.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kg.errors import DataError
from kg.project._yaml import dump_yaml

if TYPE_CHECKING:
    from kg.data.model import Entity
    from kg.resolve.names import NameIndex

__all__ = ["PUBLISHERS_FILE", "Wanted", "create_publisher", "label_options", "resolve_publisher"]

#: The file of ``data/entities/`` where ``kg add-source --new-publisher`` declares publishers.
PUBLISHERS_FILE = "publishers-added.yaml"


@dataclass(frozen=True)
class Wanted:
    """What the command says of a publisher it may have to create."""

    create: bool  #: --new-publisher
    labels: dict[str, str]  #: --publisher-label, by language
    url: str | None  #: --publisher-url: the page that gives its English name
    source_url: str | None  #: the source's own --url (a page that names its publisher)
    file: Path  #: the file being registered, named by every refusal


_LABEL_LANGS = ("zh-Hans", "zh-Hant", "en")


def label_options(values: Sequence[str], file: Path) -> dict[str, str]:
    """``--publisher-label LANG=TEXT`` options, by language, each checked as a label."""
    from kg.project.checks import check_text

    labels: dict[str, str] = {}
    for value in values:
        lang, equals, text = value.partition("=")
        if not equals or lang.strip() not in _LABEL_LANGS:
            raise DataError(
                f"--publisher-label {value!r} must be LANG=TEXT, LANG one of "
                f"{', '.join(_LABEL_LANGS)} (--publisher-label en='Sina Tech')",
                file,
            )
        lang = lang.strip()
        if lang in labels:
            raise DataError(f"--publisher-label {lang}= is given twice", file)
        labels[lang] = check_text(text.strip(), f"--publisher-label {lang}", file, None)
    return labels


def _near(entities: dict[str, Entity], index: NameIndex, name: str) -> str:
    """The organisations whose names are near *name*, as ``id (label)``, for a hint."""
    import difflib

    from kg.resolve.names import identity_key

    keys = difflib.get_close_matches(identity_key(name), index.by_key, n=5)
    near = sorted({e for k in keys for e in index.by_key[k] if entities[e].type == "Organization"})
    return ", ".join(f"{e} ({entities[e].label('en')})" for e in near[:3])


def resolve_publisher(
    data_dir: Path, entities: dict[str, Entity], name: str, wanted: Wanted
) -> tuple[str, dict[Path, str], list[str]]:
    """The publisher's id, the entity file to write if it is created, and notes to show.

    A name of no entity is an error unless *wanted.create*; then :func:`create_publisher`.
    """
    from kg.data.entities import _names
    from kg.resolve.names import NameIndex

    index = NameIndex(_names(entities))
    if index.find(name):  # an id or any name of an entity
        found = index.resolve(name, (wanted.file,))  # several: the homonyms' error
        notes = []
        if wanted.create:
            ignored = "; --publisher-label and --publisher-url ignored"
            notes.append(
                f"--new-publisher: {name!r} is {found} already, used as it is (nothing "
                f"created{ignored if wanted.labels or wanted.url else ''})"
            )
        return found, {}, notes
    if not wanted.create:
        near = _near(entities, index, name)
        raise DataError(
            f"no entity is named {name!r} (--publisher)"
            + (f"; did you mean {near}? If not, to" if near else "; to")
            + f" create it as a new organisation (in data/entities/{PUBLISHERS_FILE}), run the "
            "command again with --new-publisher (and --publisher-label en=… for its English name)",
            wanted.file,
        )
    return create_publisher(data_dir, entities, index, name, wanted)


def _pinyin_name(name: str) -> str:
    """An English label from a Chinese name: each run of Han characters as one word of
    toneless pinyin, other characters kept (AI财经社 -> AI Caijingshe)."""
    from pypinyin import lazy_pinyin

    from kg.resolve.names import _is_han

    words, run = [], ""
    for char in name + " ":
        if _is_han(char):
            run += char
            continue
        if run:
            words.append(" " + "".join(lazy_pinyin(run)).capitalize() + " ")
            run = ""
        words.append(char)
    return " ".join("".join(words).split())


def create_publisher(
    data_dir: Path, entities: dict[str, Entity], index: NameIndex, name: str, wanted: Wanted
) -> tuple[str, dict[Path, str], list[str]]:
    """A new organisation named *name*: its id and the new text of :data:`PUBLISHERS_FILE`.

    The name is the label of the language its script shows (Chinese, in zh-Hans or zh-Hant
    by its characters; else English), the other script made by OpenCC; a name in Latin
    letters is its Chinese labels too, as in ``cited-publishers.yaml``. With no English
    name, the English label is its pinyin (``en_source: hanyu-pinyin``). *wanted.labels*
    replace any of these (a Chinese one given in one script only gives the other by OpenCC);
    the name, if no label is left holding it, is kept as an alternative label.

    ``en_source``, the origin of the English label, is ``hanyu-pinyin`` for a pinyin one,
    else *wanted.url*, else the source's URL for an English name given as the publisher
    (the page names its publisher), else ``translation`` for one given by
    ``--publisher-label en=``. The id is ``org/`` and the English label's slug; a taken id,
    or a label naming another entity already, is refused.
    """
    from kg.data.naming import guess_language, slug
    from kg.project.checks import check_text
    from kg.sources.clean import _t2s, to_traditional

    where = (wanted.file,)
    check_text(name, "--publisher", wanted.file, None)
    lang = guess_language(name)
    if lang == "en":
        labels = dict.fromkeys(_LABEL_LANGS, name)
    elif lang == "zh-Hant":
        labels = {"zh-Hans": _t2s()(name), "zh-Hant": name, "en": _pinyin_name(name)}
    else:
        labels = {"zh-Hans": name, "zh-Hant": to_traditional(name), "en": _pinyin_name(name)}
    labels |= wanted.labels
    if "zh-Hans" in wanted.labels and "zh-Hant" not in wanted.labels:
        labels["zh-Hant"] = to_traditional(wanted.labels["zh-Hans"])
    elif "zh-Hant" in wanted.labels and "zh-Hans" not in wanted.labels:
        labels["zh-Hans"] = _t2s()(wanted.labels["zh-Hant"])
    en_made = "en" not in wanted.labels and lang != "en"
    if en_made:
        en_source = "hanyu-pinyin"
    elif wanted.url:
        en_source = wanted.url
    elif "en" not in wanted.labels and wanted.source_url:
        en_source = wanted.source_url
    elif "en" in wanted.labels:
        en_source = "translation"
    else:
        raise DataError(
            f"a new publisher's English name {name!r} needs the page that gives it: "
            "--publisher-url (its homepage, say) or the source's --url",
            *where,
        )
    eid = f"org/{slug(labels['en'], empty='')}"
    if eid == "org/":
        raise DataError(
            f"a new publisher's English name {labels['en']!r} gives no id (no letter or "
            "digit): give another with --publisher-label en=…",
            *where,
        )
    if eid in entities:
        taken = entities[eid]
        raise DataError(
            f"a new publisher {name!r} would have the id {eid}, which is taken by "
            f"{taken.label('en')} ({taken.label('zh-Hans')}); if it is that one, give "
            f"--publisher {eid}; else give it another English name (and id) with "
            "--publisher-label en=…",
            *where,
        )
    alts = [] if name in labels.values() else [{"label": name, "lang": lang}]
    for text in dict.fromkeys([*labels.values(), *(a["label"] for a in alts)]):
        others = index.find(text)
        if others:
            raise DataError(
                f"a new publisher's label {text!r} names {', '.join(others)} already (two "
                "entities sharing a name are homonyms every statement must tell apart): "
                "give it another with --publisher-label",
                *where,
            )
    entry: dict[str, object] = {
        "id": eid,
        "type": "Organization",
        "labels": {key: labels[key] for key in _LABEL_LANGS},
        "en_source": en_source,
    }
    if alts:
        entry["alt_labels"] = alts
    path = data_dir / "entities" / PUBLISHERS_FILE
    text = _publishers_text(path, entry)
    shown = ", ".join(f"{key} {labels[key]}" for key in _LABEL_LANGS)
    notes = [f"new publisher {eid} ({shown}; en_source: {en_source}) in {path}"]
    if en_made:
        notes.append(
            f"its English label {labels['en']!r} is the pinyin of its name: if it has an English "
            f"name of its own, edit {path} (or register with --publisher-label en=…)"
        )
    return eid, {path: text}, notes


_PUBLISHERS_HEADER = (
    "# Publishers created by `kg add-source --new-publisher` (one organisation per source's\n"
    "# publisher that the graph did not have). Labels: the name as given, the other script by\n"
    "# OpenCC, the English one as given, or pinyin (en_source: hanyu-pinyin). Edit freely:\n"
    "# the command rewrites this file, keeping this header and the entries, not other comments.\n"
)


def _publishers_text(path: Path, entry: dict[str, object]) -> str:
    """The text of *path* (an entity file, maybe absent) with *entry* appended."""
    from kg.project._yaml import load_yaml

    if not path.exists():
        return dump_yaml({"entities": [entry]}, _PUBLISHERS_HEADER)
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("entities"), list):
        raise DataError("expected a mapping with a list 'entities'", path)
    header = "".join(
        itertools.takewhile(
            lambda line: line.startswith("#"),
            path.read_text(encoding="utf-8").splitlines(keepends=True),
        )
    )
    doc["entities"].append(entry)
    return dump_yaml(doc, header)
