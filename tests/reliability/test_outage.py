"""A Neo4j outage: the server is killed (SIGKILL) in the middle of a batch.

The call fails with ``StoreUnavailableError`` (never a driver exception, never a hang: the
driver's retries are bounded); while the server is down every call says the same; after a restart
the store holds no part of the failed batch, and the *same* ``Memory`` object carries on.

The server is a dedicated :class:`~graphmem.neo4j_local.LocalNeo4j` (the session's shared one must
not be killed), started once for this module on a fixed port so a restart comes back where the
driver expects it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphmem import Memory, StoreUnavailableError
from graphmem.embedders.hashing import HashingEmbedder
from reliability.invariants import assert_consistent

pytest.importorskip("neo4j")
pytestmark = pytest.mark.neo4j

#: Bounded patience, so an outage is reported in seconds rather than the driver's default 30 s.
DRIVER_OPTIONS = {
    "max_transaction_retry_time": 2.0,
    "connection_timeout": 2.0,
    "connection_acquisition_timeout": 5.0,
}


@pytest.fixture(scope="module")
def dedicated_neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from graphmem.neo4j_local import LocalNeo4j
    from graphmem.neo4j_local._server import free_port

    server = LocalNeo4j(
        home=tmp_path_factory.mktemp("outage-neo4j"), port=free_port(), heap="512m", pagecache="64m"
    )
    try:
        server.start()
    except Exception as e:  # no Java or no jars: the same policy as the shared server fixture
        if os.environ.get("GRAPHMEM_REQUIRE_NEO4J") == "1":
            pytest.fail(f"GRAPHMEM_REQUIRE_NEO4J=1 but a dedicated Neo4j did not start: {e}", pytrace=False)
        pytest.skip(f"a dedicated Neo4j did not start: {e}")
    try:
        yield server
    finally:
        if server.is_running():  # its data is thrown away: no need to wait for a clean shutdown
            kill_server(server)
        server.close()


def kill_server(server: Any) -> None:
    """SIGKILL the JVM (no clean shutdown) and wait until it is gone."""
    proc = server._proc
    os.kill(server.pid, signal.SIGKILL)
    proc.wait(timeout=60)


NAMES = ("Alice", "Bob", "Carol", "Dana", "Erin", "Frank", "Gina", "Hal", "Ivy", "Jack")


def batch(i: int) -> list[dict[str, str]]:
    """Ten messages whose facts repeat from batch to batch: a later batch adds memories and
    mentions and extends the existing relations' provenance."""
    return [
        {"role": "user", "name": name, "content": f"Batch {i}: I work with {NAMES[(j + 1) % len(NAMES)]}."}
        for j, name in enumerate(NAMES)
    ]


def test_a_server_killed_mid_batch_gives_store_unavailable_then_the_same_memory_recovers(
    dedicated_neo4j: Any, tmp_path: Path
) -> None:
    from graphmem.stores.neo4j import Neo4jStore

    store = Neo4jStore(dedicated_neo4j.uri, **DRIVER_OPTIONS)
    store.reset()
    m = Memory(store=store, embedder=HashingEmbedder(dim=384))
    m.add(batch(0), run_id="outage", metadata={"batch": 0}, infer=False)
    before = assert_consistent(store)

    # Kill the server after the batch's transaction has run a few of its statements.
    real_write = store._write
    statements = 0

    def write_and_kill(work: Any) -> Any:
        class Tx:
            def __init__(self, tx: Any) -> None:
                self._tx = tx

            def run(self, *args: Any, **kwargs: Any) -> Any:
                nonlocal statements
                statements += 1
                if statements == 2 and dedicated_neo4j.is_running():  # entities written, memories next
                    kill_server(dedicated_neo4j)
                return self._tx.run(*args, **kwargs)

        return real_write(lambda tx: work(Tx(tx)))

    store._write = write_and_kill  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailableError):
        m.add(batch(1), run_id="outage", metadata={"batch": 1}, infer=False)
    assert statements >= 2 and not dedicated_neo4j.is_running()
    del store._write  # back to the class's method

    # Down: every kind of call says so, quickly and with the same error.
    for call in (
        lambda: m.add(batch(2), run_id="outage", infer=False),
        lambda: m.search("who works with Bob?", run_id="outage"),
        lambda: m.get_all(run_id="outage"),
        lambda: m.relations(run_id="outage"),
    ):
        with pytest.raises(StoreUnavailableError):
            call()

    dedicated_neo4j.start()  # same home, same port: the database comes back after recovery
    after = assert_consistent(store)
    # Nothing of the killed batch: no memory, mention, event, nor any provenance it would have added.
    assert after.memories == before.memories
    assert after.relations == before.relations
    assert sorted(after.mentions) == sorted(before.mentions)
    assert sorted(after.history) == sorted(before.history)

    out = m.add(batch(1), run_id="outage", metadata={"batch": 1}, infer=False)  # the same Memory
    assert len(out["results"]) == 10
    assert len(m.get_all(run_id="outage", limit=100)["results"]) == 20
    found = m.search("Batch 1 Dana", run_id="outage", limit=5)["results"]
    assert "Batch 1: I work with Dana." in [r["memory"] for r in found]
    assert_consistent(store)
    store.close()


def test_a_server_that_is_not_there_is_store_unavailable_at_once() -> None:
    from graphmem.neo4j_local._server import free_port
    from graphmem.stores.neo4j import Neo4jStore

    store = Neo4jStore(f"bolt://127.0.0.1:{free_port()}", **DRIVER_OPTIONS)
    with pytest.raises(StoreUnavailableError):
        Memory(store=store, embedder=HashingEmbedder(dim=384))
    store.close()
