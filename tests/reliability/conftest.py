"""Fixtures for the reliability tests (the root ``conftest.py`` fixtures, ``store`` included, apply).

* ``open_store``: another store object on the same data as ``store`` (a second file handle on the
  embedded path, a second driver on the Neo4j server), as another thread or process would have.
* ``store_spec``: the same, as a JSON-able dict for a child process (``child.py``).
* ``run_child`` / ``spawn_child``: run ``child.py`` with a job, bounded in time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from graphmem import Memory
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store

CHILD = Path(__file__).with_name("child.py")
#: No child may outlive this; each test's own work is a fraction of it.
CHILD_TIMEOUT_S = 180


@pytest.fixture
def open_store(store: Store, request: pytest.FixtureRequest) -> Iterator[Callable[[], Store]]:
    """Open another store object on ``store``'s data; all are closed after the test."""
    opened: list[Store] = []

    def open_() -> Store:
        if store.name == "embedded":
            from graphmem.stores.embedded import EmbeddedStore

            s: Store = EmbeddedStore(store.path)  # type: ignore[attr-defined]
        else:
            s = request.getfixturevalue("neo4j_server").store()
        opened.append(s)
        return s

    yield open_
    for s in opened:
        s.close()


@pytest.fixture
def store_spec(store: Store, request: pytest.FixtureRequest) -> dict[str, Any]:
    """How a child process opens ``store``'s data."""
    if store.name == "embedded":
        return {"kind": "embedded", "path": str(store.path)}  # type: ignore[attr-defined]
    server = request.getfixturevalue("neo4j_server")
    return {"kind": "neo4j", "uri": server.uri, "username": server.username, "password": server.password}


def memory_on(store: Store) -> Memory:
    return Memory(store=store, embedder=HashingEmbedder(dim=384))


@pytest.fixture
def memory(store: Store) -> Memory:
    return memory_on(store)


def child_command(job: dict[str, Any]) -> list[str]:
    return [sys.executable, str(CHILD), json.dumps(job)]


def run_child(job: dict[str, Any]) -> list[str]:
    """Run a child to completion; its stdout lines. Fails the test on a non-zero exit."""
    done = subprocess.run(child_command(job), capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    assert done.returncode == 0, f"child failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout.splitlines()


def spawn_child(job: dict[str, Any]) -> subprocess.Popen[str]:
    """Start a child; the caller reads its stdout, writes its stdin, and must reap it."""
    return subprocess.Popen(
        child_command(job), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, bufsize=1,
    )  # fmt: skip
