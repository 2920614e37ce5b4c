"""The OpenAPI spec: the committed copy is the one served, and a property-based run of schemathesis
against the served spec, on a real server, finds no 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from server_support import Team, make_memory, running_server, seed_team

from graphmem.server.app import OPENAPI_PATH, dump_openapi, openapi_document
from graphmem.stores.embedded import EmbeddedStore

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402  (after the importorskip)


def test_committed_spec_is_the_served_spec(embedded_store: Any) -> None:
    committed = OPENAPI_PATH.read_text(encoding="utf-8")
    assert committed == dump_openapi(openapi_document()), "run `python -m graphmem.server.app` to refresh it"
    memory = make_memory(embedded_store)
    with running_server(memory) as url:
        served = httpx.get(f"{url}/openapi.json").json()
    assert served == json.loads(committed)
    # mem0's paths are there, and every route but the health check declares the key
    assert {"/v1/memories/", "/v1/memories/search/", "/v1/batch/", "/v1/entities/", "/v1/exports/"} <= set(
        served["paths"]
    )
    assert served["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "`Token <key>` or `Bearer <key>`; keys come from `graphmem keys create`.",
    }  # fmt: skip


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    memory = make_memory(EmbeddedStore(tmp_path_factory.mktemp("fuzz")))
    keys, ids = seed_team(memory)
    memory.as_actor("Alice").add("Bob and I are building the new landing page.", run_id="landing-page")  # type: ignore[attr-defined]
    with running_server(memory) as url:
        yield Team(memory, url, keys, ids)
    memory.close()


# The committed spec, which the first test proves is the one the server serves. (Loading it from
# the running server through a fixture, schemathesis.pytest.from_fixture, fails on pytest 9.)
schema = schemathesis.openapi.from_path(str(OPENAPI_PATH))


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])  # fmt: skip
def test_no_server_errors(case: Any, fuzzed: Team) -> None:
    # Alice is admin of the project the spec's examples name, so generated calls reach the Memory.
    case.call_and_validate(base_url=fuzzed.url, headers=fuzzed.headers("Alice"), checks=[not_a_server_error])
