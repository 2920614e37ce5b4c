"""The search pipeline: candidates from every signal, fused by weighted reciprocal-rank fusion.

Signals (each can be switched off in ``SearchConfig.signals``, each reported per result):

* ``vector``: memories nearest the query embedding;
* ``keyword``: BM25 matches of the query text;
* ``graph``: entities named in the query, expanded one or two hops; memories that mention them
  or that are the provenance of the relations found;
* ``actor``: the query names a person who said things in scope: their memories nearest the query;
* ``temporal``: the query names a date or period: memories created in that window;
* ``recency``: newer candidates first (a small tie-breaker).

Scope and filters go into every candidate query, never after a top-k cut.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graphmem.config import SearchConfig
from graphmem.embedders.base import Embedder, embed_one
from graphmem.filters import And, Cond, Filter, matches
from graphmem.models import Entity, MemoryRecord, Relation, Scope, entity_key
from graphmem.pipeline._time import time_window
from graphmem.stores.base import Store

_WORD = re.compile(r"[\w@'’-]+", re.UNICODE)
_STOP = frozenset(
    "a an the and or of to in on at for with by from about as is are was were be been do does did what who "
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
    on, w = cfg.signals, cfg.weights
    n = max(limit * cfg.candidate_multiplier, 50)
    qv = embed_one(embedder, query)
    cands: dict[str, Candidate] = {}

    def add(signal: str, hits: Sequence[tuple[MemoryRecord, float]]) -> None:
        for rank, (rec, score) in enumerate(hits, start=1):
            cands.setdefault(rec.id, Candidate(rec)).see(signal, rank, float(score))

    if on.vector:
        add("vector", store.vector_memories(scope, filters, qv, n))
    if on.keyword:
        add("keyword", store.keyword_memories(scope, filters, query, n))

    named: list[Entity] = store.find_entities(scope, query_keys(query)) if (on.graph or on.actor) else []
    relations: list[tuple[Relation, float]] = []
    if on.graph:
        relations = _graph_signal(store, scope, query, filters, qv, named, n, cfg.graph_hops, add)
    if on.actor:
        people = sorted({e.name for e in named if e.type == "PERSON"})
        if people:
            actor_filter: Filter = Cond("actor_id", "in", people)
            add("actor", store.vector_memories(scope, And((filters, actor_filter)) if filters else actor_filter, qv, n))
    if on.temporal:
        window = time_window(query)
        if window is not None:
            start, end = window
            tf: Filter = And((Cond("created_at", "gte", start), Cond("created_at", "lt", end)))
            add("temporal", store.vector_memories(scope, And((filters, tf)) if filters else tf, qv, n))
    if on.recency and cands:
        newest = sorted(cands.values(), key=lambda c: c.record.created_at, reverse=True)
        for rank, c in enumerate(newest, start=1):
            c.see("recency", rank, 1.0 / rank)

    weights = {s: getattr(w, s) for s in ("vector", "keyword", "graph", "actor", "temporal", "recency") if getattr(on, s)}
    best = sum(weights.values()) / (cfg.rrf_k + 1) or 1.0
    results = []
    for c in cands.values():
        fused = sum(weights[s] / (cfg.rrf_k + r) for s, r in c.ranks.items() if s in weights) / best
        if threshold is not None and fused < threshold:
            continue
        item = c.record.to_dict()
        item["score"] = round(fused, 6)
        item["scores"] = {s: round(v, 6) for s, v in c.scores.items()}
        results.append(item)
    results.sort(key=lambda r: (-r["score"], r["created_at"]))
    return {"results": results[:limit], "relations": _relation_dicts(relations, limit)}


def _graph_signal(
    store: Store, scope: Scope, query: str, filters: Filter | None, qv: Any, named: list[Entity], n: int,
    hops: int, add: Any,
) -> list[tuple[Relation, float]]:
    """Score relations around the named entities, then rank memories by their best relation.

    A relation scores for touching a named entity (1.0 direct, 0.5 at two hops), for its fact
    resembling the query (cosine), and for the query using its type's words ("responsible" for
    RESPONSIBLE_FOR). Memories are ranked by the best relation they are provenance of, then by
    how many named entities they mention.
    """
    words = {w.casefold() for w in _WORD.findall(query)}
    fact_sim = {rel.id: (rel, sim) for rel, sim in store.vector_relations(scope, qv, n)}
    base: dict[str, tuple[Relation, float]] = {}
    if named:
        ids = {e.id for e in named}
        for rel in store.expand(scope, list(ids), hops, n):
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
    ranked = sorted(scored.values(), key=lambda p: -p[1])

    hits: dict[str, float] = {}
    for rel, score in ranked:
        for mid in rel.memory_ids:
            hits[mid] = max(hits.get(mid, 0.0), score)
    mentioning: dict[str, tuple[MemoryRecord, int]] = {}
    if named:
        for rec, ents in store.memories_mentioning(scope, filters, [e.id for e in named], n):
            mentioning[rec.id] = (rec, len(ents))
    records = {rec.id: rec for rec, _ in mentioning.values()}
    missing = [m for m in list(hits)[: n * 2] if m not in records]
    for rec in store.get_memories(missing):
        if scope.contains(rec) and matches(filters, rec):
            records[rec.id] = rec
    ranked_memories = sorted(
        ((rec, hits.get(mid, 0.0) + 0.1 * (mentioning[mid][1] if mid in mentioning else 0)) for mid, rec in records.items()),
        key=lambda p: (-p[1], p[0].created_at),
    )
    add("graph", ranked_memories[:n])
    return ranked


def _relation_dicts(relations: list[tuple[Relation, float]], limit: int) -> list[dict[str, Any]]:
    return [{**rel.to_dict(), "score": round(score, 6)} for rel, score in relations[:limit]]
