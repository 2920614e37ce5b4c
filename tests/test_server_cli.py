"""``graphmem keys create|list|revoke`` and ``graphmem serve`` as a user runs them."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from graphmem.cli import main
from graphmem.server.client import MemoryClient


def _store_args(tmp_path: Path) -> list[str]:
    return ["--dir", str(tmp_path / "store"), "--embedder", "hashing"]


def test_keys_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "create", "--principal", "Alice", "--name", "laptop", *_store_args(tmp_path)]) == 0
    key, note = capsys.readouterr().out.splitlines()
    assert key.startswith("gm_") and "shown once" in note
    assert main(["keys", "create", "--principal", "ops", "--admin", "--json", *_store_args(tmp_path)]) == 0
    ops = json.loads(capsys.readouterr().out)
    assert ops["admin"] is True and ops["key"].startswith("gm_")

    assert main(["keys", "list", "--json", *_store_args(tmp_path)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {k["principal"] for k in listed} == {"Alice", "ops"}
    assert key not in json.dumps(listed) and all("hash" not in k for k in listed)

    key_id = key.split("_")[1]
    assert main(["keys", "revoke", key_id, *_store_args(tmp_path)]) == 0
    assert f"revoked {key_id} (Alice)" in capsys.readouterr().out
    assert main(["keys", "list", "--json", *_store_args(tmp_path)]) == 0
    assert [k["principal"] for k in json.loads(capsys.readouterr().out)] == ["ops"]
    assert (
        main(["keys", "revoke", "000000000000", *_store_args(tmp_path)]) == 2
    )  # a clean error, no traceback
    assert "no API key" in capsys.readouterr().err


@pytest.mark.slow
def test_serve_answers_on_loopback_and_logs_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "create", "--principal", "Alice", *_store_args(tmp_path)]) == 0
    key = capsys.readouterr().out.splitlines()[0]
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphmem.cli", "serve", "--port", "0", *_store_args(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr or ()], daemon=True).start()
    try:
        url = None
        while url is None:  # the first JSON log lines announce the bound address
            record = json.loads(lines.get(timeout=60))
            url = record.get("url") if record["msg"] == "listening" else None
        client = MemoryClient(api_key=key, host=url)
        client.create_project("cli-run")
        client.add("I work at Acme.", run_id="cli-run")
        assert client.search("where do I work?", run_id="cli-run")["results"][0]["actor_id"] == "Alice"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    logged = []
    while not lines.empty():
        logged.append(json.loads(lines.get()))
    assert any(r.get("path") == "/v1/memories/" and r.get("status") == 200 for r in logged)
    assert all(key not in json.dumps(r) for r in logged)
