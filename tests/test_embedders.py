"""Embedders: the bundled MiniLM loads offline; bad vectors from any embedder are named errors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from graphmem import DimensionMismatchError, EmbeddingError, Memory, MemoryConfig
from graphmem.embedders.base import to_matrix
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.embedders.sentence_transformers import SentenceTransformerEmbedder, bundled_model_path


@pytest.mark.slow
def test_minilm_is_loaded_from_site_packages_and_is_semantic() -> None:
    assert "site-packages" in str(bundled_model_path())
    e = SentenceTransformerEmbedder()
    m = to_matrix(e.embed(["The cat sat on the mat.", "A kitten rested on the rug.", "Quarterly tax filing deadline"]), 3, e.dim)
    assert m.shape == (3, 384)
    sims = m @ m.T
    assert sims[0, 1] > sims[0, 2] + 0.2  # meaning, not words


def test_hashing_is_deterministic_and_lexical() -> None:
    e = HashingEmbedder(dim=128)
    a, b = e.embed(["Bob works at Acme"]), e.embed(["Bob works at Acme"])
    assert np.array_equal(a, b) and a.shape == (1, 128)
    m = to_matrix(e.embed(["Bob works at Acme", "bob works at acme corp", "Paris in spring"]), 3, 128)
    assert m[0] @ m[1] > 0.7 > m[0] @ m[2]


@pytest.mark.parametrize(
    ("raw", "n", "dim", "error"),
    [
        ([[1.0, float("nan")]], 1, 2, EmbeddingError),
        ([[1.0, float("inf")]], 1, 2, EmbeddingError),
        ([[1.0, 2.0, 3.0]], 1, 2, DimensionMismatchError),
        ([[1.0, 2.0]], 2, 2, EmbeddingError),
        ([[0.0, 0.0]], 1, 2, EmbeddingError),
        ("not numbers", 1, 2, EmbeddingError),
    ],
)
def test_bad_vectors_are_named_errors(raw: object, n: int, dim: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        to_matrix(raw, n, dim)


class BrokenEmbedder:
    """A custom embedder that returns NaN for texts containing 'poison'."""

    dim = 8

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[float("nan")] * 8 if "poison" in t else [1.0] + [0.0] * 7 for t in texts]


def test_a_bad_custom_embedder_writes_nothing(tmp_path: Path) -> None:
    cfg = MemoryConfig.from_dict({"graph_store": {"provider": "embedded", "config": {"path": str(tmp_path)}}})
    m = Memory(cfg, embedder=BrokenEmbedder())
    m.add("fine text", user_id="u")
    with pytest.raises(EmbeddingError):
        m.add(["more fine text", "poison pill"], user_id="u")
    assert [r["memory"] for r in m.get_all(user_id="u")["results"]] == ["fine text"]


def test_changing_the_embedder_dimension_is_refused(tmp_path: Path) -> None:
    cfg = {"graph_store": {"provider": "embedded", "config": {"path": str(tmp_path)}}}
    Memory.from_config({**cfg, "embedder": {"provider": "hashing", "config": {"dim": 64}}}).add("x", user_id="u")
    with pytest.raises(DimensionMismatchError):
        Memory.from_config({**cfg, "embedder": {"provider": "hashing", "config": {"dim": 32}}})
