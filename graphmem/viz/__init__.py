"""Pictures of a scope's graph: PNG and SVG with matplotlib, and a self-contained HTML page.

Every function takes what :meth:`graphmem.Memory.graph` returns (a ``networkx.MultiDiGraph`` with
node attributes ``name``/``type`` and edge attributes ``relationship``/``fact``/``actor_id``/
``valid_from``/``valid_to``). Entities are coloured by type, with a legend; arrows carry their
relation types; relations that have been closed (``valid_to`` set, present when the graph was
built with ``include_invalid=True``) are dashed and grey. The layout is deterministic.

Example:
    >>> from graphmem import viz
    >>> g = memory.graph(run_id="landing-page")  # doctest: +SKIP
    >>> viz.render_png(g, "team.png")  # doctest: +SKIP
    >>> viz.render_html(g, "team.html")  # drag the nodes, hover the arrows  # doctest: +SKIP
    >>> viz.draw(g)  # in a notebook  # doctest: +SKIP

PNG, SVG and ``draw`` need matplotlib (``pip install 'graphmem[notebooks]'``); HTML does not.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from graphmem.errors import InvalidInputError
from graphmem.viz._layout import GraphView, prepare

if TYPE_CHECKING:
    import networkx as nx
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "FORMATS",
    "GraphView",
    "draw",
    "figure",
    "prepare",
    "render",
    "render_html",
    "render_png",
    "render_svg",
    "to_html",
]

#: File extensions :func:`render` understands.
FORMATS = (".png", ".svg", ".html", ".htm")


def _title(graph: nx.MultiDiGraph, title: str | None) -> str:
    if title is not None:
        return title
    return f"{graph.number_of_nodes()} entities, {graph.number_of_edges()} relations"


def draw(
    graph: nx.MultiDiGraph, ax: Axes | None = None, *, title: str | None = None, show_closed: bool = True
) -> Axes:
    """Draw ``graph`` on matplotlib axes; in Jupyter, the picture appears under the cell.

    Args:
        graph: a scope's graph, from ``Memory.graph(...)``.
        ax: the axes to draw on; by default a new pyplot figure sized to the graph.
        title: shown above the drawing; default "N entities, M relations".
        show_closed: draw closed relations (dashed, grey) when the graph has them.

    Returns:
        The axes drawn on.
    """
    from graphmem.viz import _mpl

    return _mpl.draw_on(prepare(graph, show_closed=show_closed), ax, _title(graph, title))


def figure(graph: nx.MultiDiGraph, *, title: str | None = None, show_closed: bool = True) -> Figure:
    """A matplotlib ``Figure`` (not registered with pyplot) sized to ``graph``, drawn."""
    from graphmem.viz import _mpl

    view = prepare(graph, show_closed=show_closed)
    fig, ax = _mpl.new_figure(view)
    _mpl.draw_view(view, ax, _title(graph, title))
    return fig


def render_png(
    graph: nx.MultiDiGraph, path: str | PathLike[str], *, title: str | None = None, show_closed: bool = True,
    dpi: int = 150,
) -> Path:  # fmt: skip
    """Write ``graph`` as a PNG picture; returns the path written.

    ``dpi`` is lowered for very large graphs so the image stays under about 7000 pixels a side.
    """
    from graphmem.viz import _mpl

    return _mpl.save(prepare(graph, show_closed=show_closed), Path(path), "png", _title(graph, title), dpi)


def render_svg(
    graph: nx.MultiDiGraph, path: str | PathLike[str], *, title: str | None = None, show_closed: bool = True
) -> Path:
    """Write ``graph`` as an SVG picture (labels kept as text); returns the path written."""
    from graphmem.viz import _mpl

    return _mpl.save(prepare(graph, show_closed=show_closed), Path(path), "svg", _title(graph, title), 72)


def to_html(graph: nx.MultiDiGraph, *, title: str | None = None, show_closed: bool = True) -> str:
    """A self-contained interactive HTML page of ``graph``: inline SVG and JavaScript, nothing fetched.

    Nodes can be dragged (a small force layout settles the rest), the view pans and zooms, hovering
    an arrow shows each fact with who said it and when it held; a table lists every fact.
    """
    from graphmem.viz import _html

    return _html.page(prepare(graph, show_closed=show_closed), _title(graph, title))


def render_html(
    graph: nx.MultiDiGraph, path: str | PathLike[str], *, title: str | None = None, show_closed: bool = True
) -> Path:
    """Write :func:`to_html`'s page to ``path``; returns the path written."""
    out = Path(path)
    out.write_text(to_html(graph, title=title, show_closed=show_closed), encoding="utf-8")
    return out


def render(
    graph: nx.MultiDiGraph, path: str | PathLike[str], *, title: str | None = None, show_closed: bool = True
) -> Path:
    """Write ``graph`` in the format named by the file's extension: ``.png``, ``.svg`` or ``.html``.

    Raises:
        InvalidInputError: the extension is none of those.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix == ".png":
        return render_png(graph, out, title=title, show_closed=show_closed)
    if suffix == ".svg":
        return render_svg(graph, out, title=title, show_closed=show_closed)
    if suffix in (".html", ".htm"):
        return render_html(graph, out, title=title, show_closed=show_closed)
    raise InvalidInputError(
        f"cannot tell the picture format from {out.name!r}; use one of {', '.join(FORMATS)}"
    )
