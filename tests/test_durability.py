"""One process adds and exits; a new process opening the same path sees everything."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

WRITER = textwrap.dedent(
    """
    import json, sys
    from graphmem import Memory
    m = Memory.from_config({"graph_store": {"provider": "embedded", "config": {"path": sys.argv[1]}},
                            "embedder": {"provider": "hashing"}})
    out = m.add([{"role": "user", "name": "Alice", "content": "Bob and I are building the new landing page."},
                 {"role": "user", "name": "Carol", "content": "I work at Acme."}], run_id="r")
    mid = out["results"][1]["id"]
    m.update(mid, "I work at Globex.")
    print(json.dumps({"ids": [r["id"] for r in out["results"]], "relations": len(out["relations"]["added"])}))
    """
)
READER = textwrap.dedent(
    """
    import json, sys
    from graphmem import Memory
    m = Memory.from_config({"graph_store": {"provider": "embedded", "config": {"path": sys.argv[1]}},
                            "embedder": {"provider": "hashing"}})
    ids = json.loads(sys.argv[2])
    print(json.dumps({
        "memories": [m.get(i)["memory"] for i in ids],
        "relations": sorted((r["source"], r["relationship"], r["destination"], r["actor_id"])
                            for r in m.relations(run_id="r")),
        "history": [[e["event"] for e in m.history(i)] for i in ids],
        "search": m.search("Globex", run_id="r", limit=1)["results"][0]["id"],
    }))
    """
)


def run(code: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_new_process_sees_every_memory_relation_and_event(tmp_path: Path) -> None:
    wrote = run(WRITER, str(tmp_path))
    seen = run(READER, str(tmp_path), json.dumps(wrote["ids"]))
    assert seen["memories"] == ["Bob and I are building the new landing page.", "I work at Globex."]
    assert ["Carol", "WORKS_AT", "Globex", "Carol"] in seen["relations"]
    assert ["Alice", "WORKS_ON", "new landing page", "Alice"] in seen["relations"]
    assert not any(r[2] == "Acme" for r in seen["relations"])
    assert seen["history"] == [["ADD"], ["ADD", "UPDATE"]]
    assert seen["search"] == wrote["ids"][1]
