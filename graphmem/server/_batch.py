"""Batch update and batch delete: all of it or none of it.

Both validate every item before changing anything: ids exist and are distinct, each memory lies in
one of the caller's projects, the caller's role allows the change, texts and metadata are
acceptable. Only then are the changes applied, holding the Memory's write lock so no other writer
of this process interleaves.

Deletes are applied as one store transaction (the single-memory delete pipeline generalised to
many), so a store failure leaves nothing half-deleted. Updates re-extract each memory's graph,
which reads what the previous update wrote, so they are applied one by one; if one fails, the
ones already applied are restored to their previous text and metadata before the error is raised.
"""

from __future__ import annotations

from typing import Any

from graphmem.collab.roles import Access
from graphmem.errors import InvalidInputError, MemoryNotFoundError
from graphmem.models import HistoryEvent, MemoryRecord, Relation, Scope, new_id, utcnow
from graphmem.pipeline import _input as check
from graphmem.pipeline._graph import detach_memories
from graphmem.server._deps import Caller
from graphmem.stores.base import WriteBatch


def _records(caller: Caller, ids: list[str], action: str) -> list[MemoryRecord]:
    """The memories, checked: distinct, existing, in the caller's projects, changeable by them."""
    if len(set(ids)) != len(ids):
        raise InvalidInputError("a batch names the same memory_id twice")
    found = {r.id: r for r in caller.svc.memory.store.get_memories(ids)}
    roles: dict[str, str | None] = {}
    missing = []
    for r in found.values():
        if r.run_id and r.run_id not in roles:
            roles[r.run_id] = caller.role(r.run_id)
    for mid in ids:
        rec = found.get(mid)
        if rec is None or not rec.run_id or roles.get(rec.run_id) is None:
            missing.append(mid)  # outside the caller's projects reads as not found
    if missing:
        raise MemoryNotFoundError(f"no memory with id {missing[0]!r} ({len(missing)} of the batch not found)")
    access = Access(caller.svc.memory, caller.name)
    for mid in ids:  # the team layer's rule: admins change any memory, members their own
        access.require_record(found[mid], action, write=True)
    return [found[mid] for mid in ids]


def batch_update(caller: Caller, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Update every item's text and/or metadata, or none of them.

    Returns:
        The updated memories, in the order given.
    """
    memory = caller.svc.memory
    limits = memory.config.limits
    plans: list[tuple[str, str | None, dict[str, Any] | None]] = []
    for item in items:
        text, meta = item.get("text"), item.get("metadata")
        if text is None and meta is None:
            raise InvalidInputError(f"memory {item['memory_id']!r}: give text, metadata or both")
        plans.append((
            item["memory_id"],
            check.check_text(text, "text", limits) if text is not None else None,
            check.check_metadata(meta, limits) if meta is not None else None,
        ))  # fmt: skip
    with memory._write_lock:  # the checks must still hold when the writes happen
        records = _records(caller, [p[0] for p in plans], "update")
        done: list[MemoryRecord] = []
        try:
            for rec, (mid, text, meta) in zip(records, plans, strict=True):
                caller.acting.update(mid, text if text is not None else rec.memory, metadata=meta)
                done.append(rec)
        except BaseException:
            for rec in reversed(done):  # restore what was applied: the batch is all or nothing
                memory.update(rec.id, rec.memory, metadata=rec.metadata)
            raise
        return [r.to_dict() for r in memory.store.get_memories([p[0] for p in plans])]


def batch_delete(caller: Caller, ids: list[str]) -> list[dict[str, Any]]:
    """Delete every memory in one store transaction, or none of them.

    Returns:
        The deleted memories as they were, in the order given.
    """
    memory = caller.svc.memory
    with memory._write_lock:
        records = _records(caller, ids, "delete")
        memory.store.apply(_delete_batch(memory.store, records))
    return [r.to_dict() for r in records]


def _delete_batch(store: Any, records: list[MemoryRecord]) -> WriteBatch:
    """The write of deleting ``records`` together: what ``Memory.delete`` writes, for many at once."""
    gone = {r.id for r in records}
    batch = WriteBatch(memories_delete=[r.id for r in records])
    deleted_rels = detach_memories(store, [r.id for r in records], batch)
    dead_rels = {r.id for r in deleted_rels}
    _merge_relation_updates(batch, gone, dead_rels)
    mentioned = store.mentions(list(gone))
    candidates = {e for ents in mentioned.values() for e in ents}
    candidates |= {e for r in deleted_rels for e in (r.source_id, r.target_id)}
    for eid in candidates:
        others = [
            m for m, _ in store.memories_mentioning(Scope(), None, [eid], len(gone) + 1) if m.id not in gone
        ]
        rels = [
            r
            for r in store.relations(Scope(), entity_ids=[eid], include_invalid=True)
            if r.id not in dead_rels
        ]
        if not others and not rels:
            batch.entities_delete.append(eid)
    now = utcnow()
    batch.history.extend(
        HistoryEvent(id=new_id(), memory_id=r.id, event="DELETE", old_memory=r.memory, new_memory=None,
                     actor_id=r.actor_id, role=r.role, created_at=now)
        for r in records
    )  # fmt: skip
    return batch


def _merge_relation_updates(batch: WriteBatch, gone: set[str], dead: set[str]) -> None:
    """One update per relation: a relation can be both trimmed of deleted provenance and re-opened
    (the fact that had closed it is gone), and the two come from separate reads."""
    merged: dict[str, Relation] = {}
    for rel in batch.relations_update:
        if rel.id in dead:
            continue
        rel.memory_ids = [m for m in rel.memory_ids if m not in gone]
        first = merged.setdefault(rel.id, rel)
        if first is not rel and rel.valid_to is None:
            first.valid_to, first.invalidated_by = None, None
    batch.relations_update = list(merged.values())
