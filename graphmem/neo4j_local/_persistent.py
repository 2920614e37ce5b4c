"""A persistent developer server: ``graphmem neo4j start|stop|status``.

The server outlives the command that started it. Its home (default ``$GRAPHMEM_HOME/neo4j``, else
``~/.graphmem/neo4j``) holds the database and ``graphmem-neo4j.json``, the state file with the pid
and the URI that ``stop`` and ``status`` read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from graphmem.neo4j_local._classpath import NEO4J_VERSION
from graphmem.neo4j_local._errors import LocalNeo4jError
from graphmem.neo4j_local._probe import probe
from graphmem.neo4j_local._server import MAIN_CLASS, LocalNeo4j, port_is_free

STATE_FILE = "graphmem-neo4j.json"
DEFAULT_PORT = 7687


@dataclass(frozen=True, slots=True)
class ServerState:
    """What ``status`` reports about a persistent server."""

    home: str
    pid: int | None
    uri: str | None
    version: str
    running: bool
    responding: bool


def default_home() -> Path:
    """``$GRAPHMEM_HOME/neo4j``, else ``~/.graphmem/neo4j`` (read at call time, never at import)."""
    root = os.environ.get("GRAPHMEM_HOME")
    return (Path(root).expanduser() if root else Path.home() / ".graphmem") / "neo4j"


def config_snippet(uri: str) -> str:
    """The ``Memory.from_config`` call that uses the server at ``uri``."""
    return (
        "from graphmem import Memory\n\n"
        "m = Memory.from_config({\n"
        '    "graph_store": {"provider": "neo4j", "config": {"url": "' + uri + '"}},\n'
        "})"
    )


def _read_state(home: Path) -> dict[str, object]:
    try:
        data = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _alive(pid: int, home: Path) -> bool:
    """True when ``pid`` is a live Neo4j whose home is ``home`` (not a recycled pid)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it was our own child, so it is not a zombie
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: exists, and we cannot check more
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():  # Linux: make sure the pid was not recycled by an unrelated process
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            return False
        return MAIN_CLASS.encode() in args and f"--home-dir={home}".encode() in args
    return True


def status(home: str | os.PathLike[str] | None = None) -> ServerState:
    """The state of the persistent server in ``home``."""
    path = Path(home).expanduser().resolve() if home is not None else default_home().resolve()
    state = _read_state(path)
    pid = state.get("pid")
    uri = state.get("uri")
    pid = pid if isinstance(pid, int) else None
    uri = uri if isinstance(uri, str) else None
    running = pid is not None and _alive(pid, path)
    responding = running and uri is not None and probe(uri, timeout=3.0)[0]
    return ServerState(str(path), pid if running else None, uri, NEO4J_VERSION, running, responding)


def start(
    home: str | os.PathLike[str] | None = None, *, port: int | None = None, startup_timeout: float = 120.0
) -> ServerState:
    """Start the persistent server in ``home`` unless it is already running there.

    The port is, in order: ``port``; the one used last time (so the URI stays the same); 7687 if
    free; any free port.

    Raises:
        LocalNeo4jError: it could not be started (the message quotes its log).
    """
    path = Path(home).expanduser().resolve() if home is not None else default_home().resolve()
    current = status(path)
    if current.running:
        return current
    previous = _read_state(path).get("port")
    if port is None:
        if isinstance(previous, int) and port_is_free(previous):
            port = previous
        elif port_is_free(DEFAULT_PORT):
            port = DEFAULT_PORT
    path.mkdir(parents=True, exist_ok=True)
    server = LocalNeo4j(path, port=port, startup_timeout=startup_timeout, detach=True).start()
    assert server.pid is not None
    state = {"pid": server.pid, "uri": server.uri, "port": server.port, "version": NEO4J_VERSION}
    (path / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    return ServerState(str(path), server.pid, server.uri, NEO4J_VERSION, True, True)


def stop(home: str | os.PathLike[str] | None = None, *, timeout: float = 30.0) -> bool:
    """Stop the persistent server in ``home``. Returns False when none was running."""
    path = Path(home).expanduser().resolve() if home is not None else default_home().resolve()
    current = status(path)
    if not current.running or current.pid is None:
        return False
    pid = current.pid
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid, path):
        time.sleep(0.2)
    if _alive(pid, path):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        _alive(pid, path)  # reap
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m graphmem.neo4j_local start|stop|status|classpath [--dir DIR] [--port N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m graphmem.neo4j_local", description=f"A local Neo4j {NEO4J_VERSION} for graphmem."
    )
    parser.add_argument("command", choices=["start", "stop", "status", "classpath"])
    parser.add_argument("--dir", default=None, help=f"server home (default {default_home()})")
    parser.add_argument("--port", type=int, default=None, help="Bolt port for start (default 7687 or free)")
    args = parser.parse_args(argv)
    return cli(args.command, data_dir=args.dir, port=args.port)


def cli(action: str, data_dir: str | os.PathLike[str] | None = None, port: int | None = None) -> int:
    """Run ``start``, ``stop`` or ``status``, print the outcome, and return the exit code.

    ``graphmem neo4j ACTION`` and ``python -m graphmem.neo4j_local ACTION`` both land here.
    ``status`` returns 3 (LSB "not running") when no server runs; failures return 1.
    """
    try:
        if action == "classpath":  # resolve the jars ahead of time (CI does this before the tests)
            from graphmem.neo4j_local._classpath import resolve_classpath

            cp = resolve_classpath()
            print(f"Neo4j {NEO4J_VERSION}: {len(str(cp).split(':'))} classpath entries resolved")
            return 0
        if action == "start":
            state = start(data_dir, port=port)
            assert state.uri is not None
            print(f"Neo4j {NEO4J_VERSION} running (pid {state.pid}) at {state.uri}, data in {state.home}")
            print("No authentication, loopback only. Use it with:\n")
            print(config_snippet(state.uri))
            return 0
        if action == "stop":
            print("stopped" if stop(data_dir) else "not running")
            return 0
        if action != "status":
            raise ValueError(f"unknown action {action!r}; use start, stop or status")
        state = status(data_dir)
        if state.running:
            health = "responding" if state.responding else "not responding yet"
            print(f"running (pid {state.pid}) at {state.uri}, {health}; data in {state.home}")
            return 0
        print(f"not running; data in {state.home}")
        return 3
    except LocalNeo4jError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
