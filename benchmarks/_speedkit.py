"""The speed protocol, shared by every system under test (standard library only).

``speed.py`` runs it in a child process on graphmem's side, and ``_mem0_worker.py`` runs it inside
mem0's own virtual environment, so each system is timed by the same code on the same messages
and queries. A system plugs in through an adapter with three methods:

* ``add(messages, run_id)``: one add call (``infer=False``) with a list of chat messages;
* ``search(query, run_id, limit)``: one search within the run;
* ``preload(items, run_id, seed)``: bulk-insert ``(text, actor)`` items with precomputed random
  unit vectors through the system's store layer, bypassing embedding and extraction. Used only
  above ``api_fill_max`` memories (the 100k size) to keep a run short.

Optionally ``fill(messages, run_id)``: how the search corpus up to ``api_fill_max`` is built when
the system's ``add`` is too slow to call 10,000 times in a benchmark run; it must store what
``add`` would store (same embeddings, same payloads). Without it the corpus is built with ``add``
in 64-message calls. ``fill_method`` (a string attribute) says which path was used. Optionally
``before_corpus()``: called once after the add measurements, before the corpus is built (a server
system deletes its own warm-up data there, so the searches at a size search about that many).

Nothing here asserts timings: it measures and reports.
"""

from __future__ import annotations

import math
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

NAMES = (
    "Alice",
    "Bob",
    "Carol",
    "David",
    "Erin",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
)
TASKS = (
    "landing page",
    "hero section copy",
    "billing migration",
    "Q3 roadmap",
    "onboarding emails",
    "pricing page",
    "search relevance report",
    "mobile release",
    "SSO integration",
    "data export",
    "customer interview notes",
    "design system tokens",
    "status dashboard",
    "API rate limits",
    "incident postmortem",
    "quarterly board deck",
    "checkout flow",
    "accessibility audit",
    "release notes",
    "partner integration",
    "churn analysis",
    "support macros",
    "load tests",
    "analytics events",
    "invoice templates",
    "team offsite plan",
    "security review",
    "docs site",
)
COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises")
CITIES = ("Berlin", "Paris", "Lisbon", "Toronto", "Osaka", "Nairobi", "Austin", "Warsaw", "Dublin")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "next week", "the end of the sprint")
STATUSES = ("blocked", "in review", "done", "half way there", "waiting on legal", "ready to ship")

TEMPLATES = (
    "I'll take the {task}.",
    "{other} and I are working on the {task} this sprint.",
    "Finished the first draft of the {task}, PR #{n} is up.",
    "Can someone review the {task} before {day}?",
    "The {task} is {status}.",
    "I moved the {task} deadline to {day}.",
    "{other} is handling the {task} now, ping them with questions.",
    "Quick update: the {task} is {status}, ticket {n} has the details.",
    "I work at {company} on the {task} team.",
    "I'm based in {city} now, so expect replies in that timezone.",
    "Let's pair on the {task} on {day}, {other}.",
    "I reported the bug in the {task} as issue {n}.",
    "{other} reviewed my changes to the {task} and left {k} comments.",
    "We decided to use Postgres for the {task}.",
    "Reminder: the {task} demo is on {day} at {hour} o'clock.",
    "I prefer async updates for the {task}, a short note in the channel works.",
    "Blocked on the {task} until {other} merges PR #{n}.",
    "Shipped the {task} to staging, build {n}.",
    "Sounds good, thanks {other}!",
    "What time is the standup on {day}?",
)
QUERY_TEMPLATES = (
    "who is working on the {task}?",
    "what is the status of the {task}?",
    "when is the {task} due?",
    "what did {name} say about the {task}?",
    "who reviewed the {task}?",
    "where is {name} based?",
    "which PR is blocking the {task}?",
    "where does {name} work?",
)


def generate_messages(n: int, seed: int = 0, start: int = 0) -> list[dict[str, str]]:
    """``n`` realistic chat messages, ``{"role", "name", "content"}``, deterministic for a seed.

    ``start`` offsets the running numbers (PR and ticket ids) so successive calls do not repeat
    texts: a store deduplicating identical texts must not make one system's corpus smaller.
    """
    rng = random.Random(f"{seed}:{start}")
    out = []
    for i in range(start, start + n):
        name = rng.choice(NAMES)
        other = rng.choice([x for x in NAMES if x != name])
        text = rng.choice(TEMPLATES).format(
            task=rng.choice(TASKS),
            other=other,
            n=1000 + i,
            k=rng.randint(2, 12),
            day=rng.choice(DAYS),
            status=rng.choice(STATUSES),
            company=rng.choice(COMPANIES),
            city=rng.choice(CITIES),
            hour=rng.randint(9, 17),
        )
        if str(1000 + i) not in text:
            text = f"{text} (thread {1000 + i})"
        out.append({"role": "user", "name": name, "content": text})
    return out


def _query_space() -> int:
    """How many distinct queries the templates can make (each template: the product of the sizes
    of the fields it uses). ``generate_queries`` draws until it has ``n``: more would never end."""
    sizes = {"{task}": len(TASKS), "{name}": len(NAMES)}
    return sum(math.prod(n for field, n in sizes.items() if field in t) for t in QUERY_TEMPLATES)


def generate_queries(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct queries (a repeat could be answered from an embedding cache). Calls with
    different seeds may share queries: draw every query of one protocol from a single call."""
    if n > _query_space():
        raise ValueError(f"only {_query_space()} distinct queries exist, {n} asked")
    rng = random.Random(f"q{seed}")
    out: dict[str, None] = {}
    while len(out) < n:
        out[rng.choice(QUERY_TEMPLATES).format(task=rng.choice(TASKS), name=rng.choice(NAMES))] = None
    return list(out)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Adapter(Protocol):
    def add(self, messages: list[dict[str, str]], run_id: str) -> None: ...

    def search(self, query: str, run_id: str, limit: int) -> int: ...

    def preload(self, items: list[tuple[str, str]], run_id: str, seed: int) -> None: ...


def _log(msg: str) -> None:
    print(f"[speed] {msg}", file=sys.stderr, flush=True)


def run_speed(adapter: Adapter, params: dict[str, Any], log: Callable[[str], None] = _log) -> dict[str, Any]:
    """Run the whole protocol on one system and return plain JSON-able results.

    ``params``: ``sizes`` (ascending memory counts), ``runs`` (repetitions; medians are taken),
    ``single_n`` (single-message add calls per run), ``batch_calls`` (64-message calls per run),
    ``batch_size``, ``queries`` (search queries per run), ``limit``, ``api_fill_max`` (largest
    size filled through the public add; above it the rest is preloaded), ``search_warmup``
    (untimed searches at each size before the timed ones), ``seed``.
    """
    runs = int(params.get("runs", 3))
    single_n = int(params.get("single_n", 30))
    batch_calls = int(params.get("batch_calls", 3))
    batch_size = int(params.get("batch_size", 64))
    n_queries = int(params.get("queries", 50))
    limit = int(params.get("limit", 10))
    api_fill_max = int(params.get("api_fill_max", 10_000))
    search_warmup = int(params.get("search_warmup", 50))
    seed = int(params.get("seed", 7))
    sizes = sorted(int(s) for s in params.get("sizes", [1000, 10_000]))
    counter = 0  # running message number, so no text repeats across the whole run

    def messages(n: int) -> list[dict[str, str]]:
        nonlocal counter
        out = generate_messages(n, seed=seed, start=counter)
        counter += n
        return out

    # Every query of the protocol, warm-ups included, is used once: graphmem caches query
    # embeddings, and a repeated query would be timed on the cache. The untimed searches at each
    # size are queries of their own, marked with the size, so they may be many.
    pool = iter(generate_queries(5 + len(sizes) * runs * n_queries, seed=seed))
    warmup_pool = generate_queries(min(search_warmup, _query_space()), seed=seed + 1)

    def queries(n: int) -> list[str]:
        return [next(pool) for _ in range(n)]

    # Warm-up, not measured: model load, first writes, query planning and JIT (a Neo4j server).
    for m in messages(3):
        adapter.add([m], "warmup")
    adapter.add(messages(16), "warmup")
    for q in queries(5):
        adapter.search(q, "warmup", limit)

    # A system that indexes in the background is timed until its last add is searchable.
    flush: Callable[[], None] = getattr(adapter, "flush", None) or (lambda: None)
    single_rates, batch_rates = [], []
    for r in range(runs):
        msgs = messages(single_n)
        t0 = time.perf_counter()
        for m in msgs:
            adapter.add([m], f"single-{r}")
        flush()
        single_rates.append(single_n / (time.perf_counter() - t0))
        batches = [messages(batch_size) for _ in range(batch_calls)]
        t0 = time.perf_counter()
        for b in batches:
            adapter.add(b, f"batch-{r}")
        flush()
        batch_rates.append(batch_size * batch_calls / (time.perf_counter() - t0))
        log(f"run {r + 1}/{runs}: single {single_rates[-1]:.1f}/s, batch {batch_rates[-1]:.1f} msg/s")

    before_corpus: Callable[[], None] = getattr(adapter, "before_corpus", None) or (lambda: None)
    before_corpus()
    search: list[dict[str, Any]] = []
    have = 0
    for size in sizes:
        t0 = time.perf_counter()
        api_target = min(size, api_fill_max)
        fill = getattr(adapter, "fill", None) or adapter.add
        while have < api_target:
            n = min(batch_size, api_target - have)
            fill(messages(n), "corpus")
            have += n
        api_seconds = time.perf_counter() - t0
        preloaded = 0
        if have < size:
            items = [(m["content"], m["name"]) for m in messages(size - have)]
            t1 = time.perf_counter()
            adapter.preload(items, "corpus", seed + size)
            log(f"preloaded {len(items)} memories in {time.perf_counter() - t1:.1f}s")
            preloaded = len(items)
            have = size
        fill_seconds = time.perf_counter() - t0
        # Untimed searches first, as every system's first searches after a bulk fill pay one-off
        # costs (a server compiling the paths a larger index takes, opening its new segments);
        # a long-running service answers at the steady state the timed runs measure.
        for i in range(search_warmup):
            adapter.search(f"{warmup_pool[i % len(warmup_pool)]} (warm-up {size}.{i})", "corpus", limit)
        p50s, p95s, hits = [], [], 0
        for _ in range(runs):
            lat = []
            for q in queries(n_queries):
                t1 = time.perf_counter()
                hits += adapter.search(q, "corpus", limit)
                lat.append((time.perf_counter() - t1) * 1000.0)
            p50s.append(percentile(lat, 50))
            p95s.append(percentile(lat, 95))
        search.append(
            {
                "size": size,
                "p50_ms": statistics.median(p50s),
                "p95_ms": statistics.median(p95s),
                "p50_runs": p50s,
                "preloaded": preloaded,
                "fill_seconds": fill_seconds,
                "api_fill_seconds": api_seconds,
                "fill_method": getattr(adapter, "fill_method", "add, 64 messages per call"),
                "mean_hits": hits / (runs * n_queries),
            }
        )
        log(f"{size} memories: search p50 {search[-1]['p50_ms']:.1f} ms, p95 {search[-1]['p95_ms']:.1f} ms")

    return {
        "single_add_per_s": statistics.median(single_rates),
        "batch_add_msg_per_s": statistics.median(batch_rates),
        "single_runs": single_rates,
        "batch_runs": batch_rates,
        "search": search,
        "peak_rss_mb": peak_rss_mb(),
        "params": {
            "runs": runs,
            "single_n": single_n,
            "batch_calls": batch_calls,
            "batch_size": batch_size,
            "queries": n_queries,
            "limit": limit,
            "api_fill_max": api_fill_max,
            "search_warmup": search_warmup,
            "sizes": sizes,
        },
    }
