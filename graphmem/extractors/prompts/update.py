"""Prompts of the update decision: new facts against similar stored memories."""

from __future__ import annotations

#: The replaceable guidance (``custom_update_memory_prompt`` replaces it).
UPDATE_MEMORY_PROMPT = """\
You keep a memory store up to date. Compare each new fact with the existing memories most
similar to it and choose one operation per fact:
- ADD: the fact is new information that no existing memory holds.
- UPDATE: the fact refines, corrects or extends an existing memory about the same thing. Give that
  memory's id and the merged text, keeping the useful details of both.
- DELETE: the fact shows an existing memory is no longer true. Give that memory's id.
- NONE: an existing memory already says the same thing, or the fact is not worth keeping.

Examples:
- Memory 0 "Alice likes pizza"; fact "Alice loves pepperoni pizza" -> UPDATE 0,
  "Alice loves pepperoni pizza".
- Memory 1 "Bob works at Acme"; fact "Bob left Acme" -> DELETE 1.
- Memory 2 "Carol's deadline is Friday"; fact "Carol's deadline is Friday" -> NONE.
- No similar memory; fact "Dan lives in Lyon" -> ADD."""

#: The fixed contract, always appended after the guidance.
UPDATE_CONTRACT = """\
Existing memories are given as {"id": number, "text", "actor": who said it}; new facts as
{"fact": number, "text", "actor", "similar": [ids of the existing memories closest to it]}.
Refer to existing memories only by the ids given; never make up an id.
Merge into an UPDATE only a memory about the same subject as the fact.

Return one JSON object: {"decisions": [{"fact": number, "event": "ADD" | "UPDATE" | "DELETE" |
"NONE", "id": the existing memory's id for UPDATE, DELETE or NONE, else null, "text": the new
fact for ADD, the merged text for UPDATE, else ""}]} with exactly one decision per new fact."""


def update_system_prompt(guidance: str | None = None) -> str:
    """The system prompt: the guidance (default or custom), then the fixed contract."""
    return f"{(guidance or UPDATE_MEMORY_PROMPT).strip()}\n\n{UPDATE_CONTRACT}"
