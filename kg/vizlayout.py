"""Where the graph page puts each node and how big it draws it, computed once in Python.

:func:`layout` is shared by the page (:mod:`kg.viz`) and the Gephi and Cytoscape exports
(:mod:`kg.export`), so a graph opened in Gephi has the positions, sizes and colours of the
page. The steps:

1. a seeded Fruchterman–Reingold layout (igraph; the grid variant above
   :data:`LABEL_LIMIT` nodes, near-linear at 20,000 nodes), scaled so a typical edge is
   170 px (100 px when edge labels are placed, which then push out the room they need);
2. node sizes and label fonts from the degree (square root, so hubs do not swamp the page);
3. up to :data:`LABEL_LIMIT` nodes, the node boxes (shape and the label under it, its width
   estimated from the characters) and the edge labels (drawn at the middle of their edge,
   one per pair of nodes) are pushed apart until no two overlap, so every label can be read
   at the page's starting zoom. An edge label pushed moves both ends of its edge; one that
   touches an end of its own edge lengthens the edge.

Coordinates are rounded to whole pixels, so the same graph and seed give the same numbers.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from kg.errors import KGError

__all__ = ["EDGE_FONT", "LABEL_LIMIT", "Layout", "layout", "node_size", "text_width"]

#: Up to this many nodes the layout keeps node labels apart (pairwise, so bounded).
LABEL_LIMIT = 500
#: Node radius in px from the smallest to the largest degree.
SIZE_RANGE = (9.0, 30.0)
#: Node label font in px from the smallest to the largest degree.
FONT_RANGE = (14, 22)
#: Room kept between two node boxes, in px.
GAP = 8.0
#: Edge label font in px.
EDGE_FONT = 13
#: Width over height of the window the layout is squeezed towards (a page beside its sidebar).
ASPECT = 1.45
_EDGE_LENGTH = 170.0
# With edge labels in the collision pass, start tighter: the pushes make the room they need.
_LABELLED_EDGE_LENGTH = 100.0
_ROUNDS = 400
_SQUEEZE = 100  # rounds that also draw the nodes together (with edge labels only)


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
    n: int, pairs: Sequence[tuple[int, int]], seed: int, edge_length: float = _EDGE_LENGTH
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
    scale = edge_length / typical
    cx = sum(x for x, _ in coords) / n
    cy = sum(y for _, y in coords) / n
    return [((x - cx) * scale, (y - cy) * scale) for x, y in coords]


def _label_box(x: float, y: float, text: str) -> tuple[float, ...]:
    """An edge label centred on (x, y), one line per line of *text*."""
    lines = text.split("\n")
    half_w = max(text_width(line, EDGE_FONT) for line in lines) / 2 + 4
    half_h = len(lines) * EDGE_FONT * 0.7 + 3
    return (x - half_w, y - half_h, x + half_w, y + half_h)


def _separate(
    points: list[list[float]],
    sizes: Sequence[float],
    fonts: Sequence[int],
    labels: Sequence[str],
    edge_labels: Sequence[tuple[int, int, str]] = (),
) -> None:
    """Push overlapping boxes apart, along the axis they overlap least, until none do.

    Items ``0 .. n-1`` are the nodes; item ``n + k`` is ``edge_labels[k]``, at the middle of
    its edge: moving it moves both ends.
    """
    n = len(points)
    ends = [(a, b) for a, b, _ in edge_labels]
    degree = [1] * n
    for u, v in ends:
        degree[u] += 1
        degree[v] += 1
    # A hub moves less than a leaf: pushes are split by weight, and a label moves mostly
    # the lighter end of its edge (so the labels round a hub turn their edges about it).
    weight = [math.sqrt(d) for d in degree] + [1.0] * len(ends)
    share = [
        (2 * degree[v] / (degree[u] + degree[v]), 2 * degree[u] / (degree[u] + degree[v]))
        for u, v in ends
    ]

    def move(item: int, dx: float, dy: float) -> None:
        if item < n:
            points[item][0] += dx
            points[item][1] += dy
            return
        for node, part in zip(ends[item - n], share[item - n], strict=True):
            points[node][0] += dx * part
            points[node][1] += dy * part

    def centre(item: int) -> tuple[float, float]:
        if item < n:
            return points[item][0], points[item][1]
        a, b = ends[item - n]
        return (points[a][0] + points[b][0]) / 2, (points[a][1] + points[b][1]) / 2

    def lengthen(a: int, b: int, by: float) -> None:
        ux, uy = points[b][0] - points[a][0], points[b][1] - points[a][1]
        norm = math.hypot(ux, uy)
        ux, uy = (ux / norm, uy / norm) if norm > 1e-6 else (1.0, 0.0)
        points[a][0] -= ux * by / 2
        points[a][1] -= uy * by / 2
        points[b][0] += ux * by / 2
        points[b][1] += uy * by / 2

    total = n + len(edge_labels)
    for round_ in range(_ROUNDS + _SQUEEZE):
        if round_ < _SQUEEZE and edge_labels:
            _squeeze(points, round_)
        boxes = [_box(points[i][0], points[i][1], sizes[i], fonts[i], labels[i]) for i in range(n)]
        for u, v, text in edge_labels:
            mx, my = (points[u][0] + points[v][0]) / 2, (points[u][1] + points[v][1]) / 2
            boxes.append(_label_box(mx, my, text))
        order = sorted(range(total), key=lambda i: (boxes[i][0], i))
        bias = 1.6
        if edge_labels:  # push sideways more while the drawing is taller than ASPECT
            width = max(b[2] for b in boxes) - min(b[0] for b in boxes)
            height = max(b[3] for b in boxes) - min(b[1] for b in boxes)
            bias = min(3.0, max(0.3, width / (height * ASPECT)))
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
                lo, hi = min(i, j), max(i, j)
                if lo < n <= hi and lo in ends[hi - n]:
                    # A label touching an end of its own edge: the edge is too short.
                    lengthen(*ends[hi - n], min(dx, dy))
                    continue
                ci, cj = centre(i), centre(j)
                wi = weight[j] / (weight[i] + weight[j])  # i's part of the push
                # Split the push between the two; ties broken by index, so it is deterministic.
                if dx * bias < dy:  # boxes are wide: moving sideways is cheaper only when small
                    sign = 1.0 if (cj[0], j) >= (ci[0], i) else -1.0
                    move(i, -sign * dx * wi, 0.0)
                    move(j, sign * dx * (1 - wi), 0.0)
                else:
                    sign = 1.0 if (cj[1], j) >= (ci[1], i) else -1.0
                    move(i, 0.0, -sign * dy * wi)
                    move(j, 0.0, sign * dy * (1 - wi))
        if not moved and round_ >= _SQUEEZE:
            return


def _squeeze(points: list[list[float]], round_: int) -> None:
    """Draw every node a little towards the middle, more along the longer side (towards
    :data:`ASPECT`), so that the pushes apart end in a compact drawing that fits a window."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    width, height = max(xs) - min(xs) or 1.0, max(ys) - min(ys) or 1.0
    pull = 0.03 * (1 - round_ / _SQUEEZE)
    fx = 1 - pull * min(1.0, width / (height * ASPECT))
    fy = 1 - pull * min(1.0, height * ASPECT / width)
    for p in points:
        p[0] = cx + (p[0] - cx) * fx
        p[1] = cy + (p[1] - cy) * fy


def layout(
    n: int,
    pairs: Sequence[tuple[int, int]],
    labels: Sequence[str],
    seed: int = 0,
    edge_labels: Sequence[tuple[int, int, str]] = (),
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
    edge_labels : sequence of (int, int, str)
        Edge labels drawn at the middle of the edge between two nodes (lines split by
        ``\\n``), kept apart from each other and from the nodes as well.

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
    placed = [e for e in edge_labels if e[0] != e[1]] if n <= LABEL_LIMIT else []
    length = _LABELLED_EDGE_LENGTH if placed else _EDGE_LENGTH
    points = [list(p) for p in _fruchterman_reingold(n, pairs, seed, length)]
    if n <= LABEL_LIMIT:
        _separate(points, sizes, fonts, labels, placed)
    return Layout(
        x=[round(p[0]) for p in points],
        y=[round(p[1]) for p in points],
        size=sizes,
        font=fonts,
    )
