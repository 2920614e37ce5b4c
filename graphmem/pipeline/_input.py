"""Validation and normalisation of what callers pass in. Everything here runs before any write."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from graphmem.config import LimitsConfig
from graphmem.errors import (
    ContentTooLargeError,
    EmptyContentError,
    InvalidInputError,
    InvalidMetadataError,
    ScopeRequiredError,
)
from graphmem.models import Scope, format_time

ROLES = frozenset({"user", "assistant", "system", "tool"})
_MEMORY_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(slots=True)
class Message:
    role: str
    content: str
    name: str | None


def check_scope(
    user_id: Any, agent_id: Any, run_id: Any, limits: LimitsConfig, *, required: bool = True
) -> Scope:
    """A Scope from the three ids; at least one is required (any one alone is enough)."""
    values: list[str | None] = []
    for key, value in (("user_id", user_id), ("agent_id", agent_id), ("run_id", run_id)):
        if value is None:
            values.append(None)
            continue
        if not isinstance(value, str):
            raise InvalidInputError(f"{key} must be a string, got {type(value).__name__}")
        if not value.strip():
            raise ScopeRequiredError(f"{key} is empty")
        if len(value) > limits.max_id_chars:
            raise ContentTooLargeError(f"{key} is longer than {limits.max_id_chars} characters")
        _check_text_encodable(value, key)
        values.append(value)
    scope = Scope(*values)
    if required and not scope.items():
        raise ScopeRequiredError("one of user_id, agent_id or run_id is required")
    return scope


def _check_text_encodable(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(f"{what} contains a lone surrogate and is not valid Unicode text") from None
    if "\x00" in text:
        raise InvalidInputError(f"{what} contains a NUL character")


def normalise_messages(messages: Any, limits: LimitsConfig) -> list[Message]:
    """A string, a message dict or a list of them -> checked :class:`Message` objects, in order."""
    if isinstance(messages, str):
        items: list[Any] = [{"role": "user", "content": messages}]
    elif isinstance(messages, dict):
        items = [messages]
    elif isinstance(messages, (list, tuple)):
        items = list(messages)
    else:
        raise InvalidInputError(
            f"messages must be a string, a message dict or a list of them, got {type(messages).__name__}"
        )
    if not items:
        raise EmptyContentError("messages is empty")
    if len(items) > limits.max_messages_per_add:
        raise ContentTooLargeError(
            f"{len(items)} messages in one add; the limit is {limits.max_messages_per_add}"
        )
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            item = {"role": "user", "content": item}
        if not isinstance(item, dict):
            raise InvalidInputError(f"message {i} must be a dict or a string, got {type(item).__name__}")
        role = item.get("role", "user")
        if role not in ROLES:
            raise InvalidInputError(f"message {i} has unknown role {role!r}; use one of {sorted(ROLES)}")
        content = item.get("content")
        if not isinstance(content, str):
            raise InvalidInputError(
                f"message {i} content must be text, got {type(content).__name__}"
                " (image and PDF parts need an LLM-backed memory)"
            )
        if not content.strip():
            raise EmptyContentError(f"message {i} has no text")
        if len(content) > limits.max_message_chars:
            raise ContentTooLargeError(
                f"message {i} has {len(content)} characters; the limit is {limits.max_message_chars}"
            )
        _check_text_encodable(content, f"message {i}")
        name = item.get("name")
        if name is not None:
            if not isinstance(name, str) or not name.strip():
                raise InvalidInputError(f"message {i} name must be a non-empty string")
            if len(name) > limits.max_id_chars:
                raise ContentTooLargeError(
                    f"message {i} name is longer than {limits.max_id_chars} characters"
                )
            _check_text_encodable(name, f"message {i} name")
        out.append(Message(role=role, content=content, name=name))
    return out


def check_text(text: Any, what: str, limits: LimitsConfig) -> str:
    if not isinstance(text, str):
        raise InvalidInputError(f"{what} must be text, got {type(text).__name__}")
    if not text.strip():
        raise EmptyContentError(f"{what} is empty")
    if len(text) > limits.max_message_chars:
        raise ContentTooLargeError(
            f"{what} has {len(text)} characters; the limit is {limits.max_message_chars}"
        )
    _check_text_encodable(text, what)
    return text


def check_metadata(metadata: Any, limits: LimitsConfig) -> dict[str, Any]:
    """A JSON object of JSON values, within the size limit; returned as a deep copy."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidMetadataError(f"metadata must be a dict, got {type(metadata).__name__}")
    try:
        encoded = json.dumps(metadata, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as e:
        raise InvalidMetadataError(f"metadata is not JSON: {e}") from None
    except RecursionError:
        raise InvalidMetadataError("metadata is nested too deeply") from None
    if len(encoded.encode("utf-8", "surrogatepass")) > limits.max_metadata_bytes:
        raise ContentTooLargeError(f"metadata is over {limits.max_metadata_bytes} bytes as JSON")
    _check_keys(metadata)
    try:
        encoded.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidMetadataError("metadata contains a lone surrogate") from None
    copy: dict[str, Any] = json.loads(encoded)
    return copy


def _check_keys(metadata: dict[str, Any]) -> None:
    """Every key of every object in ``metadata``, however deep, must be a string.

    ``json.dumps`` turns ``1``, ``True`` or ``None`` keys into strings without a word, so the
    metadata read back would differ from what was given (and ``{1: "a", "1": "b"}`` would lose a
    value); rejecting them keeps "stored verbatim or rejected". Iterative: depth is already
    bounded by ``json.dumps`` above, but a walk needs no recursion at all.
    """
    stack: list[Any] = [metadata]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if not isinstance(key, str):
                    raise InvalidMetadataError(f"metadata keys must be strings, got {key!r}")
                stack.append(value)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def check_timestamp(timestamp: Any) -> datetime | None:
    """``timestamp`` (datetime, ISO-8601 string or Unix seconds) -> an aware UTC datetime."""
    if timestamp is None:
        return None
    if isinstance(timestamp, bool):
        raise InvalidInputError("timestamp must be a datetime, an ISO-8601 string or Unix seconds")
    if isinstance(timestamp, datetime):
        dt = timestamp
    elif isinstance(timestamp, (int, float)):
        if not math.isfinite(timestamp):
            raise InvalidInputError("timestamp must be finite")
        try:
            dt = datetime.fromtimestamp(timestamp, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise InvalidInputError(f"timestamp {timestamp} is out of range") from None
    elif isinstance(timestamp, str):
        try:
            dt = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInputError(f"timestamp {timestamp!r} is not ISO-8601") from None
    else:
        raise InvalidInputError("timestamp must be a datetime, an ISO-8601 string or Unix seconds")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def message_times(base: datetime | None, n: int) -> list[str]:
    """One created_at per message; messages of one add are a microsecond apart, so order survives."""
    start = base or datetime.now(UTC)
    return [format_time(start + timedelta(microseconds=i)) for i in range(n)]


def check_memory_type(memory_type: Any) -> str | None:
    if memory_type is None:
        return None
    if not isinstance(memory_type, str) or not _MEMORY_TYPE.match(memory_type):
        raise InvalidInputError(f"memory_type must be a short snake_case name, got {memory_type!r}")
    return memory_type


def check_limit(limit: Any, what: str = "limit") -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidInputError(f"{what} must be a positive integer, got {limit!r}")
    return min(limit, 10_000)
