"""The data model, identical on every store.

Records are slotted dataclasses rather than pydantic models: stores build thousands of them per
search and on open, and validation already happened at the API boundary (``memory.py``,
``config.py``). ``to_dict`` gives the mem0-shaped dicts the public API returns.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]

SCOPE_KEYS = ("user_id", "agent_id", "run_id")

#: Relation types with one current value per source: a new fact closes the previous one.
FUNCTIONAL_TYPES = frozenset({"WORKS_AT", "LIVES_IN", "HAS_STATUS", "DUE_ON", "HAS_ROLE", "REPORTS_TO"})
#: Relation types whose direction carries no meaning; stored once, matched both ways.
SYMMETRIC_TYPES = frozenset({"WORKS_WITH", "KNOWS", "FRIEND_OF", "FAMILY_OF"})
#: The core vocabulary (DESIGN.md). Extractors may add other UPPER_SNAKE types.
CORE_TYPES = frozenset(
    {
        "WORKS_WITH", "WORKS_AT", "WORKS_ON", "MANAGES", "REPORTS_TO", "MEMBER_OF", "HAS_ROLE",
        "RESPONSIBLE_FOR", "COMPLETED", "REVIEWS", "CREATED", "OWNS", "LIVES_IN", "LOCATED_IN",
        "KNOWS", "FRIEND_OF", "FAMILY_OF", "LIKES", "DISLIKES", "PREFERS", "HAS_STATUS", "DUE_ON",
        "PART_OF", "USES", "DECIDED",
    }
)  # fmt: skip


def unit_vector(values: Any) -> Vector:
    """``values`` as a float32 unit vector. A vector already of unit length (every embedder's
    output is) keeps its exact bits, so storing, reading and re-exporting never drifts."""
    v = np.asarray(values, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 and abs(norm - 1.0) > 1e-6 else v


def index_text(text: str, actor_id: str | None) -> str:
    """What a memory is embedded as: its speaker and its text. People ask about what a named person
    said ("what is Bob doing?"), and the text alone ("I'll take the hero copy") never names them."""
    return f"{actor_id}: {text}" if actor_id else text


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> str:
    return format_time(datetime.now(UTC))


def format_time(dt: datetime) -> str:
    """ISO-8601 in UTC with microseconds, so that string order is time order in every store."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def text_hash(text: str) -> str:
    return hashlib.md5(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(slots=True, frozen=True)
class Scope:
    """Who a call is about. ``None`` means "any" when reading and "unset" when writing."""

    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None

    def items(self) -> list[tuple[str, str]]:
        """The keys that are set, in fixed order."""
        return [(k, v) for k, v in zip(SCOPE_KEYS, self.values(), strict=True) if v is not None]

    def values(self) -> tuple[str | None, str | None, str | None]:
        return (self.user_id, self.agent_id, self.run_id)

    def contains(self, obj: MemoryRecord | Entity | Relation) -> bool:
        """True when every key set on this scope equals the object's."""
        return all(getattr(obj, k) == v for k, v in self.items())

    def to_dict(self) -> dict[str, str]:
        return dict(self.items())


@dataclass(slots=True)
class MemoryRecord:
    id: str
    memory: str
    hash: str
    user_id: str | None
    agent_id: str | None
    run_id: str | None
    actor_id: str | None
    role: str | None
    metadata: dict[str, Any]
    memory_type: str | None
    created_at: str
    updated_at: str | None = None
    embedding: Vector | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.user_id, self.agent_id, self.run_id)

    def to_dict(self) -> dict[str, Any]:
        """The mem0 shape: scope keys only when set, ``metadata`` as stored."""
        out: dict[str, Any] = {
            "id": self.id,
            "memory": self.memory,
            "hash": self.hash,
            "metadata": self.metadata,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "actor_id": self.actor_id,
            "role": self.role,
            "memory_type": self.memory_type,
        }
        out.update(self.scope.to_dict())
        return out


@dataclass(slots=True)
class Entity:
    id: str
    name: str
    key: str
    type: str
    user_id: str | None
    agent_id: str | None
    run_id: str | None
    created_at: str
    aliases: list[str] = field(default_factory=list)
    embedding: Vector | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.user_id, self.agent_id, self.run_id)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "aliases": list(self.aliases),
            "created_at": self.created_at,
        }
        out.update(self.scope.to_dict())
        return out


@dataclass(slots=True)
class Relation:
    """A fact between two entities, with who asserted it and when it held."""

    id: str
    type: str
    fact: str
    source_id: str
    target_id: str
    source: str  # the entities' names, denormalised so results need no join
    target: str
    actor_id: str | None
    memory_ids: list[str]
    user_id: str | None
    agent_id: str | None
    run_id: str | None
    valid_from: str
    created_at: str
    valid_to: str | None = None
    invalidated_by: str | None = None
    confidence: float = 1.0
    embedding: Vector | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.user_id, self.agent_id, self.run_id)

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    def valid_at(self, when: str) -> bool:
        return self.valid_from <= when and (self.valid_to is None or when < self.valid_to)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "relationship": self.type,
            "destination": self.target,
            "fact": self.fact,
            "actor_id": self.actor_id,
            "memory_ids": list(self.memory_ids),
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "invalidated_by": self.invalidated_by,
            "created_at": self.created_at,
            "confidence": self.confidence,
        }
        out.update(self.scope.to_dict())
        return out


def vector_text(record: MemoryRecord | Entity | Relation) -> str:
    """What a record is embedded as: a memory its speaker and text (:func:`index_text`), an entity
    its name, a relation its fact."""
    if isinstance(record, MemoryRecord):
        return index_text(record.memory, record.actor_id)
    return record.name if isinstance(record, Entity) else record.fact


@dataclass(slots=True)
class HistoryEvent:
    id: str
    memory_id: str
    event: str  # ADD / UPDATE / DELETE
    old_memory: str | None
    new_memory: str | None
    actor_id: str | None
    role: str | None
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "memory_id": self.memory_id,
            "event": self.event,
            "old_memory": self.old_memory,
            "new_memory": self.new_memory,
            "actor_id": self.actor_id,
            "role": self.role,
            "created_at": self.created_at,
            "is_deleted": self.event == "DELETE",
        }


_KEY_STRIP = str.maketrans({c: " " for c in "\"'`.,;:!?()[]{}<>“”‘’"})
_LEADING_ARTICLES = ("the ", "a ", "an ", "our ", "my ", "your ", "their ", "his ", "her ")


def entity_key(name: str) -> str:
    """The normalised form used to resolve entity names: "The  New Landing-Page!" -> "new landing-page".

    Lower-cased (casefold), punctuation and quotes dropped, whitespace collapsed, one leading
    article or possessive removed. "@bob" and "Bob" share a key.
    """
    key = " ".join(name.casefold().lstrip("@").translate(_KEY_STRIP).split())
    for article in _LEADING_ARTICLES:
        if key.startswith(article) and len(key) > len(article):
            key = key[len(article) :]
            break
    return key
