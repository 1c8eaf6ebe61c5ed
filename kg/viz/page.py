"""Viz: the graph as one interactive HTML page that works offline and is safe with any text.

The page draws the :func:`kg.analysis.projection.project` view of the graph with vis-network
9.1.2, the build that pyvis 0.3.2 ships. pyvis's own template is not used: it links
Bootstrap and vis-network from CDNs even in ``in_line`` mode, switches every tooltip to
raw ``innerHTML`` as soon as one title contains ``href``, and inserts the heading and
select-menu ids unescaped. Instead this module fills its own small page, kept as static
files beside it (``kg/static/graph.html``, ``graph.css``, ``graph.js``):

- vis-network's JS and CSS are inlined from pyvis's package folder; nothing is fetched
  (a Content-Security-Policy with ``default-src 'none'`` and script hashes enforces it);
- the data travels as one JSON block (``<`` ``>`` ``&`` escaped as ``\\u003c`` …) that the
  page's script parses and hands to vis-network; text reaches the DOM only through
  ``textContent`` and vis-network's string titles, which it shows with ``innerText``;
- vis node ids are opaque integers; entity ids are only shown as text;
- positions, sizes and label fonts come from :func:`kg.vizlayout.layout` (seeded, so the
  same graph gives a byte-identical file, and the exports get the same numbers); the page
  draws them with physics off, hides the edge labels that would touch another label, and
  starts at a zoom where every label can be read;
- hovering shows a short tooltip; clicking a node or an edge opens a details panel that
  scrolls, with every fact, each quote in its sentence, and the source's title,
  publisher, date and link (where the metadata records them);
- entities with no tie to draw (an article's author, editor, publisher) are left out of
  the drawing and named, with their tie, in the legend; a forecaster is drawn with an
  edge to the entity its figures are about.

:func:`write_html` is the entry point for a built graph; :func:`write_viz_html` takes
plain :class:`kg.viz.model.VizNode` and :class:`kg.viz.model.VizEdge` lists (the benchmark
feeds it synthetic graphs of 20,000 nodes).

The page's data and its look are in :mod:`kg.viz.model`, built from a graph by
:func:`kg.viz.facts.viz_graph`; the drawing order and placement are :mod:`kg.viz.place`.
"""

from __future__ import annotations

import base64
import difflib
import functools
import hashlib
import html
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import KGError
from kg.project.datafile import atomic_write
from kg.viz.facts import viz_graph
from kg.viz.layout import LABEL_LIMIT
from kg.viz.model import (
    _TYPE_ORDER,
    _UI,
    LASTING,
    RELATION_STYLES,
    TYPE_NAMES,
    TYPE_STYLES,
    VizGraph,
    VizNode,
    VizSource,
    _check_lang,
    _type,
    relation_style,
)
from kg.viz.options import STABILIZE_LIMIT, font_face, vis_options
from kg.viz.place import _bends, _place

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = [
    "DEFAULT_ORG",
    "STABILIZE_LIMIT",
    "page_layout",
    "render_html",
    "served_page",
    "write_html",
    "write_viz_html",
]

#: The page starts at no smaller zoom than this (node labels of 14 px stay 12.6 px or more).
MIN_SCALE = 0.9
_VIS = "vis-9.1.2"
_STATIC = Path(__file__).resolve().parent.parent / "static"
# --- the page --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _static() -> tuple[str, str, str]:
    """The page's markup, style and script (``kg/static/graph.*``; the script is
    ``graph-flow.js``, the first view and the year control, ``graph-panel.js``, the
    sidebar's pieces, then ``graph.js``)."""
    try:
        page, css, *scripts = (
            (_STATIC / name).read_text(encoding="utf-8")
            for name in ("graph.html", "graph.css", "graph-flow.js", "graph-panel.js", "graph.js")
        )
    except OSError as exc:  # pragma: no cover - a broken installation
        raise KGError(f"the page's files are missing from {_STATIC}: {exc}") from exc
    return page, css, "\n".join(scripts)


@functools.lru_cache(maxsize=1)
def _vis_assets() -> tuple[str, str]:
    """vis-network's JS and CSS from pyvis's package folder, checked to be inlinable."""
    try:
        import pyvis
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise KGError("pyvis is needed for kg viz; install it with pip install 'kg[viz]'") from exc
    folder = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / _VIS
    try:
        js = (folder / "vis-network.min.js").read_text(encoding="utf-8")
        css = (folder / "vis-network.css").read_text(encoding="utf-8")
    except OSError as exc:
        raise KGError(f"vis-network is missing from pyvis ({folder}): {exc}") from exc
    # Drop the source-map comments: nothing in the page may point elsewhere.
    js = re.sub(r"\n?//# sourceMappingURL=\S*\s*$", "\n", js)
    css = re.sub(r"/\*# sourceMappingURL=\S* \*/\s*$", "\n", css)
    if "</script" in js.lower() or "<!--" in js or "</style" in css.lower():
        raise KGError(f"vis-network in {folder} cannot be inlined safely (has a closing tag)")
    return js, css


def _json_for_html(value: Any) -> str:
    """JSON that can sit inside ``<script type="application/json">`` whatever the strings."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def page_layout(vg: VizGraph, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Where and how the page draws each node: ``{id: {x, y, size, font, fill, border}}``.

    The exports use it, so Gephi shows the page's positions (vis-network's y axis points
    down), sizes (radius in px) and colours.
    """
    placed = _place(vg, seed)
    return {
        n.id: {
            "x": placed.x[i],
            "y": placed.y[i],
            "size": placed.size[i],
            "font": placed.font[i],
            "fill": TYPE_STYLES[_type(n.type)]["fill"],
            "border": TYPE_STYLES[_type(n.type)]["border"],
        }
        for i, n in enumerate(placed.nodes)
    }


#: The organisation whose diaspora the page shows first, when the graph has it.
DEFAULT_ORG = "org/baidu"


def _org_index(nodes: Sequence[VizNode], org: str | None) -> int:
    """The index of the organisation *org* (an id, the end of one, or any name), or -1.

    With *org* None, :data:`DEFAULT_ORG` where the graph has it; a named *org* the graph
    does not have is an error naming the nearest organisations.
    """
    wanted = unicodedata.normalize("NFKC", org or DEFAULT_ORG).strip().casefold()
    orgs = [(i, n) for i, n in enumerate(nodes) if n.type == "Organization"]
    for i, n in orgs:
        keys = {n.id, n.id.rsplit("/", 1)[-1], n.label, *n.names}
        if wanted in {unicodedata.normalize("NFKC", k).casefold() for k in keys}:
            return i
    if org is None:
        return -1
    names = sorted({k for _, n in orgs for k in (n.id, n.label)})
    near = difflib.get_close_matches(org, names, n=4, cutoff=0.4)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise KGError(f"--org {org!r}: no organisation of that id or name in the graph{hint}")


def _payload(vg: VizGraph, seed: int, stabilize: int, org: str | None = None) -> dict[str, Any]:
    """The page's data: compact arrays indexed by opaque integer ids."""
    placed = _place(vg, seed)
    nodes, edges, pairs = placed.nodes, placed.edges, placed.pairs
    types = sorted({_type(n.type) for n in nodes}, key=_TYPE_ORDER.index)
    type_ix = {t: i for i, t in enumerate(types)}
    order = list(RELATION_STYLES)
    rels = sorted(
        {e.relation for e in edges}, key=lambda r: (order.index(r) if r in order else len(order), r)
    )
    rel_ix = {r: i for i, r in enumerate(rels)}
    type_counts = Counter(_type(n.type) for n in nodes)
    rel_counts = Counter(e.relation for e in edges)
    cited = sorted({q.source for e in edges for q in e.quotes})
    source_ix = {s: i for i, s in enumerate(cited)}
    sources = []
    for sid in cited:
        src = vg.sources.get(sid, VizSource(sid))
        sources.append([src.title, src.publisher, src.date, src.url])
    small = len(nodes) <= LABEL_LIMIT
    return {
        "seed": seed,
        "stabilize": stabilize,
        "placeLabels": small and not stabilize,
        "org": _org_index(nodes, org),
        "minScale": MIN_SCALE if small else 0,
        "ui": dict(_UI[vg.lang]),
        "options": vis_options(vg, seed, stabilize, types),
        "types": [
            {
                "key": t,
                "name": TYPE_NAMES[t][vg.lang],
                "count": type_counts[t],
                **TYPE_STYLES[t],
            }
            for t in types
        ],
        "relations": [
            {
                "key": r,
                "name": vg.relation_names.get(r, r),
                "count": rel_counts[r],
                "lasting": r in LASTING,
                **relation_style(r),
            }
            for r in rels
        ],
        "sources": sources,
        "notes": list(vg.notes),
        # [type, label, size, x, y, info, names, font]
        "nodes": [
            [
                type_ix[_type(n.type)],
                n.label,
                placed.size[i],
                placed.x[i],
                placed.y[i],
                n.tooltip,
                list(dict.fromkeys((n.label, *n.names))),
                placed.font[i],
            ]
            for i, n in enumerate(nodes)
        ],
        # [from, to, relation, label, tooltip, bend, when, status, quotes, drawn label,
        #  disputed, [start, end, date]]
        "edges": [
            [
                a,
                b,
                rel_ix[e.relation],
                e.label,
                e.tooltip,
                bend,
                e.when,
                e.status,
                [[source_ix[q.source], q.before, q.quote, q.after] for q in e.quotes],
                drawn,
                1 if e.disputed else 0,
                [e.start, e.end, e.date],
            ]
            for (a, b), e, bend, drawn in zip(
                pairs, edges, _bends(pairs, small), placed.drawn, strict=True
            )
        ],
    }


def render_html(
    vg: VizGraph, seed: int = 0, stabilize: int | None = None, org: str | None = None
) -> str:
    """The whole page as one string: offline, deterministic, safe with any text.

    Parameters
    ----------
    vg : VizGraph
        The nodes, edges and texts to show.
    seed : int
        Seeds the layout (:func:`kg.vizlayout.layout`) and vis-network's ``randomSeed``.
    stabilize : int, optional
        vis-network physics iterations to run from the precomputed layout before the page
        freezes it. Default 0: the page draws the layout as computed, the positions the
        exports carry too (physics would move the nodes away from them).
    org : str, optional
        The organisation whose diaspora the page shows first (an id, the end of one, or a
        name; default :data:`DEFAULT_ORG` where the graph has it). ``?org=`` in the page's
        URL picks another.

    Returns
    -------
    str
        The HTML document.
    """
    stabilize = stabilize or 0
    if not vg.nodes:
        stabilize = 0  # vis-network announces no stabilization for an empty network
    if stabilize < 0:
        raise KGError(f"stabilize must be 0 or more iterations, not {stabilize}")
    page, css, page_js = _static()
    vis_js, vis_css = _vis_assets()
    data = _json_for_html(_payload(vg, seed, stabilize, org))
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_csp_hash(vis_js)} {_csp_hash(page_js)}",
            "style-src 'unsafe-inline'",
            "img-src data:",
            "font-src data:",
        ]
    )
    fields = {
        "LANG": html.escape(vg.lang),
        "CSP": html.escape(csp, quote=False),  # no double quote in it
        "TITLE": html.escape(vg.title or _UI[vg.lang]["title"]),
        "SUBTITLE": html.escape(vg.subtitle),
        "FONT": font_face(vg.lang),
        "VIS_CSS": vis_css,
        "PAGE_CSS": css,
        "VIS_JS": vis_js,
        "PAGE_JS": page_js,
        "DATA": data,
    }
    # One pass, so text inserted for one field is never scanned for another.
    return re.sub(r"@@([A-Z_]+)@@", lambda m: fields[m.group(1)], page)


def _atomic_write_text(path: Path, text: str) -> Path:
    if path.is_dir():
        raise KGError(f"{path} is a folder; give the file to write, e.g. {path / 'graph.html'}")
    # Encoded here, explicitly: pyvis's own writer fails on Chinese under non-UTF-8 locales.
    return atomic_write(path, text.encode("utf-8"))


def write_viz_html(
    vg: VizGraph,
    out: str | Path,
    seed: int = 0,
    stabilize: int | None = None,
    org: str | None = None,
) -> Path:
    """Write :func:`render_html` of *vg* to *out* (UTF-8, atomically); return the path."""
    return _atomic_write_text(Path(out), render_html(vg, seed=seed, stabilize=stabilize, org=org))


def write_html(
    graph: Graph | str | Path,
    out: str | Path = "build/graph.html",
    lang: str = "zh-Hans",
    seed: int = 0,
    relations: Path | None = None,
    org: str | None = None,
) -> Path:
    """Write the interactive graph page of a built graph.

    Parameters
    ----------
    graph : rdflib.Graph or path
        The graph, or a file written by ``kg build`` (``build/kg.nt``, ``.ttl``, ``.jsonld``).
    out : path
        The HTML file to write; written to a temporary file and renamed, so a failure
        leaves any earlier file intact.
    lang : {'zh-Hans', 'zh-Hant', 'en'}
        The language of the names drawn (tooltips and search use every language).
    seed : int
        Seeds the layout; the same graph and seed give a byte-identical file.
    relations : path, optional
        The relation vocabulary (default ``data/relations.yaml``).
    org : str, optional
        The organisation whose diaspora the page shows first (default Baidu).

    Returns
    -------
    Path
        *out*.

    Examples
    --------
    >>> from kg.viz.page import write_html
    >>> write_html("build/kg.nt", "build/graph.html", lang="en")  # doctest: +SKIP
    PosixPath('build/graph.html')
    """
    _check_lang(lang)
    if isinstance(graph, str | Path):
        from kg.graph.build import load_graph

        graph = load_graph(Path(graph))
    return write_viz_html(viz_graph(graph, lang, relations), out, seed=seed, org=org)


@functools.lru_cache(maxsize=6)
def _served(graph: Path, stamp: tuple[int, int], lang: str) -> bytes:
    from kg.graph.build import load_graph

    return render_html(viz_graph(load_graph(graph), lang)).encode("utf-8")


def served_page(graph: Path, lang: str) -> bytes:
    """The page of the graph file *graph* in *lang*, made once per file version and language
    (``kg serve`` answers ``/graph?lang=…`` with it)."""
    _check_lang(lang)
    stat = Path(graph).stat()
    return _served(Path(graph).resolve(), (stat.st_mtime_ns, stat.st_size), lang)
