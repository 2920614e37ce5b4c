"""``LocalNeo4j``: a real Neo4j Community server on 127.0.0.1, run from Maven-resolved jars."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path
from types import TracebackType
from typing import IO

from graphmem.neo4j_local._classpath import NEO4J_VERSION, resolve_classpath
from graphmem.neo4j_local._errors import LocalNeo4jError
from graphmem.neo4j_local._java import find_java
from graphmem.neo4j_local._watchdog import STOP_TIMEOUT_S

_WATCHDOG = Path(__file__).with_name("_watchdog.py")

MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"  # 5.x; 2025.x renamed it Neo4jCommunity

# The stock 5.26 neo4j.conf passes these through its bootloader; we run the JVM ourselves, so we
# pass them here. Without the --add-opens, vector index population can stall.
_JVM_FLAGS = (
    "-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow", "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields", "-XX:+DisableExplicitGC", "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024", "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true", "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
)  # fmt: skip

_PORT_ATTEMPTS = 5
_BIND_ERRORS = ("Address already in use", "BindException", "already bound")

_running: weakref.WeakSet[LocalNeo4j] = weakref.WeakSet()


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago (the caller retries if it is taken since)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class LocalNeo4j:
    """One Neo4j 5.26 Community server process, with auth disabled, listening on loopback only.

    By default its home (config, data, logs) is a temporary directory removed by :meth:`close`;
    pass ``home`` for a persistent server whose data survives restarts. :meth:`stop` keeps the
    home, so ``stop(); start()`` brings the same database back on the same port.

    Example:
        >>> with LocalNeo4j() as neo:                      # doctest: +SKIP
        ...     store = Neo4jStore(neo.uri)

    Args:
        home: The server's home directory; a fresh temporary one when ``None``.
        port: Bolt port; a free one when ``None`` (retried if another process takes it first).
        heap: JVM heap size (``-Xms``/``-Xmx``).
        pagecache: ``server.memory.pagecache.size``.
        startup_timeout: Seconds to wait for ``RETURN 1`` to succeed on database ``neo4j``.
        detach: Leave the server running when this Python process exits. Otherwise it is
            stopped at exit (``atexit``) and, should this process be killed instead, by a small
            watcher process (``_watchdog.py``) that notices this one is gone.
    """

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        port: int | None = None,
        heap: str = "1g",
        pagecache: str = "256m",
        startup_timeout: float = 120.0,
        detach: bool = False,
    ) -> None:
        self._owns_home = home is None
        self.home = Path(home).expanduser().resolve() if home is not None else None
        self._fixed_port = port is not None
        self.port: int | None = port
        self.heap = heap
        self.pagecache = pagecache
        self.startup_timeout = startup_timeout
        self.detach = detach
        self._proc: subprocess.Popen[bytes] | None = None
        #: the watcher of an attached server, and the write end of its pipe (see _watchdog.py)
        self._watch: tuple[subprocess.Popen[bytes], int] | None = None

    # ---- public ----------------------------------------------------------------------------
    @property
    def uri(self) -> str:
        if self.port is None:
            raise LocalNeo4jError("the server has not been started")
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def console_log(self) -> Path:
        assert self.home is not None
        return self.home / "logs" / "console.log"

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> LocalNeo4j:
        """Start the server and wait until it answers queries. A no-op when already running.

        Raises:
            LocalNeo4jError: Java or the jars are missing, the server exited, or it did not become
                ready in time; the message quotes the end of its logs.
        """
        if self.is_running():
            return self
        java = find_java()
        classpath = resolve_classpath()
        if self.home is None:
            self.home = Path(tempfile.mkdtemp(prefix="graphmem-neo4j-"))
        for attempt in range(_PORT_ATTEMPTS):
            if self.port is None or (attempt and not self._fixed_port):
                self.port = free_port()
            self._write_conf()
            self._spawn(java.path, classpath)
            try:
                self._wait_ready()
            except LocalNeo4jError:
                bind_failure = any(s in _tail(self.console_log, 200) for s in _BIND_ERRORS)
                self._terminate()
                if bind_failure and not self._fixed_port and attempt + 1 < _PORT_ATTEMPTS:
                    continue  # another process took the port between our probe and the JVM's bind
                raise
            if not self.detach:
                _running.add(self)
            return self
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 30 s); keep its home. Idempotent."""
        self._terminate()
        _running.discard(self)

    def close(self) -> None:
        """Stop the server and remove its home if it was a temporary one."""
        self.stop()
        if self._owns_home and self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None

    def __enter__(self) -> LocalNeo4j:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.is_running() else "stopped"
        return f"<LocalNeo4j {NEO4J_VERSION} {state} port={self.port} home={self.home}>"

    # ---- internals -------------------------------------------------------------------------
    def _write_conf(self) -> None:
        assert self.home is not None and self.port is not None
        conf_dir = self.home / "conf"
        conf_dir.mkdir(parents=True, exist_ok=True)
        (self.home / "logs").mkdir(exist_ok=True)
        address = f"127.0.0.1:{self.port}"
        settings = {
            "server.directories.data": (self.home / "data").as_posix(),
            "server.directories.logs": (self.home / "logs").as_posix(),
            "server.directories.run": (self.home / "run").as_posix(),
            "server.directories.import": (self.home / "import").as_posix(),
            "server.bolt.enabled": "true",
            "server.bolt.listen_address": address,
            "server.bolt.advertised_address": address,
            "server.bolt.tls_level": "DISABLED",
            "server.http.enabled": "false",
            "server.https.enabled": "false",
            # Loopback only and no password: a development and test server, never a shared one.
            "dbms.security.auth_enabled": "false",
            "dbms.usage_report.enabled": "false",
            "server.memory.pagecache.size": self.pagecache,
            # Read by the bootloader only (we pass -Xms/-Xmx ourselves); kept so the file is truthful.
            "server.memory.heap.initial_size": self.heap,
            "server.memory.heap.max_size": self.heap,
        }
        text = "".join(f"{k}={v}\n" for k, v in settings.items())
        (conf_dir / "neo4j.conf").write_text(
            "# Written by graphmem.neo4j_local; rewritten on every start.\n" + text, encoding="utf-8"
        )

    def _spawn(self, java: str, classpath: str) -> None:
        assert self.home is not None
        cmd = [
            java, f"-Xms{self.heap}", f"-Xmx{self.heap}", *_JVM_FLAGS, "-cp", classpath, MAIN_CLASS,
            f"--home-dir={self.home}", f"--config-dir={self.home / 'conf'}", "--console-mode",
        ]  # fmt: skip
        log: IO[bytes] = open(self.console_log, "ab")  # noqa: SIM115  (the child owns it)
        try:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.home, start_new_session=True,  # Ctrl-C in a terminal must not kill it mid-write
            )  # fmt: skip
        except OSError as e:
            raise LocalNeo4jError(f"cannot start {java}: {e}") from e
        finally:
            log.close()
        if not self.detach:
            self._start_watchdog()

    def _start_watchdog(self) -> None:
        """Start the watcher that stops the JVM if this process dies without stopping it."""
        assert self._proc is not None and self.home is not None
        read_end, write_end = os.pipe()  # not inheritable: only this process holds write_end
        cmd = [sys.executable, "-I", str(_WATCHDOG), str(self._proc.pid), str(self.home)]
        if self._owns_home:
            cmd.append("--remove-home")
        try:
            watcher = subprocess.Popen(
                cmd, stdin=read_end, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C here stops the server through atexit, not the watcher
            )  # fmt: skip
        except OSError:
            os.close(write_end)  # no watcher: atexit still stops the server on a normal exit
        else:
            self._watch = (watcher, write_end)
        finally:
            os.close(read_end)

    def _stop_watchdog(self) -> None:
        """Release the watcher once the JVM has exited: it finds nothing to stop and exits."""
        watch, self._watch = self._watch, None
        if watch is None:
            return
        watcher, write_end = watch
        os.close(write_end)
        try:
            watcher.wait(10)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait()

    def _wait_ready(self) -> None:
        from graphmem.neo4j_local._probe import probe

        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                raise LocalNeo4jError(self._failure(f"Neo4j exited with code {code} while starting"))
            ok, last_error = probe(self.uri, timeout=5.0)
            if ok:
                return
            time.sleep(0.5)
        raise LocalNeo4jError(
            self._failure(f"no answer on {self.uri} in {self.startup_timeout:.0f} s ({last_error})")
        )

    def _failure(self, what: str) -> str:
        assert self.home is not None
        parts = [what, f"home: {self.home}"]
        if console := _tail(self.console_log):
            parts.append(f"--- {self.console_log} (tail) ---\n{console}")
        if debug := _tail(self.home / "logs" / "debug.log", 20):
            parts.append(f"--- debug.log (tail) ---\n{debug}")
        return "\n".join(parts)

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        try:
            if proc is None or proc.poll() is not None:
                return
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)  # Neo4j's handler shuts the database down cleanly
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        finally:
            self._stop_watchdog()


@atexit.register
def _stop_all() -> None:
    """An aborted test run must not leave a JVM behind."""
    for server in list(_running):
        with contextlib.suppress(Exception):
            server.close()
