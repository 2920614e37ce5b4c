"""AsyncMemory shows the same behaviour as Memory: at least one test per method."""

from __future__ import annotations

import asyncio
from pathlib import Path

import networkx as nx
import pytest

from graphmem import AsyncMemory, MemoryNotFoundError
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store


@pytest.fixture
def amem(store: Store, hashing_embedder: HashingEmbedder) -> AsyncMemory:
    return AsyncMemory(store=store, embedder=hashing_embedder)


@pytest.mark.asyncio
async def test_add_get_search_relations_graph(amem: AsyncMemory) -> None:
    out = await amem.add([{"role": "user", "name": "Carol", "content": "I work at Acme as a product designer."}],
                         run_id="r")  # fmt: skip
    mid = out["results"][0]["id"]
    assert (await amem.get(mid))["actor_id"] == "Carol"
    found = await amem.search("where does Carol work?", run_id="r")
    assert found["results"][0]["id"] == mid
    rels = await amem.relations(run_id="r", relationship="WORKS_AT")
    assert [(r["source"], r["destination"]) for r in rels] == [("Carol", "Acme")]
    g = await amem.graph(run_id="r")
    assert isinstance(g, nx.MultiDiGraph) and g.number_of_edges() == 2
    assert len((await amem.get_all(run_id="r"))["results"]) == 1


@pytest.mark.asyncio
async def test_update_history_delete(amem: AsyncMemory) -> None:
    mid = (await amem.add("I live in Paris.", user_id="u"))["results"][0]["id"]
    await amem.update(mid, "I live in Rome.")
    assert [e["event"] for e in await amem.history(mid)] == ["ADD", "UPDATE"]
    await amem.delete(mid)
    with pytest.raises(MemoryNotFoundError):
        await amem.get(mid)


@pytest.mark.asyncio
async def test_concurrent_adds_all_land(amem: AsyncMemory) -> None:
    await asyncio.gather(*(amem.add(f"note {i}", user_id="u") for i in range(10)))
    assert len((await amem.get_all(user_id="u"))["results"]) == 10


@pytest.mark.asyncio
async def test_who_works_with_delete_all_reset(amem: AsyncMemory) -> None:
    await amem.add([{"role": "user", "name": "Alice", "content": "Bob and I are building the landing page."}],
                   run_id="a")  # fmt: skip
    assert [w["person"] for w in await amem.who_works_with("Alice", run_id="a")] == ["Bob"]
    await amem.add("keep me", run_id="b")
    await amem.delete_all(run_id="a")
    assert (await amem.get_all(run_id="a"))["results"] == []
    assert len((await amem.get_all(run_id="b"))["results"]) == 1
    await amem.reset()
    assert (await amem.get_all(run_id="b"))["results"] == []


@pytest.mark.asyncio
async def test_from_config_and_close(tmp_path: Path) -> None:
    amem = await AsyncMemory.from_config({"graph_store": {"provider": "embedded", "config": {"path": str(tmp_path)}},
                                          "embedder": {"provider": "hashing"}})  # fmt: skip
    async with amem:
        await amem.add("hello", user_id="u")
        assert len((await amem.get_all(user_id="u"))["results"]) == 1


@pytest.mark.asyncio
async def test_flush_stores_every_queued_vector(amem: AsyncMemory, store: Store) -> None:
    out = await amem.add([{"role": "user", "name": "Dana", "content": f"I reviewed draft {i}."} for i in range(20)],
                         run_id="r", infer=False)  # fmt: skip
    await amem.flush()
    ids = [r["id"] for r in out["results"]]
    assert sorted(store.vectors("memory", ids)) == sorted(ids)
    assert store.missing_vectors("memory", 100) == [] and store.missing_vectors("relation", 100) == []
