"""Background indexing: an ``add`` returns before its memories and facts are embedded.

Embedding is most of an offline add (a MiniLM forward of 10-20 ms per call, against a few
milliseconds for extraction and the write). With ``indexing="background"`` an add of fewer than
``INLINE_BATCH`` messages (``pipeline/add.py``; a larger one is already a batch and embeds inline
on every core) writes everything except the memory and fact vectors in its one transaction (the memories are
stored, listed, found by keyword and by graph as soon as ``add`` returns) and hands the texts to
an :class:`Indexer`. Its thread embeds whatever has queued up, many texts per model call, and
stores the vectors with :meth:`Store.set_vectors`.

Nothing reads a vector that is still queued:

* every reader of vectors in the same ``Memory`` (search, update, the LLM add path, export)
  calls :meth:`Indexer.flush` first, so a search sees every memory added before it;
* ``Memory.close`` and interpreter exit flush;
* a process that dies with texts queued leaves those records without a vector; the next
  ``Memory`` opened on the store finds them (:meth:`Store.missing_vectors`, on the indexer's
  thread: a scan of the store must not hold up opening it) and queues them again.

Entity names are still embedded inside ``add``: resolving a new name against the scope's
entities needs its vector at once.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from graphmem.embedders.base import Embedder, to_matrix
from graphmem.errors import EmbeddingError, StoreUnavailableError
from graphmem.models import Vector
from graphmem.stores.base import Store, VectorKind

log = logging.getLogger(__name__)

#: Texts embedded per model call: large enough to batch well, small enough that a search
#: arriving mid-call waits little.
MAX_BATCH = 64
#: Records re-queued per ``Store.missing_vectors`` call at start-up.
_RECOVER_CHUNK = 5_000
#: Seconds between attempts while the store is unreachable: doubling, capped.
_FIRST_BACKOFF_S = 0.2
_MAX_BACKOFF_S = 5.0


@dataclass(frozen=True)
class Job:
    """One record whose vector is wanted: its kind, id, and the text to embed."""

    kind: VectorKind
    id: str
    text: str


class Indexer:
    """Embeds queued records on one daemon thread and stores their vectors (module docstring)."""

    def __init__(self, store: Store, embedder: Embedder, max_batch: int = MAX_BATCH) -> None:
        self.store = store
        self.embedder = embedder
        self.max_batch = max_batch
        self._queue: list[Job] = []
        self._busy = 0  # jobs taken by the thread and not yet stored
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        #: A failure that dropped its jobs (raised once, by the next flush).
        self._lost: Exception | None = None
        #: Failed attempts to reach the store (their jobs wait in the queue) and the last error.
        self._failures = 0
        self._unavailable: StoreUnavailableError | None = None
        self._retry_now = False
        self._recover = False  # a scan for records without vectors is wanted
        _live.add(self)

    @property
    def pending(self) -> int:
        """Jobs queued or being embedded."""
        with self._cond:
            return len(self._queue) + self._busy + self._recover

    def submit(self, jobs: Sequence[Job]) -> None:
        if not jobs:
            return
        with self._cond:
            if self._closed:
                raise EmbeddingError("the indexer is closed")
            self._queue.extend(jobs)
            self._start()
            self._cond.notify_all()

    def _start(self) -> None:
        """Start the thread if it is not running (the caller holds ``_cond``)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="graphmem-indexer", daemon=True)
            self._thread.start()

    def flush(self) -> None:
        """Return once every job submitted so far has its vector stored.

        While the store is unreachable the jobs stay queued and are retried with backoff; a
        flush then tries once more at once and raises if that attempt fails too.

        Raises:
            StoreUnavailableError: the store cannot be reached (the vectors are still queued).
            EmbeddingError: a batch could not be embedded or stored since the last flush; those
                records stay without a vector until a ``Memory`` is opened on the store again.
        """
        with self._cond:
            failures = self._failures
            self._retry_now = True
            self._cond.notify_all()
            self._cond.wait_for(
                lambda: (
                    (not self._queue and not self._busy and not self._recover) or self._failures > failures
                )
            )
            lost, self._lost = self._lost, None
            unavailable = self._unavailable if self._failures > failures else None
        if unavailable is not None:
            raise unavailable
        if lost is not None:
            raise EmbeddingError(f"background indexing failed: {lost}") from lost

    def recover(self) -> None:
        """Have the thread queue every memory and relation of the store that has no vector.

        Returns at once; the next :meth:`flush` waits for the scan and for those vectors. An
        unreachable store is logged and the scan skipped: the next ``Memory`` opened tries again.
        """
        with self._cond:
            if self._closed:
                return
            self._recover = True
            self._start()
            self._cond.notify_all()

    def _find_missing(self) -> None:
        """The scan :meth:`recover` asked for, run on the thread."""
        jobs: list[Job] = []
        try:
            for kind in ("memory", "relation"):
                jobs += [
                    Job(kind, rid, text) for rid, text in self.store.missing_vectors(kind, _RECOVER_CHUNK)
                ]
        except StoreUnavailableError as e:
            log.warning("not indexing records left without vectors: %s", e)
        except Exception:
            log.exception("cannot list the records left without vectors")
        if jobs:
            log.info("queued %d records left without vectors for indexing", len(jobs))
        with self._cond:
            self._queue.extend(jobs)
            self._recover = False
            self._cond.notify_all()

    def close(self) -> None:
        """Flush (logging, not raising, a failure) and stop the thread. Idempotent."""
        try:
            self.flush()
        except (EmbeddingError, StoreUnavailableError) as e:
            log.warning("%s; a Memory opened on the store later indexes what is missing", e)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        backoff = _FIRST_BACKOFF_S
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._recover or self._closed)
                recover = self._recover
                if not recover:
                    if not self._queue:
                        return  # closed and drained
                    jobs, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                    self._busy = len(jobs)
                    self._retry_now = False
            if recover:
                self._find_missing()
                continue
            try:
                self._index(jobs)
                backoff = _FIRST_BACKOFF_S
            except StoreUnavailableError as e:  # keep the jobs; try again later
                log.warning("background indexing: %s; retrying in %.1f s", e, backoff)
                with self._cond:
                    self._queue[:0] = jobs
                    self._failures += 1
                    self._unavailable = e
                    self._busy = 0
                    self._cond.notify_all()
                    if self._closed:
                        return  # close() already gave up on them
                    self._cond.wait_for(lambda: self._retry_now or self._closed, timeout=backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
                continue
            except Exception as e:  # dropped: reported by the next flush, redone at the next open
                log.exception("background indexing of %d records failed", len(jobs))
                with self._cond:
                    self._lost = e
            with self._cond:
                self._busy = 0
                self._cond.notify_all()

    def _index(self, jobs: list[Job]) -> None:
        """Embed and store ``jobs``. A batch the embedder rejects is redone text by text, so one
        bad text costs only its own vector; the first failure is raised after the rest are stored.
        """
        embed = self.embedder.embed
        try:
            pairs = list(
                zip(jobs, to_matrix(embed([j.text for j in jobs]), len(jobs), self.embedder.dim), strict=True)
            )
            failure: Exception | None = None
        except Exception as e:
            if len(jobs) == 1:
                raise
            pairs, failure = [], e
            for job in jobs:
                try:
                    pairs.append((job, to_matrix(embed([job.text]), 1, self.embedder.dim)[0]))
                except Exception as one:
                    failure = one
                    log.warning("cannot embed %s %s: %s", job.kind, job.id, one)
        by_kind: dict[VectorKind, dict[str, Vector]] = {}
        for job, vec in pairs:
            by_kind.setdefault(job.kind, {})[job.id] = vec
        for kind, found in by_kind.items():
            self.store.set_vectors(kind, found)
        if failure is not None:
            raise failure


#: Every indexer of this process (see :func:`flush_all`).
_live: weakref.WeakSet[Indexer] = weakref.WeakSet()


def flush_all(store: Store | None = None) -> None:
    """Flush every indexer of this process with work queued for ``store`` (any store when
    ``None``): for code that reads a store directly rather than through its ``Memory``."""
    for indexer in list(_live):
        if (store is None or indexer.store is store) and indexer.pending:
            indexer.flush()


@atexit.register
def _close_all_at_exit() -> None:
    """Flush what a process that never called ``Memory.close`` still has queued."""
    for indexer in list(_live):
        indexer.close()
