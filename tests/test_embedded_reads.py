"""The embedded store's fast read paths against plain reference implementations.

Scope tests on integer codes, actor filters narrowed on codes, rankings sorted a chunk at a time
and hop layers cut before they are sorted must answer exactly as the per-record loops they
replace: same records, same order, same scores, ties included, after deletes and after a reload.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphmem.filters import And, Cond, Filter, Not, Or, matches
from graphmem.models import Entity, MemoryRecord, Relation, Scope, format_time, new_id, text_hash
from graphmem.stores._embedded_cache import _best_first
from graphmem.stores.base import WriteBatch
from graphmem.stores.embedded import EmbeddedStore

DIM = 8
T0 = datetime(2026, 1, 1, tzinfo=UTC)
SCOPES = [Scope(user_id="u", run_id="r1"), Scope(user_id="u", run_id="r2"), Scope(user_id="v", run_id="r1")]
READ_SCOPES = [*SCOPES, Scope(user_id="u"), Scope(run_id="r1"), Scope(), Scope(run_id="nowhere")]
ACTORS = ["Ann", "Ben", "Cy", "Dee", None]


def at(minutes: int) -> str:
    return format_time(T0 + timedelta(minutes=minutes))


class Corpus:
    """A store with few distinct vectors and timestamps (many ties), several scopes and actors,
    hub entities mentioned everywhere, and a relation graph with closed and cross-scope edges;
    plus plain copies of everything it holds, for the reference implementations."""

    def __init__(self, path: Path, seed: int = 7) -> None:
        rng = random.Random(seed)
        vecs = np.random.default_rng(seed).standard_normal((40, DIM)).astype(np.float32)
        self.memories: list[MemoryRecord] = []
        for i in range(2000):
            scope = rng.choice(SCOPES)
            text = f"note {i}"
            self.memories.append(MemoryRecord(
                new_id(), text, text_hash(text), scope.user_id, scope.agent_id, scope.run_id,
                rng.choice(ACTORS), rng.choice(["user", "assistant"]), {}, None, at(rng.randrange(50)),
                embedding=None if rng.random() < 0.05 else vecs[rng.randrange(len(vecs))],
            ))  # fmt: skip
        self.entities = [
            Entity(new_id(), f"E{i}", f"e{i}", "PERSON", s.user_id, s.agent_id, s.run_id, at(0), [])
            for i, s in enumerate(rng.choice(SCOPES) for _ in range(40))
        ]
        self.mentions = {(m.id, e.id) for m in self.memories for e in self.entities[:4] if rng.random() < 0.4}
        self.mentions |= {(rng.choice(self.memories).id, rng.choice(self.entities).id) for _ in range(600)}
        self.relations: list[Relation] = []
        for _ in range(400):
            a = rng.choice(self.entities[:6]) if rng.random() < 0.5 else rng.choice(self.entities)
            b = a if rng.random() < 0.03 else rng.choice(self.entities)
            s = a.scope if rng.random() < 0.85 else rng.choice(SCOPES)
            self.relations.append(Relation(
                new_id(), "KNOWS", f"{a.name} knows {b.name}", a.id, b.id, a.name, b.name, None, [],
                s.user_id, s.agent_id, s.run_id, at(rng.randrange(5)), at(rng.randrange(3)),
                at(9) if rng.random() < 0.15 else None,
            ))  # fmt: skip
        self.store = EmbeddedStore(path)
        self.store.apply(WriteBatch(
            memories_add=self.memories, entities_upsert=self.entities, relations_add=self.relations,
            mentions_add=sorted(self.mentions),
        ))  # fmt: skip
        self.rng = rng

    def delete_some(self) -> None:
        """Delete memories and relations: rows move (the last into each hole)."""
        gone_m = {m.id for m in self.rng.sample(self.memories, 200)}
        gone_r = {r.id for r in self.rng.sample(self.relations, 60)}
        self.store.apply(WriteBatch(memories_delete=sorted(gone_m), relations_delete=sorted(gone_r)))
        self.memories = [m for m in self.memories if m.id not in gone_m]
        self.relations = [r for r in self.relations if r.id not in gone_r]
        self.mentions = {(m, e) for m, e in self.mentions if m not in gone_m}

    def reopen(self, path: Path) -> None:
        self.store.close()
        self.store = EmbeddedStore(path)


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[Corpus]:
    c = Corpus(tmp_path / "store")
    yield c
    c.store.close()


def states(corpus: Corpus, path: Path) -> Iterator[str]:
    """Run the caller's checks on the fresh store, after deletes, and after a reload."""
    yield "fresh"
    corpus.delete_some()
    yield "after deletes"
    corpus.reopen(path)
    yield "reloaded"


# ---- vector search with filters -------------------------------------------------------------------
ACTOR_FILTERS: list[Filter] = [
    Cond("actor_id", "eq", "Ben"),
    Cond("actor_id", "in", ["Ann", "Cy"]),
    Cond("actor_id", "in", []),
    Cond("actor_id", "eq", "Nobody"),
    Cond("actor_id", "in", ["Ann", 1]),  # not all strings: the general path
    And((Cond("actor_id", "in", ["Ben", "Dee"]), Cond("role", "eq", "user"))),
    And(
        (
            Cond("role", "eq", "assistant"),
            Cond("actor_id", "eq", "Ann"),
            Cond("actor_id", "in", ["Ann", "Ben"]),
        )
    ),
    And((Cond("created_at", "gte", at(20)), Cond("actor_id", "eq", "Cy"))),
    And((Cond("actor_id", "eq", "Dee"), Not(Cond("actor_id", "eq", "Dee")))),
    Or((Cond("actor_id", "eq", "Ann"), Cond("role", "eq", "assistant"))),
    Not(Cond("actor_id", "in", ["Ann", "Ben"])),
    Cond("actor_id", "ne", "Cy"),
    Cond("role", "eq", "assistant"),
    Cond("created_at", "lt", at(3)),  # selective: the walk goes past the first chunk
]


def test_filtered_vector_search_is_the_full_ranking_filtered_then_cut(corpus: Corpus, tmp_path: Path) -> None:
    queries = np.random.default_rng(1).standard_normal((2, DIM)).astype(np.float32)
    for state in states(corpus, tmp_path / "store"):
        for scope in READ_SCOPES:
            for q in queries:
                full = corpus.store.vector_memories(scope, None, q, 10**6)  # a stable sort of every row
                for f in ACTOR_FILTERS:
                    want = [(m.id, s) for m, s in full if matches(f, m)]
                    for k in (1, 7, 60, 10**6):
                        got = [(m.id, s) for m, s in corpus.store.vector_memories(scope, f, q, k)]
                        assert got == want[:k], (state, scope, f, k)


@pytest.mark.parametrize("chunk", [1, 3, 64, 10_000])
def test_best_first_is_a_stable_descending_argsort_in_chunks(chunk: int) -> None:
    rng = np.random.default_rng(chunk)
    for n in (0, 1, 5, 200, 3000):
        for values in (
            rng.random(n).astype(np.float32),
            rng.choice(np.array([0.1, 0.5, 0.9], dtype=np.float32), n),  # ties everywhere
        ):
            if n > 3:
                values[rng.integers(0, n, n // 4)] = np.nan  # never in a stored vector; never a hang
            got = list(_best_first(values, chunk))
            assert all(len(c) for c in got)
            merged = np.concatenate(got) if got else np.zeros(0, dtype=np.intp)
            assert merged.tolist() == np.argsort(-values, kind="stable").tolist()


# ---- memories_mentioning ----------------------------------------------------------------------------
def reference_mentioning(
    corpus: Corpus, scope: Scope, f: Filter | None, entity_ids: list[str]
) -> list[tuple[str, list[str]]]:
    """Every memory mentioning one of ``entity_ids``, in scope and matching, newest first."""
    seq = {m.id: i for i, m in enumerate(corpus.memories)}  # insertion order: the tie-break
    hits = []
    for m in corpus.memories:
        ents = [e for e in dict.fromkeys(entity_ids) if (m.id, e) in corpus.mentions]
        if ents and scope.contains(m) and matches(f, m):
            hits.append((m, ents))
    hits.sort(key=lambda h: (h[0].created_at, seq[h[0].id]), reverse=True)
    return [(m.id, ents) for m, ents in hits]


def test_memories_mentioning_a_hub_matches_the_reference(corpus: Corpus, tmp_path: Path) -> None:
    hubs = [e.id for e in corpus.entities]
    asks = [hubs[:1], hubs[:3], [hubs[2], hubs[0], hubs[2]], hubs[10:14], ["no-such-entity", hubs[1]], []]
    for state in states(corpus, tmp_path / "store"):
        for scope in READ_SCOPES:
            for f in (
                None,
                Cond("actor_id", "eq", "Ann"),
                Cond("created_at", "gte", at(25)),
                Not(Cond("role", "eq", "user")),
            ):
                for ids in asks:
                    want = reference_mentioning(corpus, scope, f, ids)
                    for k in (0, 1, 40, 10**6):
                        got = [(m.id, e) for m, e in corpus.store.memories_mentioning(scope, f, ids, k)]
                        assert got == want[:k], (state, scope, f, k)


# ---- expand ------------------------------------------------------------------------------------------
def reference_expand(corpus: Corpus, scope: Scope, start: list[str], hops: int) -> list[str]:
    """Breadth-first, relation by relation, without a limit: the semantics ``expand`` documents
    (with a limit it stops after the hop that reaches it, so its answer is a prefix of this)."""
    entities = {e.id: e for e in corpus.entities}
    seq = {r.id: i for i, r in enumerate(corpus.relations)}
    touching: dict[str, list[Relation]] = {}
    for r in corpus.relations:
        for end in {r.source_id, r.target_id}:
            touching.setdefault(end, []).append(r)

    def inside(obj: Any) -> bool:
        return obj is not None and scope.contains(obj)

    frontier = [e for e in dict.fromkeys(start) if inside(entities.get(e))]
    visited, taken, out = set(frontier), set(), []
    for _ in range(hops):
        layer, next_frontier = [], []
        for node in frontier:
            for r in touching.get(node, []):
                if r.id in taken:
                    continue
                other = r.target_id if r.source_id == node else r.source_id
                if r.valid_to is not None or not inside(r) or not inside(entities.get(other)):
                    continue
                taken.add(r.id)
                layer.append(r)
                if other not in visited:
                    visited.add(other)
                    next_frontier.append(other)
        layer.sort(key=lambda r: (r.valid_from, r.created_at, seq[r.id]), reverse=True)
        out += layer
        frontier = next_frontier
    return [r.id for r in out]


def test_expand_matches_the_reference_walk(corpus: Corpus, tmp_path: Path) -> None:
    ids = [e.id for e in corpus.entities]
    starts = [ids[:1], ids[:2], [ids[5], ids[5], ids[30]], ids[20:26], ["no-such-entity", ids[3]], []]
    for state in states(corpus, tmp_path / "store"):
        for scope in READ_SCOPES:
            for start in starts:
                for hops in (1, 2):
                    want = reference_expand(corpus, scope, start, hops)
                    for limit in (1, 5, 50, 10**6):
                        got = [r.id for r in corpus.store.expand(scope, start, hops, limit)]
                        assert got == want[:limit], (state, scope, start, hops, limit)


def test_split_actors_names_the_actors_and_keeps_the_rest() -> None:
    """The one rule both stores narrow actor-filtered searches by."""
    from graphmem.filters import split_actors

    role = Cond("role", "eq", "user")
    assert split_actors(Cond("actor_id", "in", ["Ann", "Bo"])) == (["Ann", "Bo"], None)
    assert split_actors(And((role, Cond("actor_id", "eq", "Ann")))) == (["Ann"], role)
    three = And((role, Cond("actor_id", "eq", "Ann"), Cond("run_id", "eq", "r")))
    assert split_actors(three) == (["Ann"], And((role, Cond("run_id", "eq", "r"))))
    for f in (None, role, Or((Cond("actor_id", "eq", "Ann"), role)), Not(Cond("actor_id", "eq", "Ann"))):
        assert split_actors(f) == (None, f)  # no actor condition every match must pass
