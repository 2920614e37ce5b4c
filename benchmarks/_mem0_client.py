"""Drive ``_mem0_worker.py`` inside mem0's virtual environment from graphmem's side.

The worker speaks JSON lines on stdin/stdout; its stderr (model-loading progress, mem0's
warnings) goes to a log file whose tail is shown when something fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

WORKER = Path(__file__).resolve().parent / "_mem0_worker.py"


class Mem0Unavailable(RuntimeError):
    """mem0's venv is missing or broken; the message says why and what to run."""


def mem0_venv() -> Path:
    return Path(os.environ.get("GRAPHMEM_MEM0_VENV") or Path.home() / ".cache" / "graphmem" / "mem0-venv")


def mem0_python() -> Path:
    """The mem0 venv's interpreter, or :class:`Mem0Unavailable` saying how to create it."""
    venv = mem0_venv()
    for candidate in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
        if candidate.exists():
            return candidate
    raise Mem0Unavailable(f"no mem0 venv at {venv} (run: bash benchmarks/setup_mem0.sh)")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"MEM0_TELEMETRY": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    # graphmem's venv must not leak into mem0's interpreter.
    for key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(key, None)
    return env


def _tail(path: Path, n: int = 25) -> str:
    try:
        lines = [x for x in path.read_text(errors="replace").splitlines() if "Loading weights" not in x]
    except OSError:
        return ""
    return "\n".join(lines[-n:])


class Mem0Worker:
    """A running worker in ``--serve`` mode: ``request(cmd, **args)`` returns its result."""

    def __init__(self, store_dir: str | Path) -> None:
        python = mem0_python()
        self._tmp = tempfile.TemporaryDirectory(prefix="mem0-worker-")
        self.log_path = Path(self._tmp.name) / "worker.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [str(python), str(WORKER), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=_env(),
            cwd=str(WORKER.parent),
        )
        self.info: dict[str, Any] = self.request("init", path=str(store_dir))

    def request(self, cmd: str, **args: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            raise Mem0Unavailable(f"mem0 worker exited during {cmd!r}:\n{_tail(self.log_path)}")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise RuntimeError(f"mem0 worker {cmd!r} failed: {reply.get('error')}\n{_tail(self.log_path)}")
        return reply["result"]

    def close(self) -> dict[str, Any]:
        stats: dict[str, Any] = {}
        if self.proc.poll() is None:
            try:
                stats = self.request("close")
            finally:
                try:
                    self.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        self._log.close()
        self._tmp.cleanup()
        return stats

    def __enter__(self) -> Mem0Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_speed_job(params: dict[str, Any]) -> dict[str, Any]:
    """Run ``_speedkit.run_speed`` for mem0 in a fresh worker process and return its results."""
    python = mem0_python()
    with tempfile.TemporaryDirectory(prefix="mem0-speed-job-") as tmp:
        job, result = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job.write_text(json.dumps(params))
        log_path = Path(tmp) / "worker.log"
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                [str(python), str(WORKER), "--job", str(job), "--result", str(result)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=_env(),
                cwd=str(WORKER.parent),
            )
            assert proc.stdout is not None
            try:
                for line in proc.stdout:  # progress lines live, everything into the log
                    log.write(line)
                    if line.startswith("[speed]"):
                        print(f"  mem0 {line.rstrip()}", file=sys.stderr, flush=True)
                proc.wait()
            finally:
                if proc.poll() is None:  # interrupted: do not leave the worker running
                    proc.terminate()
                    proc.wait()
        if proc.returncode != 0 or not result.exists():
            raise RuntimeError(f"mem0 speed job failed (exit {proc.returncode}):\n{_tail(log_path)}")
        data: dict[str, Any] = json.loads(result.read_text())
        return data
