"""Helpers shared by the benchmark scripts: machine facts, markdown tables, result files."""

from __future__ import annotations

import contextlib
import os
import platform
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"


def machine_info() -> dict[str, str]:
    """Cores, RAM, CPU model, OS and Python: enough to tell two result files' machines apart."""
    cpu = platform.processor() or platform.machine()
    ram = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "cores": f"{usable} usable ({os.cpu_count()} online)",
        "ram": ram,
        "cpu": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


#: Taken when a benchmark script imports this module, i.e. when it starts.
START_LOAD = load_average()


def command_line() -> str:
    """The command as typed, relative to the repository root when possible."""
    argv = list(sys.argv)
    with contextlib.suppress(ValueError):
        argv[0] = str(Path(argv[0]).resolve().relative_to(REPO_ROOT))
    return "python " + " ".join(shlex.quote(a) for a in argv)


def header_lines(title: str) -> list[str]:
    m = machine_info()
    return [
        f"# {title}",
        "",
        f"- date: {date.today().isoformat()}",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, {m['os']}",
        f"- python: {m['python']}",
        f"- load average at start (1/5/15 min): {START_LOAD} (other work on the machine skews timings)",
        f"- command: `{command_line()}`",
    ]


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str | None = None) -> list[str]:
    """A GitHub markdown table; ``align`` is one letter per column (l/r), default: first l, rest r."""
    align = align or ("l" + "r" * (len(headers) - 1))
    sep = ["---" if a == "l" else "---:" for a in align]
    out = ["| " + " | ".join(headers) + " |", "| " + " | ".join(sep) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def write_result(out_dir: Path, stem: str, text: str, suffix: str = "") -> Path:
    """Write ``<out_dir>/<stem>-<YYYY-MM-DD><suffix>.md`` (a later run the same day replaces it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}-{date.today().isoformat()}{suffix}.md"
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return path


def package_version(name: str) -> str:
    import importlib.metadata as md

    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return "not installed"


class Neo4jTarget:
    """``NEO4J_URI`` when set, else a temporary ``LocalNeo4j``; ``skip`` holds why not."""

    def __init__(self, log: Callable[[str], None] = print) -> None:
        self.log = log
        self.server: Any = None
        self.conn: dict[str, str] | None = None
        self.skip: str | None = None
        self.where = ""

    def __enter__(self) -> Neo4jTarget:
        uri = os.environ.get("NEO4J_URI")
        if uri:
            self.conn = {
                "url": uri,
                "username": os.environ.get("NEO4J_USERNAME") or os.environ.get("NEO4J_USER") or "",
                "password": os.environ.get("NEO4J_PASSWORD") or "",
            }
            self.where = f"NEO4J_URI={uri}"
            return self
        try:
            from graphmem.neo4j_local import LocalNeo4j
        except ImportError as e:
            self.skip = f"NEO4J_URI not set and graphmem.neo4j_local is not importable ({e})"
            return self
        try:
            self.log("starting a temporary local Neo4j (graphmem.neo4j_local.LocalNeo4j)")
            self.server = LocalNeo4j().start()
            self.conn = {"url": self.server.uri}
            self.where = f"temporary LocalNeo4j at {self.server.uri}"
        except Exception as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            self.skip = f"NEO4J_URI not set and LocalNeo4j could not start: {first}"
            self.server = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.close()
