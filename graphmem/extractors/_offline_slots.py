"""Reading what a rule captured: people, noun phrases, roles, places, and what the scope knows.

A rule's regex is deliberately loose ("up to eight words after the verb"); these readers decide
what the words name, strip articles, type the entity, and refuse what is not a name at all
("I'll take a look", "love this"). Names keep the casing they were written with.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from graphmem.extractors._offline_lexicon import (
    DETERMINERS,
    FIRST_PERSON,
    FIRST_PERSON_PLURAL,
    GROUP_HEADS,
    NOT_NAMES,
    NOT_PLACES,
    NOT_PROJECTS,
    NOT_TASKS,
    OBJECT_MARKERS,
    ORG_SUFFIXES,
    PRONOUNS,
    ROLE_HEADS,
    TIME_WORDS,
    wordset,
)
from graphmem.extractors._offline_patterns import SLOT_TYPES
from graphmem.extractors._offline_text import is_date
from graphmem.models import entity_key

#: Names recur across rules, turns and calls; the key is the same every time.
key_of = functools.lru_cache(maxsize=16384)(entity_key)


@dataclass(frozen=True, slots=True)
class Ent:
    """A name as it will be returned, with its type."""

    name: str
    type: str

    @property
    def key(self) -> str:
        return key_of(self.name)


@dataclass(slots=True)
class Known:
    """What the scope already knows, indexed for the readers: names by key, people, handles."""

    by_key: dict[str, Ent] = field(default_factory=dict)
    person_words: set[str] = field(default_factory=set)  # lower-case words of people's names
    handles: dict[str, Ent] = field(default_factory=dict)  # "bobsmith" -> Bob Smith
    single: set[str] = field(default_factory=set)  # one-word keys, for the mention scan
    multi: list[str] = field(default_factory=list)  # keys of several words

    @classmethod
    def build(cls, actors: Sequence[str], entities: Sequence[tuple[str, str]]) -> Known:
        known = cls()
        people = [Ent(a, "PERSON") for a in actors if a]
        for ent in [*(Ent(n, t or "THING") for n, t in entities if n), *people]:
            key = ent.key
            if not key or (key in known.by_key and known.by_key[key].type == "PERSON"):
                continue
            known.by_key[key] = ent
            (known.multi.append if " " in key else known.single.add)(key)
            if ent.type == "PERSON":
                known.person_words.update(key.split())
                known.handles[key.replace(" ", "").replace(".", "").replace("-", "")] = ent
        return known

    def person(self, text: str) -> Ent | None:
        ent = self.by_key.get(key_of(text))
        return ent if ent is not None and ent.type == "PERSON" else None


#: A phrase cannot start with a finite verb: "it brings such joy" is not a thing.
_VERBISH = wordset(
    "is are was were has have had can could will would should might must makes gives helps keeps brings "
    "means takes feels seems sounds looks becomes lets does did"
)
_TOKEN = re.compile(r"@?[^\W\d][\w'.-]*|,|&")
_TRAILING_JUNK = wordset(
    "too also now again already please first asap lol haha tbh btw anyway anymore yet soon later today "
    "tomorrow tonight yesterday though either instead properly quickly together well"
)
_PERIODS = re.compile(
    r"\s+(?:(?:next|last|this|every|each)\s+\w+|(?:\d+|one|two|three|four|five|a few|a couple of|several)\s+"
    r"(?:days?|weeks?|weekends?|months?|years?)(?:\s+(?:later|ago|from now|before|after))?)$",
    re.IGNORECASE,
)
_ARTICLES = frozenset({"a", "an"})
_QUANTITY = re.compile(
    r"^(?:a lot of|lots of|a bunch of|a couple of|a few|all kinds of|some of|all of)\s+", re.I
)
_POSSESSIVE = re.compile(r"'s?$")


def person_token(tok: str, known: Known) -> bool:
    """Can this word be (part of) a person's name in this scope?"""
    low = tok.casefold()
    if low in FIRST_PERSON or tok.startswith("@") or low in known.person_words:
        return True
    if tok.isupper() and len(tok) > 1:
        return False  # "HQ", "PR", "API": acronyms, not people
    return tok[:1].isupper() and low not in NOT_NAMES and not is_date(tok) and not _common_noun(low)


_NOUN_ENDINGS = (
    "ing",
    "tion",
    "sion",
    "ment",
    "ness",
    "ity",
    "ism",
    "ship",
    "ball",
    "ence",
    "ance",
    "ology",
    "ics",
)


def _common_noun(word: str) -> bool:
    """ "Basketball", "Painting", "Volunteering" open sentences; names rarely end like that."""
    return len(word) > 5 and word.endswith(_NOUN_ENDINGS)


def people(text: str, *, leftward: bool, known: Known) -> list[list[str]]:
    """Split a person list into items of tokens: "Alice, Bob and I" -> [[Alice], [Bob], [I]].

    Leftward reading keeps the run of name words that ends the text ("Yesterday Bob and I" ->
    Bob, I); rightward keeps the run that starts it ("Sarah at the conference" -> Sarah).
    """
    tokens = _TOKEN.findall(text)
    if leftward:
        tokens.reverse()
    items: list[list[str]] = []
    seps: list[str] = []  # the separator before each further item, in reading order
    cur: list[str] = []
    closed = False  # "I" is an item on its own
    used = 0
    for tok in tokens:
        low = tok.casefold()
        if tok in (",", "&") or low == "and":
            if not cur:
                break
            items.append(cur)
            seps.append("and" if tok == "&" else low)
            cur, closed = [], False
            continue
        if closed or len(cur) >= 3 or not person_token(tok, known) or (low in FIRST_PERSON and cur):
            break
        cur.append(tok)
        used = sum(len(i) for i in items) + len(seps) + len(cur)
        closed = low in FIRST_PERSON or tok.startswith("@")
    if cur:
        items.append(cur)
    seps = seps[: len(items) - 1]
    # a list ends in "and": "Alice, Bob and I", but "Hey Nate, I love it" is one person
    if len(items) > 1 and seps[0 if leftward else -1] != "and":
        items = items[:1]
    if leftward:
        items = [list(reversed(i)) for i in reversed(items)]
        before = tokens[used].casefold() if used < len(tokens) else ""
        if len(items) > 1 and before in OBJECT_MARKERS:
            items = items[1:]  # "I'm at Acme Corp and I live in Lisbon": Acme Corp is not a subject
    return items


def resolve_person(
    item: list[str], known: Known, speaker: Ent | None, partners: list[Ent], *, strict: bool
) -> list[Ent] | None:
    """The people one item names; "we" is the speaker and the partners they named in this turn.

    ``strict`` accepts only people the scope knows, first person and @mentions.
    """
    if item[-1].casefold().endswith("'s"):  # "my daughter Sara's birthday": Sara
        item = [*item[:-1], item[-1][:-2]]
    text = " ".join(item)
    low = text.casefold()
    if low in FIRST_PERSON:
        if speaker is None:
            return None
        return [speaker, *partners] if low in FIRST_PERSON_PLURAL else [speaker]
    if text.startswith("@"):
        handle = text[1:].rstrip(".")
        found = known.handles.get(handle.casefold().replace(".", "").replace("-", "").replace("_", ""))
        return [found or known.person(handle) or Ent(handle, "PERSON")]
    ent = known.by_key.get(key_of(text))
    if ent is not None:
        return [ent] if ent.type == "PERSON" else None
    if strict or not all(
        t[:1].isupper() and t.casefold() not in NOT_NAMES and not _common_noun(t.casefold()) for t in item
    ):
        return None
    if len(item) > 1 and item[-1].casefold() in ORG_SUFFIXES:
        return None
    return [Ent(text, "PERSON")]


def strip_np(text: str) -> tuple[list[str], bool]:
    """A noun phrase's tokens without leading determiners and trailing filler; and whether it had "a"/"an"."""
    text = _QUANTITY.sub("", _PERIODS.sub("", text.strip().strip(".,")))
    tokens = text.split()
    indefinite = False
    while tokens and tokens[0].casefold() in DETERMINERS and len(tokens) > 1:
        indefinite = indefinite or tokens[0].casefold() in _ARTICLES
        tokens.pop(0)
    while tokens and tokens[-1].casefold().strip(".!,") in _TRAILING_JUNK:
        tokens.pop()
    return tokens, indefinite


def head(tokens: list[str]) -> str:
    """The head noun of a phrase: its last word, singular, without a possessive."""
    word = _POSSESSIVE.sub("", tokens[-1].casefold().strip(".,!"))
    return word[:-1] if word.endswith("s") and word[:-1] in ROLE_HEADS | GROUP_HEADS else word


def is_role(tokens: list[str]) -> bool:
    """ "product designer", "head of design", "VP of Engineering": a role noun at the head."""
    lowered = [t.casefold() for t in tokens]
    if "of" in lowered:
        before = lowered[: lowered.index("of")]
        return bool(before) and head(tokens[: len(before)]) in ROLE_HEADS
    return head(tokens) in ROLE_HEADS


def capitalised(tokens: list[str]) -> bool:
    return any(t[:1].isupper() for t in tokens)


def noun_phrase(text: str, kind: str, known: Known) -> Ent | str | None:
    """Read a captured noun phrase for a slot of ``kind``.

    Returns the entity, the pronoun itself ("it", "that") for the caller to resolve, or None when
    the words do not name anything this slot can hold.
    """
    raw = text.strip()
    quoted = raw.startswith('"') and raw.endswith('"') and len(raw) > 2
    if quoted:
        tokens, indefinite = raw[1:-1].split(), False
    else:
        tokens, indefinite = strip_np(raw)
    if not tokens:
        return None
    low = [t.casefold() for t in tokens]
    if len(tokens) == 1 and low[0] in ("it", "that", "this", "them"):
        return low[0]
    if not quoted and (
        low[0] in _VERBISH
        or len(tokens) > 6
        or all(t in PRONOUNS or t in DETERMINERS for t in low)
        or any(t in FIRST_PERSON or t in ("you", "he", "she", "they") for t in low)
    ):
        return None
    name = " ".join(tokens)
    ent = known.by_key.get(key_of(name))
    if ent is not None:
        if ent.type == "PERSON" and kind not in ("managed", "thing"):
            return None
        return ent
    if is_date(name) and kind != "date":
        return None
    return _typed(name, tokens, low, kind, indefinite, quoted)


def _typed(
    name: str, tokens: list[str], low: list[str], kind: str, indefinite: bool, quoted: bool
) -> Ent | None:
    """Slot-specific checks for a phrase the scope does not know yet."""
    hd = head(tokens)
    if kind == "task":
        if (
            hd in NOT_TASKS
            or low[0] in NOT_TASKS
            or (len(low) == 1 and low[0].endswith("ing") and not quoted)
        ):
            return None  # "finished rereading", "doing great"
        return Ent(name, "TASK")
    if kind in ("city", "firm"):  # only a name: "the office is in Lisbon", "the CTO of Globex"
        if not all(t[:1].isupper() for t in tokens) or hd in NOT_PLACES:
            return None
        return Ent(name, "PLACE" if kind == "city" else "ORGANIZATION")
    if kind in ("org", "place"):
        if (
            indefinite
            or hd in NOT_PLACES
            or hd in TIME_WORDS
            or (not capitalised(tokens) and len(tokens) > 2)
        ):
            return None
        return Ent(name, "ORGANIZATION" if kind == "org" else "PLACE")
    if kind == "group":
        return Ent(name, "ORGANIZATION") if hd in GROUP_HEADS else None
    if kind == "role":
        return Ent(name, "ROLE") if is_role(tokens) and len(tokens) <= 5 else None
    if kind == "title":
        return Ent(name, "ROLE") if len(tokens) <= 5 and hd not in NOT_TASKS else None
    if kind == "managed":
        if hd in GROUP_HEADS:
            return Ent(name, "ORGANIZATION")
        if len(tokens) <= 2 and all(t[:1].isupper() and t.casefold() not in NOT_NAMES for t in tokens):
            return Ent(name, "PERSON")  # "Alice manages Bob"
        return Ent(name, "PROJECT")
    if kind in ("item", "site") and len(tokens) == 1 and tokens[0][:1].isupper() and not quoted:
        return None  # "Bob is blocked": a person, not a task, unless the scope knows otherwise
    if kind in ("project", "whole") and hd in NOT_PROJECTS:
        return None  # "busy with work and family"
    if kind in ("thing", "tool", "subject", "item", "project", "whole") and hd in (
        "one",
        "ones",
        "thing",
        "things",
        "stuff",
    ):
        return None
    return Ent(name, SLOT_TYPES[kind][1] if kind in SLOT_TYPES else "THING")


#: Words that end a subject read leftwards: "I think the copy is done" -> "the copy".
_NP_CUT = wordset(
    """
    i you he she we they and but or so because that if when then also btw ok okay yeah yes well anyway
    fyi update think guess said says say told heard know knew believe hope mean reckon noticed saw see
    seems looks since as while though although which who where whether now today yesterday tomorrow
    actually just finally apparently luckily unfortunately great cool nice good news ps am is are was were
    will would should can could do does did has have had not also sure think confirmed mentioned to going
    keep keeps kept
    """
)


def noun_phrase_left(prefix: str) -> tuple[str, bool]:
    """The noun phrase that ends ``prefix`` (at most seven words), and whether it starts the clause."""
    tokens = prefix.split()
    start = len(tokens)
    while start > 0 and len(tokens) - start < 7:
        tok = tokens[start - 1]
        if tok[-1:] in ",;:" or not tok.strip("-") or tok.casefold().strip(".!\"'") in _NP_CUT:
            break
        start -= 1
    words = tokens[start:]
    at_start = start == 0
    if words and words[-1].casefold() in OBJECT_MARKERS:
        return "", at_start  # "a feeling of being part of ...": the phrase is cut mid-way
    # "Landing page is done": capitalised only because it opens the sentence
    if (
        at_start
        and len(words) > 1
        and words[0][:1].isupper()
        and not words[0].isupper()
        and all(w.islower() for w in words[1:])
    ):
        words[0] = words[0][:1].lower() + words[0][1:]
    return " ".join(words), at_start
