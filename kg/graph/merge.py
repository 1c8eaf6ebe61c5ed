"""Facts from many sources: one fact with every source's evidence, and where sources disagree.

Sources state the same fact in their own words: the seed article says Yu Kai founded Horizon
Robotics; Wikipedia says so too and adds the year. :func:`merge` makes them one fact with the
evidence of each and the most precise date any of them gives — provided the dates agree (a
year agrees with a month in it: 2018 and 2018-05). Where they do not, nothing is picked: each
source's statement stays as it is, and a :class:`Conflict` says so.

The kinds of disagreement found (:func:`conflicts`):

- ``dates``: the same fact (relation, or a role held) with dates that cannot both be true
  (2015 and 2016, or 2018-04 and 2018-05);
- ``founding``: an organisation said to have been founded in different years;
- ``roles``: one source gives a person one role at an organisation and another a different
  one, in periods that overlap, and neither source gives the other's role;
- ``left-and-stayed``: one source says a person worked at an organisation (past), another
  that they still do (and no later start explains it);
- ``figures``: the same measure of the same subject for the same period, with other values.

Only what the sources say is compared; a fact no other source speaks of is no conflict.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kg.data.model import Dataset, Evidence, Figure, Membership, RelationStatement

__all__ = [
    "Conflict",
    "Merged",
    "MergedFact",
    "Side",
    "conflicts",
    "merge",
    "merge_all",
    "merged_figures",
    "merged_memberships",
]

_DATE_FIELDS = ("start", "end", "date")


@dataclass(frozen=True)
class MergedFact:
    """One fact as the graph holds it: what it says and every source's evidence."""

    key: tuple[str, ...]  #: what the fact is: (subject, relation, object or value)
    records: tuple[RelationStatement | Membership, ...]
    start: str | None = None
    end: str | None = None
    date: str | None = None
    status: str | None = None
    disputed: bool = False  #: sources disagree on its dates: this is one source's statement

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(ev for r in self.records for ev in r.evidence)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.source for r in self.records))


@dataclass(frozen=True)
class Side:
    """What one source says in a conflict, with its quotes."""

    source: str
    record: str  #: the statement's id in that source's file
    says: str  #: in English: ``start 2015``, ``role role/ceo``, ``worked there (past)``
    evidence: tuple[Evidence, ...]
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Conflict:
    kind: str
    about: tuple[str, ...]  #: the entity ids concerned
    summary: str  #: one line in English
    sides: tuple[Side, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "about": list(self.about),
            "summary": self.summary,
            "sides": [
                {
                    "source": s.source,
                    "statement": s.record,
                    "says": s.says,
                    "file": s.file,
                    "line": s.line,
                    "quotes": [e.exact for e in s.evidence],
                }
                for s in self.sides
            ],
        }


# --- dates that agree -----------------------------------------------------------------


def _agree(values: Iterable[str | None]) -> tuple[bool, str | None]:
    """Whether dates agree (each is the other or lies within it) and the most precise one.

    >>> _agree(["2018", "2018-05", None])
    (True, '2018-05')
    >>> _agree(["2018-04", "2018-05"])
    (False, None)
    """
    given = sorted({v for v in values if v}, key=len)
    for shorter, longer in itertools.pairwise(given):
        if not (longer == shorter or longer.startswith(shorter + "-")):
            return False, None
    return True, (given[-1] if given else None)


def _says(record: RelationStatement | Membership) -> str:
    parts = [
        f"{name} {getattr(record, name)}" for name in _DATE_FIELDS if getattr(record, name, None)
    ]
    return ", ".join(parts) or "no date"


def _group(
    records: Sequence[RelationStatement | Membership], key_of: object
) -> dict[tuple[str, ...], list[RelationStatement | Membership]]:
    groups: dict[tuple[str, ...], list[RelationStatement | Membership]] = {}
    for record in records:
        groups.setdefault(key_of(record), []).append(record)  # type: ignore[operator]
    return groups


def _merge_groups(
    groups: dict[tuple[str, ...], list[RelationStatement | Membership]],
) -> tuple[list[MergedFact], list[Conflict]]:
    facts: list[MergedFact] = []
    found: list[Conflict] = []
    for key, unsorted in sorted(groups.items()):
        # The order statements are read in must not change the graph.
        members = sorted(unsorted, key=lambda r: (r.source, r.id))
        merged: dict[str, str | None] = {}
        ok = True
        for name in _DATE_FIELDS:
            agree, value = _agree(getattr(r, name, None) for r in members)
            ok = ok and agree
            merged[name] = value
        statuses = {getattr(r, "status", None) for r in members} - {None}
        ok = ok and len(statuses) <= 1
        if ok:
            facts.append(
                MergedFact(
                    key,
                    tuple(members),
                    start=merged["start"],
                    end=merged["end"],
                    date=merged["date"],
                    status=next(iter(statuses), None),
                )
            )
            continue
        for r in members:
            facts.append(
                MergedFact(
                    key,
                    (r,),
                    start=r.start,
                    end=r.end,
                    date=getattr(r, "date", None),
                    status=getattr(r, "status", None),
                    disputed=True,
                )
            )
        found.append(
            Conflict(
                "dates",
                tuple(k for k in key if "/" in k),
                f"{' '.join(key)}: the sources give different dates",
                tuple(_side(r, _says(r)) for r in members),
            )
        )
    return facts, found


def _side(record: RelationStatement | Membership | Figure, says: str) -> Side:
    return Side(record.source, record.id, says, record.evidence, record.file, record.line)


def _relation_key(st: RelationStatement) -> tuple[str, ...]:
    return (st.subject, st.relation, str(st.object if st.object is not None else st.value))


def _membership_key(m: Membership) -> tuple[str, ...]:
    return (m.member, m.organization, m.role)


def merge(data: Dataset) -> list[MergedFact]:
    """Every relation fact once, with the evidence of every source that states it."""
    facts, _ = _merge_groups(_group(data.statements, _relation_key))
    return facts


def merged_memberships(data: Dataset) -> list[MergedFact]:
    """Every role held (person, organisation, role) once, with every source's evidence."""
    facts, _ = _merge_groups(_group(data.memberships, _membership_key))
    return facts


def merged_figures(data: Dataset) -> list[tuple[Figure, ...]]:
    """Figures that say the same (measure, subject, period, value, unit, forecast) once,
    with every source's figure record; the first record names the node."""
    groups: dict[tuple[object, ...], list[Figure]] = {}
    for f in data.figures:
        key = (
            f.measure,
            f.subject,
            f.period,
            f.start,
            f.end,
            f.forecast,
            f.forecaster,
            f.unit,
            f.value,
            f.min,
            f.max,
            f.qualifier,
        )
        groups.setdefault(key, []).append(f)
    return [tuple(sorted(members, key=lambda f: (f.source, f.id))) for members in groups.values()]


# --- conflicts ------------------------------------------------------------------------


def _overlap(a: MergedFact | Membership, b: MergedFact | Membership) -> bool:
    """Whether two tenures may overlap (an open or undated end overlaps anything later)."""

    def year(v: str | None, default: int) -> int:
        return int(v[:4]) if v else default

    return year(a.start, -9999) <= year(b.end, 9999) and year(b.start, -9999) <= year(a.end, 9999)


@dataclass(frozen=True)
class Merged:
    """Everything :func:`merge`, :func:`merged_memberships`, :func:`merged_figures` and
    :func:`conflicts` give, worked out once (what the build uses)."""

    facts: list[MergedFact]
    memberships: list[MergedFact]
    figures: list[tuple[Figure, ...]]
    conflicts: list[Conflict]


def merge_all(data: Dataset) -> Merged:
    """The merged facts, roles and figures of *data* and its conflicts, each worked out once."""
    facts, dated = _merge_groups(_group(data.statements, _relation_key))
    memberships, dated_roles = _merge_groups(_group(data.memberships, _membership_key))
    found = _more_conflicts(data, dated + dated_roles)
    return Merged(facts, memberships, merged_figures(data), found)


def conflicts(data: Dataset) -> list[Conflict]:
    """Every disagreement between sources, in a stable order (see the module's description)."""
    _, dated = _merge_groups(_group(data.statements, _relation_key))
    _, dated_roles = _merge_groups(_group(data.memberships, _membership_key))
    return _more_conflicts(data, dated + dated_roles)


def _more_conflicts(data: Dataset, dated: list[Conflict]) -> list[Conflict]:
    """The dates conflicts found while merging (*dated*) and every other kind, sorted."""
    found = list(dated)
    found += _founding(data.statements)
    found += _roles(data.memberships)
    found += _left_and_stayed(data.statements)
    found += _figures(data.figures)
    return sorted(found, key=lambda c: (c.kind, c.about, c.summary))


def _founding(statements: Sequence[RelationStatement]) -> list[Conflict]:
    by_org: dict[str, list[RelationStatement]] = {}
    for st in statements:
        if st.relation == "founder" and st.date:
            by_org.setdefault(st.subject, []).append(st)
    out = []
    for org, members in sorted(by_org.items()):
        if len({m.source for m in members}) < 2 or _agree(m.date for m in members)[0]:
            continue
        if len({m.date for m in members}) < 2 or len({m.object for m in members}) < 2:
            continue  # one founder with two dates is a ``dates`` conflict already
        out.append(
            Conflict(
                "founding",
                (org,),
                f"{org}: founded in {' or '.join(sorted({str(m.date) for m in members}))}",
                tuple(_side(m, f"founded {m.date} (founder {m.object})") for m in members),
            )
        )
    return out


def _roles(memberships: Sequence[Membership]) -> list[Conflict]:
    by_pair: dict[tuple[str, str], list[Membership]] = {}
    for m in memberships:
        by_pair.setdefault((m.member, m.organization), []).append(m)
    out = []
    for (member, org), members in sorted(by_pair.items()):
        roles_by_source: dict[str, set[str]] = {}
        for m in members:
            roles_by_source.setdefault(m.source, set()).add(m.role)
        clashing: list[tuple[Membership, Membership]] = []
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a.source == b.source or a.role == b.role or not _overlap(a, b):
                    continue
                # A source that gives both roles knows of both: no disagreement.
                if b.role in roles_by_source[a.source] or a.role in roles_by_source[b.source]:
                    continue
                clashing.append((a, b))
        if clashing:
            sides = {id(m): m for pair in clashing for m in pair}
            out.append(
                Conflict(
                    "roles",
                    (member, org),
                    f"{member} at {org}: the sources give different roles for the same time",
                    tuple(_side(m, f"role {m.role} ({_says(m)})") for m in sides.values()),
                )
            )
    return out


def _left_and_stayed(statements: Sequence[RelationStatement]) -> list[Conflict]:
    past: dict[tuple[str, str], list[RelationStatement]] = {}
    present: dict[tuple[str, str], list[RelationStatement]] = {}
    for st in statements:
        if st.relation == "alumniOf" and st.object:
            past.setdefault((st.subject, st.object), []).append(st)
        elif st.relation == "worksFor" and st.object and not st.end:
            present.setdefault((st.subject, st.object), []).append(st)
    out = []
    for pair in sorted(set(past) & set(present)):
        sides = []
        for now in present[pair]:
            for left in past[pair]:
                if left.source == now.source:
                    continue
                if left.end and now.start and now.start[:4] > left.end[:4]:
                    continue  # came back after leaving: both can be true
                sides += [
                    _side(left, f"worked there (past; {_says(left)})"),
                    _side(now, f"works there now ({_says(now)})"),
                ]
        if sides:
            unique = {(s.source, s.record): s for s in sides}
            out.append(
                Conflict(
                    "left-and-stayed",
                    pair,
                    f"{pair[0]} at {pair[1]}: one source says they left, another that they "
                    "still work there",
                    tuple(unique.values()),
                )
            )
    return out


def _figures(figures: Sequence[Figure]) -> list[Conflict]:
    groups: dict[tuple[object, ...], list[Figure]] = {}
    for f in figures:
        key = (f.measure, f.subject, f.period, f.start, f.end, f.forecast, f.forecaster, f.unit)
        groups.setdefault(key, []).append(f)
    out = []
    for group, members in groups.items():
        values = {(f.value, f.min, f.max, f.qualifier) for f in members}
        if len({f.source for f in members}) < 2 or len(values) < 2:
            continue
        out.append(
            Conflict(
                "figures",
                (str(group[1]),),
                f"{group[1]} {group[0]} ({group[2] or 'no period'}): "
                "the sources give different values",
                tuple(_side(f, f"{_figure_value(f)} {f.unit}") for f in members),
            )
        )
    return out


def _figure_value(f: Figure) -> str:
    if f.value is not None:
        return f"{f.qualifier + ' ' if f.qualifier else ''}{f.value:g}"
    return f"{f.min:g}–{f.max:g}" if f.min is not None and f.max is not None else "?"
