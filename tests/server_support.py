"""Helpers for the server tests: a real uvicorn server on 127.0.0.1 in a thread, and a team.

``running_server`` serves a Memory on a free loopback port and stops it afterwards; ``Team`` is
the landing-page project with one principal per role plus outsiders, each with an API key.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from graphmem import Memory
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.server.app import ServerSettings, create_app
from graphmem.server.auth import ApiKeys
from graphmem.server.client import MemoryClient
from graphmem.server.webhooks import WebhookSettings
from graphmem.stores.base import Store

PROJECT = "landing-page"
OTHER = "other-project"


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.02, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def test_settings(**overrides: Any) -> ServerSettings:
    """No rate limit (tests that want one set it) and fast webhook retries."""
    # The tests' receivers listen on 127.0.0.1: a private address, refused by default.
    hooks = WebhookSettings(max_attempts=3, backoff=0.05, backoff_cap=0.2, timeout=2.0, allow_private=True)
    return ServerSettings(**{"rate_limit": 0.0, "webhooks": hooks, **overrides})


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@contextmanager
def running_server(memory: Memory, settings: ServerSettings | None = None) -> Iterator[str]:
    """Serve ``memory`` with uvicorn on a free 127.0.0.1 port; yields the base URL."""
    app = create_app(memory, settings or test_settings())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, what="uvicorn to start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@dataclass
class Team:
    """The landing-page project (Alice admin, Bob member, Carol viewer), Dave's other project,
    Eve with no project, and ``ops`` holding an admin key; a running server over ``memory``."""

    memory: Memory
    url: str
    keys: dict[str, str] = field(default_factory=dict)
    key_ids: dict[str, str] = field(default_factory=dict)

    def client(self, who: str, **kwargs: Any) -> MemoryClient:
        return MemoryClient(api_key=self.keys[who], host=self.url, **kwargs)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Token {self.keys[who]}"}

    def http(self, who: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers(who) if who else {}, timeout=30)


def make_memory(store: Store) -> Memory:
    return Memory(store=store, embedder=HashingEmbedder(dim=384))


def seed_team(memory: Memory) -> tuple[dict[str, str], dict[str, str]]:
    """Projects, members and one key per principal; returns (keys, key ids)."""
    memory.projects.create(PROJECT, admin="Alice")  # type: ignore[attr-defined]
    memory.projects.add_member(PROJECT, "Bob", "member")  # type: ignore[attr-defined]
    memory.projects.add_member(PROJECT, "Carol", "viewer")  # type: ignore[attr-defined]
    memory.projects.create(OTHER, admin="Dave")  # type: ignore[attr-defined]
    api = ApiKeys(memory.store)
    keys, ids = {}, {}
    for who in ("Alice", "Bob", "Carol", "Dave", "Eve", "ops"):
        token, record = api.create(who, admin=(who == "ops"))
        keys[who], ids[who] = token, record.key_id
    return keys, ids


@contextmanager
def team_server(store: Store, settings: ServerSettings | None = None) -> Iterator[Team]:
    memory = make_memory(store)
    keys, ids = seed_team(memory)
    with running_server(memory, settings) as url:
        yield Team(memory, url, keys, ids)
