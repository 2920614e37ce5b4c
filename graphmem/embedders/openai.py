"""An :class:`~graphmem.embedders.base.Embedder` over the OpenAI embeddings protocol.

Works with OpenAI, Azure OpenAI and OpenAI-compatible servers (ollama, vLLM, ...). Texts are sent
in batches; the dimension is known before the first call (so a store can check it against its
indexes up front) and every returned vector is checked against it: a server that answers with
another dimension raises :class:`DimensionMismatchError` instead of corrupting an index.

Example::

    embedder = OpenAIEmbedder("text-embedding-3-small", dim=512)   # dimensions=512 is sent
    vectors = embedder.embed(["Alice works with Bob"])
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import SecretStr

from graphmem.errors import ConfigError, DimensionMismatchError, EmbeddingError
from graphmem.llms._client import RetryPolicy, call_with_retries, make_client
from graphmem.llms.base import Usage
from graphmem.llms.providers import embedder_kwargs, resolve_endpoint

#: Native dimensions of OpenAI's models; other models need ``dim``.
KNOWN_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible endpoint (see the module docstring).

    Args:
        model: The embedding model (or Azure deployment).
        dim: The vector dimension. Optional for OpenAI's models (their native size); for
            ``text-embedding-3-*`` a smaller one is requested with ``dimensions``; required for
            any other model.
        api_key, base_url, provider, timeout, max_retries, azure_endpoint, api_version, backoff:
            As for :class:`~graphmem.llms.openai.OpenAILLM`.
        batch_size: Texts per request.
    """

    name = "openai"

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        dim: int | None = None,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        batch_size: int = 256,
        *,
        provider: str = "openai",
        timeout: float = 60.0,
        max_retries: int = 3,
        azure_endpoint: str | None = None,
        api_version: str | None = None,
        backoff: float = 0.5,
    ) -> None:
        native = KNOWN_DIMS.get(model)
        if dim is None and native is None:
            raise ConfigError(
                f"the dimension of embedding model {model!r} is unknown; set dim (embedding_dims)"
            )
        if dim is not None and dim < 1:
            raise ConfigError(f"embedding dim must be positive, got {dim}")
        if (
            dim is not None
            and native is not None
            and dim != native
            and not model.startswith("text-embedding-3")
        ):
            raise ConfigError(
                f"{model} only produces {native}-dimensional vectors; dim={dim} is not possible"
            )
        if batch_size < 1:
            raise ConfigError(f"batch_size must be positive, got {batch_size}")
        self.model = model
        self.provider = provider
        self.batch_size = batch_size
        self.timeout = timeout
        self._dim: int = dim if dim is not None else native  # type: ignore[assignment]  # checked above
        # Only text-embedding-3 takes "dimensions", and only when asked: other servers reject it.
        self._send_dimensions = dim is not None and model.startswith("text-embedding-3")
        self._endpoint = resolve_endpoint(provider, api_key, base_url or azure_endpoint)
        self._policy = RetryPolicy(max_retries=max(0, max_retries), backoff=backoff)
        self._client = make_client(self._endpoint, timeout=timeout, api_version=api_version)
        self._lock = threading.Lock()
        self._usage = Usage()

    @classmethod
    def from_config(cls, provider: str, config: Mapping[str, Any]) -> OpenAIEmbedder:
        """Build from a mem0-style embedder config (``embedding_dims``, ``openai_base_url`` ...)."""
        return cls(**embedder_kwargs(provider, config))

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(provider={self.provider!r}, model={self.model!r}, dim={self._dim})"

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def usage(self) -> Usage:
        """Tokens spent by this instance since it was created (a copy)."""
        with self._lock:
            return self._usage + Usage()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order.

        Raises:
            DimensionMismatchError: The server answered with vectors of another dimension.
            EmbeddingError: The server answered with the wrong number of vectors.
            LLMUnavailableError: The server could not be reached or kept failing.
            LLMError: The server rejected the request.
        """
        out: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            out.extend(self._embed_batch(list(texts[start : start + self.batch_size])))
        return out

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        def request() -> Any:
            kwargs: dict[str, Any] = {"model": self.model, "input": batch, "encoding_format": "float"}
            if self._send_dimensions:
                kwargs["dimensions"] = self._dim
            return self._client.embeddings.create(**kwargs)

        resp = call_with_retries(
            request, what=f"embeddings with {self.model}", endpoint=self._endpoint,
            policy=self._policy, timeout=self.timeout,
        )  # fmt: skip
        u = getattr(resp, "usage", None)
        prompt = int(getattr(u, "prompt_tokens", 0) or 0)
        with self._lock:
            self._usage.add(Usage(prompt, 0, int(getattr(u, "total_tokens", 0) or 0) or prompt, calls=1))
        data = sorted(resp.data or [], key=lambda d: d.index)  # servers may answer out of order
        if len(data) != len(batch):
            raise EmbeddingError(f"{self.model} returned {len(data)} vectors for {len(batch)} texts")
        vectors = [list(d.embedding) for d in data]
        for v in vectors:
            if len(v) != self._dim:
                raise DimensionMismatchError(
                    f"{self.model} returned vectors of dimension {len(v)}, expected {self._dim}; "
                    "set dim to the model's dimension (a store keeps the dimension it was created with)"
                )
        return vectors
