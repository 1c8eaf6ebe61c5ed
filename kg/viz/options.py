"""Viz: the vis-network options of the graph page (fonts, groups, physics, interaction)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kg.viz.layout import EDGE_FONT, LABEL_LIMIT
from kg.viz.model import TYPE_STYLES, VizGraph

#: Up to this many nodes the page keeps labels apart and starts zoomed in to read them;
#: larger graphs are drawn as laid out, labels appearing as one zooms in.
STABILIZE_LIMIT = LABEL_LIMIT
_FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", ' + (
    '"Microsoft YaHei", "Noto Sans CJK TC", "Noto Sans", sans-serif'
)
_FONT_HANT = (
    _FONT.replace("CJK SC", "CJK TC")
    .replace("Sans SC", "Sans TC")
    .replace("PingFang SC", "PingFang TC")
)


def font_face(lang: str) -> str:
    """The CSS font stack of the page's labels in *lang*."""
    return _FONT_HANT if lang == "zh-Hant" else _FONT


def vis_options(
    vg: VizGraph, seed: int, stabilize: int, type_keys: Sequence[str]
) -> dict[str, Any]:
    big = stabilize == 0 and len(vg.nodes) > STABILIZE_LIMIT
    face = font_face(vg.lang)
    groups = {}
    for key in type_keys:
        style = TYPE_STYLES[key]
        colour = {"background": style["fill"], "border": style["border"]}
        groups[key] = {
            "shape": style["shape"],
            "color": {
                **colour,
                "highlight": {"background": "#FFE066", "border": "#C9302C"},
                "hover": {"background": style["fill"], "border": "#222222"},
            },
        }
    physics: dict[str, Any] = {"enabled": False}
    if stabilize:
        physics = {
            "enabled": True,
            "solver": "barnesHut",
            "barnesHut": {
                "gravitationalConstant": -3500,
                "centralGravity": 0.5,
                "springLength": 95,
                "springConstant": 0.04,
                "damping": 0.5,
                "avoidOverlap": 0.9,
            },
            "stabilization": {
                "enabled": True,
                "iterations": stabilize,
                "updateInterval": 50,
                "fit": True,
            },
        }
    return {
        "autoResize": True,
        "layout": {"randomSeed": seed, "improvedLayout": False},
        "physics": physics,
        "groups": groups,
        "nodes": {
            "borderWidth": 1.5,
            "borderWidthSelected": 3,
            "chosen": {"node": True, "label": False},
            "font": {
                "face": face,
                "size": 14,
                "color": "#1A1A1A",
                "strokeWidth": 4,
                "strokeColor": "#FFFFFF",
            },
            # Sizes and label fonts come per node from kg.viz.layout (as in the exports).
            "scaling": {"label": {"drawThreshold": 6}},
        },
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.55}},
            "arrowStrikethrough": True,  # so a label sits at the middle between the centres
            "font": {
                "face": face,
                "size": EDGE_FONT,
                "color": "#4A4A4A",
                "strokeWidth": 3,
                "strokeColor": "#FFFFFF",
                "align": "horizontal",
            },
            # Straight lines, so they stay where the layout (and the exports) put them and
            # each label sits at the middle of its edge, where kg.viz.layout kept room for it
            # (edges between the same two nodes are drawn as one, see _drawn_labels).
            "smooth": False,
            "selectionWidth": 1.5,
            "chosen": {"edge": True, "label": False},  # a bold label would grow into others
            "hoverWidth": 0.8,
        },
        "interaction": {
            "hover": not big,
            "tooltipDelay": 120,
            "hideEdgesOnDrag": big,
            "hideEdgesOnZoom": big,
            "navigationButtons": False,
            "keyboard": False,
            "multiselect": False,
        },
    }
