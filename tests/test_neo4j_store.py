"""Neo4j-specific behaviour of :class:`~graphmem.stores.neo4j.Neo4jStore`.

The store contract itself (every Store method, on every backend) is in test_store_contract.py;
this file covers what only Neo4j has: query plans, Cypher/Lucene injection, the over-fetching
candidate search, outages and restarts, error translation and the local server launcher.
"""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphmem._cypher import cypher
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.errors import (
    ConstraintViolationError,
    DimensionMismatchError,
    GraphMemError,
    InvalidRelationTypeError,
    StoreAuthError,
    StoreUnavailableError,
)
from graphmem.filters import matches, parse_filters
from graphmem.models import (
    Entity,
    MemoryRecord,
    Relation,
    Scope,
    entity_key,
    format_time,
    new_id,
    text_hash,
    utcnow,
)
from graphmem.stores import _neo4j_params as params
from graphmem.stores.base import WriteBatch

pytestmark = pytest.mark.neo4j

EMB = HashingEmbedder(dim=384)

NASTY = [
    "Robert'); DROP DATABASE neo4j; //",
    'She said "MATCH (n) DETACH DELETE n" and left',
    "back`ticks` and {braces} and {{double}} and $param and ${x} and %s and {0}",
    'Lucene: title:foo AND (bar OR baz) NOT qux~2 "phrase"^3 a+b -c && d || e ! [1 TO 5] {x} * ? \\ /',
    "RETURN 1 UNION MATCH (m) RETURN m // comment",
    "unicode: Zoë 北京 🚀 עברית",
]


def memory(text: str, *, metadata: dict[str, Any] | None = None, **scope: str | None) -> MemoryRecord:
    return MemoryRecord(
        id=new_id(), memory=text, hash=text_hash(text), user_id=scope.get("user_id"),
        agent_id=scope.get("agent_id"), run_id=scope.get("run_id"), actor_id=scope.get("actor_id"),
        role="user", metadata=metadata or {}, memory_type=None, created_at=utcnow(),
        embedding=EMB.embed([text])[0],
    )  # fmt: skip


def entity(name: str, **scope: str | None) -> Entity:
    return Entity(
        id=new_id(), name=name, key=entity_key(name), type="PERSON", user_id=scope.get("user_id"),
        agent_id=scope.get("agent_id"), run_id=scope.get("run_id"), created_at=utcnow(),
        embedding=EMB.embed([name])[0],
    )  # fmt: skip


def relation(src: Entity, dst: Entity, type_: str, fact: str) -> Relation:
    return Relation(
        id=new_id(), type=type_, fact=fact, source_id=src.id, target_id=dst.id, source=src.name,
        target=dst.name, actor_id=src.name, memory_ids=[], user_id=src.user_id, agent_id=src.agent_id,
        run_id=src.run_id, valid_from=utcnow(), created_at=utcnow(), embedding=EMB.embed([fact])[0],
    )  # fmt: skip


def q(text: str) -> Any:
    return EMB.embed([text])[0]


# ---- query plans ------------------------------------------------------------------------------
def plan_operators(store: Any, name: str, **kwargs: Any) -> list[str]:
    """Operator names and details of ``EXPLAIN <cypher/name>``, depth first."""
    with store._driver.session(database=store.database) as session:
        summary = session.run("EXPLAIN " + cypher(name), kwargs).consume()
    found: list[str] = []

    def walk(plan: dict[str, Any]) -> None:
        found.append(f"{plan['operatorType']} {plan.get('args', {}).get('Details', '')}")
        for child in plan.get("children", []):
            walk(child)

    assert summary.plan is not None
    walk(summary.plan)
    return found


def _query_params(scope: Scope, **extra: Any) -> dict[str, Any]:
    return {
        **params.scope_params(scope),
        "filter": [],
        "vector": [0.1] * 384,
        "vectors": [[0.1] * 384],
        **extra,
    }


@pytest.mark.parametrize(
    ("name", "procedure"),
    [
        ("memories_vector_index", "db.index.vector.queryNodes"),
        ("entities_vector_index", "db.index.vector.queryNodes"),
        ("entities_vector_index_many", "db.index.vector.queryNodes"),
        ("relations_vector_index", "db.index.vector.queryRelationships"),
        ("memories_keyword", "db.index.fulltext.queryNodes"),
    ],
)
def test_searches_use_the_index_procedures(neo4j_store: Any, name: str, procedure: str) -> None:
    neo4j_store.ensure_schema(384)
    ops = plan_operators(neo4j_store, name, **_query_params(Scope(user_id="u"), fetch=10, query="x"))
    assert any(op.startswith("ProcedureCall") and procedure in op for op in ops), ops
    assert not any("LabelScan" in op or "AllNodesScan" in op for op in ops), ops


def test_the_graph_read_starts_from_the_named_entities(neo4j_store: Any) -> None:
    """Both halves of ``entities_around`` seek the entities by id; neither scans a label."""
    neo4j_store.ensure_schema(384)
    ops = plan_operators(
        neo4j_store,
        "entities_around",
        **_query_params(Scope(user_id="u"), entity_ids=["a"], hops=2, limit=5, k=5),
    )
    seeks = [op for op in ops if "IndexSeek" in op and "Entity(id)" in op]
    assert len(seeks) >= 2, ops
    assert not any("LabelScan" in op or "AllNodesScan" in op or "RelationshipTypeScan" in op for op in ops), (
        ops
    )


@pytest.mark.parametrize(
    "name", ["memories_list", "memories_count", "memories_vector_exact", "entities_list", "entities_find",
             "entities_vector_exact", "entities_vector_exact_many", "relations_vector_exact", "scope_delete_memories"],
)  # fmt: skip
def test_scoped_reads_seek_indexes_instead_of_scanning_labels(neo4j_store: Any, name: str) -> None:
    neo4j_store.ensure_schema(384)
    ops = plan_operators(
        neo4j_store,
        name,
        **_query_params(Scope(run_id="r"), k=5, limit=5, newest_first=True, keys=["a"], now="t"),
    )
    assert any("IndexSeek" in op and "run_id = $anchor_run_id" in op for op in ops), ops
    scans = [op for op in ops if "LabelScan" in op or "AllNodesScan" in op or "RelationshipTypeScan" in op]
    # The counts' "total" is answered from Neo4j's count store, not by scanning.
    assert not [op for op in scans if "every" not in op], ops


def test_every_query_compiles_without_warnings(neo4j_store: Any) -> None:
    neo4j_store.ensure_schema(384)
    names = sorted(p.stem for p in (Path(__file__).parent.parent / "cypher").glob("*.cypher"))
    noisy = {}
    for name in names:
        if name.startswith("schema") or name == "reset":
            continue  # schema commands and CALL IN TRANSACTIONS cannot be EXPLAINed in a transaction
        base = _query_params(Scope(user_id="u"), fetch=5, k=5, limit=5, query="x", keys=[], ids=[], rows=[],
                             entity_ids=[], source_ids=None, types=None, memory_ids=None, as_of=None,
                             include_invalid=False, hops=2, newest_first=True, now="t", memory_id="m",
                             dim=384, version=1, timeout=1, name="x", cap=5, uids=[], kind="k", actors=["a"])  # fmt: skip
        with neo4j_store._driver.session(database="neo4j") as session:
            summary = session.run("EXPLAIN " + cypher(name), base).consume()
        warnings = [
            s
            for s in summary.gql_status_objects
            if s.is_notification and s.raw_classification != "UNRECOGNIZED"
        ]
        if warnings:
            noisy[name] = [s.status_description for s in warnings]
    assert not noisy


# ---- injection ----------------------------------------------------------------------------------
def test_hostile_text_metadata_names_and_facts_round_trip_verbatim(neo4j_store: Any) -> None:
    scope = {"user_id": "u'`{}"}
    metas = [
        {"k`ey": "v'al", "plain": text, "a-b": "{x}", "nested": {"$where": "1=1", "q": [text]}}
        for text in NASTY
    ]
    mems = [memory(text, metadata=meta, **scope) for text, meta in zip(NASTY, metas, strict=True)]
    people = [entity(name, **scope) for name in ("O'Brien", "Back`tick", "{Curly}", "MATCH (n)", "a\\b")]
    rels = [relation(a, b, "KNOWS", fact) for a, b, fact in zip(people, people[1:], NASTY, strict=False)]
    neo4j_store.apply(WriteBatch(memories_add=mems, entities_upsert=people, relations_add=rels))

    got = neo4j_store.get_memories([m.id for m in mems])
    assert [(m.memory, m.metadata) for m in got] == [(m.memory, m.metadata) for m in mems]
    s = Scope(**scope)
    for mem, meta in zip(mems, metas, strict=True):
        hits = neo4j_store.list_memories(s, parse_filters({"plain": meta["plain"]}))
        assert [h.id for h in hits] == [mem.id]
        assert neo4j_store.keyword_memories(s, None, mem.memory, 1)[0][0].id == mem.id
        assert neo4j_store.vector_memories(s, None, mem.embedding, 1)[0][0].id == mem.id
    assert {e.name for e in neo4j_store.find_entities(s, [entity_key(p.name) for p in people])} == {
        p.name for p in people
    }
    assert {r.fact for r in neo4j_store.relations(s)} == {r.fact for r in rels}
    assert neo4j_store.count_memories() == len(NASTY)  # nothing was dropped or executed


def test_lucene_operators_in_queries_are_plain_words(neo4j_store: Any) -> None:
    s = Scope(user_id="u")
    a, b = memory("alpha AND beta", user_id="u"), memory("gamma delta", user_id="u")
    neo4j_store.apply(WriteBatch(memories_add=[a, b]))
    for query in (
        "AND",
        "alpha:",
        "(alpha",
        'beta"',
        "alpha~",
        "*",
        "beta^2",
        "a/b",
        "NOT gamma",
        "[alpha TO z]",
    ):
        ids = [m.id for m, _ in neo4j_store.keyword_memories(s, None, query, 5)]
        assert b.id not in ids or "gamma" in query, query
    assert neo4j_store.keyword_memories(s, None, "&& || ! ? \\", 5) == []
    assert [m.id for m, _ in neo4j_store.keyword_memories(s, None, "NOT gamma", 5)] == [b.id]


def test_relation_types_are_checked_before_any_query(neo4j_store: Any) -> None:
    x, y = entity("X", user_id="u"), entity("Y", user_id="u")
    bad = relation(x, y, "KNOWS]->() DETACH DELETE n //", "x")
    with pytest.raises(InvalidRelationTypeError):
        neo4j_store.apply(WriteBatch(entities_upsert=[x, y], relations_add=[bad]))
    assert neo4j_store.list_entities(Scope(user_id="u")) == []


# ---- candidate search: scope and filters before the top-k cut ---------------------------------
@pytest.mark.parametrize("exact_search_limit", [0, 5000], ids=["index", "exact"])
def test_a_busy_neighbour_scope_does_not_starve_a_small_one(
    neo4j_server: Any, exact_search_limit: int
) -> None:
    store = neo4j_server.store(exact_search_limit=exact_search_limit)
    store.reset()
    store.ensure_schema(384)
    try:
        busy = [memory(f"the landing page hero copy draft {i}", user_id="busy") for i in range(400)]
        small = [memory(f"notes about lunch {i}", user_id="small") for i in range(3)]
        store.apply(WriteBatch(memories_add=busy + small))
        vec = q("the landing page hero copy draft")
        got = store.vector_memories(Scope(user_id="small"), None, vec, 3)
        assert sorted(m.id for m, _ in got) == sorted(m.id for m in small)
        kw = store.keyword_memories(Scope(user_id="small"), None, "landing page notes", 3)
        assert sorted(m.id for m, _ in kw) == sorted(m.id for m in small)
        # Filters too apply before the cut: the busy scope's own few "keep" memories are found.
        keep = [m.id for m in busy[::100]]
        for m in busy[::100]:
            m.metadata = {"keep": True}
            m.updated_at = utcnow()
        store.apply(WriteBatch(memories_update=busy[::100]))
        f = parse_filters({"keep": True})
        got = store.vector_memories(Scope(user_id="busy"), f, vec, 10)
        assert sorted(m.id for m, _ in got) == sorted(keep)
        kw = store.keyword_memories(Scope(user_id="busy"), f, "landing page", 10)
        assert sorted(m.id for m, _ in kw) == sorted(keep)
    finally:
        store.reset()
        store.close()


def test_index_and_exact_search_agree(neo4j_server: Any) -> None:
    exact, approx = neo4j_server.store(), neo4j_server.store(exact_search_limit=0)
    exact.reset()
    exact.ensure_schema(384)
    try:
        mems = [memory(f"memory number {i} about topic {i % 7}", user_id="u") for i in range(120)]
        exact.apply(WriteBatch(memories_add=mems))
        vec = q("memory about topic 3")
        a = exact.vector_memories(Scope(user_id="u"), None, vec, 5)
        b = approx.vector_memories(Scope(user_id="u"), None, vec, 5)
        assert [m.id for m, _ in a] == [m.id for m, _ in b]
        assert np.allclose([s for _, s in a], [s for _, s in b], atol=1e-5)
        cos = float(np.dot(vec, mems[0].embedding) / np.linalg.norm(vec) / np.linalg.norm(mems[0].embedding))
        score = dict((m.id, s) for m, s in exact.vector_memories(Scope(user_id="u"), None, vec, 120))
        assert score[mems[0].id] == pytest.approx((1 + cos) / 2, abs=1e-5)  # Neo4j's cosine scale
    finally:
        exact.reset()
        exact.close()
        approx.close()


def test_vector_entities_many_takes_each_path_as_one_call_would(neo4j_server: Any) -> None:
    """Index, starved-and-refetched, and exact paths: the batched answers equal one call per vector."""
    stores = [neo4j_server.store(exact_search_limit=n) for n in (None, 0, 10**6)]
    stores[0].reset()
    stores[0].ensure_schema(384)
    try:
        # a busy neighbour, so a small scope's candidates are starved in the index's first fetch
        ents = [entity(f"topic {i} item {i % 13}", user_id="busy") for i in range(300)]
        ents += [entity(f"topic {i} note", user_id="small", run_id=f"r{i % 2}") for i in range(12)]
        stores[0].apply(WriteBatch(entities_upsert=ents))
        queries = [q(f"topic {i} item") for i in (1, 5, 77)] + [q("something else entirely")]
        for store in stores:
            for scope, exact in ((Scope(user_id="busy"), False), (Scope(user_id="small"), False),
                                 (Scope(user_id="small", run_id="r1"), True)):  # fmt: skip
                for k in (3, 20):
                    many = store.vector_entities_many(scope, queries, k, exact=exact)
                    assert many == [store.vector_entities(scope, v, k, exact=exact) for v in queries]
                    assert all(len(found) == min(k, 6 if exact else 300 if scope.user_id == "busy" else 12)
                               for found in many)  # fmt: skip
    finally:
        stores[0].reset()
        for s in stores:
            s.close()


def test_actor_filtered_search_agrees_on_every_path(neo4j_server: Any) -> None:
    """A big scope searched for a few actors' memories: through the actor index, exactly, when
    they are few enough; else through the over-fetching vector index, as before."""
    auto, exact, approx = (neo4j_server.store(exact_search_limit=n) for n in (None, 10**6, 0))
    auto.reset()
    auto.ensure_schema(384)
    try:
        actors = ["ann", "bo", "cy", "di", "ed", "flo", "gus"]
        mems = [
            memory(f"note {i} on subject {i % 11}", user_id="u", actor_id=actors[i % 7]) for i in range(700)
        ]
        mems += [memory(f"note {i} on subject {i % 11}", user_id="u", actor_id="zoe") for i in range(300)]
        mems += [memory(f"note {i} on subject 4", user_id="other", actor_id="ann") for i in range(20)]
        auto.apply(WriteBatch(memories_add=mems))
        vec = q("note on subject 4")
        ran: list[str] = []
        read = auto._read
        auto._read = lambda name, /, **kw: ran.append(name) or read(name, **kw)  # which path answered
        # ann (120 memories) and nobody are few enough for the actor index; bo and cy, zoe, ann and
        # zoe are not: the index answers, after one look at how many they are.
        for raw, path in (
            ({"actor_id": "ann"}, "actors"), ({"actor_id": "nobody"}, "actors"),
            ({"actor_id": {"in": ["bo", "cy"]}}, "index"), ({"actor_id": "zoe"}, "index"),
            ({"AND": [{"actor_id": {"in": ["ann", "zoe"]}}, {"created_at": {"gte": "2000-01-01"}}]}, "index"),
        ):  # fmt: skip
            f = parse_filters(raw)
            ran.clear()
            results = [s.vector_memories(Scope(user_id="u"), f, vec, 10) for s in (auto, exact, approx)]
            assert "memories_vector_actors" in ran and ("memories_vector_index" in ran) == (
                path == "index"
            ), ran
            # the actor index path is exact; the other is the approximate index's, as before
            if path == "actors":
                assert [(m.id, round(s, 6)) for m, s in results[0]] == [
                    (m.id, round(s, 6)) for m, s in results[1]
                ]
            scores = [s for _, s in results[0]]
            assert scores == sorted(scores, reverse=True)
            assert all(matches(f, m) and m.user_id == "u" for m, _ in results[0])
            assert len(results[0]) == (0 if raw == {"actor_id": "nobody"} else 10)
        ops = plan_operators(auto, "memories_vector_actors", **_query_params(Scope(user_id="u"), cap=5, k=5))
        assert any("IndexSeek" in op and "actor_id" in op for op in ops), ops
    finally:
        auto.reset()
        for s in (auto, exact, approx):
            s.close()


def test_search_paths_rescore_the_quantized_index_exactly(neo4j_server: Any) -> None:
    """Every path reports exact cosine scores, and the automatic choice agrees with both forced ones."""
    auto, exact, approx = (neo4j_server.store(exact_search_limit=n) for n in (None, 10**6, 0))
    auto.reset()
    auto.ensure_schema(384)
    try:
        mems = [memory(f"note {i} on subject {i % 11}", user_id="u", run_id=f"r{i % 2}") for i in range(300)]
        auto.apply(WriteBatch(memories_add=mems))
        vec = q("note on subject 4")
        by_id = {m.id: m for m in mems}
        for scope in (Scope(user_id="u"), Scope(run_id="r1")):
            results = [s.vector_memories(scope, None, vec, 20) for s in (auto, exact, approx)]
            assert (
                [m.id for m, _ in results[0]]
                == [m.id for m, _ in results[1]]
                == [m.id for m, _ in results[2]]
            )
            for m, score in results[2]:
                e = by_id[m.id].embedding
                cos = float(np.dot(vec, e) / np.linalg.norm(vec) / np.linalg.norm(e))
                assert score == pytest.approx((1 + cos) / 2, abs=1e-5)
    finally:
        auto.reset()
        for s in (auto, exact, approx):
            s.close()


def test_keyword_search_sees_every_committed_write_at_once(neo4j_store: Any) -> None:
    # The full-text indexes are eventually consistent; the keyword query waits for them.
    for i in range(15):
        word = f"zebra{i}quokka"
        neo4j_store.apply(WriteBatch(memories_add=[memory(f"a note about {word}", user_id="u")]))
        assert [m.memory for m, _ in neo4j_store.keyword_memories(Scope(user_id="u"), None, word, 5)] == [
            f"a note about {word}"
        ]


def test_memories_around_answers_as_the_generic_two_list_version(neo4j_store: Any) -> None:
    from graphmem.stores.base import Store

    base = datetime(2024, 5, 1, 12, tzinfo=UTC)
    mems = []
    for i in range(40):  # two conversations interleaved in time, some at the very same instant
        m = memory(f"turn {i}", user_id="u", run_id=f"c{i % 2}", metadata={"n": i})
        m.created_at = format_time(base + timedelta(seconds=(i // 3) * 10))
        mems.append(m)
    neo4j_store.apply(WriteBatch(memories_add=mems))
    hits = mems[::7]
    for scope, filters in (
        (Scope(user_id="u"), None),
        (Scope(run_id="c1"), parse_filters({"n": {"gte": 10}})),
    ):
        for k, seconds in ((2, 60.0), (3, 1e6), (1, 0.0)):
            want = Store.memories_around(neo4j_store, scope, filters, hits, k, seconds)
            got = neo4j_store.memories_around(scope, filters, hits, k, seconds)
            assert {i: [m.id for m in v] for i, v in got.items()} == {
                i: [m.id for m in v] for i, v in want.items()
            }
            assert any(got.values()) == (seconds > 0)  # a zero window holds no neighbour


VALUES: list[Any] = ["work", "Work", "", 0, 1, 1.0, 2.5, -3, True, False, None, ["a", "B"], [], [1, True],
                    {"x": 1}, "2024-05-01", "2024-01-01T00:00:00+00:00", 2**70]  # fmt: skip


def test_filters_agree_with_the_reference_semantics(neo4j_store: Any) -> None:
    rng = random.Random(7)
    mems = []
    for i in range(24):
        meta = {key: rng.choice(VALUES) for key in ("cat", "n", "tags") if rng.random() < 0.8}
        mems.append(memory(f"m{i}", metadata=meta, user_id="u", actor_id=rng.choice(["Alice", "Bob", None])))
    neo4j_store.apply(WriteBatch(memories_add=mems))
    operands: list[Any] = ["work", "work", "a", "b", 1, 2, 1.0, True, None, "2024-03-01", "*"]
    fields = ["cat", "n", "tags", "actor_id", "created_at", "missing"]
    cases: list[dict[str, Any]] = []
    for field_, op, operand in itertools.product(fields, ["eq", "ne", "gt", "gte", "lt", "lte"], operands):
        if operand == "*":
            cases.append({field_: "*"})
        elif op in ("gt", "gte", "lt", "lte") and (operand is None or isinstance(operand, bool)):
            continue
        else:
            cases.append({field_: {op: operand}})
    for field_ in fields:
        cases += [{field_: {"in": ["work", 1, None]}}, {field_: {"nin": ["work", True]}},
                  {field_: {"contains": "a"}}, {field_: {"icontains": "B"}}, {field_: {"contains": "'x'"}},
                  {field_: {"contains": "True"}}]  # fmt: skip
    cases += [{"OR": [{"cat": "work"}, {"n": {"gt": 0}}]}, {"NOT": [{"cat": "work"}, {"tags": "*"}]},
              {"AND": [{"actor_id": "Alice"}, {"NOT": {"n": None}}]}]  # fmt: skip
    by_id = {m.id: m for m in mems}
    wrong = []
    for case in cases:
        f = parse_filters(case)
        got = {m.id for m in neo4j_store.list_memories(Scope(user_id="u"), f, limit=None)}
        want = {i for i, m in by_id.items() if matches(f, m)}
        if got != want:
            wrong.append((json.dumps(case), len(got), len(want)))
    assert not wrong, wrong[:10]


# ---- writes -------------------------------------------------------------------------------------
def test_a_failing_batch_writes_nothing(neo4j_store: Any) -> None:
    a = memory("first", user_id="u")
    neo4j_store.apply(WriteBatch(memories_add=[a]))
    x, y = entity("X", user_id="u"), entity("Y", user_id="u")
    ghost = entity("Ghost", user_id="u")
    with pytest.raises(ConstraintViolationError):
        batch = WriteBatch(
            memories_add=[memory("second", user_id="u")],
            entities_upsert=[x, y],
            relations_add=[relation(x, ghost, "KNOWS", "x knows a ghost")],
        )
        neo4j_store.apply(batch)
    with pytest.raises(ConstraintViolationError):
        neo4j_store.apply(WriteBatch(memories_add=[memory("third", user_id="u"), a]))  # duplicate id
    assert [m.memory for m in neo4j_store.list_memories(Scope(user_id="u"))] == ["first"]
    assert neo4j_store.list_entities(Scope(user_id="u")) == []


def test_updates_replace_flattened_metadata(neo4j_store: Any) -> None:
    a = memory("x", metadata={"old": "yes", "n": 1}, user_id="u")
    neo4j_store.apply(WriteBatch(memories_add=[a]))
    a.metadata, a.memory, a.updated_at = {"n": 2}, "y", utcnow()
    neo4j_store.apply(WriteBatch(memories_update=[a]))
    s = Scope(user_id="u")
    assert neo4j_store.list_memories(s, parse_filters({"old": "*"})) == []
    assert [m.memory for m in neo4j_store.list_memories(s, parse_filters({"n": 2}))] == ["y"]


def test_history_outlives_the_memory(neo4j_store: Any) -> None:
    a = memory("to be deleted", user_id="u")
    neo4j_store.apply(WriteBatch(memories_add=[a]))
    assert neo4j_store.delete_scope(Scope(user_id="u")) == [a.id]
    assert [e.event for e in neo4j_store.history(a.id)] == ["DELETE"]
    assert neo4j_store.count_memories() == 0


# ---- schema -------------------------------------------------------------------------------------
def test_dimension_mismatch(neo4j_store: Any) -> None:
    neo4j_store.ensure_schema(384)
    neo4j_store.ensure_schema(384)  # idempotent
    neo4j_store.apply(WriteBatch(memories_add=[memory("x", user_id="u")]))
    with pytest.raises(DimensionMismatchError, match="384"):
        neo4j_store.ensure_schema(16)
    with pytest.raises(DimensionMismatchError):
        neo4j_store.vector_memories(Scope(user_id="u"), None, np.ones(16, dtype=np.float32), 1)
    fresh = type(neo4j_store)(neo4j_store.url)  # another client learns the dimension from the database
    try:
        with pytest.raises(DimensionMismatchError):
            fresh.ensure_schema(16)
    finally:
        fresh.close()


def test_an_empty_store_takes_a_new_dimension(neo4j_store: Any) -> None:
    neo4j_store.ensure_schema(384)
    neo4j_store.ensure_schema(16)
    small = HashingEmbedder(dim=16)
    m = memory("x", user_id="u")
    m.embedding = small.embed(["x"])[0]
    neo4j_store.apply(WriteBatch(memories_add=[m]))
    with neo4j_store._driver.session(database="neo4j") as session:
        dims = {r["name"]: r["dim"] for r in session.run(cypher("schema_indexes")) if r["dim"] is not None}
    assert set(dims.values()) == {16}


# ---- availability and errors --------------------------------------------------------------------
def test_unreachable_uri_names_the_uri_not_the_password() -> None:
    from graphmem.neo4j_local._server import free_port
    from graphmem.stores.neo4j import Neo4jStore

    uri = f"bolt://127.0.0.1:{free_port()}"
    store = Neo4jStore(uri, "neo4j", "hunter2-secret", max_transaction_retry_time=0.5, connection_timeout=2)
    with pytest.raises(StoreUnavailableError) as info:
        store.count_memories()
    assert uri in str(info.value) and "hunter2-secret" not in str(info.value)
    assert "hunter2-secret" not in repr(store)
    assert not any(type(e).__module__.startswith("neo4j") for e in _chain(info.value))
    store.close()


def _chain(e: BaseException) -> list[BaseException]:
    out = [e]
    while (e := e.__cause__) is not None:  # type: ignore[assignment]
        out.append(e)
    return out


def test_driver_errors_map_onto_graphmem_errors() -> None:
    from neo4j import exceptions as nx

    from graphmem.stores._neo4j_errors import translate

    def server_error(cls: type[Exception], code: str) -> Exception:
        return cls(f"boom for pw s3cret at {code}")

    uri = "neo4j://user:s3cret@db.example:7687"
    assert isinstance(translate(server_error(nx.AuthError, "Neo.ClientError.Security.Unauthorized"), uri),
                      StoreAuthError)  # fmt: skip
    assert isinstance(translate(server_error(nx.ConstraintError, "x"), uri), ConstraintViolationError)
    assert isinstance(translate(server_error(nx.TransientError, "x"), uri), StoreUnavailableError)
    assert isinstance(translate(nx.ServiceUnavailable("down"), uri), StoreUnavailableError)
    assert isinstance(translate(nx.SessionExpired("gone"), uri), StoreUnavailableError)
    for e in (nx.ServiceUnavailable("s3cret"), server_error(nx.AuthError, "s3cret")):
        err = translate(e, uri, "s3cret")
        assert isinstance(err, GraphMemError) and "s3cret" not in str(err) and "db.example:7687" in str(err)


@pytest.mark.slow
def test_the_same_store_works_again_after_a_server_restart(tmp_path: Path) -> None:
    from graphmem.neo4j_local import LocalNeo4j
    from graphmem.stores.neo4j import Neo4jStore

    with LocalNeo4j(tmp_path / "neo4j") as server:
        store = Neo4jStore(server.uri, max_transaction_retry_time=1.0)
        store.ensure_schema(384)
        a = memory("survives a restart", user_id="u")
        store.apply(WriteBatch(memories_add=[a]))
        server.stop()
        with pytest.raises(StoreUnavailableError, match=r"127\.0\.0\.1"):
            store.count_memories()
        with pytest.raises(StoreUnavailableError):
            store.apply(WriteBatch(memories_add=[memory("lost", user_id="u")]))
        server.start()
        assert store.count_memories() == 1
        assert store.vector_memories(Scope(user_id="u"), None, a.embedding, 1)[0][0].id == a.id
        store.apply(WriteBatch(memories_add=[memory("after", user_id="u")]))
        assert store.count_memories(Scope(user_id="u")) == 2
        store.close()


@pytest.mark.slow
def test_a_store_first_used_while_the_server_is_down_prepares_once_it_is_back(tmp_path: Path) -> None:
    """The first use learns the schema and the stored dimension; when it fails, the next does it."""
    from graphmem.neo4j_local import LocalNeo4j
    from graphmem.stores.neo4j import Neo4jStore

    with LocalNeo4j(tmp_path / "neo4j", heap="512m", pagecache="64m") as server:
        first = Neo4jStore(server.uri)
        first.ensure_schema(384)
        first.apply(WriteBatch(memories_add=[memory("stored before the outage", user_id="u")]))
        first.close()
        server.stop()
        store = Neo4jStore(server.uri, max_transaction_retry_time=1.0)
        with pytest.raises(StoreUnavailableError):
            store.count_memories()
        server.start()
        short = memory("three dimensions", user_id="u")
        short.embedding = HashingEmbedder(dim=3).embed(["three dimensions"])[0]
        with pytest.raises(DimensionMismatchError, match="384"):
            store.vector_memories(Scope(user_id="u"), None, short.embedding, 5)
        with pytest.raises(DimensionMismatchError, match="384"):
            store.apply(WriteBatch(memories_add=[short]))
        assert [r.memory for r, _ in store.keyword_memories(Scope(user_id="u"), None, "outage", 5)] == [
            "stored before the outage"
        ]
        store.close()


def test_threads_first_using_a_store_together_prepare_it_once(neo4j_server: Any) -> None:
    import threading
    import time

    store = neo4j_server.store()
    scripts: list[str] = []
    prepared = threading.Event()
    original = store._ensure_base_schema

    def counted() -> dict[str, int | None]:
        scripts.append(threading.current_thread().name)
        time.sleep(0.3)  # the other threads arrive meanwhile, and must wait
        try:
            return original()
        finally:
            prepared.set()

    store._ensure_base_schema = counted  # type: ignore[method-assign]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def first_use() -> None:
        barrier.wait()
        try:
            store.count_memories(Scope(user_id="nobody-here"))
            assert prepared.is_set(), "a thread read before the schema was made"
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    assert errors == [] and len(scripts) == 1


# ---- the launcher ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_killed_python_process_leaves_no_server_behind(tmp_path: Path) -> None:
    """SIGKILL skips atexit: the watcher stops the JVM and removes its temporary home instead."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from graphmem.neo4j_local._watchdog import is_server

    script = (
        "import time\n"
        "from graphmem.neo4j_local import LocalNeo4j\n"
        "s = LocalNeo4j(heap='256m', pagecache='16m').start()\n"
        "print(s.pid, s.home, flush=True)\n"
        "time.sleep(600)\n"
    )
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH")])
        ),
    )
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, text=True)
    try:
        pid_text, home = owner.stdout.readline().split(maxsplit=1)  # type: ignore[union-attr]
        pid, home = int(pid_text), home.strip()
        assert is_server(pid, home) and Path(home, "data").is_dir()
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    deadline = time.monotonic() + 60
    while (is_server(pid, home) or Path(home).exists()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not is_server(pid, home), "the server outlived the process that started it"
    assert not Path(home).exists(), "the temporary home was left behind"


@pytest.mark.slow
def test_a_stopped_server_releases_its_watcher(tmp_path: Path) -> None:
    from graphmem.neo4j_local import LocalNeo4j

    server = LocalNeo4j(tmp_path / "home", heap="256m", pagecache="16m").start()
    watch = server._watch
    assert watch is not None and watch[0].poll() is None
    server.stop()
    assert server._watch is None and watch[0].returncode == 0
    assert (tmp_path / "home" / "data").is_dir()  # a given home is kept: stop() is not close()


def test_pom_pins_the_launcher_version() -> None:
    from graphmem.neo4j_local import NEO4J_VERSION
    from graphmem.neo4j_local._classpath import pom_text

    assert f"<neo4j.version>{NEO4J_VERSION}</neo4j.version>" in pom_text()


def test_java_25_is_refused_with_a_reason(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from graphmem.neo4j_local import LocalNeo4jError, find_java

    fake = tmp_path / "java"
    fake.write_text("#!/bin/sh\necho 'openjdk version \"25.0.1\" 2025-10-21' >&2\n")
    fake.chmod(0o755)
    monkeypatch.setenv("NEO4J_JAVA", str(fake))
    with pytest.raises(LocalNeo4jError, match="Java 25"):
        find_java()
    monkeypatch.delenv("NEO4J_JAVA")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))  # $JAVA_HOME/bin/java missing: PATH's java is used
    assert find_java().major in (17, 21)


def test_persistent_server_commands_without_a_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from graphmem.neo4j_local import cli, config_snippet

    assert cli("status", data_dir=tmp_path) == 3
    assert cli("stop", data_dir=tmp_path) == 0
    assert "not running" in capsys.readouterr().out
    assert '"url": "bolt://127.0.0.1:1"' in config_snippet("bolt://127.0.0.1:1")
