"""Webhooks: a receiver on 127.0.0.1 gets signed memory events, failures are retried with backoff up
to a bound, every attempt is in the delivery log, and pending deliveries survive a restart."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from server_support import PROJECT, Team, make_memory, team_server, wait_for

from graphmem.errors import InvalidInputError, MemoryNotFoundError, PermissionDeniedError
from graphmem.server.webhooks import (
    SIGNATURE_HEADER,
    Webhooks,
    WebhookSettings,
    private_target,
    sign,
    verify_signature,
)
from graphmem.stores.base import Store


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records requests and answers from a script of statuses."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def team(store: Store) -> Iterator[Team]:
    with team_server(store) as t:
        yield t


def test_signed_events_for_create_update_delete(team: Team) -> None:
    alice = team.client("Alice")
    with Receiver() as receiver:
        hook = alice.create_webhook(receiver.url, "ci", PROJECT)
        assert hook["secret"].startswith("whsec_")
        assert all("secret" not in h for h in alice.get_webhooks(PROJECT))
        mid = team.client("Bob").add("I'll take the hero section copy.", run_id=PROJECT)["results"][0]["id"]
        team.client("Bob").update(mid, "I'll take the hero section copy and footer.")
        team.client("Bob").delete(mid)
        wait_for(lambda: len(receiver.requests) >= 3, what="three deliveries")
        events = receiver.events()
        assert [e["event"] for e in events] == ["memory.created", "memory.updated", "memory.deleted"]
        assert {e["data"]["id"] for e in events} == {mid} and {e["project_id"] for e in events} == {PROJECT}
        assert events[0]["data"]["actor_id"] == "Bob"
        assert events[1]["data"]["memory"].endswith("and footer.")
        for request in receiver.requests:
            header = request["headers"][SIGNATURE_HEADER]
            assert verify_signature(hook["secret"], request["body"], header)
            assert not verify_signature("whsec_wrong", request["body"], header)
            assert not verify_signature(hook["secret"], request["body"] + b" ", header)
            assert request["headers"]["X-Graphmem-Event"] in (
                "memory.created",
                "memory.updated",
                "memory.deleted",
            )

        log = alice.webhook_deliveries(hook["id"])
        assert log["count"] == 3
        assert {(d["status"], d["attempts"], d["response_status"]) for d in log["results"]} == {
            ("delivered", 1, 200)
        }


def test_only_subscribed_events_and_own_project(team: Team) -> None:
    with Receiver() as receiver:
        hook = team.client("Alice").create_webhook(receiver.url, "deletes", PROJECT, ["memory.deleted"])
        team.client("Dave").add("Elsewhere.", run_id="other-project")
        mid = team.client("Bob").add("Hello.", run_id=PROJECT)["results"][0]["id"]
        team.client("Alice").batch_delete([mid])
        wait_for(lambda: receiver.requests, what="a delivery")
        assert [e["event"] for e in receiver.events()] == ["memory.deleted"]
        assert team.client("Alice").webhook_deliveries(hook["id"])["count"] == 1


def test_retries_with_backoff_then_gives_up(team: Team) -> None:
    alice = team.client("Alice")
    with Receiver(statuses=[500, 503]) as flaky:
        hook = alice.create_webhook(flaky.url, "flaky", PROJECT, ["memory.created"])
        alice.add("Launch is Friday.", run_id=PROJECT)
        wait_for(lambda: len(flaky.requests) >= 3, what="two retries")
        done = wait_for(
            lambda: [d for d in alice.webhook_deliveries(hook["id"])["results"] if d["status"] != "pending"]
        )
        assert (done[0]["status"], done[0]["attempts"], done[0]["response_status"]) == ("delivered", 3, 200)
        ids = {r["headers"]["X-Graphmem-Delivery"] for r in flaky.requests}
        assert len(ids) == 1  # one delivery, attempted three times

    with Receiver(statuses=[500] * 10) as down:
        alice.update_webhook(hook["id"], url=down.url)
        alice.add("Launch moved to Monday.", run_id=PROJECT)
        failed = wait_for(
            lambda: [d for d in alice.webhook_deliveries(hook["id"])["results"] if d["status"] == "failed"]
        )
        assert failed[0]["attempts"] == 3  # max_attempts in the test settings
        assert len(down.requests) == 3


def test_webhook_management_rules(team: Team) -> None:
    alice, bob, dave = team.client("Alice"), team.client("Bob"), team.client("Dave")
    with pytest.raises(InvalidInputError):
        alice.create_webhook("ftp://127.0.0.1/x", "bad", PROJECT)
    with pytest.raises(InvalidInputError):
        alice.create_webhook("http://127.0.0.1:9/x", "bad", PROJECT, ["memory.exploded"])
    with pytest.raises(PermissionDeniedError):
        bob.create_webhook("http://127.0.0.1:9/x", "bob's", PROJECT)
    hook = alice.create_webhook("http://127.0.0.1:9/x", "x", PROJECT)
    with pytest.raises(MemoryNotFoundError):  # outside Dave's projects: absent
        dave.delete_webhook(hook["id"])
    with pytest.raises(PermissionDeniedError):
        bob.webhook_deliveries(hook["id"])
    assert alice.update_webhook(hook["id"], name="renamed")["name"] == "renamed"
    alice.delete_webhook(hook["id"])
    assert alice.get_webhooks(PROJECT) == []


def test_pending_deliveries_survive_a_restart(embedded_store: Store) -> None:
    memory = make_memory(embedded_store)
    hooks = Webhooks(memory.store, WebhookSettings(backoff=0.05, allow_private=True))
    with Receiver() as receiver:
        hook = hooks.create(PROJECT, receiver.url, "r", ["memory.created"], created_by="Alice")
        assert hooks.emit(PROJECT, [("memory.created", {"id": "m1"})]) == 1  # recorded, worker not running
        assert hooks.deliveries(hook["id"])[0]["status"] == "pending"
        restarted = Webhooks(memory.store, WebhookSettings(backoff=0.05, allow_private=True))
        restarted.start()
        try:
            wait_for(lambda: receiver.requests, what="the delivery after restart")
            wait_for(lambda: restarted.deliveries(hook["id"])[0]["status"] == "delivered")
        finally:
            restarted.stop()
    assert receiver.events()[0]["data"] == {"id": "m1"}


def test_signature_format_and_tolerance() -> None:
    header = sign("whsec_k", 1_700_000_000, b'{"a":1}')
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify_signature("whsec_k", b'{"a":1}', header, now=1_700_000_100)
    assert not verify_signature("whsec_k", b'{"a":1}', header, now=1_700_001_000)  # replayed too late
    assert not verify_signature("whsec_k", b'{"a":1}', "garbage")


def test_delivery_log_is_trimmed_to_its_limit(embedded_store: Store) -> None:
    memory = make_memory(embedded_store)
    hooks = Webhooks(memory.store, WebhookSettings(log_limit=4, allow_private=True))
    with Receiver() as receiver:
        hook = hooks.create(PROJECT, receiver.url, "r", ["memory.created"], created_by="Alice")
        hooks.start()
        try:
            for i in range(7):
                hooks.emit(PROJECT, [("memory.created", {"id": f"m{i}"})])
            wait_for(lambda: len(receiver.requests) == 7, what="seven deliveries")
            wait_for(lambda: len(hooks.deliveries(hook["id"])) == 4, what="the log trimmed to 4")
        finally:
            hooks.stop()
    kept = [d["payload"]["data"]["id"] for d in hooks.deliveries(hook["id"])]
    assert kept == ["m6", "m5", "m4", "m3"]  # the newest ones


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",  # loopback
        "http://localhost/hook",  # a name that resolves to loopback
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://10.1.2.3/hook",
        "http://192.168.0.7/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT (shared)
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "http://[fd00::1]/hook",  # unique local
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",  # multicast
    ],
)
def test_webhooks_to_private_addresses_are_refused_by_default(embedded_store: Store, url: str) -> None:
    hooks = Webhooks(embedded_store)
    with pytest.raises(InvalidInputError, match="private-network address"):
        hooks.create(PROJECT, url, "internal", ["memory.created"], created_by="Alice")
    public = hooks.create(
        PROJECT, "http://93.184.215.14/hook", "public", ["memory.created"], created_by="Alice"
    )
    with pytest.raises(InvalidInputError, match="private-network address"):
        hooks.update(public["id"], url=url)
    assert hooks.get(public["id"])["url"] == "http://93.184.215.14/hook"  # nothing half-written
    allowed = Webhooks(embedded_store, WebhookSettings(allow_private=True))
    assert allowed.create(PROJECT, url, "internal", ["memory.created"], created_by="Alice")["url"] == url


def test_private_target_judges_addresses_and_resolved_names() -> None:
    assert private_target("https://8.8.8.8/x") is None
    assert private_target("http://127.0.0.2:9/x") == "127.0.0.2"
    assert private_target("http://localhost:9/x") in ("127.0.0.1", "::1")
    assert private_target("http://no-such-host.invalid/x") is None  # unresolvable: the attempt fails anyway


def test_a_name_that_turns_private_after_registration_is_never_contacted(
    embedded_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS may change after registration: every attempt checks again, and refuses without connecting."""
    import socket

    import graphmem.server.webhooks as webhooks

    real = socket.getaddrinfo
    answers = {"hooks.example.com": "93.184.215.14"}

    def fake_getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", fake_getaddrinfo)
    hooks = Webhooks(embedded_store, WebhookSettings(max_attempts=1))
    hook = hooks.create(PROJECT, "http://hooks.example.com/x", "r", ["memory.created"], created_by="Alice")
    answers["hooks.example.com"] = "127.0.0.1"  # rebound to the server's own loopback
    hooks.emit(PROJECT, [("memory.created", {"id": "m1"})])
    hooks.start()
    try:
        wait_for(lambda: hooks.deliveries(hook["id"])[0]["status"] == "failed", what="the refused delivery")
    finally:
        hooks.stop()
    delivery = hooks.deliveries(hook["id"])[0]
    assert delivery["error"] == "PrivateAddressRefused" and delivery["response_status"] is None


def test_the_environment_can_allow_private_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    from graphmem.errors import ConfigError
    from graphmem.server.app import ServerSettings

    assert ServerSettings.from_env().webhooks.allow_private is False
    monkeypatch.setenv("GRAPHMEM_SERVER_WEBHOOKS_ALLOW_PRIVATE", "1")
    assert ServerSettings.from_env().webhooks.allow_private is True
    monkeypatch.setenv("GRAPHMEM_SERVER_WEBHOOKS_ALLOW_PRIVATE", "maybe")
    with pytest.raises(ConfigError, match="WEBHOOKS_ALLOW_PRIVATE"):
        ServerSettings.from_env()
