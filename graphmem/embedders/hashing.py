"""A deterministic feature-hashing embedder: no model, no download, microseconds per text.

Word unigrams and bigrams plus character trigrams are hashed (blake2b, so stable across processes)
into ``dim`` signed buckets. It captures lexical overlap only, not meaning: use it for tests,
for quick experiments and on machines where torch is unwelcome; use MiniLM for real retrieval.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Feature-hashing embedder (see module docstring)."""

    name = "hashing"

    def __init__(self, dim: int = 384) -> None:
        self._dim = dim

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.casefold())
            feats = words + [a + " " + b for a, b in itertools.pairwise(words)]
            for w in words:
                padded = f"#{w}#"
                feats.extend(padded[i : i + 3] for i in range(len(padded) - 2))
            if not feats:
                feats = [text or "<empty>"]
            for feat in feats:
                h = int.from_bytes(
                    hashlib.blake2b(feat.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"
                )
                out[row, h % self._dim] += 1.0 if (h >> 63) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm == 0:  # every feature cancelled out: fall back to one bucket
                out[row, 0] = 1.0
        return out
