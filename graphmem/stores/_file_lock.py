"""The embedded store's writer lock: an exclusive ``flock`` on ``<store>/graphmem.lock``.

SQLite serialises transactions, but a ``Memory`` write is a read-decide-write cycle (entity
resolution, provenance, closing functional facts) whose reads happen before ``BEGIN``. This lock
makes the whole cycle exclusive across threads, store objects and processes:

* ``flock`` locks belong to an open file description, so two store objects in one process (each
  with its own descriptor) exclude each other just as two processes do;
* the kernel drops the lock when its holder dies, SIGKILL included, so a crashed writer can never
  leave the store locked (a lock *file* with a pid inside could);
* a thread lock in front of it makes it reentrant and stops two threads sharing one descriptor
  from both "holding" it;
* a second file, the *gate*, makes it fair enough: a waiter takes the gate, then waits for the
  lock, then lets the gate go. A writer that just released the lock and wants it again (the usual
  case: a loop of adds) must first get through the gate, which the next waiter holds, so the lock
  is handed over instead of being taken back within microseconds while others poll. Without it,
  the soak (``benchmarks/soak.py``) saw single writes wait over 30 s behind three busy writers.

On platforms without ``fcntl`` (Windows) only the thread lock is held and a warning is logged once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from graphmem.errors import StoreError, StoreUnavailableError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)
_warned = False


class FileLock:
    """A reentrant, cross-process exclusive lock on one file.

    Args:
        path: the lock file (created if missing; its content is never used).
        timeout: seconds to wait for another holder before giving up.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.gate_path = path.with_name(path.name + ".gate")
        self.timeout = timeout
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._gate_fd: int | None = None

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock for the block.

        Raises:
            StoreUnavailableError: another writer held it for longer than ``timeout``.
        """
        deadline = time.monotonic() + self.timeout
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise StoreUnavailableError(f"another thread held the writer lock of {self.path.parent} too long")
        try:
            if self._depth == 0:
                self._acquire(deadline)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        with self._thread_lock:
            for fd in (self._fd, self._gate_fd):
                if fd is not None:
                    os.close(fd)  # also drops a lock if somehow still held
            self._fd = self._gate_fd = None

    def _acquire(self, deadline: float) -> None:
        global _warned
        if fcntl is None:  # pragma: no cover - Windows
            if not _warned:
                _warned = True
                log.warning("no fcntl: the embedded store's writer lock covers this process only")
            return
        if self._fd is None or self._gate_fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                self._gate_fd = os.open(self.gate_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as e:
                raise StoreError(f"cannot open the lock files of {self.path.parent}: {e}") from e
        self._poll(self._gate_fd, self.gate_path, deadline)
        try:
            self._poll(self._fd, self.path, deadline)
        finally:
            fcntl.flock(self._gate_fd, fcntl.LOCK_UN)

    def _poll(self, fd: int, path: Path, deadline: float) -> None:
        """Take an exclusive flock on ``fd`` by ``deadline``.

        flock has no timeout of its own: try without blocking, then sleep briefly (jittered, so
        waiters do not wake in lockstep; short, as the gate holder's hand-off latency is this).
        """
        assert fcntl is not None
        pause = 0.0005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            except OSError as e:
                raise StoreError(f"cannot lock {path}: {e}") from e
            if time.monotonic() >= deadline:
                raise StoreUnavailableError(
                    f"another writer held {self.path} for more than {self.timeout:.0f} s"
                )
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 0.005)

    def _release(self) -> None:
        if fcntl is not None and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
