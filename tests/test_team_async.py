"""The team layer through AsyncMemory: the same calls, awaited, with the same checks."""

from __future__ import annotations

import io

import pytest

from graphmem import AsyncMemory, PermissionDeniedError
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store


@pytest.mark.asyncio
async def test_async_team_layer(embedded_store: Store) -> None:
    amem = AsyncMemory(store=embedded_store, embedder=HashingEmbedder())
    await amem.projects.create("p", admin="Alice")
    await amem.projects.add_member("p", "Bob", "viewer")
    alice, bob = amem.as_actor("Alice"), amem.as_actor("Bob")
    await alice.add("Bob and I are building the new landing page.", run_id="p")
    await alice.tasks.assign("p", "hero copy", "Bob")
    with pytest.raises(PermissionDeniedError):
        await bob.add("viewers cannot write", run_id="p")
    with pytest.raises(PermissionDeniedError):
        await bob.tasks.set_status("p", "hero copy", "DONE")
    assert [t["task"] for t in await bob.tasks.list("p")] == ["hero copy"]
    assert await bob.projects.members("p") == {"Alice": "admin", "Bob": "viewer"}
    assert [e["actor_id"] for e in await amem.timeline(run_id="p")] == ["Alice", "Alice"]
    assert (await amem.contributions(run_id="p"))[0]["actor_id"] == "Alice"
    assert (await amem.memories_by_actor(run_id="p"))[0]["count"] == 2
    assert (await amem.summary(run_id="p"))["counts"]["tasks"] == 1
    buf = io.StringIO()
    assert (await amem.export(buf, run_id="p"))["counts"]["memory"] == 2
    assert (await amem.import_(io.StringIO(buf.getvalue())))["added"]["memory"] == 0
    assert (await amem.health())["ok"] is True
