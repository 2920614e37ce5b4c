"""The offline extractor: entities and attributed relations from English chat, by rules.

The default extractor when no LLM is configured: no model, no network, well under a millisecond
per message. It reads each turn sentence by sentence and clause by clause, runs a table of
readable rules over each clause (``_offline_rules``), and turns what the rules capture into
names, types and relations (``_offline_slots``):

- First-person words are the turn's actor (else, for user turns, the context's default actor);
  "Bob and I ..." also makes the actor WORKS_WITH Bob, and a later "we" in the turn means both.
- Questions, conditions ("if ..."), wishes and possibilities ("should", "might", "want to") assert
  nothing; negation cancels a relation ("I don't work at Acme anymore") or turns LIKES into
  DISLIKES; hedges ("I think", "maybe") lower the confidence.
- Some cues need no English: @mentions, names the scope already knows, quoted names and
  calendar dates are entities wherever they appear.

Every relation carries the actor who asserted it, the turn index, a confidence and a plain English
fact naming both ends ("Bob is responsible for hero section copy").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from graphmem.extractors._offline_cues import asked_task, cue_entities
from graphmem.extractors._offline_facts import fact
from graphmem.extractors._offline_lexicon import (
    DETERMINERS,
    ENDED,
    HEDGES,
    IRREALIS,
    NEGATIONS,
    STATUSES,
    wordset,
)
from graphmem.extractors._offline_patterns import (
    NP,
    PERSON_SLOTS,
    PERSONS,
    SLOT_TYPES,
    Rule,
    slot_kind,
    split_aux,
    tenses,
)
from graphmem.extractors._offline_rules import RULES, VERB_FORMS
from graphmem.extractors._offline_slots import (
    Ent,
    Known,
    noun_phrase,
    noun_phrase_left,
    people,
    person_token,
    resolve_person,
)
from graphmem.extractors._offline_text import (
    DATE,
    Clause,
    clauses,
    is_question,
    normalise,
    parse_base,
    resolve_date,
    sentences,
    words,
)
from graphmem.extractors.base import (
    ExtractedEntity,
    ExtractedRelation,
    Extraction,
    ExtractionContext,
    Turn,
)
from graphmem.models import SYMMETRIC_TYPES

_GENERIC = frozenset({"THING", ""})
#: Confidence factors: a hedge ("I think"), a request ("Bob, please take X"), a pronoun read from
#: an earlier sentence, and a relation inferred from a tail ("... with Carol", "... by Friday").
_HEDGED, _REQUESTED, _RESOLVED, _INFERRED = 0.8, 0.7, 0.7, 0.85

_WITH_TAIL = re.compile(rf"\s+(?:together\s+)?with\s+(?P<p>{PERSONS})", re.IGNORECASE)
_FOR_TAIL = re.compile(rf"\s+for\s+(?P<o>{NP})", re.IGNORECASE)
_DUE_TAIL = re.compile(
    rf"\s+(?:by|before|on|due(?:\s+(?:on|by))?|until|till|no later than)\s+(?P<d>{DATE})", re.IGNORECASE
)
_MORE = re.compile(rf"(?:\s*,\s*(?:and\s+)?|\s+and\s+)(?P<o>{NP})", re.IGNORECASE)
_MORE_ME = re.compile(r"(?:\s*,\s*(?:and\s+)?|\s+and\s+)(?:me|us)(?![\w'-])", re.IGNORECASE)
#: A decision that puts something in use: "use Postgres", "go with Figma".
_DECISION_VERB = re.compile(
    r"(?i)(use|adopt|try|pick|choose|keep|go with|going with|stick with|stay with|switch to|move to"
    r"|migrate to)\s+(.+)"
)
#: "Bob and I", "me and Bob", "Alice, Bob and I": who a later "we" includes.
_PAIRED = re.compile(r"(?:\b(?:and|,)\s+(?:I|me)\b)|(?:\b(?:I|me)\s+and\s+)", re.IGNORECASE)
_WORD_AT = re.compile(r"[\w@][\w'@-]*")
_CLAUSE_VERBS = wordset("will is are am was were has have had would should can could did does do")
_MAY = re.compile(r"\bmay\b")  # lower-case only: "May 3" is a date
#: After "Creating stories and ...", these say the gerund phrase was a subject.
_PREDICATES = wordset(
    "is are was were has have had can could will would should might must makes made gives gave helps helped "
    "keeps brings means takes feels seems sounds looks becomes lets does did"
)


def _shape(phrase: str) -> str:
    """How a list item is built, so that only like items join a list."""
    first = phrase.split()[0] if phrase.split() else ""
    if first.casefold() in DETERMINERS:
        return "det"
    if first[:1].isupper() or first.startswith('"'):
        return "name"
    if first.casefold().endswith("ing"):
        return "gerund"
    return "bare" if len(phrase.split()) <= 3 else "long"


@dataclass(slots=True)
class _Reading:
    """What one rule match says besides its slots, built up step by step in ``_apply``."""

    aux: list[str]  # auxiliaries and adverbs before the verb: ["will", "also"]
    factor: float  # confidence multiplier: clause weight, hedges, requests, resolved pronouns
    bare: bool  # the verb has no subject of its own
    subjects: list[Ent] = field(default_factory=list)
    subject_words: set[str] = field(default_factory=set)  # a noun-phrase subject's own words
    vocative: bool = False  # "Bob, please ...": the subject is addressed, not described
    gerund: bool = False  # a subjectless "-ing" verb opens the clause
    relation: str | None = None  # stated instead of each emit's type (a negated LIKES)
    detail: dict[str, str] = field(default_factory=dict)  # for the fact: kin, date, decision
    uses: list[Ent] = field(default_factory=list)  # the tool a decision puts in use


@dataclass(slots=True)
class _TurnState:
    index: int
    speaker: Ent | None  # who "I" is in this turn
    asserter: str | None  # who the relations are attributed to
    base: date | None  # the day the turn was written, for relative dates
    partners: list[Ent] = field(default_factory=list)  # who "we" includes besides the speaker


@dataclass(slots=True)
class _CallState:
    known: Known
    antecedent: Ent | None = None  # the last task or project named, for "it"
    entities: dict[tuple[int, str], ExtractedEntity] = field(default_factory=dict)
    relations: dict[tuple[int, str, str, str], ExtractedRelation] = field(default_factory=dict)


class OfflineExtractor:
    """Rule-based English extractor for the core relation vocabulary (see the module docstring)."""

    name = "offline"

    def __init__(self, rules: Sequence[Rule] = RULES) -> None:
        self._rules = tuple(rules)
        self._known: tuple[tuple[object, ...], Known] | None = None
        # Which rules a word can trigger: a clause only runs the rules whose verb it contains.
        self._by_form: dict[str, list[int]] = {}
        self._always: list[int] = []
        for i, rule in enumerate(self._rules):
            for form in rule.verb_kinds:
                self._by_form.setdefault(form, []).append(i)
            if not rule.verb_kinds:
                self._always.append(i)

    def extract(self, turns: Sequence[Turn], context: ExtractionContext) -> Extraction:
        call = _CallState(self._known_for(context))
        for turn in turns:
            self._read_turn(turn, context, call)
        return Extraction(entities=list(call.entities.values()), relations=list(call.relations.values()))

    def _known_for(self, context: ExtractionContext) -> Known:
        # One add call extracts many turns with the same context, and scopes hold hundreds of
        # entities: index them once. Read and replace the cache as one tuple (threads share it).
        stamp = (tuple(context.actors), tuple(context.known_entities))
        cached = self._known
        if cached is None or cached[0] != stamp:
            cached = (stamp, Known.build(context.actors, context.known_entities))
            self._known = cached
        return cached[1]

    # ---- turns, sentences, clauses ------------------------------------------------------------
    def _read_turn(self, turn: Turn, context: ExtractionContext, call: _CallState) -> None:
        # An unnamed assistant's "I" is not the user: only user turns fall back to the default actor.
        speaker_id = turn.actor_id or (context.default_actor if turn.role == "user" else None)
        t = _TurnState(
            index=turn.index,
            speaker=Ent(speaker_id, "PERSON") if speaker_id else None,
            asserter=turn.actor_id or context.default_actor,
            base=parse_base(turn.created_at),
        )
        for sentence in sentences(normalise(turn.text)):
            self._cues(sentence, t, call)
            if is_question(sentence):
                self._remember_asked(sentence, call)
                continue
            for clause in clauses(sentence):
                self._read_clause(clause, t, call)

    def _read_clause(self, clause: Clause, t: _TurnState, call: _CallState) -> None:
        text = clause.text
        lowered = text.casefold()
        at: dict[str, list[int]] = {}  # word -> where it starts
        for w in _WORD_AT.finditer(lowered):
            at.setdefault(w[0], []).append(w.start())
        candidates = set(self._always)
        for word in at:
            candidates.update(self._by_form.get(word, ()))
        claimed: list[tuple[int, int]] = []
        for pair in _PAIRED.finditer(text):  # before the rules: "Bob and I met. We're building X"
            if pair[0].casefold().startswith(("i", "me")):
                found = self._people(text[pair.start() :], "who", t, call, leftward=False)
            else:
                found = self._people(text[: pair.end()], "who", t, call, leftward=True)
            if found and t.speaker in found and len(found) > 1:
                t.partners = [p for p in found if p != t.speaker]
        for i in sorted(candidates):
            rule = self._rules[i]
            if not at.keys() >= rule.required or (rule.keys and not any(k in lowered for k in rule.keys)):
                continue
            if rule.verb_first:  # try the regex only where its verb is, not at every position
                kinds = rule.verb_kinds
                starts = [p for w, ps in at.items() if w in kinds for p in ps]
                starts.sort()
                matches: Iterable[re.Match[str] | None] = (rule.regex.match(text, p) for p in starts)
            else:
                matches = rule.regex.finditer(text)
            for m in matches:
                if m is None or any(m.start() < end and start < m.end() for start, end in claimed):
                    continue
                end = self._apply(rule, m, clause, t, call)
                if end is not None:
                    claimed.append((m.start(), end))

    # ---- one rule match -------------------------------------------------------------------------
    def _apply(
        self, rule: Rule, m: re.Match[str], clause: Clause, t: _TurnState, call: _CallState
    ) -> int | None:
        """Turn one match into relations; returns where the match (with its tails) ends, or None.

        Four steps, each of which can refuse the match: who the subject is, how it is said
        (negated, wished, hedged, requested, in which tense), what the slots name, what it states.
        """
        reading = self._subject(rule, m, clause, t, call)
        if reading is None or not self._mood(rule, m, clause.text, reading, t):
            return None
        values: dict[str, list[Ent]] = {"speaker": [t.speaker] if t.speaker else []}
        if rule.left is not None:
            values[rule.left] = reading.subjects
        end = self._slots(rule, m, clause.text, reading, values, t, call)
        if end is None:
            return None
        return self._state(rule, clause.text, end, reading, values, t, call)

    def _subject(
        self, rule: Rule, m: re.Match[str], clause: Clause, t: _TurnState, call: _CallState
    ) -> _Reading | None:
        """Read the subject leftwards from the match, with the auxiliaries before the verb."""
        text = clause.text
        prefix, aux = split_aux(text[: m.start()]) if rule.verb_first else (text[: m.start()], [])
        reading = _Reading(aux=aux, factor=clause.weight, bare=rule.left is None)  # "assigning X to Bob"
        if rule.left is None:
            return reading
        lead = prefix.rstrip()
        kind = slot_kind(rule.left)
        if rule.left_optional and not lead:  # "Finished the draft": the speaker
            reading.subjects, reading.bare = ([t.speaker] if t.speaker else []), True
        elif kind in PERSON_SLOTS:
            if lead.endswith(","):  # "Bob, please take the footer"
                reading.vocative, lead = True, lead[:-1]
            reading.subjects = self._people(lead, kind, t, call, leftward=True) or []
        else:
            phrase, _ = noun_phrase_left(lead)
            reading.subject_words = set(words(phrase))
            found, f = self._phrase(phrase, kind, call)
            reading.subjects, reading.factor = found or [], reading.factor * f
        return reading if reading.subjects else None

    def _mood(self, rule: Rule, m: re.Match[str], text: str, reading: _Reading, t: _TurnState) -> bool:
        """Negation, wishes, hedges, requests and tense; False when the clause asserts nothing."""
        verb = m.group("verb") if "verb" in rule.regex.groupindex else None
        verb_at = m.start("verb") if verb else m.start()
        around = set(words(text[:verb_at])) - reading.subject_words
        if "post" in rule.regex.groupindex and m.group("post"):  # "I'm not a fan"
            around.update(words(m.group("post")))
        if not rule.modal_ok and (around & IRREALIS or _MAY.search(text[:verb_at])):
            return False
        if around & HEDGES:
            reading.factor *= _HEDGED
        requested = False
        if rule.tenses is not None and verb:
            kinds = rule.verb_kinds.get(verb.casefold(), frozenset())
            if reading.bare and kinds == {"3sg"} and rule.left is not None:
                return False  # "Takes a lot of courage": the speaker's "I" cannot go with "takes"
            subjects = reading.subjects
            one_other = len(subjects) == 1 and subjects[0] != t.speaker and not reading.bare  # "Bob take X"
            bare = reading.bare or reading.vocative or (one_other and not reading.aux)
            allowed = tenses(reading.aux, kinds, bare=bare) & rule.tenses
            if not allowed:
                return False
            if allowed == {"imperative"}:
                if reading.bare and not reading.vocative:
                    return False  # "Take the hero copy": an order to someone unnamed
                requested = True
                reading.factor *= _REQUESTED
        if reading.vocative and not requested:
            return False
        if around & NEGATIONS or any(e in text.casefold() for e in ENDED):
            if rule.negated is None:
                return False
            reading.relation = rule.negated  # "I'm not a fan of jazz": DISLIKES
        reading.gerund = bool(reading.bare and verb and verb.casefold().endswith("ing") and m.start() == 0)
        return True

    def _slots(
        self, rule: Rule, m: re.Match[str], text: str, reading: _Reading, values: dict[str, list[Ent]],
        t: _TurnState, call: _CallState,
    ) -> int | None:  # fmt: skip
        """Read every slot the match captured into ``values``; None if one names nothing."""
        verb = m.group("verb") if "verb" in rule.regex.groupindex else None
        reading.detail = {k: v for k, v in m.groupdict().items() if v and k in ("kin", "kins")}
        end = m.end()
        last: tuple[str, str] | None = None
        for name in rule.regex.groupindex:
            raw = m.group(name)
            kind = slot_kind(name)
            if raw is None or kind not in SLOT_TYPES:
                continue
            ents: list[Ent] | None
            if kind in PERSON_SLOTS:
                ents = self._people(raw, kind, t, call, leftward=False)
            elif kind == "date":
                ents, reading.detail["date"] = [Ent(resolve_date(raw, t.base), "DATE")], raw
            elif kind == "status":
                ents = [Ent(STATUSES[" ".join(raw.casefold().split())], "STATUS")]
            elif kind == "decision":
                connector = text[m.end("verb") : m.start(name)].strip().casefold() if verb else ""
                ents, reading.uses = self._decision(raw, connector, call)
                reading.detail["decision"], reading.detail["connector"] = raw, connector
            else:
                ents, f = self._phrase(raw, kind, call)
                reading.factor *= f
            if not ents:
                return None  # every slot that matched must name something
            values[name] = ents
            if m.end(name) == m.end():
                last = (name, kind)
        if last is not None and last[1] not in PERSON_SLOTS and last[1] not in ("date", "status", "decision"):
            more, end = self._more(text, end, last[1], _shape(m[last[0]]), t, call)
            values[last[0]] = values[last[0]] + more
        # "Creating stories ... gives me joy" is a gerund subject, "Taking your advice, I'm ..." an
        # opening phrase; neither states what the speaker does
        if reading.gerund and (
            text[end:].lstrip().startswith(",")
            or not set(words(text[end:].split(",")[0])).isdisjoint(_PREDICATES)
        ):
            return None
        return end

    def _state(
        self, rule: Rule, text: str, end: int, reading: _Reading, values: dict[str, list[Ent]],
        t: _TurnState, call: _CallState,
    ) -> int | None:  # fmt: skip
        """Record what the rule states, and what follows from it; returns where the reading ends."""
        conf = rule.confidence * reading.factor
        subjects = reading.subjects
        made = 0
        for emit in rule.emits:
            srcs, dsts = values.get(emit.src), values.get(emit.dst)
            if not srcs or not dsts:
                continue
            pairs: Iterable[tuple[Ent, Ent]] = (
                itertools.combinations(srcs, 2) if emit.src == emit.dst else itertools.product(srcs, dsts)
            )
            for src, dst in pairs:
                made += self._relate(src, reading.relation or emit.rel, dst, conf, t, call, reading.detail)
        if not made:
            return None
        if rule.joint and len(subjects) > 1:  # "Bob and I are building X": we work together
            for a, b in itertools.combinations(subjects, 2):
                self._relate(a, "WORKS_WITH", b, conf * _INFERRED, t, call, reading.detail)
        for subject in subjects:
            for tool in reading.uses:  # "we decided to use Postgres": we use it too
                self._relate(subject, "USES", tool, conf * _INFERRED, t, call, {})
        if t.speaker in subjects and rule.left and slot_kind(rule.left) in PERSON_SLOTS:
            t.partners = [s for s in subjects if s != t.speaker] or t.partners
        if rule.tails:
            end = self._tails(rule, text, end, values, subjects, conf, t, call)
        return end

    def _tails(
        self, rule: Rule, text: str, pos: int, values: dict[str, list[Ent]], subjects: list[Ent], conf: float,
        t: _TurnState, call: _CallState,
    ) -> int:  # fmt: skip
        """Read "with Carol", "for the launch" and "by Friday" after a rule's object."""
        objects = [
            e
            for emit in rule.emits
            for e in values.get(emit.dst, [])
            if e.type in ("TASK", "PROJECT", "THING")
        ]
        tasks = [e for e in objects if e.type == "TASK"]
        main = [e for e in rule.emits if e.src == rule.left and e.dst != rule.left]
        conf *= _INFERRED
        while True:
            m = _WITH_TAIL.match(text, pos)
            if m and subjects:
                partners = self._people(m["p"], "person", t, call, leftward=False) or []
                for p in partners:
                    for s in subjects:
                        self._relate(s, "WORKS_WITH", p, conf, t, call, {})
                    for emit in main:
                        for o in values.get(emit.dst, []):
                            self._relate(p, emit.rel, o, conf, t, call, {})
                if partners:
                    pos = m.end()
                    continue
            m = _FOR_TAIL.match(text, pos)
            if m and tasks:
                whole, _ = self._phrase(m["o"], "whole", call)
                toks = m["o"].split()
                # "the screenshots for the landing page", not "an ad campaign for my store" or "for Bob"
                definite = toks[0].casefold() in ("the", "our", "this", "that") or (
                    whole is not None and whole[0] in call.known.by_key.values()
                )
                if whole and definite and not (len(toks) == 1 and person_token(toks[0], call.known)):
                    for o in tasks:
                        self._relate(o, "PART_OF", whole[0], conf * 0.75, t, call, {})
                    pos = m.end()
                    continue
            m = _DUE_TAIL.match(text, pos)
            if m and objects:
                day = Ent(resolve_date(m["d"], t.base), "DATE")
                for o in objects:
                    self._relate(o, "DUE_ON", day, conf, t, call, {"date": m["d"]})
                pos = m.end()
                continue
            return pos

    # ---- reading slots ---------------------------------------------------------------------------
    def _people(
        self, text: str, kind: str, t: _TurnState, call: _CallState, *, leftward: bool
    ) -> list[Ent] | None:
        out: list[Ent] = []
        items = people(text, leftward=leftward, known=call.known)
        if leftward and len(items) == 1 and items[0][0].casefold() in ("me", "us"):
            return None  # "make me love my job", "they know us": an object, not a subject
        for item in items:
            ents = resolve_person(item, call.known, t.speaker, t.partners, strict=kind == "knownperson")
            if ents is None:
                if leftward or not out:
                    return None
                break  # "Sarah at the conference": the list ended
            out.extend(e for e in ents if e not in out)
        return out or None

    def _phrase(self, text: str, kind: str, call: _CallState) -> tuple[list[Ent] | None, float]:
        """A noun phrase for a slot, with the confidence factor its reading costs."""
        got = noun_phrase(text, kind, call.known)
        if isinstance(got, str):  # "it", "that": the last task or project named
            if call.antecedent is not None and kind in ("task", "item", "project", "thing", "subject"):
                return [call.antecedent], _RESOLVED
            return None, 1.0
        return ([got] if got is not None else None), 1.0

    def _more(
        self, text: str, pos: int, kind: str, shape: str, t: _TurnState, call: _CallState
    ) -> tuple[list[Ent], int]:
        """Further objects of the first one's shape: "I'll take the copy, the images and the footer"."""
        out: list[Ent] = []
        while kind == "managed" and (me := _MORE_ME.match(text, pos)) and t.speaker:  # "manages Bob and me"
            out.append(t.speaker)
            pos = me.end()
        while m := _MORE.match(text, pos):
            toks = m["o"].split()
            after = words(text[m.end() :])[:1]
            if (after and after[0] in _CLAUSE_VERBS) or (
                len(toks) > 1 and person_token(toks[0], call.known) and toks[1].casefold() in VERB_FORMS
            ):
                break  # "... and Bob will do the footer": a new clause, not another object
            if _shape(m["o"]) != shape:
                break  # "love sports and admire the players": a verb phrase, not a second object
            ents, _ = self._phrase(m["o"], kind, call)
            if not ents:
                break
            out += ents
            pos = m.end()
        return out, pos

    def _decision(self, raw: str, connector: str, call: _CallState) -> tuple[list[Ent] | None, list[Ent]]:
        """What was decided, and the tool it puts in use if any: "use Postgres" -> Postgres, [Postgres]."""
        first = raw.split()[0].casefold()
        if first in ("not", "against", "never"):
            return None, []
        verb = _DECISION_VERB.match(raw)
        if verb:
            tool = re.split(r"\s+(?:for|to|in|into|on|at|with|from)\s+", verb[2], maxsplit=1)[0]
            ents, _ = self._phrase(tool, "tool", call)
            if not ents or ents[0].type == "PERSON":
                return None, []
            return ents, ents if verb[1].casefold() not in ("try", "pick", "choose") else []
        if not re.match(r"(?i)(?:to|that)\b", connector):  # "decided on Postgres for the backend"
            raw = re.split(r"\s+(?:for|to|in|into|on|at|with|from)\s+", raw, maxsplit=1)[0]
        ents, _ = self._phrase(raw, "thing", call)
        if not ents or ents[0].type == "PERSON":
            return None, []
        return ents, []

    # ---- language-independent cues ----------------------------------------------------------------
    def _cues(self, sentence: str, t: _TurnState, call: _CallState) -> None:
        for ent in cue_entities(sentence, call.known, t.speaker, t.base):
            self._entity(ent, t, call)

    def _remember_asked(self, sentence: str, call: _CallState) -> None:
        asked = asked_task(sentence, call.known)
        if asked is not None:
            call.antecedent = asked

    # ---- output ---------------------------------------------------------------------------------
    def _entity(self, ent: Ent | str, t: _TurnState, call: _CallState) -> None:
        if isinstance(ent, str):
            return
        key = (t.index, ent.key)
        if not ent.key:
            return
        have = call.entities.get(key)
        if have is None or (have.type in _GENERIC and ent.type not in _GENERIC):
            call.entities[key] = ExtractedEntity(name=ent.name, type=ent.type, turn_index=t.index)

    def _relate(
        self,
        src: Ent,
        rel: str,
        dst: Ent,
        conf: float,
        t: _TurnState,
        call: _CallState,
        detail: dict[str, str],
    ) -> int:
        """Record one relation (keeping the most confident copy); returns how many were new or kept."""
        if rel == "MANAGES" and dst.type == "PERSON":  # "Alice manages Bob": one fact, Bob's manager
            src, rel, dst = dst, "REPORTS_TO", src
        if src.key == dst.key or not src.key or not dst.key:
            return 0
        said = fact(src.name, rel, dst.name, detail)  # before the swap: "Bob is u1's brother"
        if rel in SYMMETRIC_TYPES and dst == t.speaker:  # the speaker first: "Alice works with Bob"
            src, dst = dst, src
        ends = sorted((src.key, dst.key)) if rel in SYMMETRIC_TYPES else [src.key, dst.key]
        key = (t.index, ends[0], rel, ends[1])
        have = call.relations.get(key)
        conf = round(min(conf, 1.0), 2)
        if have is None or have.confidence < conf:
            call.relations[key] = ExtractedRelation(
                source=src.name, source_type=src.type, relationship=rel, destination=dst.name,
                destination_type=dst.type, fact=said, actor_id=t.asserter,
                turn_index=t.index, confidence=conf,
            )  # fmt: skip
        self._entity(src, t, call)
        self._entity(dst, t, call)
        for ent in (dst, src):
            if ent.type in ("TASK", "PROJECT"):
                call.antecedent = ent
                break
        return 1
