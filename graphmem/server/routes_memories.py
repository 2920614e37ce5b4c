"""Memory routes, on mem0's platform paths: add, search, list, get, update, delete, history, batch,
entities, feedback, export; plus graphmem's relations, graph, who-works-with and ask.

Routes are plain ``def``: FastAPI runs them in its thread pool, and ``Memory`` is synchronous.
Responses are the library's own dicts, so ``MemoryClient`` returns what ``Memory`` returns.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from graphmem.errors import InvalidInputError
from graphmem.models import Scope
from graphmem.server import _batch
from graphmem.server._deps import Caller, CallerDep
from graphmem.server.schemas import (
    AddBody,
    AskBody,
    BatchDeleteBody,
    BatchUpdateBody,
    ExportBody,
    FeedbackBody,
    ListBody,
    SearchBody,
    UpdateBody,
)
from graphmem.stores.base import WriteBatch

router = APIRouter(tags=["memories"])
#: Add results' ``event`` -> webhook event type.
EVENTS = {"ADD": "memory.created", "UPDATE": "memory.updated", "DELETE": "memory.deleted"}
#: The most memories one listing, count or delete_all looks at (``Memory.get_all``'s limit cap).
SCAN_MAX = 10_000


class ScopeQuery:
    """``user_id``, ``agent_id``, ``run_id`` as query parameters."""

    def __init__(
        self,
        user_id: Annotated[str | None, Query(max_length=512)] = None,
        agent_id: Annotated[str | None, Query(max_length=512)] = None,
        run_id: Annotated[str | None, Query(max_length=512, examples=["landing-page"])] = None,
    ) -> None:
        self.user_id, self.agent_id, self.run_id = user_id, agent_id, run_id


ScopeDep = Annotated[ScopeQuery, Depends()]


def _emit(c: Caller, project: str | None, events: list[tuple[str, dict[str, Any]]]) -> None:
    c.svc.webhooks.emit(project, events)


# ---- add and search ----------------------------------------------------------------------
@router.post("/v1/memories/", summary="Add memories")
def add(body: AddBody, c: CallerDep) -> dict[str, Any]:
    scope, _ = c.scope(body.user_id, body.agent_id, body.run_id)
    out: dict[str, Any] = c.acting.add(
        body.messages, **scope, metadata=body.metadata, infer=body.infer, memory_type=body.memory_type,
        prompt=body.prompt, timestamp=body.timestamp,
    )  # fmt: skip
    events = [(EVENTS[r["event"]], r) for r in out.get("results", []) if r.get("event") in EVENTS]
    _emit(c, scope["run_id"], events)
    return out


@router.post("/v1/memories/search/", summary="Search memories and relations")
@router.post("/v2/memories/search/", summary="Search memories and relations (mem0 v2: scope in filters)")
def search(body: SearchBody, c: CallerDep) -> dict[str, Any]:
    scope, filters = c.scope(body.user_id, body.agent_id, body.run_id, body.filters)
    extra = {
        k: v
        for k, v in (("limit", body.limit), ("top_k", body.top_k), ("threshold", body.threshold))
        if v is not None
    }
    out: dict[str, Any] = c.acting.search(body.query, **scope, filters=filters, **extra)
    return out


# ---- listing -----------------------------------------------------------------------------
def _page(
    c: Caller,
    request: Request,
    scope: dict[str, str],
    filters: dict[str, Any] | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    cap = c.svc.settings.max_page_size
    if page_size > cap:
        raise InvalidInputError(f"page_size must be at most {cap}")
    if page * page_size > SCAN_MAX:
        # Memory.get_all reads at most SCAN_MAX memories: deeper pages need a narrower scope or filter.
        raise InvalidInputError(
            f"a listing reaches the newest {SCAN_MAX} memories: page * page_size is over it"
        )
    rows = c.acting.get_all(**scope, filters=filters, limit=min(page * page_size + 1, SCAN_MAX))["results"]
    if filters is None:
        count = c.svc.memory.store.count_memories(Scope(**scope))
    else:
        count = len(c.acting.get_all(**scope, filters=filters, limit=SCAN_MAX)["results"])
    start = (page - 1) * page_size

    def link(p: int) -> str:
        return str(request.url.include_query_params(page=p, page_size=page_size))

    return {
        "count": count, "page": page, "page_size": page_size,
        "next": link(page + 1) if len(rows) > page * page_size else None,
        "previous": link(page - 1) if page > 1 else None,
        "results": rows[start : start + page_size],
    }  # fmt: skip


@router.get("/v1/memories/", summary="List memories, newest first, a page at a time")
def list_memories(
    request: Request,
    s: ScopeDep,
    c: CallerDep,
    page: Annotated[int, Query(ge=1, le=SCAN_MAX)] = 1,
    page_size: Annotated[int, Query(ge=1, le=SCAN_MAX)] = 100,
) -> dict[str, Any]:
    scope, _ = c.scope(s.user_id, s.agent_id, s.run_id)
    return _page(c, request, scope, None, page, page_size)


@router.post("/v2/memories/", summary="List memories with filters (mem0 v2), a page at a time")
def list_memories_v2(
    request: Request,
    body: ListBody,
    c: CallerDep,
    page: Annotated[int, Query(ge=1, le=SCAN_MAX)] = 1,
    page_size: Annotated[int, Query(ge=1, le=SCAN_MAX)] = 100,
) -> dict[str, Any]:
    scope, filters = c.scope(body.user_id, body.agent_id, body.run_id, body.filters)
    return _page(c, request, scope, filters, page, page_size)


@router.delete("/v1/memories/", summary="Delete every memory in a scope")
def delete_all(s: ScopeDep, c: CallerDep) -> dict[str, Any]:
    scope, _ = c.scope(s.user_id, s.agent_id, s.run_id)
    return _delete_scope(c, scope)


def _delete_scope(c: Caller, scope: dict[str, str]) -> dict[str, Any]:
    # Read first: the webhook events name each deleted memory.
    before = c.acting.get_all(**scope, limit=SCAN_MAX)["results"]
    out: dict[str, Any] = c.acting.delete_all(**scope)
    _emit(c, scope["run_id"], [("memory.deleted", m) for m in before])
    return out


# ---- one memory --------------------------------------------------------------------------
@router.get("/v1/memories/{memory_id}/", summary="Get a memory")
def get(memory_id: str, c: CallerDep) -> dict[str, Any]:
    c.reach(memory_id)
    out: dict[str, Any] = c.acting.get(memory_id)
    return out


@router.put("/v1/memories/{memory_id}/", summary="Update a memory's text and/or metadata")
def update(memory_id: str, body: UpdateBody, c: CallerDep) -> dict[str, Any]:
    found = c.reach(memory_id)
    text = body.text if body.text is not None else body.data
    if text is None and body.metadata is None:
        raise InvalidInputError("give text, metadata or both")
    out: dict[str, Any] = c.acting.update(
        memory_id, text if text is not None else found["memory"], metadata=body.metadata
    )
    _emit(c, found.get("run_id"), [("memory.updated", c.svc.memory.get(memory_id))])
    return out


@router.delete("/v1/memories/{memory_id}/", summary="Delete a memory")
def delete(memory_id: str, c: CallerDep) -> dict[str, Any]:
    found = c.reach(memory_id)
    out: dict[str, Any] = c.acting.delete(memory_id)
    _emit(c, found.get("run_id"), [("memory.deleted", found)])
    return out


@router.get("/v1/memories/{memory_id}/history/", summary="A memory's ADD / UPDATE / DELETE events")
def history(memory_id: str, c: CallerDep) -> list[dict[str, Any]]:
    c.reach(memory_id)
    out: list[dict[str, Any]] = c.acting.history(memory_id)
    return out


# ---- batches -----------------------------------------------------------------------------
@router.put("/v1/batch/", summary="Update up to 1000 memories: all or nothing")
def batch_update(body: BatchUpdateBody, c: CallerDep) -> dict[str, Any]:
    updated = _batch.batch_update(c, [m.model_dump() for m in body.memories])
    for project in {m.get("run_id") for m in updated}:
        _emit(c, project, [("memory.updated", m) for m in updated if m.get("run_id") == project])
    return {"message": f"Successfully updated {len(updated)} memories", "results": updated}


@router.delete("/v1/batch/", summary="Delete up to 1000 memories: all or nothing")
def batch_delete(body: BatchDeleteBody, c: CallerDep) -> dict[str, Any]:
    deleted = _batch.batch_delete(c, [m.memory_id for m in body.memories])
    for project in {m.get("run_id") for m in deleted}:
        _emit(c, project, [("memory.deleted", m) for m in deleted if m.get("run_id") == project])
    return {"message": f"Successfully deleted {len(deleted)} memories", "results": deleted}


# ---- entities (users, agents, runs) ------------------------------------------------------
@router.get("/v1/entities/", summary="Users, agents and runs with memories in the caller's projects")
def entities(c: CallerDep, run_id: Annotated[str | None, Query(max_length=512)] = None) -> dict[str, Any]:
    projects = [run_id] if run_id else sorted(c.projects.projects_of(c.name))
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for project in projects:
        c.require_member(project)
        rows = c.acting.get_all(run_id=project, limit=SCAN_MAX)["results"]
        for row in rows:
            for kind, key in (("run", "run_id"), ("user", "user_id"), ("agent", "agent_id")):
                if row.get(key):
                    _count(found, kind, row[key], row)
    ordered = sorted(found.values(), key=lambda e: (["run", "user", "agent"].index(e["type"]), e["name"]))
    return {"results": ordered}


def _count(found: dict[tuple[str, str], dict[str, Any]], kind: str, name: str, row: dict[str, Any]) -> None:
    changed = row["updated_at"] or row["created_at"]
    entry = found.setdefault((kind, name), {"id": name, "name": name, "type": kind, "total_memories": 0,
                                            "created_at": row["created_at"], "updated_at": changed})  # fmt: skip
    entry["total_memories"] += 1
    entry["created_at"] = min(entry["created_at"], row["created_at"])
    entry["updated_at"] = max(entry["updated_at"], changed)


@router.delete(
    "/v1/entities/{entity_type}/{entity_id}/", summary="Delete a user's, agent's or run's memories"
)
@router.delete(
    "/v2/entities/{entity_type}/{entity_id}/", summary="Delete a user's, agent's or run's memories"
)
def delete_entity(
    entity_type: str,
    entity_id: str,
    c: CallerDep,
    run_id: Annotated[str | None, Query(max_length=512)] = None,
) -> dict[str, Any]:
    """A run is deleted as a whole; a user or an agent in one project (``run_id``) or in every
    project of the caller where they have memories. The caller must be admin of each."""
    if entity_type not in ("user", "agent", "run"):
        raise InvalidInputError("entity_type must be user, agent or run")
    if entity_type == "run":
        c.require_admin(entity_id)
        _delete_scope(c, {"run_id": entity_id})
        return {"message": "Entity deleted successfully!"}
    key = f"{entity_type}_id"
    projects = [run_id] if run_id else sorted(c.projects.projects_of(c.name))
    affected = []
    for p in projects:
        c.require_member(p)
        if c.acting.get_all(run_id=p, **{key: entity_id}, limit=1)["results"]:
            affected.append(p)
    for p in affected:  # check them all before deleting anything
        c.require_admin(p)
    for p in affected:
        _delete_scope(c, {"run_id": p, key: entity_id})
    return {"message": "Entity deleted successfully!", "projects": affected}


# ---- feedback, export, ask ---------------------------------------------------------------
@router.post("/v1/feedback/", summary="Record the caller's feedback on a memory")
def feedback(body: FeedbackBody, c: CallerDep) -> dict[str, Any]:
    c.reach(body.memory_id)
    doc = {"memory_id": body.memory_id, "principal": c.name, "feedback": body.feedback,
           "feedback_reason": body.feedback_reason}  # fmt: skip
    c.svc.memory.store.apply(WriteBatch(docs_put=[("feedback", f"{body.memory_id}:{c.name}", doc)]))
    return {"id": body.memory_id, "feedback": body.feedback, "feedback_reason": body.feedback_reason}


@router.post(
    "/v1/exports/", summary="Export a scope as graphmem's lossless JSONL (`graphmem import` restores it)",
    responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}}},
)  # fmt: skip
def export(body: ExportBody, c: CallerDep) -> Response:
    scope, _ = c.scope(body.user_id, body.agent_id, body.run_id, body.filters)
    out = io.StringIO()
    c.acting.export(out, **scope)
    return Response(out.getvalue(), media_type="application/x-ndjson")


@router.post("/v1/ask/", summary="Answer a question from the memories in scope (needs an LLM)")
def ask(body: AskBody, c: CallerDep) -> dict[str, Any]:
    scope, _ = c.scope(body.user_id, body.agent_id, body.run_id)
    out: dict[str, Any] = c.acting.ask(body.question, **scope, limit=body.limit)
    stored = [c.svc.memory.get(i) for i in out.get("stored", [])]
    _emit(c, scope["run_id"], [("memory.created", m) for m in stored])
    return out


# ---- the graph ---------------------------------------------------------------------------
@router.get("/v1/relations/", summary="Relations in scope", tags=["graph"])
def relations(
    s: ScopeDep,
    c: CallerDep,
    entity: Annotated[str | None, Query(max_length=512)] = None,
    relationship: Annotated[str | None, Query(max_length=64)] = None,
    include_invalid: bool = False,
    as_of: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=SCAN_MAX)] = 1000,
) -> dict[str, Any]:
    scope, _ = c.scope(s.user_id, s.agent_id, s.run_id)
    found = c.acting.relations(**scope, entity=entity, relationship=relationship, include_invalid=include_invalid,
                               as_of=as_of, limit=limit)  # fmt: skip
    return {"results": found}


@router.get("/v1/graph/", summary="Entities and relations in scope as nodes and edges", tags=["graph"])
def graph(s: ScopeDep, c: CallerDep, include_invalid: bool = False) -> dict[str, Any]:
    scope, _ = c.scope(s.user_id, s.agent_id, s.run_id)
    g = c.acting.graph(**scope, include_invalid=include_invalid)
    return {
        "nodes": [{"id": n, **attrs} for n, attrs in g.nodes(data=True)],
        # source_id / target_id: an edge's own "source" and "destination" are entity names
        "edges": [
            {**attrs, "id": k, "source_id": u, "target_id": v}
            for u, v, k, attrs in g.edges(keys=True, data=True)
        ],
    }


@router.get(
    "/v1/who-works-with/",
    summary="People linked to an entity directly or through shared work",
    tags=["graph"],
)
def who_works_with(
    entity: Annotated[str, Query(max_length=512)], s: ScopeDep, c: CallerDep
) -> dict[str, Any]:
    scope, _ = c.scope(s.user_id, s.agent_id, s.run_id)
    return {"results": c.acting.who_works_with(entity, **scope)}
