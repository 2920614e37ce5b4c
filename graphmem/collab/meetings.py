"""Meeting notes as attributed memories linked to the people in them.

A meeting is one memory stating who ATTENDED it (person -> meeting), which agenda items were
PART_OF it, and each action item as RESPONSIBLE_FOR (person -> task), so action items are
tasks like any other (:mod:`graphmem.collab.tasks`), starting at TODO. Free-text notes are a
second memory that goes through the extractor as a conversation would ("we decided to use
Figma" becomes a DECIDED fact). Both are written in one transaction.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graphmem.collab._write import Fact, Record, write_records
from graphmem.collab.roles import Access, check_principal, locked
from graphmem.collab.tasks import _status_fact, has_status
from graphmem.errors import InvalidInputError, PermissionDeniedError
from graphmem.filters import parse_filters
from graphmem.models import Scope
from graphmem.pipeline import _input as check

if TYPE_CHECKING:
    from graphmem.memory import Memory

_KIND_MEETING = parse_filters({"kind": "meeting"})


class Meetings:
    """Record meetings and list them.

    Reached as ``memory.meetings`` (``by=`` names who took the notes) or
    ``memory.as_actor(p).meetings`` (the member role; ``by`` defaults to the principal).

    Example:
        >>> m.meetings.record("landing-page", "Kickoff", attendees=["Alice", "Bob"],
        ...                   agenda=["scope"], action_items=[("Bob", "hero copy")], by="Alice")  # doctest: +SKIP
    """

    def __init__(self, memory: Memory, actor: str | None = None) -> None:
        self._m = memory
        self._access = Access(memory, actor) if actor is not None else None

    @locked
    def record(
        self,
        run_id: str,
        title: str,
        *,
        attendees: Sequence[str],
        agenda: Sequence[str] = (),
        action_items: Sequence[tuple[str, str]] = (),
        notes: str | None = None,
        by: str | None = None,
        when: datetime | str | float | None = None,
    ) -> dict[str, Any]:
        """Store a meeting: attendance, agenda, action items (person, task) and optional notes.

        Returns:
            ``{"meeting": title, "memory_ids": [...], "relations": {"added", "invalidated"}}``.

        Raises:
            InvalidInputError: no attendees, an empty name or item, or ``by`` missing on a plain Memory.
            PermissionDeniedError: acting for a principal without the member role, or ``by`` someone
                else without admin.
        """
        scope, _ = self._m._scope(None, None, run_id)
        actor = self._author(scope, by)
        limits = self._m.config.limits
        title = check.check_text(title, "title", limits).strip()
        people = [check_principal(self._m, a) for a in attendees] if not isinstance(attendees, str) else []
        if not people:
            raise InvalidInputError("a meeting needs at least one attendee (a list of names)")
        items = [check.check_text(a, "agenda item", limits).strip() for a in agenda]
        actions = [(check_principal(self._m, p), check.check_text(t, "action item", limits).strip())
                   for p, t in _pairs(action_items)]  # fmt: skip

        facts = [Fact(p, "PERSON", "ATTENDED", title, "MEETING", f"{p} attended {title}") for p in people]
        facts += [
            Fact(i, "TOPIC", "PART_OF", title, "MEETING", f"{i} was on the agenda of {title}") for i in items
        ]
        for person, task in actions:
            facts.append(
                Fact(person, "PERSON", "RESPONSIBLE_FOR", task, "TASK", f"{person} is responsible for {task}")
            )
            if not has_status(self._m, scope, task):
                facts.append(_status_fact(task, "TODO"))
        text = f"Meeting {title}: attended by {', '.join(people)}."
        if items:
            text += " Agenda: " + "; ".join(items) + "."
        if actions:
            text += " Action items: " + "; ".join(f"{p}: {t}" for p, t in actions) + "."
        meta = {"kind": "meeting", "title": title, "attendees": people, "agenda": items,
                "action_items": [[p, t] for p, t in actions]}  # fmt: skip
        records = [Record(text, actor, meta, facts)]
        if notes is not None:
            body = check.check_text(notes, "notes", limits)
            records.append(Record(body, actor, {"kind": "meeting_notes", "title": title}, extract=True))
        out = write_records(self._m, scope, records, check.check_timestamp(when))
        return {
            "meeting": title,
            "memory_ids": [r["id"] for r in out["results"]],
            "relations": out["relations"],
        }

    def list(self, run_id: str) -> builtins.list[dict[str, Any]]:
        """Meetings of the run, oldest first: ``[{"title", "when", "by", "attendees", "agenda",
        "action_items", "memory_id"}]``."""
        scope, _ = self._m._scope(None, None, run_id)
        if self._access is not None:
            self._access.require(scope, "viewer", "reading meetings")
        found = self._m.store.list_memories(scope, _KIND_MEETING, limit=None, newest_first=False)
        return [
            {"title": m.metadata.get("title"), "when": m.created_at, "by": m.actor_id,
             "attendees": m.metadata.get("attendees", []), "agenda": m.metadata.get("agenda", []),
             "action_items": [tuple(a) for a in m.metadata.get("action_items", [])], "memory_id": m.id}
            for m in found
        ]  # fmt: skip

    def _author(self, scope: Scope, by: str | None) -> str:
        if self._access is None:
            if by is None:
                raise InvalidInputError("by= must name who took the notes")
            return check_principal(self._m, by)
        role = self._access.require(scope, "member", "recording a meeting")
        actor = self._access.principal if by is None else check_principal(self._m, by)
        if actor != self._access.principal and role != "admin":
            raise PermissionDeniedError(
                f"{self._access.principal!r} may not record notes as {actor!r}; that needs admin"
            )
        return actor


def _pairs(items: Any) -> list[tuple[Any, Any]]:
    out = []
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise InvalidInputError(f"an action item is a (person, task) pair, got {item!r}")
        out.append((item[0], item[1]))
    return out
