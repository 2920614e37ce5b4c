"""Awaitable views of the team objects for :class:`~graphmem.async_memory.AsyncMemory`.

``AsyncMemory`` runs each synchronous call in a worker thread; :class:`AsyncProxy` does the
same for every method of an :class:`ActingMemory`, :class:`Projects`, :class:`Tasks` or
:class:`Meetings`, so ``await amem.as_actor("Bob").tasks.list("landing-page")`` works as the
synchronous call does, with the same arguments, results and errors.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from graphmem.collab.acting import ActingMemory
from graphmem.collab.meetings import Meetings
from graphmem.collab.roles import Projects
from graphmem.collab.tasks import Tasks

_WRAPPED = (ActingMemory, Projects, Tasks, Meetings)


class AsyncProxy:
    """Every method of ``target``, awaitable; team objects it hands out are proxied too."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __repr__(self) -> str:
        return f"AsyncProxy({self._target!r})"

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if isinstance(attr, _WRAPPED):
            return AsyncProxy(attr)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(attr, *args, **kwargs)

        return call
