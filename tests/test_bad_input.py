"""Every bad-input case raises a named error and leaves the store exactly as it was."""

from __future__ import annotations

import math
from typing import Any

import pytest

from graphmem import (
    ConfigError,
    ContentTooLargeError,
    EmptyContentError,
    InvalidFilterError,
    InvalidInputError,
    InvalidMetadataError,
    Memory,
    MemoryConfig,
    MemoryNotFoundError,
    ScopeRequiredError,
)
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store


@pytest.fixture
def memory(store: Store, hashing_embedder: HashingEmbedder) -> Memory:
    cfg = MemoryConfig.from_dict({"limits": {"max_message_chars": 1000, "max_messages_per_add": 5,
                                             "max_metadata_bytes": 200}})  # fmt: skip
    m = Memory(cfg, store=store, embedder=hashing_embedder)
    m.add([{"role": "user", "name": "Carol", "content": "I work at Acme."}], run_id="r")
    return m


def snapshot(m: Memory) -> tuple[Any, ...]:
    everything = m.get_all(run_id="r", limit=1000)
    ids = [r["id"] for r in everything["results"]]
    return (
        everything["results"],
        everything["relations"],
        [m.history(i) for i in ids],
        m.store.count_memories(),
        sorted(d["name"] for _, d in m.graph(run_id="r").nodes(data=True)),
    )


BAD_ADDS: list[tuple[str, Any, dict[str, Any], type[Exception]]] = [
    ("no scope", "hello", {}, ScopeRequiredError),
    ("empty scope id", "hello", {"user_id": ""}, ScopeRequiredError),
    ("non-string scope id", "hello", {"user_id": 42}, InvalidInputError),
    ("empty text", "", {"run_id": "r"}, EmptyContentError),
    ("whitespace text", "   \n\t", {"run_id": "r"}, EmptyContentError),
    ("empty list", [], {"run_id": "r"}, EmptyContentError),
    ("non-text content", [{"role": "user", "content": 42}], {"run_id": "r"}, InvalidInputError),
    ("None content", [{"role": "user", "content": None}], {"run_id": "r"}, InvalidInputError),
    ("not a message", 3.14, {"run_id": "r"}, InvalidInputError),
    ("unknown role", [{"role": "boss", "content": "hi"}], {"run_id": "r"}, InvalidInputError),
    ("oversized text", "x" * 1001, {"run_id": "r"}, ContentTooLargeError),
    ("too many messages", ["hi"] * 6, {"run_id": "r"}, ContentTooLargeError),
    ("one bad message among good", ["fine", "", "fine too"], {"run_id": "r"}, EmptyContentError),
    ("lone surrogate", "bad \ud800 text", {"run_id": "r"}, InvalidInputError),
    ("NUL in text", "bad \x00 text", {"run_id": "r"}, InvalidInputError),
    ("metadata not a dict", "hi", {"run_id": "r", "metadata": ["x"]}, InvalidMetadataError),
    ("metadata not JSON", "hi", {"run_id": "r", "metadata": {"x": object()}}, InvalidMetadataError),
    ("metadata NaN", "hi", {"run_id": "r", "metadata": {"x": math.nan}}, InvalidMetadataError),
    ("metadata too large", "hi", {"run_id": "r", "metadata": {"x": "y" * 500}}, ContentTooLargeError),
    ("bad timestamp", "hi", {"run_id": "r", "timestamp": "yesterday-ish"}, InvalidInputError),
    ("bad memory_type", "hi", {"run_id": "r", "memory_type": "DROP TABLE"}, InvalidInputError),
    ("bad infer", "hi", {"run_id": "r", "infer": "yes"}, InvalidInputError),
]


@pytest.mark.parametrize(("case", "messages", "kwargs", "error"), BAD_ADDS, ids=[c[0] for c in BAD_ADDS])
def test_bad_add_is_rejected_and_writes_nothing(
    memory: Memory, case: str, messages: Any, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    before = snapshot(memory)
    with pytest.raises(error):
        memory.add(messages, **kwargs)
    assert snapshot(memory) == before


def test_nested_metadata_is_rejected(memory: Memory) -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    before = snapshot(memory)
    with pytest.raises((InvalidMetadataError, ContentTooLargeError)):
        memory.add("hi", run_id="r", metadata=deep)
    assert snapshot(memory) == before


def test_bad_reads_and_writes_by_id(memory: Memory) -> None:
    before = snapshot(memory)
    for call in (lambda: memory.get("nope"), lambda: memory.delete("nope"), lambda: memory.update("nope", "x"),
                 lambda: memory.history("nope"), lambda: memory.get("")):  # fmt: skip
        with pytest.raises(MemoryNotFoundError):
            call()
    mid = memory.get_all(run_id="r")["results"][0]["id"]
    with pytest.raises(EmptyContentError):
        memory.update(mid, "  ")
    with pytest.raises(InvalidMetadataError):
        memory.update(mid, "new text", metadata={"x": {1, 2}})  # type: ignore[dict-item]
    assert snapshot(memory) == before


def test_bad_search_arguments(memory: Memory) -> None:
    with pytest.raises(ScopeRequiredError):
        memory.search("Acme")
    with pytest.raises(EmptyContentError):
        memory.search(" ", run_id="r")
    with pytest.raises(InvalidInputError):
        memory.search("Acme", run_id="r", limit=0)
    with pytest.raises(InvalidInputError):
        memory.search("Acme", run_id="r", threshold="high")  # type: ignore[arg-type]
    with pytest.raises(InvalidFilterError):
        memory.search("Acme", run_id="r", filters={"x": {"regex": ".*"}})
    with pytest.raises(ScopeRequiredError):
        memory.delete_all()


BAD_CONFIGS: list[dict[str, Any]] = [
    {"graph_stor": {}},
    {"graph_store": {"provider": "postgres"}},
    {"graph_store": {"provider": "embedded", "config": {"path": "/tmp/x", "colour": "red"}}},
    {"graph_store": {"provider": "neo4j", "config": {"uri": "bolt://x"}}},
    {"vector_store": {"provider": "qdrant", "config": {}}},
    {"embedder": {"provider": "hashing", "config": {"dims": 3}}},
    {"llm": {"provider": "skynet"}},
    {"version": "v9"},
    {"search": {"weights": {"vector": "lots"}}},
]


@pytest.mark.parametrize("cfg", BAD_CONFIGS)
def test_bad_config_names_the_problem(cfg: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as info:
        Memory.from_config(cfg)
    assert str(info.value)


def test_unknown_key_is_named_and_password_never_echoed() -> None:
    with pytest.raises(ConfigError) as info:
        Memory.from_config(
            {"graph_store": {"provider": "neo4j", "config": {"password": "hunter2-secret", "urll": "x"}}}
        )
    assert "urll" in str(info.value)
    assert "hunter2-secret" not in str(info.value)
