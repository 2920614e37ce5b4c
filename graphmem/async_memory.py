"""``AsyncMemory``: the same API as :class:`Memory`, awaitable.

Each call runs the synchronous method in a worker thread (``asyncio.to_thread``): the stores'
drivers and the embedding model are blocking, and the write lock inside ``Memory`` keeps
concurrent adds consistent.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from graphmem.config import MemoryConfig
from graphmem.memory import Memory

if TYPE_CHECKING:
    import networkx as nx


class AsyncMemory:
    """Awaitable graph memory; see :class:`Memory` for every method's arguments and results."""

    def __init__(self, config: MemoryConfig | dict[str, Any] | None = None, **components: Any) -> None:
        self.sync = Memory(config, **components)

    @classmethod
    async def from_config(cls, config_dict: dict[str, Any]) -> AsyncMemory:
        return await asyncio.to_thread(lambda: cls(MemoryConfig.from_dict(config_dict)))

    async def add(self, messages: Any, **kwargs: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.add, messages, **kwargs)

    async def search(self, query: str, **kwargs: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.search, query, **kwargs)

    async def get(self, memory_id: str) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.get, memory_id)

    async def get_all(self, **kwargs: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.get_all, **kwargs)

    async def update(
        self, memory_id: str, data: str, metadata: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.update, memory_id, data, metadata)

    async def delete(self, memory_id: str) -> dict[str, str]:
        return await asyncio.to_thread(self.sync.delete, memory_id)

    async def delete_all(self, **kwargs: Any) -> dict[str, str]:
        return await asyncio.to_thread(self.sync.delete_all, **kwargs)

    async def history(self, memory_id: str) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.sync.history, memory_id)

    async def reset(self) -> None:
        await asyncio.to_thread(self.sync.reset)

    async def relations(self, **kwargs: Any) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.sync.relations, **kwargs)

    async def ask(self, question: str, **kwargs: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.ask, question, **kwargs)

    async def context(self, query: str, **kwargs: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.context, query, **kwargs)

    async def who_works_with(self, entity: str, **kwargs: Any) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.sync.who_works_with, entity, **kwargs)

    async def graph(self, **kwargs: Any) -> nx.MultiDiGraph:
        return await asyncio.to_thread(self.sync.graph, **kwargs)

    # ---- the team layer: awaitable twins of Memory's (see graphmem.collab) ----------------------
    @property
    def projects(self) -> Any:
        """``Memory.projects`` with awaitable methods."""
        from graphmem.collab._async import AsyncProxy

        return AsyncProxy(self.sync.projects)

    @property
    def tasks(self) -> Any:
        """``Memory.tasks`` with awaitable methods."""
        from graphmem.collab._async import AsyncProxy

        return AsyncProxy(self.sync.tasks)

    @property
    def meetings(self) -> Any:
        """``Memory.meetings`` with awaitable methods."""
        from graphmem.collab._async import AsyncProxy

        return AsyncProxy(self.sync.meetings)

    def as_actor(self, principal: str) -> Any:
        """``Memory.as_actor`` whose methods (and projects, tasks, meetings) are awaitable."""
        from graphmem.collab._async import AsyncProxy

        return AsyncProxy(self.sync.as_actor(principal))

    async def timeline(self, **kwargs: Any) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.sync.timeline, **kwargs)

    async def memories_by_actor(self, **kwargs: Any) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.sync.memories_by_actor, **kwargs)

    async def contributions(self, **kwargs: Any) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.sync.contributions, **kwargs)

    async def summary(self, **kwargs: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.summary, **kwargs)

    async def export(self, target: Any, **kwargs: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.export, target, **kwargs)

    async def import_(self, source: Any, **kwargs: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.import_, source, **kwargs)

    async def health(self, **kwargs: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.health, **kwargs)

    async def flush(self) -> None:
        await asyncio.to_thread(self.sync.flush)

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)

    async def __aenter__(self) -> AsyncMemory:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
