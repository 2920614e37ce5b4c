"""Fact sentences for offline relations: plain English naming both ends with resolved names.

The fact is what search embeds and shows, so it reads as a sentence a person would write:
"Bob is responsible for hero section copy", "Jane is u1's sister", "hero copy is due Friday
(2025-03-07)". ``detail`` carries what the relation type alone cannot say (the kin word, the date
as written, the decision as phrased).
"""

from __future__ import annotations

_FACTS = {
    "WORKS_WITH": "{s} works with {d}",
    "WORKS_AT": "{s} works at {d}",
    "WORKS_ON": "{s} works on {d}",
    "MANAGES": "{s} manages {d}",
    "REPORTS_TO": "{s} reports to {d}",
    "MEMBER_OF": "{s} is a member of {d}",
    "RESPONSIBLE_FOR": "{s} is responsible for {d}",
    "COMPLETED": "{s} completed {d}",
    "REVIEWS": "{s} reviews {d}",
    "CREATED": "{s} created {d}",
    "OWNS": "{s} owns {d}",
    "LIVES_IN": "{s} lives in {d}",
    "LOCATED_IN": "{s} is located in {d}",
    "KNOWS": "{s} knows {d}",
    "FRIEND_OF": "{s} is a friend of {d}",
    "FAMILY_OF": "{s} and {d} are family",
    "LIKES": "{s} likes {d}",
    "DISLIKES": "{s} dislikes {d}",
    "PREFERS": "{s} prefers {d}",
    "HAS_STATUS": "{s} is {d}",
    "PART_OF": "{s} is part of {d}",
    "USES": "{s} uses {d}",
}
_AN_LETTERS = frozenset("AEFHILMNORSX")  # acronyms read letter by letter: "an SRE", "a PM"


def _article(word: str) -> str:
    if " of " in word:
        return "the"  # "the head of design"
    if word.isupper() and len(word) > 1:
        return "an" if word[0] in _AN_LETTERS else "a"
    return "an" if word[:1].casefold() in "aeiou" else "a"


def fact(src: str, rel: str, dst: str, detail: dict[str, str]) -> str:
    """A plain English sentence naming both ends.

    ``("Bob", "RESPONSIBLE_FOR", "hero copy", {})`` -> ``"Bob is responsible for hero copy"``.
    """
    if rel == "FAMILY_OF" and "kin" in detail:
        return f"{dst} is {src}'s {detail['kin'].casefold()}"
    if rel == "FAMILY_OF" and "kins" in detail:
        return f"{src} and {dst} are {detail['kins'].casefold()}"
    if rel == "HAS_ROLE":
        return f"{src} is {_article(dst)} {dst}"
    if rel == "DUE_ON":
        phrase = " ".join(detail.get("date", dst).split())
        return f"{src} is due on {dst}" if phrase == dst else f"{src} is due {phrase} ({dst})"
    if rel == "DECIDED":
        phrase = " ".join(detail.get("decision", dst).split())
        connector = detail.get("connector", "")
        joiner = "to" if connector.startswith(("to", "that")) else "on"
        return f"{src} decided {joiner} {phrase}"
    return _FACTS.get(rel, "{s} " + rel.casefold().replace("_", " ") + " {d}").format(s=src, d=dst)
