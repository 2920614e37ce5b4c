"""The team layer: projects with enforced roles, timelines and contribution, tasks and meetings,
summaries, backup and restore, health.

Everything here is reached through :class:`~graphmem.memory.Memory` (``memory.projects``,
``memory.as_actor(p)``, ``memory.timeline(...)``, ``memory.export(...)``, ...) and is built on the
Store contract only, so it works the same on every store.
"""

from __future__ import annotations

from graphmem.collab.acting import ActingMemory
from graphmem.collab.meetings import Meetings
from graphmem.collab.roles import ROLES, Projects
from graphmem.collab.tasks import TASK_STATUSES, Tasks

__all__ = ["ROLES", "TASK_STATUSES", "ActingMemory", "Meetings", "Projects", "Tasks"]
