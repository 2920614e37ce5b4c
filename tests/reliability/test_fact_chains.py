"""Functional facts under deletes and updates: a chain of values (Oslo -> Rome -> Lima) keeps
exactly one current value, closed facts point at facts that exist, and provenance never names a
deleted memory, whatever is deleted or rewritten (found by ``benchmarks/soak.py``).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem import Memory
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store
from reliability.conftest import memory_on
from reliability.invariants import assert_consistent

CITIES = ("Oslo", "Rome", "Lima", "Kyiv")


def say(m: Memory, text: str, actor: str = "Dana") -> str:
    out = m.add([{"role": "user", "name": actor, "content": text}], run_id="r", infer=False)
    return str(out["results"][0]["id"])


def lives_in(m: Memory) -> list[tuple[str, bool]]:
    """(city, current?) of every LIVES_IN fact, oldest first."""
    rels = m.relations(run_id="r", relationship="LIVES_IN", include_invalid=True)
    return [(r["destination"], r["valid_to"] is None) for r in sorted(rels, key=lambda r: r["valid_from"])]


def test_deleting_the_middle_of_a_chain_keeps_one_current_value(store: Store) -> None:
    m = memory_on(store)
    ids = [say(m, "I live in Oslo."), say(m, "I moved to Rome."), say(m, "I moved to Lima.")]
    m.delete(ids[1])
    assert lives_in(m) == [("Oslo", False), ("Lima", True)]
    by_city = {r["destination"]: r for r in m.relations(run_id="r", include_invalid=True)}
    # Oslo now ends where Rome ended: when Lima replaced it.
    assert by_city["Oslo"]["invalidated_by"] == by_city["Lima"]["id"]
    assert by_city["Oslo"]["valid_to"] == by_city["Lima"]["valid_from"]
    assert [r["destination"] for r in m.relations(run_id="r", relationship="LIVES_IN")] == ["Lima"]
    assert_consistent(store)


def test_deleting_the_newest_fact_makes_the_previous_one_current_again(store: Store) -> None:
    m = memory_on(store)
    ids = [say(m, "I live in Oslo."), say(m, "I moved to Rome.")]
    m.delete(ids[1])
    assert lives_in(m) == [("Oslo", True)]
    assert_consistent(store)


def test_updating_the_middle_of_a_chain_away_keeps_one_current_value(store: Store) -> None:
    m = memory_on(store)
    ids = [say(m, "I live in Oslo."), say(m, "I moved to Rome."), say(m, "I moved to Lima.")]
    m.update(ids[1], "I like tea.")
    assert lives_in(m) == [("Oslo", False), ("Lima", True)]
    assert_consistent(store)


def test_rewriting_the_newest_fact_to_another_value_keeps_one_current_value(store: Store) -> None:
    m = memory_on(store)
    say(m, "I moved to Lima.")
    oslo = say(m, "I moved to Oslo.")
    m.update(oslo, "I moved to Kyiv.")
    assert lives_in(m) == [("Lima", False), ("Kyiv", True)]
    by_city = {r["destination"]: r for r in m.relations(run_id="r", include_invalid=True)}
    assert by_city["Lima"]["invalidated_by"] == by_city["Kyiv"]["id"]
    assert_consistent(store)


def test_rewriting_a_fact_to_the_same_value_keeps_the_relation(store: Store) -> None:
    m = memory_on(store)
    say(m, "I moved to Lima.")
    oslo = say(m, "I moved to Oslo.")
    (before,) = m.relations(run_id="r", relationship="LIVES_IN")
    m.update(oslo, "I moved to Oslo, for good.")
    (after,) = m.relations(run_id="r", relationship="LIVES_IN")
    assert (after["id"], after["valid_from"], after["memory_ids"]) == (
        before["id"],
        before["valid_from"],
        [oslo],
    )
    assert lives_in(m) == [("Lima", False), ("Oslo", True)]
    assert_consistent(store)


def test_deleting_a_memory_that_restated_the_old_fact_removes_it_from_its_provenance(store: Store) -> None:
    m = memory_on(store)
    first = say(m, "I live in Oslo.")
    both = say(m, "I live in Oslo. Last week I moved to Rome.")  # restates Oslo, then closes it
    assert lives_in(m) == [("Oslo", False), ("Rome", True)]
    m.delete(both)
    (oslo,) = m.relations(run_id="r", relationship="LIVES_IN", include_invalid=True)
    assert (oslo["destination"], oslo["valid_to"], oslo["memory_ids"]) == ("Oslo", None, [first])
    assert_consistent(store)


ops = st.lists(
    st.one_of(
        st.tuples(st.just("say"), st.sampled_from(["Dana", "Eli"]), st.sampled_from(CITIES), st.booleans()),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("update"), st.integers(0, 30), st.sampled_from([*CITIES, None])),
    ),
    min_size=1,
    max_size=10,
)


def test_any_sequence_of_moves_deletes_and_updates_keeps_the_chains_whole(store: Store) -> None:
    m = Memory(store=store, embedder=HashingEmbedder(dim=384))

    @settings(
        max_examples={"embedded": 60, "neo4j": 10}[store.name],
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(ops=ops)
    def run(ops: list[tuple[Any, ...]]) -> None:
        store.reset()
        live: list[tuple[str, str]] = []  # (memory id, actor)
        for op in ops:
            if op[0] == "say":
                _, actor, city, moved = op
                live.append((say(m, f"I {'moved to' if moved else 'live in'} {city}.", actor), actor))
            elif live:
                mid, actor = live[op[1] % len(live)]
                if op[0] == "delete":
                    m.delete(mid)
                    live.remove((mid, actor))
                else:
                    m.update(mid, f"I moved to {op[2]}." if op[2] else "I like tea.")
        assert_consistent(store)  # at most one current value per person, among other things
        for actor in ("Dana", "Eli"):
            rels = m.relations(run_id="r", entity=actor, relationship="LIVES_IN", include_invalid=True)
            facts = [r for r in rels if r["source"] == actor]
            if facts:  # someone who lived somewhere still lives somewhere
                assert sum(r["valid_to"] is None for r in facts) == 1, facts

    run()
