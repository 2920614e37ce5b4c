"""The rule language of the offline extractor: verb inflection, slots, templates, tense.

A rule is written as a template that reads like the sentence it matches::

    "{who} <work> at {org}"     ->  who WORKS_AT org

``{who}`` before the first word is the subject, read leftwards in Python from where the match
starts, so a rule that starts with its verb is only tried where that verb occurs; ``{who?}`` may
also be absent, meaning the speaker ("Finished the draft"). ``<work>`` is a verb in any
inflection (``<take_grab>``: either verb); the auxiliaries and adverbs in front of it ("I'll",
"we're now", "I don't") are read back from the text and give the tense and the polarity. Other
``{slot}``s capture what follows; the slot's name says how it is read and what type its entity
gets (see ``SLOT_TYPES``); ``{a}`` is an optional article. Anything else is regex, and the plain
words outside its groups must all be in a clause for the rule to run at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from graphmem.extractors._offline_lexicon import STATUSES, wordset
from graphmem.extractors._offline_text import DATE

# ---- verbs ------------------------------------------------------------------------------------
#: base -> (third person, past, past participle, gerund) for verbs the regular rules get wrong.
_IRREGULAR: dict[str, tuple[str, str, str, str]] = {
    "be": ("is", "was", "been", "being"),
    "have": ("has", "had", "had", "having"),
    "do": ("does", "did", "done", "doing"),
    "go": ("goes", "went", "gone", "going"),
    "take": ("takes", "took", "taken", "taking"),
    "lead": ("leads", "led", "led", "leading"),
    "build": ("builds", "built", "built", "building"),
    "write": ("writes", "wrote", "written", "writing"),
    "run": ("runs", "ran", "run", "running"),
    "make": ("makes", "made", "made", "making"),
    "choose": ("chooses", "chose", "chosen", "choosing"),
    "get": ("gets", "got", "gotten", "getting"),
    "know": ("knows", "knew", "known", "knowing"),
    "meet": ("meets", "met", "met", "meeting"),
    "draw": ("draws", "drew", "drawn", "drawing"),
    "set": ("sets", "set", "set", "setting"),
    "put": ("puts", "put", "put", "putting"),
    "buy": ("buys", "bought", "bought", "buying"),
    "oversee": ("oversees", "oversaw", "overseen", "overseeing"),
    "give": ("gives", "gave", "given", "giving"),
    "send": ("sends", "sent", "sent", "sending"),
    "hold": ("holds", "held", "held", "holding"),
    "begin": ("begins", "began", "begun", "beginning"),
    "come": ("comes", "came", "come", "coming"),
    "become": ("becomes", "became", "become", "becoming"),
    "lose": ("loses", "lost", "lost", "losing"),
    "find": ("finds", "found", "found", "finding"),
    "dig": ("digs", "dug", "dug", "digging"),
    "befriend": ("befriends", "befriended", "befriended", "befriending"),
}
#: Short verbs that double their last consonant: "ship" -> "shipped", "shipping".
_DOUBLING = wordset(
    "ship plan grab drop stop chat admit submit commit prefer refer swap scrap map tag log shop step wrap "
    "pin plot prep nab jot"
)
#: The forms of "to be" that can carry a tense of their own.
_BE_KINDS: dict[str, frozenset[str]] = {
    "am": frozenset({"3sg"}), "is": frozenset({"3sg"}), "are": frozenset({"3sg"}),
    "was": frozenset({"past"}), "were": frozenset({"past"}), "be": frozenset({"base"}),
    "been": frozenset({"pp"}), "being": frozenset({"ing"}),
}  # fmt: skip


def inflect(base: str) -> dict[str, frozenset[str]]:
    """Every written form of a verb, mapped to what it can be: base, 3sg, past, pp, ing."""
    if base == "be":
        return dict(_BE_KINDS)
    if base in _IRREGULAR:
        third, past, pp, ing = _IRREGULAR[base]
    else:
        stem = base + base[-1] if base in _DOUBLING else base
        if base.endswith(("s", "x", "z", "ch", "sh", "o")):
            third = base + "es"
        elif base.endswith("y") and base[-2:-1] not in ("a", "e", "o", "u"):
            third = base[:-1] + "ies"
        else:
            third = base + "s"
        if base.endswith("e"):
            past = base + "d"
        elif base.endswith("y") and base[-2:-1] not in ("a", "e", "o", "u"):
            past = base[:-1] + "ied"
        else:
            past = stem + "ed"
        pp = past
        if base.endswith("ie"):
            ing = base[:-2] + "ying"
        elif base.endswith("e") and not base.endswith(("ee", "ye", "oe")):
            ing = base[:-1] + "ing"
        else:
            ing = stem + "ing"
    kinds: dict[str, set[str]] = {}
    for form, kind in ((base, "base"), (third, "3sg"), (past, "past"), (pp, "pp"), (ing, "ing")):
        kinds.setdefault(form, set()).add(kind)
    return {form: frozenset(k) for form, k in kinds.items()}


# ---- auxiliaries and tense --------------------------------------------------------------------
#: Words that may stand between a subject and its verb; read back from the text before the verb.
AUX_WORDS = wordset(
    """
    am is are was were be been being have has had will would shall should can could may might must do
    does did not never also just currently now still really actually already recently finally mostly
    usually totally definitely probably maybe perhaps officially both all together soon then basically
    only even ever happily gladly absolutely kinda literally honestly certainly apparently personally
    obviously mainly primarily temporarily hopefully please def ultimately eventually unanimously
    """
)
AUX_PHRASES = frozenset(
    {
        "going to", "got to", "need to", "needs to", "have to", "has to", "had to", "used to", "want to",
        "wants to", "no longer", "sort of", "kind of", "able to", "about to", "supposed to", "happy to",
        "planning to", "trying to", "hoping to", "try to", "plan to", "hope to", "would like to",
    }
)  # fmt: skip

_BE = frozenset({"am", "is", "are", "was", "were", "be", "been", "being"})
STATE = frozenset({"present", "progressive", "perfect"})
EVENT = frozenset({"past", "perfect"})
ONGOING = frozenset({"present", "progressive", "perfect", "future"})
PLAN = frozenset({"present", "progressive", "future", "imperative", "obligation"})
COMMIT = PLAN | EVENT
ANY = COMMIT


def tenses(aux: list[str], kinds: frozenset[str], *, bare: bool) -> frozenset[str]:
    """What tenses an auxiliary chain and a verb form can express ("will" + base -> future).

    ``bare`` says the verb has no subject of its own (a subjectless clause, or a vocative: "Bob,
    take the copy"); a bare base form is then an imperative.
    """
    words = set(aux)
    text = " ".join(aux)
    if "used to" in text:
        return frozenset({"ended"})
    if words & {"was", "were"} and "going to" in text:
        return frozenset({"irrealis"})  # "I was going to take it": a plan that did not happen
    if "please" in words:
        return frozenset({"imperative"})
    if words & {"will", "shall"} or "going to" in text or "about to" in text:
        return frozenset({"future"})
    if "must" in words or re.search(r"\b(?:need|needs|have|has|had|got|supposed) to\b", text):
        return frozenset({"obligation"})
    out: set[str] = set()
    if "ing" in kinds and (bare or words & _BE):  # "a feeling of being part of": no finite verb
        out.add("past" if words & {"was", "were"} and not words & {"have", "has"} else "progressive")
    if "pp" in kinds and words & {"have", "has"}:
        out.add("perfect")
    if "pp" in kinds and "had" in words:
        out.add("past")
    if "past" in kinds and not words & {"have", "has", "had", "do", "does", "am", "is", "are", "will"}:
        out.add("past")
    if kinds & {"base", "3sg"} and not words & _BE:  # "we're like a family": not a verb
        if "did" in words:
            out.add("past")
        elif bare and "base" in kinds and not words - {"just", "now", "also", "then"}:
            out.add("imperative")
        else:
            out.add("present")
    return frozenset(out)


def split_aux(prefix: str) -> tuple[str, list[str]]:
    """Peel the auxiliaries off the end of ``prefix``.

    ``"Bob and I will also"`` -> ``("Bob and I", ["will", "also"])``.
    """
    tokens = prefix.split()
    aux: list[str] = []
    while tokens:
        last = tokens[-1].casefold()
        if len(tokens) > 1 and f"{tokens[-2].casefold()} {last}" in AUX_PHRASES:
            aux[:0] = [tokens[-2].casefold(), last]
            del tokens[-2:]
        elif len(tokens) > 2 and " ".join(t.casefold() for t in tokens[-3:]) in AUX_PHRASES:
            aux[:0] = [t.casefold() for t in tokens[-3:]]
            del tokens[-3:]
        elif last in AUX_WORDS:
            aux.insert(0, last)
            tokens.pop()
        else:
            break
    return " ".join(tokens), aux


# ---- slots ------------------------------------------------------------------------------------

#: A noun phrase ends before these: "the hero copy for the launch by Friday" -> "the hero copy".
_HARD_STOPS = (
    "and or but because since as with by from until till before after when while if unless though although "
    "for to at in on into onto about during today tomorrow tonight yesterday now then too also already "
    "again asap please instead anymore soon later lol haha so via per over under between among around "
    "through without within except which who whom that where whose once is are am was were will would "
    "should can could has have had do does did done being been i we you he she they it me us them up out off "
    "down not never how what when why here there ever recently lately finally really actually basically "
    "totally probably definitely usually always just still even only quite pretty very super much alright "
    "near across behind beside beyond against toward towards upon inside outside along throughout like "
    "myself yourself himself herself itself ourselves yourselves themselves forever everyday sometimes often"
)
#: ... and before these, unless they open it: "the next release" but "the copy next week".
_SOFT_STOPS = "next last this first every each right"
_DETS = "the|a|an|my|our|your|his|her|their|this|that|these|those|some|all|both|its"
_NPTOK = r"[^\s,;:!?()\[\]\"-][^\s,;:!?()\[\]\"]*"  # a word; a lone "-" ends the phrase
_HARD = "|".join(_HARD_STOPS.split())
_SOFT = "|".join(_SOFT_STOPS.split())
_FIRST = rf"(?!(?:{_HARD})(?![\w'-])){_NPTOK}"

_TOK = r"@?[^\W\d][\w'-]*(?:\.[\w'-]+)*"
_PTOK = rf"(?!(?:{_HARD}|{_DETS}|or)(?![\w'-])){_TOK}|(?:I|me|us|we)(?![\w'-])"
#: One item of a person list: a first word, then capitalised ones ("Bob Smith", not "Sam lives").
_ITEM = rf"(?:{_PTOK})(?:\s+(?-i:[A-Z])[\w'-]*){{0,2}}"
#: One to four people: "Bob", "Bob Smith", "@bob", "Alice, Bob and me". Validated in Python.
PERSONS = rf"{_ITEM}(?:(?:\s*,\s*(?:and\s+)?|\s+and\s+){_ITEM}){{0,3}}"
_NEXT = rf"(?!(?:{_HARD}|{_SOFT})(?![\w'-])){_NPTOK}"
#: A noun phrase of up to eight words, or a quoted name, or a pronoun to resolve.
NP = (
    rf'(?:"[^"]{{1,60}}"|(?:(?:{_DETS})\s+){{0,2}}{_FIRST}(?:\s+{_NEXT}){{0,7}}'
    r"|(?:it|that|this|them)(?![\w'-]))"
)
#: A decision: "use Postgres", "go with Figma", "postpone the launch".
DECISION = (
    rf"(?:(?:go|going|stick|stay)\s+with\s+|(?:switch|move|migrate)\s+to\s+)?{NP}"
    rf"(?:\s+(?:for|to|in|into|on|at|with|from)\s+{NP})?"
)
STATUS = (
    r"(?:" + "|".join(k.replace(" ", r"\s+") for k in sorted(STATUSES, key=len, reverse=True)) + r")(?![\w-])"
)
#: An optional article before a role: "a product designer", "the PM", "our lead".
ARTICLE = r"(?:(?:a|an|the|our|their|your)\s+)?"

#: slot name -> (regex, entity type). A digit suffix names a second slot of the same kind.
SLOT_TYPES: dict[str, tuple[str, str]] = {
    "who": (PERSONS, "PERSON"),
    "person": (PERSONS, "PERSON"),
    "knownperson": (PERSONS, "PERSON"),  # only people the scope already knows
    "task": (NP, "TASK"),
    "item": (NP, "TASK"),  # a task named before its verb: "the copy is done"
    "project": (NP, "PROJECT"),
    "whole": (NP, "PROJECT"),
    "managed": (NP, "PROJECT"),  # a team, a project, or a person (then it is REPORTS_TO)
    "thing": (NP, "THING"),
    "subject": (NP, "THING"),
    "tool": (NP, "THING"),
    "decision": (DECISION, "THING"),
    "org": (NP, "ORGANIZATION"),
    "firm": (NP, "ORGANIZATION"),  # a capitalised or known organisation only: "the CTO of Globex"
    "group": (NP, "ORGANIZATION"),
    "place": (NP, "PLACE"),
    "city": (NP, "PLACE"),  # a capitalised or known place only: "the office is in Lisbon"
    "site": (NP, "THING"),  # something that is somewhere, not a person: "the office"
    "role": (NP, "ROLE"),  # must end in a role noun
    "title": (NP, "ROLE"),  # any noun phrase: "I work as a barista"
    "status": (STATUS, "STATUS"),
    "date": (DATE, "DATE"),
}
PERSON_SLOTS = frozenset({"who", "person", "knownperson"})


def slot_kind(name: str) -> str:
    return name.rstrip("0123456789")


# ---- rules ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Emit:
    """One relation a rule states: slot names (or ``speaker``) and the relation type."""

    src: str
    rel: str
    dst: str


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled template; see the module docstring and ``rule()``."""

    template: str
    regex: re.Pattern[str]
    left: str | None  # the subject slot read leftwards, if any
    left_optional: bool  # the subject may be absent: then the clause starts with the verb
    verb_first: bool  # the verb comes right after the subject (auxiliaries are read back)
    verb_kinds: Mapping[str, frozenset[str]]  # written form -> base/3sg/past/pp/ing
    emits: tuple[Emit, ...]
    confidence: float
    tenses: frozenset[str] | None  # None: no tense check
    negated: str | None  # relation to state instead when negated ("not a fan" -> DISLIKES)
    modal_ok: bool  # "should be done by Friday" is a due date, not a wish
    joint: bool  # several subjects doing this together also WORKS_WITH each other
    tails: bool  # read "with Bob", "for the launch", "by Friday" after the object
    keys: tuple[str, ...]  # the clause must contain one of these (cheap prefilter)
    required: frozenset[str]  # words the template cannot match without (cheaper prefilter)


_AFTER_BE = (
    "not|never|no longer|also|just|now|still|really|already|always|currently|finally|officially|actually"
)


def _required_words(body: str) -> frozenset[str]:
    """The plain words a template always needs: everything outside groups, slots and verbs."""
    body = re.sub(r"\{\w+\??\}|(?<!\?P)<\w+>|\\.|\[[^\]]*\]|[\w'-]+[?*]", " ", body)  # "an?" is optional
    depth, kept = 0, []
    for ch in body:
        depth += ch == "("
        kept.append(ch if depth == 0 else " ")
        depth -= ch == ")"
    return frozenset(re.findall(r"[a-z][a-z'-]+", "".join(kept).casefold()))


_PLACEHOLDER = re.compile(r"\{(\w+)\}|(?<!\?P)<(\w+)>")
_LEFT = re.compile(r"^\{(\w+)(\?)?\}\s*")


def rule(
    template: str,
    *emits: str,
    conf: float = 0.85,
    tenses: frozenset[str] | None = None,
    negated: str | None = None,
    modal_ok: bool = False,
    joint: bool = False,
    tails: bool = False,
    keys: tuple[str, ...] = (),
) -> Rule:
    """Compile a template (see the module docstring); ``emits`` are "src RELATION dst" strings."""
    left = left_optional = None
    body = template
    m = _LEFT.match(body)
    if m:
        left, left_optional, body = m[1], bool(m[2]), body[m.end() :]
    verb_kinds: dict[str, frozenset[str]] = {}

    def expand(p: re.Match[str]) -> str:
        if p[2]:  # a verb
            if verb_kinds:
                raise ValueError(f"one verb per template: {template!r}")
            bases = p[2].split("_")  # <take_grab> is either verb
            for base in bases:
                verb_kinds.update(inflect(base))
            forms = sorted(verb_kinds, key=len, reverse=True)
            # "is not", "am also", "is now": what follows a copula counts like what precedes a verb
            post = rf"(?P<post>(?:\s+(?:{_AFTER_BE})(?![\w'-]))*)" if bases == ["be"] else ""
            return "(?P<verb>" + "|".join(forms) + ")" + post
        if p[1] == "a":
            return ARTICLE
        regex, _ = SLOT_TYPES[slot_kind(p[1])]
        return f"(?P<{p[1]}>{regex})"

    pattern = _PLACEHOLDER.sub(expand, body.replace(" ", r"\s+"))
    end = r"(?![\w'-])" if re.search(r"[\w)]$", body) and not body.endswith("}") else ""
    parsed = tuple(Emit(*e.split()) for e in emits)
    # a match starts on a word boundary, unless the template starts mid-word ("{item}'s deadline")
    boundary = "" if body.startswith(("'", "\\")) else r"(?<![\w'@-])"
    return Rule(
        template=template,
        regex=re.compile(boundary + pattern + end, re.IGNORECASE),
        left=left,
        left_optional=bool(left_optional),
        verb_first=body.startswith("<"),
        verb_kinds=verb_kinds,
        emits=parsed,
        confidence=conf,
        tenses=tenses,
        negated=negated,
        modal_ok=modal_ok,
        joint=joint,
        tails=tails,
        keys=keys,
        required=_required_words(body),
    )
