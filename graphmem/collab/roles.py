"""Projects and roles: who may read and write a shared ``run_id``.

A project is a ``run_id`` with members, each an ``admin``, a ``member`` or a ``viewer``. The
roles are small JSON documents in the store itself (kind ``"project_member"``, one per member),
written through :class:`~graphmem.stores.base.WriteBatch`, so they survive restarts, are written
atomically on every store and travel with ``export`` / ``import_``.

One document per member rather than one per project: two processes adding different members
at the same moment then write different documents instead of racing on one.

Plain :class:`~graphmem.memory.Memory` never looks at roles (mem0 behaviour). The rules apply
to a memory acting for a principal (``memory.as_actor("Bob")``); :class:`Access` holds them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar

from graphmem.errors import InvalidInputError, PermissionDeniedError, ProjectNotFoundError
from graphmem.models import MemoryRecord, Scope, utcnow
from graphmem.stores.base import WriteBatch

if TYPE_CHECKING:
    from graphmem.memory import Memory

Role = Literal["admin", "member", "viewer"]
#: Every role, strongest first.
ROLES: tuple[Role, ...] = ("admin", "member", "viewer")
#: The document kind holding one project membership.
MEMBER_KIND = "project_member"
_RANK = {"viewer": 1, "member": 2, "admin": 3}


class _HasMemory(Protocol):
    _m: Memory


_Self = TypeVar("_Self", bound=_HasMemory)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def member_key(run_id: str, principal: str) -> str:
    """The document key of one membership (JSON, so no separator can be forged by a name)."""
    return json.dumps([run_id, principal], ensure_ascii=False)


def locked(method: Callable[Concatenate[_Self, _P], _R]) -> Callable[Concatenate[_Self, _P], _R]:
    """Run a team write under the memory's write lock, so the role check and the write it allows
    see the same roles (the lock is reentrant: the write inside takes it again)."""

    @functools.wraps(method)
    def run(self: _Self, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._m._write_lock:
            return method(self, *args, **kwargs)

    return run


def check_role(role: Any) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise InvalidInputError(f"role must be one of {', '.join(ROLES)}; got {role!r}")


class Projects:
    """Project membership, read and written through the store's documents.

    Reached as ``memory.projects`` (no checks: the operator's view) or
    ``memory.as_actor(p).projects`` (``actor`` set: changing members needs admin, reading them
    needs membership, and a principal may only create a project on a run that holds no memories).

    Example:
        >>> m.projects.create("landing-page", admin="Alice")  # doctest: +SKIP
        >>> m.projects.add_member("landing-page", "Bob", "member")  # doctest: +SKIP
        >>> m.projects.role_of("landing-page", "Bob")  # doctest: +SKIP
        'member'
    """

    def __init__(self, memory: Memory, actor: str | None = None) -> None:
        self._m = memory
        self._actor = actor

    # ---- reads -----------------------------------------------------------------------------
    def members(self, run_id: str) -> dict[str, str]:
        """principal -> role for every member of the project (``{}`` when it is not a project)."""
        run_id = self._run(run_id)
        found = _members(self._m, run_id)
        if self._actor is not None and self._actor not in found:
            raise PermissionDeniedError(f"{self._actor!r} is not a member of project {run_id!r}")
        return found

    def role_of(self, run_id: str, principal: str) -> str | None:
        """The principal's role in the project, or ``None`` when they are not a member."""
        run_id, principal = self._run(run_id), self._principal(principal)
        if self._actor is not None and principal != self._actor:
            self.members(run_id)  # reading another member's role needs membership
        return role_of(self._m, run_id, principal)

    def projects_of(self, principal: str) -> dict[str, str]:
        """run_id -> role for every project the principal belongs to."""
        principal = self._principal(principal)
        if self._actor is not None and principal != self._actor:
            raise PermissionDeniedError(f"{self._actor!r} may only list their own projects")
        docs = self._m.store.get_docs(MEMBER_KIND)
        return {d["run_id"]: d["role"] for d in docs.values() if d.get("principal") == principal}

    def exists(self, run_id: str) -> bool:
        """True when ``run_id`` has members, which makes it a project."""
        return bool(_members(self._m, self._run(run_id)))

    # ---- writes ----------------------------------------------------------------------------
    def create(self, run_id: str, *, admin: str) -> dict[str, str]:
        """Make ``run_id`` a project with ``admin`` as its first admin.

        Returns:
            The members (``{admin: "admin"}``).

        Raises:
            InvalidInputError: the run already is a project.
            PermissionDeniedError: acting for a principal, ``admin`` is someone else, or the run
                already holds memories (claiming it would hand its authors' memories to a new admin).
        """
        run_id, admin = self._run(run_id), self._principal(admin)
        with self._m._write_lock:
            if _members(self._m, run_id):
                raise InvalidInputError(f"{run_id!r} already is a project")
            if self._actor is not None:
                if admin != self._actor:
                    raise PermissionDeniedError(
                        f"{self._actor!r} may only create a project with themselves as admin"
                    )
                if self._m.store.count_memories(Scope(run_id=run_id)):
                    raise PermissionDeniedError(
                        f"run {run_id!r} already holds memories; only an operator (a Memory without a "
                        "principal) can turn it into a project"
                    )
            self._put(run_id, admin, "admin")
        return {admin: "admin"}

    def add_member(self, run_id: str, principal: str, role: str) -> dict[str, str]:
        """Add a member with ``role``; returns the members.

        Raises:
            ProjectNotFoundError: the run is not a project.
            InvalidInputError: already a member (use :meth:`set_role`) or an unknown role.
            PermissionDeniedError: acting for a principal who is not an admin of the project.
        """
        run_id, principal, new = self._run(run_id), self._principal(principal), check_role(role)
        with self._m._write_lock:
            members = self._admin_view(run_id)
            if principal in members:
                raise InvalidInputError(f"{principal!r} already is a member of {run_id!r}; use set_role")
            self._put(run_id, principal, new)
            return {**members, principal: new}

    def set_role(self, run_id: str, principal: str, role: str) -> dict[str, str]:
        """Change a member's role; returns the members.

        Raises:
            ProjectNotFoundError, PermissionDeniedError: as :meth:`add_member`.
            InvalidInputError: not a member, an unknown role, or it would leave no admin.
        """
        run_id, principal, new = self._run(run_id), self._principal(principal), check_role(role)
        with self._m._write_lock:
            members = self._admin_view(run_id)
            if principal not in members:
                raise InvalidInputError(f"{principal!r} is not a member of {run_id!r}; use add_member")
            if new != "admin":
                _keep_an_admin(members, principal, run_id)
            if members[principal] != new:
                self._put(run_id, principal, new)
            return {**members, principal: new}

    def remove_member(self, run_id: str, principal: str) -> dict[str, str]:
        """Remove a member (their memories stay); returns the remaining members.

        Raises:
            ProjectNotFoundError, PermissionDeniedError: as :meth:`add_member`.
            InvalidInputError: not a member, or the last admin.
        """
        run_id, principal = self._run(run_id), self._principal(principal)
        with self._m._write_lock:
            members = self._admin_view(run_id)
            if principal not in members:
                raise InvalidInputError(f"{principal!r} is not a member of {run_id!r}")
            _keep_an_admin(members, principal, run_id)
            self._m.store.apply(WriteBatch(docs_delete=[(MEMBER_KIND, member_key(run_id, principal))]))
            return {p: r for p, r in members.items() if p != principal}

    def delete(self, run_id: str) -> None:
        """Remove every membership: the run stops being a project. Its memories stay.

        Raises:
            ProjectNotFoundError: the run is not a project.
            PermissionDeniedError: acting for a principal who is not an admin of the project.
        """
        run_id = self._run(run_id)
        with self._m._write_lock:
            members = self._admin_view(run_id)
            gone = [(MEMBER_KIND, member_key(run_id, p)) for p in members]
            self._m.store.apply(WriteBatch(docs_delete=gone))

    # ---- helpers ---------------------------------------------------------------------------
    def _admin_view(self, run_id: str) -> dict[str, str]:
        members = _members(self._m, run_id)
        if not members:
            raise ProjectNotFoundError(f"{run_id!r} is not a project")
        if self._actor is not None and members.get(self._actor) != "admin":
            raise PermissionDeniedError(f"changing the members of {run_id!r} needs the admin role")
        return members

    def _put(self, run_id: str, principal: str, role: Role) -> None:
        doc = {"run_id": run_id, "principal": principal, "role": role, "updated_at": utcnow(),
               "updated_by": self._actor}  # fmt: skip
        self._m.store.apply(WriteBatch(docs_put=[(MEMBER_KIND, member_key(run_id, principal), doc)]))

    def _run(self, run_id: Any) -> str:
        scope, _ = self._m._scope(None, None, run_id)
        assert scope.run_id is not None
        return scope.run_id

    def _principal(self, principal: Any) -> str:
        return check_principal(self._m, principal)


def check_principal(memory: Memory, principal: Any) -> str:
    """A principal is a non-empty id-sized string (the same rule as a message ``name``)."""
    if not isinstance(principal, str) or not principal.strip():
        raise InvalidInputError(f"a principal must be a non-empty string, got {principal!r}")
    if len(principal) > memory.config.limits.max_id_chars:
        raise InvalidInputError(f"a principal is longer than {memory.config.limits.max_id_chars} characters")
    return principal


def _members(memory: Memory, run_id: str) -> dict[str, str]:
    docs = memory.store.get_docs(MEMBER_KIND)
    return {d["principal"]: d["role"] for d in docs.values() if d.get("run_id") == run_id}


def role_of(memory: Memory, run_id: str, principal: str) -> str | None:
    doc = memory.store.get_docs(MEMBER_KIND, [member_key(run_id, principal)]).get(
        member_key(run_id, principal)
    )
    return None if doc is None else str(doc["role"])


def _keep_an_admin(members: dict[str, str], leaving: str, run_id: str) -> None:
    if members.get(leaving) == "admin" and sum(r == "admin" for r in members.values()) == 1:
        raise InvalidInputError(f"{leaving!r} is the last admin of {run_id!r}; a project keeps at least one")


class Access:
    """The permission rules for one principal (see ``ActingMemory`` for the full statement).

    The effective role on a scope or memory is, in order:

    1. its ``run_id`` is a project: the principal's role there (``None`` for non-members);
    2. otherwise it is personal (``user_id`` is the principal, or no ``user_id`` and ``agent_id``
       is the principal): ``"admin"``, since it is the principal's own memory;
    3. otherwise ``None``.

    ``viewer`` reads; ``member`` also adds, and edits or deletes memories whose ``actor_id`` is
    the principal; ``admin`` does everything. ``None`` does nothing.
    """

    def __init__(self, memory: Memory, principal: str) -> None:
        self._m = memory
        self.principal = principal

    def role(self, scope: Scope) -> str | None:
        if scope.run_id is not None:
            role = role_of(self._m, scope.run_id, self.principal)
            if role is not None or _members(self._m, scope.run_id):
                return role
        if scope.user_id == self.principal or (scope.user_id is None and scope.agent_id == self.principal):
            return "admin"
        return None

    def require(self, scope: Scope, needed: Role, action: str) -> str:
        """The principal's role on ``scope`` if it is at least ``needed``, else PermissionDeniedError."""
        role = self.role(scope)
        if role is None or _RANK[role] < _RANK[needed]:
            where = f"project {scope.run_id!r}" if scope.run_id and role is not None else _describe(scope)
            held = f"the {role} role" if role else "no role"
            raise PermissionDeniedError(f"{self.principal!r} has {held} on {where}; {action} needs {needed}")
        return role

    def require_record(self, record: MemoryRecord, action: str, *, write: bool) -> None:
        """Reading needs any role; editing needs admin, or member when the principal is the actor."""
        if not write:
            self.require(record.scope, "viewer", action)
            return
        role = self.require(record.scope, "member", action)
        if role != "admin" and record.actor_id != self.principal:
            raise PermissionDeniedError(
                f"{self.principal!r} may {action} only their own memories; {record.id!r} is by {record.actor_id!r}"
            )


def _describe(scope: Scope) -> str:
    return "the scope " + ", ".join(f"{k}={v!r}" for k, v in scope.items())
