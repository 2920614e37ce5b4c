"""Each CLI command, run through ``main`` as a user would type it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from graphmem.cli import main


@pytest.mark.slow
def test_demo_runs_offline_and_shows_attributed_relations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for heading in ("Timeline", "Memories by actor", "Who works with whom", "Search: "):
        assert heading in out
    assert "Bob RESPONSIBLE_FOR hero section copy  (said by Bob)" in out
    assert "Alice WORKS_WITH Bob  (said by Alice)" in out or "Bob WORKS_WITH Alice  (said by Alice)" in out
    assert "Carol WORKS_AT Acme  (said by Carol)" in out
    # running it again replaces the demo run instead of doubling it
    assert main(["demo", "--dir", str(tmp_path)]) == 0
    again = capsys.readouterr().out
    assert again.count("I'll take the hero section copy.") == out.count("I'll take the hero section copy.")


def test_add_search_relations_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPHMEM_HOME", str(tmp_path))
    from graphmem import Memory

    # the CLI builds its own Memory; use the hashing embedder to keep this test quick
    monkeypatch.setattr(
        "graphmem.cli._memory",
        lambda path: Memory.from_config(
            {
                "graph_store": {"provider": "embedded", "config": {"path": str(tmp_path)}},
                "embedder": {"provider": "hashing"},
            }
        ),
    )
    assert main(["add", "I work at Acme.", "--name", "Carol", "--run-id", "t"]) == 0
    assert '"actor_id": "Carol"' in capsys.readouterr().out
    assert main(["search", "where does Carol work?", "--run-id", "t"]) == 0
    assert "[Carol] I work at Acme." in capsys.readouterr().out
    assert main(["relations", "--run-id", "t", "--entity", "Carol"]) == 0
    assert "Carol WORKS_AT Acme  (said by Carol)" in capsys.readouterr().out


def test_errors_are_reported_not_raised(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["search", "anything", "--dir", str(tmp_path)]) == 2
    assert "ScopeRequiredError" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("graphmem")), "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "demo" in done.stdout
