"""The landing-page team scenario: as a test on every store, and as ``graphmem demo --team``."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmem import Memory
from graphmem.cli import main
from graphmem.collab import demo
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store


def play(m: Memory) -> str:
    lines: list[str] = []
    demo.run(m, echo=lines.append)
    return "\n".join(lines)


def test_the_team_scenario(store: Store, hashing_embedder: HashingEmbedder) -> None:
    m = Memory(store=store, embedder=hashing_embedder)
    out = play(m)
    run = demo.RUN
    assert m.projects.members(run) == {
        "Alice": "admin",
        "Bob": "member",
        "Carol": "member",
        "David": "member",
    }

    # Bob could not delete Alice's decision, and it is still there
    assert "Bob tries to delete Alice's decision: denied" in out
    assert any(e["memory"] == "We decided to use Figma for the mockups." for e in m.timeline(run_id=run))

    timeline = m.timeline(run_id=run)
    assert [e["created_at"] for e in timeline] == sorted(e["created_at"] for e in timeline)
    assert {e["actor_id"] for e in timeline} == set(demo.PEOPLE)
    assert "09:05:00 Bob: I'll take the hero section copy." in out

    tasks = {t["task"]: t for t in m.tasks.list(run)}
    assert {name: t["status"] for name, t in tasks.items()} == {
        "hero section copy": "DONE", "analytics dashboard": "DONE", "screenshots": "IN_PROGRESS",
        "pricing table": "TODO"}  # fmt: skip
    assert (
        tasks["hero section copy"]["assignees"] == ["Bob"]
        and tasks["hero section copy"]["due"] == "2026-03-04"
    )
    history = m.relations(
        run_id=run, entity="hero section copy", relationship="HAS_STATUS", include_invalid=True
    )
    assert sorted(r["destination"] for r in history) == ["done", "in progress", "in review", "to do"]

    rows = {c["actor_id"]: c for c in m.contributions(run_id=run)}
    assert rows["Bob"]["completed"] == ["hero section copy"]
    assert rows["David"]["completed"] == ["analytics dashboard"]
    assert rows["Alice"]["memories"] == max(c["memories"] for c in rows.values())

    meeting = m.meetings.list(run)[0]
    assert meeting["title"] == "Landing page kickoff" and meeting["attendees"] == list(demo.PEOPLE)
    assert ("Carol", "screenshots") in meeting["action_items"]

    mates = {w["person"]: w for w in m.who_works_with("David", run_id=run)}
    assert mates["Carol"]["direct"] and "new landing page" in mates["Alice"]["shared"]
    for heading in ("Timeline", "Contributions", "Tasks by status", "Who works with whom", "Summary"):
        assert f"\n{heading}" in out
    assert "  DONE\n    hero section copy (Bob, due 2026-03-04)" in out

    # playing it again replaces the run: same output, nothing doubled
    assert play(m) == out
    assert len(m.timeline(run_id=run)) == len(timeline)


@pytest.mark.slow
def test_demo_team_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the hashing embedder keeps the command quick; the scenario itself is embedder-independent
    monkeypatch.setattr("graphmem.cli._memory", lambda path: Memory.from_config(
        {"graph_store": {"provider": "embedded", "config": {"path": path}}, "embedder": {"provider": "hashing"}}))  # fmt: skip
    assert main(["demo", "--team", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for heading in ("Timeline", "Contributions", "Tasks by status", "Who works with whom"):
        assert heading in out
    assert "Alice (admin), Bob (member), Carol (member), David (member)" in out
    assert "14:00:00 Bob: Task hero section copy status: DONE" in out
    assert "David  Carol (directly)" in out
