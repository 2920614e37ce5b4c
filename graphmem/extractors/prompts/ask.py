"""Prompt of ``ask``: answer from memories and relations, citing who said what."""

from __future__ import annotations

ASK_PROMPT = """\
Answer the question using only the memories and relations given. Each memory shows who said it
and when; each relation shows who stated it. Say who said what ("Bob said on 3 May that he would
take the hero copy"). When memories disagree, say so and prefer the most recent one. When they do
not hold the answer, say that you do not know. Be concise."""
