"""The add step for ``infer=True`` with an LLM: fact memories reconciled with what is stored.

1. image and PDF parts become text (a vision model describes images; PDFs are read locally);
2. one extraction call returns fact memories, entities and relations, each with its actor;
3. each fact is compared with the similar memories in scope, and one decision call says
   ADD / UPDATE / DELETE / NONE (``decide.py`` validates the answer);
4. the graph step resolves entities and closes contradicted facts instead of deleting them;
5. everything is written in one transaction, with its history events.

Any LLM failure raises before the first write, so a failed add leaves the store unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphmem._multimodal import normalize_messages
from graphmem.config import MemoryConfig
from graphmem.errors import InvalidInputError
from graphmem.extractors.llm import LLMExtractor
from graphmem.llms.base import LLM, Usage
from graphmem.models import HistoryEvent, MemoryRecord, Relation, Scope, index_text, new_id, text_hash, utcnow
from graphmem.pipeline._graph import detach_memories, merge_plan, plan_graph
from graphmem.pipeline._input import normalise_messages
from graphmem.pipeline.add import (
    AddContext,
    AddRequest,
    build_turns,
    embed_texts,
    extraction_context,
)
from graphmem.pipeline.decide import decide_updates
from graphmem.stores.base import WriteBatch

LLMAdd = Callable[[AddContext, AddRequest], dict[str, Any]]


def make_llm_add(config: MemoryConfig, llm: LLM) -> LLMAdd:
    extractor = LLMExtractor(llm, fact_prompt=config.custom_fact_extraction_prompt)

    def llm_add(ctx: AddContext, req: AddRequest) -> dict[str, Any]:
        usage = Usage()
        raw = req.raw if isinstance(req.raw, list) else [req.raw]
        raw = [{"role": "user", "content": m} if isinstance(m, str) else m for m in raw]
        if any(not isinstance(m, dict) for m in raw):
            raise InvalidInputError("messages must be a string, a message dict or a list of them")
        texts, spent = normalize_messages(raw, llm=llm)
        usage.add(spent)
        req.messages = normalise_messages(texts, config.limits)
        turns = [t for t in build_turns(req) if t.role != "system"]
        if req.memory_type == "procedural_memory":
            return _procedural(ctx, req, turns, extractor, usage)

        extraction, spent = extractor.extract_with_usage(
            turns, extraction_context(ctx.store, req.scope, turns), prompt=req.prompt
        )
        usage.add(spent)
        facts = extraction.facts
        vectors = embed_texts(ctx.embedder, [index_text(f.text, f.actor_id) for f in facts])
        similar = {i: ctx.store.vector_memories(req.scope, None, vectors[i], 5) for i in range(len(facts))}
        decisions, spent = decide_updates(
            llm, facts, similar, custom_prompt=config.custom_update_memory_prompt
        )
        usage.add(spent)

        batch = WriteBatch()
        results: list[dict[str, Any]] = []
        fact_memory: dict[int, str] = {}  # fact index -> the memory that now holds it
        when = {t.index: t.created_at for t in turns}
        role = {t.index: t.role for t in turns}
        now = utcnow()
        deleted: list[str] = []
        for d in decisions:
            fact = facts[d.fact_index]
            first = fact.turn_indexes[0] if fact.turn_indexes else (turns[0].index if turns else 0)
            if d.event == "ADD":
                same = d.text == fact.text and d.actor_id == fact.actor_id
                vec = (
                    vectors[d.fact_index]
                    if same
                    else embed_texts(ctx.embedder, [index_text(d.text, d.actor_id)])[0]
                )
                rec = MemoryRecord(
                    id=new_id(), memory=d.text, hash=text_hash(d.text), user_id=req.scope.user_id,
                    agent_id=req.scope.agent_id, run_id=req.scope.run_id, actor_id=d.actor_id,
                    role=role.get(first, "user"), metadata=dict(req.metadata), memory_type=req.memory_type,
                    created_at=when.get(first, now), embedding=vec,
                )  # fmt: skip
                batch.memories_add.append(rec)
                batch.history.append(
                    _event(rec.id, "ADD", None, d.text, rec.actor_id, rec.role, rec.created_at)
                )
                fact_memory[d.fact_index] = rec.id
                results.append({**rec.to_dict(), "event": "ADD"})
            elif d.event == "UPDATE" and d.memory_id:
                [rec] = ctx.store.get_memories([d.memory_id])
                old = rec.memory
                rec.memory, rec.hash, rec.updated_at = d.text, text_hash(d.text), now
                # the fact keeps its speaker: the update is attributed to whoever stated it
                rec.actor_id = d.actor_id or rec.actor_id
                rec.embedding = embed_texts(ctx.embedder, [index_text(d.text, rec.actor_id)])[0]
                batch.memories_update.append(rec)
                batch.history.append(_event(rec.id, "UPDATE", old, d.text, rec.actor_id, rec.role, now))
                fact_memory[d.fact_index] = rec.id
                results.append({**rec.to_dict(), "event": "UPDATE", "previous_memory": old})
            elif d.event == "DELETE" and d.memory_id:
                [rec] = ctx.store.get_memories([d.memory_id])
                deleted.append(rec.id)
                batch.memories_delete.append(rec.id)
                batch.mentions_clear.append(rec.id)
                batch.history.append(_event(rec.id, "DELETE", rec.memory, None, d.actor_id, rec.role, now))
                results.append({**rec.to_dict(), "event": "DELETE"})
            elif d.memory_id:
                fact_memory[d.fact_index] = d.memory_id
        closed = _close_contradicted(ctx, deleted, batch, now)

        turn_memory_ids: dict[int, list[str]] = {}
        for i, fact in enumerate(facts):
            for t in fact.turn_indexes:
                if i in fact_memory:
                    turn_memory_ids.setdefault(t, []).append(fact_memory[i])
        plan = plan_graph(
            ctx.store, req.scope, extraction, turn_memory_ids=turn_memory_ids, turn_times=when,
            embed=lambda texts: embed_texts(ctx.embedder, texts), merge_threshold=ctx.merge_threshold,
        )  # fmt: skip
        merge_plan(batch, plan, turn_memory_ids, extraction)
        if not batch.is_empty():
            ctx.store.apply(batch)
        return {
            "results": results,
            "relations": {
                "added": [r.to_dict() for r in plan.added],
                "invalidated": [r.to_dict() for r in plan.invalidated + closed],
            },
            "extractor": extractor.name,
            "usage": usage.to_dict(),
        }

    return llm_add


def _close_contradicted(ctx: AddContext, deleted: list[str], batch: WriteBatch, now: str) -> list[Relation]:
    """Facts whose only evidence the LLM deleted are closed, not deleted: history stays queryable."""
    if not deleted:
        return []
    probe = WriteBatch()
    detach_memories(ctx.store, deleted, probe)
    closed = []
    for rel in ctx.store.relations(Scope(), memory_ids=deleted):
        if rel.id in probe.relations_delete and rel.is_current:
            rel.valid_to = now
            batch.relations_update.append(rel)
            closed.append(rel)
    batch.relations_update.extend(r for r in probe.relations_update if r.memory_ids)
    return closed


def _procedural(
    ctx: AddContext, req: AddRequest, turns: list[Any], extractor: LLMExtractor, usage: Usage
) -> dict[str, Any]:
    if not req.scope.agent_id:
        raise InvalidInputError("memory_type='procedural_memory' needs an agent_id")
    summary, spent = extractor.summarize_procedural(turns, req.scope.agent_id, prompt=req.prompt)
    usage.add(spent)
    now = turns[-1].created_at if turns else utcnow()
    rec = MemoryRecord(
        id=new_id(), memory=summary, hash=text_hash(summary), user_id=req.scope.user_id,
        agent_id=req.scope.agent_id, run_id=req.scope.run_id, actor_id=req.scope.agent_id, role="assistant",
        metadata=dict(req.metadata), memory_type="procedural_memory", created_at=now,
        embedding=embed_texts(ctx.embedder, [index_text(summary, req.scope.agent_id)])[0],
    )  # fmt: skip
    batch = WriteBatch(memories_add=[rec])
    batch.history.append(_event(rec.id, "ADD", None, summary, rec.actor_id, rec.role, now))
    ctx.store.apply(batch)
    return {
        "results": [{**rec.to_dict(), "event": "ADD"}],
        "relations": {"added": [], "invalidated": []},
        "extractor": extractor.name,
        "usage": usage.to_dict(),
    }


def _event(mid: str, event: str, old: str | None, new: str | None, actor: str | None, role: str | None,
           when: str) -> HistoryEvent:  # fmt: skip
    return HistoryEvent(id=new_id(), memory_id=mid, event=event, old_memory=old, new_memory=new,
                        actor_id=actor, role=role, created_at=when)  # fmt: skip
