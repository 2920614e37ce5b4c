"""The Store contract: what the add and search pipelines need from a backend.

The pipelines (``graphmem/pipeline``) hold the logic: validation, entity resolution, temporal
reconciliation, rank fusion. A store persists a :class:`WriteBatch` atomically and answers
candidate queries. Every read takes a :class:`Scope` and applies it, and any filter, *inside*
the candidate query, never after a top-k cut, so a busy neighbouring scope cannot starve a small one.

Scope matching comes in two kinds:

* ``scope`` (reading): every key set on the scope must equal the record's; unset keys match
  anything. ``Scope(user_id="u")`` sees all of u's runs.
* ``exact`` (entity and relation resolution while writing): all three keys must be equal, ``None``
  only matching ``None``. The same person in two runs is two nodes unless the scope is shared.

Similarity scores are on the scale Neo4j's cosine vector index reports, ``(1 + cos) / 2`` in
[0, 1], on every store.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import zip_longest
from types import TracebackType
from typing import Any, Literal

from graphmem.filters import And, Cond, Filter
from graphmem.models import Entity, HistoryEvent, MemoryRecord, Relation, Scope, Vector, format_time

#: The record kinds that carry a vector.
VectorKind = Literal["memory", "entity", "relation"]


@dataclass
class WriteBatch:
    """Everything one ``add`` / ``update`` / ``delete`` call writes, applied in one transaction.

    Order of application inside the transaction: deletes of relations, mentions (of deleted or
    updated memories) and memories; then entity upserts, memory inserts and updates, mention
    inserts, relation inserts and updates; then history events and entity deletes.
    """

    memories_add: list[MemoryRecord] = field(default_factory=list)
    #: Replaces memory, hash, embedding, metadata, updated_at of existing memories.
    memories_update: list[MemoryRecord] = field(default_factory=list)
    #: Removes the memories and their mentions. History is kept (it is the audit trail).
    memories_delete: list[str] = field(default_factory=list)
    #: Inserts new entities; for existing ids replaces ``aliases`` (and nothing else).
    entities_upsert: list[Entity] = field(default_factory=list)
    entities_delete: list[str] = field(default_factory=list)
    #: (memory_id, entity_id) pairs; duplicates are ignored.
    mentions_add: list[tuple[str, str]] = field(default_factory=list)
    #: Memory ids whose mentions are all removed (an update re-extracts them).
    mentions_clear: list[str] = field(default_factory=list)
    relations_add: list[Relation] = field(default_factory=list)
    #: Replaces fact, memory_ids, actor_id, valid_to, invalidated_by, confidence, embedding.
    relations_update: list[Relation] = field(default_factory=list)
    relations_delete: list[str] = field(default_factory=list)
    history: list[HistoryEvent] = field(default_factory=list)
    #: Small JSON documents by (kind, key): project roles, API keys, webhooks. Upserted.
    docs_put: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    docs_delete: list[tuple[str, str]] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(
            (
                self.memories_add, self.memories_update, self.memories_delete, self.entities_upsert,
                self.entities_delete, self.mentions_add, self.mentions_clear, self.relations_add,
                self.relations_update, self.relations_delete, self.history, self.docs_put,
                self.docs_delete,
            )
        )  # fmt: skip


class Store(ABC):
    """A backend that persists the data model and answers candidate queries."""

    #: Short name used in results, health reports and test ids ("embedded", "neo4j").
    name: str = "store"
    #: Whether one operation's independent reads finish sooner issued at once from several
    #: threads (a server answering each on its own connection) than one after another. The
    #: search pipeline then overlaps them. Reads must be thread-safe either way.
    concurrent_reads: bool = False

    # ---- lifecycle -------------------------------------------------------------------------
    @abstractmethod
    def ensure_schema(self, dim: int) -> None:
        """Create tables / constraints / indexes for vectors of ``dim`` (idempotent).

        Raises:
            DimensionMismatchError: the store already holds vectors of another dimension.
        """

    def close(self) -> None:  # noqa: B027 - optional hook: stores without resources need nothing
        """Release connections and files. Idempotent."""

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the store's writer lock for one read-decide-write cycle.

        The pipelines read before they write (entity resolution, provenance, closing functional
        facts), and ``apply`` is atomic but cannot know what its batch was decided from. Two
        writers deciding at once (threads with their own ``Memory``, other processes, other
        clients of one server) would both create the entity "Bob", or both extend a relation's
        provenance from the same stale copy and lose one. ``Memory`` therefore holds this lock
        around every write call. It is reentrant within a thread and released if the holder dies.

        This default holds nothing: right for a store only one writer ever uses.
        """
        yield

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- writes ----------------------------------------------------------------------------
    @abstractmethod
    def apply(self, batch: WriteBatch) -> None:
        """Apply the batch in one transaction: all of it or none of it. Durable on return."""

    @abstractmethod
    def delete_scope(self, scope: Scope) -> list[str]:
        """Delete every memory, entity, relation and mention in ``scope`` (reading semantics).

        History events of the deleted memories are kept, with a DELETE event added per memory.
        Returns the deleted memory ids.
        """

    @abstractmethod
    def reset(self) -> None:
        """Delete everything, history included. The schema stays."""

    # ---- memories --------------------------------------------------------------------------
    @abstractmethod
    def get_memories(self, ids: Sequence[str]) -> list[MemoryRecord]:
        """The memories with these ids that exist, in the order of ``ids``, without embeddings."""

    @abstractmethod
    def list_memories(
        self, scope: Scope, filters: Filter | None = None, limit: int | None = 100, newest_first: bool = True
    ) -> list[MemoryRecord]:
        """Memories in scope matching ``filters``, ordered by ``created_at``."""

    def memories_around(
        self, scope: Scope, filters: Filter | None, memories: Sequence[MemoryRecord], k: int, seconds: float
    ) -> dict[str, list[MemoryRecord]]:
        """For each of ``memories``, its conversation neighbours: up to ``k`` memories created just
        before it and ``k`` just after it, in scope, matching ``filters``, at most ``seconds`` away.

        Returns memory id -> neighbours, nearest first, before and after alternating (before
        first). Equal times are ordered by id, descending before the memory and ascending after
        it; memories created at the very same time as it are not its neighbours. This default
        asks ``list_memories`` twice per memory; a store may answer in one go (both built-in
        stores do, and a contract test holds them to this default's answers).
        """
        out: dict[str, list[MemoryRecord]] = {}
        if k <= 0:
            return out
        for m in memories:
            t = datetime.fromisoformat(m.created_at)
            lo, hi = format_time(t - timedelta(seconds=seconds)), format_time(t + timedelta(seconds=seconds))
            sides = []
            for window, newest_first in (
                (And((Cond("created_at", "gte", lo), Cond("created_at", "lt", m.created_at))), True),
                (And((Cond("created_at", "gt", m.created_at), Cond("created_at", "lte", hi))), False),
            ):
                # headroom over k, so ties at the cut are ordered by id here, as on every store
                found = self.list_memories(
                    scope, And((filters, window)) if filters else window, 4 * k, newest_first
                )
                found.sort(key=lambda r: (r.created_at, r.id), reverse=newest_first)
                sides.append(found[:k])
            out[m.id] = [r for pair in zip_longest(*sides) for r in pair if r is not None]
        return out

    @abstractmethod
    def count_memories(self, scope: Scope | None = None) -> int:
        """How many memories are in ``scope`` (all of them for ``None``)."""

    @abstractmethod
    def vector_memories(
        self, scope: Scope, filters: Filter | None, vector: Vector, k: int
    ) -> list[tuple[MemoryRecord, float]]:
        """The ``k`` memories in scope most similar to ``vector``, best first, with similarity."""

    @abstractmethod
    def keyword_memories(
        self, scope: Scope, filters: Filter | None, query: str, k: int
    ) -> list[tuple[MemoryRecord, float]]:
        """The ``k`` best keyword (BM25-like) matches of ``query`` in scope, best first.

        ``query`` is raw user text: the store escapes it for its own query language.
        """

    @abstractmethod
    def memories_mentioning(
        self, scope: Scope, filters: Filter | None, entity_ids: Sequence[str], k: int
    ) -> list[tuple[MemoryRecord, list[str]]]:
        """Memories in scope that mention any of ``entity_ids``, with which ones, newest first."""

    @abstractmethod
    def mentions(self, memory_ids: Sequence[str]) -> dict[str, list[str]]:
        """memory id -> ids of the entities it mentions."""

    # ---- entities --------------------------------------------------------------------------
    @abstractmethod
    def find_entities(self, scope: Scope, keys: Sequence[str], *, exact: bool = False) -> list[Entity]:
        """Entities whose ``key`` or one of whose ``aliases`` is in ``keys``."""

    @abstractmethod
    def vector_entities(
        self, scope: Scope, vector: Vector, k: int, *, exact: bool = False
    ) -> list[tuple[Entity, float]]:
        """The ``k`` entities whose name embedding is closest to ``vector``, with similarity."""

    def vector_entities_many(
        self, scope: Scope, vectors: Sequence[Vector], k: int, *, exact: bool = False
    ) -> list[list[tuple[Entity, float]]]:
        """:meth:`vector_entities` for each of ``vectors``, in their order.

        Resolving an add's new names asks for many at once. This default asks one by one; a
        store may answer in one go (both built-in stores do, and a contract test holds them to
        the one-by-one answers).
        """
        return [self.vector_entities(scope, v, k, exact=exact) for v in vectors]

    @abstractmethod
    def list_entities(self, scope: Scope, limit: int | None = None) -> list[Entity]:
        """Entities in scope, oldest first."""

    # ---- relations -------------------------------------------------------------------------
    @abstractmethod
    def relations(
        self,
        scope: Scope,
        *,
        exact: bool = False,
        entity_ids: Sequence[str] | None = None,
        types: Sequence[str] | None = None,
        source_ids: Sequence[str] | None = None,
        memory_ids: Sequence[str] | None = None,
        include_invalid: bool = False,
        as_of: str | None = None,
        limit: int | None = None,
    ) -> list[Relation]:
        """Relations in scope, newest ``valid_from`` first.

        ``entity_ids``: touching any of them at either end. ``source_ids``: starting at one of them.
        ``memory_ids``: with one of them in their provenance. ``as_of``: valid at that instant
        (closed ones included). Otherwise only current relations unless ``include_invalid``.
        """

    @abstractmethod
    def expand(self, scope: Scope, entity_ids: Sequence[str], hops: int, limit: int) -> list[Relation]:
        """Current relations reachable from ``entity_ids`` within ``hops`` (1 or 2), in scope,
        nearest first; a traversal never leaves the scope."""

    def around_entities(
        self, scope: Scope, filters: Filter | None, entity_ids: Sequence[str], hops: int, limit: int, k: int
    ) -> tuple[list[Relation], list[tuple[MemoryRecord, list[str]]]]:
        """``expand(scope, entity_ids, hops, limit)`` and ``memories_mentioning(scope, filters,
        entity_ids, k)`` together: a search's graph signal needs both for the entities its query
        names. This default makes the two calls; a server store answers in one round trip."""
        return self.expand(scope, entity_ids, hops, limit), self.memories_mentioning(
            scope, filters, entity_ids, k
        )

    @abstractmethod
    def vector_relations(self, scope: Scope, vector: Vector, k: int) -> list[tuple[Relation, float]]:
        """The ``k`` current relations whose fact embedding is closest to ``vector``."""

    @abstractmethod
    def vectors(self, kind: VectorKind, ids: Sequence[str]) -> dict[str, Vector]:
        """The stored vectors of the ``kind`` records with these ids, as unit float32 arrays.

        Ids that are unknown or have no vector are left out. Backups read vectors here, so an
        export holds exactly what the store searches with.
        """

    @abstractmethod
    def set_vectors(self, kind: VectorKind, vectors: Mapping[str, Vector]) -> None:
        """Store the vectors of existing ``kind`` records, by id, in one transaction.

        Ids that no longer exist are skipped: a record deleted while its vector was being
        computed stays deleted. Background indexing writes here (``graphmem.pipeline.indexer``).

        Raises:
            DimensionMismatchError: a vector's dimension differs from the store's.
        """

    @abstractmethod
    def missing_vectors(self, kind: VectorKind, limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` ``(id, text to embed)`` of ``kind`` records stored without a vector,
        oldest first, across all scopes. A memory's text is :func:`graphmem.models.index_text`,
        a relation's its fact, an entity's its name."""

    # ---- history ---------------------------------------------------------------------------
    @abstractmethod
    def history(self, memory_id: str) -> list[HistoryEvent]:
        """Every event of one memory, oldest first."""

    # ---- documents -------------------------------------------------------------------------
    @abstractmethod
    def get_docs(self, kind: str, keys: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        """Documents of one kind (all of them for ``keys=None``), key -> document.

        Documents are written with ``WriteBatch.docs_put`` / ``docs_delete``, so they share the
        transaction of whatever else the call writes, and ``reset()`` deletes them.
        """
