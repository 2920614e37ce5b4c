"""The store invariant checker used across the reliability tests and by ``benchmarks/soak.py``.

It reads a store's *raw* contents (SQLite rows, or Neo4j nodes and relationships through the
driver), bypassing every graphmem read path, so a bug that the API would hide (a dangling mention
a query never joins, a relation whose endpoint vanished) is still seen. Then it compares what the
API reports against the raw counts, which is how "vector counts match" is checked: every memory,
entity and current relation must be reachable by vector search.

Invariants (each violation is reported as one line):

* every memory's ``hash`` is the md5 of its text, and it has an embedding of the store's dimension;
* every memory has exactly one ADD event, and it is its first event; no living memory has a DELETE;
* every relation's endpoints exist and share its exact scope; its provenance is non-empty and
  names existing memories of the same scope; a closed relation names an existing ``invalidated_by``;
* every mention links an existing memory and an existing entity of the same exact scope;
* no two entities of one exact scope share a key (entity resolution held under concurrency);
* at most one current relation per (source, type) for functional types, and no two current
  relations state the same (type, source, target) (either way round for symmetric types);
* backend specifics: the FTS5 index passes SQLite's integrity check and has one row per memory;
  every Neo4j history link points at the memory its event names.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from graphmem.models import FUNCTIONAL_TYPES, SYMMETRIC_TYPES, Scope
from graphmem.pipeline.indexer import flush_all
from graphmem.stores.base import Store

ScopeKey = tuple[str | None, str | None, str | None]


class MemoryRow(NamedTuple):
    text: str
    hash: str
    scope: ScopeKey
    actor_id: str | None
    metadata: dict[str, Any]
    vec_dim: int | None


class EntityRow(NamedTuple):
    name: str
    key: str
    type: str
    scope: ScopeKey
    vec_dim: int | None


class RelationRow(NamedTuple):
    type: str
    source_id: str
    target_id: str
    source: str
    target: str
    scope: ScopeKey
    memory_ids: tuple[str, ...]
    valid_to: str | None
    invalidated_by: str | None
    vec_dim: int | None


class EventRow(NamedTuple):
    id: str
    memory_id: str
    event: str
    created_at: str
    seq: int  # the order events were written in, for ties on created_at


@dataclass
class Snapshot:
    """Everything a store holds, read raw."""

    dim: int | None = None
    memories: dict[str, MemoryRow] = field(default_factory=dict)
    entities: dict[str, EntityRow] = field(default_factory=dict)
    relations: dict[str, RelationRow] = field(default_factory=dict)
    mentions: list[tuple[str, str]] = field(default_factory=list)
    history: list[EventRow] = field(default_factory=list)
    #: Problems found while reading that only one backend can have.
    backend_problems: list[str] = field(default_factory=list)

    def memories_in(self, scope: Scope) -> set[str]:
        """Ids of the memories a read in ``scope`` may see (reading semantics)."""
        return {mid for mid, m in self.memories.items() if _contains(scope, m.scope)}

    def entities_in(self, scope: Scope) -> set[str]:
        return {eid for eid, e in self.entities.items() if _contains(scope, e.scope)}

    def relations_in(self, scope: Scope) -> set[str]:
        return {rid for rid, r in self.relations.items() if _contains(scope, r.scope)}

    def events_of(self, memory_id: str) -> list[EventRow]:
        return sorted(
            (e for e in self.history if e.memory_id == memory_id), key=lambda e: (e.created_at, e.seq)
        )


def _contains(scope: Scope, values: ScopeKey) -> bool:
    return all(v is None or v == have for v, have in zip(scope.values(), values, strict=True))


# ---- reading ------------------------------------------------------------------------------------
def snapshot(store: Store) -> Snapshot:
    """Read everything ``store`` holds, bypassing its read paths."""
    if store.name == "embedded":
        return _embedded_snapshot(store.db_path)  # type: ignore[attr-defined]
    if store.name == "neo4j":
        return _neo4j_snapshot(store._driver, store.database)  # type: ignore[attr-defined]
    raise TypeError(f"no raw reader for store {store.name!r}")


def _dim_of(blob: bytes | None) -> int | None:
    return None if blob is None else len(blob) // 4


def _embedded_snapshot(db_path: Any) -> Snapshot:
    snap = Snapshot()
    # A connection of our own: the store's connection and caches are what is under test.
    conn = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN")  # one consistent read of every table
        row = conn.execute("SELECT value FROM meta WHERE key = 'dim'").fetchone()
        snap.dim = None if row is None else int(row[0])
        for mid, text, h, u, a, r, actor, meta, emb in conn.execute(
            "SELECT id, memory, hash, user_id, agent_id, run_id, actor_id, metadata, embedding FROM memories"
        ):
            snap.memories[mid] = MemoryRow(text, h, (u, a, r), actor, json.loads(meta), _dim_of(emb))
        for eid, name, key, etype, u, a, r, emb in conn.execute(
            "SELECT id, name, key, type, user_id, agent_id, run_id, embedding FROM entities"
        ):
            snap.entities[eid] = EntityRow(name, key, etype, (u, a, r), _dim_of(emb))
        for rid, rtype, s, t, sn, tn, u, a, r, mids, vto, inv, emb in conn.execute(
            "SELECT id, type, source_id, target_id, source, target, user_id, agent_id, run_id, memory_ids,"
            " valid_to, invalidated_by, embedding FROM relations"
        ):
            snap.relations[rid] = RelationRow(
                rtype, s, t, sn, tn, (u, a, r), tuple(json.loads(mids)), vto, inv, _dim_of(emb)
            )
        snap.mentions = [tuple(x) for x in conn.execute("SELECT memory_id, entity_id FROM mentions")]
        snap.history = [
            EventRow(*x) for x in conn.execute("SELECT id, memory_id, event, created_at, seq FROM history")
        ]
        fts_rows = conn.execute("SELECT count(*) FROM memories_fts").fetchone()[0]
        if fts_rows != len(snap.memories):
            snap.backend_problems.append(f"FTS index has {fts_rows} rows for {len(snap.memories)} memories")
        try:
            conn.execute("INSERT INTO memories_fts(memories_fts) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as e:
            snap.backend_problems.append(f"FTS integrity check failed: {e}")
        quick = conn.execute("PRAGMA quick_check").fetchone()[0]
        if quick != "ok":
            snap.backend_problems.append(f"SQLite quick_check: {quick}")
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    return snap


def _neo4j_snapshot(driver: Any, database: str) -> Snapshot:
    snap = Snapshot()
    with driver.session(database=database) as session:

        def read(tx: Any) -> None:
            row = tx.run("OPTIONAL MATCH (g:GraphMemMeta {key: 'schema'}) RETURN g.dim AS dim").single()
            snap.dim = row["dim"]
            for r in tx.run(
                "MATCH (m:Memory) RETURN m.id AS id, m.memory AS text, m.hash AS hash, m.user_id AS u,"
                " m.agent_id AS a, m.run_id AS r, m.actor_id AS actor, m.metadata AS meta,"
                " size(m.embedding) AS dim"
            ):
                meta = json.loads(r["meta"]) if r["meta"] else {}
                snap.memories[r["id"]] = MemoryRow(
                    r["text"], r["hash"], (r["u"], r["a"], r["r"]), r["actor"], meta, r["dim"]
                )
            for r in tx.run(
                "MATCH (e:Entity) RETURN e.id AS id, e.name AS name, e.key AS key, e.type AS type,"
                " e.user_id AS u, e.agent_id AS a, e.run_id AS r, size(e.embedding) AS dim"
            ):
                snap.entities[r["id"]] = EntityRow(
                    r["name"], r["key"], r["type"], (r["u"], r["a"], r["r"]), r["dim"]
                )
            for r in tx.run(
                "MATCH (s)-[x:RELATES_TO]->(t) RETURN x.id AS id, x.type AS type, s.id AS s, t.id AS t,"
                " x.source AS sn, x.target AS tn, x.user_id AS u, x.agent_id AS a, x.run_id AS r,"
                " x.memory_ids AS mids, x.valid_to AS vto, x.invalidated_by AS inv,"
                " size(x.embedding) AS dim, s:Entity AND t:Entity AS between_entities"
            ):
                if not r["between_entities"]:
                    snap.backend_problems.append(f"relation {r['id']} does not join two entities")
                snap.relations[r["id"]] = RelationRow(
                    r["type"], r["s"], r["t"], r["sn"], r["tn"], (r["u"], r["a"], r["r"]),
                    tuple(r["mids"] or ()), r["vto"], r["inv"], r["dim"],
                )  # fmt: skip
            for r in tx.run(
                "MATCH (m)-[:MENTIONS]->(e) RETURN m.id AS m, e.id AS e, m:Memory AND e:Entity AS ok"
            ):
                if not r["ok"]:
                    snap.backend_problems.append(f"MENTIONS {r['m']} -> {r['e']} joins the wrong labels")
                snap.mentions.append((r["m"], r["e"]))
            snap.history = [
                EventRow(r["id"], r["memory_id"], r["event"], r["created_at"], r["seq"] or 0)
                for r in tx.run(
                    "MATCH (h:HistoryEvent) RETURN h.id AS id, h.memory_id AS memory_id, h.event AS event,"
                    " h.created_at AS created_at, h.seq AS seq"
                )
            ]
            for r in tx.run(
                "MATCH (h:HistoryEvent)-[:OF]->(m) WHERE NOT m:Memory OR m.id <> h.memory_id"
                " RETURN h.id AS id"
            ):
                snap.backend_problems.append(f"history event {r['id']} is linked to another memory")

        session.execute_read(read)
    return snap


# ---- checking -----------------------------------------------------------------------------------
def violations(snap: Snapshot) -> list[str]:
    """Every broken invariant of the module docstring, one line each (empty when consistent)."""
    out = list(snap.backend_problems)
    events: dict[str, list[EventRow]] = defaultdict(list)
    for e in sorted(snap.history, key=lambda e: (e.created_at, e.seq)):
        events[e.memory_id].append(e)

    for mid, m in snap.memories.items():
        if m.hash != hashlib.md5(m.text.encode("utf-8", "surrogatepass")).hexdigest():
            out.append(f"memory {mid}: hash does not match its text")
        if m.vec_dim is None or m.vec_dim != snap.dim:
            out.append(f"memory {mid}: embedding of dimension {m.vec_dim}, store dimension {snap.dim}")
        kinds = [e.event for e in events.get(mid, [])]
        if kinds.count("ADD") != 1 or kinds[0] != "ADD":
            out.append(f"memory {mid}: history {kinds} does not start with its one ADD")
        if "DELETE" in kinds:
            out.append(f"memory {mid}: exists but has a DELETE event")

    for eid, e in snap.entities.items():
        if e.vec_dim is not None and e.vec_dim != snap.dim:
            out.append(f"entity {eid}: embedding of dimension {e.vec_dim}, store dimension {snap.dim}")
    by_key = Counter((e.scope, e.key) for e in snap.entities.values())
    out.extend(
        f"{n} entities share key {key!r} in scope {scope}" for (scope, key), n in by_key.items() if n > 1
    )

    current: Counter[tuple[Any, ...]] = Counter()
    functional: Counter[tuple[str, str]] = Counter()
    for rid, r in snap.relations.items():
        for end in (r.source_id, r.target_id):
            ent = snap.entities.get(end)
            if ent is None:
                out.append(f"relation {rid}: endpoint {end} does not exist")
            elif ent.scope != r.scope:
                out.append(
                    f"relation {rid}: endpoint {end} is in scope {ent.scope}, the relation in {r.scope}"
                )
        if not r.memory_ids:
            out.append(f"relation {rid}: no provenance")
        for mid in r.memory_ids:
            mem = snap.memories.get(mid)
            if mem is None:
                out.append(f"relation {rid}: provenance memory {mid} does not exist")
            elif mem.scope != r.scope:
                out.append(f"relation {rid}: provenance memory {mid} is in another scope")
        if r.vec_dim is not None and r.vec_dim != snap.dim:
            out.append(f"relation {rid}: embedding of dimension {r.vec_dim}, store dimension {snap.dim}")
        if r.invalidated_by is not None and r.invalidated_by not in snap.relations:
            out.append(f"relation {rid}: invalidated by {r.invalidated_by}, which does not exist")
        if r.valid_to is None:
            ends = (r.source_id, r.target_id)
            if r.type in SYMMETRIC_TYPES:
                ends = tuple(sorted(ends))  # type: ignore[assignment]
            current[(r.scope, r.type, *ends)] += 1
            if r.type in FUNCTIONAL_TYPES:
                functional[(r.source_id, r.type)] += 1
    out.extend(f"{n} current relations state {key[1:]}" for key, n in current.items() if n > 1)
    out.extend(f"{n} current {t} relations from entity {s}" for (s, t), n in functional.items() if n > 1)

    for mid, eid in snap.mentions:
        mem, ent = snap.memories.get(mid), snap.entities.get(eid)
        if mem is None or ent is None:
            out.append(f"mention {mid} -> {eid}: {'memory' if mem is None else 'entity'} does not exist")
        elif mem.scope != ent.scope:
            out.append(f"mention {mid} -> {eid}: memory and entity are in different scopes")
    return out


def api_violations(store: Store, snap: Snapshot) -> list[str]:
    """Where the store's own read paths disagree with its raw contents (caches, indexes, vectors)."""
    out: list[str] = []
    everything = Scope()
    if store.count_memories() != len(snap.memories):
        out.append(f"count_memories() is {store.count_memories()}, the store holds {len(snap.memories)}")
    listed = {m.id for m in store.list_memories(everything, limit=None)}
    if listed != set(snap.memories):
        out.append(f"list_memories differs from the raw memories by {len(listed ^ set(snap.memories))}")
    if {e.id for e in store.list_entities(everything)} != set(snap.entities):
        out.append("list_entities differs from the raw entities")
    if {r.id for r in store.relations(everything, include_invalid=True)} != set(snap.relations):
        out.append("relations(include_invalid=True) differs from the raw relations")
    if snap.dim is not None:
        probe = np.ones(snap.dim, dtype=np.float32) / np.sqrt(snap.dim)
        n = len(snap.memories)
        if n and len(store.vector_memories(everything, None, probe, n)) != n:
            out.append("not every memory is reachable by vector search")
        n = len(snap.entities)
        if n and len(store.vector_entities(everything, probe, n)) != n:
            out.append("not every entity is reachable by vector search")
        n = sum(1 for r in snap.relations.values() if r.valid_to is None)
        if n and len(store.vector_relations(everything, probe, n)) != n:
            out.append("not every current relation is reachable by vector search")
    return out


def assert_consistent(store: Store, *, api: bool = True) -> Snapshot:
    """Assert every invariant (and, with ``api``, that the read paths agree); return the snapshot.

    Background indexing is waited for first: its vectors land after ``add`` returns."""
    flush_all()  # every Memory of this process: several store objects may share one database
    snap = snapshot(store)
    problems = violations(snap) + (api_violations(store, snap) if api else [])
    assert not problems, f"{len(problems)} invariant violations:\n" + "\n".join(problems[:50])
    return snap
