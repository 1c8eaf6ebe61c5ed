"""Viz: the page's nodes and edges in drawing order, placed by :func:`kg.viz.layout.layout`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kg.errors import DataError
from kg.viz.layout import layout
from kg.viz.model import VizEdge, VizGraph, VizNode, _check_lang


@dataclass(frozen=True)
class _Placed:
    """The page's nodes and edges in drawing order, with the layout of the nodes."""

    nodes: list[VizNode]
    edges: list[VizEdge]
    pairs: list[tuple[int, int]]
    x: list[int]
    y: list[int]
    size: list[float]
    font: list[int]
    drawn: list[str]


def _place(vg: VizGraph, seed: int) -> _Placed:
    _check_lang(vg.lang)
    nodes = sorted(vg.nodes, key=lambda n: n.id)
    index: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node.id in index:
            raise DataError(f"two nodes have the id {node.id!r}; node ids must be unique")
        index[node.id] = i
    edges = sorted(vg.edges, key=lambda e: (e.source, e.target, e.relation, e.label, e.tooltip))
    pairs = []
    for edge in edges:
        for end in (edge.source, edge.target):
            if end not in index:
                raise DataError(
                    f"edge {edge.source!r} -[{edge.relation}]-> {edge.target!r} "
                    f"names an unknown node {end!r}; add the node or drop the edge"
                )
        pairs.append((index[edge.source], index[edge.target]))
    drawn = _drawn_labels(pairs, [e.label for e in edges])
    ends = [(pairs[i][0], pairs[i][1], text) for i, text in enumerate(drawn) if text]
    placed = layout(len(nodes), pairs, [n.label for n in nodes], seed, ends)
    return _Placed(nodes, edges, pairs, placed.x, placed.y, placed.size, placed.font, drawn)


def _drawn_labels(pairs: Sequence[tuple[int, int]], labels: Sequence[str]) -> list[str]:
    """The label drawn on each edge: edges between the same two nodes share one.

    The first edge of a pair carries the pair's relation names, one line each (a name twice
    only once); the others are drawn without a label.
    """
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (a, b) in enumerate(pairs):
        groups.setdefault((min(a, b), max(a, b)), []).append(i)
    drawn = [""] * len(pairs)
    for members in groups.values():
        names = [labels[i] for i in members if labels[i]]
        drawn[members[0]] = "\n".join(dict.fromkeys(names))
    return drawn


def _bends(pairs: Sequence[tuple[int, int]], merged: bool = False) -> list[float]:
    """How much to curve each edge so that edges between the same two nodes fan out.

    A lone edge gets 0 (drawn with the default smoothing); the k-th of m parallel edges gets
    a signed roundness, its sign taken relative to the pair's own orientation so that
    A -> B and B -> A bend to different sides. With *merged* (the small graphs, where the
    edges of a pair share one label, see :func:`_drawn_labels`) every edge is straight, so
    a pair is drawn as one line with one label.
    """
    if merged:
        return [0.0] * len(pairs)
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (a, b) in enumerate(pairs):
        groups.setdefault((min(a, b), max(a, b)), []).append(i)
    bends = [0.0] * len(pairs)
    for (low, _), members in groups.items():
        if len(members) < 2:
            continue
        for k, i in enumerate(members):
            bend = round(0.22 * (k - (len(members) - 1) / 2), 3)
            bends[i] = bend if pairs[i][0] == low else -bend
    return bends
