"""The judgements file: people's decisions about which names or ids are one entity.

``data/judgements.yaml`` holds a list ``judgements:`` of records::

    - {a: person/yu-kai, b: person/kai-yu, verdict: same, by: Li Ming, date: 2026-12-01,
       why: "Wikipedia's Kai Yu founded Horizon Robotics in 2015, as the article's 余凯 did"}

``a`` and ``b`` are entity ids or names (a name must name one entity). A ``same`` judgement
whose ``b`` is a name no entity has yet (a new name a source used, judged in ``kg review`` to
be ``a``) makes that name an alternative label of ``a``. ``verdict`` is
``same`` (``b`` is merged into ``a``: one node, ``b``'s names become alternative labels of
``a``, and every statement about ``b`` is about ``a``), ``different`` (never merged — a
``same`` judgement that would join them, directly or through others, is an error naming
both), or ``unsure`` (recorded; nothing changes). ``by``, ``date`` and ``why`` are required:
a decision says who made it, when, and on what evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.project._yaml import LINE, dump_yaml, load_yaml, yaml_exists
from kg.resolve.names import NameIndex

__all__ = ["VERDICTS", "Judgement", "apply_judgements", "load_judgements", "record_judgement"]

VERDICTS = ("same", "different", "unsure")
_FIELDS = ("a", "b", "verdict", "by", "date", "why")


@dataclass(frozen=True)
class Judgement:
    a: str  #: an entity id (names are resolved on loading)
    b: str
    verdict: str
    by: str
    date: str
    why: str
    file: str = ""
    line: int = 0
    alias: bool = False  #: b is a name no entity had: it becomes an alternative label of a


def load_judgements(path: Path, index: NameIndex) -> list[Judgement]:
    """Read and check *path* (absent: no judgements); names are resolved to ids."""
    from kg.project.checks import check_text, parse_date

    if not yaml_exists(path):
        return []
    doc = load_yaml(path)
    if doc is None:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("judgements") or [], list):
        raise DataError("expected a mapping with a list 'judgements'", path)
    out = []
    for item in doc.get("judgements") or []:
        if not isinstance(item, dict):
            raise DataError("a judgement is a mapping (a, b, verdict, by, date, why)", path)
        line = item.get(LINE)
        missing = [k for k in _FIELDS if item.get(k) in (None, "")]
        if missing:
            raise DataError(f"judgement without {', '.join(missing)}", path, line)
        unknown = sorted(set(item) - set(_FIELDS) - {LINE})
        if unknown:
            raise DataError(f"unknown field {unknown[0]!r} in a judgement", path, line)
        if item["verdict"] not in VERDICTS:
            raise DataError(
                f"verdict {item['verdict']!r} is not one of {', '.join(VERDICTS)}", path, line
            )
        a = index.resolve(str(item["a"]), (path, line))
        alias = item["verdict"] == "same" and not index.find(str(item["b"]))
        if alias:  # a new name of a: it becomes a label of the graph, so a label's rules hold
            b = check_text(item["b"], "b (a new name)", path, line)
        else:
            b = index.resolve(str(item["b"]), (path, line))
        if a == b:
            raise DataError(f"a judgement between {a} and itself", path, line)
        out.append(
            Judgement(
                a=a,
                b=b,
                verdict=str(item["verdict"]),
                by=check_text(item["by"], "by", path, line),
                date=parse_date(item["date"], (path, line)),
                why=check_text(item["why"], "why", path, line),
                file=str(path),
                line=int(line or 0),
                alias=alias,
            )
        )
    return out


def apply_judgements(judgements: list[Judgement], entities: dict[str, Any]) -> dict[str, str]:
    """Merge what was judged the same; return ``{id: the id it is merged into}``.

    *entities* (``{id: kg.data.model.Entity}``) is updated in place: the merged entity
    keeps its own labels and gains the other's names as alternative labels.
    """
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    joined_by: dict[frozenset[str], Judgement] = {}
    for j in judgements:
        if j.alias:  # a name a source used, judged to be this entity: one more of its names
            lang = "en" if all(ord(c) < 0x2E80 for c in j.b) else "zh-Hans"
            ent = entities[j.a]
            if (j.b, lang) not in {(label, la) for label, la, _ in ent.alt_labels}:
                entities[j.a] = replace(ent, alt_labels=(*ent.alt_labels, (j.b, lang, None)))
            continue
        if j.verdict != "same":
            continue
        ea, eb = entities[j.a], entities[j.b]
        if ea.type != eb.type:
            raise DataError(
                f"{j.a} is a {ea.type} and {j.b} a {eb.type}: they cannot be the same",
                j.file,
                j.line,
            )
        ra, rb = root(j.a), root(j.b)
        if ra != rb:
            parent[rb] = ra
            joined_by[frozenset((j.a, j.b))] = j
    for j in judgements:
        if j.verdict == "different" and root(j.a) == root(j.b):
            joins = [
                f"{x.file}:{x.line}"
                for x in judgements
                if x.verdict == "same" and {x.a, x.b} & {j.a, j.b}
            ]
            raise DataError(
                f"{j.a} and {j.b} were judged not the same here, but 'same' judgements "
                f"({', '.join(joins)}) would merge them; a 'not the same' blocks the merge — "
                "take back one of them",
                j.file,
                j.line,
            )
    merged = {eid: root(eid) for eid in list(parent) if root(eid) != eid}
    for eid, into in sorted(merged.items()):
        entities[into] = _absorb(entities[into], entities.pop(eid))
    return merged


def _absorb(keep: Any, other: Any) -> Any:
    """*keep* with *other*'s labels and alternative labels as its alternative labels."""
    have = {(label, lang) for label, lang, _ in keep.alt_labels}
    have |= {(label, lang) for lang, label in keep.labels.items()}
    alts = list(keep.alt_labels)
    names = [
        (label, lang, other.en_source if lang == "en" else None)
        for lang, label in other.labels.items()
    ]
    for label, lang, source in [*names, *other.alt_labels]:
        if (label, lang) not in have:
            have.add((label, lang))
            alts.append((label, lang, source))
    wikidata = keep.wikidata or other.wikidata
    if keep.wikidata and other.wikidata and keep.wikidata[0] != other.wikidata[0]:
        raise DataError(
            f"{keep.id} and {other.id} were judged the same, but Wikidata has two items for "
            f"them ({keep.wikidata[0]}, {other.wikidata[0]}); check the judgement"
        )
    return replace(keep, alt_labels=tuple(alts), wikidata=wikidata)


def record_judgement(
    path: Path,
    a: str,
    b: str,
    verdict: str,
    by: str,
    date: str,
    why: str,
    check: Callable[[], Any] | None = None,
) -> None:
    """Add one judgement to *path* (created with its header if absent).

    Under the data folder's lock (:func:`kg.project.datafile.data_lock`) the file is read as it is
    now, the judgement added and the whole file written atomically, once the fields and
    *check* (the build's own loading of the data, run with the new file in place) accept
    it: a judgement the build would refuse is refused here, naming the field, and nothing
    is written. The file's leading comment lines are kept; the rest is written in the
    canonical layout (one judgement a block), whatever style it was written in.
    """
    from kg.project.checks import check_text, parse_date
    from kg.project.datafile import data_lock, write_checked

    if verdict not in VERDICTS:
        raise DataError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    for field, value in (("a", a), ("b", b), ("by", by), ("why", why)):
        check_text(value, f"the judgement's {field}", None, None)
    parse_date(date, ("the judgement's date",))  # type: ignore[arg-type]
    with data_lock(path.parent):
        header = _HEADER
        items: list[Any] = []
        if path.exists():
            doc = load_yaml(path)
            if doc is not None:
                if not isinstance(doc, dict) or not isinstance(doc.get("judgements") or [], list):
                    raise DataError("expected a mapping with a list 'judgements'", path)
                items = list(doc.get("judgements") or [])
            text = path.read_text(encoding="utf-8")
            comments = []
            for line in text.splitlines():
                if not line.startswith("#"):
                    break
                comments.append(line)
            header = "\n".join(comments) if comments else _HEADER
        items.append({"a": a, "b": b, "verdict": verdict, "by": by, "date": date, "why": why})
        write_checked(path.parent, {path: dump_yaml({"judgements": items}, header)}, check)


_HEADER = """\
# Judgements about identity: which names or ids are one entity (see kg/resolve/judgements.py).
# same: b is merged into a; different: never merged; unsure: recorded, nothing changes.
# Each says who decided, when and why. `kg resolve` lists the pairs still to judge.
"""
