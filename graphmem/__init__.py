"""graphmem: graph memory for AI agents behind the mem0 ``Memory`` API.

``import graphmem`` is light: stores, models and clients are imported when first used.
"""

from __future__ import annotations

from graphmem.async_memory import AsyncMemory
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
    InvalidFilterError,
    InvalidInputError,
    InvalidMetadataError,
    InvalidRelationTypeError,
    LLMError,
    LLMUnavailableError,
    MemoryNotFoundError,
    MissingDependencyError,
    PermissionDeniedError,
    ScopeRequiredError,
    StoreAuthError,
    StoreError,
    StoreUnavailableError,
)
from graphmem.memory import Memory

__version__ = "0.1.0"

__all__ = [
    "AsyncMemory",
    "ConfigError",
    "ConstraintViolationError",
    "ContentTooLargeError",
    "DimensionMismatchError",
    "EmbeddingError",
    "EmptyContentError",
    "ExtractionError",
    "GraphMemError",
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
    "ScopeRequiredError",
    "StoreAuthError",
    "StoreError",
    "StoreUnavailableError",
    "__version__",
]
