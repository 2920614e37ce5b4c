"""ask(): retrieve, answer citing who said what, store the answer attributed to its name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openai_stub import OpenAIStub

from graphmem.errors import EmptyContentError, LLMUnavailableError
from graphmem.llms.openai import OpenAILLM
from graphmem.pipeline.ask import NO_MEMORIES_ANSWER, ask


class FakeMemory:
    """Records calls to the two public methods ask may use."""

    def __init__(self, results: list[dict[str, Any]], relations: list[dict[str, Any]]) -> None:
        self.found = {"results": results, "relations": relations}
        self.searches: list[tuple[str, dict[str, Any]]] = []
        self.adds: list[tuple[list[dict[str, Any]], dict[str, Any]]] = []

    def search(self, query: str, **kwargs: Any) -> dict[str, Any]:
        self.searches.append((query, kwargs))
        return self.found

    def add(self, messages: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        self.adds.append((messages, kwargs))
        return {"results": [{"id": "mem-answer", "memory": messages[0]["content"], "event": "ADD"}]}


MEMORIES = [
    {"id": "m2", "memory": "I'll take the hero section copy.", "actor_id": "Bob", "role": "user",
     "created_at": "2024-05-03T10:15:00.000000+00:00", "score": 0.8},
    {"id": "m1", "memory": "Bob and I are building the landing page.", "actor_id": "Alice", "role": "user",
     "created_at": "2024-05-01T09:00:00.000000+00:00", "score": 0.7},
]  # fmt: skip
RELATIONS = [{"source": "Bob", "relationship": "RESPONSIBLE_FOR", "destination": "hero section copy",
              "fact": "Bob is responsible for the hero section copy", "actor_id": "Bob"}]  # fmt: skip


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as s:
        yield s


@pytest.fixture
def llm(stub: OpenAIStub) -> OpenAILLM:
    return OpenAILLM("gpt-4o-mini", api_key="sk-test", base_url=stub.base_url, backoff=0.01)


def test_answers_citing_speakers_and_stores_the_answer(stub: OpenAIStub, llm: OpenAILLM) -> None:
    memory = FakeMemory(MEMORIES, RELATIONS)
    stub.reply_text("Bob said on 3 May that he would take the hero section copy.")
    out = ask(memory, "Who writes the hero copy?", llm=llm, scope_kwargs={"run_id": "landing"},
              limit=5, answer_name="helper-bot")  # fmt: skip

    assert out["answer"] == "Bob said on 3 May that he would take the hero section copy."
    assert out["memories"] == MEMORIES and out["relations"] == RELATIONS
    assert out["usage"]["total_tokens"] == 18 and out["stored"] == ["mem-answer"]
    assert memory.searches == [("Who writes the hero copy?", {"limit": 5, "run_id": "landing"})]

    messages = stub.chat_requests[0].body["messages"]
    assert "who said what" in messages[0]["content"].lower()
    context = messages[1]["content"]
    # oldest first, each with speaker and time; relations with who stated them
    assert context.index("[2024-05-01 09:00 UTC] Alice: Bob and I") < context.index(
        "[2024-05-03 10:15 UTC] Bob:"
    )
    assert (
        "Bob RESPONSIBLE_FOR hero section copy: Bob is responsible for the hero section copy (stated by Bob)"
        in context
    )
    assert context.endswith("Question: Who writes the hero copy?")

    [(stored, kwargs)] = memory.adds
    assert stored == [{"role": "assistant", "name": "helper-bot", "content": out["answer"]}]
    assert kwargs == {"infer": False, "metadata": {"source": "ask", "question": "Who writes the hero copy?"},
                      "run_id": "landing"}  # fmt: skip


def test_store_answer_false_stores_nothing(stub: OpenAIStub, llm: OpenAILLM) -> None:
    memory = FakeMemory(MEMORIES, [])
    stub.reply_text("Bob.")
    out = ask(memory, "Who?", llm=llm, scope_kwargs={"user_id": "u"}, store_answer=False)
    assert out["answer"] == "Bob." and out["stored"] == [] and memory.adds == []


def test_nothing_found_means_no_call_and_nothing_stored(stub: OpenAIStub, llm: OpenAILLM) -> None:
    memory = FakeMemory([], [])
    out = ask(memory, "Who?", llm=llm, scope_kwargs={"user_id": "u"})
    assert out == {"answer": NO_MEMORIES_ANSWER, "memories": [], "relations": [],
                   "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "calls": 0},
                   "stored": []}  # fmt: skip
    assert stub.chat_requests == [] and memory.adds == []


def test_an_unreachable_llm_stores_nothing(llm: OpenAILLM, stub: OpenAIStub) -> None:
    memory = FakeMemory(MEMORIES, [])
    for _ in range(4):
        stub.reply_error(500, "down")
    with pytest.raises(LLMUnavailableError):
        ask(memory, "Who?", llm=llm, scope_kwargs={"user_id": "u"})
    assert memory.adds == []


def test_an_empty_question_is_rejected(llm: OpenAILLM) -> None:
    with pytest.raises(EmptyContentError):
        ask(FakeMemory(MEMORIES, []), "  ", llm=llm, scope_kwargs={"user_id": "u"})
