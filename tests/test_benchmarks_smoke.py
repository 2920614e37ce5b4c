"""Smoke runs of the benchmark scripts on tiny inputs: they run, and their tables make sense.

Each script runs as a subprocess, the way ``make bench`` runs it, on a LoCoMo-format file written
into the test's tmp dir (the real data is never needed) and on corpora of tens of memories.
Timings are never asserted. mem0 runs only when its venv exists (``bash benchmarks/setup_mem0.sh``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(BENCH))

import locomo  # noqa: E402

# Read before the autouse fixture clears GRAPHMEM_* variables.
MEM0_VENV = Path(os.environ.get("GRAPHMEM_MEM0_VENV") or Path.home() / ".cache" / "graphmem" / "mem0-venv")
HAVE_MEM0 = (MEM0_VENV / "bin" / "python").exists()
needs_mem0 = pytest.mark.skipif(
    not HAVE_MEM0, reason=f"no mem0 venv at {MEM0_VENV} (bash benchmarks/setup_mem0.sh)"
)

try:
    from graphmem import Memory  # noqa: F401

    GRAPHMEM_ERROR = ""
except Exception as e:  # the facade may not exist yet
    GRAPHMEM_ERROR = f"graphmem.Memory not importable: {e}"
needs_graphmem = pytest.mark.skipif(bool(GRAPHMEM_ERROR), reason=GRAPHMEM_ERROR)

BASELINES = [
    f"{system} ({variant})"
    for system in ("bm25", "dense", "bm25+dense rrf k=60", "bm25+dense rrf k=10")
    for variant in ("speaker: text", "text")
]
METRIC_COLUMNS = ["R@5", "R@10", "R@20", "MRR"]


# ---- a tiny LoCoMo-format file ----------------------------------------------------------------


def _qa(question: str, evidence: list[str], category: int) -> dict:
    return {"question": question, "answer": "-", "evidence": evidence, "category": category}


def _conversation(sample_id: str, a: str, b: str, pet: str, hobby: str, place: str) -> dict:
    s1 = [
        (a, f"Hey {b}, I finally adopted a puppy named {pet}!"),
        (b, f"Congrats! I started {hobby} classes last week."),
        (a, f"{pet} loves the beach near {place}."),
        (b, f"My {hobby} teacher says I am getting better every week."),
        (a, "Work has been busy but I am happy."),
    ]
    s2 = [
        (a, "I signed up for a marathon in October."),
        (b, f"I sold my first {hobby} piece at the farmers market."),
        (a, "Training for the marathon is tough in this heat."),
        (b, "I am thinking about a trip to Japan next spring."),
        (a, "Let's catch up again soon."),
    ]
    turns = lambda n, rows: [  # noqa: E731
        {"speaker": sp, "dia_id": f"D{n}:{i}", "text": text} for i, (sp, text) in enumerate(rows, start=1)
    ]
    return {
        "sample_id": sample_id,
        "conversation": {
            "speaker_a": a,
            "speaker_b": b,
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": turns(1, s1),
            "session_2_date_time": "10:15 am on 20 June, 2023",
            "session_2": turns(2, s2),
        },
        "qa": [
            _qa(f"What is the name of {a}'s puppy?", ["D1:1"], 4),
            _qa(f"When did {b} sell the first {hobby} piece?", ["D2:2"], 2),
            _qa(f"What activities do {a} and {b} do?", ["D1:2; D2:1"], 1),
            _qa(f"Where does {pet} like to go?", ["D1:03"], 4),
            _qa(f"Would {b} enjoy visiting Kyoto?", ["D2:4"], 3),
            {
                "question": f"What did {a} say about her cat?",
                "adversarial_answer": "-",
                "evidence": ["D1:1"],
                "category": 5,
            },
            _qa("A question whose evidence is broken", ["D9:9"], 4),
        ],
        "observation": {
            "session_1_observation": {
                a: [
                    [f"{a} adopted a puppy named {pet}.", "D1:1"],
                    [f"{pet} enjoys the beach near {place}.", "D1:3"],
                ],
                b: [[f"{b} takes {hobby} classes.", "D1:2"]],
            },
            "session_2_observation": {
                a: [[f"{a} is training for an October marathon.", ["D2:1", "D2:3"]]],
                b: [[f"{b} plans a trip to Japan.", "D2:4"]],
            },
        },
        "session_summary": {},
        "event_summary": {},
    }


@pytest.fixture
def tiny_locomo(tmp_path: Path) -> Path:
    data = [
        _conversation("conv-a", "Alice", "Bob", "Biscuit", "pottery", "Santa Cruz"),
        _conversation("conv-b", "Carol", "Dan", "Pepper", "woodworking", "Lake Tahoe"),
    ]
    path = tmp_path / "tiny_locomo.json"
    path.write_text(json.dumps(data))
    return path


# ---- helpers ------------------------------------------------------------------------------------


def _run(
    args: list[str], tmp_path: Path, timeout: int = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRAPHMEM_MEM0_VENV=str(MEM0_VENV),
        **(env or {}),
    )
    proc = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-5000:]}"
    )
    return proc


def _tables(markdown: str) -> dict[str, list[dict[str, str]]]:
    """Section title -> rows of the first table under it, as dicts keyed by header."""
    out: dict[str, list[dict[str, str]]] = {}
    section = ""
    for block in re.split(r"\n(?=## )", markdown):
        if block.startswith("## "):
            section = block.splitlines()[0][3:].strip()
        lines = [x for x in block.splitlines() if x.startswith("|")]
        if len(lines) >= 2:
            cells = [[c.strip() for c in x.strip("|").split("|")] for x in lines]
            out[section] = [dict(zip(cells[0], row, strict=True)) for row in cells[2:]]
    return out


def _result_file(out: Path, prefix: str) -> str:
    files = sorted(out.glob(f"{prefix}-*.md"))
    assert len(files) == 1, files
    return files[0].read_text()


def _check_metrics(row: dict[str, str]) -> list[float]:
    vals = [float(row[c]) for c in METRIC_COLUMNS]
    assert all(0.0 <= v <= 1.0 for v in vals), row
    assert vals[0] <= vals[1] <= vals[2], f"recall must not drop as k grows: {row}"
    return vals


# ---- pure functions -------------------------------------------------------------------------------


def test_evidence_repair_splits_strips_zeros_and_drops_the_rest() -> None:
    valid = {"D8:6", "D9:17", "D30:5", "D1:1"}
    ev, repaired, dropped = locomo.repair_evidence(
        ["D1:1", "D8:6; D9:17", "D30:05", "D:11:26", "D", "D2:2", "D1:1"], valid
    )
    assert ev == ["D1:1", "D8:6", "D9:17", "D30:5"]
    assert repaired == [("D8:6; D9:17", "D8:6"), ("D8:6; D9:17", "D9:17"), ("D30:05", "D30:5")]
    assert dropped == ["D:11:26", "D", "D2:2"]
    # a leading zero is only repaired when the repaired turn exists
    assert locomo.repair_evidence(["D31:05"], valid) == ([], [], ["D31:05"])


def test_scores_count_each_evidence_turn_once_and_mrr_uses_the_first_hit() -> None:
    ranked = [{"D1:1"}, {"D1:2", "D1:3"}] + [{f"D5:{i}"} for i in range(3, 30)] + [{"D1:9"}]
    s = locomo.score_question(ranked, ["D1:3", "D1:9", "D1:3"])
    assert s["MRR"] == pytest.approx(1 / 2)
    assert s["R@5"] == s["R@10"] == s["R@20"] == pytest.approx(1 / 2)  # D1:9 sits beyond rank 20
    empty = locomo.score_question([], ["D1:1"])
    assert empty == {"R@5": 0.0, "R@10": 0.0, "R@20": 0.0, "MRR": 0.0}


def test_loader_parses_sessions_and_links_observations(tiny_locomo: Path) -> None:
    convs, report = locomo.load_locomo(tiny_locomo)
    assert [c.conv_id for c in convs] == ["conv-a", "conv-b"]
    a = convs[0]
    assert [t.dia_id for t in a.turns][:3] == ["D1:1", "D1:2", "D1:3"]
    assert a.sessions[1][1].isoformat() == "2023-06-20T10:15:00+00:00"
    assert a.turns[0].speaker == "Alice" and a.turns[0].text.startswith("Hey Bob")
    assert [q.evidence for q in a.questions][2:4] == [["D1:2", "D2:1"], ["D1:3"]]
    assert len(a.questions) == 6  # the one with only broken evidence is left out
    assert (len(report.repaired), len(report.dropped), report.questions_without_evidence) == (6, 2, 2)
    assert a.observations[3].dia_ids == ["D2:1", "D2:3"]
    assert a.observations[3].time == a.sessions[1][1]


# ---- locomo.py ----------------------------------------------------------------------------------


def test_locomo_baselines_smoke(tiny_locomo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _run(
        [
            "benchmarks/locomo.py",
            "--data",
            str(tiny_locomo),
            "--systems",
            "bm25,dense,rrf",
            "--out",
            str(out),
        ],
        tmp_path,
    )
    assert "6 repaired, 2 dropped" in proc.stderr
    md = _result_file(out, "locomo")
    assert proc.stdout.strip() == md.strip()
    tables = _tables(md)
    overall = tables["Overall, categories 1-4"]
    assert [r["system"] for r in overall] == BASELINES
    assert set(overall[0]) >= {"system", "n", *METRIC_COLUMNS, "cat-5 R@10"}
    for row in overall:
        assert row["n"] == "10"  # 2 conversations x 5 questions in categories 1-4
        # 10 turns per conversation: every ranked list covers all turns, so R@20 must be 1
        assert _check_metrics(row)[2] == 1.0
    bm25 = overall[0]
    assert float(bm25["MRR"]) > 0.5, "BM25 should find these keyword-matched questions near the top"
    per_cat = tables["Per category"]
    cats = {r["category"] for r in per_cat if r["system"] == BASELINES[0]}
    assert cats == {
        "1 multi-hop",
        "2 temporal",
        "3 open-domain",
        "4 single-hop",
        "5 adversarial",
        "overall 1-4",
    }
    for row in per_cat:
        _check_metrics(row)


def test_locomo_limits_and_unknown_systems(tiny_locomo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(
        [
            "benchmarks/locomo.py",
            "--data",
            str(tiny_locomo),
            "--systems",
            "bm25",
            "--limit-conversations",
            "1",
            "--limit-questions",
            "2",
            "--out",
            str(out),
        ],
        tmp_path,
    )
    overall = _tables(_result_file(out, "locomo"))["Overall, categories 1-4"]
    assert [(r["system"], r["n"]) for r in overall] == [("bm25 (speaker: text)", "2"), ("bm25 (text)", "2")]
    bad = subprocess.run(
        [sys.executable, "benchmarks/locomo.py", "--systems", "bm25,elastic"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "elastic" in bad.stderr


@needs_mem0
def test_locomo_mem0_smoke(tiny_locomo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(
        ["benchmarks/locomo.py", "--data", str(tiny_locomo), "--systems", "mem0", "--out", str(out)], tmp_path
    )
    md = _result_file(out, "locomo")
    (row,) = _tables(md)["Overall, categories 1-4"]
    assert row["system"] == "mem0" and row["n"] == "10"
    assert _check_metrics(row)[2] == 1.0  # mem0 returns every turn of a 10-turn conversation
    assert "LLM calls 0, network connections 0" in md


@needs_graphmem
def test_locomo_graphmem_turns_and_ablations_smoke(tiny_locomo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(
        [
            "benchmarks/locomo.py",
            "--data",
            str(tiny_locomo),
            "--systems",
            "graphmem",
            "--ablate",
            "all",
            "--out",
            str(out),
        ],
        tmp_path,
    )
    overall = _tables(_result_file(out, "locomo"))["Overall, categories 1-4"]
    assert [r["system"] for r in overall] == ["graphmem"] + [f"graphmem -{s}" for s in locomo.SIGNALS]
    for row in overall:
        assert row["n"] == "10"
        _check_metrics(row)
    assert float(overall[0]["R@20"]) > 0.5


@needs_graphmem
@pytest.mark.neo4j
def test_locomo_graphmem_on_neo4j_smoke(tiny_locomo: Path, tmp_path: Path, neo4j_server: Any) -> None:
    """The same engine through the Neo4j store (the session's server, via NEO4J_URI), beside the
    embedded one; its runs are deleted afterwards."""
    out = tmp_path / "out"
    env = {"NEO4J_URI": neo4j_server.uri}
    if neo4j_server.username:
        env.update(NEO4J_USERNAME=neo4j_server.username, NEO4J_PASSWORD=neo4j_server.password or "")
    data = ["--data", str(tiny_locomo), "--out", str(out)]
    _run(["benchmarks/locomo.py", "--systems", "graphmem,graphmem-neo4j", *data], tmp_path, env=env)
    md = _result_file(out, "locomo")
    overall = {r["system"]: r for r in _tables(md)["Overall, categories 1-4"]}
    assert set(overall) == {"graphmem", "graphmem (Neo4j)"}
    for row in overall.values():
        assert row["n"] == "10"
        _check_metrics(row)
    assert float(overall["graphmem (Neo4j)"]["R@20"]) > 0.5
    assert f"Neo4j: NEO4J_URI={neo4j_server.uri}" in md
    with neo4j_server.store() as store, store._driver.session() as session:
        left = session.run(
            "MATCH (m:Memory) WHERE m.run_id STARTS WITH 'locomo-' RETURN count(m) AS n"
        ).single()
        assert left is not None and left["n"] == 0  # the benchmark's runs are gone


@needs_graphmem
def test_locomo_graphmem_observations_smoke(tiny_locomo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(
        [
            "benchmarks/locomo.py",
            "--data",
            str(tiny_locomo),
            "--systems",
            "bm25,graphmem",
            "--mode",
            "observations",
            "--out",
            str(out),
        ],
        tmp_path,
    )
    md = _result_file(out, "locomo")
    overall = _tables(md)["Overall, categories 1-4"]
    assert [r["system"] for r in overall] == [
        "bm25 (speaker: text)",
        "bm25 (text)",
        "graphmem (turns+observations)",
    ]
    _check_metrics(overall[-1])
    assert "- mode: observations" in md


# ---- speed.py -----------------------------------------------------------------------------------

SPEED_TINY = [
    "--sizes",
    "40,90",
    "--runs",
    "1",
    "--queries",
    "3",
    "--single-n",
    "2",
    "--batch-calls",
    "1",
    "--api-fill-max",
    "40",
    "--search-warmup",
    "2",
]


def test_speed_protocol_never_times_a_repeated_query() -> None:
    """graphmem caches query embeddings: a query asked twice would be timed on the cache."""
    import _speedkit

    class Recorder:
        def __init__(self) -> None:
            self.queries: list[str] = []

        def add(self, messages: list[dict[str, str]], run_id: str) -> None:
            pass

        def search(self, query: str, run_id: str, limit: int) -> int:
            self.queries.append(query)
            return 0

        def preload(self, items: list[tuple[str, str]], run_id: str, seed: int) -> None:
            pass

    rec = Recorder()
    params = {"sizes": [10, 20, 30], "runs": 3, "queries": 50, "search_warmup": 50, "single_n": 1,
              "batch_calls": 1, "api_fill_max": 10}  # fmt: skip
    _speedkit.run_speed(rec, params, log=lambda _: None)
    assert len(rec.queries) == 5 + 3 * (50 + 3 * 50)
    assert len(set(rec.queries)) == len(rec.queries)
    timed = [q for q in rec.queries if "(warm-up" not in q]
    assert len(timed) == 5 + 3 * 3 * 50  # the untimed searches take nothing from the timed queries
    with pytest.raises(ValueError, match="distinct queries"):
        _speedkit.generate_queries(_speedkit._query_space() + 1)
    # The whole space can be drawn (a miscount above the true space made such a call loop forever).
    assert len(set(_speedkit.generate_queries(_speedkit._query_space()))) == _speedkit._query_space()


def _check_speed(md: str, label: str) -> None:
    tables = _tables(md)
    (add,) = [r for r in tables["Add throughput"] if r["system"] == label]
    assert float(add["single add (msg/s)"]) > 0 and float(add["64-msg batch (msg/s)"]) > 0
    assert float(add["peak RSS (MiB)"]) > 10
    assert "->" in add["load avg"]
    search = [r for r in tables["Search latency"] if r["system"] == label]
    assert [r["memories"] for r in search] == ["40", "90"]
    for r in search:
        assert 0 < float(r["p50 ms"]) <= float(r["p95 ms"])
    assert "preloaded" in search[1]["filled by"] and "preloaded" not in search[0]["filled by"]


@needs_graphmem
def test_speed_graphmem_smoke(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(["benchmarks/speed.py", "--systems", "graphmem", *SPEED_TINY, "--out", str(out)], tmp_path)
    md = _result_file(out, "speed")
    _check_speed(md, "graphmem (embedded)")
    measures = [r["measure"] for r in _tables(md)["Against the targets"]]
    assert measures[:2] == ["single add", "64-message batch add"]


@needs_mem0
def test_speed_mem0_smoke(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(["benchmarks/speed.py", "--systems", "mem0", *SPEED_TINY, "--out", str(out)], tmp_path)
    _check_speed(_result_file(out, "speed"), "mem0")
