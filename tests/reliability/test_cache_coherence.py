"""The embedded store's in-memory mirror follows other connections' commits exactly.

Another process's (or store object's) commits reach a store through the ``changes`` log: only the
rows it names are re-read. The soak (``benchmarks/soak.py``) showed why: with four writer
processes every write follows someone else's, and reloading the whole store per write and per
read made both cost O(store size) (reads took seconds at 10k memories). Here a *follower* store
object watches a *writer* through random operations, and after each one must answer every read
exactly as a store freshly opened on the file does, having caught up rather than reloaded.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem import Memory
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.models import Scope
from graphmem.stores import _embedded_sql
from graphmem.stores.embedded import EmbeddedStore
from reliability.invariants import assert_consistent

PEOPLE = ("Alice", "Bob", "Carol")


def view(store: EmbeddedStore) -> dict[str, Any]:
    """Every read path's answer over the whole store, in a comparable form."""
    everything = Scope()
    memories = store.list_memories(everything, limit=None)
    entities = store.list_entities(everything)
    relations = store.relations(everything, include_invalid=True)
    probe = np.ones(384, dtype=np.float32)
    entity_ids = [e.id for e in entities]
    return {
        "memories": sorted((m.to_dict() for m in memories), key=lambda d: d["id"]),
        "entities": sorted((e.to_dict() for e in entities), key=lambda d: d["id"]),
        "relations": sorted((r.to_dict() for r in relations), key=lambda d: d["id"]),
        "current": sorted(r.id for r in store.relations(everything)),
        "mentions": store.mentions([m.id for m in memories]),
        "mentioning": sorted((m.id, tuple(sorted(e))) for m, e in store.memories_mentioning(everything, None, entity_ids, 10**6)),
        "touching": sorted(r.id for r in store.relations(everything, entity_ids=entity_ids, include_invalid=True)),
        # sorted: the order of equal scores follows row order, which is not part of the contract
        "memory vectors": sorted((m.id, round(s, 5)) for m, s in store.vector_memories(everything, None, probe, 10**6)),
        "entity vectors": sorted((e.id, round(s, 5)) for e, s in store.vector_entities(everything, probe, 10**6)),
        "relation vectors": sorted((r.id, round(s, 5)) for r, s in store.vector_relations(everything, probe, 10**6)),
        "keyword": sorted(m.id for m, _ in store.keyword_memories(everything, None, "works with Alice Bob Carol", 10**6)),
        "expand": sorted(r.id for r in store.expand(everything, entity_ids, 2, 10**6)) if entity_ids else [],
    }  # fmt: skip


def fresh_view(path: Path) -> dict[str, Any]:
    with EmbeddedStore(path) as fresh:
        return view(fresh)


class Reloads:
    """Counts full reloads of one store object."""

    def __init__(self, store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = store._reload

        def counted() -> None:
            self.count += 1
            real()

        monkeypatch.setattr(store, "_reload", counted)


ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"), st.sampled_from(PEOPLE), st.sampled_from(PEOPLE), st.sampled_from(["r1", "r2"])
        ),
        st.tuples(st.just("move"), st.sampled_from(PEOPLE), st.sampled_from(["Oslo", "Rome", "Lima"])),
        st.tuples(st.just("update"), st.integers(0, 50), st.sampled_from(PEOPLE)),
        st.tuples(st.just("delete"), st.integers(0, 50)),
        st.tuples(st.just("delete_all"), st.sampled_from(["r1", "r2"])),
    ),
    min_size=1,
    max_size=12,
)


def test_a_follower_catches_up_with_every_kind_of_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store"
    writer_store = EmbeddedStore(path)
    writer = Memory(store=writer_store, embedder=HashingEmbedder(dim=384))
    writer.add("Alice works with Bob.", run_id="r1", infer=False)  # fixes the dimension
    follower = EmbeddedStore(path)
    reloads = Reloads(follower, monkeypatch)

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(ops=ops)
    def run(ops: list[tuple[Any, ...]]) -> None:
        for op in ops:
            live = [m["id"] for m in writer.get_all(run_id="r1", limit=1000)["results"]]
            live += [m["id"] for m in writer.get_all(run_id="r2", limit=1000)["results"]]
            if op[0] == "add":
                writer.add(f"{op[1]} works with {op[2]}.", run_id=op[3], infer=False)
            elif op[0] == "move":
                writer.add(
                    [{"role": "user", "name": op[1], "content": f"I moved to {op[2]}."}],
                    run_id="r1",
                    infer=False,
                )
            elif op[0] == "update" and live:
                writer.update(live[op[1] % len(live)], f"{op[2]} works with Carol now.")
            elif op[0] == "delete" and live:
                writer.delete(live[op[1] % len(live)])
            elif op[0] == "delete_all":
                writer.delete_all(run_id=op[1])
            writer.flush()  # background indexing commits vectors after add returns
            assert view(follower) == fresh_view(path)

    run()
    assert reloads.count == 0  # every commit was caught up with, none reloaded
    assert_consistent(follower)


def test_a_reset_and_a_pruned_log_fall_back_to_a_full_reload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store"
    writer = Memory(store=EmbeddedStore(path), embedder=HashingEmbedder(dim=384))
    writer.add("Alice works with Bob.", run_id="r1", infer=False)
    follower = EmbeddedStore(path)
    reloads = Reloads(follower, monkeypatch)

    writer.reset()
    writer.add("Carol works with Bob.", run_id="r1", infer=False)
    writer.flush()
    assert view(follower) == fresh_view(path)
    assert reloads.count == 1

    monkeypatch.setattr(_embedded_sql, "CHANGES_KEPT", 3)  # the writer prunes at every 100th row
    for i in range(120):
        writer.add(f"Alice works with Bob, note {i}.", run_id="r2", infer=False)
    writer.flush()
    assert view(follower) == fresh_view(path)
    assert reloads.count == 2


def test_a_commit_that_left_no_log_row_falls_back_to_a_full_reload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that does not log (another program, an older graphmem) is noticed, not missed."""
    path = tmp_path / "store"
    writer = Memory(store=EmbeddedStore(path), embedder=HashingEmbedder(dim=384))
    mid = writer.add("Alice works with Bob.", run_id="r1", infer=False)["results"][0]["id"]
    writer.flush()  # a logged commit after the unlogged one would hide it (the log names rows only)
    follower = EmbeddedStore(path)
    reloads = Reloads(follower, monkeypatch)
    with sqlite3.connect(path / "graphmem.db") as conn:
        conn.execute("UPDATE memories SET metadata = '{\"edited\": true}' WHERE id = ?", (mid,))
    assert follower.get_memories([mid])[0].metadata == {"edited": True}
    assert reloads.count == 1
