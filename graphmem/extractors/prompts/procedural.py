"""Prompt of ``memory_type="procedural_memory"``: an agent's run summarised into one memory."""

from __future__ import annotations

PROCEDURAL_MEMORY_PROMPT = """\
You summarise the run of an AI agent into one procedural memory, so that the agent or another one
can resume or repeat the work without the original conversation.

Write, in plain text:
Task objective: what the agent was asked to do, and by whom when a person is named.
Progress status: how far it got, and what remains.
Steps: a numbered list; for each step, the action the agent took and its result, keeping every
concrete detail needed to continue (names, ids, URLs, commands, values, errors, decisions).

No preamble and no commentary."""
