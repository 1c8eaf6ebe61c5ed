"""Drawing with matplotlib: the diaspora tree and the timeline, with legends in each language.

The only module of kg that imports matplotlib, inside the functions only.
:func:`use_cjk_font` sets a CJK font (or falls back to English labels),
:func:`draw_diaspora_tree` draws :func:`kg.analysis.diaspora.diaspora_tree` in
layers, and :func:`plot_timeline` draws a :func:`kg.analysis.timeline.timeline`
table one labelled row per event.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from kg.analysis.measures import label

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["draw_diaspora_tree", "plot_timeline", "use_cjk_font"]


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


def _decimal_year(date: str) -> float:
    from kg.analysis.facts import _date_key

    year, month, day = _date_key(date)
    return year + ((month - 1) / 12 if month else 0) + ((day - 1) / 365 if day else 0)


# Colour and legend words of each kind of event in :func:`plot_timeline`.
_EVENT_KINDS = {
    "arrival": (
        "tab:green",
        {
            "en": "joined, moved or took a role",
            "zh-Hans": "加入、调动或出任",
            "zh-Hant": "加入、調動或出任",
        },
    ),
    "departure": (
        "tab:red",
        {"en": "left or stepped down", "zh-Hans": "离开或卸任", "zh-Hant": "離開或卸任"},
    ),
    "company": (
        "tab:purple",
        {
            "en": "founded, spun off, renamed",
            "zh-Hans": "创立、独立、更名",
            "zh-Hant": "創立、獨立、更名",
        },
    ),
    "listing": ("tab:orange", {"en": "listing", "zh-Hans": "上市", "zh-Hant": "上市"}),
    "product": ("tab:blue", {"en": "product launch", "zh-Hans": "产品推出", "zh-Hant": "產品推出"}),
    "customer": ("tab:cyan", {"en": "customer", "zh-Hans": "客户", "zh-Hant": "客戶"}),
    "milestone": ("black", {"en": "milestone", "zh-Hans": "大事", "zh-Hant": "大事"}),
    "figure": ("tab:gray", {"en": "figure", "zh-Hans": "数据", "zh-Hant": "數據"}),
}


_EVENT_KIND = {
    "joined": "arrival",
    "moved": "arrival",
    "took role": "arrival",
    "recruited": "arrival",
    "left": "departure",
    "stepped down": "departure",
    "founded": "company",
    "independent": "company",
    "renamed": "company",
    "listing": "listing",
    "listed": "listing",
    "launched": "product",
    "planned launch": "product",
    "customer": "customer",
    "milestone": "milestone",
    "figure": "figure",
    "forecast": "figure",
}


_MARKS = {
    "event": {"en": "event", "zh-Hans": "事件", "zh-Hant": "事件"},
    "figure": {"en": "figure (square)", "zh-Hans": "数据(方块)", "zh-Hant": "數據(方塊)"},
    "hollow": {
        "en": "forecast or plan (hollow)",
        "zh-Hans": "预测或计划(空心)",
        "zh-Hant": "預測或計劃(空心)",
    },
    "span": {"en": "over a period (bar)", "zh-Hans": "时段(横条)", "zh-Hant": "時段(橫條)"},
}


def plot_timeline(
    frame: pd.DataFrame,
    ax: Axes | None = None,
    *,
    max_label: int = 48,
    lang: str = "en",
    legend: bool = True,
) -> Axes:
    """Draw a timeline table (from :func:`kg.timeline.timeline`) as one labelled row per event.

    Events are stacked top to bottom in date order, so labels never overlap;
    the colour says the kind of event, figures are squares, forecasts and plans
    hollow, figures over a period bars. The legend says so in *lang* (the
    language of the table). Set a CJK font first (:func:`use_cjk_font`) when
    the labels are Chinese.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if ax is None:
        _, ax = plt.subplots(figsize=(10, max(3.0, 0.28 * len(frame) + 1)))
    n = len(frame)
    seen: set[str] = set()
    for i, row in enumerate(frame.itertuples(index=False)):
        y = n - i
        x = _decimal_year(row.date)
        kind = _EVENT_KIND.get(row.event, "milestone")
        seen.add(kind)
        color = _EVENT_KINDS[kind][0]
        hollow = row.event == "forecast" or row.status == "planned"
        if row.end:
            ax.plot([x, _decimal_year(row.end) + 1], [y, y], color=color, linewidth=4, alpha=0.5)
        ax.plot(
            [x],
            [y],
            marker="s" if row.event in ("figure", "forecast") else "o",
            markersize=7,
            markerfacecolor="white" if hollow else color,
            markeredgecolor=color,
            linestyle="none",
        )
        text = (
            row.description
            if len(row.description) <= max_label
            else row.description[: max_label - 1] + "…"
        )
        when = f"{row.date}–{row.end}" if row.end else row.date
        ax.annotate(
            f"{when}  {text}",
            (_decimal_year(row.end) + 1 if row.end else x, y),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    if n:
        lo, hi = int(frame.year.min()), int(frame.year.max())
        ax.set_xlim(lo - 0.5, hi + 4.5)  # room on the right for the labels
        ax.set_xticks(range(lo, hi + 1))
    ax.set_ylim(0.3, n + 0.7)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", alpha=0.3)
    if legend and n:
        handles: list[Any] = [
            Line2D([], [], marker="o", linestyle="none", color=color, label=words[lang])
            for kind, (color, words) in _EVENT_KINDS.items()
            if kind in seen and kind != "figure"  # figures: the grey square below
        ]
        grey = "#555555"
        handles += [
            Line2D([], [], marker="s", linestyle="none", color=grey, label=_MARKS["figure"][lang]),
            Line2D(
                [],
                [],
                marker="o",
                linestyle="none",
                markerfacecolor="white",
                markeredgecolor=grey,
                label=_MARKS["hollow"][lang],
            ),
            Line2D([], [], color=grey, linewidth=4, alpha=0.5, label=_MARKS["span"][lang]),
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return ax
