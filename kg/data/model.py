"""The checked dataset: entities, relation types, statements and their anchored quotes.

The value types :func:`kg.data.dataset.load_dataset` returns (every field already checked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.sources import Source

__all__ = [
    "ENTITY_TYPES",
    "Dataset",
    "Entity",
    "Event",
    "Evidence",
    "Figure",
    "Membership",
    "Relation",
    "RelationStatement",
    "Vocabulary",
]

ENTITY_TYPES = ("Person", "Organization", "StockMarket", "Product", "Role")


@dataclass(frozen=True)
class Evidence:
    """A quote anchored in a source's clean text: ``text[start:end] == exact``.

    For a cited source (kept by quotation only) *checked* says how the quote is known to be
    in the text: ``"build"`` (checked against the cached text in this build), a date (taken
    from the quote index: checked against the recorded sha256 on that date), or ``""`` (not
    checked: no cached text and no index entry; *start* and *end* are then None). For a
    kept source *checked* is None: every quote is checked in every build.
    """

    source: str
    exact: str
    start: int | None
    end: int | None
    checked: str | None = None
    occurrence: int = 1  #: which occurrence of the quote (for an unanchored quote's IRI)

    @property
    def order(self) -> tuple[str, int, int]:
        """A sort key: by source, then position (an unanchored quote first)."""
        return (self.source, -1 if self.start is None else self.start, self.end or -1)


@dataclass(frozen=True)
class Entity:
    id: str
    type: str
    labels: dict[str, str]
    en_source: str
    alt_labels: tuple[tuple[str, str, str | None], ...] = ()  # (label, lang, source)
    kind: str | None = None
    wikidata: tuple[str, str] | None = None  #: (Q-id, the public page that identifies it)

    def label(self, lang: str = "zh-Hans") -> str:
        return self.labels.get(lang) or self.labels["zh-Hans"]


@dataclass(frozen=True)
class Relation:
    """One relation type of the vocabulary (``data/relations.yaml``)."""

    name: str
    predicate: str
    subject: tuple[str, ...]
    object: tuple[str, ...]  # ("literal",) for literal-valued relations
    labels: dict[str, str]
    values: tuple[str, ...] = ()
    verb: dict[str, str] = field(default_factory=dict)  #: how to say it read object -> subject

    @property
    def literal(self) -> bool:
        return self.object == ("literal",)


@dataclass(frozen=True)
class Vocabulary:
    """``data/relations.yaml``: relation types, figure measures and qualifiers."""

    relations: dict[str, Relation]
    measures: dict[str, dict[str, str]]
    qualifiers: tuple[str, ...]


@dataclass(frozen=True)
class RelationStatement:
    id: str
    source: str
    subject: str
    relation: str
    object: str | None
    value: str | None
    evidence: tuple[Evidence, ...]
    start: str | None = None
    end: str | None = None
    date: str | None = None
    status: str | None = None
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Membership:
    id: str
    source: str
    member: str
    organization: str
    role: str
    evidence: tuple[Evidence, ...]
    start: str | None = None
    end: str | None = None
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Figure:
    id: str
    source: str
    measure: str
    subject: str
    unit: str
    evidence: tuple[Evidence, ...]
    value: float | None = None
    min: float | None = None
    max: float | None = None
    period: str | None = None
    start: str | None = None
    end: str | None = None
    forecast: bool = False
    forecaster: str | None = None
    qualifier: str | None = None
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Event:
    """A dated event the source reports (a milestone, a demonstration, a public remark)."""

    id: str
    source: str
    date: str
    about: tuple[str, ...]
    names: dict[str, str]  #: zh-Hans and en: a short description written for the graph
    evidence: tuple[Evidence, ...]
    file: str = ""
    line: int = 0


@dataclass
class Dataset:
    """Everything the build needs, checked and anchored."""

    root: Path
    sources: dict[str, Source]
    entities: dict[str, Entity]
    relations: dict[str, Relation]
    measures: dict[str, dict[str, str]]
    qualifiers: tuple[str, ...] = ()
    statements: list[RelationStatement] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    #: every entity by any of its names (statements may name an entity instead of its id)
    names: Any = None
    #: ``{id: the id it was merged into}`` by "same" judgements (data/judgements.yaml)
    merged: dict[str, str] = field(default_factory=dict)
    judgements: list[Any] = field(default_factory=list)

    def facts(self) -> list[RelationStatement | Membership | Figure | Event]:
        """Every fact of every kind, each with its evidence."""
        return [*self.statements, *self.memberships, *self.figures, *self.events]

    def counts(self) -> dict[str, int]:
        return {
            "sources": len(self.sources),
            "entities": len(self.entities),
            "statements": len(self.statements),
            "memberships": len(self.memberships),
            "figures": len(self.figures),
            "events": len(self.events),
        }
