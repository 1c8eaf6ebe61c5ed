"""Entities: ``data/entities.yaml`` and ``data/entities/*.yaml``, each entry checked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kg.data._fields import _fields, _texts
from kg.data.model import ENTITY_TYPES, Entity
from kg.errors import DataError
from kg.project._text import iri_problem
from kg.project._yaml import LINE, key_line, load_yaml, yaml_files
from kg.project.checks import check_text, check_url

LANGS = ("zh-Hans", "zh-Hant", "en")
EN_METHODS = ("hanyu-pinyin", "translation")
_ID = re.compile(r"^(person|org|market|product|role)/[a-z0-9]+(-[a-z0-9]+)*$")


def _source_of(value: Any, field: str, path: Path, line: int | None) -> str:
    """Where a fact from outside the article comes from: a URL or the method that made it."""
    if value in EN_METHODS:
        return str(value)
    problem = iri_problem(value)
    if problem:
        raise DataError(
            f"{field} must be a URL or one of {', '.join(EN_METHODS)}; {value!r} {problem}",
            path,
            line,
        )
    return str(value)


def _load_entities(path: Path) -> dict[str, Entity]:
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("entities"), list):
        raise DataError("expected a mapping with a list 'entities'", path)
    entities: dict[str, Entity] = {}
    for item in doc["entities"]:
        item = _fields(
            item,
            path,
            ("id", "type", "labels", "en_source"),
            ("alt_labels", "kind", "wikidata", "wikidata_source"),
            "entity",
        )
        line = item[LINE]
        eid = str(item["id"])
        if not _ID.match(eid):
            raise DataError(
                f"entity id {eid!r} must look like person/lu-qi, org/…, product/…, "
                "market/… or role/…",
                path,
                line,
            )
        if eid in entities:
            raise DataError(f"duplicate entity id {eid!r}", path, line)
        if item["type"] not in ENTITY_TYPES:
            raise DataError(
                f"entity {eid}: unknown type {item['type']!r} (one of {', '.join(ENTITY_TYPES)})",
                path,
                line,
            )
        labels = item["labels"]
        labels_line = key_line(item, "labels")
        if not isinstance(labels, dict) or any(labels.get(lang) in (None, "") for lang in LANGS):
            raise DataError(f"entity {eid}: labels need zh-Hans, zh-Hant and en", path, line)
        unknown = sorted(k for k in labels if k not in (*LANGS, LINE))
        if unknown:
            raise DataError(
                f"entity {eid}: label language {unknown[0]!r} is not one of {', '.join(LANGS)}",
                path,
                key_line(labels, unknown[0]) or labels_line,
            )
        en_source = _source_of(
            item["en_source"], f"entity {eid}: en_source", path, key_line(item, "en_source")
        )
        alt_labels = item.get("alt_labels") or []
        if not isinstance(alt_labels, list):
            raise DataError(f"entity {eid}: alt_labels must be a list", path, line)
        alts = []
        for alt in alt_labels:
            alt = _fields(alt, path, ("label", "lang"), ("source",), "alt label")
            alt_line = alt[LINE]
            if alt["lang"] not in LANGS:
                raise DataError(
                    f"alt label language {alt['lang']!r} is not one of {LANGS}", path, alt_line
                )
            label = check_text(
                alt["label"], f"entity {eid}: alt label", path, key_line(alt, "label")
            )
            source = alt.get("source")
            if source is not None:
                source = _source_of(
                    source, f"entity {eid}: alt label source", path, key_line(alt, "source")
                )
            alts.append((label, str(alt["lang"]), source))
        kind = item.get("kind")
        if kind is not None:
            kind = check_text(kind, f"entity {eid}: kind", path, key_line(item, "kind"))
        wikidata = None
        if item.get("wikidata") is not None or item.get("wikidata_source") is not None:
            qid = str(item.get("wikidata") or "")
            if not re.fullmatch(r"Q[1-9][0-9]*", qid):
                raise DataError(
                    f"entity {eid}: wikidata must be an item id such as Q14772, not {qid!r}",
                    path,
                    key_line(item, "wikidata") or line,
                )
            if not item.get("wikidata_source"):
                raise DataError(
                    f"entity {eid}: wikidata {qid} needs wikidata_source, the public page "
                    "that identifies the item (an identification is never guessed)",
                    path,
                    line,
                )
            wikidata = (
                qid,
                check_url(
                    item["wikidata_source"],
                    "wikidata_source",
                    path,
                    key_line(item, "wikidata_source"),
                ),
            )
        entities[eid] = Entity(
            id=eid,
            wikidata=wikidata,
            type=str(item["type"]),
            labels=_texts(labels, f"entity {eid}: label", path, labels_line, LANGS),
            en_source=en_source,
            alt_labels=tuple(alts),
            kind=kind,
        )
    return entities


def _load_all_entities(root: Path) -> dict[str, Entity]:
    """``data/entities.yaml`` and every ``data/entities/*.yaml`` (one file per source or
    topic, so that sources added side by side do not edit one file); an id is declared once."""
    entities = _load_entities(root / "entities.yaml")
    where = dict.fromkeys(entities, root / "entities.yaml")
    for path in yaml_files(root / "entities"):
        for eid, entity in _load_entities(path).items():
            if eid in entities:
                raise DataError(f"duplicate entity id {eid!r}, declared in {where[eid]} too", path)
            entities[eid] = entity
            where[eid] = path
    return entities


def _names(entities: dict[str, Entity]) -> dict[str, list[str]]:
    return {
        eid: [*e.labels.values(), *(label for label, _, _ in e.alt_labels)]
        for eid, e in entities.items()
    }
