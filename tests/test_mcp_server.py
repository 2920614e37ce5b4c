"""``graphmem mcp`` over stdio: a subprocess speaking MCP's JSON-RPC lists the four tools with their
read-only / destructive annotations, and searches, adds and lists relations through a real server."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_support import PROJECT, Team, team_server

from graphmem.stores.base import Store

pytest.importorskip("mcp")


class StdioPeer:
    """The client side of an MCP stdio session: newline-delimited JSON-RPC, read with a deadline."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=cwd,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.next_id = 0

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self._write({"jsonrpc": "2.0", "method": method, **({"params": params} if params else {})})

    def request(self, method: str, params: dict[str, Any] | None = None, timeout: float = 60.0) -> Any:
        self.next_id += 1
        self._write({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}})
        while True:
            try:
                message = json.loads(self.lines.get(timeout=timeout))
            except queue.Empty:
                pytest.fail(f"no answer to {method} within {timeout} s")
            if message.get("id") == self.next_id:  # skip notifications the server may send
                assert "error" not in message, message
                return message["result"]

    def _write(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()  # MCP's stdio shutdown: close stdin, then wait
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def team(embedded_store: Store) -> Iterator[Team]:
    with team_server(embedded_store) as t:
        yield t


@pytest.fixture
def mcp_peer(team: Team, tmp_path: Path) -> Iterator[StdioPeer]:
    env = {**os.environ, "GRAPHMEM_API_KEY": team.keys["Bob"]}
    peer = StdioPeer(
        [sys.executable, "-m", "graphmem.server.mcp", "--host", team.url, "--run-id", PROJECT], env, tmp_path
    )
    try:
        init = peer.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                           "clientInfo": {"name": "graphmem-tests", "version": "0"}})  # fmt: skip
        assert init["serverInfo"]["name"] == "graphmem"
        peer.notify("notifications/initialized")
        yield peer
    finally:
        peer.close()


def _structured(result: dict[str, Any]) -> Any:
    assert not result.get("isError"), result
    return result.get("structuredContent") or json.loads(result["content"][0]["text"])


def test_tools_are_listed_with_their_annotations(mcp_peer: StdioPeer) -> None:
    tools = {t["name"]: t for t in mcp_peer.request("tools/list")["tools"]}
    assert set(tools) == {"add", "search", "relations", "ask"}
    hints = {
        n: (t["annotations"]["readOnlyHint"], t["annotations"].get("destructiveHint"))
        for n, t in tools.items()
    }
    assert hints["search"][0] is True and hints["relations"][0] is True
    assert hints["add"] == (False, True)
    assert hints["ask"] == (False, False)
    assert tools["search"]["inputSchema"]["required"] == ["query"]


def test_search_add_and_relations_through_the_server(mcp_peer: StdioPeer, team: Team) -> None:
    team.client("Alice").add("Bob and I are building the new landing page.", run_id=PROJECT)
    found = _structured(
        mcp_peer.request(
            "tools/call", {"name": "search", "arguments": {"query": "who builds the landing page?"}}
        )
    )
    assert found["results"][0]["memory"] == "Bob and I are building the new landing page."
    assert found["results"][0]["actor_id"] == "Alice"

    added = _structured(
        mcp_peer.request(
            "tools/call", {"name": "add", "arguments": {"content": "I'll take the hero section copy."}}
        )
    )
    assert added["results"][0]["actor_id"] == "Bob"  # the key's principal
    assert team.memory.get(added["results"][0]["id"])["run_id"] == PROJECT  # the --run-id default

    rels = _structured(mcp_peer.request("tools/call", {"name": "relations", "arguments": {"entity": "Bob"}}))[
        "relations"
    ]
    assert ("Bob", "RESPONSIBLE_FOR", "hero section copy") in {
        (r["source"], r["relationship"], r["destination"]) for r in rels
    }

    refused = mcp_peer.request(
        "tools/call", {"name": "search", "arguments": {"query": "x", "run_id": "other-project"}}
    )
    assert refused["isError"] and "PermissionDeniedError" in refused["content"][0]["text"]
