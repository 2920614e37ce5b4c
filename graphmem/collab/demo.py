"""The landing-page team scenario (``graphmem demo --team``, and a test).

Four people share the project ``landing-page``: Alice (admin), Bob, Carol and David (members).
They talk, hold a kickoff meeting with action items, move their tasks along, and Bob tries to
delete one of Alice's memories, which his role does not allow. Every step goes through
``memory.as_actor(person)``, so every line printed was checked against a role.

Times are fixed (one working day from 09:00 UTC), so the output is the same on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from graphmem.errors import PermissionDeniedError

if TYPE_CHECKING:
    from graphmem.memory import Memory

RUN = "landing-page"
PEOPLE = ("Alice", "Bob", "Carol", "David")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

#: (minutes after START, speaker, text): the conversation before the kickoff.
CONVERSATION: list[tuple[int, str, str]] = [
    (0, "Alice", "Bob and I are building the new landing page."),
    (5, "Bob", "I'll take the hero section copy."),
    (9, "Carol", "I'll do the screenshots for the new landing page."),
    (14, "David", "Carol and I are working on the landing page analytics."),
    (16, "David", "I'm working on the new landing page too."),
    (20, "Alice", "We decided to use Figma for the mockups."),
]


def run(memory: Memory, echo: Callable[[str], None] = print) -> None:
    """Play the scenario into ``memory`` (replacing an earlier run of it) and print the views."""
    if memory.projects.exists(RUN):
        memory.projects.delete(RUN)
    memory.delete_all(run_id=RUN)
    memory.projects.create(RUN, admin="Alice")
    for person in PEOPLE[1:]:
        memory.projects.add_member(RUN, person, "member")
    alice, bob, carol, david = (memory.as_actor(p) for p in PEOPLE)

    def at(minutes: int) -> datetime:
        return START + timedelta(minutes=minutes)

    for minutes, speaker, text in CONVERSATION:
        memory.as_actor(speaker).add(text, run_id=RUN, timestamp=at(minutes))
    alice.meetings.record(
        RUN, "Landing page kickoff", attendees=list(PEOPLE), agenda=["hero section", "screenshots", "analytics"],
        action_items=[("Bob", "hero section copy"), ("Carol", "screenshots"), ("David", "analytics dashboard")],
        notes="We decided to ship the landing page on Friday.", when=at(30),
    )  # fmt: skip
    alice.tasks.assign(RUN, "pricing table", "Carol", when=at(35))
    alice.tasks.due(RUN, "hero section copy", "2026-03-04", when=at(36))
    alice.tasks.due(RUN, "screenshots", "2026-03-05", when=at(37))
    bob.tasks.set_status(RUN, "hero section copy", "IN_PROGRESS", when=at(60))
    carol.tasks.set_status(RUN, "screenshots", "IN_PROGRESS", when=at(75))
    david.tasks.set_status(RUN, "analytics dashboard", "IN_PROGRESS", when=at(90))
    bob.tasks.set_status(RUN, "hero section copy", "REVIEW", when=at(180))
    david.tasks.set_status(RUN, "analytics dashboard", "DONE", when=at(240))
    bob.tasks.set_status(RUN, "hero section copy", "DONE", when=at(300))

    echo(f"Project {RUN!r}: " + ", ".join(f"{p} ({r})" for p, r in memory.projects.members(RUN).items()))
    decision = next(
        e for e in alice.timeline(run_id=RUN) if e["memory"].startswith("We decided to use Figma")
    )
    try:
        bob.delete(decision["id"])
    except PermissionDeniedError as e:
        echo(
            f"Bob tries to delete Alice's decision: denied, {type(e).__name__} (members delete only their own)"
        )

    echo("\nTimeline")
    for entry in alice.timeline(run_id=RUN):
        echo("  " + entry["line"][11:])
    echo("\nContributions (memories, facts asserted, tasks completed)")
    for c in alice.contributions(run_id=RUN):
        done = f"  [{', '.join(c['completed'])}]" if c["completed"] else ""
        echo(
            f"  {c['actor_id'] or '-':<6} {c['memories']:>3} {c['facts']:>4} {c['tasks_completed']:>3}{done}"
        )
    echo("\nTasks by status")
    tasks = alice.tasks.list(RUN)
    for status in dict.fromkeys(t["status"] for t in tasks):
        echo(f"  {status}")
        for t in (t for t in tasks if t["status"] == status):
            due = f", due {t['due']}" if t["due"] else ""
            echo(f"    {t['task']} ({', '.join(t['assignees']) or 'unassigned'}{due})")
    echo("\nWho works with whom")
    for person in PEOPLE:
        mates = alice.who_works_with(person, run_id=RUN)
        desc = ", ".join(
            f"{w['person']} ({'directly' if w['direct'] else 'via ' + ', '.join(w['shared'])})" for w in mates
        )
        echo(f"  {person:<6} {desc or '-'}")
    echo("\nSummary")
    for line in alice.summary(run_id=RUN, use_llm=False)["text"].splitlines():
        echo("  " + line)
