"""``kg review``: a local page to accept, edit or reject one source's drafts, and to draft
from (or dismiss) the sentences that name a person and an organisation or a title where no
rule drafted anything (:func:`kg.extract.explain.sentences_to_look_at`).

It runs on the hardened HTTP server of ``kg serve`` (:mod:`kg.serve.http`: limits,
deadlines, a connection cap), bound to loopback. Requests must name the server itself in
``Host`` (no DNS rebinding), and a decision is a ``POST`` of JSON whose ``Origin``, when
sent, is the page's own: another site cannot make a reviewer's browser decide anything.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kg.errors import DataError, KGError
from kg.project.datafile import data_lock
from kg.resolve.judgements import record_judgement
from kg.review.decisions import (
    FACT_FIELDS,
    accept,
    anchor_in,
    create_entity,
    decided,
    dismiss,
    dismissed,
    fact_key,
    reject,
)
from kg.serve.http import Request
from kg.serve.messages import Answer, error

__all__ = ["ReviewApp"]

STATIC = Path(__file__).resolve().parent.parent / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
FILES = {
    "/": ("review.html", "text/html; charset=utf-8"),
    "/static/review.js": ("review.js", "text/javascript; charset=utf-8"),
    "/static/review.css": ("review.css", "text/css; charset=utf-8"),
}


class ReviewApp:
    def __init__(self, root: Path, source: str, by: str):
        from kg.project.checks import check_text

        self.root, self.source = root, source
        self.by = check_text(by, "--by (the reviewer's name)", None, None)
        self.data_dir = root / "data"
        self.hosts: set[str] = set()
        self.lock = threading.Lock()
        self._cache: tuple[str, list[Any]] | None = None  # (extract_key, sentences)
        self._state()  # fail at start, not in the browser, if the source cannot be read

    # -- the drafts, fresh from the data on each request --
    def _dataset(self) -> Any:
        from kg.data.dataset import load_dataset

        return load_dataset(self.data_dir)

    def _explained(self, data: Any) -> list[Any]:
        """The source's sentences with their mentions and drafts
        (:func:`kg.extract.explain.explain`), extracted again only when what they depend on
        changed: one extraction gives both the drafts and the sentences to look at."""
        from kg.extract.drafts import extract_key
        from kg.extract.explain import explain

        key = extract_key(data, self.source)
        cached = self._cache
        if cached is None or cached[0] != key:
            cached = self._cache = (key, explain(data, self.source))
        return cached[1]

    def _extracted(self, data: Any) -> list[Any]:
        """The source's drafts (those of :func:`kg.extract.drafts.extract`, in text order)."""
        return [d for s in self._explained(data) for d in s.drafts]

    def _drafts(self, data: Any) -> list[dict[str, Any]]:
        """Every draft of the source, each with how it was decided (None: still open)."""
        from kg.viz.facts import _in_sentence

        done = decided(self.data_dir, self.source)
        text = data.sources[self.source].own_text  # the drafts quote the text as written
        out = []
        for d in self._extracted(data):
            key = fact_key(d.fields)
            before, after = _in_sentence(text, d.start, d.end, d.quote)
            out.append(
                {
                    "key": key,
                    "kind": d.kind,
                    "fields": dict(d.fields),
                    "quote": d.quote,
                    "occurrence": d.occurrence,
                    "before": before,
                    "after": after,
                    "rule": d.rule,
                    "confidence": d.confidence,
                    "new": list(d.new),
                    "flags": list(d.flags),
                    "decided": done.get(key),
                }
            )
        return out

    def _state(self) -> dict[str, Any]:
        data = self._dataset()
        if self.source not in data.sources:
            raise DataError(
                f"no source {self.source!r}; the sources are: {', '.join(sorted(data.sources))}"
            )
        src = data.sources[self.source]
        return {
            "source": self.source,
            "title": src.meta.get("headline", self.source),
            "by": self.by,
            "drafts": self._drafts(data),
            "look_at": self._look_at(data),
            "relations": sorted(data.relations),
            "entities": [
                {"id": e.id, "type": e.type, "name": e.label("zh-Hans"), "en": e.labels["en"]}
                for e in sorted(data.entities.values(), key=lambda e: e.id)
            ],
        }

    # -- HTTP --
    def __call__(self, request: Request) -> Answer:
        try:
            return self._route(request)
        except KGError as exc:
            return error(400, str(exc))
        except Exception as exc:  # never a traceback to the browser
            import sys

            sys.stderr.write(f"kg review: {type(exc).__name__}: {exc}\n")
            return error(500, "internal error")

    def _route(self, request: Request) -> Answer:
        if request.header("host") not in self.hosts:
            return error(421, "this server answers for its own address only")
        path = urlsplit(request.target).path
        if request.method in ("GET", "HEAD"):
            if path in FILES:
                name, kind = FILES[path]
                return Answer(
                    200, kind, (STATIC / name).read_bytes(), {"Content-Security-Policy": CSP}
                )
            if path == "/api/state":
                return _json(self._state())
            return error(404, "not found")
        if request.method != "POST":
            return error(405, "GET or POST")
        origin = request.header("origin")
        if origin and urlsplit(origin).netloc not in self.hosts:
            return error(403, "a decision is made from the review page only")
        if request.header("content-type").split(";")[0].strip() != "application/json":
            return error(415, "send JSON")
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return error(400, "the body is not JSON")
        if not isinstance(body, dict):
            return error(400, "the body is a JSON object")
        if path == "/api/decide":
            return _json(self._decide(body))
        if path == "/api/draft":
            return _json(self._draft_from(body))
        if path == "/api/dismiss":
            return _json(self._dismiss(body))
        if path == "/api/entity":
            entity = body.get("entity")
            if not isinstance(entity, dict):
                return error(400, "entity: an object")
            with self.lock:
                return _json({"created": create_entity(self.data_dir, entity)})
        return error(404, "not found")

    def _decide(self, body: dict[str, Any]) -> dict[str, Any]:
        data = self._dataset()
        drafts = {d["key"]: d for d in self._drafts(data) if not d["decided"]}
        draft = drafts.get(str(body.get("key")))
        if draft is None:
            return {
                "saved": False,
                "why": "decided already (in another tab?) or no longer proposed",
            }
        action = body.get("action")
        if action == "reject":
            return reject(
                self.data_dir,
                self.source,
                {**draft["fields"], **draft},
                self.by,
                str(body.get("reason") or ""),
            )
        if action != "accept":
            raise DataError("action: accept or reject")
        return self._accept_edited(data, draft, body.get("fields") or {}, FACT_FIELDS)

    def _accept_edited(
        self,
        data: Any,
        draft: dict[str, Any],
        edits: Any,
        editable: tuple[str, ...],
        named: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """Save *draft* with the reviewer's *edits* (of the fields *editable*) as a curated
        statement; a new name of the draft the reviewer replaced by an entity is recorded as
        that entity (a judgement), unless the entity is another of the names in *named*."""
        if not isinstance(edits, dict):
            raise DataError("fields: an object")
        fields = dict(draft["fields"])
        for k in editable:
            if k in edits:
                value = str(edits[k]).strip()
                fields[k] = value or None
        merged = []
        for k in ("subject", "object", "member", "organization", "role"):
            if fields.get(k) and not _is_id(str(fields[k])):
                fields[k] = data.names.resolve(str(fields[k]), (f"the {k}",))  # a name: its entity
            proposed = draft["fields"].get(k)
            if (
                proposed in draft["new"]
                and fields.get(k)
                and fields[k] != proposed
                and fields[k] not in named
            ):
                merged.append((str(fields[k]), str(proposed)))  # the new name is this entity
        if fields.get("relation") and fields["relation"] not in data.relations:
            raise DataError(f"unknown relation {fields['relation']!r}")
        record = {
            **{k: v for k, v in fields.items() if v},
            "quote": draft["quote"],
            "occurrence": draft["occurrence"],
            "rule": draft["rule"],
            "drafted": draft.get("drafted", draft["fields"]),
        }
        judgements = self.data_dir / "judgements.yaml"
        with self.lock, data_lock(self.data_dir):  # the statement and its judgements as one
            before = judgements.read_bytes() if judgements.exists() else None
            try:
                saved = self._accept_merging(merged, draft, record, judgements)
            except BaseException:
                _restore(judgements, before)
                raise
            if not saved.get("saved"):
                _restore(judgements, before)
        return {**saved, "merged": [name for _, name in merged]}

    # -- the sentences to look at --
    def _look_at(self, data: Any) -> list[dict[str, Any]]:
        """The sentences that name a person and an organisation or a title where no rule
        drafted anything, less those a statement of this source quotes from (curated, or
        drafted from here) and those a reviewer dismissed."""
        from kg.extract.explain import sentences_to_look_at

        quoted = [
            (ev.start, ev.end)
            for fact in data.facts()
            for ev in fact.evidence
            if ev.source == self.source and ev.start is not None
        ]
        gone = dismissed(self.data_dir, self.source)
        out = []
        for s in sentences_to_look_at(self._explained(data)):
            if s.text in gone or any(s.start <= a and b <= s.end for a, b in quoted):
                continue
            names = s.mentions  # a pronoun too, with the person it refers to
            out.append(
                {
                    "key": f"{s.start}-{s.end}",
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "parts": _parts(s.text, names),
                    **{
                        group: [_named(data, m) for m in names if m["kind"] == kind]
                        for group, kind in (
                            ("people", "PER"),
                            ("organizations", "ORG"),
                            ("roles", "ROLE"),
                        )
                    },
                }
            )
        return out

    def _listed(self, data: Any, body: dict[str, Any]) -> dict[str, Any] | None:
        return next((s for s in self._look_at(data) if s["key"] == str(body.get("key"))), None)

    def _draft_from(self, body: dict[str, Any]) -> dict[str, Any]:
        """A statement the reviewer drafted from a sentence to look at: saved as an edited
        draft is (the same checks, judgements and writer), ``proposed_by: reviewer``."""
        data = self._dataset()
        sentence = self._listed(data, body)
        if sentence is None:
            return {"saved": False, "why": _GONE}
        kind = body.get("kind")
        if kind not in _KINDS:
            raise DataError("kind: relation or membership")
        src = data.sources[self.source]
        quote, occurrence = anchor_in(
            src.text, src.own_text, str(body.get("quote") or ""), sentence["start"], sentence["end"]
        )
        who, org, role = (
            next(iter(sentence[g]), None) for g in ("people", "organizations", "roles")
        )
        shown = [_prefill(m) for m in (who, org, role)]
        prefill = (
            {"member": shown[0], "organization": shown[1], "role": shown[2]}
            if kind == "membership"
            else {"subject": shown[0], "relation": None, "object": shown[1]}
        )
        new = [str(_prefill(m)) for m in (who, org, role) if m and m.get("new")]
        draft = {
            "fields": {k: v for k, v in prefill.items() if v},
            "new": new,
            "quote": quote,
            "occurrence": occurrence,
            "rule": "reviewer",  # no rule proposed it: the reviewer, from the sentence
            "drafted": None,
        }
        named = frozenset(
            str(m["id"])
            for g in ("people", "organizations", "roles")
            for m in sentence[g]
            if m.get("id")
        )
        return self._accept_edited(data, draft, body.get("fields") or {}, _KINDS[kind], named)

    def _dismiss(self, body: dict[str, Any]) -> dict[str, Any]:
        data = self._dataset()
        sentence = self._listed(data, body)
        if sentence is None:
            return {"saved": False, "why": _GONE}
        with self.lock:
            return dismiss(
                self.data_dir, self.source, sentence, self.by, str(body.get("reason") or "")
            )

    def _accept_merging(
        self,
        merged: list[tuple[str, str]],
        draft: dict[str, Any],
        record: dict[str, Any],
        judgements: Path,
    ) -> dict[str, Any]:
        """Record the merges the reviewer chose, then the statement that needs them."""
        for entity, name in merged:
            # Recorded as a judgement: who decided that the source's name is this entity.
            record_judgement(
                judgements,
                entity,
                name,
                "same",
                self.by,
                dt.date.today().isoformat(),
                _why(self.source, entity, draft["quote"]),
                check=self._dataset,
            )
        return accept(self.data_dir, self.source, record, self.by)


#: What a statement drafted from a sentence states: the fields of each kind.
_KINDS = {
    "relation": ("subject", "relation", "object", "value", "start", "end", "date"),
    "membership": ("member", "organization", "role", "start", "end"),
}
_GONE = "looked at already (in another tab?) or no longer listed"


def _named(data: Any, mention: dict[str, Any]) -> dict[str, Any]:
    """A name in a sentence (its text as written): its registry entity (id and label) or,
    new, ``new``; a pronoun also says the name it refers to (``refers_to``)."""
    entity = mention.get("entity")
    out: dict[str, Any] = {"text": mention["text"]}
    if entity:
        known = data.entities.get(entity)
        out.update(id=entity, label=known.label("zh-Hans") if known is not None else entity)
    else:
        out["new"] = True
    if mention.get("refers_to"):
        out["refers_to"] = mention["refers_to"]
    return out


def _prefill(name: dict[str, Any] | None) -> str | None:
    """What the draft form shows for a name: its entity's id, else the name (a pronoun's:
    the name it refers to)."""
    if name is None:
        return None
    return str(name.get("id") or name.get("refers_to") or name["text"])


def _parts(text: str, mentions: list[dict[str, Any]]) -> list[dict[str, str]]:
    """*text* cut at its mentions, in order: ``{"text": …}`` or ``{"text": …, "kind": …}``."""
    out: list[dict[str, str]] = []
    at = 0
    for m in mentions:
        found = text.find(m["text"], at) if m["text"] else -1
        if found < 0:
            continue  # not in the stripped sentence (or before a mention already cut)
        if found > at:
            out.append({"text": text[at:found]})
        out.append({"text": m["text"], "kind": m["kind"]})
        at = found + len(m["text"])
    if at < len(text):
        out.append({"text": text[at:]})
    return out


def _restore(path: Path, before: bytes | None) -> None:
    """Put *path* back as it was (absent when *before* is None)."""
    from kg.project.datafile import atomic_write

    if before is None:
        path.unlink(missing_ok=True)
    elif not path.exists() or path.read_bytes() != before:
        atomic_write(path, before)


def _why(source: str, entity: str, quote: str) -> str:
    """The reason a merge made on the page records: the source and its quote, shortened to
    fit a reason's length."""
    from kg.project._text import MAX_LABEL

    head = f"{source} names {entity} so: “"
    if len(head) > MAX_LABEL // 2:  # ids up to 100 characters each: the entity is the judgement's a
        head = f"{source} names it so: “"
    room = MAX_LABEL - len(head) - 1
    shown = quote if len(quote) <= room else quote[: room - 1] + "…"
    return f"{head}{shown}”"


def _is_id(value: str) -> bool:
    from kg.data.entities import _ID

    return bool(_ID.match(value))


def _json(value: Any) -> Answer:
    return Answer(
        200,
        "application/json; charset=utf-8",
        json.dumps(value, ensure_ascii=False).encode("utf-8"),
        {"Cache-Control": "no-store"},
    )
