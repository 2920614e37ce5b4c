"""Build the components a ``MemoryConfig`` names. Backends are imported only when chosen, so
``import graphmem`` never pulls in neo4j, torch or openai."""

from __future__ import annotations

from typing import Any

from graphmem.config import EmbeddedStoreConfig, MemoryConfig, Neo4jStoreConfig, reveal
from graphmem.embedders.base import Embedder
from graphmem.errors import ConfigError
from graphmem.extractors.base import Extractor
from graphmem.stores.base import Store


def make_store(config: MemoryConfig) -> Store:
    cfg = config.graph_store.typed()
    if isinstance(cfg, EmbeddedStoreConfig):
        from graphmem.stores.embedded import EmbeddedStore

        return EmbeddedStore(config.store_path())
    assert isinstance(cfg, Neo4jStoreConfig)
    from graphmem.stores.neo4j import Neo4jStore

    password = cfg.password.get_secret_value() if cfg.password is not None else None
    return Neo4jStore(cfg.url, username=cfg.username, password=password, database=cfg.database)


def make_embedder(config: MemoryConfig) -> Embedder:
    provider, opts = config.embedder.provider, dict(config.embedder.config)
    if provider in ("sentence_transformers", "huggingface"):
        from graphmem.embedders.sentence_transformers import BUNDLED, SentenceTransformerEmbedder

        allowed = {"model", "device", "batch_size", "threads", "dtype", "cache_size", "embedding_dims"}
        _no_unknown(f"embedder ({provider})", opts, allowed)
        opts.pop("embedding_dims", None)  # mem0 spelling; the model decides its dimension
        return SentenceTransformerEmbedder(model=opts.get("model", BUNDLED), device=opts.get("device", "cpu"),
                                           batch_size=opts.get("batch_size", 64),
                                           threads=opts.get("threads", "auto"), dtype=opts.get("dtype", "auto"),
                                           cache_size=opts.get("cache_size", 4096))  # fmt: skip
    if provider == "hashing":
        from graphmem.embedders.hashing import HashingEmbedder

        _no_unknown("embedder (hashing)", opts, {"dim", "embedding_dims"})
        return HashingEmbedder(dim=int(opts.get("dim", opts.get("embedding_dims", 384))))
    from graphmem.embedders.openai import OpenAIEmbedder

    return OpenAIEmbedder.from_config(provider, reveal(opts))


def make_llm(config: MemoryConfig) -> Any:
    if config.llm is None:
        return None
    from graphmem.llms.openai import OpenAILLM

    return OpenAILLM.from_config(config.llm.provider, reveal(config.llm.config))


def make_extractor(config: MemoryConfig, llm: Any) -> Extractor:
    """The extractor for messages stored as they are (``infer=False``, or no LLM).

    Offline unless ``extractor: "llm"`` is asked for: ``infer=False`` makes no LLM call by default,
    as in mem0. ``infer=True`` with an LLM uses the LLM extractor inside the LLM add step.
    """
    if config.extractor == "llm":
        if llm is None:
            raise ConfigError("extractor 'llm' needs an llm in the config")
        from graphmem.extractors.llm import LLMExtractor

        return LLMExtractor(llm, fact_prompt=config.custom_fact_extraction_prompt)
    from graphmem.extractors.offline import OfflineExtractor

    return OfflineExtractor()


def make_llm_add(config: MemoryConfig, llm: Any) -> Any:
    """The add step for ``infer=True`` with an LLM, or None when no LLM is configured."""
    if llm is None:
        return None
    from graphmem.pipeline.llm_add import make_llm_add as build

    return build(config, llm)


def _no_unknown(what: str, opts: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(opts) - allowed)
    if unknown:
        raise ConfigError(f"unknown key(s) in {what} config: {', '.join(map(repr, unknown))}")
