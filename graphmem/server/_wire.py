"""What the server and the clients agree on: error bodies and the status code of each error.

An error response is ``{"error": "<GraphMemError subclass name>", "detail": "<message>"}``. The
server picks the status from the error's class (the nearest ancestor in :data:`STATUS`); a client
raises the class the body names, so ``MemoryClient`` raises what ``Memory`` would have raised, and
falls back on the status code when the name is unknown (a proxy's 502, say).

This module imports neither FastAPI nor httpx: both sides use it.
"""

from __future__ import annotations

from typing import Any

from graphmem import errors
from graphmem.errors import GraphMemError

#: Error class -> HTTP status. Looked up along the MRO, so subclasses inherit their parent's code.
STATUS: dict[type[GraphMemError], int] = {
    errors.ContentTooLargeError: 413,
    errors.InvalidInputError: 400,
    errors.MemoryNotFoundError: 404,
    errors.ProjectNotFoundError: 404,
    errors.PermissionDeniedError: 403,
    errors.ConstraintViolationError: 409,
    # A feature this server is not configured for (``ask`` without an LLM): the request cannot
    # succeed here as sent, like a payment API's "feature not enabled on this account".
    errors.ConfigError: 400,
    # A package the server needs is not installed: the operator's to fix.
    errors.MissingDependencyError: 501,
    errors.StoreUnavailableError: 503,
    errors.LLMUnavailableError: 503,
    errors.LLMError: 502,
    errors.GraphMemError: 500,
}

#: Status -> the class a client raises when the body does not name a known error.
FALLBACK: dict[int, type[GraphMemError]] = {
    400: errors.InvalidInputError,
    401: errors.PermissionDeniedError,
    403: errors.PermissionDeniedError,
    404: errors.MemoryNotFoundError,
    409: errors.ConstraintViolationError,
    413: errors.ContentTooLargeError,
    422: errors.InvalidInputError,
    429: errors.StoreUnavailableError,
    501: errors.ConfigError,
    502: errors.LLMError,
    503: errors.StoreUnavailableError,
    504: errors.StoreUnavailableError,
}


def status_of(exc: GraphMemError) -> int:
    """The HTTP status for ``exc``: the code of its nearest ancestor in :data:`STATUS`."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_body(name: str, detail: Any) -> dict[str, Any]:
    """The JSON body of every error response."""
    return {"error": name, "detail": detail}


def error_class(name: Any, status: int) -> type[GraphMemError]:
    """The class a client raises for an error response: the named one if graphmem defines it."""
    if isinstance(name, str):
        cls = getattr(errors, name, None)
        if (
            isinstance(cls, type)
            and issubclass(cls, GraphMemError)
            and cls is not errors.MissingDependencyError
        ):
            return cls  # MissingDependencyError takes a package, not a message: use the fallback
    if status in FALLBACK:
        return FALLBACK[status]
    return errors.StoreError if status >= 500 else errors.GraphMemError


def error_from_response(status: int, body: Any, retry_after: float | None = None) -> GraphMemError:
    """The exception for an error response; it carries ``status_code`` (and ``retry_after``)."""
    name = body.get("error") if isinstance(body, dict) else None
    detail = body.get("detail") if isinstance(body, dict) else None
    if detail is None:
        detail = f"HTTP {status}"
    elif not isinstance(detail, str):
        detail = str(detail)
    exc = error_class(name, status)(detail)
    exc.status_code = status  # type: ignore[attr-defined]  # for callers that tell 401 from 403
    exc.retry_after = retry_after  # type: ignore[attr-defined]
    return exc
