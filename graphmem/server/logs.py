"""Structured logs: one JSON object per line, and one access record per request.

No secret reaches a log: the access record names the key by its id and the principal, never the
``Authorization`` header; paths are logged without their query string; webhook secrets and
signatures are never passed to a logger. A test scans everything logged during a session of
requests for the API keys it used.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from typing import Any

from graphmem.server.limits import ASGIApp, Message, Receive, Scope, Send

LOGGER_NAME = "graphmem.server"
ACCESS_LOGGER_NAME = "graphmem.server.access"

#: LogRecord attributes that are the record's own machinery, not fields a caller passed in.
_RESERVED = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's copy of the message with terminal colour codes
}


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", ...extra fields}``; exceptions as their type and message."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            # the type and message only: a formatted traceback can quote request data
            exc = record.exc_info[1]
            out["exc_type"] = type(exc).__name__
            out["exc"] = str(exc)[:500]
        return json.dumps(out, default=str, ensure_ascii=False)


JsonFormatter.converter = time.gmtime  # timestamps in UTC, as the data model's are


def configure_logging(level: str = "info", stream: Any = None) -> logging.Handler:
    """Route graphmem's and uvicorn's loggers to one JSON handler (idempotent per stream).

    Returns:
        The handler, so a caller (a test) can remove it.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in (LOGGER_NAME, "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [h for h in logger.handlers if not getattr(h, "_graphmem", False)]
        handler._graphmem = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(level.upper())
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # ours replaces it: uvicorn's logs query strings
    return handler


class AccessLogMiddleware:
    """Log one record per request: method, path, status, duration, principal and key id.

    The auth dependency fills ``scope["state"]["principal"]`` / ``["key_id"]``; a request id is
    taken from ``X-Request-ID`` when it is short and printable, else made, and echoed back.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger(ACCESS_LOGGER_NAME)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if 0 < len(given) <= 64 and given.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            state = scope.get("state") or {}
            self.log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "path": scope.get("path"),  # never the query string
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    "principal": state.get("principal"),
                    "key_id": state.get("key_id"),
                },
            )
