"""A project summary: deterministic from the graph, and in prose from the LLM when one is configured.

The offline summary is computed, not generated: counts, open tasks, the latest DECIDED facts
and who works with whom, so it is the same every time for the same data and needs no key. The
LLM summary is given that summary and the latest timeline lines, and asked to write a short
status update that cites people by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphmem.collab.tasks import TASK_TYPES, public, task_states
from graphmem.collab.views import collaborators, memories_by_actor, timeline
from graphmem.errors import ConfigError
from graphmem.models import Scope

if TYPE_CHECKING:
    from graphmem.memory import Memory

_SYSTEM = (
    "You write short status updates for a team. Use only the facts given. Name who did or said "
    "what. Cover progress, open tasks with their owners, decisions, and risks if any. At most "
    "eight sentences, no preamble."
)
#: Timeline lines given to the LLM: enough for a status update, bounded for the prompt.
_LLM_LINES = 60


def summarize(
    memory: Memory, scope: Scope, *, use_llm: bool | None = None, recent: int = 5
) -> dict[str, Any]:
    """The summary of ``scope`` (see :meth:`graphmem.memory.Memory.summary`)."""
    by_actor = memories_by_actor(memory, scope, limit=0)
    rels = memory.store.relations(scope, include_invalid=True)
    current = [r for r in rels if r.is_current]
    tasks = [public(t) for t in task_states([r for r in current if r.type in TASK_TYPES])]
    open_tasks = [t for t in tasks if t["status"] != "DONE"]
    decisions = sorted((r for r in current if r.type == "DECIDED"), key=lambda r: r.valid_from, reverse=True)
    recent_decisions = [{"who": r.source, "decision": r.target, "fact": r.fact, "said_by": r.actor_id,
                         "when": r.valid_from} for r in decisions[:recent]]  # fmt: skip
    works = collaborators(memory, scope)
    by_status: dict[str, int] = {}
    for t in tasks:
        by_status[t["status"]] = by_status.get(t["status"], 0) + 1
    counts = {
        "memories": sum(g["count"] for g in by_actor), "actors": sum(1 for g in by_actor if g["actor_id"]),
        "entities": len(memory.store.list_entities(scope)), "relations": len(current),
        "closed_relations": len(rels) - len(current), "tasks": len(tasks), "open_tasks": len(open_tasks),
    }  # fmt: skip
    out: dict[str, Any] = {
        "scope": scope.to_dict(), "counts": counts, "tasks_by_status": by_status,
        "actors": [{"actor_id": g["actor_id"], "memories": g["count"]} for g in by_actor],
        "open_tasks": open_tasks, "recent_decisions": recent_decisions,
        "collaborators": [{"person": w["person"], "works_with": [x["person"] for x in w["works_with"]]} for w in works],
    }  # fmt: skip
    out["text"] = _render(out)
    if use_llm is None:
        use_llm = memory.llm is not None
    if use_llm:
        if memory.llm is None:
            raise ConfigError("an LLM summary needs an llm in the config")
        lines = [e["line"] for e in timeline(memory, scope, limit=_LLM_LINES)]
        messages = [
            {"role": "system", "content": _SYSTEM},
            {
                "role": "user",
                "content": out["text"] + "\n\nLatest messages, oldest first:\n" + "\n".join(lines),
            },
        ]
        text, usage = memory.llm.complete_text(messages)
        out["llm_summary"] = text.strip()
        out["usage"] = usage.to_dict() if hasattr(usage, "to_dict") else usage
    return out


def _render(s: dict[str, Any]) -> str:
    c = s["counts"]
    where = ", ".join(f"{k}={v}" for k, v in s["scope"].items())
    lines = [
        f"Summary of {where}: {c['memories']} memories from {c['actors']} people, {c['relations']} current facts "
        f"({c['closed_relations']} superseded), {c['tasks']} tasks ({c['open_tasks']} open).",
    ]
    if s["actors"]:
        lines.append(
            "Most active: "
            + ", ".join(f"{a['actor_id']} ({a['memories']})" for a in s["actors"] if a["actor_id"])
            + "."
        )
    if s["open_tasks"]:
        lines.append("Open tasks:")
        for t in s["open_tasks"]:
            who = ", ".join(t["assignees"]) or "unassigned"
            due = f", due {t['due']}" if t["due"] else ""
            lines.append(f"  - {t['task']} [{t['status']}] ({who}{due})")
    if s["recent_decisions"]:
        lines.append("Recent decisions:")
        lines.extend(f"  - {d['fact']} ({d['when'][:10]})" for d in s["recent_decisions"])
    if s["collaborators"]:
        lines.append("Who works with whom:")
        lines.extend(f"  - {w['person']}: {', '.join(w['works_with'])}" for w in s["collaborators"])
    return "\n".join(lines)
