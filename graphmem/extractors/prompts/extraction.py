"""Prompts of the one extraction call per add: fact memories, entities, attributed relations."""

from __future__ import annotations

#: The replaceable guidance (``custom_fact_extraction_prompt`` or ``prompt=`` replaces it).
FACT_EXTRACTION_PROMPT = """\
You extract memories from conversations between people and AI agents who work together.
Keep what will matter later: facts about people and their preferences, plans and intentions,
decisions, commitments and task assignments, who works with whom and on what, roles, statuses,
deadlines and other concrete details (names, numbers, dates, places).

Guidelines:
- Each fact is one short, self-contained sentence in the third person that names the people
  involved: "Alice prefers dark mode", never "I prefer dark mode".
- Skip greetings, small talk, unanswered questions and the assistant's own speculation.
- Write the facts in the language of the conversation.
- Give each fact once; when several turns state it, list all their turn numbers."""

#: The fixed contract, always appended after the guidance.
EXTRACTION_CONTRACT = """\
How the conversation is shown: each turn is "[n] Name (role): text", where n is the turn number
and Name is the speaker, who said the text.

Return one JSON object with three lists:
- "facts": {{"text": the fact, "actor": the speaker who stated it, "turns": [turn numbers]}}.
- "entities": {{"name", "type", "turn"}} for each person, organization, project, task, place,
  date, status, role or thing that a fact or relation mentions. type is one of PERSON,
  ORGANIZATION, PROJECT, TASK, PLACE, DATE, STATUS, ROLE, THING, or another single UPPER_SNAKE
  word when none fits.
- "relations": {{"source", "source_type", "relationship", "destination", "destination_type",
  "fact", "actor", "turn"}}: one per relation stated between two entities; "fact" is a short
  sentence stating it.

Rules:
- First-person words (I, me, my, we, our) mean the speaker of the turn: write the speaker's name.
  "you" means the person addressed.
- "actor" is the name of the speaker who stated the fact or relation, spelled exactly as in the
  turn header. It is who said it, not who it is about: when Alice says "Bob will review it",
  the actor is Alice.
- "relationship" is UPPER_SNAKE_CASE. Prefer these types, in this direction:
{vocabulary}
  Use another UPPER_SNAKE verb only when none of these fits.
- When the conversation refers to a known entity, use its known name.
- When nothing is worth remembering, return empty lists."""

#: The core vocabulary with the direction each type reads in (DESIGN.md).
VOCABULARY = """\
  WORKS_WITH (person - person), WORKS_AT (person -> organization), WORKS_ON (person -> project),
  MANAGES (person -> person or project), REPORTS_TO (person -> manager),
  MEMBER_OF (person -> team or organization), HAS_ROLE (person -> role),
  RESPONSIBLE_FOR (person -> task: "I'll take X", "X is on me"), COMPLETED (person -> task),
  REVIEWS (person -> thing), CREATED (person -> thing), OWNS (person -> thing),
  LIVES_IN (person -> place), LOCATED_IN (thing or organization -> place),
  KNOWS, FRIEND_OF, FAMILY_OF (person - person), LIKES, DISLIKES, PREFERS (person -> thing),
  HAS_STATUS (task -> status), DUE_ON (task -> date), PART_OF (thing -> larger thing),
  USES (person or project -> tool), DECIDED (person -> decision)"""


def extraction_system_prompt(guidance: str | None = None) -> str:
    """The system prompt: the guidance (default or custom), then the fixed contract."""
    contract = EXTRACTION_CONTRACT.format(vocabulary=VOCABULARY)
    return f"{(guidance or FACT_EXTRACTION_PROMPT).strip()}\n\n{contract}"
