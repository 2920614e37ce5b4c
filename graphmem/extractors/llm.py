"""The LLM extractor: one structured call per add gives fact memories, entities and relations.

The model sees every turn with its speaker (``[2] Alice (user): text``) and must say, for each
fact and relation, which speaker stated it. What comes back is checked rather than trusted: an
actor that is not a speaker of this add, or not the speaker of the turns the fact cites, is
replaced by the cited turn's speaker; turn numbers that do not exist are dropped; relation types
are normalised to UPPER_SNAKE and checked against the allow-list pattern; "I"/"me" entities
become the speaker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, Field

from graphmem.errors import ExtractionError
from graphmem.extractors.base import (
    ExtractedEntity,
    ExtractedFact,
    ExtractedRelation,
    Extraction,
    ExtractionContext,
    Turn,
)
from graphmem.extractors.prompts.extraction import extraction_system_prompt
from graphmem.extractors.prompts.procedural import PROCEDURAL_MEMORY_PROMPT
from graphmem.llms.base import LLM, Message, Usage
from graphmem.models import entity_key

_TYPE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
#: Common near-synonyms of core types, same direction, so the graph does not split one meaning.
_TYPE_ALIASES = {
    "WORKS_FOR": "WORKS_AT",
    "EMPLOYED_BY": "WORKS_AT",
    "EMPLOYED_AT": "WORKS_AT",
    "COLLABORATES_WITH": "WORKS_WITH",
    "RESIDES_IN": "LIVES_IN",
    "LIVES_AT": "LIVES_IN",
    "IS_LOCATED_IN": "LOCATED_IN",
    "IS_PART_OF": "PART_OF",
    "IS_RESPONSIBLE_FOR": "RESPONSIBLE_FOR",
    "IS_MEMBER_OF": "MEMBER_OF",
}
#: Entity names that mean the speaker of the turn.
_FIRST_PERSON = frozenset({"i", "me", "myself"})
#: Known entities listed to the model, at most: enough to reuse names, bounded prompt size.
_MAX_KNOWN_ENTITIES = 200


class FactOut(BaseModel):
    text: str
    actor: str | None = None
    turns: list[int] = Field(default_factory=list)


class EntityOut(BaseModel):
    name: str
    type: str = "THING"
    turn: int | None = None


class RelationOut(BaseModel):
    source: str
    source_type: str = "THING"
    relationship: str
    destination: str
    destination_type: str = "THING"
    fact: str = ""
    actor: str | None = None
    turn: int | None = None


class ExtractionOut(BaseModel):
    """The JSON the extraction call must return (sent as the response's JSON schema)."""

    facts: list[FactOut] = Field(default_factory=list)
    entities: list[EntityOut] = Field(default_factory=list)
    relations: list[RelationOut] = Field(default_factory=list)


class LLMExtractor:
    """Extractor backed by an :class:`~graphmem.llms.base.LLM` (see the module docstring).

    Args:
        llm: The model to ask.
        fact_prompt: Replaces the default guidance on what to remember
            (``custom_fact_extraction_prompt``). The speaker and JSON contract is always kept.
    """

    name = "llm"

    def __init__(self, llm: LLM, fact_prompt: str | None = None) -> None:
        self.llm = llm
        self.fact_prompt = fact_prompt

    def extract(self, turns: Sequence[Turn], context: ExtractionContext) -> Extraction:
        """The :class:`Extractor` entry point; use :meth:`extract_with_usage` to get the usage."""
        extraction, _usage = self.extract_with_usage(turns, context)
        return extraction

    def extract_with_usage(
        self, turns: Sequence[Turn], context: ExtractionContext, *, prompt: str | None = None
    ) -> tuple[Extraction, Usage]:
        """Extract facts, entities and relations from ``turns`` in one LLM call.

        Args:
            turns: The turns of one add call, in order.
            context: The default actor and the entities already known in the scope.
            prompt: Per-call guidance replacing ``fact_prompt`` (``add(..., prompt=...)``).

        Returns:
            The extraction, and the tokens the call cost.

        Raises:
            ExtractionError: The model gave no usable JSON after bounded retries.
            LLMError: The model could not be reached or rejected the request.
        """
        if not turns:
            return Extraction(), Usage()
        messages: list[Message] = [
            {"role": "system", "content": extraction_system_prompt(prompt or self.fact_prompt)},
            {"role": "user", "content": render_conversation(turns, context)},
        ]
        out, usage = self.llm.complete_json(messages, ExtractionOut, name="extraction")
        return _Attributor(turns, context).extraction(out), usage

    def summarize_procedural(
        self, turns: Sequence[Turn], agent_id: str, *, prompt: str | None = None
    ) -> tuple[str, Usage]:
        """Summarise an agent's run into the text of one procedural memory.

        Raises:
            ExtractionError: The model answered with an empty summary.
        """
        messages: list[Message] = [
            {"role": "system", "content": prompt or PROCEDURAL_MEMORY_PROMPT},
            {"role": "user", "content": f"Agent: {agent_id}\n\nConversation:\n"
             + "\n".join(_render_turn(t, t.actor_id) for t in turns)},
        ]  # fmt: skip
        text, usage = self.llm.complete_text(messages)
        if not text.strip():
            raise ExtractionError(f"{self.llm.model} returned an empty procedural summary")
        return text.strip(), usage


def render_conversation(turns: Sequence[Turn], context: ExtractionContext) -> str:
    """The user message of the extraction call: known entities, then numbered, named turns."""
    lines: list[str] = []
    if context.default_actor:
        lines.append(f"Unnamed first-person speakers are: {context.default_actor}")
    if context.known_entities:
        known = ", ".join(f"{n} ({t})" for n, t in context.known_entities[:_MAX_KNOWN_ENTITIES])
        lines.append(f"Known entities: {known}")
    lines.append("Conversation:")
    lines.extend(_render_turn(t, turn_actor(t, context)) for t in turns)
    return "\n".join(lines)


def turn_actor(turn: Turn, context: ExtractionContext) -> str | None:
    """Who speaks in ``turn``: its name, else the default actor (the Extractor contract)."""
    return turn.actor_id or context.default_actor


def _render_turn(turn: Turn, actor: str | None) -> str:
    return f"[{turn.index}] {actor or turn.role} ({turn.role}): {turn.text}"


def relation_type(raw: str) -> str | None:
    """``"works for"`` -> ``"WORKS_AT"``; None when nothing allow-listable is left."""
    t = re.sub(r"[^A-Za-z0-9]+", "_", raw.strip()).strip("_").upper()
    t = _TYPE_ALIASES.get(t, t)
    return t if _TYPE_PATTERN.fullmatch(t) else None


def entity_type(raw: str) -> str:
    t = re.sub(r"[^A-Za-z0-9]+", "_", raw.strip()).strip("_").upper()
    return t if _TYPE_PATTERN.fullmatch(t) else "THING"


class _Attributor:
    """Turns the model's answer into an :class:`Extraction`, checking every attribution."""

    def __init__(self, turns: Sequence[Turn], context: ExtractionContext) -> None:
        self.turns = list(turns)
        self.context = context
        self.actor_of = {t.index: turn_actor(t, context) for t in turns}
        speakers = [a for a in self.actor_of.values() if a] + (
            [context.default_actor] if context.default_actor else []
        )
        # the model may change case ("alice"); map back to the spelling the caller used
        self.speakers = {s.casefold(): s for s in reversed(speakers)}

    def extraction(self, out: ExtractionOut) -> Extraction:
        facts = self._facts(out.facts)
        relations = [r for r in (self._relation(r) for r in out.relations) if r is not None]
        return Extraction(entities=self._entities(out.entities, relations), relations=relations, facts=facts)

    def actor(self, claimed: str | None, turn_indexes: Sequence[int]) -> str | None:
        """The claimed actor if it spoke in the cited turns; else the cited turn's speaker."""
        canonical = self.speakers.get(claimed.strip().casefold()) if claimed else None
        cited = [self.actor_of[i] for i in turn_indexes if self.actor_of.get(i)]
        if cited:
            return canonical if canonical in cited else cited[0]
        return canonical or self.context.default_actor

    def _facts(self, raw: Sequence[FactOut]) -> list[ExtractedFact]:
        facts: list[ExtractedFact] = []
        seen: set[str] = set()
        for f in raw:
            text = " ".join(f.text.split())
            if not text or text.casefold() in seen:
                continue
            seen.add(text.casefold())
            turns = list(dict.fromkeys(i for i in f.turns if i in self.actor_of))
            facts.append(ExtractedFact(text=text, actor_id=self.actor(f.actor, turns), turn_indexes=turns))
        return facts

    def _turn_for(self, turn: int | None, claimed: str | None) -> int:
        """A valid turn index: the one given, else the claimed speaker's first turn, else the first."""
        if turn is not None and turn in self.actor_of:
            return turn
        canonical = self.speakers.get(claimed.strip().casefold()) if claimed else None
        for t in self.turns:
            if canonical and self.actor_of[t.index] == canonical:
                return t.index
        return self.turns[0].index

    def _name(self, name: str, type_: str, turn: int) -> tuple[str | None, str]:
        """The entity's name and type, "I"/"me" replaced by the turn's speaker (a PERSON)."""
        name = " ".join(name.split())
        if entity_key(name) in _FIRST_PERSON:
            return self.actor_of.get(turn), "PERSON"
        return (name if entity_key(name) else None), entity_type(type_)

    def _relation(self, r: RelationOut) -> ExtractedRelation | None:
        rel_type = relation_type(r.relationship)
        turn = self._turn_for(r.turn, r.actor)
        source, source_type = self._name(r.source, r.source_type, turn)
        destination, destination_type = self._name(r.destination, r.destination_type, turn)
        if rel_type is None or not source or not destination or entity_key(source) == entity_key(destination):
            return None
        fact = " ".join(r.fact.split()) or f"{source} {rel_type.lower().replace('_', ' ')} {destination}"
        return ExtractedRelation(
            source=source, source_type=source_type, relationship=rel_type, destination=destination,
            destination_type=destination_type, fact=fact, actor_id=self.actor(r.actor, [turn]),
            turn_index=turn,
        )  # fmt: skip

    def _entities(
        self, raw: Sequence[EntityOut], relations: Sequence[ExtractedRelation]
    ) -> list[ExtractedEntity]:
        """The model's entities plus every relation endpoint, once per normalised name."""
        out: dict[str, ExtractedEntity] = {}
        for e in raw:
            turn = self._turn_for(e.turn, None)
            name, type_ = self._name(e.name, e.type, turn)
            if name and entity_key(name) not in out:
                out[entity_key(name)] = ExtractedEntity(name=name, type=type_, turn_index=turn)
        for r in relations:
            for name, type_ in ((r.source, r.source_type), (r.destination, r.destination_type)):
                out.setdefault(
                    entity_key(name), ExtractedEntity(name=name, type=type_, turn_index=r.turn_index)
                )
        return list(out.values())
