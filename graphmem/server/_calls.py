"""The REST calls behind ``MemoryClient`` and ``AsyncMemoryClient``, written once.

:class:`Calls` describes each method as a :class:`Call` (verb, path, query, body, and how to
shape the answer) and hands it to ``_send``, which the sync client implements by returning the
result and the async client by returning an awaitable. Methods that need several requests
(walking pages, deleting several entities) are written in each client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

T = TypeVar("T")
Scope = dict[str, Any]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    #: Shapes the decoded JSON answer into what the method returns.
    shape: Callable[[Any], Any] | None = None
    #: Return the body as text (the JSONL export) instead of decoding JSON.
    text: bool = False


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _seg(value: str) -> str:
    """One path segment: ids may hold ``/`` or ``?``, which must not change the path."""
    return quote(str(value), safe="")


def _results(answer: Any) -> Any:
    return answer["results"]


class Calls(Generic[T]):
    """Every single-request method of the clients (mem0's names, plus graphmem's)."""

    def _send(self, call: Call) -> T:
        raise NotImplementedError

    # ---- memories ------------------------------------------------------------------------
    def add(self, messages: Any, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
            metadata: dict[str, Any] | None = None, infer: bool = True, memory_type: str | None = None,
            prompt: str | None = None, timestamp: str | float | None = None) -> T:  # fmt: skip
        """Store messages as memories (``Memory.add``); returns ``{"results", "relations", ...}``."""
        body = _clean({"messages": messages, "user_id": user_id, "agent_id": agent_id, "run_id": run_id,
                       "metadata": metadata, "memory_type": memory_type, "prompt": prompt, "timestamp": timestamp})  # fmt: skip
        return self._send(Call("POST", "/v1/memories/", json={**body, "infer": infer}))

    def search(self, query: str, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
               limit: int | None = None, filters: dict[str, Any] | None = None, threshold: float | None = None,
               top_k: int | None = None, version: str = "v1") -> T:  # fmt: skip
        """Memories and relations relevant to ``query`` (``Memory.search``). ``version="v2"`` is
        mem0's path, where the scope may be given inside ``filters``."""
        body = _clean({"query": query, "user_id": user_id, "agent_id": agent_id, "run_id": run_id, "limit": limit,
                       "filters": filters, "threshold": threshold, "top_k": top_k})  # fmt: skip
        return self._send(Call("POST", f"/{'v2' if version == 'v2' else 'v1'}/memories/search/", json=body))

    def get(self, memory_id: str) -> T:
        """One memory by id."""
        return self._send(Call("GET", f"/v1/memories/{_seg(memory_id)}/"))

    def get_page(self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
                 filters: dict[str, Any] | None = None, page: int = 1, page_size: int = 100) -> T:  # fmt: skip
        """One page of memories, newest first: ``{"count", "next", "previous", "results", ...}``."""
        params = {"page": page, "page_size": page_size}
        if filters is not None:
            body = _clean({"user_id": user_id, "agent_id": agent_id, "run_id": run_id, "filters": filters})
            return self._send(Call("POST", "/v2/memories/", params=params, json=body))
        scope = _clean({"user_id": user_id, "agent_id": agent_id, "run_id": run_id})
        return self._send(Call("GET", "/v1/memories/", params={**scope, **params}))

    def update(self, memory_id: str, text: str | None = None, metadata: dict[str, Any] | None = None) -> T:
        """Replace a memory's text and/or metadata (``Memory.update``)."""
        return self._send(
            Call("PUT", f"/v1/memories/{_seg(memory_id)}/", json=_clean({"text": text, "metadata": metadata}))
        )

    def delete(self, memory_id: str) -> T:
        """Delete one memory."""
        return self._send(Call("DELETE", f"/v1/memories/{_seg(memory_id)}/"))

    def delete_all(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> T:
        """Delete every memory in the scope."""
        return self._send(
            Call(
                "DELETE",
                "/v1/memories/",
                params=_clean({"user_id": user_id, "agent_id": agent_id, "run_id": run_id}),
            )
        )

    def history(self, memory_id: str) -> T:
        """A memory's ADD / UPDATE / DELETE events, oldest first."""
        return self._send(Call("GET", f"/v1/memories/{_seg(memory_id)}/history/"))

    def batch_update(self, memories: list[dict[str, Any]]) -> T:
        """Update up to 1000 memories (``[{"memory_id", "text", "metadata"}]``): all or nothing."""
        return self._send(Call("PUT", "/v1/batch/", json={"memories": memories}))

    def batch_delete(self, memories: list[dict[str, Any]] | list[str]) -> T:
        """Delete up to 1000 memories (``[{"memory_id"}]`` or ids): all or nothing."""
        items = [{"memory_id": m} if isinstance(m, str) else m for m in memories]
        return self._send(Call("DELETE", "/v1/batch/", json={"memories": items}))

    def users(self, run_id: str | None = None) -> T:
        """Users, agents and runs with memories in the caller's projects: ``{"results": [...]}``."""
        return self._send(Call("GET", "/v1/entities/", params=_clean({"run_id": run_id})))

    def feedback(self, memory_id: str, feedback: str | None = None, feedback_reason: str | None = None) -> T:
        """Record feedback (POSITIVE, NEGATIVE, VERY_NEGATIVE) on a memory."""
        body = {
            "memory_id": memory_id,
            "feedback": feedback.upper() if feedback else None,
            "feedback_reason": feedback_reason,
        }
        return self._send(Call("POST", "/v1/feedback/", json=body))

    def ask(self, question: str, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
            limit: int = 10) -> T:  # fmt: skip
        """Answer a question from the memories in scope (the server needs an LLM)."""
        body = _clean(
            {"question": question, "user_id": user_id, "agent_id": agent_id, "run_id": run_id, "limit": limit}
        )
        return self._send(Call("POST", "/v1/ask/", json=body))

    # ---- the graph -----------------------------------------------------------------------
    def relations(self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
                  entity: str | None = None, relationship: str | None = None, include_invalid: bool = False,
                  as_of: str | None = None, limit: int = 1000) -> T:  # fmt: skip
        """Relations in scope, as a list (``Memory.relations``)."""
        params = _clean({"user_id": user_id, "agent_id": agent_id, "run_id": run_id, "entity": entity,
                         "relationship": relationship, "include_invalid": include_invalid, "as_of": as_of, "limit": limit})  # fmt: skip
        return self._send(Call("GET", "/v1/relations/", params=params, shape=_results))

    def who_works_with(self, entity: str, *, user_id: str | None = None, agent_id: str | None = None,
                       run_id: str | None = None) -> T:  # fmt: skip
        """People linked to ``entity`` directly or through shared work (``Memory.who_works_with``)."""
        params = _clean({"entity": entity, "user_id": user_id, "agent_id": agent_id, "run_id": run_id})
        return self._send(Call("GET", "/v1/who-works-with/", params=params, shape=_results))

    def graph(self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
              include_invalid: bool = False) -> T:  # fmt: skip
        """The scope's graph as a ``networkx.MultiDiGraph``, as ``Memory.graph`` returns it."""
        params = _clean(
            {"user_id": user_id, "agent_id": agent_id, "run_id": run_id, "include_invalid": include_invalid}
        )
        return self._send(Call("GET", "/v1/graph/", params=params, shape=to_networkx))

    # ---- projects, keys, webhooks --------------------------------------------------------
    def ping(self) -> T:
        """Who the key acts for and in which projects."""
        return self._send(Call("GET", "/v1/ping/"))

    def projects(self) -> T:
        """The caller's projects and roles: ``{"results": [{"project_id", "role"}]}``."""
        return self._send(Call("GET", "/v1/projects/"))

    def create_project(self, project_id: str, admin: str | None = None) -> T:
        """Make a run a project; the caller (or, with an admin key, ``admin``) is its admin."""
        return self._send(
            Call("POST", "/v1/projects/", json=_clean({"project_id": project_id, "admin": admin}))
        )

    def get_project(self, project_id: str) -> T:
        """A project: the caller's role and the members."""
        return self._send(Call("GET", f"/v1/projects/{_seg(project_id)}/"))

    def members(self, project_id: str) -> T:
        """A project's members: ``{"results": [{"principal", "role"}]}``."""
        return self._send(Call("GET", f"/v1/projects/{_seg(project_id)}/members/"))

    def add_member(self, project_id: str, principal: str, role: str) -> T:
        return self._send(
            Call(
                "POST",
                f"/v1/projects/{_seg(project_id)}/members/",
                json={"principal": principal, "role": role},
            )
        )

    def set_role(self, project_id: str, principal: str, role: str) -> T:
        return self._send(
            Call("PUT", f"/v1/projects/{_seg(project_id)}/members/{_seg(principal)}/", json={"role": role})
        )

    def remove_member(self, project_id: str, principal: str) -> T:
        return self._send(Call("DELETE", f"/v1/projects/{_seg(project_id)}/members/{_seg(principal)}/"))

    def create_key(self, principal: str | None = None, name: str | None = None, admin: bool = False) -> T:
        """A new API key (in the answer's ``key``, shown once)."""
        return self._send(
            Call("POST", "/v1/keys/", json=_clean({"principal": principal, "name": name, "admin": admin}))
        )

    def list_keys(self, principal: str | None = None, include_revoked: bool = False) -> T:
        return self._send(
            Call(
                "GET",
                "/v1/keys/",
                params=_clean({"principal": principal, "include_revoked": include_revoked}),
                shape=_results,
            )
        )

    def revoke_key(self, key_id: str) -> T:
        return self._send(Call("DELETE", f"/v1/keys/{_seg(key_id)}/"))

    def get_webhooks(self, project_id: str) -> T:
        """A project's webhooks (without their secrets)."""
        return self._send(Call("GET", f"/api/v1/webhooks/projects/{_seg(project_id)}/"))

    def create_webhook(self, url: str, name: str, project_id: str, event_types: list[str] | None = None) -> T:
        """Register a webhook; the answer's ``secret`` signs its deliveries and is shown only here."""
        body = _clean({"url": url, "name": name, "event_types": event_types})
        return self._send(Call("POST", f"/api/v1/webhooks/projects/{_seg(project_id)}/", json=body))

    def update_webhook(self, webhook_id: str, name: str | None = None, url: str | None = None,
                       event_types: list[str] | None = None) -> T:  # fmt: skip
        body = _clean({"name": name, "url": url, "event_types": event_types})
        return self._send(Call("PUT", f"/api/v1/webhooks/{_seg(webhook_id)}/", json=body))

    def delete_webhook(self, webhook_id: str) -> T:
        return self._send(Call("DELETE", f"/api/v1/webhooks/{_seg(webhook_id)}/"))

    def webhook_deliveries(self, webhook_id: str, page: int = 1, page_size: int = 50) -> T:
        """A webhook's delivery log, newest first."""
        params = {"page": page, "page_size": page_size}
        return self._send(Call("GET", f"/api/v1/webhooks/{_seg(webhook_id)}/deliveries/", params=params))

    # ---- calls the clients compose -------------------------------------------------------
    def _delete_entity(self, kind: str, name: str, run_id: str | None = None) -> T:
        return self._send(
            Call("DELETE", f"/v2/entities/{kind}/{_seg(name)}/", params=_clean({"run_id": run_id}))
        )

    def _export(self, scope: Scope) -> T:
        return self._send(Call("POST", "/v1/exports/", json=_clean(scope), text=True))


def to_networkx(answer: dict[str, Any]) -> Any:
    """``{"nodes", "edges"}`` from ``GET /v1/graph/`` as the ``MultiDiGraph`` ``Memory.graph`` builds."""
    import networkx as nx

    g = nx.MultiDiGraph()
    for node in answer["nodes"]:
        g.add_node(node["id"], **{k: v for k, v in node.items() if k != "id"})
    for edge in answer["edges"]:
        attrs = {k: v for k, v in edge.items() if k not in ("id", "source_id", "target_id")}
        g.add_edge(edge["source_id"], edge["target_id"], key=edge["id"], **attrs)
    return g
