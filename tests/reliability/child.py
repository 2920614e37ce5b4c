"""A child process for the reliability tests: ``python child.py '<job as JSON>'``.

Jobs (``job["action"]``):

* ``writer``: print ``READY``, wait for a line on stdin (so every writer starts at once), run
  :func:`reliability.workload.run_writer`, print ``DONE``.
* ``batches``: add ``batches`` batches of ``batch_size`` messages (metadata ``{"batch": i}``),
  printing ``COMMITTED i`` once each add has returned. With ``hang_at = k``, batch ``k`` stops
  inside its transaction, after every statement ran and before COMMIT, prints ``IN_TX k`` and
  sleeps: the parent kills it there with SIGKILL.

``job["store"]`` says where the data is (see the ``store_spec`` fixture).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for `reliability.*`

from graphmem import Memory
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store


def say(line: str) -> None:
    print(line, flush=True)


def open_store(spec: dict[str, Any]) -> Store:
    if spec["kind"] == "embedded":
        from graphmem.stores.embedded import EmbeddedStore

        return EmbeddedStore(spec["path"])
    from graphmem.stores.neo4j import Neo4jStore

    return Neo4jStore(spec["uri"], spec.get("username"), spec.get("password"))


def hang_inside_transaction(store: Store, batch_no: int) -> None:
    """Make the next write transaction stop just before COMMIT, and say so."""

    def pause() -> None:
        say(f"IN_TX {batch_no}")
        time.sleep(600)  # the parent kills us long before this ends

    if store.name == "embedded":
        from graphmem.stores import _embedded_sql

        real = _embedded_sql.write_batch

        def write_batch(conn: Any, batch: Any) -> Any:
            result = real(conn, batch)
            pause()
            return result

        _embedded_sql.write_batch = write_batch  # type: ignore[assignment]
    else:
        from graphmem.stores.neo4j import Neo4jStore

        real_write = Neo4jStore._write

        def _write(self: Any, work: Any) -> Any:
            def paused(tx: Any) -> Any:
                out = work(tx)
                pause()
                return out

            return real_write(self, paused)

        Neo4jStore._write = _write  # type: ignore[method-assign]


def batch_messages(i: int, size: int) -> list[dict[str, str]]:
    people = ("Alice", "Bob", "Carol", "Dana")
    return [
        {
            "role": "user",
            "name": people[j % 4],
            "content": f"Batch {i} line {j}: I work with {people[(j + 1) % 4]}.",
        }
        for j in range(size)
    ]


def main() -> None:
    job = json.loads(sys.argv[1])
    store = open_store(job["store"])
    memory = Memory(store=store, embedder=HashingEmbedder(dim=384))
    if job["action"] == "writer":
        from reliability.workload import run_writer

        say("READY")
        sys.stdin.readline()
        run_writer(memory, job["writer"], job["count"])
        say("DONE")
    elif job["action"] == "batches":
        for i in range(job["batches"]):
            if i == job.get("hang_at"):
                hang_inside_transaction(store, i)
            memory.add(
                batch_messages(i, job["batch_size"]), run_id="crash", metadata={"batch": i}, infer=False
            )
            say(f"COMMITTED {i}")
    else:
        raise SystemExit(f"unknown action {job['action']!r}")
    memory.close()


if __name__ == "__main__":
    main()
