"""Stops a server's JVM when the Python process that started it dies without stopping it.

``LocalNeo4j`` stops its servers at exit (``atexit``), which a SIGTERM or SIGKILL of that
process skips, and the JVM, in a session of its own, would run on. So every server it starts
(unless detached) gets this small watcher, whose stdin is a pipe that only the starting process
holds open. The pipe reaches end-of-file when that process exits, however it exits; the watcher
then stops the JVM as ``LocalNeo4j.stop`` would (SIGTERM, SIGKILL after 30 s) and, for a
temporary server, removes its home. After a normal stop the JVM has exited before the pipe
closes, and the watcher has nothing to do.

Run as a script (``python -I _watchdog.py PID HOME [--remove-home]``): standard library only, so
it starts fast and needs no import path.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time

#: Seconds a server gets to shut down after SIGTERM before SIGKILL (``LocalNeo4j.stop`` too).
STOP_TIMEOUT_S = 30.0


def is_server(pid: int, home: str) -> bool:
    """Whether ``pid`` is still the server's JVM: alive, not a zombie, and (where ``/proc`` tells)
    started with this home, so a reused pid is never signalled."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except FileNotFoundError:
        return not os.path.isdir("/proc/self")  # no /proc (macOS): trust the pid
    except OSError:
        return False
    return f"--home-dir={home}".encode() in cmdline.split(b"\0")  # a zombie's is empty


def stop(pid: int, home: str) -> bool:
    """SIGTERM the server, SIGKILL it after ``STOP_TIMEOUT_S``; whether it had to be stopped."""
    if not is_server(pid, home):
        return False
    os.kill(pid, signal.SIGTERM)  # Neo4j's handler shuts the database down cleanly
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while is_server(pid, home):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.2)
    return True


def main(argv: list[str]) -> int:
    pid, home = int(argv[0]), argv[1]
    sys.stdin.buffer.read()  # returns once no process holds the pipe's write end
    if stop(pid, home) and "--remove-home" in argv[2:]:
        while is_server(pid, home):  # after a SIGKILL: until the kernel has let go of its files
            time.sleep(0.2)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
