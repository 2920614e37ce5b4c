"""The add pipeline: messages in; memories, entities, attributed relations and history out.

1. validate (in ``memory.py``, before anything here runs);
2. decide the memories: one per message (``infer=False``, or no LLM), else the LLM's fact
   memories reconciled with similar ones (ADD / UPDATE / DELETE / NONE);
3. extract entities and relations, each carrying the actor who asserted it;
4. embed every new text in one batch, resolve entities, reconcile time;
5. write everything in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from graphmem.embedders.base import Embedder, to_matrix
from graphmem.extractors.base import Extraction, ExtractionContext, Extractor, Turn
from graphmem.models import (
    HistoryEvent,
    MemoryRecord,
    Scope,
    index_text,
    new_id,
    text_hash,
    utcnow,
    vector_text,
)
from graphmem.pipeline._graph import merge_plan, plan_graph
from graphmem.pipeline._input import Message, message_times
from graphmem.pipeline._pool import shared_pool
from graphmem.pipeline.indexer import Indexer, Job
from graphmem.stores.base import Store, WriteBatch

#: Adds of this many memories or more embed them inside ``add`` even with background indexing.
INLINE_BATCH = 32


@dataclass
class AddRequest:
    messages: list[Message]
    scope: Scope
    metadata: dict[str, Any]
    infer: bool
    memory_type: str | None
    prompt: str | None
    timestamp: datetime | None
    #: The messages as the caller gave them (the LLM path reads image and PDF parts from here).
    raw: Any = None


@dataclass
class AddContext:
    """What the pipeline runs on; built once by ``Memory``."""

    store: Store
    embedder: Embedder
    extractor: Extractor
    merge_threshold: float
    #: Optional LLM path (issue: LLM extraction). ``None`` means offline.
    llm_add: Any = None
    #: Background indexing (``indexing="background"``): offline adds leave memory and fact
    #: vectors to it. ``None`` embeds them inside ``add``.
    indexer: Indexer | None = None
    usage: dict[str, int] = field(default_factory=dict)


def embed_texts(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return to_matrix(embedder.embed(list(texts)), len(texts), embedder.dim)


def default_actor(scope: Scope) -> str | None:
    """Who "I" is when a message has no name: the user, else the agent."""
    return scope.user_id or scope.agent_id


def _unnamed_actor(scope: Scope, role: str) -> str | None:
    if role == "user":
        return default_actor(scope)
    return scope.agent_id if role == "assistant" else None


def build_turns(req: AddRequest) -> list[Turn]:
    times = message_times(req.timestamp, len(req.messages))
    return [
        Turn(index=i, text=m.content, actor_id=m.name or _unnamed_actor(req.scope, m.role), role=m.role,
             created_at=times[i])
        for i, m in enumerate(req.messages)
    ]  # fmt: skip


def extraction_context(store: Store, scope: Scope, turns: Sequence[Turn]) -> ExtractionContext:
    known = store.list_entities(scope, limit=500)
    actors = list(
        dict.fromkeys(
            [t.actor_id for t in turns if t.actor_id] + [e.name for e in known if e.type == "PERSON"]
        )
    )
    return ExtractionContext(
        default_actor=default_actor(scope), actors=actors, known_entities=[(e.name, e.type) for e in known]
    )


def run_add(ctx: AddContext, req: AddRequest) -> dict[str, Any]:
    """Run the pipeline for one validated request and return the mem0-shaped result."""
    if ctx.llm_add is not None and (req.infer or req.memory_type == "procedural_memory"):
        result: dict[str, Any] = ctx.llm_add(ctx, req)
        return result
    turns = build_turns(req)
    # mem0 keeps system messages out of memory when it stores messages as they are
    kept = [t for t in turns if t.role != "system"]
    batch = WriteBatch()
    memories: list[MemoryRecord] = []
    turn_memory_ids: dict[int, list[str]] = {}
    for t in kept:
        rec = MemoryRecord(
            id=new_id(), memory=t.text, hash=text_hash(t.text), user_id=req.scope.user_id,
            agent_id=req.scope.agent_id, run_id=req.scope.run_id, actor_id=t.actor_id, role=t.role,
            metadata=dict(req.metadata), memory_type=req.memory_type, created_at=t.created_at, updated_at=None,
        )  # fmt: skip
        memories.append(rec)
        turn_memory_ids[t.index] = [rec.id]

    # A large add is already a batch: embedding it here uses every core at once, while the
    # indexer's thread would share them with this one. Small adds gain from micro-batching.
    inline = ctx.indexer is None or len(memories) >= INLINE_BATCH
    texts = [vector_text(m) for m in memories]
    early: Future[np.ndarray] | None = None
    if inline and len(texts) >= INLINE_BATCH and ctx.store.concurrent_reads:
        # The store's reads below wait on a server: embed the messages meanwhile. (On a local
        # store those reads are this process's own work, and the two would share its cores.)
        early = shared_pool().submit(embed_texts, ctx.embedder, texts)
    extraction = (
        ctx.extractor.extract(kept, extraction_context(ctx.store, req.scope, kept)) if kept else Extraction()
    )
    plan = plan_graph(
        ctx.store, req.scope, extraction, turn_memory_ids=turn_memory_ids,
        turn_times={t.index: t.created_at for t in kept},
        embed=lambda texts: embed_texts(ctx.embedder, texts), merge_threshold=ctx.merge_threshold,
        also_embed=texts if inline and early is None else (), embed_facts=inline,
    )  # fmt: skip
    if memories and inline:
        vectors = early.result() if early is not None else plan.also_vectors
        assert vectors is not None
        for rec, vec in zip(memories, vectors, strict=True):
            rec.embedding = vec
    batch.memories_add.extend(memories)
    merge_plan(batch, plan, turn_memory_ids, extraction)
    batch.history.extend(
        HistoryEvent(id=new_id(), memory_id=m.id, event="ADD", old_memory=None, new_memory=m.memory,
                     actor_id=m.actor_id, role=m.role, created_at=m.created_at)
        for m in memories
    )  # fmt: skip
    if not batch.is_empty():
        ctx.store.apply(batch)
    if not inline:
        assert ctx.indexer is not None
        ctx.indexer.submit(
            [Job("memory", m.id, text) for m, text in zip(memories, texts, strict=True)]
            + [Job("relation", r.id, r.fact) for r in plan.added]
        )
    return {
        "results": [{**m.to_dict(), "event": "ADD"} for m in memories],
        "relations": {
            "added": [r.to_dict() for r in plan.added],
            "invalidated": [r.to_dict() for r in plan.invalidated],
        },
        "extractor": ctx.extractor.name,
    }


def run_update(
    ctx: AddContext, memory: MemoryRecord, text: str, metadata: dict[str, Any] | None
) -> dict[str, Any]:
    """Replace a memory's text: re-embed, re-extract its relations, record an UPDATE event."""
    from graphmem.pipeline._graph import detach_memories

    batch = WriteBatch()
    old_text = memory.memory
    now = utcnow()
    memory.memory, memory.hash, memory.updated_at = text, text_hash(text), now
    if metadata is not None:
        memory.metadata = metadata
    memory.embedding = embed_texts(ctx.embedder, [index_text(text, memory.actor_id)])[0]
    turn = Turn(index=0, text=text, actor_id=memory.actor_id, role=memory.role or "user", created_at=now)
    extraction = ctx.extractor.extract([turn], extraction_context(ctx.store, memory.scope, [turn]))
    # Plan the new text against the graph as it stands, then detach the old text's facts. In
    # the other order the plan would not see the facts the detach reopens, and a new functional
    # fact would leave one of them current beside it (Lima -> Oslo, Oslo rewritten to Kyiv: Lima
    # and Kyiv both current). Facts the new text states again keep this memory as provenance.
    plan = plan_graph(
        ctx.store, memory.scope, extraction, turn_memory_ids={0: [memory.id]}, turn_times={0: now},
        embed=lambda texts: embed_texts(ctx.embedder, texts), merge_threshold=ctx.merge_threshold,
    )  # fmt: skip
    detach_memories(ctx.store, [memory.id], batch, keep=plan.refound, pending=plan.touched)
    batch.mentions_clear.append(memory.id)
    # One entry per relation: detach wrote its changes onto the plan's own copies, and a fact the
    # plan closed but that lost its last provenance is deleted rather than closed.
    done = {r.id for r in batch.relations_update} | set(batch.relations_delete)
    plan.touched = {rid: r for rid, r in plan.touched.items() if rid not in done}
    batch.memories_update.append(memory)
    merge_plan(batch, plan, {0: [memory.id]}, extraction)
    batch.history.append(
        HistoryEvent(id=new_id(), memory_id=memory.id, event="UPDATE", old_memory=old_text, new_memory=text,
                     actor_id=memory.actor_id, role=memory.role, created_at=now)
    )  # fmt: skip
    ctx.store.apply(batch)
    return {"message": "Memory updated successfully!", "id": memory.id, "memory": text}


def run_delete(ctx: AddContext, memory: MemoryRecord) -> None:
    """Remove a memory, its mentions, the facts whose only provenance it was, and orphaned entities."""
    from graphmem.pipeline._graph import detach_memories

    batch = WriteBatch(memories_delete=[memory.id])
    deleted_rels = detach_memories(ctx.store, [memory.id], batch)
    mentioned = ctx.store.mentions([memory.id]).get(memory.id, [])
    dead_rels = {r.id for r in deleted_rels}
    for eid in set(mentioned) | {e for r in deleted_rels for e in (r.source_id, r.target_id)}:
        others = [m for m, _ in ctx.store.memories_mentioning(Scope(), None, [eid], 2) if m.id != memory.id]
        rels = [
            r
            for r in ctx.store.relations(Scope(), entity_ids=[eid], include_invalid=True)
            if r.id not in dead_rels
        ]
        if not others and not rels:
            batch.entities_delete.append(eid)
    batch.history.append(
        HistoryEvent(id=new_id(), memory_id=memory.id, event="DELETE", old_memory=memory.memory, new_memory=None,
                     actor_id=memory.actor_id, role=memory.role, created_at=utcnow())
    )  # fmt: skip
    ctx.store.apply(batch)
