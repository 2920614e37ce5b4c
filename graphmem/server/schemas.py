"""Request bodies of the REST API (responses are the library's own dicts).

Field names follow mem0's platform API where it has the operation. Unknown fields are ignored so
mem0's own clients, which send extras such as ``output_format`` or ``version``, work unchanged;
the values themselves are checked by ``Memory``, which answers bad ones with
``InvalidInputError`` (HTTP 400).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: mem0's limit for batch update and batch delete.
BATCH_MAX = 1000
Role = Literal["admin", "member", "viewer"]
Feedback = Literal["POSITIVE", "NEGATIVE", "VERY_NEGATIVE"]
EventType = Literal["memory.created", "memory.updated", "memory.deleted"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ScopeBody(_Body):
    user_id: str | None = Field(default=None, max_length=512)
    agent_id: str | None = Field(default=None, max_length=512)
    run_id: str | None = Field(default=None, max_length=512, examples=["landing-page"])


class AddBody(ScopeBody):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"messages": [{"role": "user", "name": "Bob", "content": "I'll take the hero section copy."}],
         "run_id": "landing-page"},
    ]})  # fmt: skip

    messages: str | dict[str, Any] | list[dict[str, Any] | str]
    metadata: dict[str, Any] | None = None
    infer: bool = True
    memory_type: str | None = None
    prompt: str | None = None
    timestamp: str | float | None = None


class SearchBody(ScopeBody):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"query": "who is working on the landing page?", "run_id": "landing-page", "limit": 5},
    ]})  # fmt: skip

    query: str
    limit: int | None = Field(default=None, ge=1, le=10_000)
    top_k: int | None = Field(default=None, ge=1, le=10_000)
    filters: dict[str, Any] | None = None
    threshold: float | None = None


class ListBody(ScopeBody):
    """``POST /v2/memories/``: mem0's listing with filters in the body."""

    filters: dict[str, Any] | None = None


class UpdateBody(_Body):
    text: str | None = None
    #: The library's name for the new text (``Memory.update(memory_id, data)``).
    data: str | None = None
    metadata: dict[str, Any] | None = None


class BatchUpdateItem(_Body):
    memory_id: str = Field(max_length=512)
    text: str | None = None
    metadata: dict[str, Any] | None = None


class BatchUpdateBody(_Body):
    memories: list[BatchUpdateItem] = Field(min_length=1, max_length=BATCH_MAX)


class BatchDeleteItem(_Body):
    memory_id: str = Field(max_length=512)


class BatchDeleteBody(_Body):
    memories: list[BatchDeleteItem] = Field(min_length=1, max_length=BATCH_MAX)


class FeedbackBody(_Body):
    memory_id: str = Field(max_length=512)
    feedback: Feedback | None = None
    feedback_reason: str | None = Field(default=None, max_length=2000)


class ExportBody(ScopeBody):
    #: mem0 sends a JSON schema to shape its export; graphmem exports its lossless JSONL instead.
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    filters: dict[str, Any] | None = None


class AskBody(ScopeBody):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"question": "What is Bob responsible for?", "run_id": "landing-page"},
    ]})  # fmt: skip

    question: str
    limit: int = Field(default=10, ge=1, le=100)


class ProjectBody(_Body):
    project_id: str = Field(min_length=1, max_length=512)
    #: Who becomes the project's first admin; only an admin key may name someone else.
    admin: str | None = Field(default=None, max_length=200)


class MemberBody(_Body):
    principal: str = Field(min_length=1, max_length=200)
    role: Role


class RoleBody(_Body):
    role: Role


class KeyBody(_Body):
    #: Default: the caller. Only an admin key may create keys for someone else, or admin keys.
    principal: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    admin: bool = False


def _every_event() -> list[EventType]:
    return ["memory.created", "memory.updated", "memory.deleted"]


class WebhookBody(_Body):
    url: str = Field(max_length=2000)
    name: str = Field(min_length=1, max_length=200)
    event_types: list[EventType] = Field(default_factory=_every_event, min_length=1)


class WebhookUpdateBody(_Body):
    url: str | None = Field(default=None, max_length=2000)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    event_types: list[EventType] | None = Field(default=None, min_length=1)
