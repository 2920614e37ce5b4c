"""Text handling for the offline extractor: normalising chat English, splitting it, reading dates.

Rules match a normalised text: contractions are expanded ("I'll" -> "I will", "don't" -> "do
not"), curly quotes straightened and "&" spelled out, so one rule covers every spelling. Only
function words change; names keep their casing, so what the rules capture can be returned as
written.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from graphmem.extractors._offline_lexicon import (
    DISCOURSE_MARKERS,
    QUESTION_AUX,
    QUESTION_OPENERS,
    QUESTION_SUBJECTS,
    WH_WORDS,
    wordset,
)

# ---- normalisation ----------------------------------------------------------------------------
_TYPOGRAPHY = str.maketrans(
    {"’": "'", "‘": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "…": "..."}
)

#: "'s" is "is" before these words ("Bob's on it", "the copy's done"); elsewhere it is a possessive
#: ("Bob's PR") and stays.
_IS_AFTER_S = wordset(
    """
    a an the my our your his her their not no now still also already just finally officially currently
    done finished complete completed ready blocked live in on at due based located part going all being
    under up over behind late shipped merged approved pending delayed stuck overdue cancelled canceled
    responsible busy away out off back from with mine really definitely probably
    """
)
#: ... and so is it before a gerund with an object: "Bob's taking the copy", not "Bob's meeting notes".
_GERUND_OBJECT = wordset("the a an my our your this that it up out over on with to for care")
_ALWAYS_IS = wordset("it that there here what who where he she everything nothing this")
_NOT = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}  # can't, won't, shan't, ain't
_SUFFIX = {"'m": " am", "'re": " are", "'ve": " have", "'ll": " will", "'d": " would"}
_APOSTROPHE = re.compile(r"\b(\w+?)(n't|'m|'re|'ve|'ll|'d|'s)\b(?=(?:\s+(\w+)(?:\s+(\w+))?)?)", re.IGNORECASE)
#: Chat spellings without an apostrophe, and slang that hides an auxiliary.
_SPELLINGS = {
    "im": "I am", "ima": "I am going to", "cant": "can not", "dont": "do not", "doesnt": "does not",
    "didnt": "did not", "isnt": "is not", "arent": "are not", "wasnt": "was not", "werent": "were not",
    "havent": "have not", "hasnt": "has not", "hadnt": "had not", "shouldnt": "should not",
    "couldnt": "could not", "wouldnt": "would not", "mustnt": "must not", "gonna": "going to",
    "wanna": "want to", "gotta": "got to", "lemme": "let me", "i": "I",
}  # fmt: skip
_SPELLING = re.compile(r"\b(?:" + "|".join(_SPELLINGS) + r")\b", re.IGNORECASE)
_AMPERSAND = re.compile(r"\s*&\s*")
_SPACES = re.compile(r"[ \t\r\f\v]+")


def _expand(m: re.Match[str]) -> str:
    stem, suffix, after = m[1], m[2].casefold(), (m[3] or "").casefold()
    if suffix == "n't":
        return _NOT.get(stem.casefold(), stem) + " not"
    if suffix != "'s":
        return stem + _SUFFIX[suffix]
    if stem.casefold() in _ALWAYS_IS or after in _IS_AFTER_S:
        return stem + " is"
    if after in ("been", "got", "gotten"):
        return stem + " has"
    if after.endswith("ing") and (m[4] or "").casefold() in _GERUND_OBJECT:
        return stem + " is"
    return m[0]


def normalise(text: str) -> str:
    """Straighten typography and expand contractions; see the module docstring."""
    text = text.translate(_TYPOGRAPHY)
    if "&" in text:
        text = _AMPERSAND.sub(" and ", text)
    if "'" in text:
        text = _APOSTROPHE.sub(_expand, text)
    text = _SPELLING.sub(lambda m: _SPELLINGS[m[0].casefold()], text)
    return _SPACES.sub(" ", text)


# ---- sentences and clauses --------------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
#: Clause boundaries inside a sentence; what follows "because" or "but" is its own assertion.
_CLAUSE_BREAK = re.compile(
    r"\s*;\s*|\s*,?\s+(?:but|because|cause|cuz|although|though|whereas|except|whilst|while|so that)\s+"
    r"|\s*,\s*(?:so|then|which|and then)\s+|\s+and then\s+"
    r"|(?P<splice>\s*,\s+(?=(?:I|we|he|she|they)\s))",  # a comma splice: "..., I work at Globex now"
    re.IGNORECASE,
)
#: A trailing condition ("I'll take it if nobody else does"): the main clause is kept at a lower
#: confidence and the condition itself is dropped.
_CONDITION = re.compile(r"\s*,?\s+(?:if|unless|in case|provided|as long as|once)\s+", re.IGNORECASE)
#: A clause that starts with one of these is a condition or a supposition: nothing in it holds.
_HYPOTHETICAL_START = re.compile(
    r"^(?:if|unless|in case|suppose|supposing|imagine|assuming|whether|what if|say|let's say|hypothetically|"
    r"would|wouldn't it|in theory)\b",
    re.IGNORECASE,
)
_MARKERS = re.compile(
    r"^(?:(?:" + "|".join(re.escape(m) for m in sorted(DISCOURSE_MARKERS, key=len, reverse=True)) + r")"
    r"(?:\s*[,!.:\-]+\s*|\s+)|[-*•>]+\s*|\d+[.)]\s+)+",
    re.IGNORECASE,
)
_OPENER = re.compile(r"^\w+ing\b(?!\s+(?:on|with)\b)", re.IGNORECASE)
_VOCATIVE = re.compile(r"^@[\w.-]+[,:]?\s+")
_WORD = re.compile(r"[\w'@-]+")


@dataclass(slots=True)
class Clause:
    """A piece of a sentence that asserts one thing; ``weight`` scales the confidence."""

    text: str
    weight: float = 1.0


def sentences(text: str) -> Iterator[str]:
    for part in _SENTENCE_END.split(text):
        part = part.strip()
        if part:
            yield part


def strip_markers(text: str) -> str:
    """Drop leading discourse markers and list bullets: "Great, finished it" -> "finished it"."""
    return _MARKERS.sub("", text, count=1).strip()


def is_question(sentence: str) -> bool:
    """A question (or a request phrased as one) asserts nothing, with or without its "?"."""
    if sentence.rstrip().endswith("?"):
        return True
    text = _VOCATIVE.sub("", strip_markers(sentence))
    lowered = text.casefold()
    if lowered.startswith(QUESTION_OPENERS):
        return True
    words = _WORD.findall(lowered)
    if not words:
        return False
    if words[0] in WH_WORDS:
        return True
    return len(words) > 1 and words[0] in QUESTION_AUX and words[1] in QUESTION_SUBJECTS


def clauses(sentence: str) -> list[Clause]:
    """Split a sentence into the clauses that assert something; conditions are dropped."""
    out: list[Clause] = []
    pos, skip = 0, False
    for brk in [*_CLAUSE_BREAK.finditer(sentence), None]:
        piece = strip_markers(sentence[pos : brk.start() if brk else len(sentence)].strip(" ,.!-"))
        after_condition, skip = skip, False
        if brk is not None:
            pos = brk.end()
        if not piece or after_condition:
            continue
        if brk is not None and brk["splice"] is not None and _OPENER.match(piece):
            continue  # "Taking your advice, I'm ...": an opening phrase, not the speaker's statement
        if _HYPOTHETICAL_START.match(piece):
            # "If nobody else does, I'll take it": what the comma leads to is conditional too
            skip = brk is not None and brk["splice"] is not None
            continue
        weight = 1.0
        cond = _CONDITION.search(piece)
        if cond:
            piece, weight = piece[: cond.start()].strip(), 0.6
        if piece:
            out.append(Clause(piece.rstrip(" .!"), weight))
    return out


def words(text: str) -> list[str]:
    """Lower-cased word tokens (apostrophes, @ and hyphens kept inside words)."""
    return _WORD.findall(text.casefold())


# ---- dates ------------------------------------------------------------------------------------
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_ABBR = {
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
_MONTHS = {m.casefold(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.casefold(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9

_WD = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|(?-i:Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun)\.?)"
)
_MON = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_MON_CAP = (
    r"(?-i:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+\d{4})?"
#: Dates as people write them in chat; any of these is a DATE entity in a due-date slot.
DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}"
    rf"|{_MON}\s+{_DAY}{_YEAR}|{_DAY}\s+(?:of\s+)?{_MON}{_YEAR}"
    rf"|(?:(?:next|this|coming|last)\s+)?{_WD}"
    r"|tomorrow|today|tonight|yesterday|eod|eow|eom|eoy"
    r"|(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+)?(?:day|week|month|quarter|year|sprint)"
    r"|(?:next|this|last)\s+(?:week|weekend|month|quarter|year|sprint|night)"
    rf"|(?:end\s+of\s+)?{_MON_CAP}(?:\s+\d{{4}})?|[Qq][1-4](?:\s+\d{{4}})?)(?![\w-])"
)
#: Explicit calendar dates, which are entities wherever they appear (they read the same in any
#: language); relative ones ("Friday") only count inside a relation.
EXPLICIT_DATE = re.compile(rf"\b(?:\d{{4}}-\d{{2}}-\d{{2}}|{_MON_CAP}\s+{_DAY}(?:,?\s+\d{{4}})?)\b")
_DATE_ONLY = re.compile(rf"^{DATE}$", re.IGNORECASE)


def parse_base(created_at: str | None) -> date | None:
    """The day a turn was written, from its ISO timestamp; None when it cannot be read."""
    if not created_at:
        return None
    try:
        return datetime.fromisoformat(created_at.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def resolve_date(phrase: str, base: date | None) -> str:
    """An ISO-8601 name for a date phrase, relative to the day it was written.

    Days become ``2025-03-07``, weeks ``2025-W11``, months ``2025-03``, quarters ``2025-Q3``, so
    "Friday" said on two different weeks are two entities. Without a base day, or for a phrase
    that cannot be placed, the phrase is returned as written.
    """
    text = " ".join(phrase.casefold().replace(".", " ").replace(",", " ").split())
    text = re.sub(r"^(?:the|on|by|before|until|till)\s+", "", text)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if iso:
        try:
            return date(int(iso[1]), int(iso[2]), int(iso[3])).isoformat()
        except ValueError:
            return phrase
    if base is None:
        return phrase
    try:
        return _resolve_relative(text, base) or phrase
    except ValueError:  # "February 30"
        return phrase


def _resolve_relative(text: str, base: date) -> str | None:
    if text in ("today", "tonight", "eod", "end of day", "end of the day", "end of this day"):
        return base.isoformat()
    if text == "tomorrow":
        return (base + timedelta(days=1)).isoformat()
    if text == "yesterday":
        return (base - timedelta(days=1)).isoformat()
    if text in ("eow",) or re.fullmatch(r"end of (?:the |this )?week", text):
        return (base + timedelta(days=(4 - base.weekday()) % 7)).isoformat()
    if text in ("eom",) or re.fullmatch(r"end of (?:the |this )?month", text):
        return base.replace(day=calendar.monthrange(base.year, base.month)[1]).isoformat()
    if text in ("eoy",) or re.fullmatch(r"end of (?:the |this )?year", text):
        return date(base.year, 12, 31).isoformat()
    if re.fullmatch(r"end of (?:the |this )?quarter", text):
        month = (base.month - 1) // 3 * 3 + 3
        return date(base.year, month, calendar.monthrange(base.year, month)[1]).isoformat()
    rel = re.fullmatch(r"(next|this) (week|month|quarter|year)", text)
    if rel:
        return _period(rel[2], base, 1 if rel[1] == "next" else 0)
    if re.fullmatch(r"end of next (week|month|quarter|year)", text):
        return None
    wd = re.fullmatch(r"(?:(next|this|coming|last) )?(\w+)", text)
    if wd and (wd[2] in _WEEKDAYS or wd[2] in _WEEKDAY_ABBR):
        target = _WEEKDAYS.index(wd[2]) if wd[2] in _WEEKDAYS else _WEEKDAY_ABBR[wd[2]]
        ahead = (target - base.weekday()) % 7
        if wd[1] == "last":
            return (base - timedelta(days=(7 - ahead) % 7 or 7)).isoformat()
        if wd[1] == "next" and ahead == 0:
            ahead = 7
        return (base + timedelta(days=ahead)).isoformat()
    q = re.fullmatch(r"q([1-4])(?: (\d{4}))?", text)
    if q:
        return f"{q[2] or base.year}-Q{q[1]}"
    md = re.fullmatch(
        r"(?:(\w+) (\d{1,2})(?:st|nd|rd|th)?|(\d{1,2})(?:st|nd|rd|th)? (?:of )?(\w+))(?: (\d{4}))?", text
    )
    if md:
        month_word, day = (md[1], md[2]) if md[1] else (md[4], md[3])
        if month_word in _MONTHS:
            return _nearest(base, _MONTHS[month_word], int(day), md[5]).isoformat()
    mo = re.fullmatch(r"(?:end of )?(\w+)(?: (\d{4}))?", text)
    if mo and mo[1] in _MONTHS:
        year = int(mo[2]) if mo[2] else _nearest(base, _MONTHS[mo[1]], 1, None).year
        if text.startswith("end of"):
            return date(year, _MONTHS[mo[1]], calendar.monthrange(year, _MONTHS[mo[1]])[1]).isoformat()
        return f"{year}-{_MONTHS[mo[1]]:02d}"
    return None


def _nearest(base: date, month: int, day: int, year: str | None) -> date:
    """A month-day without a year is this year's, or next year's if that is over half a year ago."""
    if year:
        return date(int(year), month, day)
    this_year = date(base.year, month, day)
    return this_year if (base - this_year).days <= 183 else date(base.year + 1, month, day)


def _period(unit: str, base: date, offset: int) -> str:
    if unit == "week":
        monday = base - timedelta(days=base.weekday()) + timedelta(weeks=offset)
        iso_year, iso_week, _ = monday.isocalendar()
        return f"{iso_year}-W{iso_week:02d}"
    if unit == "month":
        month0 = base.month - 1 + offset
        return f"{base.year + month0 // 12}-{month0 % 12 + 1:02d}"
    if unit == "quarter":
        q0 = (base.month - 1) // 3 + offset
        return f"{base.year + q0 // 4}-Q{q0 % 4 + 1}"
    return str(base.year + offset)


def is_date(text: str) -> bool:
    return bool(_DATE_ONLY.match(text.strip()))
