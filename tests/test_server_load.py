"""``benchmarks/load.py`` on a short, small run: it starts a server, loses nothing, writes its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_load_run_reports_and_loses_nothing(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--seconds", "3", "--clients", "3", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr  # exit 1 means errors or lost memories
    written = next(tmp_path.glob("load-*.md")).read_text()
    assert "| add |" in written and "| search |" in written
    acknowledged, counted, stored, lost, unexpected = (
        written.strip().splitlines()[-1].strip("| ").split(" | ")
    )
    assert int(acknowledged) > 0 and acknowledged == counted == stored and lost == unexpected == "0"
