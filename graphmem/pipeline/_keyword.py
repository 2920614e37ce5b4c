"""Keyword relevance computed by graphmem itself, so every store kind ranks keyword hits alike.

Stores find keyword *candidates* with their own full-text index (SQLite FTS5, Lucene), scope and
filters applied before their cut; this module *scores* them. SQLite's ``bm25()`` and Lucene's
BM25 differ (tokenizers, stemming, length encoding, index-wide statistics), so scoring here is
what makes a backup imported into another store kind answer every search exactly as before.

The scorer, in full:

* **Tokens**: maximal runs of word characters (``\\w+``, Unicode), lower-cased. Memory text and
  actor id are one document (the actor's name counts as a word of what they said).
* **Query terms**: the query's tokens minus :data:`STOP_WORDS` (all of them when nothing else is
  left), grouped by :func:`stem` in query order, at most :data:`MAX_TERMS` groups.
* **Matching**: a document token counts for a term when it is one of the term's :func:`forms`,
  the inflections of its stem ("paint": paint, paints, painted, painting, ...). The stores are
  asked for exactly these words (:attr:`KeywordQuery.text`), so whatever a store's analyser does
  (FTS5 stems with Porter, Neo4j's standard analyser does not), every memory this scorer credits
  is one both stores find: the scorer never depends on a store's stemming.
* **Score**: Okapi BM25 (``k1`` 1.2, ``b`` 0.75, idf ``ln(1 + (N - df + 0.5) / (df + 0.5))``)
  with the document statistics (``N``, ``df``, mean length) of the candidate pool itself.
  Candidates without a credited token are dropped (a store may match more, e.g. by stemming).
  Ties go to the older memory, then the smaller id.

Pool statistics need nothing from a store but its candidates, and on the LoCoMo dev data they
rank as well as whole-scope statistics. Results are identical across store kinds whenever every
keyword match in scope (after filters) fits in the pool. Beyond that each store's pool is the
top of its own ranking; the pools (and so the statistics) can differ at the margin, while a
memory strong enough to matter is in both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from graphmem.models import MemoryRecord

_TOKEN = re.compile(r"\w+")

#: Words too common to say anything about relevance (NLTK's English list without contraction
#: fragments, plus a few auxiliaries). Shared with the embedded store's full-text query.
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing don down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just me
    more most my myself no nor not now of off on once only or other our ours ourselves out over own same
    she should so some such than that the their theirs them themselves then there these they this those
    through to too under until up us very was we were what when where which while who whom why will with
    would you your yours yourself yourselves""".split()  # noqa: SIM905 (a list would be 30 lines)
)
#: Most stem groups taken from one query; the rest of a very long query is ignored.
MAX_TERMS = 24
#: Most words a keyword query asks a store for (every form of every term).
MAX_WORDS = 192
K1 = 1.2
B = 0.75

_VOWELS = frozenset("aeiou")


def tokens(text: str) -> list[str]:
    """Word tokens of ``text``: runs of word characters, lower-cased."""
    return [t.lower() for t in _TOKEN.findall(text)]


def _consonant(ch: str) -> bool:
    return ch.isalpha() and ch not in _VOWELS and ch != "y"


def stem(word: str) -> str:
    """A light English stemmer: plural, third-person, past and gerund endings, and a final e.

    Deliberately conservative (no derivational suffixes): "studies", "studied", "studying" and
    "study" share ``studi``; "painting", "paints", "painted" share ``paint``; "dancing", "dances",
    "dance" share ``danc``. Words that are not plain ASCII letters, or shorter than four, stay.
    """
    w = word
    if len(w) < 4 or not (w.isascii() and w.isalpha()):
        return w
    if w.endswith("sses") or (w.endswith(("ches", "shes", "xes", "zes")) and len(w) > 4):
        w = w[:-2]  # classes -> class, watches -> watch
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ied") and len(w) > 4:
        w = w[:-2]
    else:
        for suffix in ("ing", "ed"):
            base = w[: -len(suffix)]
            if w.endswith(suffix) and len(base) >= 3 and any(c in _VOWELS or c == "y" for c in base):
                if len(base) >= 4 and base[-1] == base[-2] and _consonant(base[-1]) and base[-1] not in "lsz":
                    base = base[:-1]  # running -> run, stopped -> stop
                w = base
                break
    if len(w) >= 4 and w.endswith("ie"):
        w = w[:-1]  # movie -> movi, like movies
    elif len(w) >= 4 and w.endswith("e") and _consonant(w[-2]):
        w = w[:-1]  # dance -> danc, like dancing
    elif len(w) >= 4 and w.endswith("y") and _consonant(w[-2]):
        w = w[:-1] + "i"  # study -> studi, like studies and studied
    return w


def forms(word: str) -> list[str]:
    """``word`` and the regular inflections of its stem that :func:`stem` maps back to it.

    Only endings English uses on such a stem are tried (every form is one more word for the store
    to look up): "-es" after a sibilant or "o", a restored "e" and a doubled consonant after a
    single short vowel, no verb endings after a final vowel ("nadia": nadia, nadias).
    """
    s = stem(word)
    if len(s) < 3 or not (s.isascii() and s.isalpha()):
        return [word]
    cvc = _consonant(s[-1]) and s[-2] in _VOWELS and _consonant(s[-3])  # hik, run, stop
    if s.endswith("i"):  # studi: study, studies, studied, studying; movi: movie, movies
        candidates = [s + "e", s + "es", s + "ed", s[:-1] + "y", s[:-1] + "ying"]
    elif s[-1] in _VOWELS:
        candidates = [s + "s", s + "es"] if s.endswith("o") else [s + "s"]
    else:
        candidates = [s + "s", s + "ed", s + "ing"]
        if s.endswith(("s", "x", "z", "ch", "sh")) or cvc or s[-1] in "cgv":
            candidates += [s + "e", s + "es"]  # box: boxes; hik: hike, hikes; danc: dance
        else:
            candidates.append(s + "ings")  # paintings, meetings
        if cvc and len(s) <= 5 and s[-1] not in "wxy":
            candidates += [s + s[-1] + "ed", s + s[-1] + "ing"]  # running, stopped
    out = {word, s} | {f for f in candidates if stem(f) == s}
    return sorted(out, key=lambda f: (f != word, len(f), f))


@dataclass(frozen=True)
class KeywordQuery:
    """A query's terms and the surface forms that count for each."""

    #: One entry per term (stem group), in query order: the words that count for it.
    terms: tuple[frozenset[str], ...]

    @property
    def text(self) -> str:
        """What the stores search for: every form of every term, space-separated."""
        return " ".join(sorted({f for group in self.terms for f in group}))


def parse_query(query: str) -> KeywordQuery | None:
    """The keyword terms of ``query``; ``None`` when it has no word at all."""
    words = list(dict.fromkeys(tokens(query)))
    content = [w for w in words if w not in STOP_WORDS]
    stop_only = not content
    groups: dict[str, set[str]] = {}
    budget = MAX_WORDS
    for w in content or words:
        s = stem(w)
        if s not in groups and len(groups) == MAX_TERMS:
            continue
        new = [w] if stop_only else [f for f in forms(w) if f not in STOP_WORDS] or [w]
        new = [f for f in new if f not in groups.get(s, ())][:budget]
        if not new:
            continue
        groups.setdefault(s, set()).update(new)
        budget -= len(new)
        if budget == 0:
            break
    if not groups:
        return None
    return KeywordQuery(tuple(frozenset(g) for g in groups.values()))


def score(query: KeywordQuery, docs: Sequence[str]) -> list[float]:
    """BM25 of each document of ``docs`` for ``query``, with the statistics of ``docs`` themselves."""
    term_of = {f: i for i, group in enumerate(query.terms) for f in group}
    n_terms = len(query.terms)
    tfs: list[list[int]] = []
    lengths: list[int] = []
    df = [0] * n_terms
    for doc in docs:
        toks = tokens(doc)
        tf = [0] * n_terms
        for t in toks:
            i = term_of.get(t)
            if i is not None:
                tf[i] += 1
        for i in range(n_terms):
            df[i] += tf[i] > 0
        tfs.append(tf)
        lengths.append(len(toks))
    n = len(docs)
    if n == 0:
        return []
    avg = sum(lengths) / n or 1.0
    idf = [math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for d in df]
    out = []
    for tf, length in zip(tfs, lengths, strict=True):
        norm = K1 * (1.0 - B + B * length / avg)
        out.append(sum(idf[i] * f * (K1 + 1.0) / (f + norm) for i, f in enumerate(tf) if f))
    return out


def document(record: MemoryRecord) -> str:
    """The text a memory is scored on: what was said, and who said it."""
    return f"{record.memory} {record.actor_id}" if record.actor_id else record.memory


def rank(query: KeywordQuery, candidates: Sequence[MemoryRecord]) -> list[tuple[MemoryRecord, float]]:
    """``candidates`` scored by :func:`score`, best first; those without a credited word are dropped."""
    unique = list({c.id: c for c in candidates}.values())
    scored = zip(unique, score(query, [document(c) for c in unique]), strict=True)
    hits = [(c, s) for c, s in scored if s > 0.0]
    hits.sort(key=lambda p: (-p[1], p[0].created_at, p[0].id))
    return hits
