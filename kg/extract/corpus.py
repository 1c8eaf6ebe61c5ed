"""``kg eval --corpus``: the extractor on texts its rules were never written from.

The corpus (``corpus/`` of the project: ``texts/<id>.txt`` and ``.meta.yaml``,
``annotations/<id>.yaml``, ``split.yaml``; see ``docs/annotation.md``) holds real passages
annotated by someone who had not read the rules, split once into ``dev`` and ``test``.

Each text is cleaned as a source is (:func:`kg.sources.clean.clean_page`), drafted by
:func:`kg.extract.drafts.extract_text` with the project's registry, and its drafts compared
with the annotation in four groups: founding, roles, working at, leaving.

Names are compared as a reader compares them: case, spaces, punctuation, script and a legal
form (有限公司, Inc.) aside; a registry entity matches any of its names. *Strict*: names,
title and dates agree. *Lenient*: names agree (an organisation also when one name contains the
other), titles and dates are not compared, and a role counts for working at on the same pair
and the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.extract.evaluate import Score

__all__ = ["GROUPS", "CorpusText", "load_corpus", "score_corpus"]

GROUPS = ("founding", "roles", "working at", "leaving")
_KINDS = {"founding", "role", "works_at", "left"}
_TYPES = {
    "news": "NewsArticle",
    "notice": "Report",
    "press-release": "NewsArticle",
    "filing": "Filing",
    "encyclopedia": "EncyclopediaArticle",
}
_LEGAL = re.compile(
    r"(?:股份有限公司|有限责任公司|有限公司|集团有限公司|,?\s*(?:inc|ltd|limited|co|corp|"
    r"corporation|plc|llc)\.?)+$",
    re.I,
)
_NOISE = re.compile(r"[\s.,，·•\-‐'’\"“”「」《》()（）]")


@dataclass
class CorpusText:
    id: str
    text: str  #: the clean Simplified text the extractor reads
    text_hant: str  #: the same text in its own script (Traditional where it was)
    meta: dict[str, Any]
    facts: list[dict[str, Any]]
    path: Path


@dataclass
class Outcome:
    """What the extractor did on one text: its drafts as scored facts, and the annotation's."""

    text: CorpusText
    gold: list[tuple[str, dict[str, Any]]]
    guess: list[tuple[str, dict[str, Any]]]
    drafts: list[Any] = field(default_factory=list)
    #: for each annotated fact, whether the review page shows its sentence
    surfaced: list[bool] = field(default_factory=list)


def corpus_dir(project: Path) -> Path:
    return project / "corpus"


def load_split(folder: Path) -> dict[str, list[str]]:
    from kg.project._yaml import load_yaml

    path = folder / "split.yaml"
    if not path.is_file():
        raise DataError("no corpus split here (corpus/split.yaml)", path)
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), list) for k in ("dev", "test")):
        raise DataError("expected lists 'dev' and 'test' of text ids", path)
    dev, test = [str(x) for x in doc["dev"]], [str(x) for x in doc["test"]]
    both = sorted(set(dev) & set(test))
    if both:
        raise DataError(f"in both dev and test: {', '.join(both)}", path)
    return {"dev": dev, "test": test}


def load_corpus(folder: Path, split: str) -> list[CorpusText]:
    """The texts of *split* (dev, test or all) with their annotations, checked: a missing
    file, an unknown kind, a missing field or a quote not in its text is one error naming the
    file and line."""
    from kg.project._yaml import LINE, load_yaml
    from kg.sources.clean import clean_page

    splits = load_split(folder)
    ids = splits["dev"] + splits["test"] if split == "all" else splits.get(split)
    if ids is None:
        raise DataError(f"no split {split!r}; the splits are dev, test and all", folder)
    out = []
    for tid in sorted(ids):
        text_path = folder / "texts" / f"{tid}.txt"
        meta_path = folder / "texts" / f"{tid}.meta.yaml"
        ann_path = folder / "annotations" / f"{tid}.yaml"
        for path in (text_path, meta_path, ann_path):
            if not path.is_file():
                raise DataError(f"text {tid} of split {split} has no {path.name}", path)
        raw = text_path.read_bytes()
        clean = clean_page(raw, str(text_path))
        original = raw.decode("utf-8")
        meta = load_yaml(meta_path)
        ann = load_yaml(ann_path)
        if not isinstance(meta, dict) or not isinstance(ann, dict):
            raise DataError(
                "expected a mapping", meta_path if not isinstance(meta, dict) else ann_path
            )
        facts = ann.get("facts") or []
        if not isinstance(facts, list):
            raise DataError("'facts' must be a list", ann_path, ann.get(LINE))
        for fact in facts:
            line = fact.get(LINE) if isinstance(fact, dict) else None
            if not isinstance(fact, dict) or fact.get("kind") not in _KINDS:
                raise DataError(
                    f"a fact needs a kind of {', '.join(sorted(_KINDS))}", ann_path, line
                )
            need: tuple[str, ...] = (
                ("subject", "object") if fact["kind"] == "founding" else ("member", "organization")
            )
            if fact["kind"] == "role":
                need = (*need, "role")
            missing = [k for k in need if not fact.get(k)]
            if missing:
                raise DataError(f"a {fact['kind']} fact needs {', '.join(missing)}", ann_path, line)
            quotes = fact.get("quote")
            for q in [quotes] if isinstance(quotes, str) else quotes or [None]:
                if not isinstance(q, str) or q not in original:
                    raise DataError(
                        f"quote not in the text {text_path.name}: {q!r}", ann_path, line
                    )
        kind = str(meta.get("kind", "news"))
        extract_meta = {
            "language": str(meta.get("language", "zh-Hans")),
            "type": _TYPES.get(kind, "NewsArticle"),
            "headline": str(meta.get("title") or ""),
            "date": meta.get("date"),
        }
        out.append(CorpusText(tid, clean.text, clean.text_hant, extract_meta, facts, ann_path))
    return out


def _norm(name: object) -> str:
    from kg.sources.clean import _t2s

    text = _t2s()(str(name)).casefold().strip()
    text = _LEGAL.sub("", text).strip()
    return _NOISE.sub("", text)


class _Names:
    """Names as a reader compares them; a registry entity is any of its names."""

    def __init__(self, entities: Mapping[str, Any]):
        self.entities = entities
        self.ids: dict[str, str] = {}
        for eid, ent in entities.items():
            for name in [*ent.labels.values(), *(label for label, _, _ in ent.alt_labels)]:
                self.ids.setdefault(_norm(name), eid)

    def key(self, name: object) -> str:
        """One string per thing named: a registry id, or the normalised name."""
        if name in self.entities:
            return f"id:{name}"
        norm = _norm(name)
        eid = self.ids.get(norm)
        return f"id:{eid}" if eid else norm

    def forms(self, name: object) -> set[str]:
        """Every normalised name of what *name* names (for containment)."""
        eid = str(name) if name in self.entities else self.ids.get(_norm(name))
        if eid is None:
            return {_norm(name)}
        ent = self.entities[eid]
        return {_norm(n) for n in [*ent.labels.values(), *(x for x, _, _ in ent.alt_labels)]}


def _gold(fact: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = fact["kind"]
    if kind == "founding":
        return "founding", {
            "person": fact["object"],
            "org": fact["subject"],
            "dates": (str(fact.get("date")),),
        }
    person, org = fact["member"], fact["organization"]
    if kind == "role":
        dates = (str(fact.get("start")), str(fact.get("end")))
        return "roles", {"person": person, "org": org, "role": fact["role"], "dates": dates}
    if kind == "works_at":
        dates = (str(fact.get("start")), str(fact.get("end")))
        return "working at", {"person": person, "org": org, "dates": dates}
    return "leaving", {"person": person, "org": org, "dates": (str(fact.get("end")),)}


def _guess(draft: Any) -> tuple[str, dict[str, Any]] | None:
    f = draft.fields
    if draft.kind == "membership":
        dates = (str(f.get("start")), str(f.get("end")))
        return "roles", {
            "person": f["member"],
            "org": f["organization"],
            "role": f.get("role_text") or f["role"],
            "role_id": f["role"],
            "dates": dates,
        }
    rel = f.get("relation")
    if rel == "founder":
        return "founding", {
            "person": f["object"],
            "org": f["subject"],
            "dates": (str(f.get("date")),),
        }
    if rel in ("worksFor", "alumniOf"):
        if getattr(draft, "event", None) == "left":
            return "leaving", {
                "person": f["subject"],
                "org": f["object"],
                "dates": (str(f.get("end")),),
            }
        dates = (str(f.get("start")), str(f.get("end")))
        return "working at", {"person": f["subject"], "org": f["object"], "dates": dates}
    return None


def _matches(g: dict[str, Any], d: dict[str, Any], names: _Names, lenient: bool) -> bool:
    if names.key(g["person"]) != names.key(d["person"]):
        return False
    if names.key(g["org"]) != names.key(d["org"]):
        if not lenient:
            return False
        a, b = names.forms(g["org"]), names.forms(d["org"])
        if not any(len(x) >= 2 and len(y) >= 2 and (x in y or y in x) for x in a for y in b):
            return False
    if lenient:
        return True
    if "role" in g:
        said = {names.key(d["role"]), names.key(d.get("role_id"))}
        whole = names.key(g["role"])
        if whole not in said and not said & {names.key(part) for part in _parts(g["role"])}:
            return False
    return bool(g["dates"] == d["dates"])


_CHAIN = re.compile(r"\s{0,2}(?:兼任|兼|及|、|,\s(?:and\s)?|\sand\s|\s&\s)\s{0,2}")


def _parts(title: str) -> list[str]:
    """The titles a title joins (董事长兼 CEO: 董事长, CEO); one title, itself."""
    parts = [p for p in _CHAIN.split(str(title)) if p.strip()]
    return parts if len(parts) > 1 else []


def _found(g: dict[str, Any], got: list[dict[str, Any]], names: _Names, lenient: bool) -> bool:
    """Whether the drafts *got* give the annotated fact *g*: a title that joins titles
    (董事长兼 CEO) is given by one draft with the whole title, or by drafts that give each of
    its titles on the same pair and dates (the graph's roles are one title each)."""
    if any(_matches(g, d, names, lenient) for d in got):
        whole = names.key(g.get("role", ""))
        if lenient or "role" not in g or not _parts(g["role"]):
            return True
        if any(
            whole in {names.key(d["role"]), names.key(d.get("role_id"))}
            for d in got
            if _matches(g, d, names, lenient)
        ):
            return True
        return all(
            any(_matches({**g, "role": part}, d, names, lenient) for d in got)
            for part in _parts(g["role"])
        )
    return False


def outcome(data: Any, text: CorpusText) -> Outcome:
    from kg.extract.explain import explain_text

    sentences = explain_text(data, text.text, dict(text.meta), hant=text.text_hant)
    drafts = sorted(
        (d for s in sentences for d in s.drafts), key=lambda d: (d.start, d.end, d.rule)
    )
    guess = [g for g in map(_guess, drafts) if g is not None]
    shown = [(s.start, s.end) for s in sentences if s.drafts or s.look_at]
    surfaced = [_surfaced(text, f, shown) for f in text.facts]
    return Outcome(text, [_gold(f) for f in text.facts], guess, drafts, surfaced)


def _surfaced(text: CorpusText, fact: dict[str, Any], shown: list[tuple[int, int]]) -> bool:
    """Whether the review page shows the sentence of an annotated fact: its quote lies in a
    sentence that has a draft or is one to look at."""
    from kg.sources.clean import _t2s

    quotes = fact["quote"] if isinstance(fact["quote"], list) else [fact["quote"]]
    own = text.text_hant if len(text.text_hant) == len(text.text) else text.text
    for quote in quotes:
        at = own.find(quote)
        if at < 0:
            at = text.text.find(_t2s()(quote))
        if at >= 0 and any(a < at + len(quote) and at < b for a, b in shown):
            return True
    return False


def score(outcomes: Iterable[Outcome], names: _Names, lenient: bool) -> list[Score]:
    """Scores per group and ``all`` over *outcomes* (each text's drafts against its own
    annotation, summed)."""
    totals = {g: [0, 0, 0, 0] for g in GROUPS}
    for o in outcomes:
        for group in GROUPS:
            cross = {"roles": "working at", "working at": "roles"}.get(group) if lenient else None
            want = [f for g, f in o.gold if g == group]
            want_any = want + [f for g, f in o.gold if g == cross]
            got = _unique([f for g, f in o.guess if g == group], names)
            got_any = got + [f for g, f in o.guess if g == cross]
            t = totals[group]
            t[0] += sum(any(_matches(w, d, names, lenient) for w in want_any) for d in got)
            t[1] += len(got)
            t[2] += sum(_found(w, got_any, names, lenient) for w in want)
            t[3] += len(want)
    scores = [Score(g, *totals[g]) for g in GROUPS]
    scores.append(Score("all", *(sum(s[i] for s in totals.values()) for i in range(4))))
    return scores


def _unique(facts: list[dict[str, Any]], names: _Names) -> list[dict[str, Any]]:
    """Drafts that say the same thing once (two rules, one fact)."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for f in facts:
        key = (
            names.key(f["person"]),
            names.key(f["org"]),
            names.key(f.get("role", "")),
            *f["dates"],
        )
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def language(text: CorpusText) -> str:
    return "en" if str(text.meta["language"]).startswith("en") else "zh"


@dataclass
class CorpusScores:
    #: ``{"zh"|"en"|"pooled": {"strict"|"lenient": scores}}``
    scores: dict[str, dict[str, list[Score]]]
    #: ``{"zh"|"en"|"pooled": (facts whose sentence the review shows, facts)}``
    surfaced: dict[str, tuple[int, int]]


def score_corpus(data: Any, texts: list[CorpusText]) -> CorpusScores:
    """The extractor's scores on *texts*, per language and pooled, strict and lenient, and how
    many annotated facts the review page shows the sentence of."""
    names = _Names(data.entities)
    done = [outcome(data, t) for t in texts]
    scores: dict[str, dict[str, list[Score]]] = {}
    surfaced: dict[str, tuple[int, int]] = {}
    for part in ("zh", "en", "pooled"):
        chosen = [o for o in done if part == "pooled" or language(o.text) == part]
        scores[part] = {
            mode: score(chosen, names, mode == "lenient") for mode in ("strict", "lenient")
        }
        flags = [x for o in chosen for x in o.surfaced]
        surfaced[part] = (sum(flags), len(flags))
    return CorpusScores(scores, surfaced)
