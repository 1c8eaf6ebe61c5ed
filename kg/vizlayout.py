"""Where the graph page puts each node and how big it draws it, computed once in Python.

:func:`layout` is shared by the page (:mod:`kg.viz`) and the Gephi and Cytoscape exports
(:mod:`kg.export`), so a graph opened in Gephi has the positions, sizes and colours of the
page. The steps:

1. a seeded Fruchterman–Reingold layout (igraph; the grid variant above
   :data:`LABEL_LIMIT` nodes, near-linear at 20,000 nodes), scaled so a typical edge is
   about 110 px;
2. node sizes and label fonts from the degree (square root, so hubs do not swamp the page);
3. up to :data:`LABEL_LIMIT` nodes, the node boxes (shape and the label under it, its width
   estimated from the characters) are pushed apart until no two overlap, so every node label
   can be read at the page's starting zoom.

Coordinates are rounded to whole pixels, so the same graph and seed give the same numbers.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from kg.errors import KGError

__all__ = ["LABEL_LIMIT", "Layout", "layout", "node_size", "text_width"]

#: Up to this many nodes the layout keeps node labels apart (pairwise, so bounded).
LABEL_LIMIT = 500
#: Node radius in px from the smallest to the largest degree.
SIZE_RANGE = (9.0, 30.0)
#: Node label font in px from the smallest to the largest degree.
FONT_RANGE = (14, 22)
#: Room kept between two node boxes, in px.
GAP = 8.0
_EDGE_LENGTH = 170.0
_ROUNDS = 400


@dataclass(frozen=True)
class Layout:
    """Per node, in the order given: position (px), radius (px) and label font (px)."""

    x: list[int]
    y: list[int]
    size: list[float]
    font: list[int]


def text_width(text: str, px: float) -> float:
    """An upper estimate of the drawn width of *text* at *px* (CJK fonts, sans-serif Latin)."""
    width = 0.0
    for char in text:
        if unicodedata.east_asian_width(char) in ("W", "F"):
            width += 1.0
        elif char == " ":
            width += 0.3
        elif char.isupper() or char in "mwMW@%&":
            width += 0.72
        else:
            width += 0.6
    return width * px


def node_size(degree: int, low: int, high: int) -> tuple[float, int]:
    """Radius and label font of a node of *degree*, where degrees run from *low* to *high*."""
    share = math.sqrt((degree - low) / (high - low)) if high > low else 0.0
    size = SIZE_RANGE[0] + share * (SIZE_RANGE[1] - SIZE_RANGE[0])
    font = FONT_RANGE[0] + share * (FONT_RANGE[1] - FONT_RANGE[0])
    return round(size, 1), round(font)


def _box(x: float, y: float, size: float, font: int, label: str) -> tuple[float, ...]:
    """The node's shape and its label below it: (left, top, right, bottom)."""
    half = max(size, text_width(label, font) / 2 + 4)  # 4: the white outline around letters
    return (x - half, y - size, x + half, y + size + 1.5 * font + 6)


def _fruchterman_reingold(
    n: int, pairs: Sequence[tuple[int, int]], seed: int
) -> list[tuple[float, float]]:
    try:
        import igraph
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise KGError(
            "igraph is needed for the layout; install it with pip install 'kg[viz]'"
        ) from exc
    rng = random.Random(seed)
    half = math.sqrt(n) / 2  # igraph's own starting box; a wider one slows grid FR down 7x
    start = [(rng.uniform(-half, half), rng.uniform(-half, half)) for _ in range(n)]
    g = igraph.Graph(n=n, edges=sorted({(a, b) for a, b in pairs if a != b}), directed=False)
    igraph.set_random_number_generator(random.Random(seed))
    try:
        coords = g.layout_fruchterman_reingold(seed=start, grid=n > LABEL_LIMIT).coords
    finally:
        igraph.set_random_number_generator(random)
    lengths = sorted(math.dist(coords[a], coords[b]) for a, b in pairs if a != b) or [1.0]
    typical = lengths[len(lengths) // 2] or 1.0
    scale = _EDGE_LENGTH / typical
    cx = sum(x for x, _ in coords) / n
    cy = sum(y for _, y in coords) / n
    return [((x - cx) * scale, (y - cy) * scale) for x, y in coords]


def _separate(
    points: list[list[float]], sizes: Sequence[float], fonts: Sequence[int], labels: Sequence[str]
) -> None:
    """Push overlapping node boxes apart, along the axis they overlap least, until none do."""
    n = len(points)
    for _ in range(_ROUNDS):
        boxes = [_box(points[i][0], points[i][1], sizes[i], fonts[i], labels[i]) for i in range(n)]
        order = sorted(range(n), key=lambda i: boxes[i][0])
        moved = False
        for k, i in enumerate(order):
            a = boxes[i]
            for j in order[k + 1 :]:
                b = boxes[j]
                if b[0] >= a[2] + GAP:
                    break  # sorted by left edge: nothing further right can touch a
                dx = min(a[2], b[2]) - max(a[0], b[0]) + GAP
                dy = min(a[3], b[3]) - max(a[1], b[1]) + GAP
                if dx <= 0 or dy <= 0:
                    continue
                moved = True
                pi, pj = points[i], points[j]
                # Split the push between the two; ties broken by index, so it is deterministic.
                if dx * 1.6 < dy:  # boxes are wide: moving sideways is cheaper only when small
                    sign = 1.0 if (pj[0], j) >= (pi[0], i) else -1.0
                    pi[0] -= sign * dx / 2
                    pj[0] += sign * dx / 2
                else:
                    sign = 1.0 if (pj[1], j) >= (pi[1], i) else -1.0
                    pi[1] -= sign * dy / 2
                    pj[1] += sign * dy / 2
        if not moved:
            return


def layout(
    n: int,
    pairs: Sequence[tuple[int, int]],
    labels: Sequence[str],
    seed: int = 0,
) -> Layout:
    """Positions, sizes and label fonts for *n* nodes joined by *pairs* (index pairs).

    Parameters
    ----------
    n : int
        The number of nodes.
    pairs : sequence of (int, int)
        The edges, as node indices (direction and repeats do not matter).
    labels : sequence of str
        The label drawn under each node, to keep labels apart.
    seed : int
        Seeds the starting positions and igraph's random numbers.

    Examples
    --------
    >>> names = ["百度", "李彦宏", "Kunlunxin"]
    >>> out = layout(3, [(0, 1), (1, 2)], names)
    >>> len(out.x), out.size[1] > out.size[0], out == layout(3, [(0, 1), (1, 2)], names)
    (3, True, True)
    """
    if n == 0:
        return Layout([], [], [], [])
    degree = [0] * n
    for a, b in pairs:
        degree[a] += 1
        degree[b] += 1
    low, high = min(degree), max(degree)
    sized = [node_size(d, low, high) for d in degree]
    sizes = [s for s, _ in sized]
    fonts = [f for _, f in sized]
    points = [list(p) for p in _fruchterman_reingold(n, pairs, seed)]
    if n <= LABEL_LIMIT:
        _separate(points, sizes, fonts, labels)
    return Layout(
        x=[round(p[0]) for p in points],
        y=[round(p[1]) for p in points],
        size=sizes,
        font=fonts,
    )
