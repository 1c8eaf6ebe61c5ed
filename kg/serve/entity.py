"""The entity page's route, ``/entity?id=…``: any name or id, looked up as the CLI looks it up.

``id`` is read by :func:`kg.query.lookup.find_entity`, the lookup every ``kg`` command uses:
a full id (``org/baidu``), its IRI, the end of an id when only one entity has it (``baidu``,
``lu-qi``), or any label or alternative label in any language or script (``欧阳剑``,
``歐陽劍``, ``Ouyang Jian``). The graph's names are read once, through the worker pool (the
reconciliation service's index, :class:`kg.serve.reconcile.Reconciler`).

- one entity: 200, the entity page (``kg/static/entity.html``) with the entity's id in
  ``<main data-id>`` for ``entity.js`` and its name in the title;
- several: 300, a page listing each candidate with a link to its page;
- none: 404, a page listing the nearest names, each a link to its page;
- no ``id``, or an empty one: 400, "no entity id given".

Every text from the request or the graph is HTML-escaped; the pages run no script of their
own (the entity page loads ``/static/entity.js`` under the same CSP as before).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from kg.query.lookup import AmbiguousEntityError, EntityNotFoundError, find_entity
from kg.serve.linked import ENTITY_PAGE, Unanswered
from kg.serve.messages import Answer, error

__all__ = ["MAX_ID_CHARS", "entity_page"]

MAX_ID_CHARS = 200  #: the longest name or id the page looks up
LANGS = ("zh-Hans", "zh-Hant", "en")  #: the label languages the page offers
_TEMPLATE = Path(__file__).resolve().parent.parent / "static" / "entity.html"
_SLOT_ID = '<main id="entity" data-id="">'
_SLOT_TITLE = "<title>kg — entity</title>"
_ERROR = ' class="error"'


def entity_page(app: Any, request: Any, query_string: str, csp: str) -> Answer:
    """The answer to ``GET /entity?id=…`` (see the module's docstring)."""
    try:
        params = parse_qs(query_string, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return error(400, "the URL is not valid UTF-8")
    lang = (params.get("lang") or [""])[0]
    lang = lang if lang in LANGS else ""
    given = [v.strip() for v in params.get("id", [])]
    if not given or not given[0]:
        return _listing(
            400,
            "no entity id given",
            "Give one as in /entity?id=org/baidu "
            "or /entity?id=欧阳剑: an id, the end of an id or any name.",
            [],
            {},
            lang,
            csp,
        )
    if len(given) > 1:
        return error(400, "give one entity id: /entity?id=org/baidu")
    wanted = given[0]
    if len(wanted) > MAX_ID_CHARS:
        return error(400, f"the entity id or name is over {MAX_ID_CHARS} characters")
    try:
        index = app.reconciler.index(request.client)
    except Unanswered as exc:
        return exc.answer
    names = index.names
    try:
        entity = find_entity(names, wanted)
    except AmbiguousEntityError as exc:
        return _listing(
            300,
            f"“{wanted}” names {len(exc.candidates)} entities",
            "Choose the one you mean:",
            exc.candidates,
            index,
            lang,
            csp,
        )
    except EntityNotFoundError as exc:
        near = exc.near
        return _listing(
            404,
            f"No entity “{wanted}” in this graph",
            "The nearest names:"
            if near
            else "No name in this graph is near it; look entities up on the query page.",
            near,
            index,
            lang,
            csp,
        )
    if ENTITY_PAGE.fullmatch(entity) is None:
        return error(404, f"{entity} has no entity page")
    page = _TEMPLATE.read_text(encoding="utf-8")
    shown = (names.labels.get(entity) or [entity])[0]
    page = page.replace(_SLOT_ID, f'<main id="entity" data-id="{html.escape(entity)}">', 1)
    page = page.replace(_SLOT_TITLE, f"<title>kg — {html.escape(shown)}</title>", 1)
    return Answer(
        200, "text/html; charset=utf-8", page.encode("utf-8"), {"Content-Security-Policy": csp}
    )


def _link(entity: str, lang: str) -> str:
    query = {"id": entity, **({"lang": lang} if lang else {})}
    return "/entity?" + urlencode(query, safe="/")


def _listing(
    status: int, heading: str, lead: str, entities: list[str], index: Any, lang: str, csp: str
) -> Answer:
    """A page of *heading*, *lead* and a link to each of *entities*' pages (all escaped)."""
    e = html.escape
    items = []
    for entity in entities:
        names = index.names
        labels = names.labels.get(entity) or names.names.get(entity) or [entity]
        others = [n for n in names.names.get(entity, []) if n != labels[0]]
        kinds = ", ".join(
            index.type_names.get(t, t.rsplit("/", 1)[-1]) for t in index.types.get(entity, [])
        )
        items.append(
            f'<li><a href="{e(_link(entity, lang))}">{e(labels[0])}</a> '
            f'<span class="id">{e(entity)}{" · " + e(kinds) if kinds else ""}</span>'
            + (f' <span class="names">also: {e(" · ".join(others[:8]))}</span>' if others else "")
            + "</li>"
        )
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>kg — {e(heading)}</title>\n"
        '<link rel="stylesheet" href="/static/page.css">\n</head>\n<body>\n'
        '<header><strong>kg</strong><a href="/">SPARQL query page</a>'
        '<a href="/graph">interactive graph</a></header>\n'
        f'<main id="entity">\n<h1 id="name">{e(heading)}</h1>\n'
        f'<div id="status"{_ERROR if status >= 400 else ""}>{e(lead)}</div>\n'
        + (f'<ul id="candidates">\n{chr(10).join(items)}\n</ul>\n' if items else "")
        + "</main>\n</body>\n</html>\n"
    )
    return Answer(
        status, "text/html; charset=utf-8", page.encode("utf-8"), {"Content-Security-Policy": csp}
    )
