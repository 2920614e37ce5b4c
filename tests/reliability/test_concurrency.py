"""Concurrent writers lose nothing: threads and processes on one store end exactly where one
writer doing the same adds in sequence ends.

What is acceptable, decided here and proven below: concurrent writers are serialised for the
whole read-decide-write cycle of each call (``Store.write_lock``), so two writers resolving the
same new entity name produce one entity, provenance is never overwritten from a stale copy,
functional facts keep one current value, and the final store equals a sequential run. Readers
never wait for writers. A writer that cannot get the lock in time gets ``StoreUnavailableError``
and writes nothing; a writer that dies releases the lock.
"""

from __future__ import annotations

import functools
import signal
import sqlite3
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from graphmem import Memory, StoreUnavailableError
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store
from graphmem.stores.embedded import EmbeddedStore
from reliability.conftest import memory_on, spawn_child
from reliability.invariants import assert_consistent, snapshot
from reliability.workload import canonical, run_writer

WRITERS = 4
ADDS = {"embedded": 12, "neo4j": 2}  # per writer, each one shared add and one private add


@functools.cache
def reference(writers: int, count: int) -> dict[str, Counter[Any]]:
    """The canonical contents after the writers' adds ran one writer after the other."""
    with tempfile.TemporaryDirectory() as tmp, EmbeddedStore(tmp) as store:
        m = Memory(store=store, embedder=HashingEmbedder(dim=384))
        for w in range(writers):
            run_writer(m, w, count)
        return canonical(snapshot(store))


def run_threads(target: Callable[[int], None], n: int) -> None:
    """Run ``target(i)`` on ``n`` threads released together; re-raise the first failure."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            target(i)
        except BaseException as e:  # reported to the test below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a writer thread hung"
    if errors:
        raise errors[0]


def assert_matches_reference(store: Store) -> None:
    snap = assert_consistent(store)
    got, want = canonical(snap), reference(WRITERS, ADDS[store.name])
    for part in want:
        missing, extra = want[part] - got[part], got[part] - want[part]
        assert not missing and not extra, f"{part}: missing {list(missing)[:3]}, extra {list(extra)[:3]}"


def test_threads_each_with_their_own_store_and_memory(store: Store, open_store: Callable[[], Store]) -> None:
    memories = [memory_on(open_store()) for _ in range(WRITERS)]
    run_threads(lambda w: run_writer(memories[w], w, ADDS[store.name]), WRITERS)
    assert_matches_reference(store)


def test_threads_sharing_one_memory(store: Store) -> None:
    m = memory_on(store)
    run_threads(lambda w: run_writer(m, w, ADDS[store.name]), WRITERS)
    assert_matches_reference(store)


def test_processes(store: Store, store_spec: dict[str, Any]) -> None:
    # Open (and cache) before the children write: the checks below then also prove that this
    # store object notices other processes' commits without being reopened.
    assert store.count_memories() == 0
    children = [
        spawn_child({"action": "writer", "store": store_spec, "writer": w, "count": ADDS[store.name]})
        for w in range(WRITERS)
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "READY"
        for child in children:  # every writer starts at once
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        for child in children:
            _, err = child.communicate(timeout=240)
            assert child.returncode == 0, err[-3000:]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert_matches_reference(store)


# ---- the writer lock ----------------------------------------------------------------------------
def test_the_writer_lock_excludes_another_store_object(store: Store, open_store: Callable[[], Store]) -> None:
    other = open_store()
    order: list[str] = []
    held = threading.Event()
    release = threading.Event()

    def first() -> None:
        with store.write_lock():
            order.append("first in")
            held.set()
            release.wait(timeout=30)
            order.append("first out")

    def second() -> None:
        held.wait(timeout=30)
        with other.write_lock():
            order.append("second in")

    t1, t2 = threading.Thread(target=first), threading.Thread(target=second)
    t1.start()
    t2.start()
    held.wait(timeout=30)
    t2.join(timeout=0.5)  # give the second a real chance to (wrongly) get in
    release.set()
    t1.join(timeout=60)
    t2.join(timeout=60)
    assert order == ["first in", "first out", "second in"]


def test_the_writer_lock_is_reentrant(store: Store) -> None:
    m = memory_on(store)
    with store.write_lock(), store.write_lock():
        m.add("Alice works with Bob.", run_id="r", infer=False)  # takes it a third time
    assert len(m.get_all(run_id="r")["results"]) == 1


def test_a_killed_writer_never_leaves_the_store_locked(
    store: Store, store_spec: dict[str, Any], open_store: Callable[[], Store]
) -> None:
    child = spawn_child(
        {"action": "batches", "store": store_spec, "batches": 3, "batch_size": 2, "hang_at": 0}
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "IN_TX 0"  # it holds the writer lock now
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    with open_store().write_lock():  # would wait out lock_timeout (and fail) if it were still held
        pass
    m = memory_on(store)
    m.add("Alice works with Bob.", run_id="after", infer=False)
    assert store.count_memories() == 1


def test_a_writer_that_waits_too_long_gets_store_unavailable_and_writes_nothing(
    store: Store, open_store: Callable[[], Store]
) -> None:
    holder = open_store()
    impatient = open_store()
    impatient.lock_timeout = 0.5  # type: ignore[attr-defined]
    if store.name == "embedded":
        impatient._writer.timeout = 0.5  # type: ignore[attr-defined]
    m = memory_on(impatient)
    with holder.write_lock(), pytest.raises(StoreUnavailableError):
        m.add("Alice works with Bob.", run_id="r", infer=False)
    assert store.count_memories() == 0
    m.add("Alice works with Bob.", run_id="r", infer=False)  # the same Memory recovers
    assert_consistent(store)


# ---- SQLite's own lock (another program holding the database) ------------------------------------
def hold_sqlite_write_lock(
    path: Any, seconds: float, started: threading.Event, release: threading.Event | None = None
) -> threading.Thread:
    """Another connection (not graphmem's writer lock) holding SQLite's write lock for
    ``seconds``, or until ``release`` is set."""

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        started.set()
        (release or threading.Event()).wait(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    t = threading.Thread(target=hold)
    t.start()
    return t


def test_embedded_waits_for_a_briefly_locked_database(embedded_store: EmbeddedStore) -> None:
    m = memory_on(embedded_store)
    started = threading.Event()
    t = hold_sqlite_write_lock(embedded_store.db_path, 0.5, started)
    started.wait(timeout=10)
    m.add("Alice works with Bob.", run_id="r", infer=False)  # busy timeout, then commit
    t.join()
    assert embedded_store.count_memories() == 1
    assert_consistent(embedded_store)


def test_embedded_database_locked_too_long_is_store_unavailable_and_writes_nothing(
    embedded_store: EmbeddedStore,
) -> None:
    m = memory_on(embedded_store)
    m.add("Carol works with Dana.", run_id="r", infer=False)
    started, release = threading.Event(), threading.Event()
    t = hold_sqlite_write_lock(embedded_store.db_path, 60, started, release)  # past all the retries
    started.wait(timeout=10)
    try:
        with pytest.raises(StoreUnavailableError):
            m.add("Alice works with Bob.", run_id="r", infer=False)
    finally:
        release.set()
        t.join()
    assert [r["memory"] for r in m.get_all(run_id="r")["results"]] == ["Carol works with Dana."]
    m.add("Alice works with Bob.", run_id="r", infer=False)
    assert_consistent(embedded_store)


# ---- Neo4j: transient failures are retried without writing twice ---------------------------------
@pytest.mark.neo4j
def test_neo4j_retries_a_deadlocked_transaction_once_and_writes_once(neo4j_store: Any) -> None:
    from neo4j.exceptions import Neo4jError

    real_write = neo4j_store._write
    attempts: list[int] = []

    def flaky_write(work: Any) -> Any:
        def deadlock_first(tx: Any) -> Any:
            attempts.append(1)
            out = work(tx)  # every statement ran: the retry must not duplicate any of it
            if len(attempts) == 1:
                raise Neo4jError._hydrate_neo4j(
                    code="Neo.TransientError.Transaction.DeadlockDetected", message="injected deadlock"
                )
            return out

        return real_write(deadlock_first)

    neo4j_store._write = flaky_write
    # inline: the add's one transaction is all that runs (background indexing writes vectors too)
    m = Memory({"indexing": "inline"}, store=neo4j_store, embedder=HashingEmbedder(dim=384))
    m.add([{"role": "user", "name": "Alice", "content": "I work with Bob."}], run_id="r", infer=False)
    assert len(attempts) == 2
    assert len(m.get_all(run_id="r")["results"]) == 1
    assert [(r["source"], r["destination"]) for r in m.relations(run_id="r")] == [("Alice", "Bob")]
    assert_consistent(neo4j_store)
