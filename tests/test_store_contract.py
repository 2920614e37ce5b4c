"""The Store contract (``graphmem/stores/base.py``), run on every backend through the ABC only.

Each test takes the ``store`` fixture, so it runs once per backend. The few tests at the end that
need the embedded store's file (reopen, a second connection, a held lock) say so in their name
and take ``embedded_store`` directly.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphmem.embedders.base import to_matrix
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.errors import (
    ConstraintViolationError,
    DimensionMismatchError,
    GraphMemError,
    StoreError,
    StoreUnavailableError,
)
from graphmem.filters import matches, parse_filters
from graphmem.models import (
    Entity,
    HistoryEvent,
    MemoryRecord,
    Relation,
    Scope,
    entity_key,
    format_time,
    new_id,
    text_hash,
)
from graphmem.stores.base import Store, WriteBatch

DIM = 384
EMBEDDER = HashingEmbedder(DIM)
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

ALICE = Scope(user_id="alice")
ALICE_R1 = Scope(user_id="alice", run_id="r1")
ALICE_R2 = Scope(user_id="alice", run_id="r2")
BOB = Scope(user_id="bob")
BOB_R1 = Scope(user_id="bob", run_id="r1")


# ---- builders ---------------------------------------------------------------------------------------
def ts(minutes: float) -> str:
    return format_time(T0 + timedelta(minutes=minutes))


def embed(*texts: str) -> np.ndarray:
    return to_matrix(EMBEDDER.embed(list(texts)), len(texts), DIM)


def memory(
    text: str,
    scope: Scope,
    *,
    at: float = 0,
    actor_id: str | None = None,
    role: str | None = "user",
    metadata: dict[str, Any] | None = None,
    memory_type: str | None = None,
    id: str | None = None,
) -> MemoryRecord:
    return MemoryRecord(
        id=id or new_id(),
        memory=text,
        hash=text_hash(text),
        user_id=scope.user_id,
        agent_id=scope.agent_id,
        run_id=scope.run_id,
        actor_id=actor_id,
        role=role,
        metadata=metadata if metadata is not None else {},
        memory_type=memory_type,
        created_at=ts(at),
        embedding=embed(text)[0],
    )


def entity(
    name: str, scope: Scope, *, type: str = "PERSON", aliases: list[str] | None = None, at: float = 0
) -> Entity:
    return Entity(
        id=new_id(),
        name=name,
        key=entity_key(name),
        type=type,
        user_id=scope.user_id,
        agent_id=scope.agent_id,
        run_id=scope.run_id,
        created_at=ts(at),
        aliases=aliases or [],
        embedding=embed(name)[0],
    )


def relation(
    source: Entity,
    type: str,
    target: Entity,
    *,
    scope: Scope | None = None,
    memory_ids: list[str] | None = None,
    valid_from: float = 0,
    valid_to: float | None = None,
    actor_id: str | None = None,
) -> Relation:
    scope = scope or source.scope
    fact = f"{source.name} {type.lower().replace('_', ' ')} {target.name}"
    return Relation(
        id=new_id(),
        type=type,
        fact=fact,
        source_id=source.id,
        target_id=target.id,
        source=source.name,
        target=target.name,
        actor_id=actor_id,
        memory_ids=memory_ids or [],
        user_id=scope.user_id,
        agent_id=scope.agent_id,
        run_id=scope.run_id,
        valid_from=ts(valid_from),
        created_at=ts(valid_from),
        valid_to=None if valid_to is None else ts(valid_to),
        embedding=embed(fact)[0],
    )


def added(m: MemoryRecord, at: float | None = None) -> HistoryEvent:
    return HistoryEvent(
        new_id(), m.id, "ADD", None, m.memory, m.actor_id, m.role, m.created_at if at is None else ts(at)
    )


def ids(items: list[Any]) -> list[str]:
    return [x[0].id if isinstance(x, tuple) else x.id for x in items]


@pytest.fixture
def st(store: Store) -> Store:
    store.ensure_schema(DIM)
    return store


# ---- writes: round trip and atomicity ---------------------------------------------------------------
def test_apply_round_trips_memories_without_embeddings(st: Store) -> None:
    m1 = memory(
        "Alice owns the hero section", ALICE_R1, at=1, actor_id="alice", metadata={"k": [1, {"x": None}]}
    )
    m2 = memory("Bob reviews the copy", ALICE_R1, at=2, role="assistant", memory_type="fact")
    st.apply(WriteBatch(memories_add=[m1, m2], history=[added(m1), added(m2)]))

    got = st.get_memories([m2.id, "missing", m1.id])
    assert ids(got) == [m2.id, m1.id]
    assert got[1].memory == m1.memory and got[1].hash == m1.hash and got[1].actor_id == "alice"
    assert got[1].metadata == {"k": [1, {"x": None}]}
    assert (got[0].role, got[0].memory_type, got[0].created_at) == ("assistant", "fact", m2.created_at)
    assert got[1].scope == ALICE_R1
    assert all(m.embedding is None for m in got)


def test_results_are_copies_that_cannot_corrupt_the_store(st: Store) -> None:
    m = memory("a note about pricing", ALICE, metadata={"tag": "x"})
    st.apply(WriteBatch(memories_add=[m]))
    got = st.get_memories([m.id])[0]
    got.metadata["tag"] = "changed"
    got.memory = "changed"
    m.metadata["tag"] = "changed by the caller"
    again = st.get_memories([m.id])[0]
    assert (again.memory, again.metadata) == ("a note about pricing", {"tag": "x"})


def _populated(st: Store) -> tuple[MemoryRecord, Entity, Entity, Relation]:
    m = memory("Alice works with Bob on the landing page", ALICE_R1, at=1)
    a, b = entity("Alice", ALICE_R1), entity("Bob", ALICE_R1)
    r = relation(a, "WORKS_WITH", b, memory_ids=[m.id])
    st.apply(
        WriteBatch(
            memories_add=[m], entities_upsert=[a, b], mentions_add=[(m.id, a.id), (m.id, b.id)],
            relations_add=[r], history=[added(m)],
        )
    )  # fmt: skip
    return m, a, b, r


def _snapshot(st: Store) -> dict[str, Any]:
    """Everything observable about ALICE, through every read path."""
    q = embed("zebra crossing landing page")[0]
    return {
        "count": st.count_memories(),
        "list": ids(st.list_memories(ALICE, limit=None)),
        "vector": ids(st.vector_memories(ALICE, None, q, 50)),
        "keyword": ids(st.keyword_memories(ALICE, None, "zebra landing", 50)),
        "entities": ids(st.list_entities(ALICE)),
        "find": ids(st.find_entities(ALICE, ["alice", "bob", "zed"])),
        "vector_entities": ids(st.vector_entities(ALICE, embed("Zed")[0], 10)),
        "relations": ids(st.relations(ALICE, include_invalid=True)),
        "vector_relations": ids(st.vector_relations(ALICE, q, 10)),
    }


@pytest.mark.parametrize("where", ["memory", "relation", "history", "within the batch"])
def test_a_batch_failing_midway_leaves_nothing(st: Store, where: str) -> None:
    m0, a, _, r0 = _populated(st)
    before = _snapshot(st)
    history_before = st.history(m0.id)

    fresh = memory("zebra crossing near the landing page", ALICE_R1, at=5)
    zed = entity("Zed", ALICE_R1)
    rel = relation(zed, "KNOWS", a, memory_ids=[fresh.id])
    batch = WriteBatch(
        memories_add=[fresh], entities_upsert=[zed], mentions_add=[(fresh.id, zed.id)], relations_add=[rel],
        history=[added(fresh)],
    )  # fmt: skip
    if where == "memory":  # the last memory insert collides with a stored id
        batch.memories_add.append(memory("zebra again", ALICE_R1, id=m0.id))
    elif where == "relation":
        batch.relations_add.append(relation(zed, "LIKES", a, memory_ids=[fresh.id]))
        batch.relations_add[-1].id = r0.id
    elif where == "history":
        batch.history.append(
            HistoryEvent(history_before[0].id, fresh.id, "ADD", None, "x", None, None, ts(6))
        )
    else:
        batch.memories_add.append(memory("zebra twice", ALICE_R1, id=fresh.id))

    with pytest.raises(ConstraintViolationError):
        st.apply(batch)

    assert _snapshot(st) == before
    assert st.get_memories([fresh.id]) == []
    assert st.mentions([fresh.id]).get(fresh.id, []) == []
    assert st.history(fresh.id) == []
    assert [h.id for h in st.history(m0.id)] == [h.id for h in history_before]
    # The store is still usable and the same batch minus the collision goes through.
    st.apply(WriteBatch(memories_add=[fresh], entities_upsert=[zed], relations_add=[rel]))
    assert ids(st.keyword_memories(ALICE, None, "zebra", 5)) == [fresh.id]


@pytest.mark.parametrize(
    "dangling", ["mention of a missing memory", "mention of a missing entity", "relation"]
)
def test_links_to_missing_records_are_refused_and_nothing_is_written(st: Store, dangling: str) -> None:
    m, a, _, _ = _populated(st)
    before = _snapshot(st)
    fresh, ghost = memory("zebra crossing", ALICE_R1, at=5), entity("Ghost", ALICE_R1)
    batch = WriteBatch(memories_add=[fresh], history=[added(fresh)])
    if dangling == "relation":
        batch.relations_add = [relation(a, "KNOWS", ghost, memory_ids=[fresh.id])]
    elif dangling == "mention of a missing entity":
        batch.mentions_add = [(fresh.id, a.id), (m.id, ghost.id)]
    else:
        batch.mentions_add = [(fresh.id, a.id), (new_id(), a.id)]
    with pytest.raises(ConstraintViolationError):
        st.apply(batch)
    assert _snapshot(st) == before
    assert st.get_memories([fresh.id]) == [] and st.history(fresh.id) == []
    # Linking to records created earlier in the same batch is fine.
    batch.entities_upsert = [ghost]
    batch.mentions_add = [(fresh.id, ghost.id), (m.id, ghost.id)]
    st.apply(batch)
    assert ids(st.memories_mentioning(ALICE, None, [ghost.id], 5)) == [fresh.id, m.id]


def test_a_batch_with_a_vector_of_another_dimension_writes_nothing(st: Store) -> None:
    good = memory("fine", ALICE)
    bad = memory("too short", ALICE)
    bad.embedding = np.ones(DIM // 2, dtype=np.float32) / np.sqrt(DIM // 2)
    with pytest.raises(DimensionMismatchError):
        st.apply(WriteBatch(memories_add=[good, bad]))
    assert st.count_memories() == 0


def test_ensure_schema_is_idempotent_and_rejects_another_dimension(st: Store) -> None:
    st.ensure_schema(DIM)
    st.apply(WriteBatch(memories_add=[memory("one", ALICE)]))
    st.ensure_schema(DIM)
    with pytest.raises(DimensionMismatchError):
        st.ensure_schema(DIM * 2)
    assert st.count_memories() == 1


def test_empty_batch_is_a_no_op(st: Store) -> None:
    st.apply(WriteBatch())
    assert st.count_memories() == 0


# ---- updates and deletes -----------------------------------------------------------------------------
def test_memory_update_replaces_text_vector_metadata_and_keeps_the_rest(st: Store) -> None:
    m = memory("the budget is approved", ALICE_R1, actor_id="alice", metadata={"v": 1})
    other = memory("an unrelated note on gardening", ALICE_R1)
    st.apply(WriteBatch(memories_add=[m, other]))
    new_text = "the deadline moved to friday"
    upd = MemoryRecord(
        m.id, new_text, text_hash(new_text), None, None, None, None, None, {"v": 2}, None, m.created_at,
        updated_at=ts(30), embedding=embed(new_text)[0],
    )  # fmt: skip
    st.apply(WriteBatch(memories_update=[upd]))

    got = st.get_memories([m.id])[0]
    assert (got.memory, got.hash, got.metadata, got.updated_at) == (
        new_text,
        text_hash(new_text),
        {"v": 2},
        ts(30),
    )
    assert (got.scope, got.actor_id, got.created_at) == (ALICE_R1, "alice", m.created_at)
    assert st.keyword_memories(ALICE, None, "budget", 5) == []
    assert ids(st.keyword_memories(ALICE, None, "deadline", 5)) == [m.id]
    best, score = st.vector_memories(ALICE, None, embed(new_text)[0], 1)[0]
    assert best.id == m.id and score == pytest.approx(1.0, abs=1e-5)


def test_memory_delete_removes_it_and_its_mentions_but_keeps_history(st: Store) -> None:
    m, a, b, _ = _populated(st)
    st.apply(WriteBatch(memories_delete=[m.id]))
    assert st.get_memories([m.id]) == []
    assert st.count_memories(ALICE) == 0
    assert st.keyword_memories(ALICE, None, "landing", 5) == []
    assert st.vector_memories(ALICE, None, embed(m.memory)[0], 5) == []
    assert st.mentions([m.id]).get(m.id, []) == []
    assert st.memories_mentioning(ALICE, None, [a.id, b.id], 5) == []
    assert [h.event for h in st.history(m.id)] == ["ADD"]


def test_vectors_stay_with_their_records_after_deletes(st: Store) -> None:
    ms = [memory(f"distinct memory number {w}", ALICE, at=i) for i, w in enumerate("abcdefg")]
    es = [entity(f"Person {w}", ALICE) for w in "abcdefg"]
    rs = [relation(es[i], "KNOWS", es[i + 1]) for i in range(6)]
    st.apply(WriteBatch(memories_add=ms, entities_upsert=es, relations_add=rs))
    st.apply(WriteBatch(memories_delete=[ms[1].id, ms[3].id], relations_delete=[rs[0].id, rs[2].id]))
    st.apply(WriteBatch(memories_add=[memory("one more after the deletes", ALICE)]))
    for m in [ms[0], ms[2], *ms[4:]]:
        (best, score), *_ = st.vector_memories(ALICE, None, m.embedding, 1)  # type: ignore[arg-type]
        assert best.id == m.id and score == pytest.approx(1.0, abs=1e-5)
    for r in [rs[1], *rs[3:]]:
        (best_r, score), *_ = st.vector_relations(ALICE, r.embedding, 1)  # type: ignore[arg-type]
        assert best_r.id == r.id and score == pytest.approx(1.0, abs=1e-5)
    assert set(ids(st.vector_relations(ALICE, rs[0].embedding, 10))) == {rs[i].id for i in (1, 3, 4, 5)}  # type: ignore[arg-type]


def test_vectors_reads_back_exactly_what_was_stored(st: Store) -> None:
    ms = [memory(f"stored vector {w}", ALICE, at=i) for i, w in enumerate("abc")]
    bare = dataclasses.replace(memory("no vector here", ALICE), embedding=None)
    es = [entity("Person a", ALICE), entity("Person b", ALICE)]
    rs = [relation(es[0], "KNOWS", es[1])]
    st.apply(WriteBatch(memories_add=[*ms, bare], entities_upsert=es, relations_add=rs))
    st.apply(WriteBatch(memories_delete=[ms[1].id]))
    got = st.vectors("memory", [m.id for m in ms] + [bare.id, "no-such-id"])
    assert set(got) == {ms[0].id, ms[2].id}  # deleted, vector-less and unknown ids are left out
    for m in (ms[0], ms[2]):
        assert np.asarray(got[m.id], dtype=np.float32).shape == (DIM,)
        assert np.allclose(got[m.id], m.embedding, atol=1e-6)
    ents = st.vectors("entity", [e.id for e in es])
    assert all(np.allclose(ents[e.id], e.embedding, atol=1e-6) for e in es)
    rels = st.vectors("relation", [rs[0].id, es[0].id])  # an entity id is not a relation
    assert list(rels) == [rs[0].id] and np.allclose(rels[rs[0].id], rs[0].embedding, atol=1e-6)
    assert st.vectors("memory", []) == {}


def test_entity_upsert_of_an_existing_id_replaces_only_aliases(st: Store) -> None:
    _, a, _, _ = _populated(st)
    changed = Entity(a.id, "Someone Else", "someone else", "THING", "x", None, None, ts(50), aliases=["ally"])
    st.apply(WriteBatch(entities_upsert=[changed]))
    [got] = st.find_entities(ALICE, ["ally"])
    assert (got.id, got.name, got.key, got.type, got.scope) == (a.id, "Alice", "alice", "PERSON", ALICE_R1)
    assert got.aliases == ["ally"]
    assert ids(st.find_entities(ALICE, ["alice"])) == [a.id]  # the key still resolves
    assert st.find_entities(ALICE, ["someone else"]) == []


def test_mentions_dedupe_and_clear(st: Store) -> None:
    m, a, b, _ = _populated(st)
    st.apply(WriteBatch(mentions_add=[(m.id, a.id), (m.id, a.id)]))
    assert sorted(st.mentions([m.id])[m.id]) == sorted([a.id, b.id])
    st.apply(WriteBatch(mentions_clear=[m.id], mentions_add=[(m.id, b.id)]))
    assert st.mentions([m.id])[m.id] == [b.id]


# ---- scope semantics ---------------------------------------------------------------------------------
def test_reading_scope_sees_every_run_and_exact_scope_only_its_own(st: Store) -> None:
    e_user = entity("Carol", ALICE)
    e_r1, e_r2 = entity("Carol", ALICE_R1), entity("Carol", ALICE_R2)
    e_bob = entity("Carol", BOB_R1)
    st.apply(WriteBatch(entities_upsert=[e_user, e_r1, e_r2, e_bob]))

    assert set(ids(st.find_entities(ALICE, ["carol"]))) == {e_user.id, e_r1.id, e_r2.id}
    assert ids(st.find_entities(ALICE, ["carol"], exact=True)) == [e_user.id]
    assert ids(st.find_entities(ALICE_R1, ["carol"], exact=True)) == [e_r1.id]
    assert set(ids(st.find_entities(Scope(run_id="r1"), ["carol"]))) == {e_r1.id, e_bob.id}
    assert ids(st.find_entities(Scope(run_id="r1"), ["carol"], exact=True)) == []
    q = embed("Carol")[0]
    assert set(ids(st.vector_entities(ALICE, q, 10))) == {e_user.id, e_r1.id, e_r2.id}
    assert ids(st.vector_entities(ALICE_R2, q, 10, exact=True)) == [e_r2.id]
    assert ids(st.list_entities(Scope(user_id="nobody"))) == []


def test_vector_entities_many_answers_as_one_call_per_vector(st: Store) -> None:
    names = ["Carol", "Carol Smith", "landing page", "new landing page", "Berlin", "Acme", "Dave", "roadmap"]
    st.apply(WriteBatch(entities_upsert=[
        entity(n, scope, type=t, at=i)
        for i, (n, t) in enumerate((n, "PERSON" if n[0].isupper() else "THING") for n in names)
        for scope in (ALICE, ALICE_R1, BOB)
    ]))  # fmt: skip
    queries = list(embed("Carol", "landing pages", "a city in Germany", "nothing like it", "Acme Corp"))
    for scope in (ALICE, ALICE_R1, BOB_R1, Scope(), Scope(user_id="nobody")):
        for exact in (False, True):
            for k in (1, 3, 20):
                many = st.vector_entities_many(scope, queries, k, exact=exact)
                one_by_one = [st.vector_entities(scope, q, k, exact=exact) for q in queries]
                assert many == one_by_one, (scope, exact, k)
    assert st.vector_entities_many(ALICE, [], 3) == []
    assert any(st.vector_entities_many(ALICE, queries, 3))  # the cases above found something


def test_memory_reads_apply_the_reading_scope(st: Store) -> None:
    ms = [
        memory("alpha note one", ALICE_R1, at=1), memory("alpha note two", ALICE_R2, at=2),
        memory("alpha note three", BOB_R1, at=3), memory("alpha note four", Scope("alice", "agent7"), at=4),
    ]  # fmt: skip
    st.apply(WriteBatch(memories_add=ms))
    cases = {
        ALICE: [0, 1, 3],
        ALICE_R1: [0],
        Scope(run_id="r1"): [0, 2],
        Scope(agent_id="agent7"): [3],
        BOB: [2],
    }
    q = embed("alpha note")[0]
    for scope, expected in cases.items():
        want = {ms[i].id for i in expected}
        assert set(ids(st.list_memories(scope, limit=None))) == want, scope
        assert set(ids(st.vector_memories(scope, None, q, 10))) == want, scope
        assert set(ids(st.keyword_memories(scope, None, "alpha", 10))) == want, scope
        assert st.count_memories(scope) == len(want), scope
    assert st.count_memories(None) == 4
    assert st.count_memories(Scope(user_id="nobody")) == 0


def test_a_busy_neighbouring_scope_cannot_starve_a_small_one(st: Store) -> None:
    text = "launch checklist for the landing page"
    crowd = [memory(text, BOB, at=i) for i in range(40)]
    mine = [memory("launch plan, rough", ALICE, at=50), memory("a landing note", ALICE, at=51)]
    st.apply(WriteBatch(memories_add=crowd + mine))
    q = embed(text)[0]
    assert set(ids(st.vector_memories(ALICE, None, q, 2))) == {m.id for m in mine}
    assert set(ids(st.keyword_memories(ALICE, None, text, 2))) == {m.id for m in mine}


# ---- filters: every operator against filters.matches ---------------------------------------------------
def _filter_corpus() -> list[MemoryRecord]:
    metas: list[dict[str, Any]] = [
        {"cat": "work", "n": 1, "tags": ["red", "blue"], "note": "Hello world"},
        {"cat": "home", "n": 2.5, "tags": ["Green"], "note": "Ünïcode Straße", "flag": True},
        {"cat": "work", "n": True, "flag": False, "opt": None},
        {"cat": "Work", "n": "3", "tags": [], "note": "hello again"},
        {"n": 0, "flag": 1, "tags": ["red"], "opt": "set"},
        {"cat": None, "n": -4, "note": 'say "hi" % _ *'},
        {"cat": "home", "n": 10, "tags": ["reddish", 7], "nested": {"a": 1}},
        {},
        {"cat": "play", "n": 1.0, "note": "12345"},
        {"cat": ["work"], "n": 3, "flag": True},
    ]
    actors = ["alice", "bob", None, "alicia"]
    roles = ["user", "assistant", None]
    out = []
    for i in range(30):
        scope = [ALICE_R1, ALICE_R2, Scope("alice", "helper")][i % 3]
        out.append(
            memory(
                f"shared word entry {i} " + " ".join(["filler"] * (i % 4)), scope, at=i,
                actor_id=actors[i % 4], role=roles[i % 3], metadata=dict(metas[i % 10]),
                memory_type="fact" if i % 5 == 0 else None,
            )
        )  # fmt: skip
    return out


FILTERS: list[dict[str, Any]] = [
    {"cat": "work"},
    {"cat": {"eq": "work"}},
    {"cat": {"ne": "work"}},
    {"cat": {"in": ["work", "home"]}},
    {"cat": {"nin": ["work", "home"]}},
    {"cat": None},
    {"cat": {"ne": None}},
    {"cat": "*"},
    {"opt": None},
    {"opt": "*"},
    {"n": 1},
    {"n": 1.0},
    {"n": True},
    {"flag": True},
    {"flag": 1},
    {"flag": {"ne": True}},
    {"n": {"in": [1, "3"]}},
    {"n": {"nin": [1, True]}},
    {"n": {"gt": 1}},
    {"n": {"gte": 1}},
    {"n": {"lt": 2.5}},
    {"n": {"lte": 2.5}},
    {"n": {"gt": "2"}},
    {"n": {"gte": 0, "lt": 3}},
    {"tags": {"contains": "red"}},
    {"tags": {"icontains": "GREEN"}},
    {"tags": {"contains": "7"}},
    {"note": {"contains": "ell"}},
    {"note": {"icontains": "HELLO"}},
    {"note": {"icontains": "üNÏ"}},
    {"note": {"contains": "%"}},
    {"note": {"contains": "_"}},
    {"note": {"contains": '"hi"'}},
    {"note": {"contains": "234"}},
    {"nested": {"contains": "a"}},
    {"cat": {"contains": "work"}},
    {"missing": {"ne": 1}},
    {"missing": {"nin": [1]}},
    {"missing": 1},
    {"actor_id": "alice"},
    {"actor_id": {"ne": "alice"}},
    {"actor_id": {"in": ["alice", "bob"]}},
    {"actor_id": {"nin": ["alice"]}},
    {"actor_id": {"contains": "ali"}},
    {"actor_id": {"icontains": "ALI"}},
    {"actor_id": "*"},
    {"actor_id": None},
    {"role": {"ne": "user"}},
    {"memory_type": "fact"},
    {"memory_type": {"ne": "fact"}},
    {"run_id": "r1"},
    {"agent_id": "*"},
    {"agent_id": {"ne": "helper"}},
    {"created_at": {"gte": ts(5), "lt": ts(12)}},
    {"created_at": {"gt": "2024-03-01T09:20"}},
    {"updated_at": "*"},
    {"AND": [{"cat": "work"}, {"actor_id": {"ne": "bob"}}]},
    {"OR": [{"cat": "home"}, {"n": {"lt": 0}}]},
    {"NOT": [{"cat": "work"}]},
    {"NOT": [{"cat": "work"}, {"role": "user"}]},
    {"OR": [{"AND": [{"cat": "work"}, {"n": 1}]}, {"NOT": {"tags": "*"}}]},
    {"AND": [{"OR": [{"flag": True}, {"flag": False}]}, {"NOT": [{"actor_id": None}]}]},
    {"cat": "work", "role": "assistant"},
]


@pytest.mark.parametrize("raw", FILTERS, ids=[str(f) for f in FILTERS])
def test_filters_agree_with_the_reference_semantics(st: Store, raw: dict[str, Any]) -> None:
    corpus = _filter_corpus()
    noise = [memory("shared word entry noise", BOB, metadata={"cat": "work", "n": 1})]
    st.apply(WriteBatch(memories_add=corpus + noise))
    # Memories 0..9 mention the entity, so memories_mentioning sees a filtered subset too.
    ent = entity("Shared", ALICE_R1)
    st.apply(WriteBatch(entities_upsert=[ent], mentions_add=[(m.id, ent.id) for m in corpus[:10] + noise]))
    f = parse_filters(raw)
    expected = [m for m in corpus if matches(f, m)]
    want = {m.id for m in expected}

    assert set(ids(st.list_memories(ALICE, f, limit=None))) == want
    assert set(ids(st.vector_memories(ALICE, f, embed("shared word entry")[0], 100))) == want
    assert set(ids(st.keyword_memories(ALICE, f, "shared word", 100))) == want
    assert set(ids(st.memories_mentioning(ALICE, f, [ent.id], 100))) == {
        m.id for m in expected if m in corpus[:10]
    }
    # The filter acts before the top-k cut: k results whenever k match, however poorly they rank.
    k = 3
    assert len(st.vector_memories(ALICE, f, embed("shared word entry 29 filler filler")[0], k)) == min(
        k, len(want)
    )
    assert len(st.keyword_memories(ALICE, f, "filler", k)) == min(
        k, len({m.id for m in expected if "filler" in m.memory})
    )
    assert set(ids(st.list_memories(ALICE, f, limit=k))) <= want


def test_filter_corpus_makes_the_cases_discriminating() -> None:
    """Guards the test above: a case that matches all or nothing proves little."""
    corpus = _filter_corpus()
    trivial = [raw for raw in FILTERS if len({matches(parse_filters(raw), m) for m in corpus}) == 1]
    # Matching all (ne/nin on an absent key) or none (eq on an absent key) is the point of these.
    assert trivial == [
        {"missing": {"ne": 1}}, {"missing": {"nin": [1]}}, {"missing": 1},
        {"actor_id": None},  # a top-level field equal to None is "absent": nothing matches
        {"updated_at": "*"},
    ]  # fmt: skip


def test_bool_and_int_are_kept_apart_and_ne_matches_absent_fields(st: Store) -> None:
    one = memory("x one", ALICE, metadata={"v": 1})
    true = memory("x true", ALICE, metadata={"v": True})
    absent = memory("x absent", ALICE)
    st.apply(WriteBatch(memories_add=[one, true, absent]))

    def pick(raw: dict[str, Any]) -> set[str]:
        return set(ids(st.list_memories(ALICE, parse_filters(raw), limit=None)))

    assert pick({"v": 1}) == {one.id}
    assert pick({"v": True}) == {true.id}
    assert pick({"v": {"ne": 1}}) == {true.id, absent.id}
    assert pick({"v": {"gte": 1}}) == {one.id}
    assert pick({"actor_id": {"ne": "x"}}) == {one.id, true.id, absent.id}


# ---- ranking ------------------------------------------------------------------------------------------
def test_vector_search_ranks_by_cosine_on_the_0_1_scale(st: Store) -> None:
    texts = ["the hero section copy", "hero section images", "quarterly budget review", "ski trip in march"]
    ms = [memory(t, ALICE, at=i) for i, t in enumerate(texts)]
    st.apply(WriteBatch(memories_add=ms))
    q = embed("hero section copy draft")[0]
    hits = st.vector_memories(ALICE, None, q, 10)
    expected = sorted(((1 + float(m.embedding @ q)) / 2, m.id) for m in ms)[::-1]
    assert ids(hits) == [i for _, i in expected]
    assert [s for _, s in hits] == pytest.approx([s for s, _ in expected], abs=1e-5)
    assert all(0.0 <= s <= 1.0 for _, s in hits)
    assert ids(st.vector_memories(ALICE, None, q, 2)) == [i for _, i in expected[:2]]
    # An exact match scores 1, an opposite vector 0.
    assert st.vector_memories(ALICE, None, ms[2].embedding, 1)[0][1] == pytest.approx(1.0, abs=1e-5)  # type: ignore[arg-type]
    assert st.vector_memories(ALICE, None, -ms[2].embedding, 4)[-1][1] == pytest.approx(0.0, abs=1e-5)  # type: ignore[operator]


def test_keyword_search_ranks_relevant_text_first_with_positive_scores(st: Store) -> None:
    ms = [
        memory("pricing pricing pricing page for enterprise", ALICE, at=0),
        memory("the pricing page", ALICE, at=1),
        memory("a long note that mentions pricing once among many other words about onboarding", ALICE, at=2),
        memory("nothing relevant here", ALICE, at=3),
    ]
    st.apply(WriteBatch(memories_add=ms))
    hits = st.keyword_memories(ALICE, None, "Pricing", 10)
    assert ids(hits) == [ms[0].id, ms[1].id, ms[2].id]
    scores = [s for _, s in hits]
    assert all(s > 0 for s in scores) and scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    assert set(ids(st.keyword_memories(ALICE, None, "enterprise onboarding", 10))) == {ms[0].id, ms[2].id}
    assert st.keyword_memories(ALICE, None, "pricing", 1)[0][0].id == ms[0].id
    assert st.keyword_memories(ALICE, None, "absentword", 10) == []


HOSTILE = [
    '"', '""', "'", "it's", 'say "hello', "AND", "OR NOT AND", "NEAR(landing page, 2)", "memory:landing",
    "landing*", "^landing", "-landing +page", "(landing", "landing)", "{landing}", "[landing]", "landing~2",
    "landing^3 AND page", 'foo" OR "1"="1', "title:hero AND body:(a OR b)", "* ? \\ / : ! && ||",
    "MATCH (n) DETACH DELETE n //", "CALL db.index.fulltext.queryNodes('x', '*') YIELD node",
    "'); DROP TABLE memories; --", "\\", "\x00", "🎉🔥", "landing 🎉 page", "", "   ", "NULL",
    "ｌａｎｄｉｎｇ", "لاندینگ", "a" * 5000, " ".join(["landing"] * 300),
]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:30]) for t in HOSTILE])
def test_keyword_search_never_fails_on_hostile_text(st: Store, text: str) -> None:
    target = memory('The "landing" page (v2) — 🎉 launch: AND/OR *ready*', ALICE)
    st.apply(WriteBatch(memories_add=[target, memory("unrelated gardening note", ALICE)]))
    hits = st.keyword_memories(ALICE, None, text, 5)
    assert isinstance(hits, list)
    assert all(isinstance(m, MemoryRecord) and s > 0 for m, s in hits)
    if "landing" in text:  # the real word inside the noise is still found
        assert ids(hits)[:1] == [target.id]
    assert st.count_memories(ALICE) == 2


def test_keyword_search_is_case_and_punctuation_insensitive(st: Store) -> None:
    m = memory("Émile's NEW-roadmap: Q3!", ALICE)
    st.apply(WriteBatch(memories_add=[m]))
    for query in ["roadmap", "ROADMAP?", "new roadmap", "q3", "'roadmap'"]:
        assert ids(st.keyword_memories(ALICE, None, query, 5)) == [m.id], query


# ---- listing and ordering -------------------------------------------------------------------------------
def test_list_memories_orders_by_created_at_and_limits(st: Store) -> None:
    ms = [memory(f"note {i}", ALICE, at=at) for i, at in enumerate([5, 1, 9, 3])]
    st.apply(WriteBatch(memories_add=ms))
    newest = [ms[2].id, ms[0].id, ms[3].id, ms[1].id]
    assert ids(st.list_memories(ALICE, limit=None)) == newest
    assert ids(st.list_memories(ALICE, limit=2)) == newest[:2]
    assert ids(st.list_memories(ALICE, limit=None, newest_first=False)) == newest[::-1]


def test_list_entities_oldest_first(st: Store) -> None:
    es = [entity(n, ALICE, at=at) for n, at in [("Dora", 4), ("Eve", 1), ("Finn", 2)]]
    st.apply(WriteBatch(entities_upsert=es))
    assert [e.name for e in st.list_entities(ALICE)] == ["Eve", "Finn", "Dora"]
    assert [e.name for e in st.list_entities(ALICE, limit=1)] == ["Eve"]


def test_find_entities_by_key_or_alias(st: Store) -> None:
    rob = entity("Robert", ALICE, aliases=["bob", "bobby"])
    st.apply(WriteBatch(entities_upsert=[rob, entity("Bobcat", ALICE, type="THING")]))
    assert ids(st.find_entities(ALICE, ["bobby"])) == [rob.id]
    assert ids(st.find_entities(ALICE, ["robert", "bob"])) == [rob.id]
    assert st.find_entities(ALICE, ["rob"]) == []
    assert st.find_entities(BOB, ["robert"]) == []


# ---- relations -------------------------------------------------------------------------------------------
@pytest.fixture
def team(st: Store) -> dict[str, Any]:
    """Alice's run r1: a small team with one closed fact, plus look-alikes in other scopes."""
    m1, m2 = memory("Alice works with Bob", ALICE_R1, at=1), memory("Carol manages Alice", ALICE_R1, at=2)
    a, b, c = entity("Alice", ALICE_R1), entity("Bob", ALICE_R1), entity("Carol", ALICE_R1)
    acme, globex = (
        entity("Acme", ALICE_R1, type="ORGANIZATION"),
        entity("Globex", ALICE_R1, type="ORGANIZATION"),
    )
    works_with = relation(a, "WORKS_WITH", b, memory_ids=[m1.id], valid_from=1, actor_id="alice")
    old_job = relation(a, "WORKS_AT", acme, valid_from=2, valid_to=10)
    new_job = relation(a, "WORKS_AT", globex, valid_from=10)
    manages = relation(c, "MANAGES", a, memory_ids=[m2.id, m1.id], valid_from=5)
    other_a, other_acme = entity("Alice", ALICE_R2), entity("Acme", ALICE_R2)
    other = relation(other_a, "WORKS_AT", other_acme, valid_from=20)
    bob_a, bob_b = entity("Alice", BOB_R1), entity("Bob", BOB_R1)
    bob_rel = relation(bob_a, "KNOWS", bob_b, valid_from=30)
    st.apply(
        WriteBatch(
            memories_add=[m1, m2], entities_upsert=[a, b, c, acme, globex, other_a, other_acme, bob_a, bob_b],
            relations_add=[works_with, old_job, new_job, manages, other, bob_rel],
        )
    )  # fmt: skip
    return dict(locals())


def test_relations_default_to_current_in_scope_newest_first(st: Store, team: dict[str, Any]) -> None:
    t = team
    assert ids(st.relations(ALICE_R1)) == [t["new_job"].id, t["manages"].id, t["works_with"].id]
    assert ids(st.relations(ALICE)) == [t["other"].id, t["new_job"].id, t["manages"].id, t["works_with"].id]
    assert ids(st.relations(ALICE_R1, limit=2)) == [t["new_job"].id, t["manages"].id]
    got = st.relations(ALICE_R1, types=["WORKS_WITH"])[0]
    w = t["works_with"]
    assert (got.source, got.target, got.type, got.actor_id, got.memory_ids) == (
        "Alice",
        "Bob",
        "WORKS_WITH",
        "alice",
        w.memory_ids,
    )
    assert (got.fact, got.valid_from, got.valid_to, got.confidence) == (w.fact, w.valid_from, None, 1.0)


def test_relations_include_invalid_and_as_of(st: Store, team: dict[str, Any]) -> None:
    t = team
    everything = [t["new_job"].id, t["manages"].id, t["old_job"].id, t["works_with"].id]
    assert ids(st.relations(ALICE_R1, include_invalid=True)) == everything
    assert ids(st.relations(ALICE_R1, as_of=ts(6))) == [t["manages"].id, t["old_job"].id, t["works_with"].id]
    assert ids(st.relations(ALICE_R1, as_of=ts(10))) == [t["new_job"].id, t["manages"].id, t["works_with"].id]
    assert ids(st.relations(ALICE_R1, as_of=ts(1.5))) == [t["works_with"].id]
    assert st.relations(ALICE_R1, as_of=ts(0)) == []


def test_relations_by_entity_type_source_and_memory(st: Store, team: dict[str, Any]) -> None:
    t = team
    a, c = t["a"], t["c"]
    assert ids(st.relations(ALICE_R1, entity_ids=[a.id])) == [
        t["new_job"].id,
        t["manages"].id,
        t["works_with"].id,
    ]
    assert ids(st.relations(ALICE_R1, entity_ids=[t["b"].id])) == [t["works_with"].id]
    assert ids(st.relations(ALICE_R1, entity_ids=[])) == []
    assert ids(st.relations(ALICE_R1, source_ids=[a.id])) == [t["new_job"].id, t["works_with"].id]
    assert ids(st.relations(ALICE_R1, source_ids=[c.id])) == [t["manages"].id]
    assert ids(st.relations(ALICE_R1, types=["WORKS_AT"], include_invalid=True)) == [
        t["new_job"].id,
        t["old_job"].id,
    ]
    assert ids(st.relations(ALICE_R1, types=["WORKS_AT"], source_ids=[a.id])) == [t["new_job"].id]
    assert ids(st.relations(ALICE_R1, memory_ids=[t["m2"].id])) == [t["manages"].id]
    assert ids(st.relations(ALICE_R1, memory_ids=[t["m1"].id])) == [t["manages"].id, t["works_with"].id]
    # The same Alice key in run r2 is another node: asking by r1's id never reaches r2's facts.
    assert ids(st.relations(ALICE, entity_ids=[t["other_a"].id])) == [t["other"].id]


def test_relations_exact_scope(st: Store, team: dict[str, Any]) -> None:
    t = team
    assert ids(st.relations(ALICE_R1, exact=True, types=["WORKS_AT"])) == [t["new_job"].id]
    assert st.relations(ALICE, exact=True) == []
    assert ids(st.relations(Scope(run_id="r1"))) == [
        t["bob_rel"].id,
        t["new_job"].id,
        t["manages"].id,
        t["works_with"].id,
    ]


def test_closing_a_relation_through_an_update(st: Store, team: dict[str, Any]) -> None:
    t = team
    [current] = st.relations(ALICE_R1, types=["WORKS_WITH"])
    current.valid_to, current.invalidated_by = ts(40), t["new_job"].id
    current.memory_ids = [*current.memory_ids, t["m2"].id]
    st.apply(WriteBatch(relations_update=[current]))  # embedding None: the stored one is kept
    assert st.relations(ALICE_R1, types=["WORKS_WITH"]) == []
    [closed] = st.relations(ALICE_R1, types=["WORKS_WITH"], include_invalid=True)
    assert (closed.valid_to, closed.invalidated_by) == (ts(40), t["new_job"].id)
    assert ids(st.relations(ALICE_R1, memory_ids=[t["m2"].id], include_invalid=True)) == [
        t["manages"].id,
        closed.id,
    ]
    assert t["works_with"].id not in ids(st.vector_relations(ALICE_R1, t["works_with"].embedding, 10))
    assert t["works_with"].id not in ids(st.expand(ALICE_R1, [t["a"].id], 1, 10))


def test_updates_without_an_embedding_keep_the_stored_vector(st: Store, team: dict[str, Any]) -> None:
    w, m1 = team["works_with"], team["m1"]
    [rel] = st.relations(ALICE_R1, types=["WORKS_WITH"])
    rel.fact, rel.confidence, rel.embedding = "Alice and Bob pair on the page", 0.5, None
    text = "Alice works with Bob daily"
    mem = MemoryRecord(
        m1.id, text, text_hash(text), None, None, None, None, None, {}, None, m1.created_at, ts(9)
    )
    st.apply(WriteBatch(relations_update=[rel], memories_update=[mem]))
    [(got, score)] = st.vector_relations(ALICE_R1, w.embedding, 1)
    assert (got.id, got.fact, got.confidence) == (w.id, "Alice and Bob pair on the page", 0.5)
    assert score == pytest.approx(1.0, abs=1e-5)
    [(got_m, score_m)] = st.vector_memories(ALICE_R1, None, m1.embedding, 1)
    assert (got_m.id, got_m.memory) == (m1.id, text) and score_m == pytest.approx(1.0, abs=1e-5)


def test_vector_relations_current_in_scope_best_first(st: Store, team: dict[str, Any]) -> None:
    t = team
    hits = st.vector_relations(ALICE_R1, embed("Carol manages Alice")[0], 10)
    assert ids(hits)[0] == t["manages"].id and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert set(ids(hits)) == {t["new_job"].id, t["manages"].id, t["works_with"].id}
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert ids(st.vector_relations(BOB, t["bob_rel"].embedding, 10)) == [t["bob_rel"].id]


# ---- graph expansion -----------------------------------------------------------------------------------
def test_expand_one_and_two_hops_never_leaves_the_scope(st: Store) -> None:
    a, b, c, d = (entity(n, ALICE_R1) for n in "ABCD")
    outsider = entity("E", ALICE_R2)
    ab = relation(a, "WORKS_WITH", b, valid_from=1)
    cb = relation(c, "MANAGES", b, valid_from=2)  # incoming to B: traversed against its direction
    cd = relation(c, "KNOWS", d, valid_from=3)  # three hops from A
    closed = relation(a, "WORKS_AT", d, valid_from=1, valid_to=2)  # not current: never followed
    leak_node = relation(b, "KNOWS", outsider, scope=ALICE_R1, valid_from=4)  # far end out of scope
    leak_edge = relation(a, "LIKES", c, scope=ALICE_R2, valid_from=5)  # the edge itself out of scope
    st.apply(
        WriteBatch(
            entities_upsert=[a, b, c, d, outsider], relations_add=[ab, cb, cd, closed, leak_node, leak_edge]
        )
    )

    assert ids(st.expand(ALICE_R1, [a.id], 1, 10)) == [ab.id]
    assert ids(st.expand(ALICE_R1, [a.id], 2, 10)) == [ab.id, cb.id]
    assert ids(st.expand(ALICE_R1, [c.id], 1, 10)) == [cd.id, cb.id]
    assert ids(st.expand(ALICE_R1, [c.id], 2, 10)) == [cd.id, cb.id, ab.id]
    assert ids(st.expand(ALICE_R1, [a.id, d.id], 1, 10)) == [cd.id, ab.id]
    assert ids(st.expand(ALICE_R1, [a.id], 2, 1)) == [ab.id]
    assert st.expand(ALICE_R1, [outsider.id], 2, 10) == []
    assert st.expand(BOB, [a.id], 2, 10) == []
    # Reading scope: Alice's whole user scope contains both runs, so both leaks become in-scope edges.
    assert set(ids(st.expand(ALICE, [a.id], 1, 10))) == {ab.id, leak_edge.id}


def test_expand_orders_nearest_first(st: Store) -> None:
    a, b, c = (entity(n, ALICE) for n in "ABC")
    far = relation(b, "KNOWS", c, valid_from=50)  # newest, but two hops away
    near_old, near_new = relation(a, "KNOWS", b, valid_from=1), relation(a, "LIKES", b, valid_from=9)
    st.apply(WriteBatch(entities_upsert=[a, b, c], relations_add=[far, near_old, near_new]))
    assert ids(st.expand(ALICE, [a.id], 2, 10)) == [near_new.id, near_old.id, far.id]


# ---- mentions ----------------------------------------------------------------------------------------------
def test_mentions_and_memories_mentioning(st: Store) -> None:
    a, b, c = entity("Ann", ALICE), entity("Ben", ALICE), entity("Cy", ALICE)
    m1, m2, m3 = (
        memory("Ann and Ben", ALICE_R1, at=1),
        memory("Ben alone", ALICE_R2, at=3),
        memory("Cy", ALICE_R1, at=2),
    )
    m4, m5 = memory("Ben elsewhere", BOB, at=9), memory("nobody", ALICE_R1, at=4)
    st.apply(
        WriteBatch(
            memories_add=[m1, m2, m3, m4, m5], entities_upsert=[a, b, c],
            mentions_add=[(m1.id, a.id), (m1.id, b.id), (m2.id, b.id), (m3.id, c.id), (m4.id, b.id)],
        )
    )  # fmt: skip
    got = st.mentions([m1.id, m5.id])
    assert sorted(got[m1.id]) == sorted([a.id, b.id]) and got.get(m5.id, []) == []

    hits = st.memories_mentioning(ALICE, None, [b.id, c.id], 10)
    assert [(m.id, sorted(e)) for m, e in hits] == [(m2.id, [b.id]), (m3.id, [c.id]), (m1.id, [b.id])]
    both = st.memories_mentioning(ALICE, None, [a.id, b.id], 10)
    assert sorted(dict((m.id, sorted(e)) for m, e in both)[m1.id]) == sorted([a.id, b.id])
    assert ids(st.memories_mentioning(ALICE_R1, None, [b.id], 10)) == [m1.id]
    assert ids(st.memories_mentioning(ALICE, None, [b.id, c.id], 1)) == [m2.id]
    assert st.memories_mentioning(ALICE, None, [], 10) == []


def test_around_entities_answers_as_expand_and_memories_mentioning(st: Store) -> None:
    """The search's one graph read gives what its two parts give alone, limits and filters included."""
    a, b, c = entity("Ann", ALICE), entity("Ben", ALICE), entity("Cy", ALICE)
    ab, bc = relation(a, "WORKS_WITH", b, valid_from=1), relation(b, "KNOWS", c, valid_from=2)
    mems = [memory(f"note {i}", ALICE_R1 if i % 2 else ALICE_R2, at=i, metadata={"n": i}) for i in range(6)]
    st.apply(
        WriteBatch(
            memories_add=mems, entities_upsert=[a, b, c], relations_add=[ab, bc],
            mentions_add=[(m.id, (a, b, c)[i % 3].id) for i, m in enumerate(mems)] + [(mems[0].id, b.id)],
        )
    )  # fmt: skip
    for scope, filters in ((ALICE, None), (ALICE_R1, None), (ALICE, parse_filters({"n": {"gte": 2}}))):
        for hops, limit, k in ((1, 10, 10), (2, 10, 10), (2, 1, 2), (2, 0, 10), (1, 10, 0)):
            rels, mentioning = st.around_entities(scope, filters, [a.id, b.id], hops, limit, k)
            assert ids(rels) == ids(st.expand(scope, [a.id, b.id], hops, limit))
            want = st.memories_mentioning(scope, filters, [a.id, b.id], k)
            assert [(m.id, sorted(e)) for m, e in mentioning] == [(m.id, sorted(e)) for m, e in want]
    assert ids(st.around_entities(ALICE, None, [a.id], 2, 10, 10)[0]) == [ab.id, bc.id]  # nearest first
    assert st.around_entities(ALICE, None, [], 2, 10, 10) == ([], [])


# ---- delete_scope, reset, history ---------------------------------------------------------------------
def test_delete_scope_removes_the_scope_keeps_history_and_other_scopes(st: Store) -> None:
    mine = [memory(f"doomed note {i}", ALICE_R1, at=i, actor_id="alice") for i in range(3)]
    kept = memory("doomed note survives", ALICE_R2, at=5)
    theirs = memory("doomed note of bob", BOB, at=6)
    a, b = entity("Alice", ALICE_R1), entity("Bob", ALICE_R1)
    a2, b2 = entity("Alice", ALICE_R2), entity("Bob", BOB)
    zoe = entity("Zoe", ALICE_R2)
    r1, r2 = relation(a, "KNOWS", b, memory_ids=[mine[0].id]), relation(a2, "KNOWS", zoe)
    st.apply(
        WriteBatch(
            memories_add=[*mine, kept, theirs], entities_upsert=[a, b, a2, b2, zoe], relations_add=[r1, r2],
            mentions_add=[(mine[0].id, a.id), (kept.id, a2.id)],
            history=[added(m) for m in [*mine, kept, theirs]],
        )
    )  # fmt: skip

    deleted = st.delete_scope(ALICE_R1)
    assert sorted(deleted) == sorted(m.id for m in mine)
    assert st.count_memories(ALICE_R1) == 0 and st.list_entities(ALICE_R1) == []
    assert st.relations(ALICE_R1, include_invalid=True) == []
    assert st.keyword_memories(ALICE_R1, None, "doomed", 10) == []
    assert st.vector_memories(ALICE_R1, None, embed("doomed note 1")[0], 10) == []
    assert st.find_entities(ALICE_R1, ["alice"]) == []
    assert st.mentions([mine[0].id]).get(mine[0].id, []) == []
    # Everything else is intact.
    assert set(ids(st.list_memories(Scope(), limit=None))) == {kept.id, theirs.id}
    assert set(ids(st.find_entities(Scope(), ["alice", "bob", "zoe"]))) == {a2.id, b2.id, zoe.id}
    assert ids(st.relations(ALICE)) == [r2.id]
    assert st.mentions([kept.id])[kept.id] == [a2.id]
    # History: the ADD survives and a DELETE without an actor follows it.
    for m in mine:
        events = st.history(m.id)
        assert [e.event for e in events] == ["ADD", "DELETE"]
        assert (events[1].old_memory, events[1].actor_id, events[1].memory_id) == (m.memory, None, m.id)
        assert events[1].created_at >= events[0].created_at
    assert [e.event for e in st.history(kept.id)] == ["ADD"]
    assert st.delete_scope(ALICE_R1) == []


def test_reset_deletes_everything_including_history(st: Store, team: dict[str, Any]) -> None:
    m1 = team["m1"]
    st.apply(WriteBatch(history=[added(m1)]))
    st.reset()
    assert st.count_memories() == 0
    assert st.list_entities(Scope()) == [] and st.relations(Scope(), include_invalid=True) == []
    assert st.history(m1.id) == []
    assert st.keyword_memories(ALICE, None, "alice", 5) == []
    # The schema stays: the store takes writes again with the same dimension.
    st.ensure_schema(DIM)
    st.apply(WriteBatch(memories_add=[memory("after reset", ALICE)]))
    assert ids(st.keyword_memories(ALICE, None, "reset", 5)) != []


def test_history_is_oldest_first_and_per_memory(st: Store) -> None:
    m, other = memory("v1", ALICE, at=0), memory("other", ALICE)
    events = [
        HistoryEvent(new_id(), m.id, "UPDATE", "v1", "v2", "bob", "user", ts(10)),
        HistoryEvent(new_id(), m.id, "ADD", None, "v1", "alice", "user", ts(0)),
        HistoryEvent(new_id(), other.id, "ADD", None, "other", None, None, ts(5)),
    ]
    st.apply(WriteBatch(memories_add=[m, other], history=events))
    st.apply(WriteBatch(history=[HistoryEvent(new_id(), m.id, "DELETE", "v2", None, None, None, ts(20))]))
    got = st.history(m.id)
    assert [(e.event, e.old_memory, e.new_memory, e.actor_id) for e in got] == [
        ("ADD", None, "v1", "alice"), ("UPDATE", "v1", "v2", "bob"), ("DELETE", "v2", None, None)
    ]  # fmt: skip
    assert got[0].id == events[1].id and got[0].role == "user" and got[0].created_at == ts(0)
    assert st.history("no-such-memory") == []


# ---- embedded store only: its file, its connection, its errors -------------------------------------------
@pytest.fixture
def emb(embedded_store: Store) -> Store:
    embedded_store.ensure_schema(DIM)
    return embedded_store


def _everything(st: Store, vectors: dict[str, np.ndarray]) -> dict[str, Any]:
    """Every record, index and ranking the store holds, for comparing a store with its reopened self."""
    memories = st.list_memories(Scope(), limit=None)
    entities = st.list_entities(Scope())
    mids = [m.id for m in memories] + list(vectors)
    return {
        "memories": [m.to_dict() for m in memories],
        "entities": [e.to_dict() for e in entities],
        "relations": [r.to_dict() for r in st.relations(Scope(), include_invalid=True)],
        "mentions": {k: sorted(v) for k, v in st.mentions(mids).items()},
        "history": {mid: [h.to_dict() for h in st.history(mid)] for mid in mids},
        "vector": {
            key: [(x.id, round(s, 5)) for x, s in st.vector_memories(Scope(), None, v, 20)]
            + [(x.id, round(s, 5)) for x, s in st.vector_entities(Scope(), v, 20)]
            + [(x.id, round(s, 5)) for x, s in st.vector_relations(Scope(), v, 20)]
            for key, v in vectors.items()
        },
        "keyword": [ids(st.keyword_memories(Scope(), None, q, 20)) for q in ("landing", "deadline", "bob")],
        "expand": {e.id: ids(st.expand(Scope(), [e.id], 2, 20)) for e in entities},
    }


def test_embedded_store_persists_every_kind_of_write_across_reopen(emb: Store, tmp_path: Path) -> None:
    from graphmem.stores.embedded import EmbeddedStore

    m, a, b, r = _populated(emb)
    m2, m3 = memory("Bob sets the deadline", ALICE_R2, at=2), memory("Bob at home", BOB, at=3)
    c, d = entity("Carol", ALICE_R2), entity("Dan", BOB)
    r2, r3 = relation(b, "KNOWS", c, scope=ALICE, valid_from=2), relation(d, "KNOWS", d, valid_from=3)
    emb.apply(
        WriteBatch(
            memories_add=[m2, m3], entities_upsert=[c, d], relations_add=[r2, r3],
            mentions_add=[(m2.id, c.id), (m3.id, d.id), (m2.id, b.id)], history=[added(m2), added(m3)],
        )
    )  # fmt: skip
    text = "Alice and Bob finish the landing page before the deadline"
    m_upd = MemoryRecord(m.id, text, text_hash(text), None, None, None, None, None, {"v": 2}, None, "", ts(8))
    m2_upd = memory("Carol moved the deadline", ALICE_R2, id=m2.id)
    m2_upd.updated_at = ts(9)
    r_closed = dataclasses.replace(r, embedding=None)
    r_closed.valid_to, r_closed.invalidated_by, r_closed.confidence = ts(7), r2.id, 0.25
    new_aliases = Entity(a.id, "x", "x", "THING", None, None, None, ts(0), aliases=["ally", "al"])
    emb.apply(
        WriteBatch(
            memories_update=[m_upd, m2_upd], memories_delete=[m3.id], relations_update=[r_closed],
            entities_upsert=[new_aliases],
            entities_delete=[d.id], mentions_clear=[m2.id], mentions_add=[(m2.id, c.id)],
            history=[HistoryEvent(new_id(), m.id, "UPDATE", m.memory, text, "bob", "user", ts(8))],
        )
    )  # fmt: skip
    vectors = {
        "m": embed(m.memory)[0], "m2": embed(m2_upd.memory)[0], "m2_old": embed(m2.memory)[0],
        "a": embed("Alice")[0], "r": embed(r.fact)[0], "r2": embed(r2.fact)[0],
    }  # fmt: skip
    before = _everything(emb, vectors)
    assert [x["id"] for x in before["memories"]] == [m2.id, m.id]  # the sequence above did happen
    assert before["vector"]["m"][0] == (m.id, 1.0) and before["vector"]["m2"][0] == (m2.id, 1.0)
    emb.close()
    emb.close()  # idempotent
    with pytest.raises(StoreError):
        emb.count_memories()

    with EmbeddedStore(tmp_path / "store") as again:
        assert _everything(again, vectors) == before
        with pytest.raises(DimensionMismatchError):
            again.ensure_schema(DIM + 1)
        again.delete_scope(ALICE_R2)
    with EmbeddedStore(tmp_path / "store") as third:
        assert [x.id for x in third.list_memories(Scope(), limit=None)] == [m.id]
        assert [h.event for h in third.history(m2.id)] == ["ADD", "DELETE"]
    assert (tmp_path / "store" / "graphmem.db").is_file()


def test_embedded_keyword_search_drops_stop_words(emb: Store) -> None:
    noise = memory("who is on the team?", ALICE)
    hit = memory("landing page copy", ALICE)
    emb.apply(WriteBatch(memories_add=[noise, hit]))
    assert ids(emb.keyword_memories(ALICE, None, "who is working on the landing page?", 5)) == [hit.id]
    assert ids(emb.keyword_memories(ALICE, None, "who is on the", 5)) == [noise.id]  # nothing else to go on


def test_embedded_store_sees_writes_of_another_connection(emb: Store, tmp_path: Path) -> None:
    from graphmem.stores.embedded import EmbeddedStore

    with EmbeddedStore(tmp_path / "store") as other:
        m, a, _, r = _populated(other)
        assert ids(emb.keyword_memories(ALICE, None, "landing", 5)) == [m.id]
        assert ids(emb.vector_memories(ALICE, None, embed(m.memory)[0], 5)) == [m.id]
        assert ids(emb.expand(ALICE, [a.id], 1, 5)) == [r.id]
        # A write through ``emb`` after the foreign one must not lose either.
        mine = memory("written by the first connection", ALICE)
        emb.apply(WriteBatch(memories_add=[mine]))
        assert set(ids(other.list_memories(ALICE, limit=None))) == {m.id, mine.id}
        assert set(ids(emb.list_memories(ALICE, limit=None))) == {m.id, mine.id}
        other.delete_scope(ALICE)
        assert emb.count_memories() == 0 and emb.expand(ALICE, [a.id], 1, 5) == []


def test_embedded_store_reports_a_held_lock_as_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from graphmem.stores import embedded

    monkeypatch.setattr(embedded, "_BUSY_TIMEOUT_S", 0.01)
    with embedded.EmbeddedStore(tmp_path / "locked") as s:
        s.ensure_schema(DIM)
        holder = sqlite3.connect(tmp_path / "locked" / "graphmem.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreUnavailableError):
                s.apply(WriteBatch(memories_add=[memory("blocked", ALICE)]))
            assert s.count_memories() == 0  # reads are not blocked by a writer in WAL mode
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        s.apply(WriteBatch(memories_add=[memory("unblocked", ALICE)]))
        assert s.count_memories() == 1


def test_embedded_store_wraps_a_corrupt_file(tmp_path: Path) -> None:
    from graphmem.stores.embedded import EmbeddedStore

    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "graphmem.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        EmbeddedStore(tmp_path / "bad")


def test_embedded_entity_delete_detaches_it(emb: Store) -> None:
    m, a, b, _ = _populated(emb)
    emb.apply(WriteBatch(entities_delete=[a.id]))
    assert ids(emb.list_entities(ALICE)) == [b.id]
    assert emb.relations(ALICE, include_invalid=True) == []
    assert emb.mentions([m.id])[m.id] == [b.id]
    assert emb.expand(ALICE, [b.id], 2, 5) == []


def test_embedded_store_survives_concurrent_threads(emb: Store) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                emb.apply(WriteBatch(memories_add=[memory(f"thread {n} note {i}", ALICE)]))
                emb.vector_memories(ALICE, None, embed("thread note")[0], 5)
                emb.keyword_memories(ALICE, None, "note", 5)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert emb.count_memories(ALICE) == 40
    assert len(emb.keyword_memories(ALICE, None, "note", 100)) == 40


def test_no_sqlite_error_escapes(emb: Store) -> None:
    m = memory("x", ALICE)
    m.metadata = {"bad": object()}
    with pytest.raises(GraphMemError):
        emb.apply(WriteBatch(memories_add=[m]))
    assert emb.count_memories() == 0


# ---- documents ---------------------------------------------------------------------------------
def test_documents_are_upserted_read_and_deleted_atomically(st: Store) -> None:
    store = st
    store.apply(WriteBatch(docs_put=[("role", "p1/alice", {"role": "admin"}), ("role", "p1/bob", {"role": "viewer"}),
                                     ("key", "k1", {"hash": "x", "principal": "alice"})]))  # fmt: skip
    assert store.get_docs("role") == {"p1/alice": {"role": "admin"}, "p1/bob": {"role": "viewer"}}
    assert store.get_docs("role", ["p1/bob", "missing"]) == {"p1/bob": {"role": "viewer"}}
    store.apply(
        WriteBatch(docs_put=[("role", "p1/bob", {"role": "member"})], docs_delete=[("role", "p1/alice")])
    )
    assert store.get_docs("role") == {"p1/bob": {"role": "member"}}
    assert store.get_docs("key") == {"k1": {"hash": "x", "principal": "alice"}}
    # a failing batch writes none of its documents
    dup = memory("dup doc batch", Scope(user_id="u"))
    store.apply(WriteBatch(memories_add=[dup]))
    with pytest.raises(ConstraintViolationError):
        store.apply(WriteBatch(docs_put=[("role", "p1/carol", {"role": "admin"})], memories_add=[dup]))
    assert "p1/carol" not in store.get_docs("role")
    store.reset()
    assert store.get_docs("role") == {} and store.get_docs("key") == {}
