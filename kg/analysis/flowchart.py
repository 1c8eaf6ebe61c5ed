"""The talent-flow chart: where an organisation's people went, and when, one lane per person.

:func:`talent_flow` reads the lanes from a :func:`kg.analysis.report.diaspora_report`:
for each alumnus with at least one dated fact, the time at the organisation (joining to
leaving, as the sources date them), the departure, and what came next (a company founded,
a role taken elsewhere, a move inside the group), each mark with the quotes that state
its date. :func:`draw_talent_flow` draws them with matplotlib for a column about 650 px
wide; :func:`write_talent_flow` writes an SVG (each mark a link to its source, with the
quote as its tooltip) or a PNG.

What the chart says is no more than the facts: a tenure dated at both ends is a bar; with
one end dated it fades out towards the end the sources do not give (no date is made up); a
tenure no source dates is written "dates not given", never drawn. A date given as a year
is drawn across that year. The axis spans only the years the facts span. matplotlib is
imported inside the functions only.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import KGError

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from rdflib import Graph

    from kg.query.store import KGStore

__all__ = [
    "Lane",
    "Mark",
    "draw_talent_flow",
    "render_talent_flow",
    "source_links",
    "talent_flow",
    "write_talent_flow",
]


#: Every word of the chart, in each language.
WORDS: dict[str, dict[str, str]] = {
    "title": {
        "en": "{org} alumni: time at {org}, and what came next",
        "zh-Hans": "{org}前员工:在{org}的时间与去向",
        "zh-Hant": "{org}前員工:在{org}的時間與去向",
    },
    "subtitle": {
        "en": "Dates as the sources give them; in the SVG each mark links to its quote",
        "zh-Hans": "日期以来源所写为准;SVG中每个标记链接到原文",
        "zh-Hant": "日期以來源所寫為準;SVG中每個標記連結到原文",
    },
    "undated": {
        "en": "at {org}: dates not given",
        "zh-Hans": "在{org}时间:未注明",
        "zh-Hant": "在{org}時間:未註明",
    },
    "tenure": {"en": "at {org}", "zh-Hans": "在{org}", "zh-Hant": "在{org}"},
    "fading": {
        "en": "at {org}, one end not dated",
        "zh-Hans": "在{org},一端未注明时间",
        "zh-Hant": "在{org},一端未註明時間",
    },
    "joined": {"en": "joined", "zh-Hans": "加入", "zh-Hant": "加入"},
    "left": {"en": "left {org}", "zh-Hans": "离开{org}", "zh-Hant": "離開{org}"},
    "ended": {
        "en": "end of time at {org}",
        "zh-Hans": "在{org}任职结束",
        "zh-Hant": "在{org}任職結束",
    },
    "founded": {"en": "founded", "zh-Hans": "创立", "zh-Hant": "創立"},
    "moved": {
        "en": "moved inside the group",
        "zh-Hans": "集团内调动",
        "zh-Hant": "集團內調動",
    },
    "role": {"en": "next role", "zh-Hans": "新职务", "zh-Hant": "新職務"},
    "year": {
        "en": "date given as a year: that whole year",
        "zh-Hans": "仅注明年份:横线为整年",
        "zh-Hant": "僅註明年份:橫線為整年",
    },
    "none": {
        "en": "No alumnus of {org} has a dated fact",
        "zh-Hans": "{org}前员工均无注明时间的事实",
        "zh-Hant": "{org}前員工均無註明時間的事實",
    },
    "no_dates": {
        "en": "No source dates anything for: {names}",
        "zh-Hans": "来源未给出任何时间:{names}",
        "zh-Hant": "來源未給出任何時間:{names}",
    },
}


_SEP = {"en": ", ", "zh-Hans": "、", "zh-Hant": "、"}


# Colour and marker of each kind of mark.
_LOOK: dict[str, dict[str, Any]] = {
    "joined": {"marker": "o", "color": "#4c78a8", "size": 6},
    "left": {"marker": "|", "color": "#d62728", "size": 16},
    "ended": {"marker": "|", "color": "#7f7f7f", "size": 16},
    "founded": {"marker": "D", "color": "#6a3d9a", "size": 8},
    "moved": {"marker": "s", "color": "#2ca02c", "size": 8},
    "role": {"marker": "o", "color": "#ff7f0e", "size": 8},
}
_BAR = "#9ecae1"
_FADE = 1.5  # years a bar fades over where one end is not dated (a look, not a date)
_WIDTH = 660  # pixels (1 px = 1 pt in the SVG); a newspaper column
_LANE = 36  # pixels per lane


@dataclass
class Mark:
    """One dated event of a lane: its kind, date as the source gives it, and its quotes."""

    kind: str  #: joined, left, ended, founded, moved or role
    date: str
    label: str  #: the destination's name, shown beside the mark ("" for the tenure's ends)
    description: str  #: one line, in the chart's language
    quotes: list[str] = field(default_factory=list)


@dataclass
class Lane:
    """One alumnus: the time at the organisation and the dated marks."""

    id: str
    name: str
    start: str | None
    end: str | None
    marks: list[Mark]

    @property
    def first(self) -> str:
        """The date the lane is ordered by: its departure, else its first dated mark."""
        return self.end or min(m.date for m in self.marks)


def _key(date: str) -> tuple[int, ...]:
    return tuple(int(p) for p in date.split("-"))


def _period(date: str) -> tuple[float, float]:
    """The span of years a date covers: a year, a month or a day."""
    parts = _key(date)
    if len(parts) == 1:
        return parts[0], parts[0] + 1.0
    start = parts[0] + (parts[1] - 1) / 12
    if len(parts) == 2:
        return start, start + 1 / 12
    start += (parts[2] - 1) / 365
    return start, start + 1 / 365


def _x(date: str) -> float:
    lo, hi = _period(date)
    return (lo + hi) / 2


def talent_flow(report: dict[str, Any]) -> tuple[list[Lane], list[dict[str, str]]]:
    """The lanes of the chart, from a :func:`kg.analysis.report.diaspora_report`.

    Returns the lanes (alumni with at least one dated fact, ordered by when they left,
    else by their first dated mark) and the alumni no source dates anything for.

    A lane's marks: the joining and the departure (where dated; a move to a group company
    ends no membership of the group, so its end is marked as the end of the time at the
    organisation, not as leaving), the founding of each company founded (at the company's
    founding date; where that is not given, at a dated role taken there), a role or a move
    elsewhere dated after the time at the organisation. Each mark has the quotes that write
    its date (from the report's timeline), or else the evidence of the fact.

    Examples
    --------
    >>> from kg.graph.build import build_graph
    >>> from kg.project import project_root
    >>> from kg.data.dataset import load_dataset
    >>> from kg.analysis.report import diaspora_report
    >>> g = build_graph(load_dataset(project_root() / "data"))
    >>> lanes, _ = talent_flow(diaspora_report(g, lang="en"))
    >>> lu = next(lane for lane in lanes if lane.id == "person/lu-qi")
    >>> for m in lu.marks:
    ...     print(m.kind, m.date, m.label or "-")
    joined 2017-01 -
    left 2018-05-18 -
    role 2018-08 Y Combinator China
    """
    lang, org = report["lang"], report["org"]
    rows = report["timeline"]

    def quotes(events: tuple[str, ...], person: str | None, other: str, date: str) -> list[str]:
        found = [
            q
            for r in rows
            if r["event"] in events
            and (person is None or r["subject_id"] == person)
            and r["object_id"] == other
            and r["date"] == date
            for q in r["quotes"]
        ]
        return list(dict.fromkeys(found))

    companies = {c["id"]: c for c in report["companies"]}
    lanes, undated = [], []
    for a in report["alumni"]:
        pid = a["id"]
        marks: list[Mark] = []
        if a["start"]:
            said = quotes(("joined", "moved"), pid, org["id"], a["start"]) or a["evidence"]
            text = f"{a['name']}: {WORDS['joined'][lang]} {org['name']}"
            marks.append(Mark("joined", a["start"], "", text, said))
        if a["end"]:
            kind = "left" if a["left_group"] else "ended"
            said = quotes(("left",), pid, org["id"], a["end"]) or a["evidence"]
            text = f"{a['name']}: {WORDS[kind][lang].format(org=org['name'])}"
            marks.append(Mark(kind, a["end"], "", text, said))
        after = a["end"] or a["start"]
        for w in a["went"]:
            place = w["org"]
            if w["how"] == "founded":
                company = companies.get(place["id"], {})
                date = company.get("founded")
                if date:
                    said = quotes(("founded",), None, place["id"], date) or company["evidence"]
                    text = f"{a['name']}: {WORDS['founded'][lang]} {place['name']}"
                    marks.append(Mark("founded", date, place["name"], text, said))
                    continue
                roles = sorted(
                    (
                        r
                        for r in rows
                        if r["event"] in ("took role", "joined")
                        and r["subject_id"] == pid
                        and r["object_id"] == place["id"]
                    ),
                    key=lambda r: _key(r["date"]),
                )
                if roles:
                    r = roles[0]
                    marks.append(
                        Mark("role", r["date"], place["name"], r["description"], r["quotes"])
                    )
            elif w.get("start") and (
                w["how"] == "moved" or (after and _key(w["start"]) >= _key(after))
            ):
                kind = "moved" if w["how"] == "moved" else "role"
                events = ("moved", "joined", "took role")
                said = quotes(events, pid, place["id"], w["start"]) or w.get("evidence", [])
                text = f"{a['name']}: {WORDS[kind][lang]} {place['name']}"
                marks.append(Mark(kind, w["start"], place["name"], text, said))
        if marks:
            marks.sort(key=lambda m: (_key(m.date), m.kind != "joined"))
            lanes.append(Lane(pid, a["name"], a["start"], a["end"], marks))
        else:
            undated.append({"id": pid, "name": a["name"]})
    lanes.sort(key=lambda lane: (_key(lane.first), lane.id))
    return lanes, undated


def source_links(
    graph: Graph | KGStore, quotes: list[str], lang: str = "zh-Hans"
) -> dict[str, list[tuple[str, str]]]:
    """``{quote: [(source title, source URL), …]}`` for *quotes*: the sources whose spans hold
    each quote (its headline in *lang* where it has one, and its ``schema:url`` or "" where
    the graph has none).

    *graph* is an rdflib graph or an opened store (:func:`kg.query.store.open_store`); only
    the spans of *quotes* are asked for.
    """
    from rdflib import Literal

    from kg.analysis.neighbourhood import _answer

    wanted = sorted(set(quotes))
    found: dict[str, dict[str, str]] = {}  # quote -> work -> url
    titles: dict[str, dict[str, str]] = {}  # work -> language tag -> headline
    for i in range(0, len(wanted), 200):
        values = " ".join(Literal(q).n3() for q in wanted[i : i + 200])
        text = f"""SELECT ?q ?w ?title ?url WHERE {{
  VALUES ?q {{ {values} }}
  ?sel oa:exact ?q . ?span oa:hasSelector ?sel ; oa:hasSource ?w .
  OPTIONAL {{ ?w schema:headline ?title }}
  OPTIONAL {{ ?w schema:url ?url }}
}}"""
        if hasattr(graph, "spec"):
            result = _answer(graph, text)  # type: ignore[arg-type]
        else:
            from kg.analysis.neighbourhood import _PROLOGUE

            result = graph.query(_PROLOGUE + text)
        for row in result:
            q, w, title, url = (None if t is None else str(getattr(t, "value", t)) for t in row)
            if q is None or w is None:
                continue
            tag = str(getattr(row[2], "language", None) or "").lower()
            titles.setdefault(w, {})[tag] = title or ""
            found.setdefault(q, {})[w] = url or found.get(q, {}).get(w) or ""

    def headline(work: str) -> str:
        said = titles.get(work, {})
        for tag in (lang.lower(), "zh-hans", "en", ""):
            if said.get(tag):
                return said[tag]
        return next((t for t in said.values() if t), work.rsplit("/", 1)[-1])

    return {
        q: sorted(((headline(w), u) for w, u in works.items()), key=lambda t: (not t[1], t))
        for q, works in found.items()
    }


def _title(mark: Mark, links: dict[str, list[tuple[str, str]]]) -> str:
    lines = [f"{mark.description} ({mark.date})"]
    for q in mark.quotes:
        where = "; ".join(f"{t} {u}".strip() for t, u in links.get(q, []))
        lines.append(f"“{q}”" + (f" — {where}" if where else ""))
    return "\n".join(lines)


def _url(mark: Mark, links: dict[str, list[tuple[str, str]]]) -> str | None:
    for q in mark.quotes:
        for _, url in links.get(q, []):
            if url.startswith(("http://", "https://")):
                return url
    return None


def draw_talent_flow(
    report: dict[str, Any],
    links: dict[str, list[tuple[str, str]]] | None = None,
) -> Figure:
    """The talent-flow chart of *report* (a :func:`kg.analysis.report.diaspora_report`), in
    the report's language, as a matplotlib Figure about 660 px (= pt) wide.

    *links* (:func:`source_links`) gives each mark its source's URL (an SVG link) and each
    quote its source in the mark's tooltip. Call :func:`kg.analysis.drawing.use_cjk_font`
    first for a Chinese report.
    """
    import textwrap

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    links = links or {}
    lang, org = report["lang"], report["org"]["name"]
    lanes, undated = talent_flow(report)
    n = max(len(lanes), 1)
    notes = []
    if undated:
        names = _SEP[lang].join(a["name"] for a in undated)
        width = 100 if lang == "en" else 56
        notes = textwrap.wrap(WORDS["no_dates"][lang].format(names=names), width)
    top, axis, legend_h = 58, 34, 62
    bottom = axis + legend_h + 16 * len(notes) + 8
    height = top + n * _LANE + bottom
    fig = Figure(figsize=(_WIDTH / 72, height / 72), dpi=72)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.2, bottom / height, 0.6, n * _LANE / height))

    xs = [x for lane in lanes for m in lane.marks for x in _period(m.date)]
    lo, hi = (min(xs) - 0.3, max(xs) + 0.3) if xs else (2000.0, 2001.0)
    seen: set[str] = set()
    labels = []
    for i, lane in enumerate(lanes):
        y = n - 1 - i
        start = _x(lane.start) if lane.start else None
        end = _x(lane.end) if lane.end else None
        if start is not None and end is not None:
            ax.add_patch(Rectangle((start, y - 0.17), end - start, 0.34, color=_BAR, lw=0))
            seen.add("tenure")
        elif start is not None or end is not None:
            steps = 12
            for k in range(steps):
                if start is not None:
                    x0, alpha = start + _FADE * k / steps, 1 - k / steps
                else:
                    assert end is not None
                    x0, alpha = end - _FADE * (k + 1) / steps, 1 - (steps - 1 - k) / steps
                ax.add_patch(
                    Rectangle((x0, y - 0.17), _FADE / steps, 0.34, color=_BAR, lw=0, alpha=alpha)
                )
            seen.add("fading")
        name_at = 5 if lane.start is None and lane.end is None else 0
        ax.annotate(
            lane.name,
            (0, y),
            xycoords=("axes fraction", "data"),
            xytext=(-8, name_at),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=11,
            gid=f"flow-lane-{i}",
        )
        if name_at:
            ax.annotate(
                WORDS["undated"][lang].format(org=org),
                (0, y),
                xycoords=("axes fraction", "data"),
                xytext=(-8, -8),
                textcoords="offset points",
                ha="right",
                va="center",
                fontsize=10,
                color="#666666",
                gid=f"flow-undated-{i}",
            )
        places = [m for m in lane.marks if m.label]
        leave = end if end is not None else None
        for m in places:
            if leave is not None and _x(m.date) > leave:
                ax.plot([leave, _x(m.date)], [y, y], color="#888888", lw=1, ls=(0, (3, 2)))
        for j, m in enumerate(lane.marks):
            look = _LOOK[m.kind]
            seen.add(m.kind)
            x = _x(m.date)
            p0, p1 = _period(m.date)
            if p1 - p0 >= 1:  # a year only: the whole year it may be in
                ax.plot([p0, p1], [y, y], color=look["color"], lw=1.2, alpha=0.7)
                seen.add("year")
            (line,) = ax.plot(
                [x],
                [y],
                marker=look["marker"],
                markersize=look["size"],
                color=look["color"],
                markeredgewidth=2.5 if look["marker"] == "|" else 1,
                linestyle="none",
            )
            line.set_gid(f"flow-mark-{i}-{j}")
            url = _url(m, links)
            if url:
                line.set_url(url)
            if m.label:
                k = places.index(m)
                dy = 0 if len(places) == 1 else (7 if k % 2 == 0 else -7)
                labels.append(
                    ax.annotate(
                        f"{m.label} {m.date}",
                        (max(x, p1 if p1 - p0 >= 1 and not dy else x), y),
                        xytext=(7, dy),
                        textcoords="offset points",
                        ha="left",
                        va="center",
                        fontsize=10,
                        color=look["color"],
                        annotation_clip=False,
                    )
                )
    if not lanes:  # no axis for no dates
        ax.set_axis_off()
        ax.text(0.5, 0.5, WORDS["none"][lang].format(org=org), ha="center", fontsize=11)
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_yticks([])
    years = list(range(int(lo) + 1, int(hi) + 1))
    step = 1 if len(years) <= 8 else 2
    ax.set_xticks([y for y in years if y % step == 0])
    ax.set_xticks(years, minor=True)
    ax.tick_params(axis="x", labelsize=10)
    ax.grid(axis="x", which="both", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    fig.text(
        8 / _WIDTH,
        1 - 8 / height,
        WORDS["title"][lang].format(org=org),
        fontsize=14,
        fontweight="bold",
        va="top",
    )
    fig.text(
        8 / _WIDTH, 1 - 30 / height, WORDS["subtitle"][lang], fontsize=10, va="top", color="#555555"
    )
    handles: list[Any] = []
    for key in ("tenure", "fading"):
        if key in seen:
            handles.append(
                Patch(
                    color=_BAR,
                    alpha=1 if key == "tenure" else 0.45,
                    label=WORDS[key][lang].format(org=org),
                )
            )
    for kind in ("joined", "left", "ended", "founded", "role", "moved"):
        if kind in seen:
            look = _LOOK[kind]
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=look["marker"],
                    color=look["color"],
                    linestyle="none",
                    markersize=min(look["size"], 10),
                    markeredgewidth=2 if kind in ("left", "ended") else 1,
                    label=WORDS[kind][lang].format(org=org),
                )
            )
    if "year" in seen:
        handles.append(Line2D([], [], color="#555555", lw=1.2, label=WORDS["year"][lang]))
    fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(4 / _WIDTH, (16 * len(notes) + 6) / height),
        ncol=3,
        fontsize=10,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.2,
    )
    for k, note in enumerate(notes):
        fig.text(
            8 / _WIDTH,
            (4 + 16 * (len(notes) - 1 - k)) / height,
            note,
            fontsize=10,
            color="#555555",
            va="bottom",
        )
    _fit(fig, ax, labels, height)
    return fig


def _fit(fig: Figure, ax: Any, labels: list[Any], height: float) -> None:
    """Widen the left margin to the names and narrow the plot until the labels fit."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    names = [t for t in ax.texts if t not in labels]
    left = max((t.get_window_extent(renderer).width for t in names), default=60) + 16
    box = ax.get_position()
    right = _WIDTH - 8
    for _ in range(4):
        ax.set_position((left / _WIDTH, box.y0, (right - left) / _WIDTH, box.height))
        over = max((t.get_window_extent(renderer).x1 for t in labels), default=0) - (_WIDTH - 6)
        if over <= 0.5:
            break
        right -= over


#: The files :func:`write_talent_flow` writes, by extension.
FORMATS = (".svg", ".png")


def check_chart_path(path: Path) -> None:
    """Raise KGError unless *path* names an SVG or PNG file in an existing folder."""
    if path.suffix.lower() not in FORMATS:
        raise KGError(
            f"--chart {path}: give a file ending in .svg or .png "
            + (f"(not {path.suffix!r})" if path.suffix else "(it has no extension)")
        )
    if path.is_dir():
        raise KGError(f"--chart {path}: is a folder; give a file ending in .svg or .png")
    if not path.parent.is_dir():
        raise KGError(f"--chart {path}: the folder {path.parent} does not exist")


def render_talent_flow(
    report: dict[str, Any], fmt: str = "svg", links: dict[str, list[tuple[str, str]]] | None = None
) -> bytes:
    """The chart of *report* as an SVG or PNG file's bytes (*fmt* ``"svg"`` or ``"png"``).

    In the SVG the text stays text (in the report's language), each mark is a link to the
    source of its first quote that has a URL, and its tooltip (``<title>``) says what it is
    and gives every quote with its source; the drawing is 660 px wide. The PNG has twice
    the pixels.
    """
    import matplotlib as mpl

    if fmt not in ("svg", "png"):
        raise KGError(f"a chart is svg or png, not {fmt!r}")
    links = links or {}
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kg-flow"}):
        fig = draw_talent_flow(report, links)
        buffer = io.BytesIO()
        meta = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buffer, format=fmt, dpi=72 if fmt == "svg" else 144, metadata=meta)
    data = buffer.getvalue()
    if fmt == "png":
        return data
    text = data.decode("utf-8")
    # matplotlib sizes the drawing in pt (a browser shows 660pt as 880 px): in px, so that
    # the chart is a column wide and its text 10 px and more at that width.
    text = re.sub(
        r'(<svg\b[^>]*?)\bwidth="([\d.]+)pt" height="([\d.]+)pt"',
        r'\1width="\2" height="\3"',
        text,
        count=1,
    )
    lanes, _ = talent_flow(report)
    for i, lane in enumerate(lanes):
        for j, mark in enumerate(lane.marks):
            title = html.escape(_title(mark, links), quote=False)
            opening = re.search(rf'<g id="flow-mark-{i}-{j}"[^>]*>', text)
            if opening:
                at = opening.end()
                text = f"{text[:at]}\n   <title>{title}</title>{text[at:]}"
    return text.encode("utf-8")


def write_talent_flow(
    report: dict[str, Any], path: Path, links: dict[str, list[tuple[str, str]]] | None = None
) -> int:
    """Write the chart of *report* to *path* (.svg or .png, :func:`render_talent_flow`);
    return the number of lanes."""
    check_chart_path(path)
    data = render_talent_flow(report, path.suffix.lower()[1:], links)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise KGError(f"--chart {path}: cannot write it ({exc.strerror or exc})") from None
    return len(talent_flow(report)[0])
