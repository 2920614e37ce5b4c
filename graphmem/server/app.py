"""The graphmem REST server: ``create_app(memory)`` builds it, ``serve(...)`` runs it with uvicorn.

Paths and shapes follow mem0's platform API where it has the operation (``/v1/memories/``,
``/v1/batch/``, ``/v1/entities/``, ``/api/v1/webhooks/...``); responses are the library's own dicts.
Every route but ``/healthz`` needs an API key (``Authorization: Token <key>``) and acts through
the team layer for the key's principal (see :mod:`graphmem.server._deps`). Errors are
``{"error": <GraphMemError class name>, "detail": <message>}`` with the status of
:mod:`graphmem.server._wire`; never a traceback.

The served OpenAPI document is also kept in the repository (``graphmem/server/openapi.json``);
``python -m graphmem.server.app`` rewrites it, and a test checks the two agree.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from graphmem import __version__
from graphmem.errors import ConfigError, GraphMemError
from graphmem.server import routes_admin, routes_memories
from graphmem.server._deps import RateLimited, Services, Unauthenticated
from graphmem.server._wire import error_body, status_of
from graphmem.server.auth import ApiKeys
from graphmem.server.limits import BodyLimitMiddleware, TokenBucket, retry_after_header
from graphmem.server.logs import LOGGER_NAME, AccessLogMiddleware
from graphmem.server.webhooks import Webhooks, WebhookSettings

if TYPE_CHECKING:
    from graphmem.memory import Memory

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
log = logging.getLogger(LOGGER_NAME)


@dataclass
class ServerSettings:
    """Limits and webhook behaviour of one server. ``from_env`` reads ``GRAPHMEM_SERVER_*``."""

    #: Largest accepted request body, in bytes (a batch of 1000 short updates fits).
    max_body_bytes: int = 2 * 1024 * 1024
    #: Largest ``page_size`` of a listing.
    max_page_size: int = 100
    #: Requests per second per API key, and how many may be saved up; 0 disables the limit.
    rate_limit: float = 50.0
    rate_burst: int = 100
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)

    @classmethod
    def from_env(cls, **overrides: Any) -> ServerSettings:
        """Defaults, then ``GRAPHMEM_SERVER_<FIELD>`` variables, then ``overrides`` (not None)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"GRAPHMEM_SERVER_{f.name.upper()}")
            if raw is not None and f.name != "webhooks":
                try:
                    values[f.name] = float(raw) if f.name == "rate_limit" else int(raw)
                except ValueError as e:
                    raise ConfigError(f"GRAPHMEM_SERVER_{f.name.upper()} must be a number") from e
        allow = os.environ.get("GRAPHMEM_SERVER_WEBHOOKS_ALLOW_PRIVATE")
        if allow is not None:
            if allow.strip().lower() not in ("0", "1", "true", "false", "yes", "no"):
                raise ConfigError("GRAPHMEM_SERVER_WEBHOOKS_ALLOW_PRIVATE must be 1 or 0")
            values["webhooks"] = WebhookSettings(allow_private=allow.strip().lower() in ("1", "true", "yes"))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def create_app(
    memory: Memory, settings: ServerSettings | None = None, *, start_webhooks: bool = True
) -> FastAPI:
    """The FastAPI application serving ``memory``.

    Args:
        memory: the Memory to serve; it needs the team layer (``as_actor``, ``projects``).
        settings: limits and webhook behaviour (default: :meth:`ServerSettings.from_env`).
        start_webhooks: run the webhook delivery thread while the app runs (tests may not).
    """
    if not hasattr(memory, "as_actor") or not hasattr(memory, "projects"):
        raise ConfigError("the server needs the team layer: Memory.as_actor and Memory.projects")
    settings = settings or ServerSettings.from_env()
    svc = Services(
        memory=memory, settings=settings, keys=ApiKeys(memory.store),
        webhooks=Webhooks(memory.store, settings.webhooks),
        limiter=TokenBucket(settings.rate_limit, settings.rate_burst),
    )  # fmt: skip

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if start_webhooks:
            svc.webhooks.start()
        try:
            yield
        finally:
            svc.webhooks.stop()

    app = FastAPI(
        title="graphmem", version=__version__, lifespan=lifespan,
        description="Graph memory for AI agents: mem0's platform API plus relations, graph, projects and webhooks.",
    )  # fmt: skip
    app.state.services = svc
    app.include_router(routes_memories.router)
    app.include_router(routes_admin.router)
    _handle_errors(app)
    # Outermost first at run time: the access log sees every answer, the body cap's 413s included.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLogMiddleware)
    return app


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(GraphMemError)
    async def graphmem_error(_: Request, exc: GraphMemError) -> JSONResponse:
        status = status_of(exc)
        if status >= 500:
            log.error("request failed", extra={"error": type(exc).__name__})
        headers = {"Retry-After": "1"} if status == 503 else None
        return JSONResponse(error_body(type(exc).__name__, str(exc)), status_code=status, headers=headers)

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        return JSONResponse(error_body("PermissionDeniedError", str(exc)), status_code=401,
                            headers={"WWW-Authenticate": "Token"})  # fmt: skip

    @app.exception_handler(RateLimited)
    async def rate_limited(_: Request, exc: RateLimited) -> JSONResponse:
        return JSONResponse(error_body("RateLimitError", str(exc)), status_code=429,
                            headers={"Retry-After": retry_after_header(exc.wait)})  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Location and message only: echoing the input back could repeat a large or private body.
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse(error_body("InvalidInputError", detail), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = "MemoryNotFoundError" if exc.status_code == 404 else "HTTPError"
        return JSONResponse(error_body(name, exc.detail), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error", extra={"error": type(exc).__name__, "path": request.url.path})
        return JSONResponse(error_body("InternalServerError", "internal error"), status_code=500)


def openapi_document(app: FastAPI | None = None) -> dict[str, Any]:
    """The OpenAPI document the server serves (built on a throwaway in-memory app if none given)."""
    if app is None:
        app = _spec_app()
    return app.openapi()


def _spec_app() -> FastAPI:
    """An app for its spec only: the routes do not depend on the Memory, so a stand-in will do."""

    class _Stub:
        store: Any = None
        as_actor: Any = None
        projects: Any = None

    return create_app(_Stub(), ServerSettings(), start_webhooks=False)  # type: ignore[arg-type]


def dump_openapi(doc: dict[str, Any]) -> str:
    """The committed form of the spec: sorted keys, two-space indent, final newline."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def serve(memory: Memory, *, host: str = "127.0.0.1", port: int = 8000, settings: ServerSettings | None = None,
          log_level: str = "info", sock: socket.socket | None = None) -> None:  # fmt: skip
    """Run the server until interrupted (blocking), with JSON logs on stderr."""
    import uvicorn

    from graphmem.server.logs import configure_logging

    configure_logging(log_level)
    config = uvicorn.Config(create_app(memory, settings), host=host, port=port, log_config=None,
                            access_log=False, log_level=log_level)  # fmt: skip
    uvicorn.Server(config).run(sockets=[sock] if sock else None)


if __name__ == "__main__":  # pragma: no cover - the maintainer's command to refresh the spec
    OPENAPI_PATH.write_text(dump_openapi(openapi_document()), encoding="utf-8")
    print(f"wrote {OPENAPI_PATH}")
