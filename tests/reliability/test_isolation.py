"""Scope isolation, property-based: random memories across random user / agent / run scopes,
then every read path and ``delete_all`` are checked against the store's raw contents.

The same few people, pages and cities appear in every scope, so a leak (an entity resolved
across scopes, a traversal that leaves its scope, a filter applied after a top-k cut) has every
chance to show. Expected sets come from the raw snapshot (``invariants.snapshot``), never from
graphmem's own read paths.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem import Memory
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.models import SCOPE_KEYS, Scope
from graphmem.stores.base import Store
from reliability.invariants import Snapshot, assert_consistent

PEOPLE = ("Alice", "Bob", "Carol", "Dana")
PAGES = ("checkout", "search")
CITIES = ("Oslo", "Rome")
EXAMPLES = {"embedded": 40, "neo4j": 4}

scope_ids = st.tuples(
    st.sampled_from([None, "u1", "u2"]),
    st.sampled_from([None, "a1", "a2"]),
    st.sampled_from([None, "r1", "r2"]),
).filter(lambda ids: any(ids))


@st.composite
def messages(draw: st.DrawFn) -> dict[str, str]:
    a, b = draw(st.permutations(PEOPLE))[:2]
    text = draw(
        st.sampled_from(
            [f"{a} works with {b}.", f"{a} works on the {PAGES[0]} page.", f"I work on the {PAGES[1]} page.",
             f"I live in {CITIES[0]}.", f"I moved to {CITIES[1]}.", f"{b} manages {a}."]
        )
    )  # fmt: skip
    message = {"role": "user", "content": text}
    if draw(st.booleans()):
        message["name"] = a
    return message


adds = st.lists(st.tuples(scope_ids, st.lists(messages(), min_size=1, max_size=3)), min_size=1, max_size=6)
queries = st.lists(scope_ids, min_size=1, max_size=3)


def as_kwargs(ids: tuple[str | None, ...]) -> dict[str, str]:
    return {k: v for k, v in zip(SCOPE_KEYS, ids, strict=True) if v is not None}


def check_reads(m: Memory, snap: Snapshot, ids: tuple[str | None, ...]) -> None:
    """Every read path in scope ``ids`` returns only what the raw contents put in that scope."""
    kw, scope = as_kwargs(ids), Scope(*ids)
    memories, entities, relations = snap.memories_in(scope), snap.entities_in(scope), snap.relations_in(scope)
    names = {snap.entities[e].name for e in entities}

    got = m.get_all(limit=1000, **kw)
    assert {r["id"] for r in got["results"]} == memories
    assert {r["id"] for r in got["relations"]} <= relations
    assert {r["id"] for r in m.relations(include_invalid=True, **kw)} == relations

    for query in ("Alice works with Bob on the checkout page", "who lives in Rome? Dana"):
        found = m.search(query, limit=50, **kw)
        assert {r["id"] for r in found["results"]} <= memories, query
        assert {r["id"] for r in found["relations"]} <= relations, query
    context = m.context("what do Alice and Bob work on?", max_tokens=400, **kw)
    assert {i["id"] for i in context["items"]} <= memories | relations

    g = m.graph(include_invalid=True, **kw)
    assert set(g.nodes) == entities
    assert {key for _, _, key in g.edges(keys=True)} == relations
    for person in PEOPLE[:2]:
        assert {p["person"] for p in m.who_works_with(person, **kw)} <= names
        assert {r["id"] for r in m.relations(entity=person, include_invalid=True, **kw)} <= relations


def test_no_read_or_delete_crosses_a_scope(store: Store) -> None:
    m = Memory(store=store, embedder=HashingEmbedder(dim=384))

    @settings(
        max_examples=EXAMPLES[store.name], deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )  # fmt: skip
    @given(adds=adds, reads=queries, doomed=scope_ids)
    def run(adds: list[Any], reads: list[tuple[str | None, ...]], doomed: tuple[str | None, ...]) -> None:
        store.reset()
        for ids, msgs in adds:
            m.add(msgs, infer=False, **as_kwargs(ids))
        before = assert_consistent(store)
        for ids in {*reads, *(ids for ids, _ in adds)}:
            check_reads(m, before, ids)

        m.delete_all(**as_kwargs(doomed))
        after = assert_consistent(store)
        gone = Scope(*doomed)
        assert set(after.memories) == set(before.memories) - before.memories_in(gone)
        assert set(after.entities) == set(before.entities) - before.entities_in(gone)
        assert set(after.relations) == set(before.relations) - before.relations_in(gone)
        for kept in after.memories:  # untouched, history included
            assert after.memories[kept] == before.memories[kept]
            assert after.events_of(kept) == before.events_of(kept)
        for dead in set(before.memories) - set(after.memories):
            assert [e.event for e in after.events_of(dead)][-1] == "DELETE"

    run()
