"""Two agent processes share one run through the server, on every store: each sees the other's
memories and relations, attributed to whoever said them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from server_support import PROJECT, team_server

from graphmem.stores.base import Store

#: One agent: say something, wait (polling, bounded) until the other agent's memory shows up, then
#: report what it sees. Only the public client API and the environment (key, host) are used.
AGENT = r"""
import json, sys, time
from graphmem import MemoryClient

me, says, other, run = sys.argv[1:5]
client = MemoryClient()  # GRAPHMEM_API_KEY and GRAPHMEM_HOST from the environment
client.add([{"role": "user", "content": says}], run_id=run)
deadline = time.monotonic() + 90
while True:
    memories = client.get_all(run_id=run)["results"]
    if any(m["actor_id"] == other for m in memories):
        break
    if time.monotonic() > deadline:
        sys.exit(f"{me}: timed out waiting for {other}")
    time.sleep(0.05)
print(json.dumps({
    "memories": memories,
    "relations": client.relations(run_id=run),
    "search": client.search("who works on the landing page and the hero section copy?", run_id=run),
}))
"""


def test_two_agent_processes_share_one_run(store: Store, tmp_path: Path) -> None:
    with team_server(store) as team:
        lines = {
            "Alice": "Bob and I are building the new landing page.",
            "Bob": "I'll take the hero section copy.",
        }
        procs = {}
        for me, other in (("Alice", "Bob"), ("Bob", "Alice")):
            env = {**os.environ, "GRAPHMEM_API_KEY": team.keys[me], "GRAPHMEM_HOST": team.url}
            procs[me] = subprocess.Popen(
                [sys.executable, "-c", AGENT, me, lines[me], other, PROJECT],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
            )  # fmt: skip
        seen = {}
        for me, proc in procs.items():
            try:
                out, err = proc.communicate(timeout=180)
            except subprocess.TimeoutExpired:
                proc.kill()
                pytest.fail(f"agent {me} did not finish")
            assert proc.returncode == 0, err
            seen[me] = json.loads(out)

    for me in ("Alice", "Bob"):
        memories = {m["memory"]: m["actor_id"] for m in seen[me]["memories"]}
        assert memories == {lines["Alice"]: "Alice", lines["Bob"]: "Bob"}, me  # each line, by its speaker
        facts = {
            (r["source"], r["relationship"], r["destination"], r["actor_id"]) for r in seen[me]["relations"]
        }
        assert ("Alice", "WORKS_WITH", "Bob", "Alice") in facts or (
            "Bob",
            "WORKS_WITH",
            "Alice",
            "Alice",
        ) in facts
        assert ("Bob", "RESPONSIBLE_FOR", "hero section copy", "Bob") in facts
        cited = {(m["memory"], m["actor_id"]) for m in seen[me]["search"]["results"]}
        assert cited == {(lines["Alice"], "Alice"), (lines["Bob"], "Bob")}
    # both processes saw the same shared state
    assert {r["id"] for r in seen["Alice"]["relations"]} == {r["id"] for r in seen["Bob"]["relations"]}
