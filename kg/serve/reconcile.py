"""An OpenRefine reconciliation service at ``/reconcile``: the W3C Entity Reconciliation
Community Group's Reconciliation Service API, version 0.2 (the version OpenRefine 3.3 and
later speak; https://www.w3.org/community/reports/reconciliation/CG-FINAL-specs-0.2-20230410/).

- ``GET /reconcile`` (no parameters): the service manifest — identifier space
  ``https://w3id.org/china-ai-kg/`` (an entity's id, ``person/lu-qi``, is the rest of
  its IRI), default types Person and Organization, the entity page as the ``view``
  template and ``/reconcile/preview`` as the ``preview`` service;
- ``POST /reconcile`` with a form field ``queries`` (how OpenRefine sends them), or
  ``GET /reconcile?queries=…``: a batch of queries ``{"q0": {"query": …, "type": …,
  "limit": …}, …}``, answered ``{"q0": {"result": [candidates]}, …}``;
- ``GET /reconcile/preview?id=person/lu-qi``: a small HTML page about the entity, for
  OpenRefine's preview frame.

Names are matched as every ``kg`` command matches them (:mod:`kg.query.lookup`): an id, an
IRI, the end of an id, or any label or alternative label in any language or script,
after NFKC normalisation, case folding, collapsing whitespace and folding Traditional
Chinese to Simplified. There is no fuzzy matching. A candidate scores 100 when the query
is its id or one of its labels, 90 when it is an alternative label, 80 when it is the
end of its id; it is a ``match`` when it is the only entity of the wanted types with that
name (when ``kg.query.lookup.find_entity`` would pick it). ``type`` filters the candidates
(a type IRI such as ``https://schema.org/Person``, a CURIE, or a class's local name);
``properties`` and ``type_strict`` are accepted and not used.

Bounds: at most ``MAX_BATCH`` queries a batch (413 beyond it, announced as the
manifest's ``batchSize``), a query of at most ``MAX_QUERY_CHARS`` characters (400), a
``limit`` capped at ``MAX_LIMIT``; the body and URL limits of the HTTP layer apply. The
graph's names are read once, through the worker pool, on the first query.
"""

from __future__ import annotations

import contextlib
import html
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from kg.project.namespaces import BASE, PREFIXES
from kg.query.lookup import (
    AmbiguousEntityError,
    EntityNotFoundError,
    Names,
    entity_names,
    find_entity,
    normalize,
)
from kg.serve.linked import Unanswered, held, not_allowed, one_build, select
from kg.serve.messages import Answer, error

__all__ = ["MAX_BATCH", "MAX_LIMIT", "MAX_QUERY_CHARS", "Reconciler"]

MAX_BATCH = 50  #: queries in one batch (OpenRefine sends 10 by default, at most batchSize)
MAX_QUERY_CHARS = 1_000  #: characters of one query's text
MAX_LIMIT = 100  #: candidates one query may ask for
PREVIEW_SIZE = (420, 260)  #: width and height of OpenRefine's preview frame, in pixels
DEFAULT_TYPES = (
    ("https://schema.org/Person", "Person"),
    ("https://schema.org/Organization", "Organization"),
)
#: The preview is shown in OpenRefine's frame (another origin), so it may be framed: it
#: has no script and no form.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

TYPES_QUERY = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?e ?t WHERE {{
  ?e rdfs:label ?name ; a ?t .
  FILTER (isIRI(?e) && STRSTARTS(STR(?e), "{BASE}"))
}}"""


class _Bad(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class _PoolStore:
    """What :func:`kg.query.lookup.entity_names` reads a store through: ``query(text)`` → rows."""

    def __init__(self, app: Any, builds: set[str]):
        self.app = app
        self.builds = builds  #: the builds that answered (see kg.serve.linked.one_build)

    def query(self, text: str) -> list[dict[str, Any]]:
        return select(self.app, text, self.builds)


@dataclass
class Index:
    """The graph's names (as :mod:`kg.query.lookup` reads them) and types, read once."""

    names: Names
    keys: dict[str, set[str]] = field(default_factory=dict)  #: normalised name or id end → ids
    labels: dict[str, set[str]] = field(default_factory=dict)  #: normalised label → ids
    types: dict[str, list[str]] = field(default_factory=dict)  #: id → type IRIs
    type_names: dict[str, str] = field(default_factory=dict)  #: type IRI → name

    @classmethod
    def of(cls, names: Names, types: dict[str, list[str]], type_names: dict[str, str]) -> Index:
        """The index of *names* (from :func:`kg.query.lookup.entity_names`) and their types."""
        index = cls(names, types=types, type_names=type_names)
        for entity, known in names.names.items():
            index.keys.setdefault(entity.partition("/")[2], set()).add(entity)
            for name in known:
                index.keys.setdefault(normalize(name), set()).add(entity)
            for name in names.labels.get(entity, []):
                index.labels.setdefault(normalize(name), set()).add(entity)
        return index

    @classmethod
    def read(cls, app: Any, labels: dict[str, dict[str, str]]) -> Index:
        """The index of the graph *app* serves, read through its worker pool (every query
        of it answered by one build)."""
        return one_build(lambda builds: cls._read(app, labels, builds))

    @classmethod
    def _read(cls, app: Any, labels: dict[str, dict[str, str]], builds: set[str]) -> Index:
        names = entity_names(_PoolStore(app, builds))
        types: dict[str, list[str]] = {}
        type_names: dict[str, str] = {}
        for row in select(app, TYPES_QUERY, builds):
            entity, kind = str(row["e"])[len(BASE) :], str(row["t"])
            if entity in names.names:
                types.setdefault(entity, []).append(kind)
                type_names[kind] = (labels.get(kind) or {}).get("en") or _local(kind)
        return cls.of(names, types, type_names)

    def wanted(self, given: list[str]) -> set[str]:
        """The type IRIs a query's ``type`` names: IRIs, CURIEs or local names."""
        out = set()
        for value in given:
            prefix, colon, local = value.partition(":")
            if colon and prefix in PREFIXES and not local.startswith("//"):
                value = PREFIXES[prefix] + local
            for known in self.type_names:
                if value == known or value.casefold() == _local(known).casefold():
                    out.add(known)
        return out

    def candidates(self, text: str, types: set[str] | None, limit: int) -> list[dict[str, Any]]:
        key = normalize(text)
        if not key:
            return []
        try:  # ids and IRIs too, exactly as every kg command reads them
            hit: str | None = find_entity(self.names, text)
        except (EntityNotFoundError, AmbiguousEntityError):
            hit = None
        found = set(self.keys.get(key, ()))
        if hit is not None:
            found.add(hit)
        if types is not None:
            found = {e for e in found if types & set(self.types.get(e, ()))}
        scored = sorted((-self._score(e, key, hit), e) for e in found)
        out = []
        for negative, entity in scored[:limit]:
            labels = self.names.labels.get(entity) or [entity]
            matched = [n for n in labels if n == text.strip()]
            matched += [n for n in labels if normalize(n) == key]
            shown = matched[0] if matched else labels[0]
            others = [n for n in self.names.names.get(entity, []) if n != shown]
            candidate: dict[str, Any] = {
                "id": entity,
                "name": shown,
                "score": -negative,
                "match": len(found) == 1,
                "type": [
                    {"id": t, "name": self.type_names.get(t, _local(t))}
                    for t in self.types.get(entity, [])
                ],
            }
            if others:
                candidate["description"] = " · ".join(others[:8])
            out.append(candidate)
        return out

    def _score(self, entity: str, key: str, hit: str | None) -> int:
        if entity in self.labels.get(key, ()) or (
            hit == entity and entity not in self.keys.get(key, ())
        ):
            return 100  # a label, or the id or IRI itself
        if any(normalize(n) == key for n in self.names.names.get(entity, [])):
            return 90
        return 80  # the end of its id


def _local(iri: str) -> str:
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


class Reconciler:
    """The reconciliation routes of one server (see the module's docstring)."""

    def __init__(self, app: Any, labels: Callable[[], bytes]):
        self.app = app
        self.labels = labels
        self._index: Index | None = None
        self._lock = threading.Lock()

    def manifest(self) -> dict[str, Any]:
        from importlib import metadata

        public = self.app.public
        manifest: dict[str, Any] = {
            "versions": ["0.2"],
            "name": "kg: China AI talent knowledge graph",
            "identifierSpace": BASE,
            "schemaSpace": "https://schema.org/Thing",
            "view": {"url": public + "/entity?id={{id}}"},
            "preview": {
                "url": public + "/reconcile/preview?id={{id}}",
                "width": PREVIEW_SIZE[0],
                "height": PREVIEW_SIZE[1],
            },
            "defaultTypes": [{"id": i, "name": n} for i, n in DEFAULT_TYPES],
            "batchSize": MAX_BATCH,
        }
        with contextlib.suppress(metadata.PackageNotFoundError):
            manifest["serviceVersion"] = "kg " + metadata.version("kg")
        return manifest

    def index(self, client: str) -> Index:
        with self._lock:  # read once: the server serves one build
            if self._index is None:
                with held(self.app, client):
                    self._index = Index.read(self.app, json.loads(self.labels()))
            return self._index

    def route(self, request: Any, path: str, query_string: str) -> Answer:
        try:
            if path == "/reconcile/preview":
                if request.method not in ("GET", "HEAD"):
                    return not_allowed(request.method)
                return self._preview(request, _params(query_string))
            if path != "/reconcile":
                return error(404, "not found; the reconciliation service is /reconcile")
            if request.method in ("GET", "HEAD"):
                params = _params(query_string)
            elif request.method == "POST":
                params = _params(query_string) | _form(request)
            else:
                return not_allowed(request.method, "GET, HEAD, POST")
            if "extend" in params:
                raise _Bad(400, "this service offers no data extension (extend)")
            queries = params.get("queries")
            if not queries:
                if request.method == "POST":
                    raise _Bad(400, "no queries given: send a form field queries={…}")
                return _json(self.manifest())
            if len(queries) > 1:
                raise _Bad(400, "give queries once")
            batch = _batch(queries[0])
            index = self.index(request.client)
            results = {}
            for key, query in batch.items():
                types = index.wanted(query["type"]) if query["type"] else None
                found = index.candidates(query["query"], types, query["limit"])
                results[key] = {"result": found}
            return _json(results)
        except _Bad as exc:
            return error(exc.status, str(exc))
        except Unanswered as exc:
            return exc.answer

    def _preview(self, request: Any, params: dict[str, list[str]]) -> Answer:
        ids = params.get("id", [])
        if len(ids) != 1:
            raise _Bad(400, "give one entity id: /reconcile/preview?id=person/lu-qi")
        index = self.index(request.client)
        entity = ids[0].strip()
        if entity.startswith(BASE):
            entity = entity[len(BASE) :]
        if entity not in index.names.names:
            return error(404, f"no entity {entity[:100]} in this graph")
        labels = json.loads(self.labels())
        iri = BASE + entity
        text = (
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            f"SELECT ?p ?o ?name WHERE {{ <{iri}> ?p ?o . ?o rdfs:label ?name .\n"
            f'  FILTER (isIRI(?o) && STRSTARTS(STR(?o), "{BASE}")) }}'
        )
        with held(self.app, request.client):
            rows = select(self.app, text)
        related: dict[tuple[str, str], dict[str, str]] = {}
        for row in rows:
            names = related.setdefault((str(row["p"]), str(row["o"])), {})
            names.setdefault(getattr(row["name"], "language", None) or "", str(row["name"]))
        e = html.escape
        shown = index.names.labels.get(entity) or [entity]
        others = [n for n in index.names.names.get(entity, []) if n != shown[0]]
        kinds = ", ".join(index.type_names.get(t, _local(t)) for t in index.types.get(entity, []))
        facts = []
        for (predicate, other), names in sorted(related.items())[:12]:
            said = (labels.get(predicate) or {}).get("en") or _local(predicate)
            name = " · ".join(
                dict.fromkeys(n for k, n in names.items() if k.lower() in ("en", "zh-hans"))
            )
            facts.append(f"<li>{e(said)}: {e(name or other[len(BASE) :])}</li>")
        page = (
            '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">'
            f"<title>{e(shown[0])}</title><style>"
            "body{font:13px/1.4 sans-serif;margin:6px;color:#222}h1{font-size:16px;margin:0}"
            ".id{color:#666}ul{margin:4px 0;padding-left:18px}</style></head><body>"
            f"<h1>{e(shown[0])}</h1>"
            f'<div class="id">{e(entity)}{" · " + e(kinds) if kinds else ""}</div>'
            + (f"<div>also: {e(' · '.join(others[:10]))}</div>" if others else "")
            + (f"<ul>{''.join(facts)}</ul>" if facts else "")
            + f'<a href="{e(self.app.public)}/entity?id={e(entity)}" target="_blank" '
            'rel="noopener">every fact, with its quote</a></body></html>'
        )
        return Answer(
            200,
            "text/html; charset=utf-8",
            page.encode("utf-8"),
            {"Content-Security-Policy": PREVIEW_CSP},
        )


def _json(value: Any) -> Answer:
    return Answer(200, "application/json", json.dumps(value, ensure_ascii=False).encode("utf-8"))


def _params(query_string: str) -> dict[str, list[str]]:
    try:
        return parse_qs(query_string, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise _Bad(400, "the URL is not valid UTF-8") from None


def _form(request: Any) -> dict[str, list[str]]:
    media = request.header("content-type").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise _Bad(415, "send the queries as a form (application/x-www-form-urlencoded)")
    try:
        return parse_qs(request.body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise _Bad(400, "the form is not valid UTF-8") from None


def _batch(text: str) -> dict[str, dict[str, Any]]:
    """A query batch, checked: each query's text, types and limit, or :class:`_Bad`."""
    try:
        batch = json.loads(text)
    except (ValueError, RecursionError):
        raise _Bad(400, 'queries is not JSON: give an object {"q0": {"query": …}, …}') from None
    if not isinstance(batch, dict):
        raise _Bad(400, 'queries must be a JSON object {"q0": {"query": …}, …}')
    if len(batch) > MAX_BATCH:
        raise _Bad(413, f"{len(batch)} queries in one batch; at most {MAX_BATCH} (batchSize)")
    checked = {}
    for key, query in batch.items():
        name = key[:40]
        if not isinstance(query, dict):
            raise _Bad(400, f"{name}: a query must be a JSON object")
        text = query.get("query", "")
        if not isinstance(text, str):
            raise _Bad(400, f"{name}: query must be a string")
        if len(text) > MAX_QUERY_CHARS:
            raise _Bad(400, f"{name}: the query is over {MAX_QUERY_CHARS} characters")
        kind = query.get("type")
        types = [kind] if isinstance(kind, str) else kind
        if types is not None and (
            not isinstance(types, list) or not all(isinstance(t, str) for t in types)
        ):
            raise _Bad(400, f"{name}: type must be a type id or a list of them")
        limit = query.get("limit", MAX_LIMIT)
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise _Bad(400, f"{name}: limit must be a positive integer")
        checked[key] = {"query": text, "type": types, "limit": min(limit, MAX_LIMIT)}
    return checked
