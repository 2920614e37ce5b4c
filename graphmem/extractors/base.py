"""The Extractor contract: turns of a conversation in, entities and attributed relations out.

An extractor sees the turns of one ``add`` call in order, each with its actor, and a context
(the default actor for first-person words, and the entities already known in the scope so
names seen before can be recognised). It returns names, not ids: the add pipeline resolves
names to entities and decides what is new, a duplicate or a contradiction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(slots=True)
class Turn:
    """One message of an add call."""

    index: int
    text: str
    actor_id: str | None  # the message's ``name``, else None
    role: str  # "user", "assistant", "system", "tool"
    created_at: str


@dataclass(slots=True)
class ExtractionContext:
    #: Who "I"/"me"/"my" refers to when a turn has no actor (the call's user_id, else agent_id).
    default_actor: str | None
    #: Every actor named in this add call and in the scope before it.
    actors: list[str] = field(default_factory=list)
    #: (name, type) of entities already in the scope.
    known_entities: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class ExtractedEntity:
    name: str
    type: str  # PERSON, ORGANIZATION, PROJECT, TASK, PLACE, DATE, STATUS, ROLE, THING, ...
    turn_index: int


@dataclass(slots=True)
class ExtractedRelation:
    source: str
    source_type: str
    relationship: str  # UPPER_SNAKE; checked against the allow-list by the pipeline
    destination: str
    destination_type: str
    fact: str  # a short sentence stating the relation, e.g. "Bob is responsible for the hero section copy"
    actor_id: str | None  # who asserted it: the turn's actor, else the default actor
    turn_index: int
    confidence: float = 1.0


@dataclass(slots=True)
class ExtractedFact:
    """A fact memory distilled from the turns (LLM extractors); offline extractors give none."""

    text: str
    actor_id: str | None
    turn_indexes: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Extraction:
    entities: list[ExtractedEntity] = field(default_factory=list)
    relations: list[ExtractedRelation] = field(default_factory=list)
    facts: list[ExtractedFact] = field(default_factory=list)


@runtime_checkable
class Extractor(Protocol):
    #: Reported in add results as ``extractor``.
    name: str

    def extract(self, turns: Sequence[Turn], context: ExtractionContext) -> Extraction: ...
