"""The pairs of entities a person should judge: maybe one entity under two ids.

A pair is proposed when two entities of the same type

- share a name after normalisation (:func:`kg.resolve.names.identity_key`: 小馬智行 and
  小马智行, "WeRide Inc." and "WeRide");
- an alternative label of one is a label of the other;
- a Chinese name of one and a romanised name of the other have the same toneless pinyin
  (余凯 and "Kai Yu"; in either name order).

Each proposal says why, and which sources name each entity, so the person can read them. A
pair already judged ``same`` or ``different`` is not proposed again; an ``unsure`` one is,
with its earlier verdict. Proposing is all a rule does: nothing is merged without a judgement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kg.resolve.names import identity_key, pinyin_keys

if TYPE_CHECKING:  # the loaded data (kg.data, a later step) is only passed in
    from kg.data.model import Dataset

__all__ = ["Candidate", "candidates"]


@dataclass(frozen=True)
class Candidate:
    a: str
    b: str
    reasons: tuple[str, ...]  #: e.g. ``same name '小马智行'``, ``same pinyin 'yukai'``
    names_a: tuple[str, ...]
    names_b: tuple[str, ...]
    sources_a: tuple[str, ...]  #: sources whose statements name a
    sources_b: tuple[str, ...]
    earlier: str | None = None  #: an earlier ``unsure`` verdict

    def as_dict(self) -> dict[str, object]:
        return {
            "a": self.a,
            "b": self.b,
            "reasons": list(self.reasons),
            "names": {self.a: list(self.names_a), self.b: list(self.names_b)},
            "sources": {self.a: list(self.sources_a), self.b: list(self.sources_b)},
            "earlier": self.earlier,
        }


def _mentions(data: Dataset) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}

    def add(eid: str | None, source: str) -> None:
        if eid:
            seen.setdefault(eid, set()).add(source)

    for st in data.statements:
        add(st.subject, st.source)
        add(st.object, st.source)
    for m in data.memberships:
        for eid in (m.member, m.organization, m.role):
            add(eid, m.source)
    for f in data.figures:
        add(f.subject, f.source)
        add(f.forecaster, f.source)
    for ev in data.events:
        for eid in ev.about:
            add(eid, ev.source)
    return seen


def candidates(data: Dataset) -> list[Candidate]:
    """Every pair worth a judgement, in a stable order."""
    reasons: dict[tuple[str, str], list[str]] = {}

    def propose(a: str, b: str, why: str) -> None:
        if a == b or data.entities[a].type != data.entities[b].type:
            return
        pair = (min(a, b), max(a, b))
        if why not in reasons.setdefault(pair, []):
            reasons[pair].append(why)

    def names(eid: str) -> list[str]:
        e = data.entities[eid]
        return list(dict.fromkeys([*e.labels.values(), *(label for label, _, _ in e.alt_labels)]))

    def index(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for key, eid in pairs:
            if key:
                out.setdefault(key, set()).add(eid)
        return out

    by_name = index((identity_key(n), eid) for eid in data.entities for n in names(eid))
    for key, ids in by_name.items():
        for a in ids:
            for b in ids:
                if a < b:
                    propose(a, b, f"same name {key!r}")
    labels = index(
        (identity_key(label), eid)
        for eid, e in data.entities.items()
        for label in e.labels.values()
    )
    for eid, e in data.entities.items():
        for label, _, _ in e.alt_labels:
            for other in labels.get(identity_key(label), ()):
                propose(eid, other, f"{eid}'s alias {label!r} is a label of {other}")
    pinyin = index(
        (key, eid)
        for eid, e in data.entities.items()
        if e.type == "Person"
        for name in names(eid)
        for key in pinyin_keys(name)
    )
    for key, ids in pinyin.items():
        for a in ids:
            for b in ids:
                if a < b:
                    propose(a, b, f"same pinyin {key!r}")
    judged: dict[frozenset[str], str] = {}
    for j in data.judgements:
        judged[frozenset((j.a, j.b))] = j.verdict
    seen = _mentions(data)
    out = []
    for (a, b), why in sorted(reasons.items()):
        verdict = judged.get(frozenset((a, b)))
        if verdict in ("same", "different"):
            continue
        out.append(
            Candidate(
                a,
                b,
                tuple(why),
                tuple(names(a)),
                tuple(names(b)),
                tuple(sorted(seen.get(a, ()))),
                tuple(sorted(seen.get(b, ()))),
                verdict,
            )
        )
    return out
