"""``MemoryClient`` and ``AsyncMemoryClient``: the ``Memory`` API over HTTP, with mem0's client names.

Results are what ``Memory`` returns, and failures raise what ``Memory`` raises: the server names
the error class in its answer, and the client raises that class (falling back on the status
code: 401/403 ``PermissionDeniedError``, 404 ``MemoryNotFoundError``, 400/422
``InvalidInputError``, 503 ``StoreUnavailableError``). The raised error carries ``status_code``.
A server that cannot be reached raises ``StoreUnavailableError``; a 429 is retried after its
``Retry-After`` up to ``max_retries`` times.

Example:
    >>> client = MemoryClient(api_key="gm_...", host="http://127.0.0.1:8000")  # doctest: +SKIP
    >>> client.add("I'll take the hero section copy.", run_id="landing-page")  # doctest: +SKIP
    >>> client.search("who does the hero copy?", run_id="landing-page")["results"]  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from graphmem import __version__
from graphmem.errors import (
    ConfigError,
    InvalidInputError,
    MissingDependencyError,
    PermissionDeniedError,
    StoreUnavailableError,
)
from graphmem.server._calls import Call, Calls
from graphmem.server._wire import error_from_response

try:
    import httpx
except ImportError as e:  # pragma: no cover - depends on the environment
    raise MissingDependencyError("httpx", extra="server") from e

DEFAULT_HOST = "http://127.0.0.1:8000"
#: The most memories ``get_all`` returns, as ``Memory.get_all`` (a listing reaches the newest 10,000).
LISTING_MAX = 10_000
#: Longest wait a 429's Retry-After may impose on one retry.
_MAX_RETRY_WAIT = 30.0


def _configure(api_key: str | None, host: str | None) -> tuple[str, str]:
    """The key and base URL: arguments first, then ``GRAPHMEM_API_KEY`` / ``GRAPHMEM_HOST``."""
    key = api_key or os.environ.get("GRAPHMEM_API_KEY")
    if not key:
        raise ConfigError(
            "no API key: pass api_key= or set GRAPHMEM_API_KEY (create one with `graphmem keys create`)"
        )
    base = (host or os.environ.get("GRAPHMEM_HOST") or DEFAULT_HOST).rstrip("/")
    return key, base


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Token {key}", "User-Agent": f"graphmem-client/{__version__}"}


def _retry_wait(response: httpx.Response) -> float:
    try:
        return min(_MAX_RETRY_WAIT, max(0.0, float(response.headers.get("Retry-After", "1"))))
    except ValueError:
        return 1.0


def _answer(call: Call, response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = None
        wait = _retry_wait(response) if "Retry-After" in response.headers else None
        raise error_from_response(response.status_code, body, wait)
    if call.text:
        return response.text
    data = response.json()
    return call.shape(data) if call.shape else data


def _unreachable(host: str, e: Exception) -> StoreUnavailableError:
    return StoreUnavailableError(f"cannot reach the graphmem server at {host}: {type(e).__name__}")


def _scope(user_id: str | None, agent_id: str | None, run_id: str | None) -> dict[str, Any]:
    return {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}


def _runs_to_delete(entities: dict[str, Any], projects: dict[str, Any]) -> list[str]:
    """Every run of ``users()`` for ``delete_users()`` with no argument; all must be the caller's to delete."""
    runs = [e["name"] for e in entities["results"] if e["type"] == "run"]
    if not runs:
        raise InvalidInputError("no entities to delete")
    roles = {p["project_id"]: p["role"] for p in projects["results"]}
    refused = [r for r in runs if roles.get(r) != "admin"]
    if refused:  # checked before anything is deleted
        raise PermissionDeniedError(
            f"deleting every entity needs the admin role in {', '.join(map(repr, refused))}"
        )
    return runs


def _write(text: str, path: str | Path | None) -> str:
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


class MemoryClient(Calls[Any]):
    """The graphmem server's API, synchronously (httpx).

    Args:
        api_key: the key (``graphmem keys create``); default ``GRAPHMEM_API_KEY``.
        host: the server's base URL; default ``GRAPHMEM_HOST`` or ``http://127.0.0.1:8000``.
        timeout: seconds per request (an ``add`` with an LLM can take a while).
        max_retries: how many times a 429 answer is retried after its ``Retry-After``.
        client: an ``httpx.Client`` to use instead of a new one (its base URL and headers are set).

    Raises:
        ConfigError: no API key was given or found in the environment.
    """

    def __init__(self, api_key: str | None = None, host: str | None = None, *, timeout: float = 120.0,
                 max_retries: int = 3, client: httpx.Client | None = None) -> None:  # fmt: skip
        key, self.host = _configure(api_key, host)
        self.max_retries = max_retries
        self._http = client or httpx.Client(timeout=timeout)
        self._http.base_url = httpx.URL(self.host)
        self._http.headers.update(_headers(key))

    def __repr__(self) -> str:  # never the key
        return f"MemoryClient(host={self.host!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MemoryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, call: Call) -> Any:
        for attempt in range(self.max_retries + 1):
            try:
                response = self._http.request(call.method, call.path, params=call.params, json=call.json)
            except httpx.HTTPError as e:
                raise _unreachable(self.host, e) from e
            if response.status_code == 429 and attempt < self.max_retries:
                time.sleep(_retry_wait(response))
                continue
            return _answer(call, response)
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises

    def get_all(self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
                filters: dict[str, Any] | None = None, limit: int = 100, page: int | None = None,
                page_size: int | None = None) -> dict[str, Any]:  # fmt: skip
        """Memories in scope, newest first, and the current relations: ``Memory.get_all``'s result.

        With ``page`` or ``page_size``, one page as the server pages it instead
        (``{"count", "next", "previous", "results"}``).
        """
        scope = _scope(user_id, agent_id, run_id)
        if page is not None or page_size is not None:
            out: dict[str, Any] = self.get_page(
                **scope, filters=filters, page=page or 1, page_size=page_size or 100
            )
            return out
        limit = min(limit, LISTING_MAX)
        results: list[dict[str, Any]] = []
        number = 1
        while len(results) < limit:
            answer = self.get_page(**scope, filters=filters, page=number, page_size=min(100, limit))
            results.extend(answer["results"])
            if not answer["next"]:
                break
            number += 1
        return {"results": results[:limit], "relations": self.relations(**scope, limit=limit)}

    def delete_users(
        self, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> dict[str, str]:
        """Delete a user's, an agent's (within ``run_id`` if given) or a run's memories; with no
        argument, every run of the caller's projects (the caller must be admin of each)."""
        if user_id or agent_id:
            self._delete_entity("user" if user_id else "agent", str(user_id or agent_id), run_id)
        elif run_id:
            self._delete_entity("run", run_id)
        else:
            for run in _runs_to_delete(self.users(), self.projects()):
                self._delete_entity("run", run)
            return {"message": "All users, agents and runs deleted."}
        return {"message": "Entity deleted successfully."}

    def export(self, *, run_id: str | None = None, user_id: str | None = None, agent_id: str | None = None,
               path: str | Path | None = None) -> str:  # fmt: skip
        """The scope as graphmem's export JSONL (``graphmem import`` restores it); written to ``path`` if given."""
        text: str = self._export(_scope(user_id, agent_id, run_id))
        return _write(text, path)


class AsyncMemoryClient(Calls[Awaitable[Any]]):
    """The graphmem server's API for asyncio (httpx); the same methods as :class:`MemoryClient`, awaited."""

    def __init__(self, api_key: str | None = None, host: str | None = None, *, timeout: float = 120.0,
                 max_retries: int = 3, client: httpx.AsyncClient | None = None) -> None:  # fmt: skip
        key, self.host = _configure(api_key, host)
        self.max_retries = max_retries
        self._http = client or httpx.AsyncClient(timeout=timeout)
        self._http.base_url = httpx.URL(self.host)
        self._http.headers.update(_headers(key))

    def __repr__(self) -> str:
        return f"AsyncMemoryClient(host={self.host!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncMemoryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _send(self, call: Call) -> Any:
        for attempt in range(self.max_retries + 1):
            try:
                response = await self._http.request(
                    call.method, call.path, params=call.params, json=call.json
                )
            except httpx.HTTPError as e:
                raise _unreachable(self.host, e) from e
            if response.status_code == 429 and attempt < self.max_retries:
                await asyncio.sleep(_retry_wait(response))
                continue
            return _answer(call, response)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_all(self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
                      filters: dict[str, Any] | None = None, limit: int = 100, page: int | None = None,
                      page_size: int | None = None) -> dict[str, Any]:  # fmt: skip
        """See :meth:`MemoryClient.get_all`."""
        scope = _scope(user_id, agent_id, run_id)
        if page is not None or page_size is not None:
            out: dict[str, Any] = await self.get_page(
                **scope, filters=filters, page=page or 1, page_size=page_size or 100
            )
            return out
        limit = min(limit, LISTING_MAX)
        results: list[dict[str, Any]] = []
        number = 1
        while len(results) < limit:
            answer = await self.get_page(**scope, filters=filters, page=number, page_size=min(100, limit))
            results.extend(answer["results"])
            if not answer["next"]:
                break
            number += 1
        return {"results": results[:limit], "relations": await self.relations(**scope, limit=limit)}

    async def delete_users(self, user_id: str | None = None, agent_id: str | None = None,
                           run_id: str | None = None) -> dict[str, str]:  # fmt: skip
        """See :meth:`MemoryClient.delete_users`."""
        if user_id or agent_id:
            await self._delete_entity("user" if user_id else "agent", str(user_id or agent_id), run_id)
        elif run_id:
            await self._delete_entity("run", run_id)
        else:
            for run in _runs_to_delete(await self.users(), await self.projects()):
                await self._delete_entity("run", run)
            return {"message": "All users, agents and runs deleted."}
        return {"message": "Entity deleted successfully."}

    async def export(self, *, run_id: str | None = None, user_id: str | None = None, agent_id: str | None = None,
                     path: str | Path | None = None) -> str:  # fmt: skip
        """See :meth:`MemoryClient.export`."""
        text: str = await self._export(_scope(user_id, agent_id, run_id))
        return _write(text, path)
