"""Where the graph page puts each node and how big it draws it, computed once in Python.

:func:`layout` is shared by the page (:mod:`kg.viz.page`) and the Gephi and Cytoscape exports
(:mod:`kg.viz.export`), so a graph opened in Gephi has the positions, sizes and colours of the
page. The steps:

1. a seeded Fruchterman–Reingold layout (rustworkx's ``spring_layout``) of each connected
   part, the parts packed in rows; above :data:`LABEL_LIMIT` nodes (its time grows with the
   square of the nodes) in two levels, groups of neighbours and then each group inside,
   near-linear at 20,000 nodes; scaled so a typical edge is 170 px (100 px when edge labels
   are placed, which then push out the room they need);
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
from typing import Any

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
_ITERATIONS = 100  # rustworkx spring_layout iterations up to LABEL_LIMIT nodes (default 50)
_GROUP_ITERATIONS = 50  # above it, for the groups and inside each group
#: Above LABEL_LIMIT nodes, about this many groups are laid out, then each group inside.
_GROUPS = 400


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
        import rustworkx
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise KGError(
            "rustworkx is needed for the layout; install it with pip install 'kg[viz]'"
        ) from exc
    edges = sorted({(min(a, b), max(a, b)) for a, b in pairs if a != b})
    rng = random.Random(seed)
    # Each connected part is laid out alone (with no pull between them, a force layout
    # drives separate parts far out), scaled to a median edge of 1, and the parts are then
    # packed in rows, the largest first, into a rectangle of about ASPECT.
    part = list(range(n))

    def root(v: int) -> int:
        while part[v] != v:
            part[v] = part[part[v]]
            v = part[v]
        return v

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            part[max(ra, rb)] = min(ra, rb)
    parts: dict[int, list[int]] = {}
    for v in range(n):
        parts.setdefault(root(v), []).append(v)
    inside: dict[int, list[tuple[int, int]]] = {}
    for a, b in edges:
        inside.setdefault(root(a), []).append((a, b))
    boxes = []
    for key, nodes in sorted(parts.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        local = {v: i for i, v in enumerate(nodes)}
        sub = [(local[a], local[b]) for a, b in inside.get(key, ())]
        if len(nodes) <= 2:
            coords = [(0.0, 0.0), (1.0, 0.0)][: len(nodes)]
        elif len(nodes) <= LABEL_LIMIT:
            coords = _spring(rustworkx, len(nodes), sub, rng, _ITERATIONS)
        else:
            coords = _two_level(rustworkx, len(nodes), sub, rng)
        lengths = sorted(math.dist(coords[a], coords[b]) for a, b in sub) or [1.0]
        unit = lengths[len(lengths) // 2] or 1.0
        xs = [x / unit for x, _ in coords]
        ys = [y / unit for _, y in coords]
        boxes.append((nodes, xs, ys, min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)))
    area = sum((w + 1) * (h + 1) for *_, w, h in boxes)
    row_width = max(max(w for *_, w, _ in boxes), math.sqrt(area * ASPECT))
    out = [(0.0, 0.0)] * n
    left = top = row_height = 0.0
    for nodes, xs, ys, x0, y0, w, h in boxes:
        if left > 0 and left + w > row_width:
            left, top, row_height = 0.0, top + row_height + 1, 0.0
        for v, x, y in zip(nodes, xs, ys, strict=True):
            out[v] = (left + x - x0, top + y - y0)
        left += w + 1
        row_height = max(row_height, h)
    lengths = sorted(math.dist(out[a], out[b]) for a, b in edges) or [1.0]
    typical = lengths[len(lengths) // 2] or 1.0
    scale = edge_length / typical
    cx = sum(x for x, _ in out) / n
    cy = sum(y for _, y in out) / n
    return [((x - cx) * scale, (y - cy) * scale) for x, y in out]


def _spring(
    rustworkx: Any,
    n: int,
    edges: Sequence[tuple[int, int]],
    rng: random.Random,
    iterations: int,
    fixed: Sequence[tuple[float, float]] = (),
) -> list[tuple[float, float]]:
    """rustworkx's Fruchterman–Reingold for nodes ``0 .. n-1`` from seeded starting points in
    the unit square (its own starting box, which its step size of 0.1 is made for); nodes
    ``n ..`` are held at *fixed* (anchors, pulling their neighbours towards them)."""
    graph = rustworkx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n + len(fixed)))
    graph.add_edges_from_no_data(list(edges))
    start = {i: [rng.random(), rng.random()] for i in range(n)}
    start.update({n + i: list(p) for i, p in enumerate(fixed)})
    pos = rustworkx.spring_layout(
        graph,
        pos=start,
        fixed=set(range(n, n + len(fixed))) or None,
        num_iter=iterations,
        seed=rng.randrange(2**63),
    )
    return [(pos[i][0], pos[i][1]) for i in range(n)]


def _two_level(
    rustworkx: Any, n: int, edges: Sequence[tuple[int, int]], rng: random.Random
) -> list[tuple[float, float]]:
    """Above :data:`LABEL_LIMIT` nodes: rustworkx's layout costs time in the square of the
    nodes, so the nodes are grouped into about :data:`_GROUPS` groups of neighbours, the groups
    are laid out, and then each group inside its own square (its members pulled towards the
    groups they link to), in time near-linear in the nodes."""
    group = _groups(n, edges)
    count = max(group) + 1
    members: list[list[int]] = [[] for _ in range(count)]
    for v, g in enumerate(group):
        members[g].append(v)
    links = sorted(
        {(min(gu, gv), max(gu, gv)) for u, v in edges if (gu := group[u]) != (gv := group[v])}
    )
    centre = _spring(rustworkx, count, links, rng, _GROUP_ITERATIONS)
    lengths = sorted(math.dist(centre[a], centre[b]) for a, b in links)
    spacing = lengths[len(lengths) // 2] if lengths else 1 / math.sqrt(count)
    mean = n / count
    inner: list[list[tuple[int, int]]] = [[] for _ in range(count)]
    outer: list[dict[int, set[int]]] = [{} for _ in range(count)]
    for u, v in edges:
        gu, gv = group[u], group[v]
        if gu == gv:
            inner[gu].append((u, v))
        else:
            outer[gu].setdefault(gv, set()).add(u)
            outer[gv].setdefault(gu, set()).add(v)
    coords = [(0.0, 0.0)] * n
    for g, nodes in enumerate(members):
        cx, cy = centre[g]
        if len(nodes) == 1:
            coords[nodes[0]] = (cx, cy)
            continue
        local = {v: i for i, v in enumerate(nodes)}
        sub = [(local[u], local[v]) for u, v in inner[g]]
        anchors = []
        for i, other in enumerate(sorted(outer[g])):
            dx, dy = centre[other][0] - cx, centre[other][1] - cy
            norm = math.hypot(dx, dy) or 1.0
            # the linked group's direction, just outside the unit square the members start in
            anchors.append((0.5 + dx / norm, 0.5 + dy / norm))
            sub += [(local[v], len(nodes) + i) for v in sorted(outer[g][other])]
        placed = _spring(rustworkx, len(nodes), sub, rng, _GROUP_ITERATIONS, anchors)
        mx = sum(x for x, _ in placed) / len(placed)
        my = sum(y for _, y in placed) / len(placed)
        reach = max(max(abs(x - mx), abs(y - my)) for x, y in placed) or 1.0
        half = 0.4 * spacing * math.sqrt(len(nodes) / mean) / reach
        for v, (x, y) in zip(nodes, placed, strict=True):
            coords[v] = (cx + (x - mx) * half, cy + (y - my) * half)
    return coords


def _groups(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """A group number per node (0 ..), about :data:`_GROUPS` groups of up to ``2 n /
    _GROUPS`` nodes: leaves join their neighbour, then neighbouring groups are paired, the
    smallest first, until there are few enough; nodes without edges are grouped by number."""
    cap = max(2, 2 * n // _GROUPS)
    adjacent: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        adjacent[u].append(v)
        adjacent[v].append(u)
    group = list(range(n))
    size = [1] * n
    leaves: dict[int, list[int]] = {}
    for v in range(n):
        if len(adjacent[v]) == 1:
            hub = adjacent[v][0]
            if len(adjacent[hub]) > 1 or hub < v:  # a lone edge: the higher joins the lower
                leaves.setdefault(hub, []).append(v)
    for hub, around in leaves.items():
        owner = hub
        for leaf in around:
            if size[owner] >= cap:
                owner = leaf  # the hub's group is full: the next leaves start their own
            group[leaf] = owner
            size[owner] += owner != leaf
    lone = [v for v in range(n) if not adjacent[v]]
    for i in range(len(lone)):  # nodes without edges, in groups of cap
        group[lone[i]] = lone[i - i % cap]
    for v in lone:
        size[group[v]] += group[v] != v
    # pair neighbouring groups, the smallest first, until few are left or none can pair
    while True:
        roots = sorted({group[v] for v in range(n)}, key=lambda g: (size[g], g))
        if len(roots) <= _GROUPS:
            break
        near: dict[int, set[int]] = {}
        for u, v in edges:
            gu, gv = group[u], group[v]
            if gu != gv:
                near.setdefault(gu, set()).add(gv)
                near.setdefault(gv, set()).add(gu)
        taken: set[int] = set()
        into: dict[int, int] = {}
        for g in roots:
            if g in taken:
                continue
            options = [h for h in near.get(g, ()) if h not in taken and size[g] + size[h] <= cap]
            if options:
                h = min(options, key=lambda h: (size[h], h))
                taken.update((g, h))
                into[h] = g
                size[g] += size[h]
        if not into:
            break
        group = [into.get(g, g) for g in group]
    number: dict[int, int] = {}
    return [number.setdefault(g, len(number)) for g in group]


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
        Seeds the starting positions of the force layout.
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
