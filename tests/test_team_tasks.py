"""Tasks and meetings on the graph vocabulary, on every store."""

from __future__ import annotations

import pytest

from graphmem import InvalidInputError, Memory
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
RUN = "team"


@pytest.fixture
def memory(store: Store, hashing_embedder: HashingEmbedder) -> Memory:
    return Memory(store=store, embedder=hashing_embedder)


def rels(
    m: Memory, relationship: str, include_invalid: bool = False
) -> list[tuple[str, str, str | None, bool]]:
    return sorted(
        (r["source"], r["destination"], r["actor_id"], r["valid_to"] is None)
        for r in m.relations(run_id=RUN, relationship=relationship, include_invalid=include_invalid)
    )


def test_assign_writes_an_attributed_memory_and_the_relations(memory: Memory) -> None:
    task = memory.tasks.assign(RUN, "hero copy", "Bob", by="Alice", when=T0)
    assert task["task"] == "hero copy" and task["status"] == "TODO" and task["assignees"] == ["Bob"]
    rec = memory.get(task["memory_id"])
    assert (rec["actor_id"], rec["memory"]) == ("Alice", "Task hero copy assigned to Bob.")
    assert rec["metadata"] == {"kind": "task_assign", "task": "hero copy", "assignee": "Bob"}
    assert rels(memory, "RESPONSIBLE_FOR") == [("Bob", "hero copy", "Alice", True)]
    assert rels(memory, "HAS_STATUS") == [("hero copy", "to do", "Alice", True)]
    provenance = memory.relations(run_id=RUN, relationship="RESPONSIBLE_FOR")[0]["memory_ids"]
    assert provenance == [task["memory_id"]]
    memory.tasks.assign(RUN, "hero copy", "Carol", by="Alice", when=T0 + 1)  # a second assignee
    assert memory.tasks.get(RUN, "hero copy")["assignees"] == ["Bob", "Carol"]
    assert len(rels(memory, "HAS_STATUS", include_invalid=True)) == 1  # no second TODO


def test_a_status_change_closes_the_previous_status(memory: Memory) -> None:
    memory.tasks.assign(RUN, "hero copy", "Bob", by="Alice", when=T0)
    memory.tasks.set_status(RUN, "hero copy", "IN_PROGRESS", by="Bob", when=T0 + 60)
    done = memory.tasks.set_status(RUN, "hero copy", "DONE", by="Bob", when=T0 + 120)
    assert done["status"] == "DONE" and done["updated_by"] == "Bob"
    assert rels(memory, "HAS_STATUS", include_invalid=True) == [
        ("hero copy", "done", "Bob", True), ("hero copy", "in progress", "Bob", False),
        ("hero copy", "to do", "Alice", False)]  # fmt: skip
    as_of = memory.relations(run_id=RUN, relationship="HAS_STATUS", as_of=T0 + 90)
    assert [r["destination"] for r in as_of] == ["in progress"]
    # deleting the memory that recorded DONE removes its fact and reopens IN_PROGRESS
    memory.delete(done["memory_id"])
    assert memory.tasks.get(RUN, "hero copy")["status"] == "IN_PROGRESS"


def test_list_by_status_and_assignee_and_due_dates(memory: Memory) -> None:
    memory.tasks.assign(RUN, "hero copy", "Bob", by="Alice", when=T0)
    memory.tasks.assign(RUN, "screenshots", "Carol", by="Alice", when=T0 + 1)
    memory.tasks.assign(RUN, "analytics", "Bob", by="Alice", when=T0 + 2)
    memory.tasks.set_status(RUN, "analytics", "REVIEW", by="Bob", when=T0 + 3)
    memory.tasks.due(RUN, "screenshots", "2026-02-01", by="Alice", when=T0 + 4)
    memory.tasks.due(RUN, "screenshots", "2026-02-03", by="Alice", when=T0 + 5)  # moved: one due date
    assert [(t["task"], t["status"]) for t in memory.tasks.list(RUN)] == [
        ("screenshots", "TODO"), ("hero copy", "TODO"), ("analytics", "REVIEW")]  # fmt: skip
    assert [t["task"] for t in memory.tasks.list(RUN, assignee="bob")] == ["hero copy", "analytics"]
    assert [t["task"] for t in memory.tasks.list(RUN, status="REVIEW")] == ["analytics"]
    assert memory.tasks.get(RUN, "screenshots")["due"] == "2026-02-03"
    assert memory.tasks.get(RUN, "nothing like this") is None


def test_tasks_said_in_conversation_are_tasks_too(memory: Memory) -> None:
    memory.add([{"role": "user", "name": "Bob", "content": "I'll take the hero section copy."}], run_id=RUN,
               timestamp=T0)  # fmt: skip
    memory.add(
        [{"role": "user", "name": "Carol", "content": "I'll do the screenshots."}],
        run_id=RUN,
        timestamp=T0 + 1,
    )
    memory.add([{"role": "user", "name": "Carol", "content": "Finished the screenshots."}], run_id=RUN,
               timestamp=T0 + 2)  # fmt: skip
    states = {t["task"]: t for t in memory.tasks.list(RUN)}
    assert states["hero section copy"]["status"] == "TODO" and states["hero section copy"]["assignees"] == [
        "Bob"
    ]
    assert states["screenshots"]["status"] == "DONE"
    # a structured change resolves to the entity the conversation created
    memory.tasks.set_status(RUN, "Hero section copy", "IN_PROGRESS", by="Bob", when=T0 + 3)
    assert memory.tasks.get(RUN, "hero section copy")["status"] == "IN_PROGRESS"
    assert len(memory.tasks.list(RUN)) == 2


def test_bad_task_input_writes_nothing(memory: Memory) -> None:
    for call in (
        lambda: memory.tasks.set_status(RUN, "hero copy", "FINISHED", by="Bob"),
        lambda: memory.tasks.set_status(RUN, "hero copy", "DONE"),  # a plain Memory needs by=
        lambda: memory.tasks.assign(RUN, "  ", "Bob", by="Alice"),
        lambda: memory.tasks.assign(RUN, "hero copy", "", by="Alice"),
        lambda: memory.tasks.due(RUN, "hero copy", "next friday", by="Alice"),
        lambda: memory.meetings.record(RUN, "Standup", attendees=[], by="Alice"),
        lambda: memory.meetings.record(RUN, "Standup", attendees="Alice", by="Alice"),
        lambda: memory.meetings.record(
            RUN, "Standup", attendees=["Alice"], action_items=[("Bob",)], by="Alice"
        ),
    ):
        with pytest.raises(InvalidInputError):
            call()
    assert memory.get_all(run_id=RUN) == {"results": [], "relations": []}


def test_a_meeting_links_attendees_agenda_and_action_items(memory: Memory) -> None:
    out = memory.meetings.record(
        RUN, "Kickoff", attendees=["Alice", "Bob", "Carol"], agenda=["scope", "launch date"],
        action_items=[("Bob", "hero copy"), ("Carol", "screenshots")],
        notes="We decided to use Figma for the mockups.", by="Alice", when=T0,
    )  # fmt: skip
    assert len(out["memory_ids"]) == 2
    meeting, notes = (memory.get(i) for i in out["memory_ids"])
    assert meeting["actor_id"] == notes["actor_id"] == "Alice"
    assert meeting["metadata"]["kind"] == "meeting" and notes["metadata"] == {
        "kind": "meeting_notes",
        "title": "Kickoff",
    }
    assert rels(memory, "ATTENDED") == [(p, "Kickoff", "Alice", True) for p in ("Alice", "Bob", "Carol")]
    assert rels(memory, "PART_OF") == [
        ("launch date", "Kickoff", "Alice", True),
        ("scope", "Kickoff", "Alice", True),
    ]
    assert [(t["task"], t["assignees"], t["status"]) for t in memory.tasks.list(RUN)] == [
        ("hero copy", ["Bob"], "TODO"), ("screenshots", ["Carol"], "TODO")]  # fmt: skip
    decided = memory.relations(run_id=RUN, relationship="DECIDED")
    assert decided and decided[0]["memory_ids"] == [out["memory_ids"][1]]  # extracted from the notes
    assert memory.meetings.list(RUN) == [{
        "title": "Kickoff", "when": meeting["created_at"], "by": "Alice", "attendees": ["Alice", "Bob", "Carol"],
        "agenda": ["scope", "launch date"], "action_items": [("Bob", "hero copy"), ("Carol", "screenshots")],
        "memory_id": meeting["id"]}]  # fmt: skip
