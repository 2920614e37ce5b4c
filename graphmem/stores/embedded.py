"""The embedded store: one SQLite file on local disk, vectors and graph held in memory.

Layout of ``<path>/graphmem.db`` (WAL mode): ``memories``, ``entities``, ``relations``,
``mentions``, ``history`` and ``meta`` (schema version, embedding dimension), plus an FTS5 index
over memory text kept in step by triggers. Embeddings are float32 BLOBs.

At open, everything but history is loaded into a :class:`~graphmem.stores._embedded_state.State`:
unit-vector matrices with integer-coded scope columns (so a scope mask over 100k rows is a few
vectorised comparisons), the records themselves, and a networkx ``MultiDiGraph`` of entities and
relations. Reads are answered from that state (keyword search and history from SQLite); writes go
to SQLite in one transaction and are replayed on the state only once ``COMMIT`` succeeded.

Filters are evaluated with :func:`graphmem.filters.matches` on the cached records, after the
vectorised scope mask and before any top-k cut. That keeps the semantics identical to the
reference by construction (``ne`` matching absent fields, ``True`` not equal to ``1``, ``contains``
on lists and strings, Unicode case folding), which compiling to SQL ``json_extract`` could not
promise; the cost is a Python call per in-scope candidate, paid only when a filter is given.

Another process (or another store object) may write to the same file: every read first checks
``PRAGMA data_version``, and when another connection committed, replays the ``changes`` log (each
write transaction appends the ids it touched; only those rows are re-read) or, when the log cannot
say (pruned, or a reset), reloads the state in full.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import zip_longest
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from graphmem.errors import DimensionMismatchError, EmbeddingError, InvalidInputError, StoreError
from graphmem.filters import Cond, Filter, Not, matches, split_actors
from graphmem.models import (
    Entity,
    HistoryEvent,
    MemoryRecord,
    Relation,
    Scope,
    Vector,
    format_time,
    new_id,
    utcnow,
    vector_text,
)
from graphmem.stores import _embedded_sql as sql
from graphmem.stores._embedded_cache import RecordTable, micros
from graphmem.stores._embedded_sql import Deleted, Seqs, copy_entity, copy_memory, copy_relation, run_sqlite
from graphmem.stores._embedded_state import State
from graphmem.stores._file_lock import FileLock
from graphmem.stores.base import Store, VectorKind, WriteBatch

log = logging.getLogger(__name__)

T = TypeVar("T")

DB_NAME = "graphmem.db"
LOCK_NAME = "graphmem.lock"
#: How long SQLite's busy handler waits for another writer before ``run_sqlite`` retries.
_BUSY_TIMEOUT_S = 2.0
#: ``synchronous=FULL`` fsyncs the WAL on every commit, so a batch survives power loss once
#: ``apply`` returns, as the Store contract says; NORMAL only survives a crash of the process.
#: Measured on the shared 2-core dev box (load ~6, ext4): a batch of 64 memories, 40 entities,
#: 60 mentions, 39 relations and 64 history events commits in a median 20 ms with FULL against
#: 18 ms with NORMAL (10k and 100k stores alike), inside the 50 ms budget, so durability wins.
_SYNCHRONOUS = "FULL"


class EmbeddedStore(Store):
    """A :class:`Store` in one SQLite file under ``path`` (created if missing).

    Args:
        path: a directory; ``graphmem.db`` (and SQLite's ``-wal``/``-shm`` files) live inside.
        lock_timeout: seconds a writer waits for the writer lock (:meth:`write_lock`) while
            another thread or process holds it, before raising ``StoreUnavailableError``.

    Raises:
        StoreError: the directory or the database cannot be created or opened, or was written by
            a newer graphmem.
        StoreUnavailableError: another process held the database locked for too long.
    """

    name = "embedded"

    def __init__(self, path: str | Path, *, lock_timeout: float = 120.0) -> None:
        self.path = Path(path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the store directory {self.path}: {e}") from e
        # One lock for the connection and the state: a read must neither see a half-applied cache
        # update nor run a query on the shared connection while another thread is inside a write
        # transaction on it (it would see uncommitted rows).
        self._lock = threading.RLock()
        self._writer = FileLock(self.path / LOCK_NAME, lock_timeout)
        self._conn: sqlite3.Connection | None = run_sqlite(self._connect, f"opening {self.db_path}")
        self._state = State(None)
        self._data_version = -1
        self._change_seq = 0  # the last change-log row the state reflects
        try:
            run_sqlite(self._reload, f"loading {self.db_path}")
        except BaseException:
            self.close()
            raise

    @property
    def db_path(self) -> Path:
        return self.path / DB_NAME

    def __repr__(self) -> str:
        return f"EmbeddedStore({str(self.path)!r})"

    # ---- lifecycle -------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.db_path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={_SYNCHRONOUS}")
            conn.execute("PRAGMA temp_store=MEMORY")
            # executescript runs its own statements; the schema is created in one transaction so
            # two processes opening a fresh directory at once cannot interleave.
            conn.executescript("BEGIN IMMEDIATE;\n" + sql.SCHEMA + "\nCOMMIT;")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                    (str(sql.SCHEMA_VERSION),),
                )
            elif int(row[0]) > sql.SCHEMA_VERSION:
                raise StoreError(
                    f"{self.db_path} has schema version {row[0]}, newer than this graphmem "
                    f"({sql.SCHEMA_VERSION}): upgrade graphmem"
                )
            elif int(row[0]) < sql.SCHEMA_VERSION:  # the script above added what was missing
                conn.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(sql.SCHEMA_VERSION),)
                )
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Close the connection (SQLite checkpoints the WAL into the file). Idempotent."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                run_sqlite(conn.close, f"closing {self.db_path}")
        self._writer.close()

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Exclusive across threads, store objects and processes on this path (see
        :mod:`graphmem.stores._file_lock`); reads never wait for it.

        Raises:
            StoreUnavailableError: another writer held it for longer than ``lock_timeout``.
        """
        with self._writer.hold():
            yield

    def ensure_schema(self, dim: int) -> None:
        """Record the vector dimension (the tables themselves are created at open).

        Raises:
            DimensionMismatchError: the store was created for another dimension.
        """
        if isinstance(dim, bool) or not isinstance(dim, int) or dim <= 0:
            raise InvalidInputError(f"the vector dimension must be a positive integer, got {dim!r}")
        with self._lock:
            self._refresh()
            if self._state.dim == dim:
                return
            sql.check_dim(self._state.dim, dim)

            def work(conn: sqlite3.Connection) -> tuple[int | None, int | None]:
                new_dim = sql.record_dim(conn, dim)
                return new_dim, sql.log_change(conn, {"dim": dim}) if new_dim else None

            (new_dim, change), foreign = self._transact(work, "recording the vector dimension")
            self._after_commit(foreign, lambda: self._state.set_dim(dim) if new_dim else None, change)

    # ---- state -----------------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the store at {self.path} is closed")
        return self._conn

    def _refresh(self) -> None:
        """Bring the state up to date if another connection committed since it was loaded: replay
        the change log when it can say what changed, else reload everything."""
        conn = self._connection()
        version = run_sqlite(lambda: sql.data_version(conn), "reading the data version")
        if version != self._data_version and not run_sqlite(
            lambda: self._catch_up(version), f"catching up with {self.db_path}"
        ):
            run_sqlite(self._reload, f"reloading {self.db_path}")

    def _catch_up(self, version: int) -> bool:
        """Re-read only the records the change log names since the state's last change.

        ``version`` is the data version read before this snapshot (as in :meth:`_reload`).
        Returns ``False``, changing nothing, when a full reload is needed instead: the log was
        pruned past us, a reset happened, a commit left no log row (a writer that does not log),
        or so much changed that reading everything is cheaper.
        """
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            found = sql.changes_since(conn, self._change_seq)
            if found is None:
                return False
            change, last = found
            too_big = change.size() > max(2000, len(self._state.memories) // 4)
            if change.everything or last == self._change_seq or too_big:
                return False
            memories: dict[str, Any] = dict.fromkeys(change.memories)
            for r in sql.rows_by_id(conn, "memories", sql.MEMORY_COLUMNS, change.memories):
                memories[r[1]] = (sql.memory_from_row(r), r[0], r[13])
            entities: dict[str, Any] = dict.fromkeys(change.entities)
            for r in sql.rows_by_id(conn, "entities", sql.ENTITY_COLUMNS, change.entities):
                entities[r[1]] = (sql.entity_from_row(r), r[0], r[10])
            relations: dict[str, Any] = dict.fromkeys(change.relations)
            for r in sql.rows_by_id(conn, "relations", sql.RELATION_COLUMNS, change.relations):
                relations[r[1]] = (sql.relation_from_row(r), r[0], r[18])
            mentions: dict[str, list[str]] = {mid: [] for mid in change.mentions}
            for memory_id, entity_id in sql.mentions_of(conn, change.mentions):
                mentions[memory_id].append(entity_id)
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")  # a read: nothing to commit
        try:
            self._state.resync(memories, entities, relations, mentions, change.dim)
        except Exception:  # the mirror may be half-updated: rebuild it from the file
            log.exception("catching up with %s failed; reloading", self.db_path)
            return False
        self._change_seq, self._data_version = last, version
        return True

    def _reload(self) -> None:
        conn = self._connection()
        # Read the version before the snapshot: a commit landing in between is then in the
        # snapshot *and* newer than the version, costing one spare reload instead of a missed one.
        version = sql.data_version(conn)
        conn.execute("BEGIN")
        try:
            dim = sql.stored_dim(conn)
            memories = [
                (sql.memory_from_row(r), r[0], r[13])
                for r in conn.execute(f"SELECT {sql.MEMORY_COLUMNS} FROM memories ORDER BY seq")
            ]
            entities = [
                (sql.entity_from_row(r), r[0], r[10])
                for r in conn.execute(f"SELECT {sql.ENTITY_COLUMNS} FROM entities ORDER BY seq")
            ]
            relations = [
                (sql.relation_from_row(r), r[0], r[18])
                for r in conn.execute(f"SELECT {sql.RELATION_COLUMNS} FROM relations ORDER BY seq")
            ]
            mentions = conn.execute("SELECT memory_id, entity_id FROM mentions ORDER BY rowid").fetchall()
            change_seq = sql.last_change(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        state = State(dim)
        state.load(memories, entities, relations, mentions)
        self._state, self._data_version, self._change_seq = state, version, change_seq

    def _transact(self, work: Callable[[sqlite3.Connection], T], what: str) -> tuple[T, bool]:
        """Run ``work`` in ``BEGIN IMMEDIATE ... COMMIT``, rolled back on any error.

        Returns ``work``'s result and whether another connection had committed since the state was
        loaded (then the caller reloads instead of replaying the batch on a stale state).
        """
        conn = self._connection()

        def attempt() -> tuple[T, bool]:
            conn.execute("BEGIN IMMEDIATE")
            try:
                foreign = sql.data_version(conn) != self._data_version
                result = work(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result, foreign

        return run_sqlite(attempt, what)

    def _after_commit(self, foreign: bool, update: Callable[[], object], change: int | None) -> None:
        """Bring the state past a transaction this store committed (``change``: its log row).

        Replays the batch on the state when nothing else was committed since the state was
        loaded; otherwise catches up from the log, which holds the other commits and this one.
        """
        if foreign:
            self._refresh()
            return
        try:
            update()
        except Exception:  # the data is committed: never fail the write, rebuild the mirror
            log.exception("updating the embedded store's caches failed; reloading %s", self.db_path)
            run_sqlite(self._reload, f"reloading {self.db_path}")
            return
        if change is not None:
            self._change_seq = change

    # ---- writes ----------------------------------------------------------------------------------
    def apply(self, batch: WriteBatch) -> None:
        """Apply ``batch`` in one SQLite transaction; the caches follow only after ``COMMIT``.

        ``embedding=None`` on an update keeps the stored vector. Deleting an entity also deletes
        its mentions and the relations at either end of it (as ``DETACH DELETE`` does on Neo4j).

        Raises:
            ConstraintViolationError: an id already exists (nothing was written).
            DimensionMismatchError: a vector's dimension differs from the store's.
        """
        if batch.is_empty():
            return
        batch_dim = _batch_dim(batch)
        with self._lock:
            self._refresh()
            sql.check_dim(self._state.dim, batch_dim)

            def work(conn: sqlite3.Connection) -> tuple[Seqs, Deleted, int | None, int]:
                new_dim = sql.record_dim(conn, batch_dim)
                seqs, deleted = sql.write_batch(conn, batch)
                return seqs, deleted, new_dim, sql.log_change(conn, sql.batch_change(batch, deleted, new_dim))

            (seqs, deleted, new_dim, change), foreign = self._transact(work, "applying a batch")
            self._after_commit(foreign, lambda: self._state.apply(batch, seqs, deleted, new_dim), change)

    def delete_scope(self, scope: Scope) -> list[str]:
        with self._lock:
            self._refresh()

            def work(conn: sqlite3.Connection) -> tuple[WriteBatch, Seqs, Deleted, int]:
                # Selected inside the write transaction, so a memory another process adds to the
                # scope meanwhile is either deleted too or added after: never half-handled.
                where, params = sql.scope_where(scope)
                memories = conn.execute(f"SELECT id, memory FROM memories WHERE {where} ORDER BY seq", params)
                now = utcnow()
                batch = WriteBatch(history=[])
                for memory_id, text in memories.fetchall():
                    batch.memories_delete.append(memory_id)
                    batch.history.append(
                        HistoryEvent(new_id(), memory_id, "DELETE", text, None, None, None, now)
                    )
                entities = conn.execute(f"SELECT id FROM entities WHERE {where}", params)
                batch.entities_delete = [r[0] for r in entities]
                relations = conn.execute(f"SELECT id FROM relations WHERE {where}", params)
                batch.relations_delete = [r[0] for r in relations]
                seqs, deleted = sql.write_batch(conn, batch)
                return batch, seqs, deleted, sql.log_change(conn, sql.batch_change(batch, deleted, None))

            (batch, seqs, deleted, change), foreign = self._transact(work, "deleting a scope")
            self._after_commit(foreign, lambda: self._state.apply(batch, seqs, deleted, None), change)
            return list(batch.memories_delete)

    def reset(self) -> None:
        """Delete every row, history included; the schema and the recorded dimension stay."""

        def work(conn: sqlite3.Connection) -> int:
            for table in ("mentions", "relations", "entities", "memories", "history", "docs"):
                conn.execute(f"DELETE FROM {table}")
            return sql.log_change(conn, {"all": True})

        with self._lock:
            change, foreign = self._transact(work, "resetting the store")
            self._after_commit(foreign, lambda: setattr(self, "_state", State(self._state.dim)), change)

    # ---- memories --------------------------------------------------------------------------------
    def get_memories(self, ids: Sequence[str]) -> list[MemoryRecord]:
        with self._lock:
            self._refresh()
            table = self._state.memories
            return [copy_memory(m) for m in map(table.get, ids) if m is not None]

    def list_memories(
        self, scope: Scope, filters: Filter | None = None, limit: int | None = 100, newest_first: bool = True
    ) -> list[MemoryRecord]:
        with self._lock:
            self._refresh()
            table = self._state.memories
            rows = [int(i) for i in table.select(scope)]
            if filters is not None:
                accept = _matcher(filters)
                rows = [i for i in rows if accept(table.records[i])]
            rows.sort(key=lambda i: (table.records[i].created_at, table.seq(i)), reverse=newest_first)
            return [copy_memory(table.records[i]) for i in rows[: _cut(limit)]]

    def count_memories(self, scope: Scope | None = None) -> int:
        with self._lock:
            self._refresh()
            if scope is None:
                return len(self._state.memories)
            return len(self._state.memories.select(scope))

    def vector_memories(
        self, scope: Scope, filters: Filter | None, vector: Vector, k: int
    ) -> list[tuple[MemoryRecord, float]]:
        with self._lock:
            self._refresh()
            table = self._state.memories
            rows = table.select(scope)
            actors, rest = split_actors(filters)
            if actors is not None:  # narrowed on the codes; the filter's walk order is kept
                rows = table.of_actors(rows, actors)
                accept: Callable[[MemoryRecord], bool] | None = _anything if rest is None else _matcher(rest)
            else:
                accept = None if filters is None else _matcher(filters)
            hits = table.nearest(vector, rows, k, accept)
            return [(copy_memory(m), s) for m, s in hits]

    def keyword_memories(
        self, scope: Scope, filters: Filter | None, query: str, k: int
    ) -> list[tuple[MemoryRecord, float]]:
        """BM25 over the FTS5 index; the score is ``-bm25()``, so larger is better and positive."""
        match = sql.fts_query(query, scope)
        if match is None or k <= 0:
            return []
        query_sql = (
            "SELECT rowid, bm25(memories_fts, 1.0, 1.0, 0.0) AS score FROM memories_fts "
            "WHERE memories_fts MATCH ? ORDER BY score, rowid"
        )
        args: list[Any] = [match]
        if filters is None:  # with a filter, walk the ranking until k pass: the filter acts before the cut
            query_sql += " LIMIT ?"
            args.append(k)
        with self._lock:
            self._refresh()
            conn, table = self._connection(), self._state.memories
            accept = None if filters is None else _matcher(filters)

            def run() -> list[tuple[MemoryRecord, float]]:
                out: list[tuple[MemoryRecord, float]] = []
                for seq, score in conn.execute(query_sql, args):
                    m = table.get_by_seq(seq)
                    # The scope test guards against a scope-token hash collision.
                    if m is None or not scope.contains(m) or (accept is not None and not accept(m)):
                        continue
                    # bm25 is negative, better is lower; near-universal terms get ~0.
                    out.append((copy_memory(m), max(-float(score), 1e-9)))
                    if len(out) == k:
                        break
                return out

            return run_sqlite(run, "keyword search")

    def memories_around(
        self, scope: Scope, filters: Filter | None, memories: Sequence[MemoryRecord], k: int, seconds: float
    ) -> dict[str, list[MemoryRecord]]:
        """Binary searches in the scope's ``created_at`` array (cached as integers), sorted once."""
        if k <= 0 or not memories:
            return {}
        span = timedelta(seconds=seconds)
        with self._lock:
            self._refresh()
            table = self._state.memories
            rows = table.select(scope)
            times = table.times(rows)
            order = np.argsort(times, kind="stable")
            rows, times = rows[order], times[order]
            out: dict[str, list[MemoryRecord]] = {}
            for m in memories:
                t = datetime.fromisoformat(m.created_at)
                at, lo, hi = micros([m.created_at, format_time(t - span), format_time(t + span)])
                b0, b1 = np.searchsorted(times, [lo, at], side="left")  # lo <= time < at
                a0, a1 = np.searchsorted(times, [at, hi], side="right")  # at < time <= hi
                before = _nearest(table, rows[b0:b1][::-1], times[b0:b1][::-1], k, filters, newest_first=True)
                after = _nearest(table, rows[a0:a1], times[a0:a1], k, filters, newest_first=False)
                out[m.id] = [
                    copy_memory(r) for pair in zip_longest(before, after) for r in pair if r is not None
                ]
            return out

    def memories_mentioning(
        self, scope: Scope, filters: Filter | None, entity_ids: Sequence[str], k: int
    ) -> list[tuple[MemoryRecord, list[str]]]:
        with self._lock:
            self._refresh()
            state, table = self._state, self._state.memories
            found: dict[str, list[str]] = {}
            for entity_id in dict.fromkeys(entity_ids):
                for memory_id in state.mentioned_by.get(entity_id, {}):
                    found.setdefault(memory_id, []).append(entity_id)
            # A person everyone talks about is mentioned all over the store: test the scope on the
            # integer codes at once, sort newest first, and match the filter only on the way down.
            rows = table.rows(found)
            inside = table.in_scope(rows, scope)
            rows = rows[inside]
            records = table.records
            hits = sorted(
                zip(
                    [records[i].created_at for i in rows.tolist()],
                    table.seqs(rows),
                    rows.tolist(),
                    [ents for ents, ok in zip(found.values(), inside.tolist(), strict=True) if ok],
                    strict=True,
                ),
                reverse=True,
            )  # seqs are unique: the sort never compares further
            accept = None if filters is None else _matcher(filters)
            out: list[tuple[MemoryRecord, list[str]]] = []
            for _, _, i, ents in hits:
                if len(out) >= k:
                    break
                if accept is None or accept(records[i]):
                    out.append((copy_memory(records[i]), ents))
            return out

    def mentions(self, memory_ids: Sequence[str]) -> dict[str, list[str]]:
        """Every asked id maps to the entities it mentions, in the order they were added."""
        with self._lock:
            self._refresh()
            return {mid: list(self._state.mentions.get(mid, {})) for mid in memory_ids}

    # ---- entities --------------------------------------------------------------------------------
    def find_entities(self, scope: Scope, keys: Sequence[str], *, exact: bool = False) -> list[Entity]:
        with self._lock:
            self._refresh()
            state, table = self._state, self._state.entities
            ids = dict.fromkeys(eid for key in keys for eid in state.entity_keys.get(key, {}))
            rows = [table.index[eid] for eid in ids if eid in table.index]
            rows = [i for i in rows if _in_scope(scope, table.records[i], exact)]
            rows.sort(key=lambda i: (table.records[i].created_at, table.seq(i)))
            return [copy_entity(table.records[i]) for i in rows]

    def vector_entities(
        self, scope: Scope, vector: Vector, k: int, *, exact: bool = False
    ) -> list[tuple[Entity, float]]:
        with self._lock:
            self._refresh()
            table = self._state.entities
            return [
                (copy_entity(e), s) for e, s in table.nearest(vector, table.select(scope, exact=exact), k)
            ]

    def vector_entities_many(
        self, scope: Scope, vectors: Sequence[Vector], k: int, *, exact: bool = False
    ) -> list[list[tuple[Entity, float]]]:
        with self._lock:
            self._refresh()
            table = self._state.entities
            rows = table.select(scope, exact=exact)
            return [[(copy_entity(e), s) for e, s in table.nearest(v, rows, k)] for v in vectors]

    def list_entities(self, scope: Scope, limit: int | None = None) -> list[Entity]:
        with self._lock:
            self._refresh()
            table = self._state.entities
            rows = sorted(
                (int(i) for i in table.select(scope)),
                key=lambda i: (table.records[i].created_at, table.seq(i)),
            )
            return [copy_entity(table.records[i]) for i in rows[: _cut(limit)]]

    # ---- relations -------------------------------------------------------------------------------
    def relations(
        self,
        scope: Scope,
        *,
        exact: bool = False,
        entity_ids: Sequence[str] | None = None,
        types: Sequence[str] | None = None,
        source_ids: Sequence[str] | None = None,
        memory_ids: Sequence[str] | None = None,
        include_invalid: bool = False,
        as_of: str | None = None,
        limit: int | None = None,
    ) -> list[Relation]:
        with self._lock:
            self._refresh()
            state, table = self._state, self._state.relations
            # Start from the narrowest index the arguments allow, then test every condition.
            if entity_ids is not None:
                candidates = [table.records[table.index[r]] for r in state.relations_touching(entity_ids)]
            elif memory_ids is not None:
                rids = {rid for mid in memory_ids for rid in state.provenance.get(mid, ())}
                candidates = [table.records[table.index[r]] for r in rids]
            else:
                current_only = as_of is None and not include_invalid
                candidates = [
                    table.records[i] for i in table.select(scope, exact=exact, flagged=current_only)
                ]
            type_set = None if types is None else set(types)
            source_set = None if source_ids is None else set(source_ids)
            memory_set = None if memory_ids is None else set(memory_ids)
            out = [
                r
                for r in candidates
                if _in_scope(scope, r, exact)
                and (type_set is None or r.type in type_set)
                and (source_set is None or r.source_id in source_set)
                and (memory_set is None or not memory_set.isdisjoint(r.memory_ids))
                and (r.valid_at(as_of) if as_of is not None else include_invalid or r.is_current)
            ]
            out.sort(key=state.relation_order, reverse=True)
            return [copy_relation(r) for r in out[: _cut(limit)]]

    def expand(self, scope: Scope, entity_ids: Sequence[str], hops: int, limit: int) -> list[Relation]:
        if hops not in (1, 2):
            raise InvalidInputError(f"expand takes 1 or 2 hops, got {hops!r}")
        if limit <= 0:
            return []
        with self._lock:
            self._refresh()
            return [copy_relation(r) for r in self._state.expand(scope, entity_ids, hops, limit)]

    def vector_relations(self, scope: Scope, vector: Vector, k: int) -> list[tuple[Relation, float]]:
        with self._lock:
            self._refresh()
            table = self._state.relations
            return [
                (copy_relation(r), s) for r, s in table.nearest(vector, table.select(scope, flagged=True), k)
            ]

    def _table(self, kind: VectorKind) -> RecordTable[Any]:
        if kind == "memory":
            return self._state.memories
        return self._state.entities if kind == "entity" else self._state.relations

    def vectors(self, kind: VectorKind, ids: Sequence[str]) -> dict[str, Vector]:
        with self._lock:
            self._refresh()
            table = self._table(kind)
            found = ((i, table.vector(i)) for i in ids)
            return {i: v for i, v in found if v is not None}

    def set_vectors(self, kind: VectorKind, vectors: Mapping[str, Vector]) -> None:
        dim = _dim_of(vectors.items())
        if dim is None:
            return
        name = sql.VECTOR_TABLES[kind]
        with self._lock:
            self._refresh()
            sql.check_dim(self._state.dim, dim)

            def work(conn: sqlite3.Connection) -> tuple[list[str], int | None, int]:
                new_dim = sql.record_dim(conn, dim)
                stored = sql.set_vectors(conn, name, vectors)
                payload: dict[str, Any] = {sql.CHANGE_KEYS[kind]: stored}
                if new_dim is not None:
                    payload["dim"] = new_dim
                return stored, new_dim, sql.log_change(conn, payload)

            # No fsync for vectors: a commit lost to a power cut leaves records without vectors,
            # which the next Memory opened here re-embeds (missing_vectors); the next FULL commit
            # makes these durable anyway. An fsync each would double an offline add's syncs.
            conn = self._connection()
            conn.execute("PRAGMA synchronous=NORMAL")
            try:
                (stored, new_dim, change), foreign = self._transact(
                    work, f"storing {len(vectors)} {kind} vectors"
                )
            finally:
                conn.execute(f"PRAGMA synchronous={_SYNCHRONOUS}")

            def update() -> None:
                if new_dim is not None and self._state.dim is None:
                    self._state.set_dim(new_dim)
                table = self._table(kind)
                for record_id in stored:
                    table.set_vector(record_id, vectors[record_id])

            self._after_commit(foreign, update, change)

    def missing_vectors(self, kind: VectorKind, limit: int) -> list[tuple[str, str]]:
        with self._lock:
            self._refresh()
            table = self._table(kind)
            records = (table.get(record_id) for record_id in table.without_vector(limit))
            return [(r.id, vector_text(r)) for r in records if r is not None]

    # ---- history ---------------------------------------------------------------------------------
    def history(self, memory_id: str) -> list[HistoryEvent]:
        with self._lock:
            conn = self._connection()
            query = f"SELECT {sql.HISTORY_COLUMNS} FROM history WHERE memory_id = ? ORDER BY created_at, seq"
            rows = run_sqlite(lambda: conn.execute(query, (memory_id,)).fetchall(), "reading history")
            return [sql.history_from_row(r) for r in rows]

    # ---- documents -------------------------------------------------------------------------------
    def get_docs(self, kind: str, keys: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        wanted = None if keys is None else list(dict.fromkeys(keys))
        if wanted == []:
            return {}
        query = "SELECT key, value FROM docs WHERE kind = ?"
        if wanted is not None:
            query += f" AND key IN ({sql.placeholders(len(wanted))})"
        params = (kind, *(wanted or ()))
        with self._lock:
            conn = self._connection()
            rows = run_sqlite(
                lambda: conn.execute(query + " ORDER BY key", params).fetchall(), "reading documents"
            )
        return {key: json.loads(value) for key, value in rows}


# ---- helpers ---------------------------------------------------------------------------------------
def _cut(limit: int | None) -> int | None:
    return None if limit is None else max(limit, 0)


#: Record attributes with few distinct values (an actor, a role, a scope id).
_FEW_VALUED = frozenset({"actor_id", "role", "memory_type", "user_id", "agent_id", "run_id"})


def _matcher(filters: Filter) -> Callable[[MemoryRecord], bool]:
    """``matches(filters, record)`` as a function of the record.

    A filter that reads only :data:`_FEW_VALUED` attributes (all ``str | None``) is evaluated once
    per combination of their values and remembered: a filter on actors or roles, walked down a
    ranking of thousands of memories, then costs a dict lookup per memory.
    """
    fields = _fields(filters)
    if not fields <= _FEW_VALUED:
        return lambda m: matches(filters, m)
    values = attrgetter(*sorted(fields))
    seen: dict[Any, bool] = {}

    def accept(m: MemoryRecord) -> bool:
        key = values(m)
        found = seen.get(key)
        if found is None:
            found = seen[key] = matches(filters, m)
        return found

    return accept


def _anything(m: MemoryRecord) -> bool:
    return True


def _fields(f: Filter) -> set[str]:
    """The fields a filter reads."""
    if isinstance(f, Cond):
        return {f.field}
    if isinstance(f, Not):
        return _fields(f.item)
    return set().union(*(_fields(item) for item in f.items))


def _in_scope(scope: Scope, obj: MemoryRecord | Entity | Relation, exact: bool) -> bool:
    if exact:
        return (obj.user_id, obj.agent_id, obj.run_id) == scope.values()
    return scope.contains(obj)


def _batch_dim(batch: WriteBatch) -> int | None:
    """The one dimension of every vector in the batch (``None`` if it has none); see :func:`_dim_of`."""
    objs: list[MemoryRecord | Entity | Relation] = [
        *batch.memories_add, *batch.memories_update, *batch.entities_upsert,
        *batch.relations_add, *batch.relations_update,
    ]  # fmt: skip
    return _dim_of((obj.id, obj.embedding) for obj in objs)


def _dim_of(vectors: Iterable[tuple[str, Any]]) -> int | None:
    """The one dimension of these ``(id, vector or None)`` (``None`` if all are ``None``).

    Raises:
        DimensionMismatchError: vectors of different dimensions, or not one-dimensional.
        EmbeddingError: NaN or infinite values, which would poison every similarity.
    """
    dims: set[int] = set()
    for record_id, vector in vectors:
        if vector is None:
            continue
        v = np.asarray(vector)
        if v.ndim != 1:
            raise DimensionMismatchError(f"the embedding of {record_id} is not a vector (shape {v.shape})")
        if not np.isfinite(v).all():
            raise EmbeddingError(f"the embedding of {record_id} holds NaN or infinite values")
        dims.add(v.shape[0])
    if len(dims) > 1:
        raise DimensionMismatchError(f"one batch holds vectors of dimensions {sorted(dims)}")
    return dims.pop() if dims else None


def _nearest(
    table: RecordTable[MemoryRecord],
    rows: Any,
    times: Any,
    k: int,
    filters: Filter | None,
    *,
    newest_first: bool,
) -> list[MemoryRecord]:
    """Up to ``k`` of ``rows`` (listed nearest in time first) that match ``filters``.

    Ties in time are ordered by id, descending before a memory and ascending after it, as on
    Neo4j; only the few nearest are looked at (more while the filter rejects).
    """
    found: list[MemoryRecord] = []
    start, n = 0, len(rows)
    while start < n and len(found) < k:
        end = min(n, start + 4 * k)
        while end < n and times[end] == times[end - 1]:  # a tie is never split
            end += 1
        chunk = sorted(
            ((int(times[j]), table.records[rows[j]]) for j in range(start, end)),
            key=lambda p: (p[0], p[1].id), reverse=newest_first,
        )  # fmt: skip
        found += [r for _, r in chunk if filters is None or matches(filters, r)]
        start = end
    return found[:k]
