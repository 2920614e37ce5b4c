"""SQLite side of the embedded store: schema, row conversion, keyword-query escaping, error mapping.

Kept apart from ``embedded.py`` so the store module reads as the Store contract, and so every
``sqlite3`` exception is translated in one place: nothing from ``sqlite3`` may escape graphmem.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from graphmem.errors import (
    ConstraintViolationError,
    DimensionMismatchError,
    InvalidMetadataError,
    StoreError,
    StoreUnavailableError,
)
from graphmem.models import Entity, HistoryEvent, MemoryRecord, Relation, Scope, Vector
from graphmem.pipeline._keyword import MAX_WORDS, STOP_WORDS
from graphmem.stores.base import WriteBatch

T = TypeVar("T")

#: 3: the ``changes`` log. A graphmem that predates it would write without logging, so it must
#: refuse a version-3 file (it does: it refuses any version newer than its own).
SCHEMA_VERSION = 3

# The FTS table uses ``memories`` as external content: the text is stored once, and the triggers
# keep the index in step inside the same transaction as the row change. ``scope_tokens`` puts the
# memory's scope into the index as opaque numeric tokens (see ``scope_token``) so a scoped keyword
# query is an FTS intersection of posting lists: ~0.5 ms at 10k memories, where joining every match
# to ``memories`` to test the scope took ~5 ms. It has weight 0 in bm25, so scores are unchanged.
# ``actor_id`` is indexed beside the text: people ask about what a named person said, and the text
# alone ("I'll take the hero copy") never names its speaker. BM25's IDF keeps a speaker who said
# half of everything from dominating.
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS memories (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, memory TEXT NOT NULL, hash TEXT NOT NULL,
    user_id TEXT, agent_id TEXT, run_id TEXT, actor_id TEXT, role TEXT,
    metadata TEXT NOT NULL DEFAULT '{}', memory_type TEXT,
    created_at TEXT NOT NULL, updated_at TEXT, embedding BLOB, scope_tokens TEXT NOT NULL DEFAULT ''
);
CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts USING fts5(
    memory, actor_id, scope_tokens, content='memories', content_rowid='seq',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS memories_ai AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts(rowid, memory, actor_id, scope_tokens)
        VALUES (new.seq, new.memory, new.actor_id, new.scope_tokens);
END;
CREATE TRIGGER IF NOT EXISTS memories_ad AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, memory, actor_id, scope_tokens)
        VALUES ('delete', old.seq, old.memory, old.actor_id, old.scope_tokens);
END;
CREATE TRIGGER IF NOT EXISTS memories_au AFTER UPDATE OF memory, actor_id ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, memory, actor_id, scope_tokens)
        VALUES ('delete', old.seq, old.memory, old.actor_id, old.scope_tokens);
    INSERT INTO memories_fts(rowid, memory, actor_id, scope_tokens)
        VALUES (new.seq, new.memory, new.actor_id, new.scope_tokens);
END;
CREATE TABLE IF NOT EXISTS entities (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, key TEXT NOT NULL,
    type TEXT NOT NULL, user_id TEXT, agent_id TEXT, run_id TEXT, created_at TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]', embedding BLOB
);
CREATE TABLE IF NOT EXISTS relations (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, fact TEXT NOT NULL,
    source_id TEXT NOT NULL, target_id TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,
    actor_id TEXT, memory_ids TEXT NOT NULL DEFAULT '[]', user_id TEXT, agent_id TEXT, run_id TEXT,
    valid_from TEXT NOT NULL, created_at TEXT NOT NULL, valid_to TEXT, invalidated_by TEXT,
    confidence REAL NOT NULL DEFAULT 1.0, embedding BLOB
);
CREATE INDEX IF NOT EXISTS relations_source ON relations(source_id);
CREATE INDEX IF NOT EXISTS relations_target ON relations(target_id);
CREATE TABLE IF NOT EXISTS mentions (
    memory_id TEXT NOT NULL, entity_id TEXT NOT NULL, PRIMARY KEY (memory_id, entity_id)
);
CREATE INDEX IF NOT EXISTS mentions_entity ON mentions(entity_id);
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, memory_id TEXT NOT NULL, event TEXT NOT NULL,
    old_memory TEXT, new_memory TEXT, actor_id TEXT, role TEXT, created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_memory ON history(memory_id, created_at, seq);
CREATE TABLE IF NOT EXISTS docs (
    kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL);
"""
#: How ``memories_fts`` splits and stems text (``fts_stems`` asks the same tokenizer).
FTS_TOKENIZER = re.search(r"tokenize='([^']*)'", SCHEMA)[1]  # type: ignore[index]

MEMORY_COLUMNS = (
    "seq, id, memory, hash, user_id, agent_id, run_id, actor_id, role, metadata, memory_type, "
    "created_at, updated_at, embedding"
)
MEMORY_INSERT_COLUMNS = MEMORY_COLUMNS + ", scope_tokens"
ENTITY_COLUMNS = "seq, id, name, key, type, user_id, agent_id, run_id, created_at, aliases, embedding"
RELATION_COLUMNS = (
    "seq, id, type, fact, source_id, target_id, source, target, actor_id, memory_ids, user_id, "
    "agent_id, run_id, valid_from, created_at, valid_to, invalidated_by, confidence, embedding"
)
HISTORY_COLUMNS = "id, memory_id, event, old_memory, new_memory, actor_id, role, created_at"


# ---- vectors ---------------------------------------------------------------------------------
def to_blob(vector: Vector | None) -> bytes | None:
    if vector is None:
        return None
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes | None) -> Vector | None:
    if blob is None:
        return None
    return np.frombuffer(blob, dtype=np.float32)


# ---- rows -> records -------------------------------------------------------------------------
def memory_from_row(row: Sequence[Any]) -> MemoryRecord:
    """A cached record (no embedding) from a ``MEMORY_COLUMNS`` row."""
    return MemoryRecord(
        id=row[1], memory=row[2], hash=row[3], user_id=row[4], agent_id=row[5], run_id=row[6],
        actor_id=row[7], role=row[8], metadata=json.loads(row[9]), memory_type=row[10],
        created_at=row[11], updated_at=row[12],
    )  # fmt: skip


def entity_from_row(row: Sequence[Any]) -> Entity:
    return Entity(
        id=row[1], name=row[2], key=row[3], type=row[4], user_id=row[5], agent_id=row[6],
        run_id=row[7], created_at=row[8], aliases=json.loads(row[9]),
    )  # fmt: skip


def relation_from_row(row: Sequence[Any]) -> Relation:
    return Relation(
        id=row[1], type=row[2], fact=row[3], source_id=row[4], target_id=row[5], source=row[6],
        target=row[7], actor_id=row[8], memory_ids=json.loads(row[9]), user_id=row[10],
        agent_id=row[11], run_id=row[12], valid_from=row[13], created_at=row[14], valid_to=row[15],
        invalidated_by=row[16], confidence=row[17],
    )  # fmt: skip


def history_from_row(row: Sequence[Any]) -> HistoryEvent:
    return HistoryEvent(*row)


# ---- records -> rows -------------------------------------------------------------------------
def dump_json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InvalidMetadataError(f"{what} is not JSON-serialisable: {e}") from e


def memory_row(m: MemoryRecord, seq: int) -> tuple[Any, ...]:
    return (
        seq, m.id, m.memory, m.hash, m.user_id, m.agent_id, m.run_id, m.actor_id, m.role,
        dump_json(m.metadata or {}, f"metadata of memory {m.id}"), m.memory_type, m.created_at,
        m.updated_at, to_blob(m.embedding), scope_tokens(m.scope),
    )  # fmt: skip


def entity_row(e: Entity, seq: int) -> tuple[Any, ...]:
    return (
        seq, e.id, e.name, e.key, e.type, e.user_id, e.agent_id, e.run_id, e.created_at,
        dump_json(list(e.aliases), f"aliases of entity {e.id}"), to_blob(e.embedding),
    )  # fmt: skip


def relation_row(r: Relation, seq: int) -> tuple[Any, ...]:
    return (
        seq, r.id, r.type, r.fact, r.source_id, r.target_id, r.source, r.target, r.actor_id,
        dump_json(list(r.memory_ids), f"memory_ids of relation {r.id}"), r.user_id, r.agent_id,
        r.run_id, r.valid_from, r.created_at, r.valid_to, r.invalidated_by, float(r.confidence),
        to_blob(r.embedding),
    )  # fmt: skip


def history_row(h: HistoryEvent) -> tuple[Any, ...]:
    return (h.id, h.memory_id, h.event, h.old_memory, h.new_memory, h.actor_id, h.role, h.created_at)


def placeholders(n: int) -> str:
    return ", ".join("?" * n)


# ---- copies handed to callers ----------------------------------------------------------------
# Cached records are shared state: they never hold embeddings (the vectors live in the tables'
# matrices), and neither the caller's objects going in nor the results coming out share a mutable
# container with them, so editing a result (the facade adds fields to metadata, the pipeline closes
# a relation before passing it back) cannot corrupt a cache. Nested metadata values are shared.
def copy_memory(m: MemoryRecord) -> MemoryRecord:
    return MemoryRecord(
        m.id, m.memory, m.hash, m.user_id, m.agent_id, m.run_id, m.actor_id, m.role,
        dict(m.metadata or {}), m.memory_type, m.created_at, m.updated_at,
    )  # fmt: skip


def copy_entity(e: Entity) -> Entity:
    return Entity(e.id, e.name, e.key, e.type, e.user_id, e.agent_id, e.run_id, e.created_at, list(e.aliases))


def copy_relation(r: Relation) -> Relation:
    return Relation(
        r.id, r.type, r.fact, r.source_id, r.target_id, r.source, r.target, r.actor_id,
        list(r.memory_ids), r.user_id, r.agent_id, r.run_id, r.valid_from, r.created_at,
        r.valid_to, r.invalidated_by, r.confidence,
    )  # fmt: skip


# ---- scope in SQL ----------------------------------------------------------------------------
def scope_where(scope: Scope, alias: str = "") -> tuple[str, list[str]]:
    """A reading-scope condition (``1`` when no key is set) and its parameters."""
    items = scope.items()
    if not items:
        return "1", []
    return " AND ".join(f"{alias}{key} = ?" for key, _ in items), [value for _, value in items]


# ---- keyword queries -------------------------------------------------------------------------
_WORD = re.compile(r"\w+", re.UNICODE)
# graphmem asks for every form of every query term (pipeline/_keyword.py), up to MAX_WORDS words;
# the stop words are the scorer's, so no word graphmem asks for is dropped here.
_MAX_TERMS = MAX_WORDS


class _FtsStems:
    """What each word indexes as in ``memories_fts``, asked of SQLite's own tokenizer, cached.

    graphmem asks for every inflection of a query word ("bill billed billing bills"); the porter
    tokenizer indexes them as one token, and FTS5 would score that token once per copy. Keeping
    one word per token makes the same match set at the cost of one query word.
    """

    _MAX_CACHED = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, ...]] = {}
        self._conn: sqlite3.Connection | None = None

    def __call__(self, words: Sequence[str]) -> list[tuple[str, ...]]:
        with self._lock:
            missing = [w for w in dict.fromkeys(words) if w not in self._cache]
            if missing:
                if self._conn is None:
                    self._conn = sqlite3.connect(":memory:", check_same_thread=False)
                    self._conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{FTS_TOKENIZER}')")
                    self._conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
                conn = self._conn
                conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", list(enumerate(missing, 1)))
                found: dict[int, list[str]] = {}
                for doc, term in conn.execute("SELECT doc, term FROM v ORDER BY doc, offset"):
                    found.setdefault(doc, []).append(term)
                conn.execute("DELETE FROM t")
                if len(self._cache) + len(missing) > self._MAX_CACHED:
                    self._cache.clear()
                for i, w in enumerate(missing, 1):
                    self._cache[w] = tuple(found.get(i, ()))
            return [self._cache.get(w, (w,)) for w in words]


fts_stems = _FtsStems()


def fts_query(text: str, scope: Scope) -> str | None:
    """Turn raw user text into a safe FTS5 query in ``scope``; ``None`` if the text has no word.

    FTS5 has its own syntax (quotes, ``AND``/``NEAR``, ``col:``, ``*``, ``^``). Splitting on word
    characters and quoting every term leaves none of it, whatever the input holds. The terms are
    ORed and confined to the ``memory`` and ``actor_id`` columns; each set scope key adds ``AND`` its
    scope token. Words the tokenizer indexes alike are asked for once.
    """
    # lower(), not casefold(): FTS5 folds case only ("ß" stays), as graphmem's scorer does
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))
    terms = [w for w in words if w not in STOP_WORDS] or words
    if not terms:
        return None
    try:
        first: dict[tuple[str, ...], str] = {}
        for term, tokens in zip(terms, fts_stems(terms), strict=True):
            first.setdefault(tokens, term)
        terms = list(first.values())
    except sqlite3.Error:  # only an optimisation: ask for every word
        pass
    query = (
        "{memory actor_id} : ("
        + " OR ".join('"' + t.replace('"', '""') + '"' for t in terms[:_MAX_TERMS])
        + ")"
    )
    for key, value in scope.items():
        query += f' AND scope_tokens : "{scope_token(key, value)}"'
    return query


_KEY_DIGIT = {"user_id": "1", "agent_id": "2", "run_id": "3"}


def scope_token(key: str, value: str) -> str:
    """One FTS token standing for ``key = value``: the key's digit and 60 bits of the value's md5.

    Digits only, so neither the unicode61 tokenizer nor the porter stemmer alters it, whatever the
    id holds. A collision is possible in principle; results are re-checked against the scope.
    """
    digest = int(hashlib.md5(value.encode("utf-8", "surrogatepass")).hexdigest()[:15], 16)
    return f"{_KEY_DIGIT[key]}{digest}"


def scope_tokens(scope: Scope) -> str:
    return " ".join(scope_token(key, value) for key, value in scope.items())


# ---- transactions ----------------------------------------------------------------------------
@dataclass
class Seqs:
    """First rowid given to each table's inserts in one transaction (row ``i`` gets ``start + i``)."""

    memories: int = 1
    entities: int = 1
    relations: int = 1


@dataclass
class Deleted:
    """What a transaction removed beyond the batch's own lists: relations cascaded from entity deletes."""

    relations: list[str] = field(default_factory=list)


def data_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def stored_dim(conn: sqlite3.Connection) -> int | None:
    row = conn.execute("SELECT value FROM meta WHERE key = 'dim'").fetchone()
    return None if row is None else int(row[0])


def record_dim(conn: sqlite3.Connection, dim: int | None) -> int | None:
    """Inside a write transaction: check ``dim`` against the file and record it if none is.

    Returns ``dim`` when it was newly recorded, else ``None``.
    """
    if dim is None:
        return None
    stored = stored_dim(conn)
    check_dim(stored, dim)  # another process may have recorded one since our state was loaded
    if stored is not None:
        return None
    conn.execute("INSERT INTO meta (key, value) VALUES ('dim', ?)", (str(dim),))
    return dim


def check_dim(stored: int | None, dim: int | None) -> None:
    if stored is not None and dim is not None and stored != dim:
        raise DimensionMismatchError(f"the store holds vectors of dimension {stored}, got dimension {dim}")


def _existing(conn: sqlite3.Connection, table: str, wanted: set[str]) -> set[str]:
    found: set[str] = set()
    ids = sorted(wanted)
    for start in range(0, len(ids), 500):  # well under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        rows = conn.execute(f"SELECT id FROM {table} WHERE id IN ({placeholders(len(chunk))})", chunk)
        found.update(r[0] for r in rows)
    return found


def _require(
    conn: sqlite3.Connection,
    step: str,
    pairs: Sequence[tuple[str, str]],
    *,
    memories: set[str],
    entities: set[str],
) -> None:
    """Refuse links to memories or entities that do not exist (at this point of the transaction).

    The Neo4j store cannot create an edge without both nodes and rolls the batch back; doing the
    same here keeps a pipeline bug from passing on one backend and failing on the other.
    """
    missing = (memories - _existing(conn, "memories", memories)) | (
        entities - _existing(conn, "entities", entities)
    )
    if missing:
        bad = sum(1 for a, b in pairs if a in missing or b in missing)
        raise ConstraintViolationError(
            f"{step}: {bad} of {len(pairs)} rows refer to a memory or entity that does not exist"
        )


def _ids(values: Sequence[str]) -> list[tuple[str]]:
    return [(v,) for v in values]


def _next_seq(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}").fetchone()[0])


def write_batch(conn: sqlite3.Connection, batch: WriteBatch) -> tuple[Seqs, Deleted]:
    """Execute a batch's statements inside an open transaction, in :class:`WriteBatch` order."""
    seqs, deleted = Seqs(), Deleted()
    conn.executemany("DELETE FROM docs WHERE kind = ? AND key = ?", batch.docs_delete)
    conn.executemany(
        "INSERT INTO docs (kind, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT(kind, key) DO UPDATE SET value = excluded.value",
        [(kind, key, dump_json(value, f"document {kind}/{key}")) for kind, key, value in batch.docs_put],
    )
    conn.executemany("DELETE FROM relations WHERE id = ?", _ids(batch.relations_delete))
    conn.executemany(
        "DELETE FROM mentions WHERE memory_id = ?", _ids([*batch.mentions_clear, *batch.memories_delete])
    )
    conn.executemany("DELETE FROM memories WHERE id = ?", _ids(batch.memories_delete))
    if batch.entities_upsert:
        seqs.entities = _next_seq(conn, "entities")
        conn.executemany(
            f"INSERT INTO entities ({ENTITY_COLUMNS}) VALUES ({placeholders(11)}) "
            "ON CONFLICT(id) DO UPDATE SET aliases = excluded.aliases",
            [entity_row(e, seqs.entities + i) for i, e in enumerate(batch.entities_upsert)],
        )
    if batch.memories_add:
        seqs.memories = _next_seq(conn, "memories")
        conn.executemany(
            f"INSERT INTO memories ({MEMORY_INSERT_COLUMNS}) VALUES ({placeholders(15)})",
            [memory_row(m, seqs.memories + i) for i, m in enumerate(batch.memories_add)],
        )
    conn.executemany(
        "UPDATE memories SET memory = ?, hash = ?, metadata = ?, updated_at = ?, "
        "embedding = COALESCE(?, embedding) WHERE id = ?",
        [
            (m.memory, m.hash, dump_json(m.metadata or {}, f"metadata of memory {m.id}"), m.updated_at,
             to_blob(m.embedding), m.id)
            for m in batch.memories_update
        ],
    )  # fmt: skip
    if batch.mentions_add:
        _require(conn, "mentions_add", batch.mentions_add, memories={m for m, _ in batch.mentions_add},
                 entities={e for _, e in batch.mentions_add})  # fmt: skip
        conn.executemany(
            "INSERT OR IGNORE INTO mentions (memory_id, entity_id) VALUES (?, ?)", batch.mentions_add
        )
    if batch.relations_add:
        ends = [(r.source_id, r.target_id) for r in batch.relations_add]
        _require(conn, "relations_add", ends, memories=set(), entities={e for pair in ends for e in pair})
        seqs.relations = _next_seq(conn, "relations")
        conn.executemany(
            f"INSERT INTO relations ({RELATION_COLUMNS}) VALUES ({placeholders(19)})",
            [relation_row(r, seqs.relations + i) for i, r in enumerate(batch.relations_add)],
        )
    conn.executemany(
        "UPDATE relations SET fact = ?, memory_ids = ?, actor_id = ?, valid_to = ?, invalidated_by = ?, "
        "confidence = ?, embedding = COALESCE(?, embedding) WHERE id = ?",
        [
            (r.fact, dump_json(list(r.memory_ids), f"memory_ids of relation {r.id}"), r.actor_id,
             r.valid_to, r.invalidated_by, float(r.confidence), to_blob(r.embedding), r.id)
            for r in batch.relations_update
        ],
    )  # fmt: skip
    conn.executemany(
        f"INSERT INTO history ({HISTORY_COLUMNS}) VALUES ({placeholders(8)})",
        [history_row(h) for h in batch.history],
    )
    if batch.entities_delete:
        gone = _ids(batch.entities_delete)
        touching = "SELECT id FROM relations WHERE source_id = ? OR target_id = ?"
        for (eid,) in gone:
            deleted.relations.extend(r[0] for r in conn.execute(touching, (eid, eid)))
        deleted.relations = list(dict.fromkeys(deleted.relations))
        conn.executemany("DELETE FROM relations WHERE id = ?", _ids(deleted.relations))
        conn.executemany("DELETE FROM mentions WHERE entity_id = ?", gone)
        conn.executemany("DELETE FROM entities WHERE id = ?", gone)
    return seqs, deleted


# ---- the change log ----------------------------------------------------------------------------
# Every write transaction appends one row naming the ids it touched, so another connection can
# bring its in-memory state up to date by re-reading those rows instead of reloading everything:
# with several writer processes, every write follows someone else's, and a full reload per write
# (and per read) made both cost O(store size). See ``EmbeddedStore._catch_up``.

#: Rows kept; a connection further behind than this reloads in full.
CHANGES_KEPT = 10_000


@dataclass
class Change:
    """What one or more transactions touched (the union, when merged)."""

    memories: set[str] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)
    relations: set[str] = field(default_factory=set)
    #: Memories whose mentions changed (added, cleared, or deleted with the memory).
    mentions: set[str] = field(default_factory=set)
    dim: int | None = None
    #: Everything may have changed (``reset``): reload in full.
    everything: bool = False

    def merge(self, payload: str) -> None:
        d = json.loads(payload)
        self.memories.update(d.get("m", ()))
        self.entities.update(d.get("e", ()))
        self.relations.update(d.get("r", ()))
        self.mentions.update(d.get("mm", ()))
        self.dim = d.get("dim") or self.dim
        self.everything = self.everything or bool(d.get("all"))

    def size(self) -> int:
        return len(self.memories) + len(self.entities) + len(self.relations) + len(self.mentions)


def batch_change(batch: WriteBatch, deleted: Deleted, dim: int | None) -> dict[str, Any]:
    """The change-log payload of a batch written by :func:`write_batch`."""
    payload: dict[str, Any] = {
        "m": sorted({m.id for m in (*batch.memories_add, *batch.memories_update)} | set(batch.memories_delete)),
        "e": sorted({e.id for e in batch.entities_upsert} | set(batch.entities_delete)),
        "r": sorted(
            {r.id for r in (*batch.relations_add, *batch.relations_update)}
            | set(batch.relations_delete) | set(deleted.relations)
        ),
        "mm": sorted({m for m, _ in batch.mentions_add} | set(batch.mentions_clear) | set(batch.memories_delete)),
    }  # fmt: skip
    if dim is not None:
        payload["dim"] = dim
    return payload


#: The table, and the change-log key, of each record kind that carries a vector.
VECTOR_TABLES = {"memory": "memories", "entity": "entities", "relation": "relations"}
CHANGE_KEYS = {"memory": "m", "entity": "e", "relation": "r"}


def set_vectors(conn: sqlite3.Connection, table: str, vectors: Mapping[str, Vector]) -> list[str]:
    """Inside a write transaction: store the vectors of the rows that exist; their ids."""
    stored = sorted(_existing(conn, table, set(vectors)))
    conn.executemany(
        f"UPDATE {table} SET embedding = ? WHERE id = ?", [(to_blob(vectors[i]), i) for i in stored]
    )
    return stored


def log_change(conn: sqlite3.Connection, payload: dict[str, Any]) -> int:
    """Inside a write transaction: append ``payload`` to the change log; its seq."""
    cur = conn.execute("INSERT INTO changes (payload) VALUES (?)", (json.dumps(payload),))
    seq = int(cur.lastrowid or 0)
    if seq % 100 == 0:  # prune now and then; the primary key makes it a range delete
        conn.execute("DELETE FROM changes WHERE seq <= ?", (seq - CHANGES_KEPT,))
    return seq


def last_change(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])


def changes_since(conn: sqlite3.Connection, seq: int) -> tuple[Change, int] | None:
    """Inside a read transaction: the union of the changes after ``seq`` and the last seq, or
    ``None`` when the log cannot say (pruned past ``seq``)."""
    oldest = conn.execute("SELECT MIN(seq) FROM changes").fetchone()[0]
    if oldest is not None and oldest > seq + 1:
        return None
    change, last = Change(), seq
    for row_seq, payload in conn.execute(
        "SELECT seq, payload FROM changes WHERE seq > ? ORDER BY seq", (seq,)
    ):
        change.merge(payload)
        last = row_seq
    return change, last


def rows_by_id(conn: sqlite3.Connection, table: str, columns: str, ids: set[str]) -> list[Any]:
    out: list[Any] = []
    wanted = sorted(ids)
    for start in range(0, len(wanted), 500):  # well under SQLite's bound-parameter limit
        chunk = wanted[start : start + 500]
        out += conn.execute(f"SELECT {columns} FROM {table} WHERE id IN ({placeholders(len(chunk))})", chunk)
    return out


def mentions_of(conn: sqlite3.Connection, memory_ids: set[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    wanted = sorted(memory_ids)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        out += conn.execute(
            f"SELECT memory_id, entity_id FROM mentions WHERE memory_id IN ({placeholders(len(chunk))}) ORDER BY rowid",
            chunk,
        )
    return out


# ---- errors ----------------------------------------------------------------------------------
_RETRIES = 3
_RETRY_SLEEP_S = 0.05


def _is_busy(e: sqlite3.Error) -> bool:
    msg = str(e).lower()
    return isinstance(e, sqlite3.OperationalError) and ("locked" in msg or "busy" in msg)


def run_sqlite(fn: Callable[[], T], what: str) -> T:
    """Run ``fn``, retrying briefly while the database is locked, and translate sqlite3 errors.

    ``fn`` must be safe to repeat (a read, or a whole transaction that rolls back on failure).
    The connection's own busy timeout already waits for the lock; these retries add a little
    patience for the ``SQLITE_BUSY`` cases the busy handler does not cover (e.g. WAL recovery).

    Raises:
        StoreUnavailableError: the database stayed locked.
        ConstraintViolationError: a uniqueness constraint failed.
        StoreError: any other SQLite failure.
    """
    for attempt in range(_RETRIES):
        try:
            return fn()
        except sqlite3.IntegrityError as e:
            raise ConstraintViolationError(f"{what}: {e}") from e
        except sqlite3.Error as e:
            if not _is_busy(e):
                raise StoreError(f"{what} failed: {e}") from e
            if attempt == _RETRIES - 1:
                raise StoreUnavailableError(f"{what}: the database is locked by another writer") from e
            time.sleep(_RETRY_SLEEP_S * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover
