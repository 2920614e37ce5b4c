"""Add and search speed: graphmem embedded, graphmem on Neo4j and mem0, in one run.

    python benchmarks/speed.py                                   # 1k, 10k, 100k memories, 3 runs
    python benchmarks/speed.py --sizes 1000,10000 --runs 3 --systems graphmem,mem0

For each system, in its own process (so peak memory is its own): a warm-up, then per run a
single-message add rate (one ``add`` call per message) and a 64-message batch add rate
(messages/s), then search p50/p95 over a fixed query set at each corpus size. Medians over runs.
Corpus up to 10k memories is built through ``add`` (mem0: through its own embedder and vector
store, storing what ``add`` stores); above that, the rest is preloaded through the store layer
with precomputed random unit vectors (the table says which). All systems use all-MiniLM-L6-v2
on the CPU and ``infer=False``. The Neo4j system uses ``NEO4J_URI`` (``NEO4J_USERNAME``,
``NEO4J_PASSWORD``) when set, else starts a temporary local server with
``graphmem.neo4j_local.LocalNeo4j``; when neither works it is reported as skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _speedkit
from _common import RESULTS_DIR, Neo4jTarget, header_lines, md_table, package_version, write_result

ALL_SYSTEMS = ("graphmem", "graphmem-neo4j", "mem0")
LABELS = {"graphmem": "graphmem (embedded)", "graphmem-neo4j": "graphmem (Neo4j)", "mem0": "mem0"}
#: issue 2 (embedded store, absolute) and issue 5 (against mem0, same run) targets.
TARGETS = {
    "single": ("single add", ">= 40/s", 40.0, 2.0),
    "batch": ("64-message batch add", ">= 150 msg/s", 150.0, 5.0),
}


def log(msg: str) -> None:
    print(f"[speed] {msg}", file=sys.stderr, flush=True)


# ---- child process: one graphmem system --------------------------------------------------------


class GraphmemAdapter:
    """graphmem through its public API; ``preload`` writes through the store layer."""

    fill_method = "graphmem add, 64 messages per call"

    def __init__(self, config: dict[str, Any], prefix: str) -> None:
        from graphmem import Memory

        self.memory = Memory.from_config(config)
        self.prefix = prefix  # unique run ids, so a shared Neo4j database is not disturbed
        self.runs: set[str] = set()
        self.discard_before_corpus: set[str] = set()

    def _run(self, run_id: str) -> str:
        self.runs.add(run_id)
        return self.prefix + run_id

    def add(self, messages: list[dict[str, str]], run_id: str) -> None:
        self.memory.add(messages, run_id=self._run(run_id), infer=False)

    def flush(self) -> None:
        """Wait for background indexing (search does too): adds are timed until searchable."""
        self.memory.flush()

    def search(self, query: str, run_id: str, limit: int) -> int:
        return len(self.memory.search(query, run_id=self._run(run_id), limit=limit)["results"])

    def preload(self, items: list[tuple[str, str]], run_id: str, seed: int) -> None:
        import numpy as np

        from graphmem.models import MemoryRecord, new_id, text_hash, utcnow
        from graphmem.stores.base import Store, WriteBatch

        store = getattr(self.memory, "store", None)
        if not isinstance(store, Store):
            raise RuntimeError("graphmem.Memory exposes no .store: cannot preload through the store layer")
        dim = int(self.memory.embedder.dim)
        rng = np.random.default_rng(seed)
        run = self._run(run_id)
        for start in range(0, len(items), 2000):
            chunk = items[start : start + 2000]
            vecs = rng.standard_normal((len(chunk), dim)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            now = utcnow()
            records = [
                MemoryRecord(
                    id=new_id(),
                    memory=text,
                    hash=text_hash(text),
                    user_id=None,
                    agent_id=None,
                    run_id=run,
                    actor_id=actor,
                    role="user",
                    metadata={},
                    memory_type=None,
                    created_at=now,
                    updated_at=now,
                    embedding=vec,
                )
                for (text, actor), vec in zip(chunk, vecs, strict=True)
            ]
            store.apply(WriteBatch(memories_add=records))

    def before_corpus(self) -> None:
        """Delete the runs named in ``discard_before_corpus`` (the server warm-up's) and let the
        server settle, before the search corpus is built."""
        for run in sorted(self.discard_before_corpus):
            self.memory.delete_all(run_id=self.prefix + run)
            self.runs.discard(run)
        self.memory.flush()

    def cleanup(self) -> None:
        for run in self.runs:
            try:
                self.memory.delete_all(run_id=self.prefix + run)
            except Exception as e:  # best effort on a shared database
                log(f"cleanup of {self.prefix + run} failed: {e}")
        self.runs.clear()

    def close(self) -> None:
        close = getattr(self.memory, "close", None)
        if callable(close):
            close()


#: Adds and searches a fresh Neo4j server gets before the protocol's own warm-up (see warm_server).
NEO4J_WARMUP = {"batches": 64, "singles": 64, "searches": 400}


def warm_server(adapter: GraphmemAdapter, params: dict[str, Any]) -> None:
    """Bring a just-started Neo4j server to its steady state before anything is measured.

    A server JVM compiles its hot paths (Cypher runtime, Lucene, Bolt) over its first thousands of
    queries, which would measure the benchmark's server start rather than graphmem. On this
    2-core machine a fresh server added 64-message batches at ~100 msg/s over its first 1,000
    messages and ~180 after 5,000; its search p50 at 10k fell from ~49 ms over its first 200
    searches to ~37 after 800, and the CPU per vector index query from 7.4 ms to 2.5. Long-running
    servers are warm. The texts (numbered far past the protocol's) and the run are the benchmark's
    own, deleted once the adds are measured.
    """
    seed = int(params.get("seed", 7))
    n = NEO4J_WARMUP["batches"] * 64 + NEO4J_WARMUP["singles"]
    msgs = _speedkit.generate_messages(n, seed=seed, start=10_000_000)
    for i in range(NEO4J_WARMUP["batches"]):
        adapter.add(msgs[i * 64 : (i + 1) * 64], "server-warmup")
    for m in msgs[NEO4J_WARMUP["batches"] * 64 :]:
        adapter.add([m], "server-warmup-single")
    # Marked, so no warm-up query is one the protocol times (graphmem caches query embeddings).
    for q in _speedkit.generate_queries(NEO4J_WARMUP["searches"], seed=seed + 99):
        adapter.search(f"{q} (server warm-up)", "server-warmup", 10)
    # Deleted once the adds are measured (GraphmemAdapter.before_corpus), so the searches timed at
    # 10k search a database of about 10k memories.
    adapter.discard_before_corpus = {"server-warmup", "server-warmup-single"}


def child_main(system: str, params_path: str, result_path: str) -> int:
    import time

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    params = json.loads(Path(params_path).read_text())
    with tempfile.TemporaryDirectory(prefix="speed-graphmem-") as tmp:
        if system == "graphmem":
            config: dict[str, Any] = {"graph_store": {"provider": "embedded", "config": {"path": tmp}}}
        else:
            neo = params["neo4j"]
            cfg = {"url": neo["url"]}
            cfg.update({k: neo[k] for k in ("username", "password") if neo.get(k)})
            config = {"graph_store": {"provider": "neo4j", "config": cfg}}
        t0 = time.perf_counter()
        adapter = GraphmemAdapter(config, prefix=f"speed-{uuid.uuid4().hex[:8]}-")
        init_seconds = time.perf_counter() - t0
        try:
            if system == "graphmem-neo4j":
                warm_server(adapter, params)
            result = _speedkit.run_speed(adapter, params, log=lambda m: log(f"{system}: {m}"))
        finally:
            if system != "graphmem":
                adapter.cleanup()
            adapter.close()
    result["init_seconds"] = init_seconds
    Path(result_path).write_text(json.dumps(result))
    return 0


def run_graphmem_child(system: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run the protocol for one graphmem system in a child process; progress lines pass through."""
    with tempfile.TemporaryDirectory(prefix="speed-job-") as tmp:
        p, r = Path(tmp) / "params.json", Path(tmp) / "result.json"
        p.write_text(json.dumps(params))
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--_child",
            system,
            "--_params",
            str(p),
            "--_result",
            str(r),
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        tail: list[str] = []
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                if line.startswith("[speed]"):
                    print(line.rstrip(), file=sys.stderr, flush=True)
                elif "Loading weights" not in line:
                    tail = [*tail, line.rstrip()][-40:]
            proc.wait()
        finally:
            if proc.poll() is None:  # interrupted: do not leave the child running
                proc.terminate()
                proc.wait()
        if proc.returncode != 0 or not r.exists():
            raise RuntimeError(f"{system} child failed (exit {proc.returncode}):\n" + "\n".join(tail))
        data: dict[str, Any] = json.loads(r.read_text())
        return data


# ---- parent ---------------------------------------------------------------------------------


def _median_or_none(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _f(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _ratio(num: float | None, den: float | None) -> str:
    return "-" if not num or not den else f"{num / den:.2f}x"


def render(
    results: dict[str, dict[str, Any]], skipped: dict[str, str], args: argparse.Namespace, notes: list[str]
) -> str:
    lines = header_lines("Speed: add and search")
    lines += [
        f"- systems: {', '.join(LABELS[s] for s in args.systems)}; runs {args.runs} (medians); sizes "
        f"{', '.join(f'{s:,}' for s in args.sizes)}; {args.queries} queries, limit 10, "
        f"after {args.search_warmup} untimed searches at each size; no query is asked twice in a run (graphmem "
        "caches query embeddings)",
        f"- versions: graphmem {package_version('graphmem')}"
        + (
            f", mem0ai {results['mem0']['info']['mem0_version']} ({results['mem0']['info']['vector_store']})"
            if "mem0" in results
            else ""
        ),
        "- all systems embed with all-MiniLM-L6-v2 on the CPU, `infer=False`; single add = one message "
        "per call, batch = 64 messages per call, on a fresh run; searches run inside one run_id holding "
        "the whole corpus",
        "- graphmem runs MiniLM through its own embedder (direct forward, `dtype=auto`: bfloat16 weights "
        "where the CPU has native bf16, vectors within cosine 0.9999 of float32; `threads=auto`), with "
        "background indexing (the default): an add returns before its memory and fact vectors are "
        "stored, so graphmem's add rates are timed until `Memory.flush()` returns, i.e. until every "
        "added memory is searchable by vector; mem0 through sentence-transformers' `encode` in float32",
        f"- corpus up to {args.api_fill_max:,} memories: built as the table's 'filled by' says; "
        "above it: precomputed "
        "random unit vectors (with realistic texts) written through the store layer (graphmem `Store.apply`, "
        "mem0 `vector_store.insert`), so those memories have no entities or relations",
        "- peak RSS is each system's own process (model included); a Neo4j server's JVM is not counted",
        "- threads: "
        + (
            f"OMP_NUM_THREADS={args.threads} for every system"
            if args.threads
            else f"each system's default (torch: {os.cpu_count()} intra-op threads; graphmem: 1 thread "
            "for small jobs, all cores for batches on an idle machine)"
        )
        + "; 'load avg' is the 1-minute load average when the system's measurement started and ended",
    ]
    lines += [f"- {n}" for n in notes]
    lines += [f"- skipped {LABELS[s]}: {why}" for s, why in skipped.items()]

    lines += ["", "## Add throughput", ""]
    rows = []
    for s, r in results.items():
        rows.append(
            [
                LABELS[s],
                _f(r["single_add_per_s"]),
                _f(r["batch_add_msg_per_s"]),
                _f(r["peak_rss_mb"], 0),
                _f(r.get("init_seconds")),
                r.get("load", "-"),
            ]
        )
    lines += md_table(
        ["system", "single add (msg/s)", "64-msg batch (msg/s)", "peak RSS (MiB)", "startup s", "load avg"],
        rows,
    )

    lines += ["", "## Search latency", ""]
    rows = []
    for s, r in results.items():
        for x in r["search"]:
            how = (
                x["fill_method"]
                if not x["preloaded"]
                else f"{x['size'] - x['preloaded']:,} as before"
                f" + {x['preloaded']:,} preloaded (random vectors)"
            )
            rows.append([LABELS[s], f"{x['size']:,}", _f(x["p50_ms"]), _f(x["p95_ms"]), how])
    lines += md_table(["system", "memories", "p50 ms", "p95 ms", "filled by"], rows, align="lrrrl")

    lines += ["", "## Against the targets", ""]
    m = results.get("mem0")
    rows = []
    for s in ("graphmem", "graphmem-neo4j"):
        g = results.get(s)
        if not g:
            continue
        for key, field in (("single", "single_add_per_s"), ("batch", "batch_add_msg_per_s")):
            name, abs_txt, abs_val, rel_val = TARGETS[key]
            gv, mv = g[field], (m[field] if m else None)
            ok_rel = "-" if not mv else ("yes" if gv / mv >= rel_val else "no")
            abs_t = f"{abs_txt} ({'yes' if gv >= abs_val else 'no'})" if s == "graphmem" else "-"
            rows.append(
                [LABELS[s], name, _f(gv), _f(mv), _ratio(gv, mv), f">= {rel_val:g}x ({ok_rel})", abs_t]
            )
        for x in g["search"]:
            mx = next((y for y in (m or {}).get("search", []) if y["size"] == x["size"]), None)
            mp = mx["p50_ms"] if mx else None
            rel = (
                "-"
                if mp is None or x["size"] != 10_000
                else f">= 1x ({'yes' if mp / x['p50_ms'] >= 1 else 'no'})"
            )
            abs_t = "-"
            if s == "graphmem" and x["size"] == 10_000:
                abs_t = f"<= 25 ms ({'yes' if x['p50_ms'] <= 25 else 'no'})"
            elif s == "graphmem" and x["size"] == 100_000:
                abs_t = f"<= 60 ms ({'yes' if x['p50_ms'] <= 60 else 'no'})"
            rows.append(
                [
                    LABELS[s],
                    f"search p50 at {x['size']:,}",
                    f"{_f(x['p50_ms'])} ms",
                    f"{_f(mp)} ms" if mp else "-",
                    _ratio(mp, x["p50_ms"]),
                    rel,
                    abs_t,
                ]
            )
    lines += md_table(
        [
            "system",
            "measure",
            "graphmem",
            "mem0",
            "graphmem vs mem0 (higher = graphmem better)",
            "issue 5 target",
            "issue 2/5 absolute target",
        ],
        rows,
        align="llrrrll",
    )
    lines += [
        "",
        "Ratios: rates are graphmem / mem0; latencies are mem0 / graphmem. "
        "Targets are reported, never asserted.",
    ]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--sizes", default="1000,10000,100000", help="corpus sizes for search (default: %(default)s)"
    )
    ap.add_argument(
        "--runs", type=int, default=3, help="repetitions; medians are reported (default: %(default)s)"
    )
    ap.add_argument(
        "--systems", default=",".join(ALL_SYSTEMS), help="comma list of " + ", ".join(ALL_SYSTEMS)
    )
    ap.add_argument(
        "--queries", type=int, default=50, help="search queries per run and size (default: %(default)s)"
    )
    ap.add_argument(
        "--search-warmup",
        type=int,
        default=300,
        help="untimed searches at each size before the timed ones (default: %(default)s)",
    )
    ap.add_argument(
        "--single-n", type=int, default=30, help="single-message adds per run (default: %(default)s)"
    )
    ap.add_argument(
        "--batch-calls", type=int, default=3, help="64-message adds per run (default: %(default)s)"
    )
    ap.add_argument(
        "--api-fill-max", type=int, default=10_000, help="largest corpus built without preloading"
    )
    ap.add_argument(
        "--mem0-fill-via-add", action="store_true", help="build mem0's corpus with add() too (slow)"
    )
    ap.add_argument(
        "--threads", type=int, default=0, help="OMP_NUM_THREADS for every system (default: their own)"
    )
    ap.add_argument(
        "--out", type=Path, default=RESULTS_DIR, help="directory for the markdown (default: %(default)s)"
    )
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    ap.add_argument("--_params", help=argparse.SUPPRESS)
    ap.add_argument("--_result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = sorted(set(args.systems) - set(ALL_SYSTEMS))
    if unknown:
        ap.error(f"unknown systems {unknown}; choose from {', '.join(ALL_SYSTEMS)}")
    if args.runs < 1 or not args.sizes:
        ap.error("--runs must be >= 1 and --sizes non-empty")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM exits through the context managers, so a temporary Neo4j server is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args._child:
        return child_main(args._child, args._params, args._result)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    params: dict[str, Any] = {
        "sizes": args.sizes,
        "runs": args.runs,
        "queries": args.queries,
        "search_warmup": args.search_warmup,
        "single_n": args.single_n,
        "batch_calls": args.batch_calls,
        "batch_size": 64,
        "limit": 10,
        "api_fill_max": args.api_fill_max,
        "seed": 7,
    }
    results: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    notes: list[str] = []
    if args.threads:
        # Every system's process starts with the same intra-op thread count (torch reads it).
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    for system in args.systems:
        log(f"{LABELS[system]} ...")
        load_start = os.getloadavg()[0]
        try:
            if system == "mem0":
                from _mem0_client import Mem0Unavailable, run_speed_job

                try:
                    results[system] = run_speed_job({**params, "bulk_fill": not args.mem0_fill_via_add})
                except Mem0Unavailable as e:
                    skipped[system] = str(e)
            elif system == "graphmem":
                try:
                    import graphmem  # noqa: F401
                except ImportError as e:
                    skipped[system] = f"graphmem is not importable ({e})"
                    continue
                results[system] = run_graphmem_child(system, params)
            else:
                with Neo4jTarget(log) as neo:
                    if neo.skip:
                        skipped[system] = neo.skip
                        continue
                    notes.append(
                        f"Neo4j: {neo.where}; before measuring, the server is warmed with "
                        f"{NEO4J_WARMUP['batches']} 64-message adds, {NEO4J_WARMUP['singles']} single adds and "
                        f"{NEO4J_WARMUP['searches']} searches in a run of its own, deleted before the search "
                        "corpus is built (a fresh JVM runs its first adds and searches up to twice as slowly)"
                    )
                    results[system] = run_graphmem_child(system, {**params, "neo4j": neo.conn})
        except Exception as e:
            skipped[system] = (
                f"failed: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}"
            )
            log(f"{LABELS[system]} failed:\n{e}")
        if system in results:
            results[system]["load"] = f"{load_start:.1f} -> {os.getloadavg()[0]:.1f}"
        if system in skipped:
            log(f"skipped {LABELS[system]}: {skipped[system]}")
    text = render(results, skipped, args, notes)
    print(text)
    suffix = "" if set(args.systems) == set(ALL_SYSTEMS) else "-" + "-".join(args.systems)
    suffix += f"-threads{args.threads}" if args.threads else ""
    path = write_result(args.out, "speed", text, suffix)
    log(f"written {path}")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
