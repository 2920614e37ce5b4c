"""Team views: timeline, memories by actor, contribution, search by one actor, and summaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from graphmem import ConfigError, Memory
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.llms.base import Usage
from graphmem.stores.base import Store

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
def memory(store: Store, hashing_embedder: HashingEmbedder) -> Memory:
    return Memory(store=store, embedder=hashing_embedder)


def say(m: Memory, who: str, text: str, minute: int, run_id: str = "team") -> str:
    out = m.add([{"role": "user", "name": who, "content": text}], run_id=run_id, timestamp=T0 + 60 * minute)
    return str(out["results"][0]["id"])


@pytest.fixture
def team(memory: Memory) -> Memory:
    say(memory, "Alice", "Bob and I are building the new landing page.", 0)
    say(memory, "Bob", "I'll take the hero section copy.", 1)
    say(memory, "Carol", "I live in Paris.", 2)
    say(memory, "Carol", "I moved to Berlin.", 3)  # closes Carol LIVES_IN Paris: still Carol's fact
    say(memory, "Bob", "Finished the hero section copy.", 4)  # COMPLETED, said in conversation
    memory.tasks.assign("team", "pricing table", "Carol", by="Alice", when=T0 + 300)
    memory.tasks.set_status("team", "pricing table", "DONE", by="Alice", when=T0 + 360)
    say(memory, "Alice", "We decided to use Figma for the mockups.", 7)
    say(memory, "Zed", "Unrelated talk in another run.", 8, run_id="other")
    return memory


def test_timeline_is_chronological_with_actor_and_time(team: Memory) -> None:
    lines = team.timeline(run_id="team")
    assert [e["actor_id"] for e in lines] == [
        "Alice",
        "Bob",
        "Carol",
        "Carol",
        "Bob",
        "Alice",
        "Alice",
        "Alice",
    ]
    assert [e["created_at"] for e in lines] == sorted(e["created_at"] for e in lines)
    assert lines[0]["line"] == "2026-01-01 00:00:00 Alice: Bob and I are building the new landing page."
    assert lines[5]["memory"] == "Task pricing table assigned to Carol."
    latest = team.timeline(run_id="team", limit=2)
    assert [e["memory"] for e in latest] == [
        lines[-2]["memory"],
        lines[-1]["memory"],
    ]  # the latest two, in order
    assert [e["memory"] for e in team.timeline(run_id="team", actor="Bob")] == [
        "I'll take the hero section copy.", "Finished the hero section copy."]  # fmt: skip


def test_memories_by_actor_counts_every_memory(team: Memory) -> None:
    groups = team.memories_by_actor(run_id="team", limit=1)
    assert [(g["actor_id"], g["count"]) for g in groups] == [("Alice", 4), ("Bob", 2), ("Carol", 2)]
    assert groups[0]["memories"][0]["memory"] == "We decided to use Figma for the mockups."  # newest


def test_contributions_count_memories_facts_and_completed_tasks(team: Memory) -> None:
    rows = {r["actor_id"]: r for r in team.contributions(run_id="team")}
    assert set(rows) == {"Alice", "Bob", "Carol"}
    assert rows["Carol"]["memories"] == 2
    assert rows["Carol"]["facts"] == 2  # Paris (closed) and Berlin: both asserted by Carol
    assert rows["Bob"]["completed"] == ["hero section copy"] and rows["Bob"]["tasks_completed"] == 1
    assert rows["Alice"]["completed"] == ["pricing table"]  # she set its status to DONE
    facts_by_alice = [
        r for r in team.relations(run_id="team", include_invalid=True) if r["actor_id"] == "Alice"
    ]
    assert rows["Alice"]["facts"] == len(facts_by_alice) > 3


def test_search_by_one_actor_is_applied_inside_retrieval(memory: Memory) -> None:
    for i in range(60):  # a busy speaker saying the same thing over and over
        say(memory, "Bob", f"release checklist item {i} for the release", i)
    say(memory, "Alice", "the release date moved to Friday", 70)
    found = memory.search("release checklist", run_id="team", filters={"actor_id": "Alice"}, limit=1)
    assert [r["memory"] for r in found["results"]] == ["the release date moved to Friday"]
    assert all(r["actor_id"] == "Bob" for r in memory.search("release", run_id="team",
                                                              filters={"actor_id": "Bob"})["results"])  # fmt: skip


def test_offline_summary_is_deterministic(team: Memory) -> None:
    s = team.summary(run_id="team")
    assert s == team.summary(run_id="team")
    assert "llm_summary" not in s
    assert s["counts"]["memories"] == 8 and s["counts"]["closed_relations"] >= 1
    assert s["tasks_by_status"] == {"DONE": 2}
    assert [d["decision"] for d in s["recent_decisions"]] == ["Figma"]
    assert {"person": "Alice", "works_with": ["Bob"]} in s["collaborators"]
    assert "Recent decisions:" in s["text"] and "Alice decided to use Figma" in s["text"]
    with pytest.raises(ConfigError):
        team.summary(run_id="team", use_llm=True)


class FakeLLM:
    """Records what it was asked; answers with a fixed summary."""

    model = "fake-1"

    def __init__(self) -> None:
        self.asked: list[Sequence[Any]] = []

    def complete_text(self, messages: Sequence[Any]) -> tuple[str, Usage]:
        self.asked.append(messages)
        return "  Bob finished the hero copy; Alice chose Figma.  ", Usage(10, 5, 15, 1)


def test_llm_summary_is_given_the_facts_and_the_timeline(
    store: Store, hashing_embedder: HashingEmbedder
) -> None:
    llm = FakeLLM()
    m = Memory(store=store, embedder=hashing_embedder, llm=llm)
    for minute, (who, text) in enumerate([("Alice", "We decided to use Figma for the mockups."),
                                          ("Bob", "Finished the hero section copy.")]):  # fmt: skip
        # infer=False: stored as said, with the offline extractor, so the fake is only asked to summarise
        m.add(
            [{"role": "user", "name": who, "content": text}],
            run_id="team",
            infer=False,
            timestamp=T0 + 60 * minute,
        )
    s = m.summary(run_id="team")
    assert s["llm_summary"] == "Bob finished the hero copy; Alice chose Figma."
    assert s["usage"] == {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "calls": 1}
    prompt = llm.asked[0][-1]["content"]
    assert "Alice decided to use Figma" in prompt and "Bob: Finished the hero section copy." in prompt
    assert "llm_summary" not in m.summary(run_id="team", use_llm=False) and len(llm.asked) == 1
