"""Limits, error mapping and logs of the server: body cap (413), rate limit (429 + Retry-After),
errors named after the library's classes with no traceback, and logs that never hold a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from server_support import PROJECT, Team, team_server, test_settings

from graphmem import Memory
from graphmem.errors import (
    ConfigError,
    EmptyContentError,
    InvalidFilterError,
    InvalidRelationTypeError,
    MemoryNotFoundError,
    ScopeRequiredError,
    StoreUnavailableError,
)
from graphmem.server.limits import TokenBucket
from graphmem.server.logs import ACCESS_LOGGER_NAME, LOGGER_NAME, JsonFormatter
from graphmem.stores.base import Store


@pytest.fixture
def team(embedded_store: Store) -> Iterator[Team]:
    with team_server(embedded_store, test_settings(max_body_bytes=4096, rate_limit=0.0)) as t:
        yield t


def test_request_body_cap(team: Team) -> None:
    big = {"messages": "x" * 5000, "run_id": PROJECT}
    with team.http("Alice") as http:
        r = http.post("/v1/memories/", json=big)
        assert r.status_code == 413 and r.json()["error"] == "ContentTooLargeError"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the cap counts what arrives
            yield b'{"messages": "'
            for _ in range(10):
                yield b"y" * 1000
            yield b'", "run_id": "landing-page"}'

        r = http.post("/v1/memories/", content=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413
        assert http.post("/v1/memories/", json={"messages": "small", "run_id": PROJECT}).status_code == 200
    assert len(team.memory.get_all(run_id=PROJECT)["results"]) == 1


def test_rate_limit_answers_429_with_retry_after(embedded_store: Store) -> None:
    with (
        team_server(embedded_store, test_settings(rate_limit=1.0, rate_burst=3)) as team,
        team.http("Bob") as http,
    ):
        statuses = [http.get("/v1/ping/").status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200] and statuses[-1] == 429
        limited = http.get("/v1/ping/")
        assert limited.json()["error"] == "RateLimitError" and int(limited.headers["Retry-After"]) >= 1
        # the bucket is per key: Alice is not slowed down by Bob
        assert http.get("/v1/ping/", headers=team.headers("Alice")).status_code == 200
        with pytest.raises(StoreUnavailableError) as e:
            team.client("Bob", max_retries=0).ping()
        assert e.value.status_code == 429  # type: ignore[attr-defined]
        assert team.client("Bob", max_retries=2).ping()["principal"] == "Bob"  # waits Retry-After


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=2, clock=lambda: now[0])
    assert [bucket.take("k") for _ in range(2)] == [0.0, 0.0]
    assert bucket.take("k") == pytest.approx(0.5)
    now[0] = 0.5
    assert bucket.take("k") == 0.0
    assert TokenBucket(rate=0, burst=1).take("k") == 0.0  # disabled


def test_errors_are_the_library_classes_without_tracebacks(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = team.client("Alice")
    cases = [
        (lambda: alice.get("no-such-id"), MemoryNotFoundError, 404),
        (lambda: alice.add("   ", run_id=PROJECT), EmptyContentError, 400),
        (
            lambda: alice.search("x", run_id=PROJECT, filters={"created_at": {"between": 1}}),
            InvalidFilterError,
            400,
        ),
        (lambda: alice.relations(run_id=PROJECT, relationship="works with"), InvalidRelationTypeError, 400),
        (lambda: alice.search("x", user_id="u"), ScopeRequiredError, 400),
        (lambda: alice.ask("What is Bob doing?", run_id=PROJECT), ConfigError, 400),  # this server has no LLM
    ]
    for call, error, status in cases:
        with pytest.raises(error) as raised:
            call()
        assert type(raised.value) is error and raised.value.status_code == status  # type: ignore[attr-defined]

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr(Memory, "search", boom)
    with team.http("Alice") as http:
        r = http.post("/v1/memories/search/", json={"query": "x", "run_id": PROJECT})
    assert r.status_code == 500 and r.json() == {"error": "InternalServerError", "detail": "internal error"}

    monkeypatch.setattr(
        Memory, "search", lambda *a, **k: (_ for _ in ()).throw(StoreUnavailableError("db down"))
    )
    with pytest.raises(StoreUnavailableError) as down:
        alice.search("x", run_id=PROJECT)
    assert down.value.status_code == 503  # type: ignore[attr-defined]


def test_unreachable_server_is_store_unavailable() -> None:
    from graphmem.server.client import MemoryClient

    with pytest.raises(StoreUnavailableError, match="cannot reach"):
        MemoryClient(api_key="gm_x", host="http://127.0.0.1:9").ping()


def test_logs_are_json_and_never_hold_a_key_or_secret(team: Team) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(n) for n in (LOGGER_NAME, ACCESS_LOGGER_NAME, "uvicorn.error")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    try:
        alice = team.client("Alice")
        hook = alice.create_webhook("http://127.0.0.1:9/unreachable", "x", PROJECT)
        new_key = alice.create_key(name="second")["key"]
        alice.add("Logged memory.", run_id=PROJECT)
        with team.http() as http:
            http.get(
                f"/v1/memories/?run_id={PROJECT}&token={team.keys['Bob']}", headers=team.headers("Alice")
            )
            http.get("/v1/ping/", headers={"Authorization": f"Token {team.keys['Bob']}x"})  # 401
            http.get("/v1/ping/", headers={"Authorization": f"Token {new_key}"})
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
    text = stream.getvalue()
    records = [json.loads(line) for line in text.splitlines()]
    access = [r for r in records if r["logger"] == ACCESS_LOGGER_NAME]
    assert {r["status"] for r in access} >= {200, 201, 401}
    assert all(r["path"].startswith("/") and "?" not in r["path"] for r in access)
    assert any(r["principal"] == "Alice" and r["key_id"] == team.key_ids["Alice"] for r in access)
    for secret in [*team.keys.values(), new_key, hook["secret"]]:
        assert secret not in text
        random_part = secret.split("_", 2)[2] if secret.startswith("gm_") else secret.split("_", 1)[1]
        assert random_part[:16] not in text  # not even a piece of the random part
