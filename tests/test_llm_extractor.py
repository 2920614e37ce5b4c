"""LLMExtractor through the real openai client: one call, speakers in, attribution out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openai_stub import OpenAIStub

from graphmem.errors import ExtractionError
from graphmem.extractors.base import ExtractionContext, Extractor, Turn
from graphmem.extractors.llm import LLMExtractor, relation_type
from graphmem.extractors.prompts.extraction import FACT_EXTRACTION_PROMPT
from graphmem.llms.openai import OpenAILLM

T0 = "2024-05-01T09:00:00.000000+00:00"


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as s:
        yield s


@pytest.fixture
def extractor(stub: OpenAIStub) -> LLMExtractor:
    return LLMExtractor(OpenAILLM("gpt-4o-mini", api_key="sk-test", base_url=stub.base_url, backoff=0.01))


def conversation() -> list[Turn]:
    return [
        Turn(0, "Bob and I are building the new landing page.", "Alice", "user", T0),
        Turn(1, "I'll take the hero section copy.", "Bob", "user", T0),
        Turn(2, "Noted. Carol reviews the copy on Friday.", "planner", "assistant", T0),
    ]


CONTEXT = ExtractionContext(default_actor="alice-account", actors=["Alice", "Bob"],
                            known_entities=[("Landing page", "PROJECT")])  # fmt: skip


def rel(
    source: str, relationship: str, destination: str, actor: str | None, turn: int | None, **kw: Any
) -> dict[str, Any]:
    return {"source": source, "source_type": kw.get("source_type", "PERSON"), "relationship": relationship,
            "destination": destination, "destination_type": kw.get("destination_type", "THING"),
            "fact": kw.get("fact", ""), "actor": actor, "turn": turn}  # fmt: skip


def test_is_an_extractor(extractor: LLMExtractor) -> None:
    assert isinstance(extractor, Extractor) and extractor.name == "llm"


def test_speakers_go_to_the_model_and_come_back_on_facts_and_relations(
    stub: OpenAIStub, extractor: LLMExtractor
) -> None:
    stub.reply_json({
        "facts": [
            {"text": "Alice and Bob are building the new landing page", "actor": "Alice", "turns": [0]},
            {"text": "Bob will write the hero section copy", "actor": "Bob", "turns": [1]},
            {"text": "Carol reviews the copy on Friday", "actor": "planner", "turns": [2]},
        ],
        "entities": [{"name": "Alice", "type": "person", "turn": 0},
                     {"name": "Landing page", "type": "PROJECT", "turn": 0}],
        "relations": [
            rel("Alice", "WORKS_WITH", "Bob", "Alice", 0, destination_type="PERSON",
                fact="Alice works with Bob on the landing page"),
            rel("Bob", "responsible for", "hero section copy", "Bob", 1, destination_type="TASK"),
            rel("Carol", "REVIEWS", "hero section copy", "planner", 2),
        ],
    })  # fmt: skip
    extraction, usage = extractor.extract_with_usage(conversation(), CONTEXT)

    sent = stub.chat_requests[0].body["messages"]
    assert sent[0]["role"] == "system" and "actor" in sent[0]["content"]
    user = sent[1]["content"]
    assert "[0] Alice (user): Bob and I are building the new landing page." in user
    assert "[1] Bob (user): I'll take the hero section copy." in user
    assert "[2] planner (assistant):" in user
    assert "Landing page (PROJECT)" in user

    assert [(f.text, f.actor_id, f.turn_indexes) for f in extraction.facts] == [
        ("Alice and Bob are building the new landing page", "Alice", [0]),
        ("Bob will write the hero section copy", "Bob", [1]),
        ("Carol reviews the copy on Friday", "planner", [2]),
    ]
    assert [
        (r.source, r.relationship, r.destination, r.actor_id, r.turn_index) for r in extraction.relations
    ] == [
        ("Alice", "WORKS_WITH", "Bob", "Alice", 0),
        ("Bob", "RESPONSIBLE_FOR", "hero section copy", "Bob", 1),
        ("Carol", "REVIEWS", "hero section copy", "planner", 2),
    ]
    assert extraction.relations[0].fact == "Alice works with Bob on the landing page"
    assert extraction.relations[1].fact == "Bob responsible for hero section copy"  # filled when missing
    types = {e.name: e.type for e in extraction.entities}
    assert types["Alice"] == "PERSON" and types["Landing page"] == "PROJECT"
    assert types["Bob"] == "PERSON" and types["hero section copy"] == "TASK"  # relation endpoints added
    assert usage.calls == 1 and usage.total_tokens == 18
    assert len(stub.chat_requests) == 1  # one call per add


def test_an_actor_who_did_not_speak_falls_back_to_the_turns_speaker(
    stub: OpenAIStub, extractor: LLMExtractor
) -> None:
    stub.reply_json({
        "facts": [
            {"text": "Bob will write the hero copy", "actor": "Dave", "turns": [1]},   # not a speaker
            {"text": "Alice builds the landing page", "actor": "bob", "turns": [0]},   # a speaker, wrong turn
            {"text": "Alice is excited", "actor": "alice", "turns": []},               # case differs
            {"text": "Someone said something", "actor": "Zed", "turns": [99]},         # nothing valid
        ],
        "relations": [rel("Bob", "RESPONSIBLE_FOR", "hero copy", "Carol", 1)],
    })  # fmt: skip
    extraction = extractor.extract(conversation(), CONTEXT)
    assert [(f.actor_id, f.turn_indexes) for f in extraction.facts] == [
        ("Bob", [1]), ("Alice", [0]), ("Alice", []), ("alice-account", []),
    ]  # fmt: skip
    assert extraction.relations[0].actor_id == "Bob"


def test_first_person_entities_become_the_speaker(stub: OpenAIStub, extractor: LLMExtractor) -> None:
    stub.reply_json({"relations": [rel("I", "RESPONSIBLE_FOR", "hero copy", "Bob", 1, source_type="THING")],
                     "entities": [{"name": "me", "type": "THING", "turn": 1}]})  # fmt: skip
    extraction = extractor.extract(conversation(), CONTEXT)
    r = extraction.relations[0]
    assert (r.source, r.source_type) == ("Bob", "PERSON")
    assert (extraction.entities[0].name, extraction.entities[0].type) == ("Bob", "PERSON")


def test_unusable_relations_are_dropped(stub: OpenAIStub, extractor: LLMExtractor) -> None:
    stub.reply_json({"relations": [
        rel("Bob", "!!!", "copy", "Bob", 1),                 # no type left after normalising
        rel("Bob", "KNOWS", "bob", "Bob", 1),                # a self-loop
        rel("Bob", "x" * 80, "copy", "Bob", 1),              # longer than the allow-list permits
        rel("Bob", "works for", "Acme", "Bob", 1, destination_type="organization"),
    ]})  # fmt: skip
    extraction = extractor.extract(conversation(), CONTEXT)
    assert [(r.relationship, r.destination_type) for r in extraction.relations] == [
        ("WORKS_AT", "ORGANIZATION")
    ]


def test_unnamed_turns_use_the_default_actor(stub: OpenAIStub, extractor: LLMExtractor) -> None:
    stub.reply_json({"facts": [{"text": "The user likes tea", "actor": None, "turns": [0]}]})
    turns = [Turn(0, "I like tea", None, "user", T0)]
    extraction = extractor.extract(turns, ExtractionContext(default_actor="u1"))
    assert "[0] u1 (user): I like tea" in stub.chat_requests[0].body["messages"][1]["content"]
    assert extraction.facts[0].actor_id == "u1"


def test_no_turns_no_call(stub: OpenAIStub, extractor: LLMExtractor) -> None:
    extraction, usage = extractor.extract_with_usage([], CONTEXT)
    assert extraction.facts == [] and usage.calls == 0 and stub.chat_requests == []


def test_custom_and_per_call_prompts_replace_the_guidance_but_keep_the_contract(stub: OpenAIStub) -> None:
    llm = OpenAILLM("gpt-4o-mini", api_key="sk-test", base_url=stub.base_url)
    extractor = LLMExtractor(llm, fact_prompt="Only remember food preferences.")
    stub.reply_json({})
    stub.reply_json({})
    extractor.extract(conversation(), CONTEXT)
    extractor.extract_with_usage(conversation(), CONTEXT, prompt="Only remember deadlines.")
    custom, per_call = (r.body["messages"][0]["content"] for r in stub.chat_requests)
    assert custom.startswith("Only remember food preferences.")
    assert per_call.startswith("Only remember deadlines.")
    for system in (custom, per_call):
        assert FACT_EXTRACTION_PROMPT not in system
        assert '"actor" is the name of the speaker' in system and "RESPONSIBLE_FOR" in system


def test_malformed_answers_end_in_extraction_error(stub: OpenAIStub, extractor: LLMExtractor) -> None:
    for _ in range(3):
        stub.reply_text('{"facts": [{"text": "Bob')
    with pytest.raises(ExtractionError, match="extraction"):
        extractor.extract(conversation(), CONTEXT)
    assert len(stub.chat_requests) == 3


def test_a_truncated_answer_keeps_its_complete_facts(stub: OpenAIStub, extractor: LLMExtractor) -> None:
    stub.reply_text(
        '{"facts": [{"text": "Bob will write the copy", "actor": "Bob", "turns": [1]}, {"text": "Car'
    )
    extraction = extractor.extract(conversation(), CONTEXT)
    assert [(f.text, f.actor_id) for f in extraction.facts] == [("Bob will write the copy", "Bob")]


def test_procedural_summary(stub: OpenAIStub, extractor: LLMExtractor) -> None:
    stub.reply_text("Task objective: publish the landing page.\n1. Drafted copy -> done.")
    text, usage = extractor.summarize_procedural(conversation(), "planner")
    assert text.startswith("Task objective") and usage.calls == 1
    messages = stub.chat_requests[0].body["messages"]
    assert "procedural memory" in messages[0]["content"]
    assert messages[1]["content"].startswith("Agent: planner")
    assert "[1] Bob (user): I'll take the hero section copy." in messages[1]["content"]
    assert "response_format" not in stub.chat_requests[0].body


def test_an_empty_procedural_summary_is_an_error(stub: OpenAIStub, extractor: LLMExtractor) -> None:
    stub.reply_text("   ")
    with pytest.raises(ExtractionError, match="empty procedural summary"):
        extractor.summarize_procedural(conversation(), "planner")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("works with", "WORKS_WITH"), ("Works-For", "WORKS_AT"), ("  collaborates_with ", "WORKS_WITH"),
     ("HAS_STATUS", "HAS_STATUS"), ("9LIVES", None), ("", None), ("MENTORS", "MENTORS")],
)  # fmt: skip
def test_relation_type_normalisation(raw: str, expected: str | None) -> None:
    assert relation_type(raw) == expected
