"""The OpenAI-compatible providers graphmem knows, and how their settings are resolved.

Every provider here speaks the OpenAI chat-completions and embeddings protocol; they differ in
the default base URL, whether a key is needed and which environment variable holds it. This module
imports nothing heavy, so ``config.py`` can validate provider names without importing ``openai``.

Keys are looked up only in the provider's own variable: an ``OPENAI_API_KEY`` is never sent to
Groq or Together because the user switched provider and forgot the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from graphmem.errors import ConfigError

#: Sent as the key to servers that ignore it (ollama, vLLM, LM Studio): the client insists on one.
PLACEHOLDER_KEY = "not-needed"


@dataclass(frozen=True, slots=True)
class Provider:
    """How to reach one OpenAI-compatible provider."""

    name: str
    #: Used when neither an argument nor the environment gives one; None means the client default.
    base_url: str | None
    #: Where the key is read from when no ``api_key`` is given; None: the server needs no key.
    key_env: str | None
    #: Where the base URL is read from when no ``base_url`` is given.
    base_url_env: str | None = None

    @property
    def needs_key(self) -> bool:
        return self.key_env is not None


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_BASE_URL"),
        Provider("ollama", "http://localhost:11434/v1", None),
        Provider("vllm", "http://localhost:8000/v1", None),
        Provider("lmstudio", "http://localhost:1234/v1", None),
        Provider("deepseek", "https://api.deepseek.com", "DEEPSEEK_API_KEY"),
        Provider("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
        Provider("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY"),
        # Azure has no default endpoint: it is per resource.
        Provider("azure_openai", None, "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT"),
    )
}


def get_provider(name: str) -> Provider:
    """The provider called ``name``; ConfigError listing the known ones otherwise."""
    try:
        return PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigError(f"unknown LLM provider {name!r}; use one of: {known}") from None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A resolved base URL and key. ``repr`` hides the key."""

    provider: Provider
    base_url: str | None
    api_key: str

    def __repr__(self) -> str:
        return f"Endpoint(provider={self.provider.name!r}, base_url={self.base_url!r}, api_key='***')"


def resolve_endpoint(provider: str, api_key: str | SecretStr | None, base_url: str | None) -> Endpoint:
    """Apply the precedence: explicit argument, then the environment, then the provider default.

    Raises:
        ConfigError: The provider needs a key, none was found, and the base URL is the provider's
            own (a custom ``base_url`` is usually a local server that accepts any key).
    """
    p = get_provider(provider)
    if isinstance(api_key, SecretStr):  # config.py may hand the key over as a SecretStr
        api_key = api_key.get_secret_value()
    url = base_url or (os.environ.get(p.base_url_env) if p.base_url_env else None) or p.base_url
    key = api_key or (os.environ.get(p.key_env) if p.key_env else None)
    if not key:
        if p.needs_key and (url is None or url == p.base_url):
            raise ConfigError(f"the {p.name} provider needs an API key: pass api_key or set {p.key_env}")
        key = PLACEHOLDER_KEY
    if p.name == "azure_openai" and not url:
        raise ConfigError("the azure_openai provider needs azure_endpoint (or AZURE_OPENAI_ENDPOINT)")
    return Endpoint(p, url, key)


# mem0 spells some settings differently per provider; accept its spellings so configs carry over.
_LLM_ALIASES = {
    "openai_base_url": "base_url",
    "ollama_base_url": "base_url",
    "vllm_base_url": "base_url",
    "lmstudio_base_url": "base_url",
    "deepseek_base_url": "base_url",
    "groq_base_url": "base_url",
    "together_base_url": "base_url",
    "enable_vision": "vision",
}
_EMBEDDER_ALIASES = {
    "openai_base_url": "base_url",
    "ollama_base_url": "base_url",
    "embedding_dims": "dim",
    "dimensions": "dim",
}
LLM_KEYS = frozenset(
    {
        "model", "api_key", "base_url", "temperature", "max_tokens", "top_p", "timeout", "max_retries",
        "vision", "json_mode", "parse_retries", "azure_endpoint", "api_version", "backoff",
    }
)  # fmt: skip
EMBEDDER_KEYS = frozenset(
    {"model", "api_key", "base_url", "dim", "batch_size", "timeout", "max_retries", "azure_endpoint",
     "api_version", "backoff"}
)  # fmt: skip


def llm_kwargs(provider: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a mem0-style ``llm.config`` dict into ``OpenAILLM`` keyword arguments."""
    return _kwargs(provider, config, _LLM_ALIASES, LLM_KEYS, "llm")


def embedder_kwargs(provider: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a mem0-style ``embedder.config`` dict into ``OpenAIEmbedder`` keyword arguments."""
    return _kwargs(provider, config, _EMBEDDER_ALIASES, EMBEDDER_KEYS, "embedder")


def _kwargs(
    provider: str, config: Mapping[str, Any], aliases: Mapping[str, str], allowed: frozenset[str], what: str
) -> dict[str, Any]:
    get_provider(provider)
    out: dict[str, Any] = {"provider": provider}
    flat = dict(config)
    azure = flat.pop("azure_kwargs", None)
    if isinstance(azure, Mapping):  # mem0 nests Azure settings; lift them to the top level
        for key in ("azure_endpoint", "api_version", "api_key"):
            if azure.get(key) is not None:
                flat.setdefault(key, azure[key])
        if azure.get("azure_deployment") and "model" not in flat:
            flat["model"] = azure["azure_deployment"]
    unknown = []
    for key, value in flat.items():
        name = aliases.get(key, key)
        if name not in allowed:
            unknown.append(key)
        elif value is not None:
            out[name] = value
    if unknown:
        raise ConfigError(f"unknown key(s) in {what}.config: {', '.join(sorted(unknown))}")
    return out
