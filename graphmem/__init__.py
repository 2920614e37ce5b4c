"""graphmem: graph memory for AI agents behind the mem0 ``Memory`` API.

``import graphmem`` is light: stores, models and clients are imported when first used.
"""

from __future__ import annotations

from graphmem.async_memory import AsyncMemory
from graphmem.collab import ActingMemory
from graphmem.config import MemoryConfig
from graphmem.errors import (
    ConfigError,
    ConstraintViolationError,
    ContentTooLargeError,
    DimensionMismatchError,
    EmbeddingError,
    EmptyContentError,
    ExtractionError,
    GraphMemError,
    ImportFormatError,
    InvalidFilterError,
    InvalidInputError,
    InvalidMetadataError,
    InvalidRelationTypeError,
    LLMError,
    LLMUnavailableError,
    MemoryNotFoundError,
    MissingDependencyError,
    PermissionDeniedError,
    ProjectNotFoundError,
    ScopeRequiredError,
    StoreAuthError,
    StoreError,
    StoreUnavailableError,
)
from graphmem.memory import Memory

__version__ = "0.1.0"

__all__ = [
    "ActingMemory",
    "AsyncMemory",
    "ConfigError",
    "ConstraintViolationError",
    "ContentTooLargeError",
    "DimensionMismatchError",
    "EmbeddingError",
    "EmptyContentError",
    "ExtractionError",
    "GraphMemError",
    "ImportFormatError",
    "InvalidFilterError",
    "InvalidInputError",
    "InvalidMetadataError",
    "InvalidRelationTypeError",
    "LLMError",
    "LLMUnavailableError",
    "Memory",
    "MemoryConfig",
    "MemoryNotFoundError",
    "MissingDependencyError",
    "PermissionDeniedError",
    "ProjectNotFoundError",
    "ScopeRequiredError",
    "StoreAuthError",
    "StoreError",
    "StoreUnavailableError",
    "__version__",
]


def __getattr__(name: str) -> object:
    # The HTTP clients need httpx (the `server` extra): imported on first use, so `import
    # graphmem` stays light and works without it.
    if name in ("MemoryClient", "AsyncMemoryClient"):
        from graphmem.server import client

        return getattr(client, name)
    raise AttributeError(f"module 'graphmem' has no attribute {name!r}")
