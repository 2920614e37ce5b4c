"""The embedded store's in-memory mirror of its SQLite file.

:class:`State` holds everything reads need without touching SQLite: the three record tables with
their vectors, the entity graph, and the small indexes (entity keys and aliases, mentions both
ways, relation provenance). It is built from the file at open (and whenever another connection
committed), and after each successful commit :meth:`State.apply` replays the batch on it in the
order SQL applied it, so the mirror and the file never disagree.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from itertools import chain, compress

import networkx as nx
import numpy as np

from graphmem.models import Entity, MemoryRecord, Relation, Scope, Vector
from graphmem.stores._embedded_cache import RecordTable, ScopeCodes
from graphmem.stores._embedded_sql import Deleted, Seqs, copy_entity, copy_memory, copy_relation, from_blob
from graphmem.stores.base import WriteBatch


def _is_current(r: Relation) -> bool:
    return r.valid_to is None


class State:
    """Records, vectors, graph and indexes of one store file (see module docstring)."""

    def __init__(self, dim: int | None) -> None:
        self.dim = dim
        codes = ScopeCodes()
        self.memories: RecordTable[MemoryRecord] = RecordTable(codes, dim)
        self.entities: RecordTable[Entity] = RecordTable(codes, dim)
        self.relations: RecordTable[Relation] = RecordTable(codes, dim, flag=_is_current)
        #: Entities as nodes, every relation (current and closed) as an edge keyed by its id.
        self.graph = nx.MultiDiGraph()
        self.entity_keys: dict[str, dict[str, None]] = {}  # key or alias -> entity ids (ordered set)
        self.mentions: dict[str, dict[str, None]] = {}  # memory id -> entity ids
        self.mentioned_by: dict[str, dict[str, None]] = {}  # entity id -> memory ids
        self.provenance: dict[str, set[str]] = {}  # memory id -> ids of relations citing it

    def set_dim(self, dim: int) -> None:
        self.dim = dim
        for table in (self.memories, self.entities, self.relations):
            table.set_dim(dim)

    # ---- bulk load -----------------------------------------------------------------------------
    def load(
        self,
        memories: Iterable[tuple[MemoryRecord, int, bytes | None]],
        entities: Iterable[tuple[Entity, int, bytes | None]],
        relations: Iterable[tuple[Relation, int, bytes | None]],
        mentions: Iterable[tuple[str, str]],
    ) -> None:
        self.memories.load(memories)
        self.entities.load(entities)
        self.relations.load(relations)
        for e in self.entities.records:
            self._index_entity(e)
        for r in self.relations.records:
            self._index_relation(r)
        for memory_id, entity_id in mentions:
            self._add_mention(memory_id, entity_id)

    # ---- one committed batch -------------------------------------------------------------------
    def apply(self, batch: WriteBatch, seqs: Seqs, deleted: Deleted, dim: int | None) -> None:
        """Replay a committed batch, in the order :class:`WriteBatch` documents (and SQL used).

        ``dim`` is the vector dimension the transaction recorded, if the store had none before.
        """
        if dim is not None and self.dim is None:
            self.set_dim(dim)
        for rid in batch.relations_delete:
            self._remove_relation(rid)
        for mid in chain(batch.mentions_clear, batch.memories_delete):
            self._clear_mentions(mid)
        for mid in batch.memories_delete:
            self.memories.remove(mid)
        for i, e in enumerate(batch.entities_upsert):
            self._upsert_entity(e, seqs.entities + i)
        for i, m in enumerate(batch.memories_add):
            self.memories.put(copy_memory(m), seqs.memories + i, m.embedding)
        for m in batch.memories_update:
            self._update_memory(m)
        for memory_id, entity_id in batch.mentions_add:
            self._add_mention(memory_id, entity_id)
        for i, r in enumerate(batch.relations_add):
            self._put_relation(copy_relation(r), seqs.relations + i, r.embedding)
        for r in batch.relations_update:
            self._update_relation(r)
        for rid in deleted.relations:  # cascaded from entity deletes
            self._remove_relation(rid)
        for eid in batch.entities_delete:
            self._remove_entity(eid)

    # ---- another connection's commits -----------------------------------------------------------
    def resync(
        self,
        memories: dict[str, tuple[MemoryRecord, int, bytes | None] | None],
        entities: dict[str, tuple[Entity, int, bytes | None] | None],
        relations: dict[str, tuple[Relation, int, bytes | None] | None],
        mentions: dict[str, list[str]],
        dim: int | None,
    ) -> None:
        """Make the touched records match the file: each id maps to its row now, or ``None``
        when it is gone; ``mentions`` holds the current mentions of each touched memory.

        The order is :meth:`apply`'s, so indexes are never left pointing at a missing record.
        """
        if dim is not None and self.dim is None:
            self.set_dim(dim)
        for rid, rel_row in relations.items():
            if rel_row is None:
                self._remove_relation(rid)
        for mid, mem_row in memories.items():
            if mem_row is None:
                self._clear_mentions(mid)
                self.memories.remove(mid)
        for eid, ent_row in entities.items():
            if ent_row is not None:
                entity, seq, blob = ent_row
                if eid in self.entities:  # only the aliases of an entity ever change
                    self._upsert_entity(entity, seq)
                else:
                    self.entities.put(entity, seq, from_blob(blob))
                    self._index_entity(entity)
        for mem_row in memories.values():
            if mem_row is not None:
                memory, seq, blob = mem_row
                self.memories.put(memory, seq, from_blob(blob))
        for mid, entity_ids in mentions.items():
            self._clear_mentions(mid)
            if mid in self.memories:
                for eid in entity_ids:
                    self._add_mention(mid, eid)
        for rel_row in relations.values():
            if rel_row is not None:
                relation, seq, blob = rel_row
                self._put_relation(relation, seq, from_blob(blob))
        for eid, ent_row in entities.items():
            if ent_row is None:
                self._remove_entity(eid)

    # ---- memories ------------------------------------------------------------------------------
    def _update_memory(self, m: MemoryRecord) -> None:
        old = self.memories.get(m.id)
        if old is None:
            return
        new = MemoryRecord(
            old.id, m.memory, m.hash, old.user_id, old.agent_id, old.run_id, old.actor_id, old.role,
            dict(m.metadata or {}), old.memory_type, old.created_at, m.updated_at,
        )  # fmt: skip
        self.memories.put(new, 0, m.embedding, keep_vector=True)

    # ---- mentions ------------------------------------------------------------------------------
    def _add_mention(self, memory_id: str, entity_id: str) -> None:
        self.mentions.setdefault(memory_id, {})[entity_id] = None
        self.mentioned_by.setdefault(entity_id, {})[memory_id] = None

    def _clear_mentions(self, memory_id: str) -> None:
        for entity_id in self.mentions.pop(memory_id, {}):
            by = self.mentioned_by.get(entity_id)
            if by is not None:
                by.pop(memory_id, None)
                if not by:
                    del self.mentioned_by[entity_id]

    # ---- entities ------------------------------------------------------------------------------
    def _upsert_entity(self, e: Entity, seq: int) -> None:
        old = self.entities.get(e.id)
        if old is None:
            bare = copy_entity(e)
            self.entities.put(bare, seq, e.embedding)
            self._index_entity(bare)
            return
        self._unindex_entity(old)
        old.aliases = list(e.aliases)  # the cached record is ours: updating in place is safe
        self._index_entity(old)

    def _index_entity(self, e: Entity) -> None:
        self.graph.add_node(e.id)
        for k in chain((e.key,), e.aliases):
            self.entity_keys.setdefault(k, {})[e.id] = None

    def _unindex_entity(self, e: Entity) -> None:
        for k in chain((e.key,), e.aliases):
            ids = self.entity_keys.get(k)
            if ids is not None:
                ids.pop(e.id, None)
                if not ids:
                    del self.entity_keys[k]

    def _remove_entity(self, entity_id: str) -> None:
        e = self.entities.remove(entity_id)
        if e is not None:
            self._unindex_entity(e)
        for memory_id in self.mentioned_by.pop(entity_id, {}):
            ents = self.mentions.get(memory_id)
            if ents is not None:
                ents.pop(entity_id, None)
                if not ents:
                    del self.mentions[memory_id]
        if self.graph.has_node(entity_id):
            self.graph.remove_node(entity_id)

    def relations_touching(self, entity_ids: Iterable[str]) -> list[str]:
        """Ids of every relation (current or closed) with one of ``entity_ids`` at either end."""
        out: dict[str, None] = {}
        for eid in entity_ids:
            if self.graph.has_node(eid):
                for _, _, key in chain(
                    self.graph.out_edges(eid, keys=True), self.graph.in_edges(eid, keys=True)
                ):
                    out[key] = None
        return list(out)

    # ---- relations -----------------------------------------------------------------------------
    def _put_relation(
        self, r: Relation, seq: int, vector: Vector | None, *, keep_vector: bool = False
    ) -> None:
        old = self.relations.get(r.id)
        if old is not None:
            self._unindex_relation(old)
        self.relations.put(r, seq, vector, keep_vector=keep_vector)
        self._index_relation(r)

    def _update_relation(self, r: Relation) -> None:
        old = self.relations.get(r.id)
        if old is None:
            return
        new = Relation(
            old.id, old.type, r.fact, old.source_id, old.target_id, old.source, old.target, r.actor_id,
            list(r.memory_ids), old.user_id, old.agent_id, old.run_id, old.valid_from, old.created_at,
            r.valid_to, r.invalidated_by, float(r.confidence),
        )  # fmt: skip
        self._put_relation(new, 0, r.embedding, keep_vector=True)

    def _index_relation(self, r: Relation) -> None:
        self.graph.add_edge(r.source_id, r.target_id, key=r.id)
        for mid in r.memory_ids:
            self.provenance.setdefault(mid, set()).add(r.id)

    def _unindex_relation(self, r: Relation) -> None:
        if self.graph.has_edge(r.source_id, r.target_id, key=r.id):
            self.graph.remove_edge(r.source_id, r.target_id, key=r.id)
        for mid in r.memory_ids:
            ids = self.provenance.get(mid)
            if ids is not None:
                ids.discard(r.id)
                if not ids:
                    del self.provenance[mid]

    def _remove_relation(self, relation_id: str) -> None:
        r = self.relations.remove(relation_id)
        if r is not None:
            self._unindex_relation(r)

    # ---- traversal -----------------------------------------------------------------------------
    def expand(self, scope: Scope, entity_ids: Sequence[str], hops: int, limit: int) -> list[Relation]:
        """Breadth-first over current relations in scope; hop 1 before hop 2, newest first in a hop.

        An edge is followed only when the relation and the entity at its far end are both in
        ``scope``, and the walk starts only from entities in scope, so it never leaves the scope.
        Hub entities (a person everyone works with) have thousands of edges: each hop tests the
        scopes of all its edges at once on the integer codes, and keeps only the newest it needs.
        """
        relations, entities = self.relations, self.entities
        start = list(dict.fromkeys(entity_ids))
        frontier = list(compress(start, entities.in_scope(entities.rows(start), scope).tolist()))
        visited = set(frontier)
        taken: set[str] = set()
        out: list[Relation] = []
        for _ in range(hops):
            # Every edge at the frontier, as (relation id, entity at its far end), read from the
            # graph's own adjacency dicts: its views build an object per neighbour.
            edges = [
                (rid, other)
                for node in frontier
                for adjacent in (self.graph._succ[node], self.graph._pred[node])
                for other, keys in adjacent.items()
                for rid in keys
            ]
            rids, others = zip(*edges, strict=True) if edges else ((), ())
            rows = relations.rows(rids)
            ok = relations.in_scope(rows, scope, flagged=True)  # flagged: current
            ok &= entities.in_scope(entities.rows(others), scope)
            layer: list[int] = []
            next_frontier: list[str] = []
            for (rid, other), row in zip(compress(edges, ok.tolist()), rows[ok].tolist(), strict=True):
                if rid in taken:  # seen from its other end, or twice (a self-loop)
                    continue
                taken.add(rid)
                layer.append(row)
                if other not in visited:
                    visited.add(other)
                    next_frontier.append(other)
            # newest first (relation_order), only as many as the limit still takes
            records = relations.records
            keys = zip(
                [records[i].valid_from for i in layer], [records[i].created_at for i in layer],
                relations.seqs(np.asarray(layer, dtype=np.intp)), layer, strict=True,
            )  # fmt: skip
            out.extend(records[i] for *_, i in heapq.nlargest(limit - len(out), keys))  # seqs are unique
            if len(out) >= limit or not next_frontier:
                break
            frontier = next_frontier
        return out

    def relation_order(self, r: Relation) -> tuple[str, str, int]:
        """Sort key for "newest valid_from first" (with ``reverse=True``), stable on ties."""
        return (r.valid_from, r.created_at, self.relations.seq(self.relations.index[r.id]))
