"""The process's thread pool for work that waits on a server: a search's store reads, a large
add's embedding while its store reads run (``Store.concurrent_reads``).

Nothing submitted here waits on another task of the pool, so callers sharing it cannot
deadlock it; only the submitting thread waits.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

#: A search asks for up to six reads at once.
_WORKERS = 8
_lock = threading.Lock()
_state: tuple[int, ThreadPoolExecutor] | None = None


def shared_pool() -> ThreadPoolExecutor:
    """The pool, made on first use (and again in a forked child, which has the parent's pool
    object but none of its threads)."""
    global _state
    with _lock:
        if _state is None or _state[0] != os.getpid():
            _state = (os.getpid(), ThreadPoolExecutor(_WORKERS, thread_name_prefix="graphmem-pool"))
        return _state[1]
