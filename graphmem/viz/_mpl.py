"""Static pictures with matplotlib: PNG and SVG files, and drawing on a notebook's axes.

Files are rendered on a pyplot-free ``Figure`` with the Agg canvas: no global backend switch, no
figure left open in pyplot's registry, safe from worker threads and servers. ``draw`` without an
``ax`` goes through pyplot on purpose, so that Jupyter's inline backend shows the picture.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from graphmem.errors import MissingDependencyError
from graphmem.viz._layout import (
    CLOSED_COLOUR,
    EDGE_FONT_PT,
    LABEL_OFFSET_PT,
    NODE_FONT_PT,
    SIDES,
    GraphView,
    edge_point,
)

try:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise MissingDependencyError("matplotlib", extra="notebooks") from e

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MARGIN_IN = 0.35
LEGEND_IN = 2.2  # room on the right for the legend
MAX_PIXELS = 7000  # a huge graph gets a lower dpi rather than a 100-megapixel PNG
_HA = {"below": "center", "above": "center", "right": "left", "left": "right"}  # also each line's alignment
_VA = {"below": "top", "above": "bottom", "right": "center", "left": "center"}


def figure_size(view: GraphView) -> tuple[float, float]:
    """Inches that hold the laid-out graph at its natural scale, plus margins, title and legend."""
    w, h = view.size
    return (max(w + 2 * MARGIN_IN + LEGEND_IN, 6.0), max(h + 2 * MARGIN_IN + 0.5, 3.0))


def new_figure(view: GraphView) -> tuple[Figure, Axes]:
    """A pyplot-free figure on the Agg canvas, and axes that leave the legend its column."""
    width, height = figure_size(view)
    fig = Figure(figsize=(width, height), facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0 - LEGEND_IN / width, 1.0 - 0.5 / height))
    return fig, ax


def draw_view(view: GraphView, ax: Axes, title: str | None) -> Axes:
    """Draw a prepared view on ``ax``: arrows, then their labels, then nodes and names on top."""
    ax.set_axis_off()
    if title:
        ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    if not view.nodes:
        ax.text(0.5, 0.5, "No entities in this scope yet.", ha="center", va="center",
                fontsize=12, color="#555555", transform=ax.transAxes)  # fmt: skip
        return ax

    at = {n.id: n for n in view.nodes}
    for edge in view.edges:
        _draw_edge(ax, edge, at)
    xs = [n.x for n in view.nodes]
    ys = [n.y for n in view.nodes]
    ax.scatter(xs, ys, s=[(2 * n.radius_pt) ** 2 for n in view.nodes], c=[n.colour for n in view.nodes],
               edgecolors="white", linewidths=1.5, zorder=3)  # fmt: skip
    for n in view.nodes:
        (sx, sy), _ = SIDES[n.side]
        gap = n.radius_pt + LABEL_OFFSET_PT
        ax.annotate(
            n.label, (n.x, n.y), xytext=(sx * gap, sy * gap), textcoords="offset points",
            ha=_HA[n.side], va=_VA[n.side], fontsize=NODE_FONT_PT, color="#1A1A1A", zorder=4,
            linespacing=1.05, annotation_clip=False, multialignment=_HA[n.side],
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )  # fmt: skip

    xmin, ymin, xmax, ymax = view.bounds
    ax.set_xlim(xmin - MARGIN_IN, xmax + MARGIN_IN)
    ax.set_ylim(ymin - MARGIN_IN, ymax + MARGIN_IN)
    ax.set_aspect("equal", adjustable="box")
    ax.set_anchor("NW")  # any room the aspect leaves goes right of the legend, not between
    ax.legend(handles=_legend(view), loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
              fontsize=9, title="entity types", title_fontsize=9, alignment="left")  # fmt: skip
    return ax


def _draw_edge(ax: Axes, edge: Any, at: dict[str, Any]) -> None:
    u, v = at[edge.source], at[edge.target]
    colour = "#555555" if edge.current else CLOSED_COLOUR
    label = "\n".join(edge.types)
    if u.id == v.id:  # a fact about itself: no arrow to draw, say it beside the node
        ax.annotate("\u21ba " + label, (u.x, u.y), xytext=(u.radius_pt + 3, 0), textcoords="offset points",
                    fontsize=EDGE_FONT_PT, color=colour, va="center", zorder=2)  # fmt: skip
        return
    ax.add_patch(
        FancyArrowPatch(
            (u.x, u.y), (v.x, v.y), arrowstyle="-|>", mutation_scale=11, color=colour, lw=1.2,
            linestyle="-" if edge.current else (0, (4, 3)), connectionstyle=f"arc3,rad={edge.rad}",
            shrinkA=u.radius_pt + 1, shrinkB=v.radius_pt + 2, zorder=1,
        )
    )  # fmt: skip
    if not edge.labelled:
        return
    # arc3 bends in display space; the aspect is equal, so the same curve holds in data space
    mx, my = edge_point(np.array([u.x, u.y]), np.array([v.x, v.y]), edge.rad, edge.label_t)
    ax.text(mx, my, label, fontsize=EDGE_FONT_PT, ha="center", va="center", zorder=2,
            color="#333333" if edge.current else CLOSED_COLOUR, style="normal" if edge.current else "italic",
            linespacing=1.0, bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none",
                                   "alpha": 0.85})  # fmt: skip


def _legend(view: GraphView) -> list[Line2D]:
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=9,
            markerfacecolor=view.colours[t],
            markeredgecolor="white",
            label=f"{t.lower()} ({count})",
        )
        for t, count in view.type_counts
    ]
    if view.has_closed:
        handles.append(Line2D([], [], color=CLOSED_COLOUR, linestyle=(0, (4, 3)), label="closed relation"))
    return handles


def save(view: GraphView, path: Path, fmt: str, title: str | None, dpi: int) -> Path:
    fig, ax = new_figure(view)
    draw_view(view, ax, title)
    width, height = fig.get_size_inches()
    dpi = max(40, min(dpi, int(MAX_PIXELS / max(width, height))))
    # svg.fonttype none keeps labels as <text>: searchable, selectable and small
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(path, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=0.2, facecolor="white")
    return path


def draw_on(view: GraphView, ax: Axes | None, title: str | None) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _fig, ax = plt.subplots(figsize=figure_size(view))
    return draw_view(view, ax, title)
