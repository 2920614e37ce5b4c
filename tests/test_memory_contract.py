"""The Memory contract, through the public API, on every store (test ids name the store)."""

from __future__ import annotations

from datetime import UTC, datetime

import networkx as nx
import pytest

from graphmem import (
    InvalidFilterError,
    InvalidRelationTypeError,
    Memory,
    MemoryNotFoundError,
)
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store


@pytest.fixture
def memory(store: Store, hashing_embedder: HashingEmbedder) -> Memory:
    return Memory(store=store, embedder=hashing_embedder)


def triples(rels: list[dict]) -> set[tuple[str, str, str]]:
    return {(r["source"], r["relationship"], r["destination"]) for r in rels}


def say(m: Memory, speaker: str | None, text: str, **scope: object) -> dict:
    msg = {"role": "user", "content": text}
    if speaker:
        msg["name"] = speaker
    return m.add([msg], **scope)  # type: ignore[arg-type]


# ---- add --------------------------------------------------------------------------------------
def test_add_returns_memories_in_message_order_with_actors(memory: Memory) -> None:
    out = memory.add(
        [
            {"role": "user", "name": "Alice", "content": "Bob and I are building the new landing page."},
            {"role": "user", "name": "Bob", "content": "I'll take the hero section copy."},
            {"role": "assistant", "content": "Noted, thanks both."},
        ],
        run_id="r1",
    )
    assert [r["memory"] for r in out["results"]] == [
        "Bob and I are building the new landing page.",
        "I'll take the hero section copy.",
        "Noted, thanks both.",
    ]
    assert [r["actor_id"] for r in out["results"]] == ["Alice", "Bob", None]
    assert [r["role"] for r in out["results"]] == ["user", "user", "assistant"]
    assert all(r["event"] == "ADD" and r["run_id"] == "r1" for r in out["results"])
    assert out["results"][0]["created_at"] < out["results"][1]["created_at"]
    added = {(r["source"], r["relationship"], r["destination"]): r for r in out["relations"]["added"]}
    assert ("Alice", "WORKS_WITH", "Bob") in added or ("Bob", "WORKS_WITH", "Alice") in added
    assert added[("Bob", "RESPONSIBLE_FOR", "hero section copy")]["actor_id"] == "Bob"
    assert added[("Alice", "WORKS_ON", "new landing page")]["actor_id"] == "Alice"
    assert out["extractor"] == "offline"


def test_add_accepts_a_string_and_a_dict(memory: Memory) -> None:
    a = memory.add("I live in Paris.", user_id="u1")
    b = memory.add({"role": "user", "content": "I like green tea."}, user_id="u1")
    assert a["results"][0]["actor_id"] == "u1"  # no name: the user is the actor
    assert b["results"][0]["memory"] == "I like green tea."
    assert ("u1", "LIVES_IN", "Paris") in triples(memory.relations(user_id="u1"))


def test_system_messages_are_not_stored(memory: Memory) -> None:
    out = memory.add(
        [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "Hi there"}],
        user_id="u",
    )
    assert [r["memory"] for r in out["results"]] == ["Hi there"]
    assert len(memory.get_all(user_id="u")["results"]) == 1


def test_timestamp_sets_created_at(memory: Memory) -> None:
    when = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    for ts in (when, "2023-05-08T13:56:00Z", when.timestamp()):
        out = memory.add("Went hiking today.", user_id="u", timestamp=ts)
        assert out["results"][0]["created_at"].startswith("2023-05-08T13:56:00")


def test_metadata_and_memory_type_are_stored(memory: Memory) -> None:
    out = memory.add(
        "Ship it on Friday.", agent_id="a", metadata={"topic": "release", "n": 3}, memory_type="fact"
    )
    got = memory.get(out["results"][0]["id"])
    assert got["metadata"] == {"topic": "release", "n": 3}
    assert got["memory_type"] == "fact"
    assert got["agent_id"] == "a" and "user_id" not in got


# ---- get / get_all ----------------------------------------------------------------------------
def test_get_and_unknown_id(memory: Memory) -> None:
    mid = memory.add("hello world", user_id="u")["results"][0]["id"]
    assert memory.get(mid)["memory"] == "hello world"
    with pytest.raises(MemoryNotFoundError):
        memory.get("no-such-id")


def test_get_all_is_newest_first_with_limit_and_relations(memory: Memory) -> None:
    for i in range(5):
        memory.add(f"note number {i}", user_id="u", timestamp=1_700_000_000 + i)
    say(memory, "Dana", "I work at Initech.", user_id="u")
    everything = memory.get_all(user_id="u")
    assert [r["memory"] for r in everything["results"][1:]] == [f"note number {i}" for i in range(4, -1, -1)]
    assert len(memory.get_all(user_id="u", limit=2)["results"]) == 2
    assert ("Dana", "WORKS_AT", "Initech") in triples(everything["relations"])


# ---- filters ----------------------------------------------------------------------------------
@pytest.fixture
def filtered(memory: Memory) -> Memory:
    rows = [
        ("Alice", "alpha release notes", {"kind": "doc", "priority": 1, "tags": ["x", "y"]}),
        ("Bob", "beta release checklist", {"kind": "task", "priority": 2, "tags": ["y"]}),
        ("Carol", "gamma launch plan", {"kind": "task", "priority": 3}),
        ("Bob", "delta retro notes", {"kind": "doc", "priority": 5, "flag": True}),
    ]
    for i, (actor, text, meta) in enumerate(rows):
        memory.add([{"role": "user", "name": actor, "content": text}], run_id="f", metadata=meta,
                   timestamp=f"2024-01-0{i + 1}T00:00:00Z", memory_type="note" if i % 2 else None)  # fmt: skip
    return memory


FILTER_CASES = [
    ({"kind": "doc"}, {"alpha release notes", "delta retro notes"}),
    ({"kind": {"eq": "task"}}, {"beta release checklist", "gamma launch plan"}),
    ({"kind": {"ne": "doc"}}, {"beta release checklist", "gamma launch plan"}),
    ({"priority": {"gt": 2}}, {"gamma launch plan", "delta retro notes"}),
    ({"priority": {"gte": 2, "lt": 5}}, {"beta release checklist", "gamma launch plan"}),
    ({"priority": {"lte": 1}}, {"alpha release notes"}),
    ({"actor_id": {"in": ["Alice", "Carol"]}}, {"alpha release notes", "gamma launch plan"}),
    ({"actor_id": {"nin": ["Bob"]}}, {"alpha release notes", "gamma launch plan"}),
    ({"tags": {"contains": "x"}}, {"alpha release notes"}),
    ({"kind": {"icontains": "TAS"}}, {"beta release checklist", "gamma launch plan"}),
    ({"flag": "*"}, {"delta retro notes"}),
    ({"flag": True}, {"delta retro notes"}),
    ({"created_at": {"gte": "2024-01-03"}}, {"gamma launch plan", "delta retro notes"}),
    ({"memory_type": "note"}, {"beta release checklist", "delta retro notes"}),
    ({"role": "user", "actor_id": "Bob"}, {"beta release checklist", "delta retro notes"}),
    ({"AND": [{"kind": "doc"}, {"actor_id": "Bob"}]}, {"delta retro notes"}),
    ({"OR": [{"priority": 1}, {"priority": 3}]}, {"alpha release notes", "gamma launch plan"}),
    ({"NOT": [{"kind": "doc"}]}, {"beta release checklist", "gamma launch plan"}),
    ({"AND": [{"OR": [{"kind": "doc"}, {"priority": 3}]}, {"NOT": [{"actor_id": "Alice"}]}]},
     {"gamma launch plan", "delta retro notes"}),
]  # fmt: skip


@pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
def test_filters_in_get_all_and_search(filtered: Memory, filters: dict, expected: set[str]) -> None:
    assert {r["memory"] for r in filtered.get_all(run_id="f", filters=filters)["results"]} == expected
    found = filtered.search("release notes plan checklist", run_id="f", filters=filters, limit=10)
    assert {r["memory"] for r in found["results"]} <= expected
    assert {r["memory"] for r in found["results"]}, "search with a filter found nothing"


@pytest.mark.parametrize(
    "bad",
    [{"kind": {"like": "x"}}, {"AND": "x"}, {"bad key!": 1}, {"priority": {"in": 3}}, {"p": {"gt": [1]}}],
)
def test_bad_filters_are_rejected(filtered: Memory, bad: dict) -> None:
    with pytest.raises(InvalidFilterError):
        filtered.get_all(run_id="f", filters=bad)
    with pytest.raises(InvalidFilterError):
        filtered.search("notes", run_id="f", filters=bad)


def test_scope_ids_inside_filters_are_lifted(filtered: Memory) -> None:
    found = filtered.get_all(filters={"run_id": "f", "kind": "doc"})
    assert {r["memory"] for r in found["results"]} == {"alpha release notes", "delta retro notes"}


# ---- search -----------------------------------------------------------------------------------
def test_search_fuses_signals_and_returns_relations(memory: Memory) -> None:
    say(memory, "Alice", "Bob and I are building the new landing page.", run_id="lp")
    say(memory, "Bob", "I'll take the hero section copy.", run_id="lp")
    say(memory, "Carol", "I love sushi.", run_id="lp")
    found = memory.search("what is Bob responsible for?", run_id="lp", limit=3)
    top = found["results"][0]
    assert top["memory"] == "I'll take the hero section copy."
    assert 0 < top["score"] <= 1
    assert {"vector", "keyword", "graph", "actor"} & set(top["scores"])
    assert "actor" in top["scores"]  # Bob is named and Bob said it
    assert ("Bob", "RESPONSIBLE_FOR", "hero section copy") in triples(found["relations"])
    assert all("score" in r for r in found["relations"])
    assert found["results"] == sorted(found["results"], key=lambda r: -r["score"])


def test_search_limit_top_k_and_threshold(memory: Memory) -> None:
    for i in range(6):
        memory.add(f"topic {i} about gardening tomatoes", user_id="u")
    assert len(memory.search("gardening", user_id="u", limit=2)["results"]) == 2
    assert len(memory.search("gardening", user_id="u", top_k=4)["results"]) == 4
    scores = [r["score"] for r in memory.search("gardening", user_id="u")["results"]]
    cut = sorted(scores)[len(scores) // 2]
    kept = memory.search("gardening", user_id="u", threshold=cut)["results"]
    assert kept and all(r["score"] >= cut for r in kept) and len(kept) < len(scores)


# ---- update / delete / history ----------------------------------------------------------------
def test_update_reembeds_reextracts_and_keeps_history(memory: Memory) -> None:
    mid = say(memory, "Carol", "I work at Acme.", run_id="r")["results"][0]["id"]
    out = memory.update(mid, "I work at Globex.")
    assert out["id"] == mid
    assert memory.get(mid)["memory"] == "I work at Globex."
    assert memory.get(mid)["updated_at"] is not None
    rels = triples(memory.relations(run_id="r"))
    assert ("Carol", "WORKS_AT", "Globex") in rels and ("Carol", "WORKS_AT", "Acme") not in rels
    assert memory.search("Globex", run_id="r", limit=1)["results"][0]["id"] == mid
    events = memory.history(mid)
    assert [e["event"] for e in events] == ["ADD", "UPDATE"]
    assert events[1]["old_memory"] == "I work at Acme." and events[1]["new_memory"] == "I work at Globex."
    assert events[1]["actor_id"] == "Carol"
    with pytest.raises(MemoryNotFoundError):
        memory.update("missing", "x")


def test_delete_is_provenance_aware(memory: Memory) -> None:
    first = say(memory, "Bob", "I'll take the hero section copy.", run_id="r")["results"][0]["id"]
    second = say(memory, "Bob", "I'm handling the hero section copy.", run_id="r")["results"][0]["id"]
    rels = [r for r in memory.relations(run_id="r") if r["relationship"] == "RESPONSIBLE_FOR"]
    assert len(rels) == 1 and set(rels[0]["memory_ids"]) == {first, second}  # provenance, not a 2nd edge
    memory.delete(first)
    rels = [r for r in memory.relations(run_id="r") if r["relationship"] == "RESPONSIBLE_FOR"]
    assert len(rels) == 1 and rels[0]["memory_ids"] == [second]
    memory.delete(second)
    assert memory.relations(run_id="r") == []
    assert memory.get_all(run_id="r")["results"] == []
    assert [e["event"] for e in memory.history(first)] == ["ADD", "DELETE"]
    assert memory.graph(run_id="r").number_of_nodes() == 0  # orphaned entities go too
    with pytest.raises(MemoryNotFoundError):
        memory.delete(first)


def test_delete_all_touches_only_its_scope(memory: Memory) -> None:
    a = say(memory, "Alice", "I work at Acme.", run_id="a")["results"][0]["id"]
    say(memory, "Alice", "I work at Acme.", run_id="b")
    memory.delete_all(run_id="a")
    assert memory.get_all(run_id="a") == {"results": [], "relations": []}
    assert len(memory.get_all(run_id="b")["results"]) == 1
    assert triples(memory.relations(run_id="b")) == {("Alice", "WORKS_AT", "Acme")}
    assert memory.history(a)[-1]["event"] == "DELETE"


def test_reset_removes_everything(memory: Memory) -> None:
    mid = memory.add("I live in Rome.", user_id="u")["results"][0]["id"]
    memory.reset()
    assert memory.get_all(user_id="u") == {"results": [], "relations": []}
    with pytest.raises(MemoryNotFoundError):
        memory.history(mid)
    memory.add("still works", user_id="u")
    assert len(memory.get_all(user_id="u")["results"]) == 1


# ---- time -------------------------------------------------------------------------------------
def test_functional_fact_closes_the_previous_one(memory: Memory) -> None:
    memory.add("I live in Paris.", user_id="u1", timestamp="2024-01-01T00:00:00Z")
    memory.add("I moved to Berlin last month.", user_id="u1", timestamp="2024-06-01T00:00:00Z")
    current = memory.relations(user_id="u1", relationship="LIVES_IN")
    assert triples(current) == {("u1", "LIVES_IN", "Berlin")}
    every = memory.relations(user_id="u1", relationship="LIVES_IN", include_invalid=True)
    paris = next(r for r in every if r["destination"] == "Paris")
    berlin = next(r for r in every if r["destination"] == "Berlin")
    assert paris["valid_to"] == berlin["valid_from"] and paris["invalidated_by"] == berlin["id"]
    assert triples(memory.relations(user_id="u1", as_of="2024-03-01T00:00:00Z")) >= {
        ("u1", "LIVES_IN", "Paris")
    }
    assert ("u1", "LIVES_IN", "Berlin") not in triples(memory.relations(user_id="u1", as_of="2024-03-01"))


def test_deleting_the_newer_fact_reopens_the_older(memory: Memory) -> None:
    memory.add("I live in Paris.", user_id="u2", timestamp="2024-01-01T00:00:00Z")
    moved = memory.add("I moved to Berlin.", user_id="u2", timestamp="2024-06-01T00:00:00Z")
    memory.delete(moved["results"][0]["id"])
    assert triples(memory.relations(user_id="u2", relationship="LIVES_IN")) == {("u2", "LIVES_IN", "Paris")}


def test_repeated_fact_adds_provenance_not_an_edge(memory: Memory) -> None:
    say(memory, "Carol", "I work at Acme.", run_id="r")
    say(memory, "Carol", "I work at Acme.", run_id="r")
    rels = memory.relations(run_id="r", relationship="WORKS_AT")
    assert len(rels) == 1 and len(rels[0]["memory_ids"]) == 2


# ---- relations and the graph ------------------------------------------------------------------
def test_relations_by_entity_and_type(memory: Memory) -> None:
    say(memory, "Alice", "Bob and I are building the new landing page.", run_id="lp")
    say(memory, "Carol", "I work at Acme as a product designer.", run_id="lp")
    bob = triples(memory.relations(run_id="lp", entity="Bob"))
    assert ("Bob", "WORKS_ON", "new landing page") in bob
    assert all("Bob" in (s, d) for s, _, d in bob)
    assert triples(memory.relations(run_id="lp", relationship="HAS_ROLE")) == {
        ("Carol", "HAS_ROLE", "product designer")
    }
    assert memory.relations(run_id="lp", entity="Nobody") == []
    with pytest.raises(InvalidRelationTypeError):
        memory.relations(run_id="lp", relationship="WORKS_AT) DETACH DELETE n //")


def test_who_works_with_direct_and_through_shared_work(memory: Memory) -> None:
    say(memory, "Alice", "Bob and I are building the new landing page.", run_id="lp")
    say(memory, "Carol", "I'm working on the new landing page.", run_id="lp")
    say(memory, "Carol", "I'll take the screenshots.", run_id="lp")
    say(memory, "David", "I'll take the screenshots with Carol.", run_id="lp")
    mates = {w["person"]: w for w in memory.who_works_with("Bob", run_id="lp")}
    assert mates["Alice"]["direct"] is True
    assert mates["Carol"]["direct"] is False and "new landing page" in mates["Carol"]["shared"]
    carol = {w["person"]: w for w in memory.who_works_with("Carol", run_id="lp")}
    assert "screenshots" in carol["David"]["shared"]


def test_graph_is_a_networkx_view(memory: Memory) -> None:
    say(memory, "Carol", "I work at Acme as a product designer.", run_id="g")
    g = memory.graph(run_id="g")
    assert isinstance(g, nx.MultiDiGraph)
    names = {d["name"]: d["type"] for _, d in g.nodes(data=True)}
    assert names["Carol"] == "PERSON" and names["Acme"] == "ORGANIZATION"
    edges = {(g.nodes[u]["name"], d["relationship"], g.nodes[v]["name"]) for u, v, d in g.edges(data=True)}
    assert ("Carol", "WORKS_AT", "Acme") in edges
    assert all(d["actor_id"] == "Carol" for _, _, d in g.edges(data=True))


# ---- isolation --------------------------------------------------------------------------------
def test_nothing_from_run_a_is_reachable_from_run_b(memory: Memory) -> None:
    say(memory, "Alice", "Bob and I are building the secret landing page.", run_id="A")
    say(memory, "Zed", "I work at Umbrella.", run_id="B")
    for query in ("secret landing page", "Alice", "who works with Bob?"):
        found = memory.search(query, run_id="B")
        assert all(r["run_id"] == "B" for r in found["results"])
        assert all(r["run_id"] == "B" for r in found["relations"])
        assert "secret" not in " ".join(r["memory"] for r in found["results"])
    assert all(r["run_id"] == "B" for r in memory.get_all(run_id="B")["results"])
    assert triples(memory.relations(run_id="B")) == {("Zed", "WORKS_AT", "Umbrella")}
    assert memory.relations(run_id="B", entity="Alice") == []
    assert memory.who_works_with("Bob", run_id="B") == []
    names = {d["name"] for _, d in memory.graph(run_id="B").nodes(data=True)}
    assert names == {"Zed", "Umbrella"}


def test_same_name_in_two_runs_is_two_entities(memory: Memory) -> None:
    say(memory, "Alice", "I work at Acme.", run_id="r1")
    say(memory, "Alice", "I work at Globex.", run_id="r2")
    assert triples(memory.relations(run_id="r1")) == {("Alice", "WORKS_AT", "Acme")}
    assert triples(memory.relations(run_id="r2")) == {("Alice", "WORKS_AT", "Globex")}


def test_user_scope_spans_runs_but_not_users(memory: Memory) -> None:
    memory.add("I like tea.", user_id="u1", run_id="x")
    memory.add("I like coffee.", user_id="u1", run_id="y")
    memory.add("I like juice.", user_id="u2", run_id="x")
    assert {r["memory"] for r in memory.get_all(user_id="u1")["results"]} == {"I like tea.", "I like coffee."}
    assert {r["memory"] for r in memory.get_all(user_id="u1", run_id="x")["results"]} == {"I like tea."}
    assert {r["memory"] for r in memory.search("like", user_id="u2")["results"]} == {"I like juice."}


def test_a_shorter_name_of_the_same_thing_is_an_alias(memory: Memory) -> None:
    say(memory, "Alice", "Bob and I are building the new landing page.", run_id="lp")
    say(memory, "Carol", "I'm working on the landing page.", run_id="lp")
    say(memory, "Dana", "I'm working on the new landing page analytics.", run_id="lp")
    targets = {r["destination"] for r in memory.relations(run_id="lp", relationship="WORKS_ON")}
    assert targets == {"new landing page", "new landing page analytics"}  # one landing page, not two
    assert {w["person"] for w in memory.who_works_with("Carol", run_id="lp")} == {"Alice", "Bob"}
    names = {d["name"]: d["aliases"] for _, d in memory.graph(run_id="lp").nodes(data=True)}
    assert "landing page" in names["new landing page"]
