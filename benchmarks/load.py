"""Load run of the REST server on loopback: N concurrent clients adding and searching for a while.

The script prepares an embedded store (one project, one principal and API key per client), starts
``graphmem serve`` on it as a separate process on 127.0.0.1, and runs ``--clients`` asyncio clients
(``AsyncMemoryClient``), each alternating an ``add`` of a new sentence and a ``search`` in the
shared project until ``--seconds`` have passed. It reports throughput, p50/p95 latency per
operation and errors, then counts the project's memories through the API and, with the server
stopped, checks in the store that every acknowledged add is there (zero lost) and nothing else.

    python benchmarks/load.py                      # 8 clients, 60 s
    python benchmarks/load.py --seconds 10 --clients 4

The result table is printed and written to ``benchmarks/results/load-<date>.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO_ROOT, RESULTS_DIR, header_lines, md_table, write_result

PROJECT = "load-run"
TOPICS = ["landing page", "hero copy", "analytics", "screenshots", "pricing", "launch checklist", "footer"]
VERBS = ["I'll take", "I finished", "I'm reviewing", "I'm blocked on", "Let's move"]


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"add": [], "search": []})
    errors: dict[str, int] = field(default_factory=dict)
    added_ids: set[str] = field(default_factory=set)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def prepare(directory: Path, clients: int, embedder: str) -> tuple[dict[str, str], str]:
    """The store: project ``load-run`` with one member per client, keys, and an admin reader."""
    from graphmem import Memory
    from graphmem.server.auth import ApiKeys

    config = {
        "graph_store": {"provider": "embedded", "config": {"path": str(directory)}},
        "embedder": {"provider": embedder},
    }
    with Memory.from_config(config) as memory:
        memory.projects.create(PROJECT, admin="reader")
        keys = ApiKeys(memory.store)
        tokens = {}
        for i in range(clients):
            memory.projects.add_member(PROJECT, f"agent-{i}", "member")
            tokens[f"agent-{i}"] = keys.create(f"agent-{i}")[0]
        reader = keys.create("reader")[0]
    return tokens, reader


def start_server(directory: Path, embedder: str) -> tuple[subprocess.Popen[str], str]:
    """``graphmem serve`` on a free loopback port, with the rate limit off; returns (process, url)."""
    cmd = [sys.executable, "-m", "graphmem.cli", "serve", "--port", "0", "--rate-limit", "0", "--log-level", "warning",
           "--dir", str(directory), "--embedder", embedder]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:  # the server's stderr must be drained, or a full pipe would block it
        for line in proc.stderr or ():
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        record = json.loads(line) if line.startswith("{") else {}
        if record.get("msg") == "listening":
            return proc, record["url"]
    proc.kill()
    raise SystemExit("the server did not start")


async def client(i: int, token: str, url: str, stop_at: float, stats: Stats) -> None:
    from graphmem.server.client import AsyncMemoryClient

    async with AsyncMemoryClient(api_key=token, host=url, max_retries=0, timeout=60) as c:
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            text = f"{VERBS[(i + n) % len(VERBS)]} the {TOPICS[(i * 7 + n) % len(TOPICS)]} (agent {i}, note {n})."
            for op in ("add", "search"):
                start = time.perf_counter()
                try:
                    if op == "add":
                        out = await c.add(text, run_id=PROJECT)
                        stats.added_ids.update(r["id"] for r in out["results"])
                    else:
                        await c.search(f"who is on the {TOPICS[n % len(TOPICS)]}?", run_id=PROJECT, limit=5)
                except Exception as e:  # every failure is counted, by type; the run goes on
                    stats.error(f"{op}: {type(e).__name__}")
                    continue
                stats.latencies[op].append(time.perf_counter() - start)


async def count_listed(url: str, token: str) -> int:
    """How many memories the project holds, as the API counts them."""
    from graphmem.server.client import AsyncMemoryClient

    async with AsyncMemoryClient(api_key=token, host=url) as c:
        page = await c.get_all(run_id=PROJECT, page=1, page_size=1)
        return int(page["count"])


def stored_after_shutdown(directory: Path, embedder: str, ids: set[str]) -> tuple[int, int]:
    """With the server stopped: (acknowledged ids found in the store, memories in the project)."""
    from graphmem import Memory
    from graphmem.models import Scope

    config = {
        "graph_store": {"provider": "embedded", "config": {"path": str(directory)}},
        "embedder": {"provider": embedder},
    }
    with Memory.from_config(config) as memory:
        wanted = sorted(ids)
        found = sum(len(memory.store.get_memories(wanted[i : i + 500])) for i in range(0, len(wanted), 500))
        return found, memory.store.count_memories(Scope(run_id=PROJECT))


def pct(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the clients run (default 60)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument(
        "--embedder", default="hashing", help="the server's embedder provider (default hashing)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="where the markdown result goes")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="graphmem-load-") as tmp:
        directory = Path(tmp) / "store"
        tokens, reader = prepare(directory, args.clients, args.embedder)
        proc, url = start_server(directory, args.embedder)
        try:
            stats = Stats()
            stop_at = time.monotonic() + args.seconds
            started = time.perf_counter()

            async def run() -> None:
                await asyncio.gather(
                    *(client(i, t, url, stop_at, stats) for i, t in enumerate(tokens.values()))
                )

            asyncio.run(run())
            elapsed = time.perf_counter() - started
            listed = asyncio.run(count_listed(url, reader))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        found, stored = stored_after_shutdown(directory, args.embedder, stats.added_ids)

    errors = sum(stats.errors.values())
    lost = len(stats.added_ids) - found
    unexpected = stored - found
    every = [x for v in stats.latencies.values() for x in v]
    rows: list[list[object]] = []
    for op, lat in [*stats.latencies.items(), ("all", every)]:
        failed = errors if op == "all" else sum(n for k, n in stats.errors.items() if k.startswith(op))
        mean = f"{statistics.mean(lat) * 1000:.0f}" if lat else "-"
        rows.append([op, len(lat), f"{len(lat) / elapsed:.1f}", pct(lat, 0.5), pct(lat, 0.95), mean, failed])
    counts = [
        "memories acknowledged",
        "counted by the API",
        "in the store after shutdown",
        "lost",
        "unexpected",
    ]
    lines = [
        *header_lines("Load run: REST server on loopback"),
        f"- server: `graphmem serve` (embedded store, {args.embedder} embedder, rate limit off), one process",
        f"- clients: {args.clients} concurrent AsyncMemoryClient, each alternating add and search, for {args.seconds:g} s",
        "",
        *md_table(["operation", "ok", "per second", "p50 ms", "p95 ms", "mean ms", "errors"], rows),
        "",
        *md_table(counts, [[len(stats.added_ids), listed, stored, lost, unexpected]]),
    ]
    if stats.errors:
        lines += ["", "Errors by kind: " + ", ".join(f"{k} x{n}" for k, n in sorted(stats.errors.items()))]
    text = "\n".join(lines)
    print(text)
    path = write_result(args.out, "load", text)
    print(f"\nwritten to {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")
    return 0 if errors == 0 and lost == 0 and unexpected == 0 and listed == stored else 1


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
