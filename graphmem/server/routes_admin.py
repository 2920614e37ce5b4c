"""Administration routes: ping, API keys, projects and members, webhooks and their delivery logs.

Keys: anyone may create, list and revoke their own keys; an admin key (``graphmem keys create
--admin``) manages everyone's. Projects and members go through the team layer's checks
(``memory.as_actor(p).projects``): anyone may make a run holding no memories a project, becoming
its admin, and a project's admins manage its members. An admin key is the operator's: it uses the
unchecked view (``memory.projects``), so it can make a project of a run that already has memories
and fix any project's members. Webhooks are managed by the project's admins.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from graphmem import __version__
from graphmem.errors import InvalidInputError, MemoryNotFoundError, PermissionDeniedError
from graphmem.server._deps import Caller, CallerDep
from graphmem.server.auth import check_principal
from graphmem.server.schemas import KeyBody, MemberBody, ProjectBody, RoleBody, WebhookBody, WebhookUpdateBody
from graphmem.server.webhooks import public

router = APIRouter()


@router.get("/healthz", tags=["meta"], summary="Liveness (no key needed)")
def healthz() -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


@router.get("/v1/ping/", tags=["meta"], summary="Check a key: who it acts for, and in which projects")
def ping(c: CallerDep) -> dict[str, Any]:
    return {
        "status": "ok", "principal": c.name, "key_id": c.principal.key_id, "admin": c.principal.admin,
        "projects": c.projects.projects_of(c.name), "version": __version__,
    }  # fmt: skip


# ---- keys --------------------------------------------------------------------------------
@router.post("/v1/keys/", status_code=201, tags=["keys"], summary="Create an API key (shown once)")
def create_key(body: KeyBody, c: CallerDep) -> dict[str, Any]:
    principal = check_principal(body.principal) if body.principal is not None else c.name
    if (principal != c.name or body.admin) and not c.principal.admin:
        raise PermissionDeniedError("only an admin key may create keys for others or admin keys")
    token, record = c.svc.keys.create(principal, name=body.name, admin=body.admin)
    return {"key": token, **record.to_dict()}


@router.get("/v1/keys/", tags=["keys"], summary="List API keys (never the keys themselves)")
def list_keys(
    c: CallerDep,
    principal: Annotated[str | None, Query(max_length=200)] = None,
    include_revoked: bool = False,
) -> dict[str, Any]:
    if not c.principal.admin:
        principal = c.name
    return {"results": [k.to_dict() for k in c.svc.keys.list(principal, include_revoked=include_revoked)]}


@router.delete("/v1/keys/{key_id}/", tags=["keys"], summary="Revoke an API key")
def revoke_key(key_id: str, c: CallerDep) -> dict[str, Any]:
    record = c.svc.keys.get(key_id)
    if record.principal != c.name and not c.principal.admin:
        raise MemoryNotFoundError(f"no API key with id {key_id!r}")
    return {"message": "API key revoked", **c.svc.keys.revoke(key_id).to_dict()}


# ---- projects ----------------------------------------------------------------------------
def _listed(members: dict[str, str]) -> list[dict[str, str]]:
    return [{"principal": p, "role": r} for p, r in sorted(members.items())]


@router.get("/v1/projects/", tags=["projects"], summary="The caller's projects and roles")
def list_projects(c: CallerDep) -> dict[str, Any]:
    mine: dict[str, str] = c.projects.projects_of(c.name)
    return {"results": [{"project_id": p, "role": r} for p, r in sorted(mine.items())]}


@router.post("/v1/projects/", status_code=201, tags=["projects"], summary="Make a run a project")
def create_project(body: ProjectBody, c: CallerDep) -> dict[str, Any]:
    """The caller becomes the admin of a new project over a run holding no memories; an admin key
    may also name another first admin, or make a project of a run that already has memories."""
    admin = check_principal(body.admin) if body.admin is not None else c.name
    members: dict[str, str] = c.team.create(body.project_id, admin=admin)
    return {"project_id": body.project_id, "members": _listed(members)}


@router.get(
    "/v1/projects/{project_id}/", tags=["projects"], summary="A project: the caller's role and the members"
)
def get_project(project_id: str, c: CallerDep) -> dict[str, Any]:
    role = c.require_member(project_id)
    return {"project_id": project_id, "role": role, "members": _listed(c.projects.members(project_id))}


@router.get("/v1/projects/{project_id}/members/", tags=["projects"], summary="A project's members")
def list_members(project_id: str, c: CallerDep) -> dict[str, Any]:
    c.require_member(project_id)
    return {"results": _listed(c.projects.members(project_id))}


@router.post(
    "/v1/projects/{project_id}/members/", status_code=201, tags=["projects"], summary="Add a member (admins)"
)
def add_member(project_id: str, body: MemberBody, c: CallerDep) -> dict[str, Any]:
    return {"results": _listed(c.team.add_member(project_id, check_principal(body.principal), body.role))}


@router.put(
    "/v1/projects/{project_id}/members/{principal}/",
    tags=["projects"],
    summary="Change a member's role (admins)",
)
def set_role(project_id: str, principal: str, body: RoleBody, c: CallerDep) -> dict[str, Any]:
    return {"results": _listed(c.team.set_role(project_id, principal, body.role))}


@router.delete(
    "/v1/projects/{project_id}/members/{principal}/", tags=["projects"], summary="Remove a member (admins)"
)
def remove_member(project_id: str, principal: str, c: CallerDep) -> dict[str, Any]:
    return {"results": _listed(c.team.remove_member(project_id, principal))}


# ---- webhooks (mem0's paths) -------------------------------------------------------------
def _hook(c: Caller, webhook_id: str) -> dict[str, Any]:
    """A webhook the caller administers; one in a project the caller is not in reads as absent."""
    hook = c.svc.webhooks.get(webhook_id)
    if c.role(hook["project_id"]) is None:
        raise MemoryNotFoundError(f"no webhook with id {webhook_id!r}")
    c.require_admin(hook["project_id"])
    return hook


@router.get(
    "/api/v1/webhooks/projects/{project_id}/", tags=["webhooks"], summary="A project's webhooks (admins)"
)
def list_webhooks(project_id: str, c: CallerDep) -> list[dict[str, Any]]:
    c.require_admin(project_id)
    return [public(h) for h in c.svc.webhooks.for_project(project_id)]


@router.post("/api/v1/webhooks/projects/{project_id}/", status_code=201, tags=["webhooks"],
             summary="Register a webhook (admins); the signing secret is in this answer only")  # fmt: skip
def create_webhook(project_id: str, body: WebhookBody, c: CallerDep) -> dict[str, Any]:
    c.require_admin(project_id)
    return c.svc.webhooks.create(project_id, body.url, body.name, list(body.event_types), created_by=c.name)


@router.put("/api/v1/webhooks/{webhook_id}/", tags=["webhooks"], summary="Change a webhook (admins)")
def update_webhook(webhook_id: str, body: WebhookUpdateBody, c: CallerDep) -> dict[str, Any]:
    _hook(c, webhook_id)
    events = [str(e) for e in body.event_types] if body.event_types is not None else None
    return public(c.svc.webhooks.update(webhook_id, name=body.name, url=body.url, event_types=events))


@router.delete(
    "/api/v1/webhooks/{webhook_id}/", tags=["webhooks"], summary="Delete a webhook and its log (admins)"
)
def delete_webhook(webhook_id: str, c: CallerDep) -> dict[str, Any]:
    _hook(c, webhook_id)
    c.svc.webhooks.delete(webhook_id)
    return {"message": "Webhook deleted successfully"}


@router.get(
    "/api/v1/webhooks/{webhook_id}/deliveries/",
    tags=["webhooks"],
    summary="A webhook's delivery log, newest first",
)
def deliveries(
    webhook_id: str,
    c: CallerDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    _hook(c, webhook_id)
    cap = c.svc.settings.max_page_size
    if page_size > cap:
        raise InvalidInputError(f"page_size must be at most {cap}")
    log = c.svc.webhooks.deliveries(webhook_id)
    start = (page - 1) * page_size
    return {
        "count": len(log),
        "page": page,
        "page_size": page_size,
        "results": log[start : start + page_size],
    }
