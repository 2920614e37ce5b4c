"""Tasks on the graph vocabulary: RESPONSIBLE_FOR (who), HAS_STATUS (where it stands), DUE_ON (when).

Every change is an attributed memory ("Task hero copy status: DONE", said by whoever changed
it) whose facts are stated explicitly rather than extracted (see :mod:`graphmem.collab._write`).
HAS_STATUS and DUE_ON are functional: a new status closes the current one, which stays
queryable with ``relations(include_invalid=True)`` or ``as_of=``.

Tasks that came from conversation ("I'll take the hero section copy", "Finished the draft")
are tasks too: anything a RESPONSIBLE_FOR or COMPLETED points at, or that has a HAS_STATUS or
DUE_ON. Free-text statuses are mapped onto the four states where they mean one of them.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from graphmem.collab._write import Fact, Record, write_records
from graphmem.collab.roles import Access, check_principal, locked
from graphmem.errors import InvalidInputError, PermissionDeniedError
from graphmem.models import Relation, Scope, entity_key
from graphmem.pipeline import _input as check

if TYPE_CHECKING:
    from graphmem.memory import Memory

#: The task states, in workflow order.
TASK_STATUSES = ("TODO", "IN_PROGRESS", "REVIEW", "DONE")
#: The status entity each state is written as: the offline extractor's spelling, so "the hero
#: copy is done" said in conversation and ``set_status(..., "DONE")`` resolve to one entity.
STATUS_NAMES = {"TODO": "to do", "IN_PROGRESS": "in progress", "REVIEW": "in review", "DONE": "done"}
_FROM_TEXT = {
    "to do": "TODO", "todo": "TODO", "not started": "TODO", "open": "TODO", "pending": "TODO",
    "in progress": "IN_PROGRESS", "in_progress": "IN_PROGRESS", "started": "IN_PROGRESS",
    "in review": "REVIEW", "ready for review": "REVIEW", "review": "REVIEW",
    "done": "DONE", "complete": "DONE", "completed": "DONE", "finished": "DONE", "closed": "DONE",
    "resolved": "DONE", "shipped": "DONE", "merged": "DONE",
}  # fmt: skip
TASK_TYPES = ("RESPONSIBLE_FOR", "HAS_STATUS", "DUE_ON", "COMPLETED")


def normalise_status(name: str) -> str:
    """A status entity's name as one of :data:`TASK_STATUSES` where it means one, else UPPER_SNAKE."""
    key = " ".join(name.casefold().replace("_", " ").split())
    return _FROM_TEXT.get(key, key.upper().replace(" ", "_"))


class Tasks:
    """Assign tasks, move them through TODO / IN_PROGRESS / REVIEW / DONE, give them due dates.

    Reached as ``memory.tasks`` (``by=`` names who made the change) or
    ``memory.as_actor(p).tasks`` (``by`` defaults to the principal; changing a task needs the
    member role, and ``by=`` someone else needs admin).

    Example:
        >>> m.tasks.assign("landing-page", "hero copy", "Bob", by="Alice")  # doctest: +SKIP
        >>> m.tasks.set_status("landing-page", "hero copy", "DONE", by="Bob")  # doctest: +SKIP
        >>> m.tasks.list("landing-page", status="DONE")  # doctest: +SKIP
    """

    def __init__(self, memory: Memory, actor: str | None = None) -> None:
        self._m = memory
        self._access = Access(memory, actor) if actor is not None else None

    @locked
    def assign(self, run_id: str, task: str, assignee: str, *, by: str | None = None,
               when: datetime | str | float | None = None) -> dict[str, Any]:  # fmt: skip
        """Make ``assignee`` responsible for ``task`` (a task may have several assignees).

        A task with no status yet starts at TODO.

        Returns:
            The task as :meth:`list` shows it, plus ``memory_id`` of the memory recording the change.
        """
        scope, actor = self._change(run_id, by)
        task, assignee = self._text(task, "task"), check_principal(self._m, assignee)
        facts = [
            Fact(assignee, "PERSON", "RESPONSIBLE_FOR", task, "TASK", f"{assignee} is responsible for {task}")
        ]
        if not has_status(self._m, scope, task):
            facts.append(_status_fact(task, "TODO"))
        meta = {"kind": "task_assign", "task": task, "assignee": assignee}
        return self._write(scope, task, f"Task {task} assigned to {assignee}.", actor, meta, facts, when)

    @locked
    def set_status(self, run_id: str, task: str, status: str, *, by: str | None = None,
                   when: datetime | str | float | None = None) -> dict[str, Any]:  # fmt: skip
        """Move ``task`` to ``status`` (one of TODO, IN_PROGRESS, REVIEW, DONE); the previous
        status is closed, not deleted."""
        scope, actor = self._change(run_id, by)
        task = self._text(task, "task")
        if status not in TASK_STATUSES:
            raise InvalidInputError(f"status must be one of {', '.join(TASK_STATUSES)}; got {status!r}")
        meta = {"kind": "task_status", "task": task, "status": status}
        return self._write(
            scope, task, f"Task {task} status: {status}", actor, meta, [_status_fact(task, status)], when
        )

    @locked
    def due(self, run_id: str, task: str, due: date | str, *, by: str | None = None,
            when: datetime | str | float | None = None) -> dict[str, Any]:  # fmt: skip
        """Set ``task``'s due date (a ``date``, a ``datetime`` or an ISO ``YYYY-MM-DD`` string)."""
        scope, actor = self._change(run_id, by)
        task, day = self._text(task, "task"), _iso_day(due)
        fact = Fact(task, "TASK", "DUE_ON", day, "DATE", f"{task} is due on {day}")
        return self._write(scope, task, f"Task {task} due on {day}.", actor, {"kind": "task_due", "task": task,
                           "due": day}, [fact], when)  # fmt: skip

    def get(self, run_id: str, task: str) -> dict[str, Any] | None:
        """One task as :meth:`list` shows it, or ``None`` when nothing in the run names it."""
        scope = self._read(run_id)
        return self._state(scope, self._text(task, "task"))

    def list(
        self, run_id: str, status: str | None = None, assignee: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Tasks of the run, by status (workflow order), then due date, then name.

        Args:
            status: only tasks in this state (one of TODO, IN_PROGRESS, REVIEW, DONE, or another
                status a conversation gave, upper-snake).
            assignee: only tasks this person is responsible for.

        Returns:
            ``[{"task", "status", "assignees", "due", "updated_at", "updated_by"}]``.
        """
        scope = self._read(run_id)
        found = task_states(self._m.store.relations(scope, types=list(TASK_TYPES)))
        if status is not None:
            found = [t for t in found if t["status"] == normalise_status(status)]
        if assignee is not None:
            key = entity_key(assignee)
            found = [t for t in found if key in {entity_key(a) for a in t["assignees"]}]
        return [public(t) for t in found]

    # ---- helpers ---------------------------------------------------------------------------
    def _read(self, run_id: str) -> Scope:
        scope, _ = self._m._scope(None, None, run_id)
        if self._access is not None:
            self._access.require(scope, "viewer", "reading tasks")
        return scope

    def _change(self, run_id: str, by: str | None) -> tuple[Scope, str]:
        scope, _ = self._m._scope(None, None, run_id)
        if self._access is None:
            if by is None:
                raise InvalidInputError("by= must name who made the change")
            return scope, check_principal(self._m, by)
        role = self._access.require(scope, "member", "changing a task")
        actor = self._access.principal if by is None else check_principal(self._m, by)
        if actor != self._access.principal and role != "admin":
            raise PermissionDeniedError(
                f"{self._access.principal!r} may not record changes by {actor!r}; that needs admin"
            )
        return scope, actor

    def _text(self, value: Any, what: str) -> str:
        return check.check_text(value, what, self._m.config.limits).strip()

    def _state(self, scope: Scope, task: str) -> dict[str, Any] | None:
        ents = self._m.store.find_entities(scope, [entity_key(task)])
        if not ents:
            return None
        rels = self._m.store.relations(scope, entity_ids=[e.id for e in ents], types=list(TASK_TYPES))
        ids = {e.id for e in ents}
        states = [t for t in task_states(rels) if t["_id"] in ids]
        return public(states[0]) if states else None

    def _write(self, scope: Scope, task: str, text: str, actor: str, meta: dict[str, Any], facts: builtins.list[Fact],
               when: datetime | str | float | None) -> dict[str, Any]:  # fmt: skip
        out = write_records(self._m, scope, [Record(text, actor, meta, facts)], check.check_timestamp(when))
        state = self._state(scope, task) or {}
        return {**state, "memory_id": out["results"][0]["id"]}


def has_status(memory: Memory, scope: Scope, task: str) -> bool:
    """True when the task has a current HAS_STATUS (one said in conversation counts)."""
    ids = [e.id for e in memory.store.find_entities(scope, [entity_key(task)])]
    return bool(ids) and bool(memory.store.relations(scope, source_ids=ids, types=["HAS_STATUS"], limit=1))


def _status_fact(task: str, status: str) -> Fact:
    return Fact(task, "TASK", "HAS_STATUS", STATUS_NAMES[status], "STATUS", f"{task} status: {status}")


def _iso_day(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise InvalidInputError(f"a due date must be a date or an ISO YYYY-MM-DD string, got {value!r}")


_ORDER = {s: i for i, s in enumerate(TASK_STATUSES)}


def public(task: dict[str, Any]) -> dict[str, Any]:
    """A task state without its private keys (the entity id used to match it)."""
    return {k: v for k, v in task.items() if not k.startswith("_")}


def task_states(relations: builtins.list[Relation]) -> builtins.list[dict[str, Any]]:
    """Every task the current ``relations`` talk about, with its state (see the module docstring)."""
    tasks: dict[str, dict[str, Any]] = {}

    def entry(entity_id: str, name: str, rel: Relation) -> dict[str, Any]:
        t = tasks.setdefault(entity_id, {"task": name, "status": None, "assignees": [], "due": None,
                                         "updated_at": "", "updated_by": None, "_id": entity_id, "_done": False})  # fmt: skip
        if rel.valid_from > t["updated_at"]:
            t["updated_at"], t["updated_by"] = rel.valid_from, rel.actor_id
        return t

    for rel in sorted(relations, key=lambda r: r.valid_from):
        if not rel.is_current:
            continue
        if rel.type == "RESPONSIBLE_FOR":
            t = entry(rel.target_id, rel.target, rel)
            if rel.source not in t["assignees"]:
                t["assignees"].append(rel.source)
        elif rel.type == "COMPLETED":
            entry(rel.target_id, rel.target, rel)["_done"] = True
        elif rel.type == "HAS_STATUS":
            entry(rel.source_id, rel.source, rel)["status"] = normalise_status(rel.target)
        elif rel.type == "DUE_ON":
            entry(rel.source_id, rel.source, rel)["due"] = rel.target
    out = []
    for t in tasks.values():
        if t["status"] is None:  # said in conversation only: "finished X" means done
            t["status"] = "DONE" if t["_done"] else "TODO"
        del t["_done"]
        out.append(t)
    out.sort(key=lambda t: (_ORDER.get(t["status"], len(_ORDER)), t["due"] or "9999", t["task"].casefold()))
    return out
