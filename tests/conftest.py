"""Shared fixtures: a clean environment, and a ``store`` fixture over every backend.

Contract tests take ``store`` (or ``memory``) and run once per backend; the test id names the
backend (``[embedded_store]``, ``[neo4j_store]``). The Neo4j server fixtures live in the
``neo4j_server`` plugin.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphmem.embedders.hashing import HashingEmbedder
from graphmem.pipeline.indexer import flush_all
from graphmem.stores.base import Store

pytest_plugins = ["neo4j_server", "openai_stub"]


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A developer's shell must not change results: drop GRAPHMEM_* and LLM keys, pin the home."""
    for key in list(os.environ):
        if key.startswith("GRAPHMEM_") and key != "GRAPHMEM_REQUIRE_NEO4J":
            monkeypatch.delenv(key)
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GRAPHMEM_HOME", str(tmp_path_factory.mktemp("graphmem-home")))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder(dim=384)


@pytest.fixture
def embedded_store(tmp_path: Path) -> Iterator[Store]:
    from graphmem.stores.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path / "store")
    yield store
    flush_all(store)  # background indexing of the test's Memory objects, before the store goes
    store.close()


@pytest.fixture(params=["embedded_store", pytest.param("neo4j_store", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> Store:
    """Every backend in turn. ``neo4j_store`` comes from the neo4j_server plugin."""
    s: Store = request.getfixturevalue(request.param)
    return s
