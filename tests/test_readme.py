"""The README's Python blocks run as written, in order, in one namespace (offline)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!--[^>]*-->\s*)?```python\n(.*?)```", re.S)


def python_blocks() -> list[tuple[bool, str]]:
    return [
        (bool(m.group(1) and "not run" in m.group(1)), m.group(2)) for m in BLOCK.finditer(README.read_text())
    ]


def test_readme_has_the_five_line_example_first() -> None:
    skipped, first = python_blocks()[0]
    lines = [ln for ln in first.splitlines() if ln.strip() and not ln.startswith("#")]
    assert not skipped and len(lines) <= 5 and "Memory()" in first


@pytest.mark.slow
def test_readme_python_blocks_run(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {"__name__": "__readme__"}
    ran = 0
    for skipped, code in python_blocks():
        if skipped:
            continue
        exec(compile(code, str(README), "exec"), namespace)
        ran += 1
    assert ran >= 2
    out = capsys.readouterr().out
    assert "WORKS_WITH" in out or "WORKS_ON" in out  # the example prints relations
    m = namespace["m"]
    rels = m.relations(user_id="u1", relationship="LIVES_IN")  # type: ignore[attr-defined]
    assert [r["destination"] for r in rels] == ["Berlin"]
