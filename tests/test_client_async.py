"""``AsyncMemoryClient`` against a real server, and both clients' construction rules."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from server_support import PROJECT, Team, team_server

import graphmem
from graphmem.errors import ConfigError, MemoryNotFoundError, PermissionDeniedError
from graphmem.server.client import AsyncMemoryClient, MemoryClient
from graphmem.stores.base import Store


@pytest.fixture
def team(embedded_store: Store) -> Iterator[Team]:
    with team_server(embedded_store) as t:
        yield t


def test_async_client_does_what_the_sync_one_does(team: Team) -> None:
    async def scenario() -> None:
        async with AsyncMemoryClient(api_key=team.keys["Bob"], host=team.url) as bob:
            added = await asyncio.gather(*(bob.add(f"Task {i} is on me.", run_id=PROJECT) for i in range(5)))
            ids = [a["results"][0]["id"] for a in added]
            assert {m["id"] for m in (await bob.get_all(run_id=PROJECT))["results"]} == set(ids)
            assert (await bob.get_all(run_id=PROJECT, page=1, page_size=2))["count"] == 5
            found = await bob.search("task 3", run_id=PROJECT, limit=2)
            assert found["results"][0]["memory"] == "Task 3 is on me."
            await bob.update(ids[0], "Task 0 is done.")
            assert [e["event"] for e in await bob.history(ids[0])] == ["ADD", "UPDATE"]
            assert (await bob.batch_delete(ids[1:3]))["results"][0]["id"] == ids[1]
            assert isinstance(await bob.relations(run_id=PROJECT), list)
            assert (await bob.graph(run_id=PROJECT)).number_of_nodes() >= 1
            assert (await bob.export(run_id=PROJECT)).startswith("{")
            with pytest.raises(MemoryNotFoundError):
                await bob.get(ids[1])
            with pytest.raises(PermissionDeniedError):
                await bob.delete_all(run_id=PROJECT)
            with pytest.raises(PermissionDeniedError):
                await bob.delete_users()  # Bob is no admin: refused before anything is deleted
            assert len((await bob.get_all(run_id=PROJECT))["results"]) == 3

    asyncio.run(scenario())


def test_clients_read_key_and_host_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="GRAPHMEM_API_KEY"):
        MemoryClient()
    monkeypatch.setenv("GRAPHMEM_API_KEY", "gm_0123456789ab_secretsecretsecretsecret")
    monkeypatch.setenv("GRAPHMEM_HOST", "http://127.0.0.1:9999/")
    client = MemoryClient()
    assert client.host == "http://127.0.0.1:9999"
    assert "secret" not in repr(client) and "secret" not in repr(AsyncMemoryClient())
    assert MemoryClient(api_key="gm_other", host="http://127.0.0.1:1").host == "http://127.0.0.1:1"
    # the lazy export from the package root
    assert graphmem.MemoryClient is MemoryClient and graphmem.AsyncMemoryClient is AsyncMemoryClient
