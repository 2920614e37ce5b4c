"""infer=True end to end: Memory -> real openai client -> HTTP -> the scripted server, on every store."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from openai_stub import OpenAIStub, Reply, StubRequest, chat_completion

from graphmem import (
    ConfigError,
    ExtractionError,
    InvalidInputError,
    LLMUnavailableError,
    Memory,
    MemoryConfig,
)
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store


def llm_memory(stub: OpenAIStub, store: Store, **extra: Any) -> Memory:
    cfg = MemoryConfig.from_dict({
        "llm": {"provider": "openai", "config": {"model": "gpt-4o-mini", "api_key": "sk-test-secret-123",
                                                 "base_url": stub.base_url, "timeout": 5, "max_retries": 2,
                                                 "backoff": 0.01}},
        **extra,
    })  # fmt: skip
    return Memory(cfg, store=store, embedder=HashingEmbedder())


def extraction(
    facts: list[tuple[str, str, list[int]]], relations: list[tuple[str, str, str, str, int]]
) -> dict:
    return {
        "facts": [{"text": t, "actor": a, "turns": turns} for t, a, turns in facts],
        "entities": [],
        "relations": [
            {"source": s, "source_type": "PERSON", "relationship": r, "destination": d,
             "destination_type": "ORGANIZATION" if r == "WORKS_AT" else "THING",
             "fact": f"{s} {r.lower().replace('_', ' ')} {d}", "actor": a, "turn": turn}
            for s, r, d, a, turn in relations
        ],
    }  # fmt: skip


def decide_by_text(plan: dict[str, tuple[str, str | None]]) -> Any:
    """A responder for the update call: {fact text: (event, text of the memory it targets)}."""

    def respond(req: StubRequest) -> Reply:
        prompt = req.body["messages"][-1]["content"]
        existing = json.loads(prompt.split("Existing memories:\n", 1)[1].split("\n\nNew facts:", 1)[0])
        new = json.loads(prompt.split("New facts:\n", 1)[1])
        ids = {m["text"]: m["id"] for m in existing}
        decisions = []
        for f in new:
            event, target = plan[f["text"]]
            decisions.append({"fact": f["fact"], "event": event, "id": ids.get(target) if target else None,
                              "text": f["text"]})  # fmt: skip
        return Reply(body=chat_completion(json.dumps({"decisions": decisions})))

    return respond


CONVERSATION = [
    {"role": "user", "name": "Alice", "content": "Bob and I are building the new landing page."},
    {"role": "user", "name": "Bob", "content": "I'll take the hero section copy."},
    {"role": "user", "name": "Carol", "content": "I work at Acme."},
]


def test_multi_speaker_facts_and_relations_keep_their_speakers(openai_stub: OpenAIStub, store: Store) -> None:
    m = llm_memory(openai_stub, store)
    openai_stub.reply_json(extraction(
        [("Alice and Bob are building the new landing page", "Alice", [0]),
         ("Bob is writing the hero section copy", "Bob", [1]),
         ("Carol works at Acme", "Bob", [2])],  # the model misattributes: the turn's speaker wins
        [("Alice", "WORKS_WITH", "Bob", "Alice", 0), ("Bob", "RESPONSIBLE_FOR", "hero section copy", "Bob", 1),
         ("Carol", "WORKS_AT", "Acme", "Carol", 2)],
    ))  # fmt: skip
    out = m.add(CONVERSATION, run_id="lp")
    assert out["extractor"] == "llm"
    assert [(r["memory"], r["actor_id"], r["event"]) for r in out["results"]] == [
        ("Alice and Bob are building the new landing page", "Alice", "ADD"),
        ("Bob is writing the hero section copy", "Bob", "ADD"),
        ("Carol works at Acme", "Carol", "ADD"),
    ]
    rels = {(r["source"], r["relationship"], r["destination"]): r for r in m.relations(run_id="lp")}
    assert rels[("Bob", "RESPONSIBLE_FOR", "hero section copy")]["actor_id"] == "Bob"
    assert rels[("Carol", "WORKS_AT", "Acme")]["actor_id"] == "Carol"
    assert rels[("Alice", "WORKS_WITH", "Bob")]["memory_ids"] == [out["results"][0]["id"]]
    assert out["usage"]["total_tokens"] > 0 and out["usage"]["calls"] == 1
    sent = openai_stub.chat_requests[0].body["messages"][-1]["content"]
    assert "Alice" in sent and "Bob" in sent and "Carol" in sent  # speaker names reach the model


def test_update_and_delete_decisions_with_history_and_closed_relations(
    openai_stub: OpenAIStub, store: Store
) -> None:
    m = llm_memory(openai_stub, store)
    openai_stub.reply_json(extraction(
        [("Carol works at Acme", "Carol", [0]), ("Carol likes green tea", "Carol", [0])],
        [("Carol", "WORKS_AT", "Acme", "Carol", 0)],
    ))  # fmt: skip
    first = m.add(
        [{"role": "user", "name": "Carol", "content": "I work at Acme and I like green tea."}], run_id="r"
    )
    acme_id, tea_id = (r["id"] for r in first["results"])

    openai_stub.reply_json(extraction(
        [("Carol works at Globex", "Carol", [0]), ("Carol no longer likes green tea", "Carol", [0])],
        [("Carol", "WORKS_AT", "Globex", "Carol", 0)],
    ))  # fmt: skip
    openai_stub.enqueue("chat", decide_by_text({
        "Carol works at Globex": ("UPDATE", "Carol works at Acme"),
        "Carol no longer likes green tea": ("DELETE", "Carol likes green tea"),
    }))  # fmt: skip
    second = m.add([{"role": "user", "name": "Carol", "content": "I moved to Globex. Also, tea is not for me."}],
                   run_id="r")  # fmt: skip
    events = {r["id"]: r["event"] for r in second["results"]}
    assert events == {acme_id: "UPDATE", tea_id: "DELETE"}
    assert m.get(acme_id)["memory"] == "Carol works at Globex"
    assert [e["event"] for e in m.history(acme_id)] == ["ADD", "UPDATE"]
    assert m.history(acme_id)[1]["old_memory"] == "Carol works at Acme"
    assert [e["event"] for e in m.history(tea_id)] == ["ADD", "DELETE"]
    current = {(r["source"], r["relationship"], r["destination"]) for r in m.relations(run_id="r")}
    assert ("Carol", "WORKS_AT", "Globex") in current and ("Carol", "WORKS_AT", "Acme") not in current
    closed = [r for r in m.relations(run_id="r", include_invalid=True) if r["destination"] == "Acme"]
    assert len(closed) == 1 and closed[0]["valid_to"] is not None and closed[0]["invalidated_by"]
    assert any(r["destination"] == "Acme" for r in second["relations"]["invalidated"])


def test_malformed_json_beyond_repair_writes_nothing(openai_stub: OpenAIStub, store: Store) -> None:
    m = llm_memory(openai_stub, store)
    for _ in range(4):
        openai_stub.reply_text("Sure! Here are the facts: facts = [Carol -> Acme")
    with pytest.raises(ExtractionError):
        m.add(CONVERSATION, run_id="bad")
    assert m.get_all(run_id="bad") == {"results": [], "relations": []}
    assert 1 < len(openai_stub.chat_requests) <= 4  # bounded retries


def test_server_errors_are_retried_then_reported_with_nothing_written(
    openai_stub: OpenAIStub, store: Store
) -> None:
    m = llm_memory(openai_stub, store)
    for _ in range(3):
        openai_stub.reply_error(500, "upstream exploded")
    with pytest.raises(LLMUnavailableError) as info:
        m.add(CONVERSATION, run_id="down")
    assert "sk-test-secret-123" not in str(info.value)
    assert len(openai_stub.chat_requests) == 3
    assert m.get_all(run_id="down")["results"] == []


def test_unreachable_llm_is_an_error_never_a_silent_fallback(store: Store) -> None:
    cfg = MemoryConfig.from_dict(
        {
            "llm": {
                "provider": "openai",
                "config": {
                    "model": "gpt-4o-mini",
                    "api_key": "sk-x",
                    "base_url": "http://127.0.0.1:9/v1",
                    "max_retries": 0,
                },
            }
        }
    )
    m = Memory(cfg, store=store, embedder=HashingEmbedder())
    with pytest.raises(LLMUnavailableError) as info:
        m.add("I work at Acme.", user_id="u")
    assert "127.0.0.1:9" in str(info.value)
    assert m.get_all(user_id="u")["results"] == []


def test_infer_false_makes_no_llm_call(openai_stub: OpenAIStub, store: Store) -> None:
    m = llm_memory(openai_stub, store)
    out = m.add([{"role": "user", "name": "Carol", "content": "I work at Acme."}], run_id="r", infer=False)
    assert out["extractor"] == "offline" and openai_stub.chat_requests == []
    assert [(r["source"], r["destination"]) for r in m.relations(run_id="r")] == [("Carol", "Acme")]


def test_custom_prompts_reach_the_model(openai_stub: OpenAIStub, store: Store) -> None:
    m = llm_memory(openai_stub, store, custom_fact_extraction_prompt="ONLY EXTRACT FOOD PREFERENCES.",
                   custom_update_memory_prompt="PREFER UPDATES OVER ADDS.")  # fmt: skip
    openai_stub.reply_json(extraction([("Carol likes tea", "Carol", [0])], []))
    m.add([{"role": "user", "name": "Carol", "content": "I like tea."}], run_id="r")
    assert "ONLY EXTRACT FOOD PREFERENCES." in openai_stub.chat_requests[0].body["messages"][0]["content"]
    openai_stub.reply_json(extraction([("Carol loves tea", "Carol", [0])], []))
    openai_stub.enqueue("chat", decide_by_text({"Carol loves tea": ("UPDATE", "Carol likes tea")}))
    m.add(
        [{"role": "user", "name": "Carol", "content": "I love tea."}], run_id="r", prompt="PER CALL PROMPT."
    )
    reqs = openai_stub.chat_requests
    assert "PER CALL PROMPT." in reqs[1].body["messages"][0]["content"]
    assert "PREFER UPDATES OVER ADDS." in reqs[2].body["messages"][0]["content"]


def test_procedural_memory_summarises_an_agents_run(openai_stub: OpenAIStub, store: Store) -> None:
    m = llm_memory(openai_stub, store)
    openai_stub.reply_text("1. Opened the repo. 2. Ran the tests. 3. Fixed the failing import.")
    out = m.add([{"role": "assistant", "content": "Opening the repo."}, {"role": "assistant", "content": "Tests pass."}],
                agent_id="coder", memory_type="procedural_memory")  # fmt: skip
    [rec] = out["results"]
    assert rec["memory_type"] == "procedural_memory" and rec["actor_id"] == "coder"
    assert rec["memory"].startswith("1. Opened the repo.")
    with pytest.raises(InvalidInputError):
        m.add("x", user_id="u", memory_type="procedural_memory")


def test_image_input_is_described_by_a_vision_model(openai_stub: OpenAIStub, store: Store) -> None:
    m = llm_memory(openai_stub, store)
    openai_stub.reply_text("A whiteboard sketch of the landing page hero section.")
    openai_stub.reply_json(
        extraction([("Alice shared a whiteboard sketch of the hero section", "Alice", [0])], [])
    )
    out = m.add(
        [
            {
                "role": "user",
                "name": "Alice",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
                ],
            }
        ],
        run_id="r",
    )
    assert out["results"][0]["memory"] == "Alice shared a whiteboard sketch of the hero section"
    first = openai_stub.chat_requests[0].body["messages"]
    assert any(isinstance(msg["content"], list) for msg in first)  # the image went to the model
    assert "whiteboard sketch" in openai_stub.chat_requests[1].body["messages"][-1]["content"]


def test_image_to_a_model_without_vision_is_refused(openai_stub: OpenAIStub, store: Store) -> None:
    cfg = MemoryConfig.from_dict(
        {
            "llm": {
                "provider": "openai",
                "config": {
                    "model": "llama3",
                    "api_key": "k",
                    "base_url": openai_stub.base_url,
                    "vision": False,
                },
            }
        }
    )
    m = Memory(cfg, store=store, embedder=HashingEmbedder())
    with pytest.raises(InvalidInputError, match="vision"):
        m.add([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]}],
              user_id="u")  # fmt: skip
    assert openai_stub.chat_requests == [] and m.get_all(user_id="u")["results"] == []


def _tiny_pdf(path: Path, text: str) -> None:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=100)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})  # fmt: skip
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 10 50 Td ({text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    with path.open("wb") as fh:
        writer.write(fh)


def test_pdf_text_is_extracted_locally(openai_stub: OpenAIStub, store: Store, tmp_path: Path) -> None:
    pdf = tmp_path / "brief.pdf"
    _tiny_pdf(pdf, "Launch date is March 3")
    m = llm_memory(openai_stub, store)
    openai_stub.reply_json(extraction([("The launch date is March 3", "Dana", [0])], []))
    m.add(
        [{"role": "user", "name": "Dana", "content": {"type": "pdf_url", "pdf_url": {"url": str(pdf)}}}],
        run_id="r",
    )
    sent = openai_stub.chat_requests[0].body["messages"][-1]["content"]
    assert "Launch date is March 3" in sent  # read locally, sent as text
    assert m.get_all(run_id="r")["results"][0]["memory"] == "The launch date is March 3"


def test_openai_embeddings_end_to_end_and_dimension_check(openai_stub: OpenAIStub, tmp_path: Path) -> None:
    cfg = {"graph_store": {"provider": "embedded", "config": {"path": str(tmp_path)}},
           "embedder": {"provider": "openai", "config": {"model": "text-embedding-3-small", "api_key": "k",
                                                         "base_url": openai_stub.base_url, "embedding_dims": 8}}}  # fmt: skip
    m = Memory.from_config(cfg)
    m.add(["I work at Acme.", "I like tea."], user_id="u")
    assert len(openai_stub.embedding_requests) == 1  # one batch for both messages
    assert m.search("Acme", user_id="u")["results"]
    cfg["embedder"]["config"]["embedding_dims"] = 16  # type: ignore[index]
    with pytest.raises(Exception, match="dimension"):
        Memory.from_config(cfg)


def test_ask_answers_with_attribution_and_stores_the_answer(openai_stub: OpenAIStub, store: Store) -> None:
    m = llm_memory(openai_stub, store)
    m.add(
        [{"role": "user", "name": "Bob", "content": "I'll take the hero section copy."}],
        run_id="lp",
        infer=False,
    )
    openai_stub.reply_text("Bob said he will take the hero section copy.")
    out = m.ask("Who is writing the hero copy?", run_id="lp", answer_name="helper-bot")
    assert out["answer"] == "Bob said he will take the hero section copy."
    prompt = json.dumps(openai_stub.chat_requests[0].body["messages"])
    assert "Bob" in prompt and "hero section copy" in prompt
    stored = m.get(out["stored"][0])
    assert stored["actor_id"] == "helper-bot" and stored["role"] == "assistant"


def test_ask_without_an_llm_is_a_config_error(store: Store) -> None:
    with pytest.raises(ConfigError):
        Memory(store=store, embedder=HashingEmbedder()).ask("anything?", user_id="u")


def test_rate_limits_are_retried_with_retry_after_then_reported_with_nothing_written(
    openai_stub: OpenAIStub, store: Store
) -> None:
    m = llm_memory(openai_stub, store)
    for _ in range(3):
        openai_stub.reply_error(429, "Rate limit reached", headers={"Retry-After": "0.1"})
    with pytest.raises(LLMUnavailableError):
        m.add(CONVERSATION, run_id="limited")
    reqs = openai_stub.chat_requests
    assert len(reqs) == 3  # bounded: max_retries=2
    assert all(b.at - a.at >= 0.1 for a, b in itertools.pairwise(reqs))  # Retry-After honoured
    assert m.get_all(run_id="limited") == {"results": [], "relations": []}


def test_timeouts_are_retried_then_reported_with_nothing_written(
    openai_stub: OpenAIStub, store: Store
) -> None:
    cfg = MemoryConfig.from_dict({"llm": {"provider": "openai", "config": {
        "model": "gpt-4o-mini", "api_key": "k", "base_url": openai_stub.base_url, "timeout": 0.2,
        "max_retries": 1, "backoff": 0.01}}})  # fmt: skip
    m = Memory(cfg, store=store, embedder=HashingEmbedder())
    for _ in range(2):
        openai_stub.enqueue("chat", Reply(body=chat_completion("{}"), delay=1.0))
    with pytest.raises(LLMUnavailableError, match="timed out"):
        m.add(CONVERSATION, run_id="slow")
    assert len(openai_stub.chat_requests) == 2
    assert m.get_all(run_id="slow") == {"results": [], "relations": []}
