"""pytest plugin: one real Neo4j 5.26 for the whole test session.

The ``neo4j_server`` fixture picks, in order:

1. ``NEO4J_URI`` (with ``NEO4J_USERNAME`` / ``NEO4J_PASSWORD``): a server you run;
2. testcontainers' ``Neo4jContainer("neo4j:5.26.31-community")`` when testcontainers is installed
   and a Docker engine answers;
3. :class:`graphmem.neo4j_local.LocalNeo4j`: the server from Maven Central jars on Java 17/21.

``NEO4J_TEST_BACKEND=external|docker|local`` forces one. When none can start, the Neo4j tests
are skipped with the reason, or fail when ``GRAPHMEM_REQUIRE_NEO4J=1`` (CI sets it, so Neo4j
tests can never be skipped there without a red build). At the end the summary prints
``neo4j: N passed, M failed, K skipped``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from graphmem.neo4j_local import NEO4J_VERSION
from graphmem.pipeline.indexer import flush_all

DOCKER_IMAGE = f"neo4j:{NEO4J_VERSION}-community"
_BACKENDS = ("external", "docker", "local")


@dataclass
class Neo4jServer:
    """Where the session's Neo4j is, and how to talk to it."""

    uri: str
    backend: str
    username: str | None = None
    password: str | None = None
    _stop: list[Any] = field(default_factory=list, repr=False)

    def store(self, **kwargs: Any) -> Any:
        from graphmem.stores.neo4j import Neo4jStore

        return Neo4jStore(self.uri, self.username, self.password, **kwargs)


def _external() -> Neo4jServer | None:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        return None
    return Neo4jServer(uri, "external", os.environ.get("NEO4J_USERNAME"), os.environ.get("NEO4J_PASSWORD"))


def _docker() -> Neo4jServer | None:
    try:
        import docker  # type: ignore[import-not-found]
        from testcontainers.neo4j import Neo4jContainer  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        docker.from_env().ping()
    except Exception:  # no engine: the CLI alone is not enough
        return None
    password = "graphmem-test-password"
    container = (
        Neo4jContainer(DOCKER_IMAGE, password=password)
        .with_env("NEO4J_server_memory_heap_max__size", "1G")
        .with_env("NEO4J_server_memory_pagecache_size", "256M")
    )
    container.start()
    server = Neo4jServer(container.get_connection_url(), "docker", "neo4j", password)
    server._stop.append(container.stop)
    return server


def _local() -> Neo4jServer:
    from graphmem.neo4j_local import LocalNeo4j

    local = LocalNeo4j().start()
    server = Neo4jServer(local.uri, "local")
    server._stop.append(local.close)
    return server


def start_neo4j() -> Neo4jServer:
    """Start (or find) a server as described in the module docstring.

    Raises:
        RuntimeError: no backend could provide one; the message lists why for each.
    """
    forced = os.environ.get("NEO4J_TEST_BACKEND", "").strip().lower()
    if forced and forced not in _BACKENDS:
        raise RuntimeError(f"NEO4J_TEST_BACKEND={forced!r}; use one of {', '.join(_BACKENDS)}")
    reasons: list[str] = []
    for name, starter in (("external", _external), ("docker", _docker), ("local", _local)):
        if forced and name != forced:
            continue
        try:
            server = starter()
        except Exception as e:  # each backend's failure is a reason, reported together
            reasons.append(f"{name}: {e}")
            continue
        if server is not None:
            return server
        reasons.append(f"{name}: " + ("NEO4J_URI is not set" if name == "external" else "no Docker engine"))
    raise RuntimeError("no Neo4j server for the tests:\n" + "\n".join(reasons))


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Neo4jServer]:
    """One Neo4j for the session (one JVM per run); skipped or failed as the docstring says."""
    try:
        server = start_neo4j()
    except RuntimeError as e:
        if os.environ.get("GRAPHMEM_REQUIRE_NEO4J") == "1":
            pytest.fail(f"GRAPHMEM_REQUIRE_NEO4J=1 but {e}", pytrace=False)
        pytest.skip(str(e))
    try:
        yield server
    finally:
        for stop in server._stop:
            stop()


def _forget_dimension(server: Neo4jServer) -> None:
    """Make the emptied database take any dimension again, as a fresh embedded store does."""
    from neo4j import GraphDatabase

    auth = (server.username, server.password or "") if server.username else None
    with GraphDatabase.driver(server.uri, auth=auth) as driver:
        driver.execute_query("MATCH (g:GraphMemMeta) DELETE g", database_="neo4j")


@pytest.fixture
def neo4j_store(neo4j_server: Neo4jServer) -> Iterator[Any]:
    """A :class:`~graphmem.stores.neo4j.Neo4jStore` on the session's server, emptied first.

    The constraints and indexes stay between tests (they take seconds to build); the data and
    the recorded embedding dimension go.
    """
    store = neo4j_server.store()
    store.reset()
    _forget_dimension(neo4j_server)
    store = neo4j_server.store()  # a fresh object: nothing learned before the reset
    try:
        yield store
        flush_all(store)  # background indexing of the test's Memory objects, before the store goes
    finally:
        store.close()


# ---- the summary line CI reads ----------------------------------------------------------------
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for outcome in counts:
        for report in terminalreporter.stats.get(outcome, []):
            # Count each test marked neo4j once: its call (or, for setup skips, its setup).
            when = getattr(report, "when", "call")
            marked = "neo4j" in getattr(report, "keywords", {})
            if marked and (when == "call" or (when == "setup" and outcome != "passed")):
                counts[outcome] += 1
    for report in terminalreporter.stats.get("error", []):
        if "neo4j" in getattr(report, "keywords", {}):
            counts["failed"] += 1
    terminalreporter.write_line(
        f"neo4j: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
    )
