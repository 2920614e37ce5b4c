"""A writer killed with SIGKILL mid-add leaves whole adds only: all or nothing per add call.

The child (``child.py``) adds batches and reports each one committed. It is killed either at a
known point (inside the transaction, every statement run, COMMIT not yet sent) or at a random
moment. Then the data is reopened, by a new store object, and checked: every reported batch is
complete, the killed one is absent (or, for a random kill, complete if its COMMIT won the race),
no batch is partial, and every invariant holds (history, endpoints, mentions, vector counts)
once a ``Memory`` opened on the data has indexed what the killed writer left without vectors.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from graphmem.models import Scope
from graphmem.stores.base import Store
from reliability.conftest import memory_on, spawn_child
from reliability.invariants import assert_consistent

BATCH = 20


def batches_in(store: Store) -> Counter[int]:
    """How many memories each batch has in the store."""
    return Counter(m.metadata["batch"] for m in store.list_memories(Scope(run_id="crash"), limit=None))


def kill(child: subprocess.Popen[str]) -> list[str]:
    """SIGKILL the child; the stdout lines it printed that were not read yet."""
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert child.stdout is not None
    # Through the text wrapper: read_until may already hold later lines in its buffer, which
    # communicate() (reading the raw pipes) would lose.
    return child.stdout.read().splitlines()


def read_until(child: subprocess.Popen[str], prefix: str) -> list[str]:
    """Lines up to and including the first one starting with ``prefix``."""
    assert child.stdout is not None
    lines = []
    while True:
        line = child.stdout.readline()
        assert line, f"the child exited before {prefix!r}: {child.communicate(timeout=60)[1][-3000:]}"
        lines.append(line.strip())
        if line.startswith(prefix):
            return lines


def test_sigkill_inside_the_transaction_writes_nothing_of_that_add(
    store: Store, store_spec: dict[str, Any], open_store: Callable[[], Store]
) -> None:
    child = spawn_child(
        {"action": "batches", "store": store_spec, "batches": 10, "batch_size": BATCH, "hang_at": 3}
    )
    lines: list[str] = []
    try:
        lines += read_until(child, "IN_TX")
    finally:
        lines += kill(child)  # nothing more: it is asleep inside the transaction
    assert lines == ["COMMITTED 0", "COMMITTED 1", "COMMITTED 2", "IN_TX 3"]

    reopened = open_store()  # a fresh handle: recovery of the file, or a new driver session
    assert batches_in(reopened) == {0: BATCH, 1: BATCH, 2: BATCH}
    memory_on(reopened).flush()  # opening a Memory queues the vectors the child had not stored
    snap = assert_consistent(reopened)
    assert len(snap.relations) > 0 and len(snap.mentions) >= 3 * BATCH
    # The killed writer held the writer lock and an open transaction: both are gone.
    m = memory_on(reopened)
    m.add(
        [{"role": "user", "name": "Alice", "content": "I work with Erin."}],
        run_id="crash", metadata={"batch": 99}, infer=False,
    )  # fmt: skip
    assert batches_in(reopened)[99] == 1
    assert_consistent(store)  # the store object opened before the crash agrees


@pytest.mark.parametrize("seed", range(4))
def test_sigkill_at_a_random_moment_leaves_whole_adds_only(
    store: Store, store_spec: dict[str, Any], open_store: Callable[[], Store], seed: int
) -> None:
    rng = random.Random(seed)
    child = spawn_child({"action": "batches", "store": store_spec, "batches": 10_000, "batch_size": BATCH})
    reported: list[str] = []
    try:
        reported += read_until(child, f"COMMITTED {rng.randint(0, 2)}")
        time.sleep(rng.uniform(0, 0.08))  # somewhere in a later add: extracting, embedding or writing
    finally:
        reported += kill(child)
    committed = {int(line.split()[1]) for line in reported}

    found = batches_in(open_store())
    assert set(found.values()) == {BATCH}, f"a partial batch: {found}"
    assert committed <= set(found)
    # At most one batch more than reported: its COMMIT landed, the kill came before the print.
    assert len(set(found) - committed) <= 1
    assert set(found) == set(range(len(found)))
    reopened = open_store()
    memory_on(reopened).flush()  # opening a Memory queues the vectors the child had not stored
    assert_consistent(reopened)
