"""Asking a Bolt server whether database ``neo4j`` answers, without letting driver errors out."""

from __future__ import annotations

from graphmem.errors import MissingDependencyError


def probe(uri: str, *, auth: tuple[str, str] | None = None, timeout: float = 5.0) -> tuple[bool, str]:
    """Run ``RETURN 1`` on database ``neo4j``.

    The query, not ``verify_connectivity()``: the Bolt port opens before the database is online.

    Returns:
        ``(True, "")`` when it answered, else ``(False, why)``.
    """
    try:
        from neo4j import GraphDatabase
    except ImportError as e:  # pragma: no cover - the neo4j extra is missing
        raise MissingDependencyError("neo4j", extra="neo4j") from e
    try:
        with GraphDatabase.driver(
            uri, auth=auth, connection_timeout=timeout, max_transaction_retry_time=0.0,
            connection_acquisition_timeout=timeout, max_connection_pool_size=1,
        ) as driver:  # fmt: skip
            driver.execute_query("RETURN 1", database_="neo4j")
    except Exception as e:  # every failure is "not ready yet"; the caller owns the deadline
        return False, f"{type(e).__name__}: {e}"
    return True, ""
