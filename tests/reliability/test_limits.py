"""Input limits: configurable, documented in the README, and exact at the boundary (the limit is
accepted, one more is ``ContentTooLargeError`` with nothing written), on both stores."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from graphmem import ConfigError, ContentTooLargeError, Memory, MemoryConfig
from graphmem.config import LimitsConfig
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store
from reliability.invariants import assert_consistent, snapshot

README = Path(__file__).resolve().parents[2] / "README.md"
LIMITS = {"max_message_chars": 40, "max_messages_per_add": 3, "max_metadata_bytes": 60, "max_id_chars": 8}


@pytest.fixture
def memory(store: Store) -> Memory:
    return Memory(MemoryConfig.from_dict({"limits": LIMITS}), store=store, embedder=HashingEmbedder(dim=384))


def memory_count(store: Store) -> int:
    return len(snapshot(store).memories)


def test_message_chars_are_counted_in_characters_at_the_boundary(memory: Memory, store: Store) -> None:
    at, over = "é" * 40, "é" * 41  # 80 and 82 UTF-8 bytes: characters are what count
    mid = memory.add(at, user_id="u", infer=False)["results"][0]["id"]
    assert memory.get(mid)["memory"] == at
    memory.search(at, user_id="u")
    memory.update(mid, "ü" * 40)
    for call in (
        lambda: memory.add(over, user_id="u", infer=False),
        lambda: memory.add(["fine", over], user_id="u", infer=False),  # one long message spoils the add
        lambda: memory.search(over, user_id="u"),
        lambda: memory.update(mid, over),
        lambda: memory.relations(user_id="u", entity=over),
    ):
        with pytest.raises(ContentTooLargeError):
            call()
    assert memory_count(store) == 1
    assert memory.get(mid)["memory"] == "ü" * 40
    assert_consistent(store)


def test_messages_per_add_at_the_boundary(memory: Memory, store: Store) -> None:
    memory.add(["one", "two", {"role": "system", "content": "three"}], run_id="r", infer=False)
    with pytest.raises(ContentTooLargeError):
        memory.add(["one", "two", "three", {"role": "system", "content": "four"}], run_id="r", infer=False)
    assert memory_count(store) == 2  # the system message of the first add is not stored
    assert_consistent(store)


def metadata_of_size(n: int) -> dict[str, Any]:
    """A metadata dict whose JSON text is exactly ``n`` UTF-8 bytes (multi-byte characters inside)."""
    base = len(json.dumps({"k": ""}, ensure_ascii=False).encode())
    meta = {"k": "€" * ((n - base) // 3) + "x" * ((n - base) % 3)}  # "€" is 3 bytes in UTF-8
    assert len(json.dumps(meta, ensure_ascii=False).encode()) == n
    return meta


def test_metadata_bytes_at_the_boundary(memory: Memory, store: Store) -> None:
    at, over = metadata_of_size(60), metadata_of_size(61)
    mid = memory.add("carrier", agent_id="a", metadata=at, infer=False)["results"][0]["id"]
    assert memory.get(mid)["metadata"] == at
    with pytest.raises(ContentTooLargeError):
        memory.add("carrier", agent_id="a", metadata=over, infer=False)
    with pytest.raises(ContentTooLargeError):
        memory.update(mid, "new text", metadata=over)
    assert (memory.get(mid)["memory"], memory.get(mid)["metadata"]) == ("carrier", at)
    assert memory_count(store) == 1
    assert_consistent(store)


@pytest.mark.parametrize("key", ["user_id", "agent_id", "run_id"])
def test_id_chars_at_the_boundary(memory: Memory, store: Store, key: str) -> None:
    memory.add([{"role": "user", "name": "N" * 8, "content": "hi"}], infer=False, **{key: "i" * 8})
    with pytest.raises(ContentTooLargeError):
        memory.add("hi", infer=False, **{key: "i" * 9})
    with pytest.raises(ContentTooLargeError):
        memory.add([{"role": "user", "name": "N" * 9, "content": "hi"}], infer=False, **{key: "i" * 8})
    with pytest.raises(ContentTooLargeError):
        memory.get_all(**{key: "i" * 9})
    assert memory_count(store) == 1
    assert memory.get_all(**{key: "i" * 8})["results"][0]["actor_id"] == "N" * 8


@pytest.mark.parametrize(
    "limits",
    [{"max_message_chars": 0}, {"max_messages_per_add": -1}, {"max_metadata_bytes": "big"},
     {"max_id_chars": 1.5}, {"max_tokens": 10}],
)  # fmt: skip
def test_bad_limits_are_a_config_error(limits: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        MemoryConfig.from_dict({"limits": limits})


def test_the_readme_documents_every_limit_with_its_default() -> None:
    section = README.read_text(encoding="utf-8").split("## Limits", 1)[1].split("\n## ", 1)[0]
    documented = {
        name: int(default) for name, default in re.findall(r"^\| `(\w+)` \| (\d+) \|", section, re.M)
    }
    assert documented == LimitsConfig().model_dump()
