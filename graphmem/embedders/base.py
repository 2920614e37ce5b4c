"""The Embedder contract: a dimension and a batch ``embed``.

Embedders may return lists or numpy arrays; :func:`to_matrix` turns either into a checked float32
matrix (one row per text, L2-normalised) and raises a named error for NaN, infinities, a wrong
row count or a wrong dimension, so a bad custom embedder can never corrupt an index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from graphmem.errors import DimensionMismatchError, EmbeddingError
from graphmem.models import Vector


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors of a fixed dimension."""

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Any:
        """One vector per text: a list of lists of floats or a 2-D numpy array."""
        ...


def to_matrix(raw: Any, n: int, dim: int) -> np.ndarray:
    """Validate an embedder's output and return an ``(n, dim)`` float32 matrix of unit rows."""
    try:
        m = np.asarray(raw, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise EmbeddingError(f"embedder returned something that is not a matrix of numbers: {e}") from e
    if m.ndim == 1 and n == 1:
        m = m.reshape(1, -1)
    if m.ndim != 2 or m.shape[0] != n:
        raise EmbeddingError(f"embedder returned {m.shape[0] if m.ndim else 0} vectors for {n} texts")
    if m.shape[1] != dim:
        raise DimensionMismatchError(f"embedder returned vectors of dimension {m.shape[1]}, expected {dim}")
    if not np.isfinite(m).all():
        raise EmbeddingError("embedder returned NaN or infinite values")
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    if (norms == 0).any():
        raise EmbeddingError("embedder returned an all-zero vector")
    return np.ascontiguousarray(m / norms, dtype=np.float32)


def embed_one(embedder: Embedder, text: str) -> Vector:
    row: Vector = to_matrix(embedder.embed([text]), 1, embedder.dim)[0]
    return row
