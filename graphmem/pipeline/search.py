"""The search pipeline: candidates from every signal, fused by weighted reciprocal-rank fusion.

Signals (each can be switched off in ``SearchConfig.signals``, each reported per result):

* ``vector``: memories nearest the query embedding;
* ``keyword``: memories sharing words with the query, found by the store's full-text index and
  scored by graphmem's own BM25 (``_keyword.py``), so every store kind ranks them alike;
* ``graph``: entities named in the query, expanded one or two hops; memories that mention them
  or that are the provenance of the relations found;
* ``actor``: the query names a person who said things in scope: their memories nearest the query;
* ``temporal``: the query names a date or period (``_time.py``): memories created in it, nearest
  the query;
* ``recency``: newer candidates first (a small tie-breaker);
* ``context``: the conversation neighbours of the best hits fused from the signals above (the
  turns just before and after them): an answer often sits next to the turn that matched.

Each signal ranks its memories (equal scores share a rank); a memory's fused score is
``sum(weight / (rrf_k + rank))`` over its signals, scaled so that first place everywhere is 1.

Scope and filters go into every candidate query, never after a top-k cut.

The store reads of one search are independent but for a few inputs (the entities the query
names, the candidates of the other signals). On a store that answers faster that way
(``Store.concurrent_reads``: a server, each read on its own connection) they run on a small
thread pool as soon as their inputs are known; elsewhere one after another. Results are fused
in a fixed order either way.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphmem.config import SearchConfig
from graphmem.embedders.base import Embedder, embed_one
from graphmem.filters import And, Cond, Filter, Or, matches
from graphmem.models import Entity, MemoryRecord, Relation, Scope, entity_key
from graphmem.pipeline._keyword import parse_query
from graphmem.pipeline._keyword import rank as rank_keywords
from graphmem.pipeline._pool import shared_pool
from graphmem.pipeline._time import time_windows
from graphmem.stores.base import Store

T = TypeVar("T")
U = TypeVar("U")

#: Every signal, in the order results list them (``SignalsConfig`` and ``WeightsConfig`` fields).
SIGNALS = ("vector", "keyword", "graph", "actor", "temporal", "recency", "context")
_WORD = re.compile(r"[\w@'’-]+", re.UNICODE)
_STOP = frozenset(
    "a an the and or of to in on at for with by from about as is are was were be been do does did what who "  # noqa: SIM905
    "whom whose which when where why how i you he she it we they me him her us them my your his its our their "
    "this that these those there here has have had will would can could should may might not no yes".split()
)


@dataclass
class Candidate:
    record: MemoryRecord
    ranks: dict[str, int] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)

    def see(self, signal: str, rank: int, score: float) -> None:
        if signal not in self.ranks or rank < self.ranks[signal]:
            self.ranks[signal], self.scores[signal] = rank, score


def query_keys(query: str, max_n: int = 4) -> list[str]:
    """Entity keys a query may name: word n-grams up to ``max_n``, skipping all-stop-word grams."""
    words = _WORD.findall(query)
    keys: list[str] = []
    for n in range(1, max_n + 1):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            if all(w.casefold() in _STOP for w in gram):
                continue
            # possessives name their owner: "Bob's tasks" names Bob
            gram = [re.sub(r"['’]s$", "", w) for w in gram]
            key = entity_key(" ".join(gram))
            if key:
                keys.append(key)
    return list(dict.fromkeys(keys))


def run_search(
    store: Store,
    embedder: Embedder,
    cfg: SearchConfig,
    query: str,
    scope: Scope,
    filters: Filter | None,
    limit: int,
    threshold: float | None,
) -> dict[str, Any]:
    on = cfg.signals
    n = max(limit * cfg.candidate_multiplier, 50)
    reads = _Reads(store)
    cands: dict[str, Candidate] = {}

    def add(signal: str, hits: Sequence[tuple[MemoryRecord, float]]) -> None:
        for (rec, score), rank in zip(hits, _tied_ranks([s for _, s in hits]), strict=True):
            cands.setdefault(rec.id, Candidate(rec)).see(signal, rank, float(score))

    # The reads that need no query vector start first: on a server they run while the query is
    # embedded (the entities named and the graph around them are the longest chain of reads).
    kq = parse_query(query) if on.keyword else None
    keyword = reads.submit(store.keyword_memories, scope, filters, kq.text, n) if kq is not None else None
    named: Future[list[Entity]] = (
        reads.submit(store.find_entities, scope, query_keys(query))
        if (on.graph or on.actor)
        else reads.done([])
    )
    around: Future[tuple[list[Relation], list[tuple[MemoryRecord, list[str]]]]] | None = None
    if on.graph:
        around = reads.then(
            named,
            lambda ents: (
                store.around_entities(scope, filters, _ids(ents), cfg.graph_hops, n, n) if ents else ([], [])
            ),
        )
    qv = embed_one(embedder, query)
    vector = reads.submit(store.vector_memories, scope, filters, qv, n) if on.vector else None
    # The facts nearest the query score relations found around the named entities and add a few
    # of their own: twice the results asked for are enough (LoCoMo recall the same as with n).
    facts = reads.submit(store.vector_relations, scope, qv, max(2 * limit, 20)) if on.graph else None
    actor = (
        reads.then(named, lambda ents: _actor_hits(store, scope, filters, qv, ents, n)) if on.actor else None
    )
    temporal = None
    if on.temporal:
        windows = [
            And((Cond("created_at", "gte", a), Cond("created_at", "lt", b))) for a, b in time_windows(query)
        ]
        if windows:
            tf: Filter = windows[0] if len(windows) == 1 else Or(tuple(windows))
            temporal = reads.submit(
                store.vector_memories, scope, And((filters, tf)) if filters else tf, qv, n
            )

    # The graph signal first: its provenance read (get_memories) then overlaps the vector reads,
    # the last to finish. The order signals are added in changes no result (ties break by time, id).
    relations: list[tuple[Relation, float]] = []
    if around is not None and facts is not None:
        expanded, mentioning = around.result()
        relations = _graph_signal(
            store, scope, query, filters, named.result(), facts.result(), expanded, mentioning, n, add
        )
    if vector is not None:
        add("vector", vector.result())
    if keyword is not None and kq is not None:
        # the store finds the candidates; graphmem scores them, the same on every store kind
        add("keyword", rank_keywords(kq, [rec for rec, _ in keyword.result()]))
    if actor is not None:
        add("actor", actor.result())
    if temporal is not None:
        add("temporal", temporal.result())
    if on.context and cands and cfg.context_hits and cfg.context_turns:
        _context_signal(store, scope, filters, cfg, _fuse(cands, cfg, cfg.context_hits), add)
    if on.recency and cands:
        newest = sorted(cands.values(), key=lambda c: c.record.created_at, reverse=True)
        for c, rank in zip(newest, _tied_ranks([c.record.created_at for c in newest]), strict=True):
            c.see("recency", rank, 1.0 / rank)

    results = []
    for c, fused in _fuse(cands, cfg, limit):
        if threshold is not None and fused < threshold:
            break
        item = c.record.to_dict()
        item["score"] = round(fused, 6)
        item["scores"] = {s: round(v, 6) for s, v in c.scores.items()}
        results.append(item)
    return {"results": results, "relations": _relation_dicts(relations, limit)}


def _ids(entities: Sequence[Entity]) -> list[str]:
    return list(dict.fromkeys(e.id for e in entities))


def _actor_hits(
    store: Store, scope: Scope, filters: Filter | None, qv: Any, named: Sequence[Entity], n: int
) -> list[tuple[MemoryRecord, float]]:
    """The memories of the people the query names (who said things in scope), nearest the query."""
    people = sorted({e.name for e in named if e.type == "PERSON"})
    if not people:
        return []
    actor_filter: Filter = Cond("actor_id", "in", people)
    return store.vector_memories(scope, And((filters, actor_filter)) if filters else actor_filter, qv, n)


def _fuse(cands: dict[str, Candidate], cfg: SearchConfig, top: int) -> list[tuple[Candidate, float]]:
    """The ``top`` candidates by fused score, best first, with that score: weighted RRF over the
    signals switched on, scaled so a memory ranked first by every signal scores 1."""
    on, w = cfg.signals, cfg.weights
    weights = {s: getattr(w, s) for s in SIGNALS if getattr(on, s)}
    best = sum(weights.values()) / (cfg.rrf_k + 1) or 1.0
    fused = [
        (c, sum(weights[s] / (cfg.rrf_k + r) for s, r in c.ranks.items() if s in weights) / best)
        for c in cands.values()
    ]
    return heapq.nsmallest(
        top, fused, key=lambda p: (-round(p[1], 9), p[0].record.created_at, p[0].record.id)
    )


def _context_signal(
    store: Store,
    scope: Scope,
    filters: Filter | None,
    cfg: SearchConfig,
    fused: list[tuple[Candidate, float]],
    add: Any,
) -> None:
    """The neighbours of the best fused hits: what was said just before and after them.

    Answers sit next to the turn that matched ("what did you paint?" / "a sunset"). A neighbour
    ranks by its hit's fused score divided by its distance in turns; a memory next to two hits
    takes the better. Its ``scores["context"]`` is that value.
    """
    top = [(c, score) for c, score in fused[: cfg.context_hits] if score > 0]
    around = store.memories_around(
        scope, filters, [c.record for c, _ in top], cfg.context_turns, cfg.context_seconds
    )
    best: dict[str, tuple[MemoryRecord, float]] = {}
    for c, score in top:
        steps = {True: 0, False: 0}  # turns away, before and after the hit (each side nearest first)
        for rec in around.get(c.record.id, []):
            before = rec.created_at < c.record.created_at
            steps[before] += 1
            value = score / steps[before]
            if rec.id not in best or best[rec.id][1] < value:
                best[rec.id] = (rec, value)
    add("context", sorted(best.values(), key=lambda p: (-round(p[1], 9), p[0].created_at, p[0].id)))


def _graph_signal(
    store: Store,
    scope: Scope,
    query: str,
    filters: Filter | None,
    named: list[Entity],
    facts: list[tuple[Relation, float]],
    expanded: list[Relation],
    mentioned: list[tuple[MemoryRecord, list[str]]],
    n: int,
    add: Any,
) -> list[tuple[Relation, float]]:
    """Score relations around the named entities, then rank memories by their best relation.

    A relation scores for touching a named entity (1.0 direct, 0.5 at two hops), for its fact
    resembling the query (cosine), and for the query using its type's words ("responsible" for
    RESPONSIBLE_FOR). Memories are ranked by the best relation they are provenance of, then by
    how many named entities they mention.

    ``facts`` are the relations nearest the query, ``expanded`` those around the named entities,
    ``mentioned`` the memories mentioning them (``Store.vector_relations`` and
    ``Store.around_entities``, read before).
    """
    words = {w.casefold() for w in _WORD.findall(query)}
    fact_sim = {rel.id: (rel, sim) for rel, sim in facts}
    base: dict[str, tuple[Relation, float]] = {}
    if named:
        ids = {e.id for e in named}
        for rel in expanded:
            direct = 1.0 if rel.source_id in ids or rel.target_id in ids else 0.5
            if rel.id not in base or base[rel.id][1] < direct:
                base[rel.id] = (rel, direct)
    scored: dict[str, tuple[Relation, float]] = {}
    for rid in set(base) | set(fact_sim):
        rel = base[rid][0] if rid in base else fact_sim[rid][0]
        cos = max(0.0, fact_sim[rid][1] * 2 - 1) if rid in fact_sim else 0.0
        type_words = rel.type.casefold().split("_")
        named_type = 0.5 if any(w[:5] in words or any(q.startswith(w[:5]) for q in words) for w in type_words
                                if len(w) > 3) else 0.0  # fmt: skip
        scored[rid] = (rel, (base[rid][1] if rid in base else 0.0) + cos + named_type)
    ranked = sorted(scored.values(), key=lambda p: (-round(p[1], 6), p[0].created_at, p[0].id))

    hits: dict[str, float] = {}
    for rel, score in ranked:
        for mid in rel.memory_ids:
            hits[mid] = max(hits.get(mid, 0.0), score)
    mentioning: dict[str, tuple[MemoryRecord, int]] = {}
    for rec, ents in mentioned:
        mentioning[rec.id] = (rec, len(ents))
    records = {rec.id: rec for rec, _ in mentioning.values()}
    missing = [m for m in list(hits)[: n * 2] if m not in records]
    for rec in store.get_memories(missing):
        if scope.contains(rec) and matches(filters, rec):
            records[rec.id] = rec
    ranked_memories = sorted(
        (
            (rec, hits.get(mid, 0.0) + 0.1 * (mentioning[mid][1] if mid in mentioning else 0))
            for mid, rec in records.items()
        ),
        key=lambda p: (-p[1], p[0].created_at),
    )
    add("graph", ranked_memories[:n])
    return ranked


def _tied_ranks(keys: Sequence[Any]) -> list[int]:
    """Competition ranks ("1224") of keys listed best first: equal keys share a rank.

    Scores are compared to six places, as results show them, so the order in which a store lists
    ties, or a last-bit difference between two stores' float arithmetic, changes no rank.
    """
    ranks: list[int] = []
    prev: Any = None
    for i, key in enumerate(keys, start=1):
        key = round(key, 6) if isinstance(key, float) else key
        ranks.append(ranks[-1] if ranks and key == prev else i)
        prev = key
    return ranks


def _relation_dicts(relations: list[tuple[Relation, float]], limit: int) -> list[dict[str, Any]]:
    return [{**rel.to_dict(), "score": round(score, 6)} for rel, score in relations[:limit]]


class _Reads:
    """Runs the store reads of one search: on a shared thread pool when the store answers
    concurrent reads faster (``Store.concurrent_reads``), else at once, one after another.

    No pooled read ever waits for another (``then`` chains by callback), so searches sharing
    the pool cannot deadlock it; only the searching thread waits.
    """

    def __init__(self, store: Store) -> None:
        self._pool = shared_pool() if store.concurrent_reads else None

    @staticmethod
    def done(value: T) -> Future[T]:
        f: Future[T] = Future()
        f.set_result(value)
        return f

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Future[T]:
        if self._pool is not None:
            return self._pool.submit(fn, *args)
        f: Future[T] = Future()
        try:
            f.set_result(fn(*args))
        except BaseException as e:  # kept for .result(), as a pooled read would keep it
            f.set_exception(e)
        return f

    def then(self, first: Future[T], fn: Callable[[T], U]) -> Future[U]:
        """``fn(first.result())``, started when ``first`` is done; ``first``'s error if it failed."""
        if self._pool is None or first.done():
            return self.submit(lambda: fn(first.result()))
        out: Future[U] = Future()

        def start(f: Future[T]) -> None:
            # Runs in the thread that finished ``first``: hand the read back to the pool.
            later = self.submit(lambda: fn(f.result()))
            later.add_done_callback(lambda g: _copy_outcome(g, out))

        first.add_done_callback(start)
        return out


def _copy_outcome(source: Future[T], target: Future[T]) -> None:
    error = source.exception()
    if error is not None:
        target.set_exception(error)
    else:
        target.set_result(source.result())
