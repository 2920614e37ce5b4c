"""Writing structured team records (task changes, meetings) through the add pipeline's graph steps.

A task status change is a memory like any other: embedded, attributed, with history, and the
facts it states written beside it. What differs is where the facts come from: the caller states
them (``Bob RESPONSIBLE_FOR hero copy``) instead of an extractor guessing them from the text, so
``set_status`` can never be misread. Entity resolution, temporal reconciliation (a new HAS_STATUS
closes the current one) and provenance are the pipeline's own (:func:`plan_graph`), and
everything of one call lands in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graphmem.extractors.base import ExtractedEntity, ExtractedRelation, Extraction, Turn
from graphmem.models import HistoryEvent, MemoryRecord, Scope, index_text, new_id, text_hash
from graphmem.pipeline import _input as check
from graphmem.pipeline._graph import merge_plan, plan_graph
from graphmem.pipeline.add import embed_texts, extraction_context
from graphmem.stores.base import WriteBatch

if TYPE_CHECKING:
    from graphmem.memory import Memory


@dataclass
class Fact:
    """One relation a record states: ``source -[type]-> target`` with the entities' types."""

    source: str
    source_type: str
    type: str
    target: str
    target_type: str
    fact: str


@dataclass
class Record:
    """One memory to write, with the facts it states.

    ``extract=True`` also runs the memory's extractor over the text (meeting notes are free text:
    "we decided to use Figma" should become a DECIDED fact as it would through ``add``).
    """

    text: str
    actor_id: str | None
    metadata: dict[str, Any]
    facts: list[Fact] = field(default_factory=list)
    entities: list[tuple[str, str]] = field(default_factory=list)
    extract: bool = False


def write_records(
    memory: Memory, scope: Scope, records: list[Record], when: datetime | None = None
) -> dict[str, Any]:
    """Write ``records`` (in order, a microsecond apart) and their facts in one transaction.

    Returns:
        The shape of an ``add`` result: ``{"results": [...], "relations": {"added", "invalidated"}}``.
    """
    limits = memory.config.limits
    for rec in records:
        check.check_text(rec.text, "text", limits)
        rec.metadata = check.check_metadata(rec.metadata, limits)
    times = check.message_times(when, len(records))
    turns = [Turn(index=i, text=r.text, actor_id=r.actor_id, role="user", created_at=times[i])
             for i, r in enumerate(records)]  # fmt: skip
    with memory._write_lock:
        extraction = Extraction()
        free = [t for t, r in zip(turns, records, strict=True) if r.extract]
        if free:
            extraction = memory.extractor.extract(free, extraction_context(memory.store, scope, free))
        for turn, rec in zip(turns, records, strict=True):
            extraction.entities.extend(
                ExtractedEntity(name, etype, turn.index) for name, etype in rec.entities
            )
            extraction.relations.extend(
                ExtractedRelation(source=f.source, source_type=f.source_type, relationship=f.type,
                                  destination=f.target, destination_type=f.target_type, fact=f.fact,
                                  actor_id=rec.actor_id, turn_index=turn.index)
                for f in rec.facts
            )  # fmt: skip
        memories = [
            MemoryRecord(
                id=new_id(), memory=r.text, hash=text_hash(r.text), user_id=scope.user_id, agent_id=scope.agent_id,
                run_id=scope.run_id, actor_id=r.actor_id, role="user", metadata=r.metadata, memory_type=None,
                created_at=t.created_at,
            )
            for t, r in zip(turns, records, strict=True)
        ]  # fmt: skip
        turn_ids = {t.index: [m.id] for t, m in zip(turns, memories, strict=True)}
        plan = plan_graph(
            memory.store, scope, extraction, turn_memory_ids=turn_ids,
            turn_times={t.index: t.created_at for t in turns},
            embed=lambda texts: embed_texts(memory.embedder, texts),
            merge_threshold=memory.config.entity_merge_threshold,
            also_embed=[index_text(m.memory, m.actor_id) for m in memories],
        )  # fmt: skip
        assert plan.also_vectors is not None
        for m, vec in zip(memories, plan.also_vectors, strict=True):
            m.embedding = vec
        batch = WriteBatch(memories_add=list(memories))
        merge_plan(batch, plan, turn_ids, extraction)
        batch.history.extend(
            HistoryEvent(id=new_id(), memory_id=m.id, event="ADD", old_memory=None, new_memory=m.memory,
                         actor_id=m.actor_id, role=m.role, created_at=m.created_at)
            for m in memories
        )  # fmt: skip
        memory.store.apply(batch)
    return {
        "results": [{**m.to_dict(), "event": "ADD"} for m in memories],
        "relations": {"added": [r.to_dict() for r in plan.added],
                      "invalidated": [r.to_dict() for r in plan.invalidated]},
    }  # fmt: skip
