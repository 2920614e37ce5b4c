"""The exceptions graphmem raises.

Every error derives from :class:`GraphMemError`, so ``except GraphMemError`` catches everything the
library raises on purpose. Where a builtin fits, it is mixed in so ordinary handlers keep working
(``except KeyError`` still catches a missing memory).

::

    GraphMemError
    ├── InvalidInputError (ValueError)
    │   ├── ScopeRequiredError
    │   ├── EmptyContentError
    │   ├── ContentTooLargeError
    │   ├── InvalidFilterError
    │   ├── InvalidMetadataError
    │   ├── InvalidRelationTypeError
    │   └── ImportFormatError
    ├── ConfigError (ValueError)
    ├── MemoryNotFoundError (KeyError)
    ├── ProjectNotFoundError (KeyError)
    ├── PermissionDeniedError (PermissionError)
    ├── MissingDependencyError (ImportError)
    ├── EmbeddingError
    │   └── DimensionMismatchError
    ├── ExtractionError
    ├── LLMError
    │   └── LLMUnavailableError
    └── StoreError
        ├── StoreUnavailableError   (worth retrying)
        ├── StoreAuthError
        └── ConstraintViolationError
"""

from __future__ import annotations


class GraphMemError(Exception):
    """Base class of every error graphmem raises."""


class InvalidInputError(GraphMemError, ValueError):
    """The arguments of a call are not acceptable; nothing was written."""


class ScopeRequiredError(InvalidInputError):
    """None of ``user_id``, ``agent_id`` or ``run_id`` was given (or one was empty)."""


class EmptyContentError(InvalidInputError):
    """A message had no text, or only whitespace."""


class ContentTooLargeError(InvalidInputError):
    """A message, a batch or a metadata object is over the configured limit."""


class InvalidFilterError(InvalidInputError):
    """A ``filters`` expression could not be understood."""


class InvalidMetadataError(InvalidInputError):
    """Metadata is not a JSON object of JSON values."""


class InvalidRelationTypeError(InvalidInputError):
    """A relation type does not match the allow-list pattern ``^[A-Z][A-Z0-9_]{0,63}$``."""


class ImportFormatError(InvalidInputError):
    """An export file is not one ``import_`` can take: wrong format or version, a line that does
    not parse, a checksum that does not match (corrupted or truncated), or a reference to a
    record the file does not hold. Nothing was written."""


class ConfigError(GraphMemError, ValueError):
    """A configuration is malformed: unknown keys, wrong types or an unknown provider."""


class MemoryNotFoundError(GraphMemError, KeyError):
    """No memory has the given id."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "memory not found"


class ProjectNotFoundError(GraphMemError, KeyError):
    """The ``run_id`` is not a project (it has no members)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "project not found"


class PermissionDeniedError(GraphMemError, PermissionError):
    """The acting principal's role does not allow the operation; nothing was changed."""


class MissingDependencyError(GraphMemError, ImportError):
    """An optional dependency is not installed. The message is the pip command that installs it."""

    def __init__(self, package: str, extra: str | None = None) -> None:
        self.package = package
        self.extra = extra
        command = f"pip install 'graphmem[{extra}]'" if extra else f"pip install {package}"
        super().__init__(f"{package} is not installed; install it with: {command}")


class EmbeddingError(GraphMemError):
    """The embedder failed or returned unusable vectors (NaN, infinite, wrong count)."""


class DimensionMismatchError(EmbeddingError):
    """The embedder's dimension differs from the one the store was created with."""


class ExtractionError(GraphMemError):
    """Entity, relation or fact extraction failed; nothing was written."""


class LLMError(GraphMemError):
    """The LLM answered with an error that retrying did not fix."""


class LLMUnavailableError(LLMError):
    """The configured LLM could not be reached (connection refused, timeout, repeated 5xx)."""


class StoreError(GraphMemError):
    """The store failed in a way that is not the caller's input."""


class StoreUnavailableError(StoreError):
    """The store cannot be reached right now; the call may be retried."""


class StoreAuthError(StoreError):
    """The store rejected the credentials."""


class ConstraintViolationError(StoreError):
    """A write broke a uniqueness constraint of the store."""
