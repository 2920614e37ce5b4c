"""MemoryConfig: mem0-style dicts, defaults, the environment, and what reaches the components."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmem import ConfigError, Memory, MemoryConfig
from graphmem.embedders.hashing import HashingEmbedder


def test_mem0_style_dict_is_accepted(tmp_path: Path) -> None:
    cfg = MemoryConfig.from_dict({
        "vector_store": {"provider": "embedded", "config": {"path": str(tmp_path / "vs")}},
        "embedder": {"provider": "huggingface", "config": {"model": "all-MiniLM-L6-v2", "embedding_dims": 384}},
        "history_db_path": str(tmp_path / "history.db"),
        "custom_fact_extraction_prompt": "Extract facts.",
        "custom_update_memory_prompt": "Decide.",
        "version": "v1.1",
    })  # fmt: skip
    assert cfg.graph_store.provider == "embedded"
    assert cfg.store_path() == tmp_path / "vs"
    assert cfg.custom_fact_extraction_prompt == "Extract facts."


def test_store_location_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHMEM_HOME", str(tmp_path / "env"))
    assert MemoryConfig().store_path() == tmp_path / "env"
    assert (
        MemoryConfig.from_dict({"history_db_path": str(tmp_path / "h" / "history.db")}).store_path()
        == tmp_path / "h"
    )
    explicit = {"graph_store": {"provider": "embedded", "config": {"path": str(tmp_path / "x")}}}
    assert MemoryConfig.from_dict(explicit).store_path() == tmp_path / "x"
    monkeypatch.delenv("GRAPHMEM_HOME")
    assert MemoryConfig().store_path() == Path("~/.graphmem").expanduser()


def test_environment_is_read_at_construction_not_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPHMEM_HOME", str(tmp_path / "one"))
    m1 = Memory(embedder=HashingEmbedder())
    m1.add("first", user_id="u")
    monkeypatch.setenv("GRAPHMEM_HOME", str(tmp_path / "two"))
    m2 = Memory(embedder=HashingEmbedder())
    assert m2.get_all(user_id="u")["results"] == []
    assert (tmp_path / "one").is_dir() and (tmp_path / "two").is_dir()


def test_search_signals_can_be_switched_off(tmp_path: Path) -> None:
    m = Memory.from_config({
        "graph_store": {"provider": "embedded", "config": {"path": str(tmp_path)}},
        "embedder": {"provider": "hashing"},
        "search": {"signals": {"keyword": False, "graph": False, "actor": False, "recency": False, "temporal": False}},
    })  # fmt: skip
    m.add([{"role": "user", "name": "Bob", "content": "I'll take the hero section copy."}], run_id="r")
    top = m.search("what is Bob responsible for?", run_id="r")["results"][0]
    assert set(top["scores"]) == {"vector"}


def test_neo4j_password_is_secret() -> None:
    cfg = MemoryConfig.from_dict(
        {"graph_store": {"provider": "neo4j", "config": {"url": "bolt://h:1", "password": "s3cr3t-pw"}}}
    )
    assert "s3cr3t-pw" not in repr(cfg) and "s3cr3t-pw" not in str(cfg.model_dump())


def test_extractor_llm_without_llm_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Memory.from_config({"graph_store": {"provider": "embedded", "config": {"path": str(tmp_path)}},
                            "embedder": {"provider": "hashing"}, "extractor": "llm"})  # fmt: skip


def test_api_keys_are_secret_in_every_provider_config() -> None:
    cfg = MemoryConfig.from_dict({
        "llm": {"provider": "openai", "config": {"model": "m", "api_key": "sk-llm-secret-1"}},
        "embedder": {"provider": "openai", "config": {"api_key": "sk-emb-secret-2"}},
    })  # fmt: skip
    shown = repr(cfg) + str(cfg.model_dump()) + cfg.model_dump_json()
    assert "sk-llm-secret-1" not in shown and "sk-emb-secret-2" not in shown
