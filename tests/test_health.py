"""``Memory.health()`` and ``graphmem doctor``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphmem import Memory
from graphmem.cli import main
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.errors import StoreUnavailableError
from graphmem.stores.base import Store


def test_health_reports_every_component(store: Store, hashing_embedder: HashingEmbedder) -> None:
    m = Memory(store=store, embedder=hashing_embedder)
    m.add("hello", user_id="u")
    m.projects.create("p", admin="Alice")
    report = m.health()
    assert report["ok"] is True
    assert report["store"]["name"] == store.name and report["store"]["reachable"]
    assert report["embedder"] == {**report["embedder"], "name": "hashing", "dim": 384, "ok": True}
    assert report["indexes"]["vector"]["ok"] and report["indexes"]["keyword"]["ok"]
    assert report["llm"] == {"configured": False}
    assert report["counts"] == {"memories": 1, "projects": 1}
    json.dumps(report)  # the server and ``doctor --json`` serialise it as is


class BrokenEmbedder(HashingEmbedder):
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.full((len(texts), self.dim), np.nan, dtype=np.float32)


class DownStore:
    """Stands in for a store whose server went away after it was opened."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise StoreUnavailableError("connection refused (bolt://db:7687)")

        return fail if name != "ensure_schema" else getattr(self._inner, name)


def test_failures_are_reported_not_raised(embedded_store: Store) -> None:
    m = Memory(store=embedded_store, embedder=BrokenEmbedder())
    report = m.health()
    assert (
        report["ok"] is False and report["embedder"]["ok"] is False and "NaN" in report["embedder"]["error"]
    )
    m = Memory(store=DownStore(embedded_store), embedder=HashingEmbedder())  # type: ignore[arg-type]
    report = m.health()
    assert report["ok"] is False and report["store"]["reachable"] is False
    assert report["store"]["error"] == "StoreUnavailableError: connection refused (bolt://db:7687)"
    assert "counts" not in report and report["indexes"] == {}


class FakeLLM:
    provider = "openai"
    model = "gpt-test"
    base_url = "https://user:s3cret@llm.example.com:8443/v1"

    def complete_text(self, messages: Sequence[Any]) -> tuple[str, Any]:
        raise RuntimeError("rate limited")


def test_llm_status_never_shows_credentials(embedded_store: Store) -> None:
    m = Memory(store=embedded_store, embedder=HashingEmbedder(), llm=FakeLLM())
    report = m.health()
    assert report["llm"] == {"configured": True, "provider": "openai", "model": "gpt-test",
                             "base_url": "https://llm.example.com:8443/v1"}  # fmt: skip
    assert report["ok"] is True  # not called unless asked
    probed = m.health(probe_llm=True)
    assert probed["ok"] is False and probed["llm"]["probe"]["error"] == "RuntimeError: rate limited"
    assert "s3cret" not in json.dumps(probed)


def test_doctor_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["doctor", "--dir", str(tmp_path), "--embedder", "hashing"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "ok   store     embedded" in out and "hashing, dim 384" in out and out.rstrip().endswith("healthy")
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"] == {"memories": 0, "projects": 0}
    assert main(["doctor", "--dir", str(tmp_path), "--neo4j-url", "bolt://x:1"]) == 2
    assert "either --dir or --neo4j-url" in capsys.readouterr().err
