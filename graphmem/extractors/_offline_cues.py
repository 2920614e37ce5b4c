"""Cues that need no English: @mentions, names the scope knows, quoted names, calendar dates.

They make entities (mentions of a memory) wherever they appear, in questions too and in any
language: "Bob y yo estamos construyendo "Proyecto Halcón" para el 2025-03-03" still mentions Bob,
Proyecto Halcón and 2025-03-03. They never make relations on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from graphmem.extractors._offline_lexicon import FIRST_PERSON, PRONOUNS
from graphmem.extractors._offline_patterns import NP
from graphmem.extractors._offline_slots import Ent, Known, noun_phrase, resolve_person
from graphmem.extractors._offline_text import EXPLICIT_DATE, resolve_date

_MENTION = re.compile(r"(?<![\w@])@(\w[\w.-]*\w|\w)")
_QUOTED = re.compile(r'"([^"\n]{2,40})"|(?<![\w])\'([^\'\n]{2,40})\'(?![\w])')
_SCAN_WORD = re.compile(r"\w[\w'.-]*")
#: "Who can take the hero copy?" names the task a later "I'll take it" means.
_ASKED = re.compile(
    r"\b(?:take|grab|handle|do|own|review|finish|cover|pick\s+up|work\s+on|look\s+at|help\s+with|write|draft)"
    rf"\s+(?P<o>{NP})",
    re.IGNORECASE,
)


def cue_entities(sentence: str, known: Known, speaker: Ent | None, base: date | None) -> Iterator[Ent]:
    """The entities a sentence mentions by cues alone (see the module docstring)."""
    for handle in _MENTION.findall(sentence):
        yield from resolve_person(["@" + handle], known, speaker, [], strict=False) or []
    lowered = sentence.casefold()
    scan = {w.strip(".'-").removesuffix("'s") for w in _SCAN_WORD.findall(lowered)}
    for key in scan & known.single:
        yield known.by_key[key]
    for key in known.multi:  # a substring test per multi-word name first: scopes hold hundreds
        if key in lowered and re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", lowered):
            yield known.by_key[key]
    for double, single in _QUOTED.findall(sentence):
        quoted = (double or single).strip()
        tokens = quoted.split()
        first = tokens[0].casefold() if tokens else ""
        # a short name, not a quoted sentence ("he said "I'm done."") or a pronoun
        if 1 <= len(tokens) <= 5 and quoted[-1:] not in ".!?," and first not in FIRST_PERSON | PRONOUNS:
            found = noun_phrase(f'"{quoted}"', "thing", known)
            yield found if isinstance(found, Ent) else Ent(quoted, "THING")
    for found_date in EXPLICIT_DATE.finditer(sentence):
        yield Ent(resolve_date(found_date[0], base), "DATE")


def asked_task(sentence: str, known: Known) -> Ent | None:
    """The last task a question names, for a later "it": "who can take the hero copy?"."""
    task = None
    for m in _ASKED.finditer(sentence):
        got = noun_phrase(m["o"], "task", known)
        if isinstance(got, Ent):
            task = got
    return task
