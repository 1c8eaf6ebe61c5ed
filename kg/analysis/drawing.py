"""Drawing with matplotlib: the diaspora tree and the talent-flow chart, with legends in each
language.

The only module of kg that imports matplotlib, inside the functions only.
:func:`use_cjk_font` sets a CJK font (or falls back to English labels),
:func:`draw_diaspora_tree` draws :func:`kg.analysis.diaspora.diaspora_tree` in
layers, and :func:`draw_talent_flow` the lanes of :func:`kg.analysis.flowchart.talent_flow`
(one per person: the time at the organisation, the departure, what came next), which
replaced the plot of the timeline one row per event; :func:`chart_bytes` writes a figure as
SVG or PNG.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from kg.analysis.measures import label

if TYPE_CHECKING:
    import networkx as nx
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "FLOW_WORDS",
    "chart_bytes",
    "date_period",
    "draw_diaspora_tree",
    "draw_talent_flow",
    "use_cjk_font",
]


_CJK_FAMILIES = {
    "zh-Hans": ["Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP"],
    "zh-Hant": ["Noto Sans CJK TC", "Noto Sans CJK SC", "Noto Sans CJK JP"],
}


def use_cjk_font(lang: str = "zh-Hans") -> str:
    """Make matplotlib draw Chinese with a CJK font; return the language to label in.

    Looks for Noto Sans CJK (Debian: ``apt install fonts-noto-cjk``) and sets
    it first in ``font.sans-serif``. If no CJK font is found the labels would
    be drawn as boxes, so it warns and returns ``"en"``: label in English.

    Examples
    --------
    >>> use_cjk_font("en")
    'en'
    """
    if lang == "en":
        return "en"
    import matplotlib as mpl
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names & set(_CJK_FAMILIES[lang]):
        for path in font_manager.findSystemFonts():
            if "CJK" in path and path.endswith((".ttc", ".otf", ".ttf")):
                font_manager.fontManager.addfont(path)
        names = {f.name for f in font_manager.fontManager.ttflist}
    for family in _CJK_FAMILIES[lang]:
        if family in names:
            mpl.rcParams["font.sans-serif"] = [family, *mpl.rcParams["font.sans-serif"]]
            mpl.rcParams["font.family"] = "sans-serif"
            mpl.rcParams["axes.unicode_minus"] = False
            return lang
    warnings.warn(
        "no CJK font found (install fonts-noto-cjk); labelling plots in English",
        stacklevel=2,
    )
    return "en"


_TREE_WORDS = {
    "founded": {"en": "founded", "zh-Hans": "创立", "zh-Hant": "創立"},
    "moved": {
        "en": "moved inside the group",
        "zh-Hans": "集团内调动",
        "zh-Hant": "集團內調動",
    },
    "joined": {"en": "worked at", "zh-Hans": "任职", "zh-Hant": "任職"},
    "subsidiary": {"en": "part of the group", "zh-Hans": "旗下公司", "zh-Hant": "旗下公司"},
    "listed": {"en": "listed on", "zh-Hans": "上市地", "zh-Hant": "上市地"},
    "org": {"en": "the organisation", "zh-Hans": "本公司", "zh-Hant": "本公司"},
    "left": {"en": "alumnus who left", "zh-Hans": "已离开的前员工", "zh-Hant": "已離開的前員工"},
    "stayed": {
        "en": "alumnus still in the group",
        "zh-Hans": "仍在集团内的前员工",
        "zh-Hant": "仍在集團內的前員工",
    },
    "rival": {"en": "rival company", "zh-Hans": "竞争对手", "zh-Hant": "競爭對手"},
    "company": {"en": "other company", "zh-Hans": "其他公司", "zh-Hant": "其他公司"},
    "group": {"en": "group company", "zh-Hans": "集团公司", "zh-Hant": "集團公司"},
    "market": {"en": "stock market", "zh-Hans": "证券市场", "zh-Hant": "證券市場"},
}


_TREE_FILL = {
    "org": "#9ecae1",
    "left": "#deebf7",
    "stayed": "#c7e9c0",
    "rival": "#fcbba1",
    "company": "#fee6ce",
    "group": "#a1d99b",
    "market": "#eeeeee",
}


def _tree_kind(data: dict[str, Any]) -> str:
    if data["layer"] == 0:
        return "org"
    if data.get("type") == "Person":
        return "left" if data.get("left_group", True) else "stayed"
    if data.get("type") == "StockMarket":
        return "market"
    if data.get("in_group"):
        return "group"
    return "rival" if data.get("rival") else "company"


def draw_diaspora_tree(
    tree: nx.DiGraph, ax: Axes | None = None, lang: str = "zh-Hans", *, legend: bool = True
) -> Axes:
    """Draw :func:`diaspora_tree` in layers, left to right, labels in *lang*.

    Each entity is a box coloured by what it is (the organisation, alumni who
    left, alumni still in the group, rivals, group companies, stock markets);
    founding edges are solid black, moves inside the group solid green, other
    work dashed, listings dotted, and the organisation's own group companies
    hang from it by a dotted line. The legend says all of this in *lang*. Call
    :func:`use_cjk_font` first for Chinese labels.
    """
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 7))
    layers: dict[int, list[str]] = {}
    for n, layer in tree.nodes(data="layer"):
        layers.setdefault(layer, []).append(n)
    pos: dict[str, tuple[float, float]] = {}

    def order(n: str) -> tuple[Any, ...]:
        """Alumni grouped by what they went to; later layers under their parents."""
        if tree.nodes[n]["layer"] == 1:
            went = sorted(tree.successors(n))
            return (0 if went else 1, went, n)
        ys = [pos[p][1] for p in tree.predecessors(n) if p in pos and pos[p][0] > 0]
        return (-sum(ys) / len(ys) if ys else 0.0, n)

    for layer in sorted(layers):
        members = sorted(layers[layer], key=order)
        for i, n in enumerate(members):
            pos[n] = (layer * 1.0, (len(members) - 1) / 2 - i)

    def style(u: str, v: str, r: str) -> str:
        if r == "founder":
            return "founded"
        if r == "listedOn":
            return "listed"
        if r in ("subsidiary", "parent"):
            return "subsidiary"
        if tree.nodes[u]["layer"] == 0:
            return "tenure"
        return "moved" if tree.edges[u, v].get("inside_group") else "joined"

    looks: dict[str, dict[str, Any]] = {
        "founded": {"edge_color": "black", "width": 1.8},
        "moved": {"edge_color": "#31a354", "width": 2.2},
        "joined": {"edge_color": "#555555", "style": "dashed", "alpha": 0.7},
        "tenure": {"edge_color": "#999999", "alpha": 0.5},
        "listed": {"edge_color": "#777777", "style": "dotted"},
        "subsidiary": {"edge_color": "#31a354", "style": "dotted", "width": 1.5},
    }
    size = 2200  # invisible nodes: the arrows stop short of the labels' boxes
    for kind, look in looks.items():
        edges = [(u, v) for u, v, r in tree.edges(data="relation") if style(u, v, r) == kind]
        if edges:
            nx.draw_networkx_edges(
                tree, pos, edgelist=edges, ax=ax, arrows=True, node_size=size, **look
            )
    kinds = {n: _tree_kind(data) for n, data in tree.nodes(data=True)}
    for n, (x, y) in pos.items():
        ax.text(
            x,
            y,
            label(tree, n, lang),
            ha="center",
            va="center",
            fontsize=9,
            bbox={
                "boxstyle": "round,pad=0.35",
                "facecolor": _TREE_FILL[kinds[n]],
                "edgecolor": "#777777",
            },
        )
    if legend:
        words = {k: v[lang] for k, v in _TREE_WORDS.items()}
        handles: list[Any] = [
            Patch(facecolor=_TREE_FILL[k], edgecolor="#777777", label=words[k])
            for k in _TREE_FILL
            if k in kinds.values()
        ]
        for kind in ("founded", "moved", "joined", "subsidiary", "listed"):
            if any(style(u, v, r) == kind for u, v, r in tree.edges(data="relation")):
                look = looks[kind]
                handles.append(
                    Line2D(
                        [],
                        [],
                        color=look["edge_color"],
                        linestyle=look.get("style", "solid"),
                        linewidth=look.get("width", 1.0),
                        label=words[kind],
                    )
                )
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.set_axis_off()
    ys = [y for _, y in pos.values()]
    ax.set_xlim(-0.5, max(layers) + 0.5)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    return ax


#: Every word of the talent-flow chart, in each language.
FLOW_WORDS: dict[str, dict[str, str]] = {
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


_FLOW_SEP = {"en": ", ", "zh-Hans": "、", "zh-Hant": "、"}


# Colour and marker of each kind of mark.
_FLOW_LOOK: dict[str, dict[str, Any]] = {
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


def date_key(date: str) -> tuple[int, ...]:
    return tuple(int(p) for p in date.split("-"))


def date_period(date: str) -> tuple[float, float]:
    """The span of years a date covers: a year, a month or a day."""
    parts = date_key(date)
    if len(parts) == 1:
        return parts[0], parts[0] + 1.0
    start = parts[0] + (parts[1] - 1) / 12
    if len(parts) == 2:
        return start, start + 1 / 12
    start += (parts[2] - 1) / 365
    return start, start + 1 / 365


def date_x(date: str) -> float:
    lo, hi = date_period(date)
    return (lo + hi) / 2


def draw_talent_flow(
    lanes: list[Any],
    undated: list[dict[str, str]],
    *,
    lang: str,
    org: str,
    urls: dict[tuple[int, int], str] | None = None,
) -> Figure:
    """The talent-flow chart of *lanes* (:func:`kg.analysis.flowchart.talent_flow`), labels
    in *lang*, as a matplotlib Figure 660 pt wide (660 px in the SVG).

    *org* is the organisation's name; *undated* the alumni with no dated fact (named under
    the chart); *urls* the link of mark *j* of lane *i*, ``{(i, j): url}``. Each mark is
    drawn with the gid ``flow-mark-i-j``, each lane's name ``flow-lane-i`` and its
    "dates not given" ``flow-undated-i``. Call :func:`use_cjk_font` first for Chinese.
    """
    import textwrap

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    urls = urls or {}
    n = max(len(lanes), 1)
    notes = []
    if undated:
        names = _FLOW_SEP[lang].join(a["name"] for a in undated)
        width = 100 if lang == "en" else 56
        notes = textwrap.wrap(FLOW_WORDS["no_dates"][lang].format(names=names), width)
    top, axis, legend_h = 58, 34, 62
    bottom = axis + legend_h + 16 * len(notes) + 8
    height = top + n * _LANE + bottom
    fig = Figure(figsize=(_WIDTH / 72, height / 72), dpi=72)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.2, bottom / height, 0.6, n * _LANE / height))

    xs = [x for lane in lanes for m in lane.marks for x in date_period(m.date)]
    lo, hi = (min(xs) - 0.3, max(xs) + 0.3) if xs else (2000.0, 2001.0)
    seen: set[str] = set()
    labels = []
    for i, lane in enumerate(lanes):
        y = n - 1 - i
        start = date_x(lane.start) if lane.start else None
        end = date_x(lane.end) if lane.end else None
        if start is not None and end is not None:
            ax.add_patch(Rectangle((start, y - 0.17), end - start, 0.34, color=_BAR, lw=0))
            seen.add("tenure")
        elif start is not None or end is not None:
            # solid at the dated end, fading to nothing away from it: no edge where the
            # sources give no date
            steps = 12
            for k in range(steps):
                if start is not None:
                    x0 = start + _FADE * k / steps
                else:
                    assert end is not None
                    x0 = end - _FADE * (k + 1) / steps
                ax.add_patch(
                    Rectangle(
                        (x0, y - 0.17), _FADE / steps, 0.34, color=_BAR, lw=0, alpha=1 - k / steps
                    )
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
                FLOW_WORDS["undated"][lang].format(org=org),
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
            if leave is not None and date_x(m.date) > leave:
                ax.plot([leave, date_x(m.date)], [y, y], color="#888888", lw=1, ls=(0, (3, 2)))
        for j, m in enumerate(lane.marks):
            look = _FLOW_LOOK[m.kind]
            seen.add(m.kind)
            x = date_x(m.date)
            p0, p1 = date_period(m.date)
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
            url = urls.get((i, j))
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
        ax.text(0.5, 0.5, FLOW_WORDS["none"][lang].format(org=org), ha="center", fontsize=11)
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
        FLOW_WORDS["title"][lang].format(org=org),
        fontsize=14,
        fontweight="bold",
        va="top",
    )
    fig.text(
        8 / _WIDTH,
        1 - 30 / height,
        FLOW_WORDS["subtitle"][lang],
        fontsize=10,
        va="top",
        color="#555555",
    )
    handles: list[Any] = []
    for key in ("tenure", "fading"):
        if key in seen:
            handles.append(
                Patch(
                    color=_BAR,
                    alpha=1 if key == "tenure" else 0.45,
                    label=FLOW_WORDS[key][lang].format(org=org),
                )
            )
    for kind in ("joined", "left", "ended", "founded", "role", "moved"):
        if kind in seen:
            look = _FLOW_LOOK[kind]
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=look["marker"],
                    color=look["color"],
                    linestyle="none",
                    markersize=min(look["size"], 10),
                    markeredgewidth=2 if kind in ("left", "ended") else 1,
                    label=FLOW_WORDS[kind][lang].format(org=org),
                )
            )
    if "year" in seen:
        handles.append(Line2D([], [], color="#555555", lw=1.2, label=FLOW_WORDS["year"][lang]))
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


def chart_bytes(fig: Figure, fmt: str) -> bytes:
    """*fig* as an SVG (text kept as text, sized in pt as matplotlib does) or a PNG (at
    twice the pixels of its 72-dpi size)."""
    import io

    import matplotlib as mpl

    buffer = io.BytesIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kg-flow"}):
        meta = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buffer, format=fmt, dpi=72 if fmt == "svg" else 144, metadata=meta)
    return buffer.getvalue()
