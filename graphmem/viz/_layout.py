"""What every renderer draws: node positions, colours and merged edges, computed once.

Positions are in inches of the final picture, so that label sizes (points) and node spacing share
one unit: the layout can keep labels from overlapping without knowing the renderer. Each connected
component is laid out on its own (Kamada-Kawai for small ones, a seeded spring layout for big
ones), spread until no two node+label boxes overlap, and the components are packed in rows.
Everything is deterministic: the same graph gives the same picture.
"""

from __future__ import annotations

import importlib.util
import math
import textwrap
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx
import numpy as np

#: Colours of the core entity types (Tableau 10, readable on white); other types take FALLBACK in turn.
TYPE_COLOURS = {
    "PERSON": "#4C78A8",
    "ORGANIZATION": "#F58518",
    "PROJECT": "#54A24B",
    "TASK": "#B279A2",
    "ROLE": "#E45756",
    "PLACE": "#9D755D",
    "THING": "#72B7B2",
    "DATE": "#EECA3B",
    "STATUS": "#FF9DA6",
}
FALLBACK = ("#17BECF", "#BCBD22", "#8C564B", "#7F7F7F", "#1F77B4", "#D62728", "#9467BD", "#2CA02C")
CLOSED_COLOUR = "#9A9A9A"

NODE_FONT_PT = 10.0
EDGE_FONT_PT = 7.5
WRAP_CHARS = 16
#: Average glyph width of DejaVu Sans as a fraction of the font size; errs wide so boxes do too.
CHAR_EM = 0.62
EDGE_LEN_IN = 1.6  # typical edge length: room for an edge label between two node labels
MIN_EDGE_IN = 1.2  # dense clusters are stretched (up to 1.5x) until their shortest edge has this
GAP_IN = 0.12  # the smallest gap left between two node+label boxes
COMPONENT_GAP_IN = 0.7
KAMADA_KAWAI_MAX_NODES = 100
BUSY_EDGES = 40


@dataclass(frozen=True, slots=True)
class NodeView:
    """One entity: where it sits (inches), what it says and how big it is."""

    id: str
    name: str
    type: str
    label: str  # the name wrapped to WRAP_CHARS per line
    x: float
    y: float
    radius_pt: float
    colour: str
    degree: int
    side: str  # where the label sits: "below", "above", "right" or "left" of the node


@dataclass(frozen=True, slots=True)
class EdgeView:
    """The relations from one node to another with the same validity, drawn as one arrow."""

    source: str
    target: str
    types: tuple[str, ...]
    current: bool
    rad: float  # matplotlib ``arc3`` curvature; 0 is straight, +-0.25 separates parallel arrows
    facts: tuple[dict[str, Any], ...]
    label_t: float = 0.5  # where along the arrow its label sits (0 at the source, 1 at the target)
    labelled: bool = True  # False: no clear spot in a busy picture; the HTML page still has the facts


@dataclass(frozen=True, slots=True)
class GraphView:
    nodes: tuple[NodeView, ...]
    edges: tuple[EdgeView, ...]
    type_counts: tuple[tuple[str, int], ...]  # legend order: most frequent first
    colours: dict[str, str]
    bounds: tuple[float, float, float, float]  # xmin, ymin, xmax, ymax in inches, labels included

    @property
    def size(self) -> tuple[float, float]:
        xmin, ymin, xmax, ymax = self.bounds
        return xmax - xmin, ymax - ymin

    @property
    def has_closed(self) -> bool:
        return any(not e.current for e in self.edges)


def prepare(graph: nx.MultiDiGraph, *, show_closed: bool = True) -> GraphView:
    """Lay out ``graph`` (as returned by ``Memory.graph``) for drawing.

    Args:
        graph: nodes with ``name``/``type`` attributes, edges with ``relationship``, ``fact``,
            ``actor_id``, ``valid_from`` and ``valid_to``. Missing attributes fall back to the
            node id and ``"RELATED_TO"``, so any networkx graph can be drawn.
        show_closed: keep relations whose ``valid_to`` is set (drawn dashed and grey).
    """
    if not all(isinstance(n, str) for n in graph.nodes):  # ids are strings from here on (HTML, JSON)
        graph = nx.relabel_nodes(graph, {n: str(n) for n in graph.nodes}, copy=True)
    ids = sorted(graph.nodes, key=lambda n: (_name(graph, n).casefold(), str(n)))
    types = {n: str(graph.nodes[n].get("type") or "THING") for n in ids}
    counts = Counter(types.values())
    type_order = sorted(counts, key=lambda t: (-counts[t], t))
    colours = _colours(type_order)

    edges = _merge_edges(graph, show_closed, {str(n): i for i, n in enumerate(ids)})
    simple = nx.Graph()
    simple.add_nodes_from(ids)
    simple.add_edges_from((e.source, e.target) for e in edges if e.source != e.target)
    degree = dict(simple.degree())

    labels = {
        n: "\n".join(textwrap.wrap(_name(graph, n), WRAP_CHARS, break_long_words=True)) or "?" for n in ids
    }
    radius = {n: min(7.0 + 2.0 * math.sqrt(degree[n]), 15.0) for n in ids}
    pos, sides, boxes = _layout(simple, labels, radius)
    edges = _place_edge_labels(edges, pos, boxes)

    nodes = tuple(
        NodeView(
            # rounded far below a pixel: the optimiser's last-bit noise must not change the picture
            id=str(n), name=_name(graph, n), type=types[n], label=labels[n],
            x=round(float(pos[n][0]), 4), y=round(float(pos[n][1]), 4),
            radius_pt=radius[n], colour=colours[types[n]], degree=degree[n], side=sides[n],
        )
        for n in ids
    )  # fmt: skip
    return GraphView(
        nodes=nodes,
        edges=tuple(edges),
        type_counts=tuple((t, counts[t]) for t in type_order),
        colours=colours,
        bounds=_bounds(pos, boxes),
    )


def _name(graph: nx.MultiDiGraph, node: Any) -> str:
    attrs = graph.nodes[node]
    return str(attrs.get("name") or attrs.get("label") or node)


def _colours(type_order: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    spare = iter(FALLBACK * (1 + len(type_order) // len(FALLBACK)))
    for t in sorted(type_order):  # alphabetical, so a type keeps its colour when counts change
        out[t] = TYPE_COLOURS.get(t) or next(spare)
    return out


def _merge_edges(graph: nx.MultiDiGraph, show_closed: bool, rank: dict[str, int]) -> list[EdgeView]:
    """One arrow per (source, target, current?): parallel facts share it and its label.

    ``rank`` (node order by name) orders the arrows, so drawing order does not depend on ids.
    """
    groups: dict[tuple[str, str, bool], list[dict[str, Any]]] = defaultdict(list)
    for u, v, data in graph.edges(data=True):
        current = not data.get("valid_to")
        if not current and not show_closed:
            continue
        groups[(str(u), str(v), current)].append(
            {
                "relationship": str(data.get("relationship") or data.get("type") or "RELATED_TO"),
                "fact": data.get("fact") or "",
                "actor_id": data.get("actor_id"),
                "valid_from": data.get("valid_from"),
                "valid_to": data.get("valid_to"),
            }
        )
    # Arrows between the same two nodes (either direction) fan out so that none hides another.
    by_pair: dict[frozenset[str], list[tuple[str, str, bool]]] = defaultdict(list)
    for key in sorted(groups, key=lambda k: (rank[k[0]], rank[k[1]], not k[2])):
        by_pair[frozenset(key[:2])].append(key)
    edges = []
    for keys in by_pair.values():
        for i, (u, v, current) in enumerate(keys):
            rad = 0.0 if len(keys) == 1 else 0.3 * (i - (len(keys) - 1) / 2) / max(1, (len(keys) - 1) / 2)
            if rank[u] > rank[v]:  # arc3 bends relative to the arrow's direction: keep one side per pair
                rad = -rad
            facts = sorted(groups[(u, v, current)], key=lambda f: (f["relationship"], f["valid_from"] or ""))
            types = tuple(dict.fromkeys(f["relationship"] for f in facts))
            edges.append(EdgeView(u, v, types, current, rad, tuple(facts)))
    return edges


#: Where an arrow's label may sit along it, in order of preference: the middle first.
EDGE_LABEL_T = (0.5, 0.42, 0.58, 0.34, 0.66, 0.27, 0.73)


def edge_point(a: np.ndarray, b: np.ndarray, rad: float, t: float) -> np.ndarray:
    """The point at ``t`` on matplotlib's ``arc3`` curve from ``a`` to ``b`` (a quadratic Bezier
    whose control point is the chord's midpoint moved by ``rad`` times the chord, turned right)."""
    d = b - a
    control = (a + b) / 2 + rad * np.array([d[1], -d[0]])
    return np.asarray((1 - t) ** 2 * a + 2 * t * (1 - t) * control + t**2 * b, dtype=float)


def _place_edge_labels(
    edges: list[EdgeView], pos: dict[Any, np.ndarray], boxes: dict[Any, tuple[float, float, float, float]]
) -> list[EdgeView]:
    """Slide each arrow's label along it to the first spot clear of node labels and other arrow
    labels (or the least crowded one): a label in the middle of a busy cluster is unreadable.

    Past BUSY_EDGES arrows, a label with no clear spot is left out rather than drawn over others.
    """
    taken = np.array(
        [(pos[n][0] + b[0], pos[n][1] + b[1], pos[n][0] + b[2], pos[n][1] + b[3]) for n, b in boxes.items()]
    )
    taken = taken.reshape(-1, 4)
    placed = []
    for edge in edges:
        if edge.source == edge.target:
            placed.append(edge)
            continue
        half_w = max(len(t) for t in edge.types) * EDGE_FONT_PT * CHAR_EM / 144 + 0.03
        half_h = len(edge.types) * EDGE_FONT_PT * 1.2 / 144 + 0.02
        a, b = np.asarray(pos[edge.source], dtype=float), np.asarray(pos[edge.target], dtype=float)
        best: tuple[float, float, np.ndarray] | None = None
        for t in EDGE_LABEL_T:
            x, y = edge_point(a, b, edge.rad, t)
            box = np.array([x - half_w, y - half_h, x + half_w, y + half_h])
            w = np.clip(np.minimum(box[2], taken[:, 2]) - np.maximum(box[0], taken[:, 0]), 0, None)
            h = np.clip(np.minimum(box[3], taken[:, 3]) - np.maximum(box[1], taken[:, 1]), 0, None)
            crowding = float((w * h).sum())
            if best is None or crowding < best[0] - 1e-9:
                best = (crowding, t, box)
            if crowding == 0:
                break
        assert best is not None
        if best[0] > 0 and len(edges) > BUSY_EDGES:
            placed.append(replace(edge, labelled=False))
            continue
        taken = np.vstack([taken, best[2]])
        placed.append(replace(edge, label_t=best[1]))
    return placed


#: Where a label may go, as a unit direction from the node, with a small cost: below reads best.
SIDES = {
    "below": ((0.0, -1.0), 0.0),
    "above": ((0.0, 1.0), 0.15),
    "right": ((1.0, 0.0), 0.25),
    "left": ((-1.0, 0.0), 0.25),
}
LABEL_OFFSET_PT = 3.0


def label_box(label: str, radius_pt: float, side: str) -> tuple[float, float, float, float]:
    """The node+label box relative to the node centre, in inches: (left, bottom, right, top)."""
    lines = label.split("\n")
    width = max(len(line) for line in lines) * NODE_FONT_PT * CHAR_EM / 72 + 0.1
    height = len(lines) * NODE_FONT_PT * 1.25 / 72 + 0.08
    r = radius_pt / 72
    gap = (radius_pt + LABEL_OFFSET_PT) / 72
    if side == "below":
        return (-max(r, width / 2), -gap - height, max(r, width / 2), r)
    if side == "above":
        return (-max(r, width / 2), -r, max(r, width / 2), gap + height)
    if side == "right":
        return (-r, -max(r, height / 2), gap + width, max(r, height / 2))
    return (-gap - width, -max(r, height / 2), r, max(r, height / 2))


def _choose_sides(sub: nx.Graph, pos: dict[Any, np.ndarray]) -> dict[Any, str]:
    """Put each label on the side its arrows leave free, so no arrow runs under a label."""
    sides = {}
    for node in sub.nodes:
        dirs = []
        for other in sub.neighbors(node):
            d = pos[other] - pos[node]
            norm = float(np.linalg.norm(d))
            if other != node and norm > 1e-9:
                dirs.append(d / norm)

        costs = {side: _side_cost(side, dirs) for side in SIDES}
        sides[node] = min(SIDES, key=costs.__getitem__)
    return sides


def _side_cost(side: str, dirs: list[np.ndarray]) -> float:
    """How close the side comes to the nearest arrow (cosine, 1 = on top of it), plus its bias."""
    (sx, sy), bias = SIDES[side]
    return max((float(d[0] * sx + d[1] * sy) for d in dirs), default=-1.0) + bias


def _layout(
    simple: nx.Graph, labels: dict[Any, str], radius: dict[Any, float]
) -> tuple[dict[Any, np.ndarray], dict[Any, str], dict[Any, tuple[float, float, float, float]]]:
    # Node order comes from the names (``prepare`` adds nodes sorted by name), not from the ids:
    # ids are random uuids, and the same conversation should give the same picture in every store.
    rank = {n: i for i, n in enumerate(simple.nodes)}
    comps = sorted(
        (sorted(c, key=rank.__getitem__) for c in nx.connected_components(simple)),
        key=lambda c: (-len(c), rank[c[0]]),
    )
    placed: list[tuple[dict[Any, np.ndarray], tuple[float, float, float, float]]] = []
    sides: dict[Any, str] = {}
    boxes: dict[Any, tuple[float, float, float, float]] = {}
    for comp in comps:
        # A fresh graph in name order: a subgraph view may iterate its nodes in set (hash) order,
        # which would change the floating-point path of the layout from one process to the next.
        sub = nx.Graph()
        sub.add_nodes_from(comp)
        ends = (sorted(e, key=rank.__getitem__) for e in simple.subgraph(comp).edges)
        sub.add_edges_from(sorted(ends, key=lambda e: (rank[e[0]], rank[e[1]])))
        pos = _component_layout(sub, comp)
        sides.update(_choose_sides(sub, pos))
        boxes.update({n: label_box(labels[n], radius[n], sides[n]) for n in comp})
        # A dense core can jam: pushes from all sides cancel out. Give it more room and retry.
        for _ in range(6):
            if _spread(pos, boxes):
                break
            centre = np.mean(list(pos.values()), axis=0)
            pos = {n: centre + (p - centre) * 1.2 for n, p in pos.items()}
        placed.append((pos, _bounds(pos, boxes)))
    return _pack(placed), sides, boxes


def _component_layout(sub: nx.Graph, nodes: list[Any]) -> dict[Any, np.ndarray]:
    n = len(nodes)
    if n == 1:
        return {nodes[0]: np.zeros(2)}
    if n == 2:
        return {nodes[0]: np.array([0.0, 0.0]), nodes[1]: np.array([EDGE_LEN_IN, 0.0])}
    # circular start in a fixed node order: Kamada-Kawai is then deterministic
    start = {
        node: np.array([math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)])
        for i, node in enumerate(nodes)
    }
    raw: dict[Any, Any]
    # Kamada-Kawai spaces small graphs evenly, but it is quadratic and needs scipy (a dependency
    # of sentence-transformers, not of graphmem); the seeded spring layout covers the rest.
    if n <= KAMADA_KAWAI_MAX_NODES and importlib.util.find_spec("scipy") is not None:
        raw = nx.kamada_kawai_layout(sub, pos=start)
    else:
        raw = nx.spring_layout(sub, pos=start, k=2.0 / math.sqrt(n), iterations=200, seed=7)
    pos = {node: np.asarray(raw[node], dtype=float) for node in nodes}
    lengths = [float(np.linalg.norm(pos[u] - pos[v])) for u, v in sub.edges if u != v]
    unit = float(np.median(lengths)) if lengths else 1.0
    scale = EDGE_LEN_IN / unit if unit > 1e-9 else 1.0
    shortest = min(lengths, default=unit) * scale
    if 1e-9 < shortest < MIN_EDGE_IN:
        scale *= min(MIN_EDGE_IN / shortest, 1.5)
    return {node: p * scale for node, p in pos.items()}


def _spread(
    pos: dict[Any, np.ndarray], boxes: dict[Any, tuple[float, float, float, float]], rounds: int = 200
) -> bool:
    """Push apart node+label boxes that overlap, along the axis where they overlap least; True
    when none overlap any more.

    Moving along the cheaper axis keeps the layout's shape: a label that touches its neighbour's
    side moves sideways, not across the picture.
    """
    nodes = list(pos)
    if len(nodes) < 2 or len(nodes) > 800:  # past 800 nodes the pairwise pass costs more than it gives
        return True
    clear = False
    xy = np.array([pos[n] for n in nodes])
    box = np.array([boxes[n] for n in nodes])
    half = np.column_stack(
        ((box[:, 2] - box[:, 0]) / 2 + GAP_IN / 2, (box[:, 3] - box[:, 1]) / 2 + GAP_IN / 2)
    )
    offset = np.column_stack(((box[:, 0] + box[:, 2]) / 2, (box[:, 1] + box[:, 3]) / 2))
    upper = np.triu(np.ones((len(nodes), len(nodes)), dtype=bool), k=1)
    for _ in range(rounds):
        centre = xy + offset
        delta = centre[None, :, :] - centre[:, None, :]  # delta[i, j] = centre j - centre i
        overlap = half[:, None, :] + half[None, :, :] - np.abs(delta)
        hit = (overlap[:, :, 0] > 0) & (overlap[:, :, 1] > 0) & upper
        if not hit.any():
            clear = True
            break
        i, j = np.nonzero(hit)
        ov, d = overlap[i, j], delta[i, j]
        axis = (ov[:, 1] < ov[:, 0]).astype(int)  # 1: separating vertically is cheaper
        # coincident centres: break the tie by index, deterministic
        sign = np.sign(d[np.arange(len(i)), axis])
        sign[sign == 0] = 1.0
        push = np.zeros((len(i), 2))
        push[np.arange(len(i)), axis] = sign * (ov[np.arange(len(i)), axis] / 2 + 0.01)
        move = np.zeros_like(xy)
        np.add.at(move, i, -push)
        np.add.at(move, j, push)
        xy += move * 0.6  # under-relaxed: several pushes on one node add up, avoid overshoot
    for n, p in zip(nodes, xy, strict=True):
        pos[n] = p
    return clear


def _bounds(
    pos: dict[Any, np.ndarray], boxes: dict[Any, tuple[float, float, float, float]]
) -> tuple[float, float, float, float]:
    if not pos:
        return (0.0, 0.0, 0.0, 0.0)
    xs0 = [pos[n][0] + boxes[n][0] for n in pos]
    ys0 = [pos[n][1] + boxes[n][1] for n in pos]
    xs1 = [pos[n][0] + boxes[n][2] for n in pos]
    ys1 = [pos[n][1] + boxes[n][3] for n in pos]
    return (min(xs0), min(ys0), max(xs1), max(ys1))


def _pack(
    placed: list[tuple[dict[Any, np.ndarray], tuple[float, float, float, float]]],
) -> dict[Any, np.ndarray]:
    """Shelf-pack the components, biggest first, in rows about as wide as the whole is tall."""
    if not placed:
        return {}
    sizes = [(b[2] - b[0], b[3] - b[1]) for _, b in placed]
    area = sum((w + COMPONENT_GAP_IN) * (h + COMPONENT_GAP_IN) for w, h in sizes)
    row_width = max(max(w for w, _ in sizes), math.sqrt(area) * 1.4)
    out: dict[Any, np.ndarray] = {}
    x = y = row_height = 0.0
    for (pos, (x0, _y0, _x1, y1)), (w, h) in zip(placed, sizes, strict=True):
        if x > 0 and x + w > row_width:
            x, y, row_height = 0.0, y - row_height - COMPONENT_GAP_IN, 0.0
        shift = np.array([x - x0, y - y1])  # the component's top-left corner goes to (x, y)
        for n, p in pos.items():
            out[n] = p + shift
        x += w + COMPONENT_GAP_IN
        row_height = max(row_height, h)
    return out
