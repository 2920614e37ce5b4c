"""``Neo4jStore``: the data model on Neo4j 5.26+ (Community, Enterprise, Aura).

Graph layout (DESIGN.md, "On Neo4j")::

    (:Memory)-[:MENTIONS]->(:Entity)-[:RELATES_TO {id, type, fact, ...}]->(:Entity)
    (:HistoryEvent {memory_id, ...})-[:OF]->(:Memory)     // the link goes with the memory; the event stays
    (:GraphMemMeta {key: 'schema', dim})                   // the embedding dimension of the indexes

Every query is a file in ``cypher/``; user data only ever travels as parameters. Relation types
are a property of the single ``RELATES_TO`` type (one vector and one full-text index cover every
fact), and are still checked against ``^[A-Z][A-Z0-9_]{0,63}$``.

**Scoped candidate search.** Neo4j 5.26's vector and full-text procedures cannot filter: scope
and filters are applied inside the same query right after the procedure, on an over-fetched
candidate list, or a small scope is searched exactly (``_neo4j_search.CandidateSearch``).

The vector indexes are int8-quantized (several times faster to search than float32 ones on a
JVM without the vector API); their scores are approximate, so the candidates that survive the
scope are rescored exactly, and both paths report the same scores. The full-text indexes are
updated just after commit rather than inside it (a synchronous update costs every write about
10 ms); keyword search first waits for pending updates, so it sees every committed write.

**Round trips.** Reads are single auto-commit queries returning one record (``collect`` of the
rows: the driver's cost is per record), retried on transient errors like managed transactions.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import zip_longest
from typing import Any, TypeVar

from graphmem._cypher import cypher, cypher_script
from graphmem.errors import (
    ConstraintViolationError,
    DimensionMismatchError,
    InvalidInputError,
    MissingDependencyError,
    StoreError,
    StoreUnavailableError,
)
from graphmem.filters import Filter, split_actors
from graphmem.models import (
    Entity,
    HistoryEvent,
    MemoryRecord,
    Relation,
    Scope,
    Vector,
    format_time,
    index_text,
    unit_vector,
    utcnow,
)
from graphmem.stores import _neo4j_params as p
from graphmem.stores._neo4j_search import CandidateSearch, best_first
from graphmem.stores.base import Store, VectorKind, WriteBatch

try:
    import neo4j
    from neo4j import exceptions as nx
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise MissingDependencyError("neo4j", extra="neo4j") from e

from graphmem.stores._neo4j_errors import DRIVER_ERRORS, redact_text, redact_uri, translate

T = TypeVar("T")
_NO_LIMIT = 2**62
_SCHEMA_VERSION = 1
_VECTOR_INDEXES = ("graphmem_memory_embedding", "graphmem_entity_embedding", "graphmem_relation_embedding")
#: The constraints and indexes ``cypher/schema.cypher`` creates, by name.
_BASE_SCHEMA = frozenset(
    re.findall(r"(?:CONSTRAINT|INDEX) (graphmem_\w+) IF NOT EXISTS", " ".join(cypher_script("schema")))
)
#: Auto-commit work (schema, reset) is not retried by the driver; these are worth one more try.
_RETRYABLE = (nx.TransientError, nx.ServiceUnavailable, nx.SessionExpired)
#: ``vectors(kind, ...)``: the query of each kind.
_VECTOR_QUERIES = {"memory": "memories_vectors", "entity": "entities_vectors", "relation": "relations_vectors"}  # fmt: skip
_SET_VECTORS = {"memory": "memories_set_vectors", "entity": "entities_set_vectors", "relation": "relations_set_vectors"}  # fmt: skip
_MISSING_VECTORS = {
    "memory": "memories_missing_vectors", "entity": "entities_missing_vectors",
    "relation": "relations_missing_vectors",
}  # fmt: skip


class Neo4jStore(CandidateSearch, Store):
    """A :class:`Store` on a Neo4j server.

    Example:
        >>> store = Neo4jStore("bolt://localhost:7687", "neo4j", "secret")   # doctest: +SKIP
        >>> store.ensure_schema(384)                                          # doctest: +SKIP

    Args:
        url: ``bolt://``, ``bolt+s://``, ``neo4j://`` or ``neo4j+s://`` URI.
        username: Omit, with ``password``, for a server without authentication.
        password: Never logged nor put in an error message.
        database: The database to use (Community has only ``neo4j``).
        exact_search_limit: Scopes with at most this many records are vector-searched exactly;
            ``None`` (the default) decides by cost (see ``graphmem/stores/_neo4j_search.py``).
        lock_timeout: Seconds a writer waits for the writer lock (:meth:`write_lock`), and the
            longest the server lets one holder keep it.
        **driver_kwargs: Passed to :func:`neo4j.GraphDatabase.driver`, e.g.
            ``max_transaction_retry_time`` (how long transient failures are retried, 30 s by default).

    Raises:
        ConfigError: the URI or a driver option is invalid.
    """

    name = "neo4j"
    #: Each read is a round trip that the server can work on alongside the others.
    concurrent_reads = True

    def __init__(
        self,
        url: str,
        username: str | None = None,
        password: str | None = None,
        database: str = "neo4j",
        *,
        exact_search_limit: int | None = None,
        lock_timeout: float = 120.0,
        **driver_kwargs: Any,
    ) -> None:
        from graphmem.errors import ConfigError

        self.url = url
        self.database = database
        self.exact_search_limit = exact_search_limit
        self.lock_timeout = lock_timeout
        self._writer = threading.RLock()
        self._writer_depth = 0
        #: One write transaction of this store at a time: background indexing (``set_vectors``)
        #: and ``apply`` lock some of the same records in no common order, and a deadlock costs
        #: the transaction the server picks a retry after about a second.
        self._tx_lock = threading.RLock()
        self._password = password
        self._dim: int | None = None
        self._prepared = False  # set once the schema is known to exist (never after a failure)
        self._schema_lock = threading.RLock()  # one thread prepares; the others wait for it
        self._preparer: int | None = None  # that thread, whose own reads must not prepare again
        #: (kind, cap, scope) -> (when, in scope, in all, learnt empty under the writer lock)
        self._counts: dict[tuple[Any, ...], tuple[float, int, int, bool]] = {}
        self._lock_owner: int | None = None  # the thread holding write_lock()
        self._retry_time = float(driver_kwargs.get("max_transaction_retry_time", 30.0))
        auth = neo4j.basic_auth(username, password or "") if username is not None else None
        # Every graphmem property is optional, so a young database warns about "unknown" property
        # keys on almost every query; those warnings say nothing, the other categories stay on.
        driver_kwargs.setdefault(
            "notifications_disabled_classifications", [neo4j.NotificationClassification.UNRECOGNIZED]
        )
        try:
            self._driver = neo4j.GraphDatabase.driver(url, auth=auth, **driver_kwargs)
        except (ValueError, TypeError, nx.ConfigurationError) as e:
            # The driver quotes the URI it was given, credentials and all: redact the message too.
            detail = redact_text(str(e), password)
            raise ConfigError(f"invalid Neo4j configuration for {redact_uri(url)}: {detail}") from None
        # Read-your-writes across sessions on clusters and Aura; free on a single server.
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
        self._closed = False

    def __repr__(self) -> str:
        return f"Neo4jStore({redact_uri(self.url)!r}, database={self.database!r})"

    # ---- plumbing --------------------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        if self._closed:
            raise StoreError("this Neo4jStore is closed")
        try:
            yield
        except DRIVER_ERRORS as e:
            raise translate(e, self.url, self._password) from None

    def _session(self, access_mode: str = neo4j.WRITE_ACCESS) -> neo4j.Session:
        # A new session per call: sessions are cheap, and one never outlives a server restart.
        return self._driver.session(
            database=self.database, bookmark_manager=self._bookmarks, default_access_mode=access_mode
        )

    def _read(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        """One read query as an auto-commit transaction, retried like the driver's managed ones.

        Auto-commit: one round trip (a managed transaction adds its COMMIT), and a read has
        nothing to commit. Transient failures are retried with backoff for up to the driver's
        ``max_transaction_retry_time``, as ``execute_read`` would.
        """
        self._prepare()
        query = cypher(name)
        deadline = time.monotonic() + self._retry_time
        for attempt in itertools.count():
            try:
                with self._errors(), self._session(neo4j.READ_ACCESS) as session:
                    # Not Result.data(): it walks every nested value again (a third of a search's
                    # client time); these queries return maps and lists, already plain Python.
                    return [dict(zip(r.keys(), r.values(), strict=True)) for r in session.run(query, params)]
            except StoreError as e:
                cause = e.__context__
                retryable = isinstance(cause, (nx.Neo4jError, nx.DriverError)) and cause.is_retryable()
                pause = min(0.1 * 2**attempt, 1.0) * (0.8 + 0.4 * random.random())
                if not retryable or time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def _rows(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        """The ``rows`` list of a query that returns one record, ``collect(...) AS rows``.

        Queries return their results collected into one record: the driver spends tens of
        microseconds on every record it receives, and next to nothing on a list inside one.
        """
        rows: list[dict[str, Any]] = self._read(name, **params)[0]["rows"]
        return rows

    def _write(self, work: Callable[[neo4j.ManagedTransaction], T], *, counts_change: bool = True) -> T:
        """Run ``work`` in a managed write transaction; ``counts_change=False`` for writes that add
        and remove no record (vectors only), which leave the remembered scope counts valid."""
        self._prepare()
        try:
            with self._errors(), self._tx_lock, self._session() as session:
                return session.execute_write(work)
        finally:
            if counts_change:
                self._counts.clear()

    def _auto(self, name: str, /, *, script: bool = False, **params: Any) -> None:
        """Auto-commit statements (schema commands, ``IN TRANSACTIONS``), retried with backoff."""
        statements = cypher_script(name) if script else (cypher(name),)
        for attempt in range(4):
            try:
                with self._errors(), self._session() as session:
                    for statement in statements:
                        session.run(statement, params).consume()
                return
            except StoreError as e:
                if attempt == 3 or not isinstance(e.__context__, _RETRYABLE):
                    raise
                time.sleep(0.2 * 2**attempt * (1 + random.random()))

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Serialise read-decide-write cycles with every other client of this database.

        An open transaction holds an exclusive lock on the node ``GraphMemMeta {key: 'writer'}``
        (``cypher/writer_lock.cypher``; the uniqueness constraint on ``key`` makes concurrent
        MERGEs wait for each other) while the block runs, and is rolled back at the end, so it
        writes nothing. The server releases the lock when that transaction ends, when the holder's
        connection drops (a killed client included), or after ``lock_timeout`` seconds.

        Raises:
            StoreUnavailableError: the server is unreachable, or another writer held the lock
                for longer than ``lock_timeout``.
        """
        # Threads sharing this store object queue here first (the server lock is per transaction,
        # so two threads of one client would otherwise each hold "their own").
        if not self._writer.acquire(timeout=self.lock_timeout):
            raise StoreUnavailableError(
                f"another thread held the writer lock of this store for more than {self.lock_timeout:.0f} s"
            )
        try:
            if self._writer_depth:  # reentrant: an outer block of this thread holds it
                self._writer_depth += 1
                try:
                    yield
                finally:
                    self._writer_depth -= 1
                return
            self._prepare()  # the constraint on GraphMemMeta.key must exist before the MERGE
            session = self._driver.session(database=self.database)
            try:
                tx = self._take_writer_lock(session)
                self._writer_depth = 1
                self._lock_owner = threading.get_ident()
                try:
                    yield
                finally:
                    self._writer_depth = 0
                    self._lock_owner = None
                    self._counts.clear()  # what was learnt under the lock holds only under it
                    # Rolling back writes nothing; a failure here (the server timed the lock out,
                    # or went away) only means the lock is already released.
                    with contextlib.suppress(*DRIVER_ERRORS):
                        tx.rollback()
            finally:
                with contextlib.suppress(*DRIVER_ERRORS):
                    session.close()
        finally:
            self._writer.release()

    def _take_writer_lock(self, session: neo4j.Session) -> neo4j.Transaction:
        try:
            with self._errors():
                tx = session.begin_transaction(timeout=self.lock_timeout)
                tx.run(cypher("writer_lock"), now=utcnow()).consume()
                return tx
        except StoreError as e:
            if type(e) is StoreError:  # e.g. the transaction timed out waiting for the lock
                raise StoreUnavailableError(f"waiting for the writer lock: {e}") from None
            raise

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(*DRIVER_ERRORS):
                self._driver.close()

    # ---- lifecycle -------------------------------------------------------------------------
    def ensure_schema(self, dim: int) -> None:
        """Create constraints and indexes (idempotent) and the vector indexes for ``dim``.

        An empty store takes any dimension (its empty vector indexes are rebuilt if needed).

        Raises:
            InvalidInputError: ``dim`` is not an integer from 1 to 4096 (Neo4j's limit).
            DimensionMismatchError: the store already holds vectors of another dimension.
        """
        if isinstance(dim, bool) or not isinstance(dim, int) or not 1 <= dim <= 4096:
            raise InvalidInputError(f"the vector dimension must be an integer from 1 to 4096, got {dim!r}")
        with self._preparing():
            self._ensure_schema(dim)
            self._prepared = True

    def _ensure_schema(self, dim: int, index_dims: dict[str, int | None] | None = None) -> None:
        if self._dim == dim:
            return
        if index_dims is None:
            index_dims = self._ensure_base_schema()
        meta = self._read("meta_get")[0]
        if meta["dim"] == dim and all(index_dims.get(name) == dim for name in _VECTOR_INDEXES):
            self._dim = dim
            return
        stale = [name for name, d in index_dims.items() if name in _VECTOR_INDEXES and d != dim]
        if stale or meta["dim"] not in (None, dim):
            if meta["has_vectors"]:
                held = meta["dim"] if meta["dim"] not in (None, dim) else index_dims[stale[0]]
                raise DimensionMismatchError(
                    f"the Neo4j store at {redact_uri(self.url)} holds {held}-dimensional vectors; "
                    f"the embedder makes {dim}-dimensional ones (use the same embedder, or a new database)"
                )
            for name in stale:  # nothing is indexed yet: rebuild the indexes for the new dimension
                self._auto("schema_drop_index", name=name)
        self._auto("schema_vector", script=True, dim=dim)
        self._auto("meta_set", dim=dim, version=_SCHEMA_VERSION)
        self._auto("schema_await", timeout=300)
        self._dim = dim

    def _prepare(self) -> None:
        """Once per store object: make sure the schema exists and learn the stored dimension.

        So that a store used without :meth:`ensure_schema` still has its full-text indexes and
        checks vector dimensions, as the embedded store does.
        """
        if self._prepared or self._preparer == threading.get_ident():
            return
        with self._preparing():
            if self._prepared:  # another thread prepared it meanwhile
                return
            index_dims = self._ensure_base_schema()
            dim = self._read("meta_get")[0]["dim"]
            if dim is not None:
                self._ensure_schema(int(dim), index_dims)
            # Only now: a first use that failed (the server was down) prepares again next time.
            self._prepared = True

    @contextlib.contextmanager
    def _preparing(self) -> Iterator[None]:
        """Hold the schema lock; the holder's own queries skip :meth:`_prepare` meanwhile."""
        with self._schema_lock:
            outer, self._preparer = self._preparer, threading.get_ident()
            try:
                yield
            finally:
                self._preparer = outer

    def _ensure_base_schema(self) -> dict[str, int | None]:
        """Run the schema script unless all its indexes exist; return graphmem's index dimensions."""
        present = {row["name"]: row["dim"] for row in self._read("schema_indexes")}
        if not _BASE_SCHEMA.issubset(present):
            self._auto("schema", script=True)
            present = {row["name"]: row["dim"] for row in self._read("schema_indexes")}
        return present

    def _check_dim(self, vector: Vector | None, what: str) -> None:
        if vector is None:
            return
        self._prepare()  # learns the stored dimension on a store object's first use
        if self._dim is not None and len(vector) != self._dim:
            raise DimensionMismatchError(f"{what} has {len(vector)} dimensions; the store holds {self._dim}")

    # ---- writes ----------------------------------------------------------------------------
    def apply(self, batch: WriteBatch) -> None:
        if batch.is_empty():
            return
        self._prepare()
        if self._dim is None and (dim := _batch_dim(batch)) is not None:
            self.ensure_schema(dim)  # the first vectors written fix the store's dimension
        for m in (*batch.memories_add, *batch.memories_update):
            self._check_dim(m.embedding, f"memory {m.id}")
        for e in batch.entities_upsert:
            self._check_dim(e.embedding, f"entity {e.id}")
        for r in (*batch.relations_add, *batch.relations_update):
            self._check_dim(r.embedding, f"relation {r.id}")
        entities = {e.id: e for e in batch.entities_upsert}  # a repeated id: the last one wins
        steps: list[tuple[str, dict[str, Any], int | None]] = [
            ("docs_delete", {"uids": [_doc_uid(k, key) for k, key in batch.docs_delete]}, None),
            (
                "docs_put",
                {
                    "rows": [
                        {"uid": _doc_uid(k, key), "kind": k, "key": key, "value": json.dumps(v)}
                        for k, key, v in batch.docs_put
                    ]
                },
                None,
            ),
            ("relations_delete", {"ids": list(batch.relations_delete)}, None),
            ("mentions_clear", {"ids": list(batch.mentions_clear)}, None),
            ("memories_delete", {"ids": list(batch.memories_delete)}, None),
            ("entities_upsert", {"rows": [p.entity_row(e) for e in entities.values()]}, None),
            ("memories_add", {"rows": [p.memory_row(m) for m in batch.memories_add]}, None),
            ("memories_update", {"rows": [p.memory_update_row(m) for m in batch.memories_update]}, None),
        ]
        mention_rows = [{"memory_id": m, "entity_id": e} for m, e in batch.mentions_add]
        steps.append(("mentions_add", {"rows": mention_rows}, len(mention_rows)))
        steps.append(("relations_add", {"rows": [p.relation_row(r) for r in batch.relations_add]},
                      len(batch.relations_add)))  # fmt: skip
        # Locked in id order (stable: a repeated id still ends with its last row), so that another
        # client's writer of the same relations locking in id order too waits instead of deadlocking.
        updates = [p.relation_update_row(r) for r in sorted(batch.relations_update, key=lambda r: r.id)]
        steps.append(("relations_update", {"rows": updates}, None))
        history = [dict(p.history_row(h), seq=i) for i, h in enumerate(batch.history)]
        steps.append(("history_add", {"rows": history}, None))
        steps.append(("entities_delete", {"ids": list(batch.entities_delete)}, None))

        def work(tx: neo4j.ManagedTransaction) -> None:
            for name, params, expected in steps:
                if not next(iter(params.values())):
                    continue
                result = tx.run(cypher(name), params)
                if expected is None:
                    result.consume()
                    continue
                record = result.single()
                got = record[0] if record is not None else 0
                if got != expected:  # raising rolls the whole batch back
                    raise ConstraintViolationError(
                        f"{name}: {expected - got} of {expected} rows refer to a memory or entity "
                        "that does not exist"
                    )

        self._write(work)

    def delete_scope(self, scope: Scope) -> list[str]:
        params = p.scope_params(scope)

        def work(tx: neo4j.ManagedTransaction) -> list[str]:
            ids = [r["id"] for r in tx.run(cypher("scope_delete_memories"), params, now=utcnow())]
            tx.run(cypher("scope_delete_graph"), params).consume()
            return ids

        return self._write(work)

    def reset(self) -> None:
        try:
            self._auto("reset")
        finally:
            self._counts.clear()

    # ---- memories --------------------------------------------------------------------------
    def get_memories(self, ids: Sequence[str]) -> list[MemoryRecord]:
        if not ids:
            return []
        found = {r["memory"]["id"]: r["memory"] for r in self._rows("memories_get", ids=list(set(ids)))}
        return [p.to_memory(found[i]) for i in ids if i in found]

    def list_memories(
        self, scope: Scope, filters: Filter | None = None, limit: int | None = 100, newest_first: bool = True
    ) -> list[MemoryRecord]:
        rows = self._rows(
            "memories_list", **p.scope_params(scope), filter=p.compile_filter(filters),
            newest_first=newest_first, limit=_NO_LIMIT if limit is None else max(limit, 0),
        )  # fmt: skip
        return [p.to_memory(r["memory"]) for r in rows]

    def memories_around(
        self, scope: Scope, filters: Filter | None, memories: Sequence[MemoryRecord], k: int, seconds: float
    ) -> dict[str, list[MemoryRecord]]:
        if k <= 0 or not memories:
            return {}
        rows = []
        for m in memories:
            t = datetime.fromisoformat(m.created_at)
            rows.append({"id": m.id, "t": m.created_at, "lo": format_time(t - timedelta(seconds=seconds)),
                         "hi": format_time(t + timedelta(seconds=seconds))})  # fmt: skip
        found = self._rows(
            "memories_around", **p.scope_params(scope), filter=p.compile_filter(filters), rows=rows, k=k
        )
        out: dict[str, list[MemoryRecord]] = {}
        for row in found:  # before and after alternate, nearest first, before first
            pairs = zip_longest(row["before"], row["after"])
            out[row["id"]] = [p.to_memory(r) for pair in pairs for r in pair if r is not None]
        return out

    def count_memories(self, scope: Scope | None = None) -> int:
        return int(self._read("memories_count", **p.scope_params(scope or Scope()), cap=_NO_LIMIT)[0]["n"])

    def vector_memories(
        self, scope: Scope, filters: Filter | None, vector: Vector, k: int
    ) -> list[tuple[MemoryRecord, float]]:
        self._check_dim(vector, "the query vector")
        params = dict(p.scope_params(scope), filter=p.compile_filter(filters), vector=p.vector_param(vector))
        actors, rest = split_actors(filters)
        rows = self._vector_search(
            "memories", params, k, filtered=filters is not None,
            actors=None if actors is None else (actors, p.compile_filter(rest)),
        )  # fmt: skip
        return [(p.to_memory(r["memory"]), float(r["score"])) for r in rows]

    def keyword_memories(
        self, scope: Scope, filters: Filter | None, query: str, k: int
    ) -> list[tuple[MemoryRecord, float]]:
        lucene = p.lucene_query(query)
        if not lucene or k <= 0:
            return []
        params = dict(p.scope_params(scope), filter=p.compile_filter(filters), query=lucene)
        in_scope, total = self._count("memories", p.scope_params(scope))
        if in_scope == 0:
            return []
        capped = in_scope >= self._count_cap
        fetch = self._first_fetch(k, in_scope, total, capped=capped, filtered=filters is not None)
        while True:
            result = self._read("memories_keyword", **params, fetch=fetch, k=k)[0]
            rows = result["rows"]
            if len(rows) >= k or result["fetched"] < fetch:  # enough, or Lucene has no more hits
                break
            fetch *= 4
        rows.sort(key=best_first)
        return [(p.to_memory(r["memory"]), float(r["score"])) for r in rows[:k]]

    def memories_mentioning(
        self, scope: Scope, filters: Filter | None, entity_ids: Sequence[str], k: int
    ) -> list[tuple[MemoryRecord, list[str]]]:
        return self.around_entities(scope, filters, entity_ids, 1, 0, k)[1]

    def mentions(self, memory_ids: Sequence[str]) -> dict[str, list[str]]:
        if not memory_ids:
            return {}
        rows = self._rows("mentions_get", ids=list(dict.fromkeys(memory_ids)))
        return {r["id"]: sorted(r["entity_ids"]) for r in rows}

    # ---- entities --------------------------------------------------------------------------
    def find_entities(self, scope: Scope, keys: Sequence[str], *, exact: bool = False) -> list[Entity]:
        if not keys:
            return []
        rows = self._rows("entities_find", **p.scope_params(scope, exact=exact), keys=list(keys))
        return [p.to_entity(r["entity"]) for r in rows]

    def vector_entities(
        self, scope: Scope, vector: Vector, k: int, *, exact: bool = False
    ) -> list[tuple[Entity, float]]:
        self._check_dim(vector, "the query vector")
        params = dict(p.scope_params(scope, exact=exact), vector=p.vector_param(vector))
        rows = self._vector_search("entities", params, k, filtered=False)
        return [(p.to_entity(r["entity"]), float(r["score"])) for r in rows]

    def vector_entities_many(
        self, scope: Scope, vectors: Sequence[Vector], k: int, *, exact: bool = False
    ) -> list[list[tuple[Entity, float]]]:
        for vector in vectors:
            self._check_dim(vector, "a query vector")
        found = self._entity_search_many(
            p.scope_params(scope, exact=exact), [p.vector_param(v) for v in vectors], k
        )
        return [[(p.to_entity(r["entity"]), float(r["score"])) for r in rows] for rows in found]

    def list_entities(self, scope: Scope, limit: int | None = None) -> list[Entity]:
        limit = _NO_LIMIT if limit is None else limit
        rows = self._rows("entities_list", **p.scope_params(scope), limit=limit)
        return [p.to_entity(r["entity"]) for r in rows]

    # ---- relations -------------------------------------------------------------------------
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
        params = p.scope_params(scope, exact=exact)
        if entity_ids is not None or source_ids is not None:
            # The query then starts from those entities; a null anchor keeps the scope seek idle.
            params.update(anchor_user_id=None, anchor_agent_id=None, anchor_run_id=None, anchor_all=None)
        rows = self._rows(
            "relations_list", **params,
            entity_ids=None if entity_ids is None else list(entity_ids),
            source_ids=None if source_ids is None else list(source_ids),
            types=None if types is None else list(types),
            memory_ids=None if memory_ids is None else list(memory_ids),
            as_of=as_of, include_invalid=include_invalid, limit=_NO_LIMIT if limit is None else limit,
        )  # fmt: skip
        return [p.to_relation(r["relation"]) for r in rows]

    def expand(self, scope: Scope, entity_ids: Sequence[str], hops: int, limit: int) -> list[Relation]:
        return self.around_entities(scope, None, entity_ids, hops, limit, 0)[0]

    def around_entities(
        self, scope: Scope, filters: Filter | None, entity_ids: Sequence[str], hops: int, limit: int, k: int
    ) -> tuple[list[Relation], list[tuple[MemoryRecord, list[str]]]]:
        limit, k = max(limit, 0), max(k, 0)
        if not entity_ids or not (limit or k):
            return [], []
        row = self._read(
            "entities_around", **p.scope_params(scope), filter=p.compile_filter(filters),
            entity_ids=list(entity_ids), hops=min(max(hops, 1), 2), limit=limit, k=k,
        )[0]  # fmt: skip
        relations = [p.to_relation(r["relation"]) for r in row["relations"]]
        return relations, [(p.to_memory(r["memory"]), list(r["entity_ids"])) for r in row["mentions"]]

    def vector_relations(self, scope: Scope, vector: Vector, k: int) -> list[tuple[Relation, float]]:
        self._check_dim(vector, "the query vector")
        params = dict(p.scope_params(scope), vector=p.vector_param(vector))
        rows = self._vector_search("relations", params, k, filtered=False)
        return [(p.to_relation(r["relation"]), float(r["score"])) for r in rows]

    def vectors(self, kind: VectorKind, ids: Sequence[str]) -> dict[str, Vector]:
        if not ids:
            return {}
        rows = self._rows(_VECTOR_QUERIES[kind], ids=list(dict.fromkeys(ids)))
        return {r["id"]: unit_vector(r["embedding"]) for r in rows}

    def set_vectors(self, kind: VectorKind, vectors: Mapping[str, Vector]) -> None:
        if not vectors:
            return
        self._prepare()
        if self._dim is None:
            self.ensure_schema(len(next(iter(vectors.values()))))
        for record_id, vector in vectors.items():
            self._check_dim(vector, f"{kind} {record_id}")
        rows = [{"id": i, "embedding": p.vector_param(v)} for i, v in vectors.items()]
        for attempt in range(3):
            try:
                self._write(
                    lambda tx: tx.run(cypher(_SET_VECTORS[kind]), {"rows": rows}).consume(),
                    counts_change=False,
                )
                return
            except StoreError as e:
                # A record deleted by another transaction between this one's MATCH and its vector
                # write: the procedure cannot load it. Again: the MATCH no longer finds it.
                if "EntityNotFound" not in str(e) or attempt == 2:
                    raise

    def missing_vectors(self, kind: VectorKind, limit: int) -> list[tuple[str, str]]:
        rows = self._rows(_MISSING_VECTORS[kind], limit=int(limit))
        if kind == "memory":
            return [(r["id"], index_text(r["memory"], r["actor_id"])) for r in rows]
        return [(r["id"], r["text"]) for r in rows]

    # ---- history ---------------------------------------------------------------------------
    def history(self, memory_id: str) -> list[HistoryEvent]:
        return [p.to_history(r["event"]) for r in self._rows("history_get", memory_id=memory_id)]

    def get_docs(self, kind: str, keys: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        rows = self._rows("docs_get", kind=kind, keys=list(keys) if keys is not None else None)
        return {r["key"]: json.loads(r["value"]) for r in rows}


def _batch_dim(batch: WriteBatch) -> int | None:
    """The dimension of the first vector in the batch (all are checked against it later)."""
    items: list[MemoryRecord | Entity | Relation] = [
        *batch.memories_add, *batch.memories_update, *batch.entities_upsert,
        *batch.relations_add, *batch.relations_update,
    ]  # fmt: skip
    for item in items:
        if item.embedding is not None:
            return len(item.embedding)
    return None


def _doc_uid(kind: str, key: str) -> str:
    """One unique property for (kind, key): Community has single-property uniqueness only."""
    return f"{kind}\x1f{key}"
