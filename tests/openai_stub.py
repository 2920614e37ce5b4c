"""A scripted OpenAI-compatible server for tests: no network, no key, no model.

The server listens on 127.0.0.1 on a free port and answers ``POST .../chat/completions`` and
``POST .../embeddings`` (OpenAI and Azure paths alike) from per-endpoint queues of scripted
replies, recording every request for assertions. Tests drive the real ``openai`` client against
it, so retries, timeouts and error mapping are exercised the way production meets them.

    def test_something(openai_stub: OpenAIStub) -> None:
        openai_stub.reply_json({"facts": []})
        openai_stub.reply_error(429, "slow down", headers={"Retry-After": "0.2"})
        llm = OpenAILLM("gpt-4o-mini", api_key="sk-test", base_url=openai_stub.base_url)

A reply may be a :class:`Reply` or a callable taking the :class:`StubRequest` and returning one
(for end-to-end tests that route on the prompt). When the chat queue is empty the server answers
400 naming the problem, so an unscripted call fails loudly; the embeddings endpoint then answers
deterministic vectors (``dimensions`` from the request, else ``embedding_dim``).

Test infrastructure only: nothing under ``graphmem/`` imports it.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

Endpoint = str  # "chat" or "embeddings"


@dataclass
class StubRequest:
    """One request the server received."""

    endpoint: Endpoint
    path: str
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic() on arrival


@dataclass
class Reply:
    """One scripted answer. ``body`` is JSON-encoded unless it is ``str`` or ``bytes``."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (slow answers, timeouts)


Responder = Reply | Callable[[StubRequest], Reply]


def chat_completion(
    content: str, *, model: str = "stub-model", prompt_tokens: int = 11, completion_tokens: int = 7,
    finish_reason: str = "stop",
) -> dict[str, Any]:  # fmt: skip
    """An OpenAI ``chat.completion`` object answering ``content``."""
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def fake_vector(text: str, dim: int) -> list[float]:
    """A deterministic unit vector for ``text``."""
    seed = hashlib.sha256(text.encode()).digest()
    raw = [((seed[i % len(seed)] + i * 31) % 251) / 251.0 - 0.5 for i in range(dim)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


class OpenAIStub:
    """The server and its script (see the module docstring)."""

    def __init__(self, embedding_dim: int = 8) -> None:
        self.embedding_dim = embedding_dim
        self.requests: list[StubRequest] = []
        self._queues: dict[Endpoint, deque[Responder]] = {"chat": deque(), "embeddings": deque()}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False  # a slow reply still sleeping must not block teardown
        # a short poll interval: shutdown() waits up to one interval, on every test's teardown
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="openai-stub", daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> OpenAIStub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scripting -------------------------------------------------------------------------

    def enqueue(self, endpoint: Endpoint, reply: Responder) -> None:
        with self._lock:
            self._queues[endpoint].append(reply)

    def reply_text(self, content: str, *, delay: float = 0.0, **usage: Any) -> None:
        """A chat answer whose message content is ``content`` as it is (malformed JSON too)."""
        self.enqueue("chat", Reply(body=chat_completion(content, **usage), delay=delay))

    def reply_json(self, obj: Any, *, delay: float = 0.0, **usage: Any) -> None:
        """A chat answer whose message content is ``obj`` as JSON."""
        self.reply_text(json.dumps(obj), delay=delay, **usage)

    def reply_error(
        self, status: int, message: str = "error", *, headers: dict[str, str] | None = None,
        endpoint: Endpoint = "chat", delay: float = 0.0,
    ) -> None:  # fmt: skip
        """An OpenAI-shaped error answer."""
        body = {"error": {"message": message, "type": "stub_error", "param": None, "code": None}}
        self.enqueue(endpoint, Reply(status=status, body=body, headers=dict(headers or {}), delay=delay))

    def reply_embeddings(self, vectors: list[list[float]], *, prompt_tokens: int = 5) -> None:
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        body = {"object": "list", "data": data, "model": "stub-embedding",
                "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}}  # fmt: skip
        self.enqueue("embeddings", Reply(body=body))

    # -- assertions ------------------------------------------------------------------------

    def requests_to(self, endpoint: Endpoint) -> list[StubRequest]:
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    @property
    def chat_requests(self) -> list[StubRequest]:
        return self.requests_to("chat")

    @property
    def embedding_requests(self) -> list[StubRequest]:
        return self.requests_to("embeddings")

    def pending(self, endpoint: Endpoint = "chat") -> int:
        """Scripted replies not yet served."""
        with self._lock:
            return len(self._queues[endpoint])

    # -- serving ---------------------------------------------------------------------------

    def _next_reply(self, req: StubRequest) -> Reply:
        with self._lock:
            self.requests.append(req)
            queue = self._queues[req.endpoint]
            responder = queue.popleft() if queue else None
        if responder is None:
            return self._default_reply(req)
        return responder(req) if callable(responder) else responder

    def _default_reply(self, req: StubRequest) -> Reply:
        if req.endpoint == "embeddings" and isinstance(req.body, dict):
            inputs = req.body.get("input")
            texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
            dim = int(req.body.get("dimensions") or self.embedding_dim)
            data = [{"object": "embedding", "index": i, "embedding": fake_vector(str(t), dim)}
                    for i, t in enumerate(texts)]  # fmt: skip
            usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
            return Reply(body={"object": "list", "data": data, "model": "stub-embedding", "usage": usage})
        message = f"openai_stub: no scripted reply left for {req.path}"
        return Reply(status=400, body={"error": {"message": message, "type": "stub_error"}})


def _handler_for(stub: OpenAIStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the openai client expects

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body: Any = json.loads(raw or b"null")
            except ValueError:
                body = raw.decode("utf-8", "replace")
            if path.endswith("/chat/completions"):
                endpoint = "chat"
            elif path.endswith("/embeddings"):
                endpoint = "embeddings"
            else:
                self._send(Reply(status=404, body={"error": {"message": f"no route {path}"}}))
                return
            req = StubRequest(endpoint, path, {k.lower(): v for k, v in self.headers.items()}, body,
                              time.monotonic())  # fmt: skip
            reply = stub._next_reply(req)
            if reply.delay:
                time.sleep(reply.delay)
            self._send(reply)

        def _send(self, reply: Reply) -> None:
            if isinstance(reply.body, bytes):
                payload = reply.body
            elif isinstance(reply.body, str):
                payload = reply.body.encode()
            else:
                payload = json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


@pytest.fixture
def openai_stub() -> Iterator[OpenAIStub]:
    """A fresh scripted server per test."""
    with OpenAIStub() as stub:
        yield stub
