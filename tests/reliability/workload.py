"""A deterministic write workload, and the canonical form of what it leaves in a store.

Writers run :func:`writer_adds` concurrently (threads or processes); the test then compares the
store's :func:`canonical` contents with a reference store that ran the same adds one after the
other. The workload is built so that the final state does not depend on the interleaving *when
writes are serialised correctly*, yet any lost update shows:

* the same people and pages appear in every writer's messages, in a shared scope, so concurrent
  adds resolve the same new entity names and extend the same relations' provenance;
* functional facts ("I live in ...") come only from a writer's own actor, so their order (and
  which one is current) is fixed by that writer alone;
* every add also writes to the writer's private scope, which no other writer touches.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from graphmem.models import SYMMETRIC_TYPES, entity_key
from reliability.invariants import Snapshot

PEOPLE = ("Alice", "Bob", "Carol", "Dana", "Eli", "Frank")
PAGES = ("checkout", "search", "billing", "landing")
CITIES = ("Oslo", "Rome", "Lima", "Kyiv", "Pune", "Doha", "Riga")
SHARED = {"run_id": "shared"}


def writer_scope(writer: int) -> dict[str, str]:
    return {"user_id": f"user-{writer}"}


def writer_adds(writer: int, count: int) -> list[tuple[list[dict[str, str]], dict[str, str], dict[str, Any]]]:
    """``(messages, scope, metadata)`` for each add of one writer, in order."""
    adds = []
    for i in range(count):
        a = PEOPLE[(writer + i) % len(PEOPLE)]
        b = PEOPLE[(writer + 2 * i + 1) % len(PEOPLE)]
        if a == b:
            b = PEOPLE[(PEOPLE.index(a) + 1) % len(PEOPLE)]
        page = PAGES[(writer * 3 + i) % len(PAGES)]
        actor = f"Writer{writer}"
        shared = [
            {"role": "user", "name": actor, "content": f"{a} works with {b}."},
            {"role": "user", "name": actor, "content": f"{b} works on the {page} page."},
            {"role": "user", "name": actor, "content": f"I live in {CITIES[(writer + i) % len(CITIES)]}."},
        ]
        private = [{"role": "user", "name": actor, "content": f"{a} works on the {page} page."}]
        meta = {"writer": writer, "batch": i}
        adds.append((shared, SHARED, meta))
        adds.append((private, writer_scope(writer), meta))
    return adds


def run_writer(memory: Any, writer: int, count: int) -> None:
    for messages, scope, meta in writer_adds(writer, count):
        memory.add(messages, metadata=meta, infer=False, **scope)


def _label(snap: Snapshot, memory_id: str) -> tuple[Any, ...]:
    m = snap.memories[memory_id]
    return (m.metadata.get("writer"), m.metadata.get("batch"), m.text)


def canonical(snap: Snapshot) -> dict[str, Counter[Any]]:
    """The store's contents with ids replaced by what was sent: comparable across stores and runs.

    Memories by (writer, batch, text, actor, scope); entities by (scope, key); relations by
    (scope, type, source key, target key, current?) with their provenance as memory labels.
    Entity display names, relation ``actor_id`` and ``fact`` are left out: they are "as first
    seen", and which writer comes first legitimately depends on the interleaving.
    """
    memories = Counter(
        (m.metadata.get("writer"), m.metadata.get("batch"), m.text, m.actor_id, m.scope)
        for m in snap.memories.values()
    )
    entities = Counter((e.scope, e.key) for e in snap.entities.values())
    relations: Counter[Any] = Counter()
    for r in snap.relations.values():
        ends = (entity_key(r.source), entity_key(r.target))
        if r.type in SYMMETRIC_TYPES:
            ends = tuple(sorted(ends))  # type: ignore[assignment]
        provenance = frozenset(_label(snap, mid) for mid in r.memory_ids if mid in snap.memories)
        relations[(r.scope, r.type, *ends, r.valid_to is None, provenance)] += 1
    history = Counter(tuple(e.event for e in snap.events_of(mid)) for mid in snap.memories)
    return {"memories": memories, "entities": entities, "relations": relations, "history": history}
