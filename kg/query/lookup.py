"""Find an entity by any of its names: the one lookup every entity-valued option uses.

An entity is named by its id (``person/lu-qi``), its IRI, the end of its id
(``lu-qi``) or any of its labels and alternative labels in any language or script:
``陆奇``, ``陸奇``, ``Qi Lu``, ``qi lu``, ``ＱＩ ＬＵ`` all find ``person/lu-qi``.
Names are compared after NFKC normalisation (full-width and half-width forms
alike), case folding, collapsing whitespace and folding Traditional Chinese to
Simplified with the cleaner's OpenCC conversion. A name that fits several entities
is an error listing them; a name that fits none is an error suggesting near names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kg.errors import KGError
from kg.project.namespaces import BASE
from kg.resolve.names import normalize

__all__ = [
    "AmbiguousEntityError",
    "EntityNotFoundError",
    "Names",
    "entity_names",
    "find_entities",
    "find_entity",
    "kind_of_default",
    "normalize",
]

#: What the first part of an id says an entity is (``person/…``, ``org/…``).
KINDS = {
    "person": "person",
    "org": "organisation",
    "product": "product",
    "market": "stock market",
    "role": "role",
    "event": "event",
}
_ID = re.compile(r"[a-z]+/[^\s/<>\"{}|\\^`]+")
_LANG_ORDER = {"zh-hans": 0, "zh-hant": 1, "en": 2}


class EntityNotFoundError(KGError):
    """No entity has the name given (the message suggests near names, ``near`` holds their ids)."""

    def __init__(self, message: str, near: Iterable[str] = ()):
        super().__init__(message)
        self.near = list(near)


class AmbiguousEntityError(KGError):
    """Several entities have the name given (the message lists them, ``candidates`` their ids)."""

    def __init__(self, message: str, candidates: Iterable[str] = ()):
        super().__init__(message)
        self.candidates = list(candidates)


@dataclass
class Names:
    """Every entity's names: ``labels`` (shown in messages) and all names it answers to."""

    labels: dict[str, list[str]] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)

    def add(self, entity: str, name: str, lang: str, is_label: bool) -> None:
        if is_label and name not in self.labels.setdefault(entity, []):
            self.labels[entity].append(name)
        if name not in self.names.setdefault(entity, []):
            self.names[entity].append(name)

    def shown(self, entity: str) -> str:
        labels = self.labels.get(entity) or self.names.get(entity) or []
        return f"{entity} ({', '.join(labels)})" if labels else entity


def entity_names(source: Any) -> Names:
    """The names of every entity in *source*: an rdflib Graph or a :class:`kg.query.store.KGStore`.

    Entities are the graph's nodes under the project's namespace with an ``rdfs:label``
    or ``skos:altLabel``; labels are listed zh-Hans, zh-Hant, en.
    """
    from rdflib import Graph
    from rdflib.namespace import RDFS, SKOS

    found: list[tuple[str, str, str, bool]] = []
    if isinstance(source, Graph):
        for predicate, is_label in ((RDFS.label, True), (SKOS.altLabel, False)):
            for s, o in source.subject_objects(predicate):
                found.append((str(s), str(o), getattr(o, "language", None) or "", is_label))
    else:  # a KGStore: one query, read in the form the store answers in
        text = (
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            "SELECT ?e ?p ?name WHERE {\n"
            "  VALUES ?p { rdfs:label skos:altLabel } ?e ?p ?name .\n"
            f'  FILTER (isIRI(?e) && STRSTARTS(STR(?e), "{BASE}"))\n'
            "}"
        )
        label = str(RDFS.label)
        for e, p, o in _solutions(source.query(text), ("e", "p", "name")):
            lang = getattr(o, "language", None) or ""
            found.append((_value(e), _value(o), lang, _value(p) == label))
    names = Names()
    for iri, name, lang, is_label in sorted(
        found, key=lambda f: (f[0], not f[3], _LANG_ORDER.get(f[2].lower(), 3), f[1])
    ):
        if iri.startswith(BASE) and _ID.fullmatch(iri[len(BASE) :]):
            names.add(iri[len(BASE) :], name, lang, is_label)
    return names


def _solutions(result: Any, names: tuple[str, ...]) -> Iterable[tuple[Any, ...]]:
    """The rows of a SELECT answer, from pyoxigraph or rdflib alike."""
    if type(result).__module__.startswith("pyoxigraph"):
        return (tuple(solution[n] for n in names) for solution in result)
    if isinstance(result, tuple):  # rdflib's SPARQLStore: (status, message)
        raise KGError(f"the store could not list the entities' names: {result[1]}")
    return (tuple(row[n] for n in names) for row in result)


def _value(term: Any) -> str:
    return (
        str(getattr(term, "value", term)) if type(term).__module__.startswith("pyox") else str(term)
    )


def _as_id(value: str) -> str | None:
    """The id a value spells as an id or IRI: ``org/baidu``, ``kg:org/baidu``, ``<…/org/baidu>``."""
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    for prefix in (BASE, "kg:"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    return text if _ID.fullmatch(text) else None


def _noun(kind: str | None) -> str:
    return KINDS.get(kind, kind) if kind else "entity"


def find_entity(source: Any, name: str, kind: str | None = None) -> str:
    """The id of the one entity *name* names.

    Parameters
    ----------
    source : rdflib.Graph, KGStore or Names
        Where the entities are (a :class:`Names` from :func:`entity_names` to look up
        several names with one reading of the graph).
    name : str
        An id, an IRI, the end of an id, or any label or alternative label.
    kind : str, optional
        The kind of entity wanted, as the first part of its id: ``person``, ``org``,
        ``product``, ``market``, ``role``.

    Raises
    ------
    EntityNotFoundError
        Nothing has that name (near names are suggested), or what has it is of another kind.
    AmbiguousEntityError
        Several entities have that name; the message lists each.

    Examples
    --------
    >>> names = Names()
    >>> names.add("person/lu-qi", "陆奇", "zh-Hans", True)
    >>> names.add("person/lu-qi", "Qi Lu", "en", True)
    >>> names.add("org/baidu", "百度", "zh-Hans", True)
    >>> find_entity(names, "陸奇"), find_entity(names, "QI LU"), find_entity(names, "baidu")
    ('person/lu-qi', 'person/lu-qi', 'org/baidu')
    >>> find_entity(names, "Qi Luu")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kg.query.lookup.EntityNotFoundError: no entity named 'Qi Luu' in the graph; did you mean: ...
    """
    names = source if isinstance(source, Names) else entity_names(source)
    wanted = name.strip()
    noun = _noun(kind)
    as_id = _as_id(wanted)
    if as_id is not None and as_id in names.names:
        return _of_kind(names, name, [as_id], kind)
    if as_id is not None:
        near = _near(names, as_id, kind)
        raise EntityNotFoundError(f"no {noun} {as_id} in the graph{_hint(names, near)}", near)
    key = normalize(wanted)
    if not key:
        raise EntityNotFoundError(f"an empty name names no {noun}")
    matches = sorted(
        entity
        for entity, known in names.names.items()
        if entity.partition("/")[2] == key or key in (normalize(n) for n in known)
    )
    if not matches:
        near = _near(names, wanted, kind)
        raise EntityNotFoundError(
            f"no {noun} named {name!r} in the graph{_hint(names, near)}", near
        )
    return _of_kind(names, name, matches, kind)


def _of_kind(names: Names, name: str, matches: list[str], kind: str | None) -> str:
    fitting = [m for m in matches if kind is None or m.partition("/")[0] == kind]
    if len(fitting) == 1:
        return fitting[0]
    if fitting:
        listed = "; ".join(names.shown(m) for m in fitting)
        raise AmbiguousEntityError(
            f"{name!r} names {len(fitting)} entities: {listed}; give the id of the one you mean",
            fitting,
        )
    others = "; ".join(f"{names.shown(m)}, {_article(_noun(m.partition('/')[0]))}" for m in matches)
    raise EntityNotFoundError(f"{name!r} is {others}, not {_article(_noun(kind))}", matches)


def _article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _hint(names: Names, near: list[str]) -> str:
    """'; did you mean: …?' with the entities *near* (from :func:`_near`), if any."""
    return f"; did you mean: {'; '.join(names.shown(e) for e in near)}?" if near else ""


def _near(names: Names, wanted: str, kind: str | None) -> list[str]:
    """Up to five entities (of *kind*, if given) whose id or a name is near *wanted*."""
    keyed: dict[str, str] = {}
    for entity, known in names.names.items():
        if kind is not None and entity.partition("/")[0] != kind:
            continue
        for candidate in (entity, entity.partition("/")[2], *known):
            keyed.setdefault(normalize(candidate), entity)
    key = normalize(wanted)
    # Names holding the text (Chinese anywhere; other scripts at the start of a word).
    if key.isascii():
        starts = re.compile(r"(?:^|[\s./-])" + re.escape(key))
        near = [k for k in keyed if key and starts.search(k)]
    else:
        near = [k for k in keyed if key and key in k]
    near += difflib.get_close_matches(key, list(keyed), n=5, cutoff=0.6)
    return list(dict.fromkeys(keyed[k] for k in near))[:5]


def find_entities(source: Any, values: Iterable[tuple[str, str | None]]) -> list[str]:
    """:func:`find_entity` for several (name, kind) pairs with one reading of *source*."""
    names = source if isinstance(source, Names) else entity_names(source)
    return [find_entity(names, value, kind) for value, kind in values]


def kind_of_default(default: str) -> str | None:
    """The kind of entity a parameter takes, from its default (``org/baidu`` → ``org``)."""
    as_id = _as_id(default)
    return as_id.partition("/")[0] if as_id and not default.strip().startswith('"') else None
