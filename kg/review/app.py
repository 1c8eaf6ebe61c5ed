"""``kg review``: a local page to accept, edit or reject one source's drafts.

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
    create_entity,
    decided,
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
        self._cache: tuple[str, list[Any]] | None = None  # (extract_key, drafts)
        self._state()  # fail at start, not in the browser, if the source cannot be read

    # -- the drafts, fresh from the data on each request --
    def _dataset(self) -> Any:
        from kg.data.dataset import load_dataset

        return load_dataset(self.data_dir)

    def _extracted(self, data: Any) -> list[Any]:
        """The source's drafts, extracted again only when what they depend on changed."""
        from kg.extract.drafts import extract, extract_key

        key = extract_key(data, self.source)
        cached = self._cache
        if cached is None or cached[0] != key:
            cached = self._cache = (key, extract(data, self.source))
        return cached[1]

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
        fields = dict(draft["fields"])
        edits = body.get("fields") or {}
        if not isinstance(edits, dict):
            raise DataError("fields: an object")
        for k in FACT_FIELDS:
            if k in edits:
                value = str(edits[k]).strip()
                fields[k] = value or None
        merged = []
        for k in ("subject", "object", "member", "organization", "role"):
            if fields.get(k) and not _is_id(str(fields[k])):
                fields[k] = data.names.resolve(str(fields[k]), (f"the {k}",))  # a name: its entity
            proposed = draft["fields"].get(k)
            if proposed in draft["new"] and fields.get(k) and fields[k] != proposed:
                merged.append((str(fields[k]), str(proposed)))  # the new name is this entity
        if fields.get("relation") and fields["relation"] not in data.relations:
            raise DataError(f"unknown relation {fields['relation']!r}")
        record = {
            **{k: v for k, v in fields.items() if v},
            "quote": draft["quote"],
            "occurrence": draft["occurrence"],
            "rule": draft["rule"],
            "drafted": draft["fields"],
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
