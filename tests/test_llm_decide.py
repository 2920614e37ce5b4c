"""decide_updates through the real openai client: small ids out, real ids back, inventions refused."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from openai_stub import OpenAIStub

from graphmem.extractors.base import ExtractedFact
from graphmem.extractors.prompts.update import UPDATE_MEMORY_PROMPT
from graphmem.llms.openai import OpenAILLM
from graphmem.models import MemoryRecord, new_id, text_hash
from graphmem.pipeline.decide import Decision, decide_updates

T0 = "2024-05-01T09:00:00.000000+00:00"


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as s:
        yield s


@pytest.fixture
def llm(stub: OpenAIStub) -> OpenAILLM:
    return OpenAILLM("gpt-4o-mini", api_key="sk-test", base_url=stub.base_url, backoff=0.01)


def memory(text: str, actor: str = "Alice") -> MemoryRecord:
    return MemoryRecord(
        id=new_id(), memory=text, hash=text_hash(text), user_id="u", agent_id=None, run_id=None,
        actor_id=actor, role="user", metadata={}, memory_type=None, created_at=T0,
    )  # fmt: skip


def sent_payload(stub: OpenAIStub) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The memories and facts as the model saw them."""
    text = stub.chat_requests[0].body["messages"][1]["content"]
    memories_part, facts_part = text.split("New facts:")
    return json.loads(memories_part.split("Existing memories:")[1]), json.loads(facts_part)


def test_add_update_delete_none_map_back_to_real_ids(stub: OpenAIStub, llm: OpenAILLM) -> None:
    pizza, acme, friday = (
        memory("Alice likes pizza"),
        memory("Bob works at Acme", "Bob"),
        memory("Deadline is Friday"),
    )
    facts = [
        ExtractedFact("Alice loves pepperoni pizza", "Alice", [0]),
        ExtractedFact("Bob left Acme", "Bob", [1]),
        ExtractedFact("The deadline is Friday", "Carol", [2]),
        ExtractedFact("Dan lives in Lyon", "Dan", [3]),
    ]
    similar = {0: [(pizza, 0.9)], 1: [(acme, 0.8), (pizza, 0.1)], 2: [(friday, 0.95)], 3: [(pizza, 0.2)]}
    stub.reply_json({"decisions": [
        {"fact": 0, "event": "UPDATE", "id": 0, "text": "Alice loves pepperoni pizza"},
        {"fact": 1, "event": "DELETE", "id": "1", "text": ""},
        {"fact": 2, "event": "NONE", "id": 2, "text": ""},
        {"fact": 3, "event": "ADD", "id": None, "text": "Dan lives in Lyon"},
    ]})  # fmt: skip
    decisions, usage = decide_updates(llm, facts, similar)

    assert decisions == [
        Decision("UPDATE", 0, "Alice loves pepperoni pizza", "Alice", pizza.id, "Alice likes pizza"),
        Decision("DELETE", 1, "Bob left Acme", "Bob", acme.id, "Bob works at Acme"),
        Decision("NONE", 2, "The deadline is Friday", "Carol", friday.id, "Deadline is Friday"),
        Decision("ADD", 3, "Dan lives in Lyon", "Dan"),
    ]
    assert usage.calls == 1
    memories, new = sent_payload(stub)
    # small integers in order of first appearance, each memory once, with who said it
    assert memories == [{"id": 0, "text": "Alice likes pizza", "actor": "Alice"},
                        {"id": 1, "text": "Bob works at Acme", "actor": "Bob"},
                        {"id": 2, "text": "Deadline is Friday", "actor": "Alice"}]  # fmt: skip
    assert new[1] == {"fact": 1, "text": "Bob left Acme", "actor": "Bob", "similar": [1, 0]}
    assert pizza.id not in stub.chat_requests[0].body["messages"][1]["content"]  # no UUIDs shown


def test_invented_ids_are_refused(stub: OpenAIStub, llm: OpenAILLM) -> None:
    m = memory("Alice likes pizza")
    facts = [ExtractedFact("Alice likes sushi", "Alice"), ExtractedFact("Alice hates olives", "Alice")]
    stub.reply_json({"decisions": [
        {"fact": 0, "event": "UPDATE", "id": 7, "text": "Alice likes sushi"},
        {"fact": 1, "event": "DELETE", "id": m.id, "text": ""},  # a real UUID it was never shown
    ]})  # fmt: skip
    decisions, _ = decide_updates(llm, facts, {0: [(m, 0.9)], 1: [(m, 0.5)]})
    assert [(d.event, d.memory_id) for d in decisions] == [("NONE", None), ("NONE", None)]


def test_update_or_delete_without_an_id_changes_nothing(stub: OpenAIStub, llm: OpenAILLM) -> None:
    m = memory("Alice likes pizza")
    stub.reply_json({"decisions": [{"fact": 0, "event": "UPDATE", "id": None, "text": "x"}]})
    decisions, _ = decide_updates(llm, [ExtractedFact("Alice likes sushi", "Alice")], {0: [(m, 0.9)]})
    assert decisions[0].event == "NONE"


def test_one_memory_is_not_changed_twice(stub: OpenAIStub, llm: OpenAILLM) -> None:
    m = memory("Alice likes pizza")
    facts = [
        ExtractedFact("Alice loves pizza", "Alice"),
        ExtractedFact("Alice likes thin-crust pizza", "Alice"),
        ExtractedFact("Alice stopped eating pizza", "Alice"),
    ]
    stub.reply_json({"decisions": [
        {"fact": 0, "event": "UPDATE", "id": 0, "text": "Alice loves pizza"},
        {"fact": 1, "event": "UPDATE", "id": 0, "text": "Alice likes thin-crust pizza"},
        {"fact": 2, "event": "DELETE", "id": 0, "text": ""},
    ]})  # fmt: skip
    decisions, _ = decide_updates(llm, facts, {0: [(m, 0.9)], 1: [(m, 0.9)], 2: [(m, 0.9)]})
    assert [d.event for d in decisions] == ["UPDATE", "ADD", "NONE"]
    assert decisions[1].text == "Alice likes thin-crust pizza" and decisions[1].memory_id is None


def test_skipped_facts_are_added_and_duplicate_decisions_ignored(stub: OpenAIStub, llm: OpenAILLM) -> None:
    m = memory("Alice likes pizza")
    facts = [ExtractedFact("Alice likes sushi", "Alice"), ExtractedFact("Alice likes ramen", "Alice")]
    stub.reply_json({"decisions": [
        {"fact": 0, "event": "NONE", "id": 0, "text": ""},
        {"fact": 0, "event": "ADD", "id": None, "text": ""},   # a second decision for fact 0
        {"fact": 5, "event": "ADD", "id": None, "text": ""},   # no such fact
        {"fact": 1, "event": "MERGE", "id": 0, "text": ""},    # no such event
    ]})  # fmt: skip
    decisions, _ = decide_updates(llm, facts, {0: [(m, 0.9)], 1: [(m, 0.9)]})
    assert [(d.event, d.fact_index) for d in decisions] == [("NONE", 0), ("ADD", 1)]


def test_no_call_when_nothing_needs_the_model(stub: OpenAIStub, llm: OpenAILLM) -> None:
    m = memory("Alice likes pizza.")
    facts = [ExtractedFact("alice likes  pizza", "Alice"), ExtractedFact("Bob likes tea", "Bob")]
    decisions, usage = decide_updates(llm, facts, {0: [(m, 0.99)]})
    assert [(d.event, d.memory_id, d.actor_id) for d in decisions] == [
        ("NONE", m.id, "Alice"),
        ("ADD", None, "Bob"),
    ]
    assert usage.calls == 0 and stub.chat_requests == []


def test_an_update_that_repeats_the_memory_is_none(stub: OpenAIStub, llm: OpenAILLM) -> None:
    m = memory("Alice likes pizza")
    stub.reply_json({"decisions": [{"fact": 0, "event": "UPDATE", "id": 0, "text": "Alice likes pizza"}]})
    decisions, _ = decide_updates(llm, [ExtractedFact("Alice enjoys pizza", "Alice")], {0: [(m, 0.9)]})
    assert decisions[0].event == "NONE" and decisions[0].memory_id == m.id


def test_custom_update_prompt_replaces_the_guidance_only(stub: OpenAIStub, llm: OpenAILLM) -> None:
    m = memory("Alice likes pizza")
    stub.reply_json({"decisions": []})
    decide_updates(llm, [ExtractedFact("Alice likes sushi", "Alice")], {0: [(m, 0.9)]},
                   custom_prompt="Never delete anything.")  # fmt: skip
    system = stub.chat_requests[0].body["messages"][0]["content"]
    assert system.startswith("Never delete anything.") and UPDATE_MEMORY_PROMPT not in system
    assert "never make up an id" in system
    assert stub.chat_requests[0].body["response_format"]["json_schema"]["name"] == "memory_update"
