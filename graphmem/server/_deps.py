"""What every route needs: the services, the authenticated caller, and the project checks.

Authorization has two layers. The server makes sure a request only ever touches projects the
caller belongs to: every memory call is scoped by a ``run_id`` (a project) whose member the
caller is, and a memory addressed by id must live in one of the caller's projects (else it is
"not found", so ids in other projects are not even confirmed to exist). Within a project, the
team layer decides: each call runs through ``memory.as_actor(principal)``, which raises
``PermissionDeniedError`` (403) when the caller's role does not allow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from graphmem.errors import MemoryNotFoundError, PermissionDeniedError, ScopeRequiredError
from graphmem.models import SCOPE_KEYS
from graphmem.server.auth import ApiKeys, Principal
from graphmem.server.limits import TokenBucket
from graphmem.server.webhooks import Webhooks

if TYPE_CHECKING:
    from graphmem.memory import Memory
    from graphmem.server.app import ServerSettings

#: ``Authorization: Token <key>`` (mem0's scheme) or ``Authorization: Bearer <key>``.
api_key_header = APIKeyHeader(
    name="Authorization", auto_error=False, scheme_name="ApiKey",
    description="`Token <key>` or `Bearer <key>`; keys come from `graphmem keys create`.",
)  # fmt: skip


class Unauthenticated(Exception):
    """No key, a malformed one, or one that is unknown or revoked: HTTP 401."""


class RateLimited(Exception):
    """The key's token bucket is empty: HTTP 429 with ``Retry-After``."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limit exceeded; retry in {wait:.2f} s")
        self.wait = wait


@dataclass
class Services:
    """The long-lived objects of one server."""

    memory: Memory
    settings: ServerSettings
    keys: ApiKeys
    webhooks: Webhooks
    limiter: TokenBucket


@dataclass
class Caller:
    """The authenticated principal of a request, with the checks routes make on its behalf."""

    principal: Principal
    svc: Services

    @property
    def name(self) -> str:
        return self.principal.name

    @cached_property
    def acting(self) -> Any:
        """The team layer's Memory acting for this principal (roles enforced on every call)."""
        return self.svc.memory.as_actor(self.principal.name)

    @property
    def projects(self) -> Any:
        """Membership as the operator sees it (no checks): for the server's own lookups."""
        return self.svc.memory.projects

    @property
    def team(self) -> Any:
        """Membership to change on the caller's behalf: the team layer's checked view (changing
        members needs admin), or the operator's view for an admin key."""
        return self.projects if self.principal.admin else self.acting.projects

    def role(self, project_id: str) -> str | None:
        role: str | None = self.projects.role_of(project_id, self.principal.name)
        return role

    def require_member(self, project_id: str) -> str:
        """The caller's role in the project.

        Raises:
            PermissionDeniedError: the caller is not a member.
        """
        role = self.role(project_id)
        if role is None:
            raise PermissionDeniedError(f"{self.name!r} is not a member of project {project_id!r}")
        return role

    def require_admin(self, project_id: str) -> None:
        if self.require_member(project_id) != "admin":
            raise PermissionDeniedError(f"{self.name!r} is not an admin of project {project_id!r}")

    def reach(self, memory_id: str) -> dict[str, Any]:
        """A memory the caller may address: it must live in one of the caller's projects.

        Raises:
            MemoryNotFoundError: no such memory, or it lies outside the caller's projects.
        """
        found: dict[str, Any] = self.svc.memory.get(memory_id)
        project = found.get("run_id")
        if not project or self.role(project) is None:
            raise MemoryNotFoundError(f"no memory with id {memory_id!r}")
        return found

    def scope(
        self, user_id: str | None, agent_id: str | None, run_id: str | None,
        filters: dict[str, Any] | None = None,
    ) -> tuple[dict[str, str], dict[str, Any] | None]:  # fmt: skip
        """The call's scope keys and remaining filters; the run must be one of the caller's projects.

        Scope ids may come as arguments or, mem0 v2 style, inside ``filters`` (top level or as
        ``{"AND": [{"run_id": ...}, ...]}``).

        Raises:
            ScopeRequiredError: no ``run_id``: through the server every call is scoped to a project.
            PermissionDeniedError: the caller is not a member of that project.
        """
        given = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
        if not any(given.values()) and isinstance(filters, dict):
            lifted, filters = lift_scope(filters)
            given.update(lifted)
        if not given["run_id"]:
            raise ScopeRequiredError(
                "run_id is required: through the server every call is scoped to a project"
            )
        self.require_member(str(given["run_id"]))
        return {k: v for k, v in given.items() if v}, filters


def lift_scope(filters: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any] | None]:
    """Split scope ids out of a mem0 v2 filter: top-level keys and plain equalities under AND."""
    lifted = {k: filters[k] for k in SCOPE_KEYS if isinstance(filters.get(k), str)}
    rest = {k: v for k, v in filters.items() if k not in lifted}
    clauses = rest.get("AND")
    if isinstance(clauses, list):
        kept = []
        for clause in clauses:
            if isinstance(clause, dict) and len(clause) == 1:
                ((key, value),) = clause.items()
                if key in SCOPE_KEYS and isinstance(value, str) and key not in lifted:
                    lifted[key] = value
                    continue
            kept.append(clause)
        if kept:
            rest["AND"] = kept
        else:
            del rest["AND"]
    return lifted, rest or None


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def caller(request: Request, authorization: str | None = Security(api_key_header)) -> Caller:
    """The FastAPI dependency of every authenticated route: check the key, then the rate limit."""
    svc = services(request)
    token = _token(authorization)
    principal = svc.keys.authenticate(token) if token else None
    if principal is None:
        raise Unauthenticated("missing or invalid API key")
    request.state.principal = principal.name
    request.state.key_id = principal.key_id
    wait = svc.limiter.take(principal.key_id)
    if wait > 0:
        raise RateLimited(wait)
    return Caller(principal, svc)


def _token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() in ("token", "bearer") and value.strip():
        return value.strip()
    return None


#: The authenticated caller of a route (``c: CallerDep``).
CallerDep = Annotated[Caller, Depends(caller)]
