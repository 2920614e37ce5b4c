"""In-memory side of the embedded store: records, unit vectors and integer-coded scopes.

One :class:`RecordTable` per kind (memories, entities, relations) keeps its records dense: row
``i`` of the vector matrix, of the scope-code matrix and of the flag array all belong to
``records[i]``. Deleting swaps the last row into the hole, so the arrays never need compacting and
a search always works on ``[:n]``. Scope values (and actor ids) are interned as small integers (0 is
``None``) so a scope test over 100k records is a handful of vectorised comparisons, not a Python loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from graphmem.errors import DimensionMismatchError
from graphmem.models import Scope, Vector, unit_vector

Indices = npt.NDArray[np.intp]

# Gathering rows (``mat[idx]``) copies them before multiplying; past about a sixth of the table the
# copy costs more than scoring every row (measured on 384-d float32, 10k and 100k rows).
_GATHER_FRACTION = 6


class Scoped(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def user_id(self) -> str | None: ...
    @property
    def agent_id(self) -> str | None: ...
    @property
    def run_id(self) -> str | None: ...
    @property
    def created_at(self) -> str: ...


R = TypeVar("R", bound=Scoped)


class ScopeCodes:
    """Interns scope values and actor ids as ints; 0 stands for ``None``. Codes are never reused."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def code(self, value: str | None) -> int:
        if value is None:
            return 0
        found = self._codes.get(value)
        if found is None:
            found = self._codes[value] = len(self._codes) + 1
        return found

    def lookup(self, value: str) -> int | None:
        """The code of a value, or ``None`` when no record has ever carried it."""
        return self._codes.get(value)


class RecordTable(Generic[R]):
    """Records of one kind with their unit vectors, scope codes and one boolean flag, kept dense.

    Args:
        codes: the scope-value interning shared by every table of a store.
        flag: a per-record predicate kept as an array (relations: "is current"), so vector
            searches can mask on it without touching the records.
    """

    def __init__(self, codes: ScopeCodes, dim: int | None, flag: Callable[[R], bool] | None = None) -> None:
        self._codes = codes
        self._flag_fn = flag
        self.dim = dim
        self.records: list[R] = []
        self.index: dict[str, int] = {}
        self._by_seq: dict[int, str] = {}
        cap = 64
        self._seq = np.zeros(cap, dtype=np.int64)
        # codes of user_id, agent_id, run_id and actor_id (the actor signal's filter)
        self._scopes = np.zeros((cap, 4), dtype=np.int32)
        self._has_vec = np.zeros(cap, dtype=bool)
        self._flag = np.zeros(cap, dtype=bool)
        self._time = np.zeros(cap, dtype=np.int64)  # created_at in microseconds since the epoch
        self._vecs: npt.NDArray[np.float32] = np.zeros((cap, dim or 0), dtype=np.float32)

    # ---- access --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.records)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self.index

    def get(self, record_id: str) -> R | None:
        i = self.index.get(record_id)
        return None if i is None else self.records[i]

    def get_by_seq(self, seq: int) -> R | None:
        record_id = self._by_seq.get(seq)
        return None if record_id is None else self.get(record_id)

    def seq(self, i: int) -> int:
        """The SQLite rowid of row ``i``: insertion order, the tie-break when timestamps are equal."""
        return int(self._seq[i])

    def has_vector(self, record_id: str) -> bool:
        i = self.index.get(record_id)
        return i is not None and bool(self._has_vec[i])

    def times(self, rows: Indices) -> npt.NDArray[np.int64]:
        """``created_at`` of these rows, in microseconds since the epoch."""
        return self._time[rows]

    def vector(self, record_id: str) -> npt.NDArray[np.float32] | None:
        """A copy of the record's unit vector, or None."""
        i = self.index.get(record_id)
        return None if i is None or not self._has_vec[i] else self._vecs[i].copy()

    # ---- writes --------------------------------------------------------------------------------
    def set_dim(self, dim: int) -> None:
        """Fix the vector dimension (once; the table must not hold vectors yet)."""
        if self.dim == dim:
            return
        if self._has_vec[: len(self)].any():
            raise DimensionMismatchError(f"the store holds vectors of dimension {self.dim}, not {dim}")
        self.dim = dim
        self._vecs = np.zeros((len(self._seq), dim), dtype=np.float32)

    def put(self, record: R, seq: int, vector: Vector | None, *, keep_vector: bool = False) -> None:
        """Insert a record or replace the one with its id (same row, same seq).

        ``keep_vector`` keeps the stored vector when ``vector`` is ``None`` (an update that did not
        re-embed).
        """
        i = self.index.get(record.id)
        if i is None:
            i = len(self.records)
            self._grow(i + 1)
            self.records.append(record)
            self.index[record.id] = i
            self._seq[i] = seq
            self._by_seq[seq] = record.id
            keep_vector = False
        else:
            self.records[i] = record
        self._scopes[i] = self._scope_codes(record)
        self._flag[i] = self._flag_fn(record) if self._flag_fn else True
        self._time[i] = micros([record.created_at])[0]
        if vector is not None:
            self._vecs[i] = _unit(vector, self.dim)
            self._has_vec[i] = True
        elif not keep_vector:
            self._vecs[i] = 0.0
            self._has_vec[i] = False

    def set_vector(self, record_id: str, vector: Vector) -> bool:
        """Give an existing record its vector; ``False`` when the id is unknown."""
        i = self.index.get(record_id)
        if i is None:
            return False
        self._vecs[i] = _unit(vector, self.dim)
        self._has_vec[i] = True
        return True

    def without_vector(self, limit: int) -> list[str]:
        """Ids of up to ``limit`` records that have no vector, oldest (lowest seq) first."""
        n = len(self.records)
        rows = np.flatnonzero(~self._has_vec[:n])
        rows = rows[np.argsort(self._seq[rows], kind="stable")][:limit]
        return [self.records[i].id for i in rows]

    def remove(self, record_id: str) -> R | None:
        """Remove a record by id (the last row moves into its place). Returns it, or ``None``."""
        i = self.index.pop(record_id, None)
        if i is None:
            return None
        removed = self.records[i]
        self._by_seq.pop(int(self._seq[i]), None)
        last = len(self.records) - 1
        if i != last:
            moved = self.records[last]
            self.records[i] = moved
            self.index[moved.id] = i
            for arr in (self._seq, self._scopes, self._has_vec, self._flag, self._time, self._vecs):
                arr[i] = arr[last]
        self.records.pop()
        return removed

    def load(self, rows: Iterable[tuple[R, int, bytes | None]]) -> None:
        """Bulk-fill an empty table from ``(record, seq, vector blob)`` rows (store open / reload)."""
        rows = list(rows)
        n = len(rows)
        # Headroom, so the first writes after opening a large store do not copy the whole matrix.
        self._grow(n + n // 8)
        self.records = [r for r, _, _ in rows]
        self.index = {r.id: i for i, r in enumerate(self.records)}
        self._seq[:n] = [s for _, s, _ in rows]
        self._by_seq = {s: r.id for r, s, _ in rows}
        if n:
            self._scopes[:n] = [self._scope_codes(r) for r in self.records]
        self._flag[:n] = [self._flag_fn(r) if self._flag_fn else True for r in self.records]
        self._time[:n] = micros([r.created_at for r in self.records])
        with_vec = [i for i, (_, _, b) in enumerate(rows) if b is not None]
        self._has_vec[:n] = False
        self._has_vec[with_vec] = True
        if with_vec:
            if self.dim is None:
                raise DimensionMismatchError("the store holds vectors but records no dimension")
            # One join and one frombuffer instead of 10k small arrays: most of the open time.
            raw = b"".join(b for _, _, b in rows if b is not None)
            if len(raw) != len(with_vec) * self.dim * 4:
                raise DimensionMismatchError(f"stored vectors are not all of dimension {self.dim}")
            mat = np.frombuffer(raw, dtype=np.float32).reshape(len(with_vec), self.dim)
            norms = np.linalg.norm(mat, axis=1, keepdims=True)
            self._vecs[with_vec] = mat / np.where(norms == 0, 1.0, norms)

    def _scope_codes(self, record: R) -> tuple[int, int, int, int]:
        code = self._codes.code
        actor = getattr(record, "actor_id", None)  # entities have none
        return code(record.user_id), code(record.agent_id), code(record.run_id), code(actor)

    def _grow(self, need: int) -> None:
        cap = len(self._seq)
        if need <= cap:
            return
        new_cap = max(need, cap + cap // 2)  # 1.5x: at 100k x 384 floats, 2x would reserve 150 MB more
        self._seq = np.resize(self._seq, new_cap)
        self._scopes = np.resize(self._scopes, (new_cap, 4))
        self._has_vec = np.resize(self._has_vec, new_cap)
        self._flag = np.resize(self._flag, new_cap)
        self._time = np.resize(self._time, new_cap)
        vecs = np.zeros((new_cap, self._vecs.shape[1]), dtype=np.float32)
        vecs[:cap] = self._vecs
        self._vecs = vecs

    # ---- queries -------------------------------------------------------------------------------
    def select(self, scope: Scope, *, exact: bool = False, flagged: bool = False) -> Indices:
        """Row indices of the records in ``scope`` (reading or exact semantics), in row order."""
        n = len(self.records)
        scopes = self._scopes[:n]
        mask: npt.NDArray[np.bool_] | None = self._flag[:n].copy() if flagged else None
        for col, value in enumerate(scope.values()):
            if value is None and not exact:
                continue
            code = 0 if value is None else self._codes.lookup(value)
            if code is None:  # a value no record ever had
                return np.zeros(0, dtype=np.intp)
            col_mask = scopes[:, col] == code
            mask = col_mask if mask is None else mask & col_mask
        if mask is None:
            return np.arange(n, dtype=np.intp)
        return np.flatnonzero(mask)

    def rows(self, record_ids: Iterable[str]) -> Indices:
        """The row of each id, in order; ``-1`` for an id the table does not hold."""
        return np.fromiter(map(self.index.get, record_ids, repeat(-1)), dtype=np.intp)

    def in_scope(self, rows: Indices, scope: Scope, *, flagged: bool = False) -> npt.NDArray[np.bool_]:
        """Which of ``rows`` (from :meth:`rows`) hold a record in ``scope`` (reading semantics), and
        flagged too if asked: :meth:`select`'s test for a few rows, not the whole table."""
        mask = rows >= 0
        rows = np.where(mask, rows, 0)  # the arrays always have a row 0; -1 would read the last one
        if flagged:
            mask &= self._flag[rows]
        for col, value in enumerate(scope.values()):
            if value is None:
                continue
            code = self._codes.lookup(value)
            if code is None:  # a value no record ever had
                return np.zeros(len(rows), dtype=bool)
            mask &= self._scopes[rows, col] == code
        return mask

    def of_actors(self, rows: Indices, actors: Iterable[str]) -> Indices:
        """Those of ``rows`` whose record's ``actor_id`` is one of ``actors``."""
        codes = [c for a in actors if (c := self._codes.lookup(a)) is not None]
        return rows[np.isin(self._scopes[rows, 3], codes)]

    def seqs(self, rows: Indices) -> list[int]:
        """:meth:`seq` of each of ``rows``."""
        seqs: list[int] = self._seq[rows].tolist()
        return seqs

    def nearest(
        self, vector: Vector, rows: Indices, k: int, accept: Callable[[R], bool] | None = None
    ) -> list[tuple[R, float]]:
        """The ``k`` records among ``rows`` closest to ``vector`` with their (1 + cos) / 2, best first.

        ``accept`` (the filter) is applied while walking the ranking, so it acts before the cut.
        """
        if k <= 0 or self.dim is None or not len(rows):
            return []
        q = _unit(vector, self.dim)
        rows = rows[self._has_vec[rows]]
        if not len(rows):
            return []
        n = len(self.records)
        # einsum, not ``@``: a matrix-vector product is memory-bound, and OpenBLAS's threaded sgemv
        # stalls 4-8 ms waiting for a core whenever the machine is busy (measured on 2 shared cores).
        if len(rows) * _GATHER_FRACTION < n:
            cos = np.einsum("ij,j->i", self._vecs[rows], q)
        else:
            cos = np.einsum("ij,j->i", self._vecs[:n], q)[rows]
        sims = np.clip((1.0 + cos) / 2.0, 0.0, 1.0)
        if accept is None:
            if k < len(rows):
                top = np.argpartition(-sims, k - 1)[:k]
                order = top[np.argsort(-sims[top], kind="stable")]
            else:
                order = np.argsort(-sims, kind="stable")
            return [
                (self.records[i], s) for i, s in zip(rows[order].tolist(), sims[order].tolist(), strict=True)
            ]
        out: list[tuple[R, float]] = []
        # A filter may pass few records (a metadata tag, a time window): walk the ranking in chunks
        # rather than sort every row first.
        for order in _best_first(sims, max(8 * k, 1024)):
            for i, s in zip(rows[order].tolist(), sims[order].tolist(), strict=True):
                record = self.records[i]
                if accept(record):
                    out.append((record, s))
                    if len(out) == k:
                        return out
        return out


def _best_first(values: npt.NDArray[np.float32], chunk: int) -> Iterator[Indices]:
    """``np.argsort(-values, kind="stable")`` (largest first, ties in index order), ``chunk``
    indices or a few more at a time, sorting only as far as the caller reads."""
    rest = np.arange(len(values))
    while len(rest) > chunk:
        part = values[rest]
        cut = np.partition(part, len(part) - chunk)[len(part) - chunk]  # the chunk-th largest
        if cut != cut:  # NaN (no vector holds one, but never loop forever)
            break
        top = part >= cut  # every tie of the cut too, so no tie is split between chunks
        yield rest[top][np.argsort(-part[top], kind="stable")]
        rest = rest[~top]
    if len(rest):
        yield rest[np.argsort(-values[rest], kind="stable")]


def _unit(vector: Vector, dim: int | None) -> npt.NDArray[np.float32]:
    v = unit_vector(vector)
    if dim is not None and v.shape[0] != dim:
        raise DimensionMismatchError(f"vector of dimension {v.shape[0]}, the store holds dimension {dim}")
    return v


def micros(times: list[str]) -> npt.NDArray[np.int64]:
    """ISO-8601 times as microseconds since the epoch (UTC).

    graphmem writes every time with ``format_time`` ("...T12:00:00.000000+00:00"): those parse in
    one vectorised call; anything else falls back to ``datetime.fromisoformat``.
    """
    if all(len(t) == 32 and t.endswith("+00:00") for t in times):
        try:
            return np.array([t[:26] for t in times], dtype="datetime64[us]").astype(np.int64)
        except ValueError:
            pass
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    out = []
    for t in times:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
        out.append((dt if dt.tzinfo else dt.replace(tzinfo=UTC)) - epoch)
    return np.array([d // timedelta(microseconds=1) for d in out], dtype=np.int64)
