"""Team views over a scope: the timeline, memories grouped by actor, and contribution per actor.

They read what every memory and relation already carries (``actor_id``, ``created_at``), so
they work on any scope and any store, for conversation added with ``add`` and for task and
meeting records alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphmem.collab.tasks import normalise_status
from graphmem.models import MemoryRecord, Scope, entity_key

if TYPE_CHECKING:
    from graphmem.memory import Memory


def timeline(
    memory: Memory, scope: Scope, *, actor: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """The scope's memories oldest first; with ``limit``, the latest ``limit`` of them.

    Each entry: ``{"id", "created_at", "actor_id", "role", "memory", "metadata", "line"}``,
    where ``line`` reads ``"2026-03-02 09:15:04 Alice: Bob and I are building ..."``.
    """
    from graphmem.filters import parse_filters

    tree = parse_filters({"actor_id": actor}) if actor is not None else None
    # newest first with the limit, then reversed: "the last n things that happened", in order
    found = memory.store.list_memories(scope, tree, limit=limit, newest_first=True)
    return [_line(m) for m in reversed(found)]


def _line(m: MemoryRecord) -> dict[str, Any]:
    when = m.created_at[:19].replace("T", " ")
    return {
        "id": m.id, "created_at": m.created_at, "actor_id": m.actor_id, "role": m.role, "memory": m.memory,
        "metadata": m.metadata, "line": f"{when} {m.actor_id or '-'}: {m.memory}",
    }  # fmt: skip


def memories_by_actor(memory: Memory, scope: Scope, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Memories grouped by actor, most active first.

    Returns:
        ``[{"actor_id", "count", "memories": [{"id", "memory", "created_at"}]}]``; ``count`` is every
        memory of the actor, ``memories`` their newest ``limit`` (all without a limit).
    """
    groups: dict[str | None, list[MemoryRecord]] = {}
    for m in memory.store.list_memories(scope, limit=None, newest_first=True):
        groups.setdefault(m.actor_id, []).append(m)
    out: list[dict[str, Any]] = [
        {"actor_id": actor, "count": len(ms),
         "memories": [{"id": m.id, "memory": m.memory, "created_at": m.created_at} for m in ms[:limit]]}
        for actor, ms in groups.items()
    ]  # fmt: skip
    out.sort(key=lambda g: (-g["count"], g["actor_id"] is None, g["actor_id"] or ""))
    return out


def contributions(memory: Memory, scope: Scope) -> list[dict[str, Any]]:
    """Per actor: memories written, facts asserted and tasks completed, most active first.

    ``facts`` counts every relation the actor asserted, closed ones included (a fact someone
    stated that later changed was still their contribution). ``tasks_completed`` counts distinct
    tasks the person COMPLETED, or whose status they set to DONE.

    Returns:
        ``[{"actor_id", "memories", "facts", "tasks_completed", "completed": [task names]}]``.
    """
    rows: dict[str | None, dict[str, Any]] = {}

    def row(actor: str | None) -> dict[str, Any]:
        return rows.setdefault(actor, {"actor_id": actor, "memories": 0, "facts": 0, "tasks_completed": 0,
                                       "completed": {}})  # fmt: skip

    for m in memory.store.list_memories(scope, limit=None):
        row(m.actor_id)["memories"] += 1
    relations = memory.store.relations(scope, include_invalid=True)
    names = {entity_key(a): a for a in rows if a}
    for rel in relations:
        row(rel.actor_id)["facts"] += 1
    for rel in relations:
        if rel.type == "COMPLETED":  # the person who completed it is the source, whoever said so
            who = names.get(entity_key(rel.source), rel.source)
            row(who)["completed"].setdefault(rel.target_id, rel.target)
        elif rel.type == "HAS_STATUS" and normalise_status(rel.target) == "DONE":
            row(rel.actor_id)["completed"].setdefault(rel.source_id, rel.source)
    out = []
    for r in rows.values():
        done = sorted(r.pop("completed").values(), key=str.casefold)
        out.append({**r, "tasks_completed": len(done), "completed": done})
    out.sort(key=lambda r: (-r["memories"], -r["facts"], r["actor_id"] is None, r["actor_id"] or ""))
    return out


def collaborators(memory: Memory, scope: Scope) -> list[dict[str, Any]]:
    """Who works with whom, for every person who spoke or is named in the scope's work relations.

    Returns:
        ``[{"person", "works_with": [{"person", "direct", "shared"}]}]`` (people with nobody left out).
    """
    people: dict[str, str] = {}
    for m in memory.store.list_memories(scope, limit=None, newest_first=False):
        if m.actor_id and m.role == "user":
            people.setdefault(entity_key(m.actor_id), m.actor_id)
    for rel in memory.store.relations(
        scope, types=["WORKS_WITH", "WORKS_ON", "RESPONSIBLE_FOR", "MEMBER_OF"]
    ):
        for name in (rel.source, rel.target) if rel.type == "WORKS_WITH" else (rel.source,):
            people.setdefault(entity_key(name), name)
    kwargs = scope.to_dict()
    out = []
    for person in sorted(people.values(), key=str.casefold):
        mates = memory.who_works_with(person, **kwargs)
        if mates:
            out.append({"person": person, "works_with": mates})
    return out
