"""``kg eval``: the extractor's drafts against a source's curated statements.

Facts are compared in four groups — ``founding`` (founder), ``roles`` (memberships),
``working at`` (alumniOf and worksFor), ``leaving`` (alumniOf with an end date) — and the
other relations by name. *Strict*: the type, subject, object (or role) and dates agree.
*Lenient*: dates are ignored, and a worked-at draft counts for a role on the same pair (and a
role draft for a worked-at fact). Precision, recall and F1 per group and overall.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kg.data.model import Dataset

__all__ = ["Score", "evaluate"]

_WORK = ("alumniOf", "worksFor")


@dataclass(frozen=True)
class Score:
    group: str
    right: int  #: drafts that are curated facts
    proposed: int
    found: int  #: curated facts that a draft gives
    curated: int

    @property
    def precision(self) -> float | None:
        return self.right / self.proposed if self.proposed else None

    @property
    def recall(self) -> float | None:
        return self.found / self.curated if self.curated else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


Fact = tuple[str, ...]


def _facts(records: Iterable[dict[str, object]]) -> list[tuple[str, Fact, Fact]]:
    """(group, strict key, lenient key) for each record (curated or drafted, as dicts)."""
    out: list[tuple[str, Fact, Fact]] = []
    for r in records:
        if "member" in r:
            pair = (str(r["member"]), str(r["organization"]))
            out.append(
                ("roles", (*pair, str(r["role"]), str(r.get("start")), str(r.get("end"))), pair)
            )
            continue
        rel = str(r["relation"])
        obj = str(r.get("object") if r.get("object") is not None else r.get("value"))
        dates = (str(r.get("start")), str(r.get("end")), str(r.get("date")))
        if rel == "founder":
            out.append(("founding", (str(r["subject"]), obj, *dates), (str(r["subject"]), obj)))
        elif rel in _WORK:
            pair = (str(r["subject"]), obj)
            out.append(("working at", (*pair, rel, *dates), pair))
            if rel == "alumniOf" and r.get("end"):
                out.append(("leaving", (*pair, str(r["end"])), pair))
        else:
            out.append((rel, (str(r["subject"]), obj, *dates), (str(r["subject"]), obj)))
    return out


def _curated(data: Dataset, source: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for st in data.statements:
        if st.source == source:
            out.append(
                {
                    "subject": st.subject,
                    "relation": st.relation,
                    "object": st.object,
                    "value": st.value,
                    "start": st.start,
                    "end": st.end,
                    "date": st.date,
                }
            )
    for m in data.memberships:
        if m.source == source:
            out.append(
                {
                    "member": m.member,
                    "organization": m.organization,
                    "role": m.role,
                    "start": m.start,
                    "end": m.end,
                }
            )
    return out


def evaluate(
    data: Dataset, source: str, lenient: bool = False, drafts: list[Any] | None = None
) -> list[Score]:
    """Scores per group (and ``all``) of ``kg extract``'s drafts for *source* (*drafts*, if
    already made, so that the strict and lenient scores share one extraction)."""
    from kg.extract.drafts import extract

    made = drafts if drafts is not None else extract(data, source)
    drafted: list[dict[str, object]] = [d.fields for d in made]
    gold = _facts(_curated(data, source))
    guess = _facts(drafted)

    def keys(items: list[tuple[str, Fact, Fact]], group: str) -> set[Fact]:
        return {item[2] if lenient else item[1] for item in items if item[0] == group}

    groups = sorted({g for g, _, _ in gold} | {g for g, _, _ in guess})
    scores = []
    for group in groups:
        want, got = keys(gold, group), keys(guess, group)
        want_any, got_any = set(want), set(got)
        if lenient and group in ("roles", "working at"):  # a role on a pair is working there
            other = "working at" if group == "roles" else "roles"
            want_any |= keys(gold, other)
            got_any |= keys(guess, other)
        scores.append(Score(group, len(got & want_any), len(got), len(want & got_any), len(want)))
    scores.append(
        Score(
            "all",
            sum(x.right for x in scores),
            sum(x.proposed for x in scores),
            sum(x.found for x in scores),
            sum(x.curated for x in scores),
        )
    )
    return scores


def pooled(runs: list[list[Score]]) -> list[Score]:
    """Scores summed over several sources, group by group."""
    groups: dict[str, list[int]] = {}
    for scores in runs:
        for s in scores:
            total = groups.setdefault(s.group, [0, 0, 0, 0])
            for i, n in enumerate((s.right, s.proposed, s.found, s.curated)):
                total[i] += n
    order = [*sorted(g for g in groups if g != "all"), "all"]
    return [Score(g, *groups[g]) for g in order if g in groups]
