"""The REST API end to end: a real uvicorn server on 127.0.0.1, driven through MemoryClient and raw
HTTP, on every store (the ``store`` fixture): every memory endpoint, pagination, batch atomicity."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from server_support import PROJECT, Team, team_server

from graphmem import Memory
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.errors import (
    EmptyContentError,
    InvalidInputError,
    MemoryNotFoundError,
    PermissionDeniedError,
    StoreUnavailableError,
)
from graphmem.stores.base import Store
from graphmem.stores.embedded import EmbeddedStore


@pytest.fixture
def team(store: Store) -> Iterator[Team]:
    with team_server(store) as t:
        yield t


def _texts(team: Team, ids: list[str]) -> list[str]:
    return [team.memory.get(i)["memory"] for i in ids]


def test_memory_lifecycle_through_the_client(team: Team, tmp_path: Path) -> None:
    alice, bob = team.client("Alice"), team.client("Bob")
    a = alice.add("Bob and I are building the new landing page.", run_id=PROJECT)["results"][0]
    b = bob.add([{"role": "user", "content": "I'll take the hero section copy."}], run_id=PROJECT,
                metadata={"topic": "copy"})["results"][0]  # fmt: skip
    # the team layer attributes unnamed messages to the key's principal
    assert (a["actor_id"], b["actor_id"], b["metadata"]) == ("Alice", "Bob", {"topic": "copy"})

    found = bob.search("who takes the hero section copy?", run_id=PROJECT)
    assert found["results"][0]["id"] == b["id"]
    assert any(r["relationship"] == "RESPONSIBLE_FOR" and r["actor_id"] == "Bob" for r in found["relations"])
    v2 = bob.search("hero section copy", version="v2", filters={"AND": [{"run_id": PROJECT}]})
    assert v2["results"][0]["id"] == b["id"]

    assert bob.get(b["id"])["memory"] == "I'll take the hero section copy."
    listed = bob.get_all(run_id=PROJECT)
    assert {m["id"] for m in listed["results"]} == {a["id"], b["id"]}
    assert listed["relations"] == bob.relations(run_id=PROJECT)
    assert bob.get_all(run_id=PROJECT, filters={"topic": "copy"})["results"][0]["id"] == b["id"]

    bob.update(b["id"], "I'll take the hero section copy and the footer.")
    assert bob.get(b["id"])["memory"].endswith("and the footer.")
    assert [e["event"] for e in bob.history(b["id"])] == ["ADD", "UPDATE"]

    rels = bob.relations(run_id=PROJECT, entity="Bob")
    assert rels and all("Bob" in (r["source"], r["destination"]) for r in rels)
    g = bob.graph(run_id=PROJECT)
    assert isinstance(g, nx.MultiDiGraph)
    assert {"Alice", "Bob"} <= {d["name"] for _, d in g.nodes(data=True)}
    assert g.number_of_edges() == len(bob.relations(run_id=PROJECT))
    assert any(w["person"] == "Bob" and w["direct"] for w in alice.who_works_with("Alice", run_id=PROJECT))

    assert alice.users()["results"] == [
        {"id": PROJECT, "name": PROJECT, "type": "run", "total_memories": 2, "created_at": a["created_at"],
         "updated_at": bob.get(b["id"])["updated_at"]},
    ]  # fmt: skip
    assert bob.feedback(b["id"], "positive", "spot on")["feedback"] == "POSITIVE"
    assert team.memory.store.get_docs("feedback")[f"{b['id']}:Bob"]["feedback_reason"] == "spot on"

    exported = bob.export(run_id=PROJECT, path=tmp_path / "lp.jsonl")
    assert json.loads(exported.splitlines()[0])["format"] == "graphmem-export"
    with Memory(store=EmbeddedStore(tmp_path / "restored"), embedder=HashingEmbedder(dim=384)) as restored:
        restored.import_(tmp_path / "lp.jsonl")
        assert {m["id"] for m in restored.get_all(run_id=PROJECT)["results"]} == {a["id"], b["id"]}

    assert bob.ping()["projects"] == {PROJECT: "member"}
    assert bob.delete(b["id"])["message"]
    with pytest.raises(MemoryNotFoundError) as lost:
        bob.get(b["id"])
    assert lost.value.status_code == 404  # type: ignore[attr-defined]
    alice.delete_all(run_id=PROJECT)
    assert alice.get_all(run_id=PROJECT)["results"] == []


def test_delete_users_and_entities(team: Team) -> None:
    alice = team.client("Alice")
    alice.add("I work at Acme.", run_id=PROJECT, user_id="u1")
    alice.add("I live in Paris.", run_id=PROJECT, user_id="u2")
    kinds = {(e["type"], e["name"]): e["total_memories"] for e in alice.users()["results"]}
    assert kinds == {("run", PROJECT): 2, ("user", "u1"): 1, ("user", "u2"): 1}
    with pytest.raises(PermissionDeniedError):  # deleting a user is an admin's call
        team.client("Bob").delete_users(user_id="u1")
    alice.delete_users(user_id="u1")
    assert [m["user_id"] for m in alice.get_all(run_id=PROJECT)["results"]] == ["u2"]
    with team.http("Alice") as http:  # mem0's v1 path of the same operation
        assert http.delete(f"/v1/entities/user/u2/?run_id={PROJECT}").json()["projects"] == [PROJECT]
        assert http.delete("/v1/entities/app/x/").status_code == 400
    assert alice.get_all(run_id=PROJECT)["results"] == []
    alice.add("I live in Paris.", run_id=PROJECT, user_id="u2")
    alice.delete_users()  # every run the caller administers
    assert alice.users()["results"] == []


def test_pagination_walks_every_memory_once(team: Team) -> None:
    alice = team.client("Alice")
    ids = [
        alice.add(f"Note number {i} about the launch.", run_id=PROJECT)["results"][0]["id"] for i in range(7)
    ]
    with team.http("Alice") as http:
        url: str | None = f"/v1/memories/?run_id={PROJECT}&page_size=3"
        pages: list[list[str]] = []
        while url:
            page = http.get(url).json()
            assert page["count"] == 7
            pages.append([m["id"] for m in page["results"]])
            url = page["next"]
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [i for p in pages for i in p] == ids[::-1]  # newest first, no repeats, none missing
        back = http.get(f"/v1/memories/?run_id={PROJECT}&page=3&page_size=3").json()
        assert http.get(back["previous"]).json()["results"][0]["id"] == pages[1][0]

        too_big = http.get(f"/v1/memories/?run_id={PROJECT}&page_size=101")
        assert too_big.status_code == 400 and "page_size" in too_big.json()["detail"]
        assert http.get(f"/v1/memories/?run_id={PROJECT}&page_size=0").status_code == 422
        v2 = http.post("/v2/memories/?page=2&page_size=5", json={"filters": {"run_id": PROJECT}}).json()
        assert [m["id"] for m in v2["results"]] == ids[::-1][5:]
    assert alice.get_all(run_id=PROJECT, page=2, page_size=2)["results"][0]["id"] == ids[::-1][2]
    assert [m["id"] for m in alice.get_all(run_id=PROJECT, limit=4)["results"]] == ids[::-1][:4]


def test_batch_update_is_all_or_nothing(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    alice, bob = team.client("Alice"), team.client("Bob")
    m1, m2 = (bob.add(t, run_id=PROJECT)["results"][0]["id"] for t in ("First draft.", "Second draft."))
    m3 = alice.add("Alice's plan.", run_id=PROJECT)["results"][0]["id"]
    before = _texts(team, [m1, m2, m3])

    refusals: list[tuple[list[dict[str, Any]], type[Exception]]] = [
        (
            [{"memory_id": m1, "text": "changed"}, {"memory_id": m3, "text": "not Bob's"}],
            PermissionDeniedError,
        ),
        (
            [{"memory_id": m1, "text": "changed"}, {"memory_id": "no-such-id", "text": "x"}],
            MemoryNotFoundError,
        ),
        ([{"memory_id": m1, "text": "changed"}, {"memory_id": m2, "text": "   "}], EmptyContentError),
        ([{"memory_id": m1, "text": "a"}, {"memory_id": m1, "text": "b"}], InvalidInputError),
        ([{"memory_id": m1}], InvalidInputError),
        ([{"memory_id": m1, "text": "x"}] * 1001, InvalidInputError),
    ]
    for items, error in refusals:
        with pytest.raises(error):
            bob.batch_update(items)
        assert _texts(team, [m1, m2, m3]) == before, items[:2]
        assert len(team.memory.history(m1)) == 1

    out = bob.batch_update(
        [{"memory_id": m1, "text": "First final."}, {"memory_id": m2, "metadata": {"v": 2}}]
    )
    assert [m["memory"] for m in out["results"]] == ["First final.", "Second draft."]
    assert team.memory.get(m2)["metadata"] == {"v": 2}

    # a store failure in the middle: what was applied is restored
    real_update = Memory.update
    calls = {"n": 0}

    def flaky(self: Memory, memory_id: str, data: str, metadata: Any = None) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise StoreUnavailableError("the store went away")
        return real_update(self, memory_id, data, metadata)

    monkeypatch.setattr(Memory, "update", flaky)
    with pytest.raises(StoreUnavailableError) as failed:
        alice.batch_update([{"memory_id": m1, "text": "Changed."}, {"memory_id": m3, "text": "Changed too."}])
    assert failed.value.status_code == 503  # type: ignore[attr-defined]
    monkeypatch.undo()
    assert _texts(team, [m1, m3]) == ["First final.", "Alice's plan."]


def test_batch_delete_is_all_or_nothing(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    alice, bob = team.client("Alice"), team.client("Bob")
    m1 = bob.add("Bob and I review the hero section.", run_id=PROJECT)["results"][0]["id"]
    m2 = bob.add("I'll take the screenshots.", run_id=PROJECT)["results"][0]["id"]
    m3 = alice.add("Alice works with Bob.", run_id=PROJECT)["results"][0]["id"]
    with pytest.raises(PermissionDeniedError):
        bob.batch_delete([m1, m3])
    with pytest.raises(PermissionDeniedError):
        team.client("Carol").batch_delete([m1])
    with pytest.raises(MemoryNotFoundError):  # Dave's project is elsewhere: Bob's ids read as absent
        team.client("Dave").batch_delete([m1])
    assert len(team.memory.get_all(run_id=PROJECT)["results"]) == 3

    real_apply = type(team.memory.store).apply
    monkeypatch.setattr(
        type(team.memory.store),
        "apply",
        lambda self, batch: (_ for _ in ()).throw(StoreUnavailableError("down")),
    )
    with pytest.raises(StoreUnavailableError):
        alice.batch_delete([m1, m2, m3])
    monkeypatch.setattr(type(team.memory.store), "apply", real_apply)
    assert len(team.memory.get_all(run_id=PROJECT)["results"]) == 3

    out = alice.batch_delete([{"memory_id": m1}, {"memory_id": m2}, {"memory_id": m3}])
    assert {m["id"] for m in out["results"]} == {m1, m2, m3}
    assert team.memory.get_all(run_id=PROJECT) == {"results": [], "relations": []}
    assert [e["event"] for e in team.memory.history(m2)] == ["ADD", "DELETE"]
