"""``MemoryConfig``: one validated object for everything ``Memory`` can be configured with.

mem0-style dicts are accepted as they are (``graph_store`` / ``vector_store``, ``embedder``,
``llm``, ``history_db_path``, ``custom_fact_extraction_prompt``, ``custom_update_memory_prompt``,
``version``) and validated into this model; unknown keys anywhere are rejected with an error that
names them. The environment (``GRAPHMEM_HOME``) is read when a config is built, never at import.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from graphmem.errors import ConfigError

STORE_PROVIDERS = ("embedded", "neo4j")
EMBEDDER_PROVIDERS = ("sentence_transformers", "huggingface", "hashing", "openai")
LLM_PROVIDERS = ("openai", "ollama", "vllm", "lmstudio", "deepseek", "groq", "together", "azure_openai")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class EmbeddedStoreConfig(_Strict):
    path: str | None = None  # a directory; default $GRAPHMEM_HOME or ~/.graphmem


class Neo4jStoreConfig(_Strict):
    url: str = "bolt://localhost:7687"
    username: str | None = None
    password: SecretStr | None = None
    database: str = "neo4j"


#: Keys whose values are secrets wherever they appear in a provider's ``config``.
SECRET_KEYS = frozenset({"password", "api_key"})


def _hide_secrets(config: dict[str, Any]) -> dict[str, Any]:
    """Wrap secret values in SecretStr so no repr, dump or log of a config shows them."""
    return {k: SecretStr(v) if k in SECRET_KEYS and isinstance(v, str) else v for k, v in config.items()}


def reveal(config: dict[str, Any]) -> dict[str, Any]:
    """The provider config with secrets unwrapped, for handing to a client at construction."""
    return {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in config.items()}


class StoreConfig(_Strict):
    provider: Literal["embedded", "neo4j"] = "embedded"
    config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("config")
    @classmethod
    def _secrets(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _hide_secrets(v)

    @model_validator(mode="after")
    def _check(self) -> StoreConfig:
        model = EmbeddedStoreConfig if self.provider == "embedded" else Neo4jStoreConfig
        model.model_validate(self.config)  # raises on unknown keys
        return self

    def typed(self) -> EmbeddedStoreConfig | Neo4jStoreConfig:
        if self.provider == "embedded":
            return EmbeddedStoreConfig.model_validate(self.config)
        return Neo4jStoreConfig.model_validate(self.config)


class EmbedderConfig(_Strict):
    provider: Literal["sentence_transformers", "huggingface", "hashing", "openai"] = "sentence_transformers"
    #: sentence_transformers/huggingface: {"model": path-or-bundled-name, "device": "cpu"};
    #: hashing: {"dim": 384}; openai: {"model", "api_key", "base_url", "dimensions"}.
    config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("config")
    @classmethod
    def _secrets(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _hide_secrets(v)


class LLMConfig(_Strict):
    provider: Literal[
        "openai", "ollama", "vllm", "lmstudio", "deepseek", "groq", "together", "azure_openai"
    ] = "openai"
    #: {"model", "api_key", "base_url", "temperature", "max_tokens", "timeout", ...}
    config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("config")
    @classmethod
    def _secrets(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _hide_secrets(v)


class SignalsConfig(_Strict):
    """Which retrieval signals search uses. Each is visible in every result's ``scores``.

    ``context`` (the neighbouring memories of the strongest hits: the turns just before and after
    them in the same conversation) is computed from the others, so it needs at least one of them.
    """

    vector: bool = True
    keyword: bool = True
    graph: bool = True
    actor: bool = True
    temporal: bool = True
    recency: bool = True
    context: bool = True


class WeightsConfig(_Strict):
    """Weights of each signal in the reciprocal-rank fusion.

    The defaults are tuned on the LoCoMo dev half (``benchmarks/locomo.py``): keyword relevance
    is the strongest single signal on conversation turns, ``context`` the next; the local MiniLM
    ``vector`` signal is the weaker of the two it fuses with. A memory every signal ranks first
    scores 1.
    """

    vector: float = Field(default=0.7, ge=0.0)
    keyword: float = Field(default=2.0, ge=0.0)
    graph: float = Field(default=0.6, ge=0.0)
    actor: float = Field(default=0.5, ge=0.0)
    temporal: float = Field(default=1.5, ge=0.0)
    recency: float = Field(default=0.1, ge=0.0)
    context: float = Field(default=1.0, ge=0.0)


class SearchConfig(_Strict):
    """How ``search`` finds and fuses candidates (see ``graphmem/pipeline/search.py``)."""

    signals: SignalsConfig = Field(default_factory=SignalsConfig)
    weights: WeightsConfig = Field(default_factory=WeightsConfig)
    #: Reciprocal-rank fusion constant: score = sum(weight / (rrf_k + rank)). Smaller values
    #: favour memories that one signal ranks at the very top.
    rrf_k: int = Field(default=5, ge=1)
    #: Candidates fetched per signal, as a multiple of the requested limit (at least 50).
    candidate_multiplier: int = Field(default=4, ge=1)
    graph_hops: int = Field(default=2, ge=1, le=2)
    #: ``context`` signal: how many of the best fused hits lend it to their neighbours ...
    context_hits: int = Field(default=5, ge=0)
    #: ... how many memories on each side of a hit count as its neighbours ...
    context_turns: int = Field(default=2, ge=0)
    #: ... and how far apart in time (seconds of ``created_at``) a neighbour may be.
    context_seconds: float = Field(default=600.0, ge=0.0)


class LimitsConfig(_Strict):
    """Input limits; a call over any of them raises a named error and writes nothing."""

    max_message_chars: int = Field(default=100_000, ge=1)
    max_messages_per_add: int = Field(default=1_000, ge=1)
    max_metadata_bytes: int = Field(default=64_000, ge=2)
    max_id_chars: int = Field(default=256, ge=1)


class MemoryConfig(_Strict):
    """Everything ``Memory`` can be configured with (see the module docstring)."""

    graph_store: StoreConfig = Field(default_factory=StoreConfig)
    embedder: EmbedderConfig = Field(default_factory=EmbedderConfig)
    llm: LLMConfig | None = None
    #: "offline" (rules) or "llm"; default: "llm" when an llm is configured, else "offline".
    extractor: Literal["offline", "llm"] | None = None
    history_db_path: str | None = None
    custom_fact_extraction_prompt: str | None = None
    custom_update_memory_prompt: str | None = None
    version: str = "v1.1"
    search: SearchConfig = Field(default_factory=SearchConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    #: Entity resolution: minimum (1+cos)/2 similarity of names to merge non-person entities.
    entity_merge_threshold: float = Field(default=0.95, ge=0.0, le=1.0)
    #: "background": an offline ``add`` returns before its memories and facts are embedded; a
    #: thread embeds them in batches and every search waits for it (``graphmem.pipeline.indexer``).
    #: "inline": ``add`` embeds everything before it returns.
    indexing: Literal["background", "inline"] = "background"

    @model_validator(mode="before")
    @classmethod
    def _mem0_aliases(cls, data: Any) -> Any:
        """Accept mem0's ``vector_store`` as the store when no ``graph_store`` is given."""
        if isinstance(data, dict) and "vector_store" in data:
            data = dict(data)
            vs = data.pop("vector_store")
            provider = vs.get("provider") if isinstance(vs, dict) else None
            if provider not in STORE_PROVIDERS:
                raise ValueError(
                    f"vector_store provider {provider!r} is not supported: graphmem keeps vectors in its "
                    f"graph store; use provider 'embedded' or 'neo4j'"
                )
            data.setdefault("graph_store", vs)
        return data

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if v not in ("v1.0", "v1.1"):
            raise ValueError(f"unknown version {v!r}; use 'v1.1'")
        return v

    def store_path(self) -> Path:
        """The embedded store's directory: config, then history_db_path's folder, then the environment."""
        cfg = self.graph_store.typed()
        assert isinstance(cfg, EmbeddedStoreConfig)
        if cfg.path:
            return Path(cfg.path).expanduser()
        if self.history_db_path:
            return Path(self.history_db_path).expanduser().parent
        return default_home()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemoryConfig:
        """Validate a mem0-style dict; raise ConfigError naming every problem."""
        if not isinstance(data, dict):
            raise ConfigError(f"config must be a dict, got {type(data).__name__}")
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise ConfigError(_describe(e)) from None


def default_home() -> Path:
    return Path(os.environ.get("GRAPHMEM_HOME") or "~/.graphmem").expanduser()


def _describe(e: ValidationError) -> str:
    parts = []
    for err in e.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "config"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown key {loc!r}")
        else:
            # never echo the input: it may hold a password or an API key
            parts.append(f"{loc}: {err['msg']}")
    return "invalid config: " + "; ".join(parts)
