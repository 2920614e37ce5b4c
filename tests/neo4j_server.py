"""pytest plugin: a real Neo4j for the tests (placeholder until the Neo4j store lands)."""

from __future__ import annotations

import pytest


@pytest.fixture
def neo4j_store() -> None:
    pytest.skip("Neo4j store not built yet")
