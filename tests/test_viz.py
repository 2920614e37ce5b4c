"""graphmem.viz: valid, non-blank pictures with readable, separated labels; a self-contained page."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from graphmem import InvalidInputError, Memory, viz
from graphmem.cli import DEMO_CONVERSATION, main
from graphmem.viz._layout import TYPE_COLOURS, label_box

pytest.importorskip("matplotlib")
import matplotlib.image as mpimg

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUN = "landing-page"


def _config(path: Path) -> dict[str, object]:
    return {
        "graph_store": {"provider": "embedded", "config": {"path": str(path)}},
        "embedder": {"provider": "hashing"},
    }


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The landing-page team plus a move (Paris -> Berlin), so one relation is closed."""
    path = tmp_path_factory.mktemp("viz-store")
    with Memory.from_config(_config(path)) as m:
        for speaker, text in DEMO_CONVERSATION:
            m.add([{"role": "user", "name": speaker, "content": text}], run_id=RUN)
        m.add([{"role": "user", "name": "Erin", "content": "I live in Paris."}], run_id=RUN)
        m.add([{"role": "user", "name": "Erin", "content": "I moved to Berlin last month."}], run_id=RUN)
    return path


@pytest.fixture
def memory(store_dir: Path) -> Iterator[Memory]:
    with Memory.from_config(_config(store_dir)) as m:
        yield m


@pytest.fixture
def team(memory: Memory) -> nx.MultiDiGraph:
    return memory.graph(run_id=RUN, include_invalid=True)


def _rgb(path: Path) -> np.ndarray:
    image = mpimg.imread(path)
    return np.asarray(image[..., :3] * 255, dtype=np.uint8)


def test_png_is_valid_and_not_blank(team: nx.MultiDiGraph, tmp_path: Path) -> None:
    out = viz.render_png(team, tmp_path / "team.png")
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    pixels = _rgb(out)
    height, width, _ = pixels.shape
    assert width >= 800 and height >= 600, "a 17-entity graph needs room"
    assert pixels.std() > 20, "the picture is (almost) one colour"
    colours = {tuple(int(c) for c in px) for px in pixels.reshape(-1, 3)[::7]}
    assert len(colours) > 50
    # Every entity type present is drawn in its own colour: people blue, places brown, ...
    for kind in ("PERSON", "PLACE", "PROJECT", "TASK"):
        want = np.array([int(TYPE_COLOURS[kind][i : i + 2], 16) for i in (1, 3, 5)])
        close = np.abs(pixels.astype(int) - want).sum(axis=-1) < 12
        assert close.sum() > 200, f"no {kind} nodes drawn"


def _overlapping_labels(view: viz.GraphView) -> list[tuple[str, str]]:
    boxes = []
    for n in view.nodes:
        left, bottom, right, top = label_box(n.label, n.radius_pt, n.side)
        boxes.append((n.name, n.x + left, n.y + bottom, n.x + right, n.y + top))
    return [
        (a, b)
        for (a, ax0, ay0, ax1, ay1), (b, bx0, by0, bx1, by1) in itertools.combinations(boxes, 2)
        if min(ax1, bx1) - max(ax0, bx0) > 0.01 and min(ay1, by1) - max(ay0, by0) > 0.01
    ]


def test_layout_keeps_node_labels_apart(team: nx.MultiDiGraph) -> None:
    view = viz.prepare(team)
    assert {n.name for n in view.nodes} >= {"Alice", "Bob", "Carol", "David", "Erin", "Paris", "Berlin"}
    assert _overlapping_labels(view) == []
    for a, b in itertools.combinations(view.nodes, 2):
        assert np.hypot(a.x - b.x, a.y - b.y) > 0.4, f"{a.name} and {b.name} are piled up"


def test_layout_is_deterministic_and_independent_of_ids(team: nx.MultiDiGraph) -> None:
    first = viz.prepare(team)
    renamed = nx.relabel_nodes(team, {n: f"other-{i}" for i, n in enumerate(reversed(list(team.nodes)))})
    again = viz.prepare(renamed)
    assert [(n.name, n.x, n.y, n.side) for n in first.nodes] == [
        (n.name, n.x, n.y, n.side) for n in again.nodes
    ]


def test_closed_relations_are_kept_apart_and_can_be_hidden(team: nx.MultiDiGraph) -> None:
    view = viz.prepare(team)
    closed = [e for e in view.edges if not e.current]
    assert closed and all(f["valid_to"] for e in closed for f in e.facts)
    assert any("LIVES_IN" in e.types for e in closed)
    assert view.has_closed
    assert not viz.prepare(team, show_closed=False).has_closed


def test_parallel_facts_share_one_labelled_arrow(team: nx.MultiDiGraph) -> None:
    view = viz.prepare(team)
    names = {n.id: n.name for n in view.nodes}
    figma = [e for e in view.edges if names[e.source] == "Alice" and names[e.target] == "Figma"]
    assert len(figma) == 1 and set(figma[0].types) == {"DECIDED", "USES"}


def test_svg_keeps_labels_as_text(team: nx.MultiDiGraph, tmp_path: Path) -> None:
    svg = viz.render_svg(team, tmp_path / "team.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for label in ("Alice", "Bob", "Carol", "David", "Figma", "WORKS_WITH", "RESPONSIBLE_FOR"):
        assert label in svg


def test_html_is_self_contained(team: nx.MultiDiGraph, tmp_path: Path) -> None:
    page = viz.render_html(team, tmp_path / "team.html", title="The team").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>The team</title>" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I), "loads something remote"
    assert "<link" not in page and "@import" not in page and "<script src" not in page
    for name in ("Alice", "Bob", "Carol", "David", "hero section copy", "Berlin"):
        assert name in page
    # the facts and who said them are in the page (tooltips and the table)
    assert "Bob is responsible for hero section copy" in page and "said by" in page


def test_html_escapes_hostile_names(tmp_path: Path) -> None:
    g = nx.MultiDiGraph()
    g.add_node("a", name="</script><script>alert(1)</script>", type="PERSON")
    g.add_node("b", name="<img src=x onerror=alert(2)>", type="THING")
    g.add_edge("a", "b", key="r", relationship="OWNS", fact="<b>bold</b>", actor_id="<i>me</i>")
    page = viz.to_html(g, title="<title>")
    assert "<script>alert(1)" not in page and "<img src=x" not in page and "<b>bold" not in page
    assert page.count("<script>") == 1 and page.count("</script>") == 1


def test_empty_graph_renders_everywhere(tmp_path: Path) -> None:
    empty = nx.MultiDiGraph()
    png = viz.render_png(empty, tmp_path / "empty.png")
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    assert _rgb(png).std() > 1, "says that the scope is empty"
    assert "No entities" in viz.render_svg(empty, tmp_path / "empty.svg").read_text()
    assert "No relations in this scope yet." in viz.to_html(empty)


def test_any_networkx_graph_can_be_drawn(tmp_path: Path) -> None:
    g = nx.MultiDiGraph(nx.karate_club_graph())  # integer ids, no graphmem attributes, 156 arrows
    view = viz.prepare(g)
    assert len(view.nodes) == 34 and all(e.types == ("RELATED_TO",) for e in view.edges)
    assert {n.name for n in view.nodes} == {str(i) for i in range(34)}
    assert _overlapping_labels(view) == [], "a dense core must not jam"
    # a busy picture leaves out the arrow labels it cannot place clear of the others
    assert any(not e.labelled for e in view.edges) and any(e.labelled for e in view.edges)
    assert viz.render_png(g, tmp_path / "karate.png").stat().st_size > 50_000


def test_render_picks_the_format_from_the_extension(team: nx.MultiDiGraph, tmp_path: Path) -> None:
    assert viz.render(team, tmp_path / "a.PNG").read_bytes()[:8] == PNG_SIGNATURE
    assert "<svg" in viz.render(team, tmp_path / "a.svg").read_text()
    assert viz.render(team, tmp_path / "a.html").read_text().startswith("<!DOCTYPE html>")
    with pytest.raises(InvalidInputError, match=r"extension|format"):
        viz.render(team, tmp_path / "a.gif")


def test_draw_on_given_axes(team: nx.MultiDiGraph) -> None:
    from matplotlib.figure import Figure

    ax = Figure(figsize=(10, 8)).add_subplot()
    assert viz.draw(team, ax, title="team") is ax
    texts = {t.get_text() for t in ax.texts}
    assert {"Alice", "Bob", "WORKS_WITH"} <= texts
    assert ax.get_legend() is not None
    assert viz.figure(team).get_size_inches()[0] >= 6


def test_cli_graph_command(store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # the CLI builds its own Memory; use the hashing embedder the store was written with
    monkeypatch.setattr(
        "graphmem.cli._memory", lambda path: Memory.from_config(_config(Path(path or store_dir)))
    )
    png = tmp_path / "x.png"
    assert main(["graph", "--run-id", RUN, "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == PNG_SIGNATURE and _rgb(png).std() > 20
    assert "entities" in capsys.readouterr().out
    page = tmp_path / "x.html"
    assert (
        main(["graph", "--run-id", RUN, "--dir", str(store_dir), "--include-invalid", "--out", str(page)])
        == 0
    )
    assert "Paris" in page.read_text()
    assert main(["graph", "--run-id", RUN, "--out", str(tmp_path / "x.gif")]) == 2
    assert "InvalidInputError" in capsys.readouterr().err
    assert main(["graph", "--out", str(png)]) == 2  # a scope is required
