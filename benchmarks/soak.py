"""Soak: writer and reader processes on one store for a fixed time, then a consistency check.

    python benchmarks/soak.py                          # 10 minutes, embedded store, 4 writers + 4 readers
    python benchmarks/soak.py --seconds 180            # a shorter run
    python benchmarks/soak.py --store neo4j            # NEO4J_URI (NEO4J_USERNAME/PASSWORD), else a temporary LocalNeo4j

Writers add batches of 1-4 messages (infer=False, offline extractor) to a scope they all share
(the same people and pages, so entity resolution and provenance are contended) and to one of
their own, and now and then update or delete one of their own memories. Readers search, list,
ask for relations, who works with whom and an agent context, in random scopes. Everything runs
on loopback or local disk; nothing is downloaded. The hashing embedder is the default so the
run measures the store, not the model (``--embedder sentence_transformers`` for MiniLM).

Reported: operations and errors per kind, p50/p95/max latency, each process's resident memory
after its first operation and at the end, and a final check of the store: the memories present
are exactly those the writers added and did not delete, every deleted one has its DELETE event,
and every invariant of ``tests/reliability/invariants.py`` holds (history, endpoints, mentions,
vector counts, no duplicate entities). Prints a markdown table and writes
``benchmarks/results/soak-<date>[-neo4j].md``. Exits 1 when the check fails.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the invariant checker

from _common import RESULTS_DIR, header_lines, md_table, write_result

PEOPLE = ("Alice", "Bob", "Carol", "Dana", "Eli", "Frank", "Gina", "Hal")
PAGES = ("checkout", "search", "billing", "landing", "settings")
CITIES = ("Oslo", "Rome", "Lima", "Kyiv", "Pune")
SHARED = {"run_id": "soak-shared"}


def log(msg: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rss_kib() -> int:
    """Resident memory now (Linux), else the peak so far."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def open_memory(spec: dict[str, Any]) -> Any:
    from graphmem import Memory

    if spec["store"] == "embedded":
        from graphmem.stores.embedded import EmbeddedStore

        store: Any = EmbeddedStore(spec["path"])
    else:
        from graphmem.stores.neo4j import Neo4jStore

        store = Neo4jStore(spec["uri"], spec.get("username"), spec.get("password"))
    if spec["embedder"] == "hashing":
        from graphmem.embedders.hashing import HashingEmbedder

        return Memory(store=store, embedder=HashingEmbedder(dim=384))
    return Memory({"embedder": {"provider": spec["embedder"]}}, store=store)


def messages(rng: random.Random, actor: str) -> list[dict[str, str]]:
    out = []
    for _ in range(rng.randint(1, 4)):
        a, b = rng.sample(PEOPLE, 2)
        text = rng.choice(
            [f"{a} works with {b}.", f"{a} works on the {rng.choice(PAGES)} page.", f"I work with {b}.",
             f"I live in {rng.choice(CITIES)}.", f"{b} manages {a}.", f"{a} is responsible for the {rng.choice(PAGES)} copy."]
        )  # fmt: skip
        out.append({"role": "user", "name": actor, "content": text})
    return out


# ---- worker processes ----------------------------------------------------------------------------
def worker(role: str, index: int, spec: dict[str, Any], deadline: float, results: Any) -> None:
    """One writer or reader until ``deadline``; puts its report on ``results``."""
    rng = random.Random(f"{role}-{index}")
    lat: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    live: set[str] = set()
    deleted: list[str] = []
    per_minute: Counter[int] = Counter()  # operations done in each minute of the run
    start = deadline - spec["seconds"]
    report: dict[str, Any] = {"role": role, "index": index}
    from graphmem import GraphMemError

    try:
        m = open_memory(spec)
        rss_start = 0
        while time.time() < deadline:
            kind, call = (writer_op if role == "writer" else reader_op)(m, rng, index, live)
            t0 = time.perf_counter()
            try:
                out = call()
            except Exception as e:  # counted and reported: the soak is about how often this happens
                named = isinstance(e, GraphMemError)
                errors[f"{kind}: {type(e).__name__}" + ("" if named else " (not a GraphMemError!)")] += 1
            else:
                if kind == "add":
                    live.update(r["id"] for r in out["results"])
                elif kind == "delete":
                    live.discard(out)
                    deleted.append(out)
            lat.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
            per_minute[int((time.time() - start) // 60)] += 1
            if not rss_start:
                rss_start = rss_kib()
        report.update(rss_start=rss_start, rss_end=rss_kib())
        m.close()
    except Exception:
        report["crash"] = traceback.format_exc()
    report.update(
        lat=lat, errors=dict(errors), live=sorted(live), deleted=deleted, per_minute=dict(per_minute)
    )
    results.put(report)


def probe(spec: dict[str, Any], results: Any) -> None:
    """Resident memory of a fresh process that opens the final store and reads it once: what the
    data itself costs, to tell the workers' growth from a leak."""
    m = open_memory(spec)
    m.get_all(limit=1, **SHARED)
    results.put({"role": "probe", "rss": rss_kib()})
    m.close()


def writer_op(m: Any, rng: random.Random, index: int, live: set[str]) -> tuple[str, Any]:
    actor = f"Writer{index}"
    roll = rng.random()
    if live and roll < 0.08:
        victim = rng.choice(sorted(live))

        def delete() -> str:
            m.delete(victim)
            return victim

        return "delete", delete
    if live and roll < 0.20:
        target = rng.choice(sorted(live))
        return "update", lambda: m.update(target, messages(rng, actor)[0]["content"])
    scope = SHARED if rng.random() < 0.6 else {"user_id": f"soak-user-{index}"}
    batch = messages(rng, actor)
    return "add", lambda: m.add(batch, infer=False, metadata={"writer": index}, **scope)


def reader_op(m: Any, rng: random.Random, index: int, live: set[str]) -> tuple[str, Any]:
    scope = SHARED if rng.random() < 0.6 else {"user_id": f"soak-user-{rng.randrange(4)}"}
    person = rng.choice(PEOPLE)
    ops = [
        (
            "search",
            lambda: m.search(f"who works with {person} on the {rng.choice(PAGES)} page?", limit=10, **scope),
        ),
        ("get_all", lambda: m.get_all(limit=50, **scope)),
        ("relations", lambda: m.relations(entity=person, **scope)),
        ("who_works_with", lambda: m.who_works_with(person, **scope)),
    ]
    if hasattr(m, "context"):
        ops.append(("context", lambda: m.context(f"what is {person} doing?", max_tokens=300, **scope)))
    return rng.choice(ops)


# ---- the run -------------------------------------------------------------------------------------
def neo4j_spec(args: argparse.Namespace) -> tuple[dict[str, Any], Any]:
    """Connection details, and the temporary server to stop afterwards (or None)."""
    uri = args.neo4j_url or os.environ.get("NEO4J_URI")
    if uri:
        user = os.environ.get("NEO4J_USERNAME") or None
        return {
            "store": "neo4j",
            "uri": uri,
            "username": user,
            "password": os.environ.get("NEO4J_PASSWORD"),
        }, None
    from graphmem.neo4j_local import LocalNeo4j

    log("NEO4J_URI not set: starting a temporary LocalNeo4j on loopback")
    server = LocalNeo4j().start()
    return {"store": "neo4j", "uri": server.uri, "username": None, "password": None}, server


def prepare(spec: dict[str, Any], reset: bool) -> None:
    m = open_memory(spec)
    try:
        n = m.store.count_memories()
        if n and not reset:
            raise SystemExit(f"the store already holds {n} memories; use an empty one or pass --reset")
        if n:
            m.reset()
    finally:
        m.close()


def check(spec: dict[str, Any], reports: list[dict[str, Any]]) -> tuple[list[str], dict[str, int]]:
    """Problems with the final store (empty when consistent) and its counts."""
    from reliability.invariants import api_violations, snapshot, violations

    m = open_memory(spec)
    try:
        snap = snapshot(m.store)
        problems = violations(snap) + api_violations(m.store, snap)
    finally:
        m.close()
    expected = {i for r in reports if r["role"] == "writer" for i in r["live"]}
    deleted = {i for r in reports if r["role"] == "writer" for i in r["deleted"]}
    present = set(snap.memories)
    if missing := expected - present:
        problems.append(f"{len(missing)} memories the writers added are missing, e.g. {sorted(missing)[:3]}")
    if extra := present - expected:
        problems.append(f"{len(extra)} memories no writer kept are present, e.g. {sorted(extra)[:3]}")
    events = {e.memory_id for e in snap.history if e.event == "DELETE"}
    if lost := deleted - events:
        problems.append(f"{len(lost)} deleted memories have no DELETE event")
    counts = {
        "memories": len(snap.memories), "entities": len(snap.entities), "relations": len(snap.relations),
        "current relations": sum(1 for r in snap.relations.values() if r.valid_to is None),
        "mentions": len(snap.mentions), "history events": len(snap.history),
    }  # fmt: skip
    return problems, counts


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def render(args: argparse.Namespace, spec: dict[str, Any], reports: list[dict[str, Any]], elapsed: float,
           problems: list[str], counts: dict[str, int], probe_rss: int) -> str:  # fmt: skip
    title = f"Soak: {args.writers} writers + {args.readers} readers, {spec['store']} store"
    lines = header_lines(title)
    where = spec.get("path") or spec.get("uri")
    lines += [f"- store: {spec['store']} at `{where}`; embedder: {spec['embedder']}; ran {elapsed:.0f} s", ""]

    rows = []
    for role in ("writer", "reader"):
        kinds = sorted({k for r in reports if r["role"] == role for k in r["lat"]})
        for kind in kinds:
            lat = [x for r in reports if r["role"] == role for x in r["lat"].get(kind, [])]
            errs = sum(
                n
                for r in reports
                if r["role"] == role
                for k, n in r["errors"].items()
                if k.startswith(kind + ":")
            )
            rows.append([f"{role} {kind}", len(lat), errs, f"{len(lat) / elapsed:.1f}", f"{pct(lat, 50):.1f}",
                         f"{pct(lat, 95):.1f}", f"{max(lat):.1f}" if lat else "-"])  # fmt: skip
    total = sum(int(r[1]) for r in rows)
    total_err = sum(int(r[2]) for r in rows)
    rows.append(["**all**", total, total_err, f"{total / elapsed:.1f}", "", "", ""])
    lines += ["## Operations", ""]
    lines += md_table(["operation", "count", "errors", "per s", "p50 ms", "p95 ms", "max ms"], rows)

    error_kinds: Counter[str] = Counter()
    for r in reports:
        error_kinds.update(r["errors"])
    if error_kinds:
        lines += ["", "Errors by kind: " + ", ".join(f"{k} x{n}" for k, n in error_kinds.most_common())]

    lines += ["", "## Memory (resident set, MiB)", ""]
    mem_rows = []
    for r in sorted(reports, key=lambda r: (r["role"], r["index"])):
        if "rss_start" in r:
            start, end = r["rss_start"] / 1024, r["rss_end"] / 1024
            mem_rows.append(
                [f"{r['role']} {r['index']}", f"{start:.0f}", f"{end:.0f}", f"{end - start:+.0f}"]
            )
        else:
            mem_rows.append([f"{r['role']} {r['index']}", "crashed", "", ""])
    lines += md_table(["process", "after first op", "at end", "growth"], mem_rows)
    if probe_rss:
        lines += [
            "",
            f"A fresh process that opens the final store and reads it once: {probe_rss / 1024:.0f} MiB.",
        ]

    lines += ["", "## Throughput over time (operations per minute, all processes)", ""]
    minutes = sorted({int(k) for r in reports for k in r.get("per_minute", {})})
    for role in ("writer", "reader"):
        per = [sum(r.get("per_minute", {}).get(k, 0) for r in reports if r["role"] == role) for k in minutes]
        lines.append(f"- {role}s: " + ", ".join(str(n) for n in per) + " (the last minute may be partial)")

    lines += ["", "## Final consistency check", ""]
    lines += md_table(["count", "value"], [[k, v] for k, v in counts.items()])
    crashes = [r for r in reports if "crash" in r]
    verdict = "PASS" if not problems and not crashes else "FAIL"
    lines += ["", f"**{verdict}**: " + ("the memories present are exactly those added and not deleted; "
                                         "every invariant holds." if verdict == "PASS" else "")]  # fmt: skip
    lines += [f"- {p}" for p in problems[:30]]
    for r in crashes:
        lines += [f"- {r['role']} {r['index']} crashed:", "```", r["crash"].strip(), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--seconds", type=float, default=600.0, help="how long the writers and readers run (default 600)"
    )
    p.add_argument("--store", choices=("embedded", "neo4j"), default="embedded")
    p.add_argument("--writers", type=int, default=4)
    p.add_argument("--readers", type=int, default=4)
    p.add_argument("--embedder", default="hashing", help="hashing (default) or sentence_transformers")
    p.add_argument("--dir", help="embedded store directory (default: a temporary one, removed afterwards)")
    p.add_argument("--neo4j-url", help="a Neo4j to use (default NEO4J_URI, else a temporary LocalNeo4j)")
    p.add_argument("--reset", action="store_true", help="empty a store that already holds memories")
    p.add_argument("--out", type=Path, default=RESULTS_DIR, help="where the markdown result goes")
    args = p.parse_args(argv)

    server = None
    tmp = None
    if args.store == "embedded":
        if args.dir is None:
            tmp = tempfile.mkdtemp(prefix="graphmem-soak-")
        spec: dict[str, Any] = {"store": "embedded", "path": args.dir or tmp}
    else:
        spec, server = neo4j_spec(args)
    spec["embedder"] = args.embedder
    spec["seconds"] = args.seconds
    try:
        prepare(spec, args.reset)
        ctx = mp.get_context("spawn")  # a clean interpreter per process, as separate programs would be
        results = ctx.Queue()
        start = time.time()
        deadline = start + args.seconds
        procs = [
            ctx.Process(target=worker, args=("writer", i, spec, deadline, results))
            for i in range(args.writers)
        ]
        procs += [
            ctx.Process(target=worker, args=("reader", i, spec, deadline, results))
            for i in range(args.readers)
        ]
        for proc in procs:
            proc.start()
        log(f"{args.writers} writers and {args.readers} readers on {spec['store']} for {args.seconds:.0f} s")
        reports = [results.get(timeout=args.seconds + 600) for _ in procs]
        for proc in procs:
            proc.join(timeout=60)
        elapsed = time.time() - start
        log("checking the store")
        problems, counts = check(spec, reports)
        prober = ctx.Process(target=probe, args=(spec, results))
        prober.start()
        probe_rss = int(results.get(timeout=600)["rss"])
        prober.join(timeout=60)
        text = render(args, spec, reports, elapsed, problems, counts, probe_rss)
        print(text)
        path = write_result(args.out, "soak", text, suffix="" if spec["store"] == "embedded" else "-neo4j")
        log(f"wrote {path}")
        return 0 if "**PASS**" in text else 1
    finally:
        if server is not None:
            server.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
