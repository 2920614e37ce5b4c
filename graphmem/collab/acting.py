"""``ActingMemory``: a :class:`~graphmem.memory.Memory` that acts for one principal and enforces roles.

Rules (the principal is ``p``; the scope or memory a call touches decides the role, see
:class:`~graphmem.collab.roles.Access`):

* **In a project** (the ``run_id`` has members): ``viewer`` reads; ``member`` also adds, and
  updates or deletes memories whose ``actor_id`` is ``p``; ``admin`` does everything, including
  deleting others' memories, ``delete_all`` on the run and changing roles. Non-members do nothing.
* **Outside projects** (no ``run_id``, or a ``run_id`` that is not a project): only ``p``'s own
  memory, where ``user_id`` is ``p`` (or, with no ``user_id``, ``agent_id`` is ``p``). There ``p``
  may do everything, as the admin of their own memory. Any other scope is denied.
* **Names**: messages without a ``name`` get ``name=p``; a message under someone else's name
  needs admin (in one's own memory, ``p`` is the admin, so a transcript with others is fine).
* ``reset`` and ``import_`` are operator actions: always denied.
* ``ask`` reads; with ``store_answer=True`` (the default) it also adds, so it needs member.

A violation raises :class:`~graphmem.errors.PermissionDeniedError` before anything is written.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from graphmem.collab.meetings import Meetings
from graphmem.collab.roles import Access, Projects
from graphmem.collab.tasks import Tasks
from graphmem.errors import PermissionDeniedError
from graphmem.models import Scope

if TYPE_CHECKING:
    import networkx as nx

    from graphmem.context import TokenCounter
    from graphmem.memory import Memory


class ActingMemory:
    """The :class:`~graphmem.memory.Memory` API on behalf of ``principal``, with roles enforced.

    Built with ``memory.as_actor("Bob")``. Method names, arguments and results are Memory's.

    Example:
        >>> bob = m.as_actor("Bob")  # doctest: +SKIP
        >>> bob.add("I'll take the hero copy.", run_id="landing-page")  # doctest: +SKIP
        >>> bob.delete(alice_memory_id)  # doctest: +SKIP
        Traceback (most recent call last):
        PermissionDeniedError: 'Bob' may delete only their own memories; ...
    """

    def __init__(self, memory: Memory, principal: str) -> None:
        from graphmem.collab.roles import check_principal

        self.memory = memory
        self.principal = check_principal(memory, principal)
        self._access = Access(memory, self.principal)

    def __repr__(self) -> str:
        return f"ActingMemory(principal={self.principal!r}, memory={self.memory!r})"

    # ---- team objects ----------------------------------------------------------------------
    @property
    def projects(self) -> Projects:
        """Membership, checked: changing members needs admin; reading them needs membership."""
        return Projects(self.memory, actor=self.principal)

    @property
    def tasks(self) -> Tasks:
        return Tasks(self.memory, actor=self.principal)

    @property
    def meetings(self) -> Meetings:
        return Meetings(self.memory, actor=self.principal)

    # ---- helpers ---------------------------------------------------------------------------
    def _scope(self, user_id: Any, agent_id: Any, run_id: Any, filters: Any = None) -> tuple[Scope, Any]:
        return self.memory._scope(user_id, agent_id, run_id, filters)

    def _read(self, user_id: Any, agent_id: Any, run_id: Any, action: str) -> None:
        scope, _ = self._scope(user_id, agent_id, run_id)
        self._access.require(scope, "viewer", action)

    def _attribute(self, messages: Any, admin: bool) -> Any:
        """Messages with ``name`` set to the principal where missing; others' names need admin."""

        def one(msg: Any) -> Any:
            if isinstance(msg, str):
                return {"role": "user", "content": msg, "name": self.principal}
            if not isinstance(msg, dict):
                return msg  # Memory.add rejects it with the usual error
            name = msg.get("name")
            if name is None:
                return {**msg, "name": self.principal}
            if name != self.principal and not admin:
                raise PermissionDeniedError(
                    f"{self.principal!r} may not add messages as {name!r}; that needs admin"
                )
            return msg

        return [one(m) for m in messages] if isinstance(messages, list) else one(messages)

    # ---- writes ----------------------------------------------------------------------------
    def add(
        self,
        messages: Any,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        infer: bool = True,
        memory_type: str | None = None,
        prompt: str | None = None,
        timestamp: datetime | str | float | None = None,
    ) -> dict[str, Any]:
        """:meth:`Memory.add <graphmem.memory.Memory.add>`; needs member (names: see the module)."""
        scope, _ = self._scope(user_id, agent_id, run_id)
        # Checked and written under the write lock, so a role change cannot land in between.
        with self.memory._write_lock:
            role = self._access.require(scope, "member", "adding")
            return self.memory.add(
                self._attribute(messages, role == "admin"), user_id=user_id, agent_id=agent_id, run_id=run_id,
                metadata=metadata, infer=infer, memory_type=memory_type, prompt=prompt, timestamp=timestamp,
            )  # fmt: skip

    def update(self, memory_id: str, data: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """:meth:`Memory.update <graphmem.memory.Memory.update>`; one's own memory as member, any as admin."""
        with self.memory._write_lock:
            self._access.require_record(self.memory._get_record(memory_id), "update", write=True)
            return self.memory.update(memory_id, data, metadata)

    def delete(self, memory_id: str) -> dict[str, str]:
        """:meth:`Memory.delete <graphmem.memory.Memory.delete>`; one's own memory as member, any as admin."""
        with self.memory._write_lock:
            self._access.require_record(self.memory._get_record(memory_id), "delete", write=True)
            return self.memory.delete(memory_id)

    def delete_all(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> dict[str, str]:
        """:meth:`Memory.delete_all <graphmem.memory.Memory.delete_all>`; needs admin on the scope.

        In one's own memory without a ``run_id``, the scope also covers project runs where the
        memories carry the principal's ``user_id``: each of those projects needs admin too.
        """
        scope, _ = self._scope(user_id, agent_id, run_id)
        with self.memory._write_lock:
            self._access.require(scope, "admin", "delete_all")
            if scope.run_id is None:
                runs = {m.run_id for m in self.memory.store.list_memories(scope, limit=None) if m.run_id}
                for run in sorted(runs):
                    self._access.require(Scope(scope.user_id, scope.agent_id, run), "admin", "delete_all")
            return self.memory.delete_all(user_id=user_id, agent_id=agent_id, run_id=run_id)

    def reset(self) -> None:
        """Always denied: deleting the whole store is an operator action."""
        raise PermissionDeniedError(
            f"{self.principal!r} may not reset the store; use a Memory without a principal"
        )

    # ---- reads -----------------------------------------------------------------------------
    def get(self, memory_id: str) -> dict[str, Any]:
        """:meth:`Memory.get <graphmem.memory.Memory.get>`; needs a role on the memory's scope."""
        record = self.memory._get_record(memory_id)
        self._access.require_record(record, "read", write=False)
        return dict(record.to_dict())

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: dict[str, Any] | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        """:meth:`Memory.get_all <graphmem.memory.Memory.get_all>`; needs viewer."""
        scope, _ = self._scope(user_id, agent_id, run_id, filters)
        self._access.require(scope, "viewer", "reading")
        return self.memory.get_all(
            user_id=user_id, agent_id=agent_id, run_id=run_id, filters=filters, limit=limit
        )

    def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
        filters: dict[str, Any] | None = None,
        threshold: float | None = None,
        top_k: int | None = None,
    ) -> dict[str, Any]:
        """:meth:`Memory.search <graphmem.memory.Memory.search>`; needs viewer."""
        scope, _ = self._scope(user_id, agent_id, run_id, filters)
        self._access.require(scope, "viewer", "searching")
        return self.memory.search(query, user_id=user_id, agent_id=agent_id, run_id=run_id, limit=limit,
                                  filters=filters, threshold=threshold, top_k=top_k)  # fmt: skip

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        """:meth:`Memory.history <graphmem.memory.Memory.history>`; needs a role on the memory's scope.

        The history of a deleted memory is denied: with the memory gone its scope is unknown.
        """
        found = (
            self.memory.store.get_memories([memory_id]) if isinstance(memory_id, str) and memory_id else []
        )
        if not found:
            events = self.memory.history(memory_id)  # MemoryNotFoundError when there is none at all
            raise PermissionDeniedError(
                f"memory {memory_id!r} was deleted ({len(events)} events); only an operator can read its history"
            )
        self._access.require_record(found[0], "read history", write=False)
        return self.memory.history(memory_id)

    def ask(
        self,
        question: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 10,
        answer_name: str = "assistant",
        store_answer: bool = True,
    ) -> dict[str, Any]:
        """:meth:`Memory.ask <graphmem.memory.Memory.ask>`; viewer, or member when the answer is stored."""
        scope, _ = self._scope(user_id, agent_id, run_id)
        self._access.require(
            scope,
            "member" if store_answer else "viewer",
            "ask" + (" (storing the answer)" if store_answer else ""),
        )
        return self.memory.ask(question, user_id=user_id, agent_id=agent_id, run_id=run_id, limit=limit,
                               answer_name=answer_name, store_answer=store_answer)  # fmt: skip

    def context(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        max_tokens: int = 1000,
        limit: int = 20,
        filters: dict[str, Any] | None = None,
        token_counter: TokenCounter | None = None,
    ) -> dict[str, Any]:
        """:meth:`Memory.context <graphmem.memory.Memory.context>`; needs viewer."""
        scope, _ = self._scope(user_id, agent_id, run_id, filters)
        self._access.require(scope, "viewer", "reading context")
        return self.memory.context(query, user_id=user_id, agent_id=agent_id, run_id=run_id, max_tokens=max_tokens,
                                   limit=limit, filters=filters, token_counter=token_counter)  # fmt: skip

    def relations(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        entity: str | None = None,
        relationship: str | None = None,
        include_invalid: bool = False,
        as_of: datetime | str | float | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """:meth:`Memory.relations <graphmem.memory.Memory.relations>`; needs viewer."""
        self._read(user_id, agent_id, run_id, "reading relations")
        return self.memory.relations(user_id=user_id, agent_id=agent_id, run_id=run_id, entity=entity,
                                     relationship=relationship, include_invalid=include_invalid, as_of=as_of,
                                     limit=limit)  # fmt: skip

    def who_works_with(
        self,
        entity: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """:meth:`Memory.who_works_with <graphmem.memory.Memory.who_works_with>`; needs viewer."""
        self._read(user_id, agent_id, run_id, "reading relations")
        return self.memory.who_works_with(entity, user_id=user_id, agent_id=agent_id, run_id=run_id)

    def graph(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        include_invalid: bool = False,
    ) -> nx.MultiDiGraph:
        """:meth:`Memory.graph <graphmem.memory.Memory.graph>`; needs viewer."""
        self._read(user_id, agent_id, run_id, "reading the graph")
        return self.memory.graph(
            user_id=user_id, agent_id=agent_id, run_id=run_id, include_invalid=include_invalid
        )

    # ---- team views ------------------------------------------------------------------------
    def timeline(self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
                 actor: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """:meth:`Memory.timeline <graphmem.memory.Memory.timeline>`; needs viewer."""
        self._read(user_id, agent_id, run_id, "reading the timeline")
        return self.memory.timeline(
            user_id=user_id, agent_id=agent_id, run_id=run_id, actor=actor, limit=limit
        )

    def memories_by_actor(self, *, user_id: str | None = None, agent_id: str | None = None,
                          run_id: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """:meth:`Memory.memories_by_actor <graphmem.memory.Memory.memories_by_actor>`; needs viewer."""
        self._read(user_id, agent_id, run_id, "reading memories")
        return self.memory.memories_by_actor(user_id=user_id, agent_id=agent_id, run_id=run_id, limit=limit)

    def contributions(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`Memory.contributions <graphmem.memory.Memory.contributions>`; needs viewer."""
        self._read(user_id, agent_id, run_id, "reading contributions")
        return self.memory.contributions(user_id=user_id, agent_id=agent_id, run_id=run_id)

    def summary(self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
                use_llm: bool | None = None) -> dict[str, Any]:  # fmt: skip
        """:meth:`Memory.summary <graphmem.memory.Memory.summary>`; needs viewer."""
        self._read(user_id, agent_id, run_id, "reading the summary")
        return self.memory.summary(user_id=user_id, agent_id=agent_id, run_id=run_id, use_llm=use_llm)

    def export(self, target: str | Path | IO[str], *, user_id: str | None = None, agent_id: str | None = None,
               run_id: str | None = None) -> dict[str, Any]:  # fmt: skip
        """:meth:`Memory.export <graphmem.memory.Memory.export>` of one scope; needs viewer (a scope is required)."""
        self._read(user_id, agent_id, run_id, "exporting")
        return self.memory.export(target, user_id=user_id, agent_id=agent_id, run_id=run_id)

    def import_(self, source: str | Path | IO[str], *, reembed: bool = False) -> dict[str, Any]:
        """Always denied: an import writes any scope and any role."""
        raise PermissionDeniedError(f"{self.principal!r} may not import; use a Memory without a principal")

    def health(self) -> dict[str, Any]:
        """:meth:`Memory.health <graphmem.memory.Memory.health>` (no data is shown, so no role is needed)."""
        return self.memory.health()
