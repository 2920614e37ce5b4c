"""Update decisions: each new fact against the similar memories already in scope.

One LLM call decides, for every new fact, ADD / UPDATE / DELETE / NONE (mem0's update step).
Memory ids are shown to the model as small integers and mapped back: models copy ``3`` reliably
and mangle UUIDs. The answer is validated, not trusted:

- an id the model invents (not one it was shown) turns the decision into NONE;
- UPDATE or DELETE without a valid id becomes NONE; an UPDATE without text takes the fact;
- a memory already taken by an UPDATE or DELETE is not changed twice: a second UPDATE becomes an
  ADD of the fact (nothing is lost), a second DELETE a NONE;
- a fact the model skipped is added (a fact is never dropped silently);
- a fact whose text equals a similar memory's is NONE without asking, and facts with no similar
  memory are ADD without asking; when no fact needs the model, no call is made.

Every decision carries the actor of its fact, so attribution survives a rewrite of the text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from graphmem.extractors.base import ExtractedFact
from graphmem.extractors.prompts.update import update_system_prompt
from graphmem.llms.base import LLM, Message, Usage
from graphmem.models import MemoryRecord

log = logging.getLogger("graphmem.llm")

Event = Literal["ADD", "UPDATE", "DELETE", "NONE"]


@dataclass(slots=True)
class Decision:
    """What to do with one new fact.

    Attributes:
        event: ADD, UPDATE, DELETE or NONE.
        fact_index: The fact's index in the ``facts`` given to :func:`decide_updates`.
        text: ADD: the fact; UPDATE: the merged text to store; DELETE/NONE: the fact.
        actor_id: Who stated the fact (the extractor's attribution).
        memory_id: UPDATE/DELETE: the memory to change; NONE: the memory that already holds
            the fact, when known; ADD: None.
        old_memory: The target memory's current text, for the history event.
    """

    event: Event
    fact_index: int
    text: str
    actor_id: str | None
    memory_id: str | None = None
    old_memory: str | None = None


class DecisionOut(BaseModel):
    fact: int
    event: str
    id: int | str | None = None
    text: str = ""


class DecisionsOut(BaseModel):
    """The JSON the update call must return."""

    decisions: list[DecisionOut] = Field(default_factory=list)


def decide_updates(
    llm: LLM,
    facts: Sequence[ExtractedFact],
    similar: Mapping[int, Sequence[tuple[MemoryRecord, float]]],
    *,
    custom_prompt: str | None = None,
) -> tuple[list[Decision], Usage]:
    """Decide ADD / UPDATE / DELETE / NONE for each fact (see the module docstring).

    Args:
        llm: The model to ask.
        facts: The new facts, as extracted.
        similar: For each fact index, the most similar memories in scope with their scores.
        custom_prompt: Replaces the default guidance (``custom_update_memory_prompt``); the
            id and JSON contract is always kept.

    Returns:
        Exactly one decision per fact, in fact order, and the tokens spent (zero when no call
        was needed).

    Raises:
        ExtractionError: The model gave no usable JSON after bounded retries.
        LLMError: The model could not be reached or rejected the request.
    """
    decided: dict[int, Decision] = {}
    pending: list[int] = []
    for i, fact in enumerate(facts):
        candidates = [m for m, _score in similar.get(i, ())]
        same = next((m for m in candidates if _norm(m.memory) == _norm(fact.text)), None)
        if same is not None:
            decided[i] = Decision("NONE", i, fact.text, fact.actor_id, same.id, same.memory)
        elif not candidates:
            decided[i] = Decision("ADD", i, fact.text, fact.actor_id)
        else:
            pending.append(i)
    usage = Usage()
    if pending:
        shown, by_number = _number_memories(pending, similar)
        messages: list[Message] = [
            {"role": "system", "content": update_system_prompt(custom_prompt)},
            {"role": "user", "content": _render(facts, pending, similar, shown)},
        ]
        out, usage = llm.complete_json(messages, DecisionsOut, name="memory_update")
        decided.update(_validate(out, facts, pending, by_number))
    for i in pending:
        if i not in decided:
            log.info("the model gave no decision for fact %d; adding it", i)
            decided[i] = Decision("ADD", i, facts[i].text, facts[i].actor_id)
    return [decided[i] for i in range(len(facts))], usage


def _norm(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".")


def _number_memories(
    pending: Sequence[int], similar: Mapping[int, Sequence[tuple[MemoryRecord, float]]]
) -> tuple[dict[str, int], dict[int, MemoryRecord]]:
    """Small integers for the memories shown, most similar first: (uuid -> n, n -> memory)."""
    shown: dict[str, int] = {}
    by_number: dict[int, MemoryRecord] = {}
    for i in pending:
        for memory, _score in sorted(similar.get(i, ()), key=lambda ms: -ms[1]):
            if memory.id not in shown:
                shown[memory.id] = len(shown)
                by_number[shown[memory.id]] = memory
    return shown, by_number


def _render(
    facts: Sequence[ExtractedFact],
    pending: Sequence[int],
    similar: Mapping[int, Sequence[tuple[MemoryRecord, float]]],
    shown: Mapping[str, int],
) -> str:
    memories = [{"id": n, "text": m.memory, "actor": m.actor_id} for m, n in _by_number(similar, shown)]
    new = [
        {"fact": i, "text": facts[i].text, "actor": facts[i].actor_id,
         "similar": [shown[m.id] for m, _s in sorted(similar.get(i, ()), key=lambda ms: -ms[1])]}
        for i in pending
    ]  # fmt: skip
    return (
        f"Existing memories:\n{json.dumps(memories, ensure_ascii=False, indent=1)}\n\n"
        f"New facts:\n{json.dumps(new, ensure_ascii=False, indent=1)}"
    )


def _by_number(
    similar: Mapping[int, Sequence[tuple[MemoryRecord, float]]], shown: Mapping[str, int]
) -> list[tuple[MemoryRecord, int]]:
    seen: dict[str, MemoryRecord] = {
        m.id: m for pairs in similar.values() for m, _s in pairs if m.id in shown
    }
    return sorted(((m, shown[mid]) for mid, m in seen.items()), key=lambda mn: mn[1])


def _validate(
    out: DecisionsOut,
    facts: Sequence[ExtractedFact],
    pending: Sequence[int],
    by_number: Mapping[int, MemoryRecord],
) -> dict[int, Decision]:
    """Map the model's decisions back to memory ids, refusing what it was not shown."""
    decided: dict[int, Decision] = {}
    taken: set[str] = set()  # memories already updated or deleted by an earlier decision
    allowed = set(pending)
    for d in out.decisions:
        if d.fact not in allowed or d.fact in decided:
            continue  # an unknown fact, or a second decision for one: the first stands
        decision = _checked(d, facts[d.fact], by_number, taken)
        if decision is not None:
            decided[d.fact] = decision
    return decided


def _checked(
    d: DecisionOut, fact: ExtractedFact, by_number: Mapping[int, MemoryRecord], taken: set[str]
) -> Decision | None:
    """One decision made safe; None for an unknown event (the fact will then be added)."""
    event = d.event.strip().upper()
    target = _target(d.id, by_number)
    if d.id is not None and target is None:
        log.warning("the model referred to memory %r, which it was not shown; ignoring it", d.id)
    add = Decision("ADD", d.fact, fact.text, fact.actor_id)
    keep = Decision("NONE", d.fact, fact.text, fact.actor_id,
                    target.id if target else None, target.memory if target else None)  # fmt: skip
    if event == "ADD":
        return add
    if event not in ("UPDATE", "DELETE", "NONE"):
        return None
    if event == "NONE" or target is None:
        return keep  # NONE as asked, or an UPDATE/DELETE whose target is missing or invented
    if target.id in taken:
        return add if event == "UPDATE" else keep
    if event == "DELETE":
        taken.add(target.id)
        return Decision("DELETE", d.fact, fact.text, fact.actor_id, target.id, target.memory)
    # an UPDATE without text means "replace with the fact": the fact is the newer statement
    text = " ".join(d.text.split()) or fact.text
    if _norm(text) == _norm(target.memory):
        return keep
    taken.add(target.id)
    return Decision("UPDATE", d.fact, text, fact.actor_id, target.id, target.memory)


def _target(raw: int | str | None, by_number: Mapping[int, MemoryRecord]) -> MemoryRecord | None:
    if raw is None or isinstance(raw, bool):
        return None
    try:
        number = int(str(raw).strip())
    except ValueError:
        return None
    return by_number.get(number)
