"""Background indexing: ``add`` returns before memory and fact vectors exist; readers wait for them.

See ``graphmem/pipeline/indexer.py``. The gate embedder below holds the indexer's thread, so each
test can look at the store while vectors are still queued.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from graphmem import Memory
from graphmem.embedders.base import embed_one
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.errors import StoreUnavailableError
from graphmem.models import MemoryRecord, Scope, index_text, new_id, text_hash, utcnow
from graphmem.pipeline.add import INLINE_BATCH
from graphmem.pipeline.indexer import Indexer, Job
from graphmem.stores.base import Store, VectorKind, WriteBatch


class GateEmbedder(HashingEmbedder):
    """Hashing vectors; calls from the indexer's thread wait until ``gate`` is set."""

    def __init__(self) -> None:
        super().__init__(dim=384)
        self.gate = threading.Event()
        self.background_texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> Any:
        if threading.current_thread().name == "graphmem-indexer":
            assert self.gate.wait(timeout=60), "the test never opened the gate"
            self.background_texts += texts
        return super().embed(texts)


def vector_ids(store: Store, scope: Scope) -> set[str]:
    probe = np.ones(384, dtype=np.float32)
    return {m.id for m, _ in store.vector_memories(scope, None, probe, 1000)}


def test_add_returns_before_its_vectors_and_search_waits_for_them(store: Store) -> None:
    emb = GateEmbedder()
    m = Memory(store=store, embedder=emb)
    added = m.add([{"role": "user", "name": "Bob", "content": "I work with Alice on the launch."}], run_id="r",
                  infer=False)  # fmt: skip
    mid = added["results"][0]["id"]
    assert added["relations"]["added"]  # the graph is written at once
    assert [r["id"] for r in m.get_all(run_id="r")["results"]] == [mid]
    assert vector_ids(store, Scope(run_id="r")) == set()  # ... its vector is not
    assert (mid, "Bob: I work with Alice on the launch.") in store.missing_vectors("memory", 10)
    assert {rid for rid, _ in store.missing_vectors("relation", 10)} == {
        r["id"] for r in added["relations"]["added"]
    }

    threading.Timer(0.2, emb.gate.set).start()
    found = m.search("who does Bob work with?", run_id="r")["results"]
    assert [r["id"] for r in found] == [mid] and "vector" in found[0]["scores"]
    assert store.missing_vectors("memory", 10) == [] and store.missing_vectors("relation", 10) == []
    assert "Bob: I work with Alice on the launch." in emb.background_texts


def test_inline_indexing_stores_vectors_inside_add(store: Store) -> None:
    m = Memory({"indexing": "inline"}, store=store, embedder=GateEmbedder())
    mid = m.add("Carol works at Acme.", user_id="u", infer=False)["results"][0]["id"]
    assert vector_ids(store, Scope(user_id="u")) == {mid}  # no flush, no gate
    assert store.missing_vectors("relation", 10) == []


def test_a_large_add_embeds_inline_even_with_background_indexing(store: Store) -> None:
    msgs = [{"role": "user", "name": "Ola", "content": f"Ticket {i} is done."} for i in range(INLINE_BATCH)]
    m = Memory(store=store, embedder=GateEmbedder())  # the gate stays shut: nothing may wait on it
    ids = [r["id"] for r in m.add(msgs, run_id="big", infer=False)["results"]]
    assert vector_ids(store, Scope(run_id="big")) == set(ids)
    assert m._indexer is not None and m._indexer.pending == 0


class ThreadRecordingEmbedder(HashingEmbedder):
    """Hashing vectors; remembers which thread embedded which texts."""

    def __init__(self) -> None:
        super().__init__(dim=384)
        self.threads: dict[str, str] = {}

    def embed(self, texts: Sequence[str]) -> Any:
        self.threads.update(dict.fromkeys(texts, threading.current_thread().name))
        return super().embed(texts)


def test_a_large_add_on_a_server_store_embeds_its_messages_while_reading(store: Store) -> None:
    """On a store whose reads wait on a server (Neo4j), a large add embeds its messages on a
    thread of its own during the reads; the vectors are the same as embedding them in line."""
    msgs = [{"role": "user", "name": "Pia", "content": f"Pia works with Quinn on release {i}."}
            for i in range(INLINE_BATCH)]  # fmt: skip
    emb = ThreadRecordingEmbedder()
    m = Memory(store=store, embedder=emb)
    ids = [r["id"] for r in m.add(msgs, run_id="big", infer=False)["results"]]
    texts = [index_text(x["content"], "Pia") for x in msgs]
    (thread,) = {emb.threads[t] for t in texts}  # one call embedded them all
    if store.concurrent_reads:
        assert thread.startswith("graphmem-pool")  # the shared pool's, not the adding thread
    else:
        assert thread == threading.current_thread().name
    stored = store.vectors("memory", ids)
    for mid, text in zip(ids, texts, strict=True):
        np.testing.assert_allclose(stored[mid], embed_one(HashingEmbedder(dim=384), text), atol=1e-6)
    assert store.relations(Scope(run_id="big"))  # the graph was written beside them


def test_background_and_inline_store_the_same_vectors(
    store: Store, hashing_embedder: HashingEmbedder
) -> None:
    msgs = [
        {"role": "user", "name": "Dana", "content": f"I reviewed the design doc, part {i}."} for i in range(5)
    ]
    back = Memory(store=store, embedder=hashing_embedder)
    inline = Memory({"indexing": "inline"}, store=store, embedder=hashing_embedder)
    a = [r["id"] for r in back.add(msgs, run_id="a", infer=False)["results"]]
    b = [r["id"] for r in inline.add(msgs, run_id="b", infer=False)["results"]]
    back.flush()
    va, vb = store.vectors("memory", a), store.vectors("memory", b)
    assert len(va) == len(vb) == 5
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(va[x], vb[y])


def test_a_memory_deleted_while_queued_stays_deleted(store: Store) -> None:
    emb = GateEmbedder()
    m = Memory(store=store, embedder=emb)
    mid = m.add("Erin owns the budget.", user_id="u", infer=False)["results"][0]["id"]
    m.delete(mid)
    emb.gate.set()
    m.flush()  # the queued vector finds no memory: skipped, no error
    assert store.get_memories([mid]) == [] and store.vectors("memory", [mid]) == {}
    assert m.get_all(user_id="u")["results"] == []


def test_update_waits_for_the_queued_vector_of_the_old_text(store: Store) -> None:
    emb = GateEmbedder()
    m = Memory(store=store, embedder=emb)
    mid = m.add("Frank lives in Oslo.", user_id="u", infer=False)["results"][0]["id"]
    threading.Timer(0.2, emb.gate.set).start()
    m.update(mid, "Frank lives in Rome.")
    want = embed_one(HashingEmbedder(dim=384), index_text("Frank lives in Rome.", "u"))
    np.testing.assert_allclose(store.vectors("memory", [mid])[mid], want, atol=1e-6)


def _stored_without_vector(store: Store, text: str, actor: str) -> MemoryRecord:
    """A memory as a writer killed between its add and its vectors leaves it."""
    rec = MemoryRecord(
        id=new_id(), memory=text, hash=text_hash(text), user_id="u", agent_id=None, run_id=None,
        actor_id=actor, role="user", metadata={}, memory_type=None, created_at=utcnow(), updated_at=None,
        embedding=None,
    )  # fmt: skip
    store.apply(WriteBatch(memories_add=[rec]))
    return rec


def test_a_new_memory_indexes_what_a_dead_process_left_without_vectors(store: Store) -> None:
    """A writer killed after its add committed but before its vectors: the next open redoes them."""
    rec = _stored_without_vector(store, "Gina manages the data team.", "Gina")
    assert store.missing_vectors("memory", 10) == [(rec.id, "Gina: Gina manages the data team.")]
    m = Memory(store=store, embedder=HashingEmbedder(dim=384))
    found = m.search("who manages the data team?", user_id="u")["results"]
    assert [r["id"] for r in found] == [rec.id] and "vector" in found[0]["scores"]
    assert store.missing_vectors("memory", 10) == []


def test_opening_a_memory_leaves_the_scan_for_missing_vectors_to_the_indexer_thread(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan is a pass over the whole store: opening returns before it, a flush waits for it."""
    rec = _stored_without_vector(store, "Ivo runs the night shift.", "Ivo")
    gate, scanned_by = threading.Event(), []
    real = store.missing_vectors

    def held_scan(kind: VectorKind, limit: int) -> list[tuple[str, str]]:
        scanned_by.append(threading.current_thread().name)
        assert gate.wait(10)
        return real(kind, limit)

    monkeypatch.setattr(store, "missing_vectors", held_scan)
    m = Memory(store=store, embedder=HashingEmbedder(dim=384))  # returns while the scan is held
    assert m._indexer is not None and m._indexer.pending
    threading.Timer(0.2, gate.set).start()
    m.flush()
    assert scanned_by == ["graphmem-indexer", "graphmem-indexer"]  # memories, then relations
    assert rec.id in store.vectors("memory", [rec.id])


def test_set_vectors_skips_unknown_ids(store: Store, hashing_embedder: HashingEmbedder) -> None:
    m = Memory({"indexing": "inline"}, store=store, embedder=hashing_embedder)
    mid = m.add("Hugo uses Postgres.", user_id="u", infer=False)["results"][0]["id"]
    v = embed_one(hashing_embedder, "something else")
    store.set_vectors("memory", {mid: v, "no-such-id": v})
    np.testing.assert_array_equal(store.vectors("memory", [mid, "no-such-id"])[mid], v)
    assert store.vectors("memory", ["no-such-id"]) == {}


class FlakyStore:
    """Delegates to a store; ``set_vectors`` fails as unreachable while ``down`` is set."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.down = threading.Event()
        self.failures = 0

    def set_vectors(self, kind: Any, vectors: Any) -> None:
        if self.down.is_set():
            self.failures += 1
            raise StoreUnavailableError("the test's store is down")
        self.inner.set_vectors(kind, vectors)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_an_unreachable_store_keeps_the_vectors_queued_until_it_is_back(
    embedded_store: Store, hashing_embedder: HashingEmbedder
) -> None:
    Memory({"indexing": "inline"}, store=embedded_store, embedder=hashing_embedder)  # records the dimension
    flaky = FlakyStore(embedded_store)
    indexer = Indexer(flaky, hashing_embedder)  # type: ignore[arg-type]
    rec = MemoryRecord(
        id=new_id(), memory="Ivy is due on Friday.", hash=text_hash("Ivy is due on Friday."), user_id="u",
        agent_id=None, run_id=None, actor_id=None, role="user", metadata={}, memory_type=None, created_at=utcnow(),
        updated_at=None, embedding=None,
    )  # fmt: skip
    embedded_store.apply(WriteBatch(memories_add=[rec]))
    flaky.down.set()
    indexer.submit([Job("memory", rec.id, rec.memory)])
    with pytest.raises(StoreUnavailableError, match="down"):
        indexer.flush()
    assert indexer.pending == 1 and flaky.failures >= 1  # kept, not dropped
    flaky.down.clear()
    indexer.flush()  # retried at once, and stored
    assert indexer.pending == 0
    assert rec.id in embedded_store.vectors("memory", [rec.id])
    indexer.close()
