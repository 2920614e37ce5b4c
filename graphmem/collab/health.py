"""``Memory.health()`` and ``graphmem doctor``: is each component working, and how fast.

Each check runs the cheapest real operation of its component and reports ``ok``, the time it
took and, on failure, the error's class and message (graphmem's errors never carry secrets).
The search indexes are checked by querying them (a vector and a keyword query on a scope that
holds nothing), which fails on a store whose index is missing or broken. The LLM is described,
not called, unless ``probe_llm=True``: a health check should not spend tokens by default.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from graphmem.collab.roles import MEMBER_KIND
from graphmem.models import Scope

if TYPE_CHECKING:
    from graphmem.memory import Memory

#: The scope the index probes read: normally empty, and only ever read, so harmless if not.
_PROBE_SCOPE = Scope(run_id="__graphmem_health__")


def embedder_info(embedder: Any) -> dict[str, Any]:
    """Name, model and dimension of an embedder, for reports and export headers."""
    info: dict[str, Any] = {"name": getattr(embedder, "name", type(embedder).__name__), "dim": embedder.dim}
    if isinstance(getattr(embedder, "model", None), str):
        info["model"] = embedder.model
    return info


def _timed(fn: Callable[[], Any]) -> tuple[dict[str, Any], Any]:
    start = time.perf_counter()
    try:
        value = fn()
    except Exception as e:  # a health check reports every failure instead of raising it
        return {"ok": False, "ms": _ms(start), "error": f"{type(e).__name__}: {e}"}, None
    return {"ok": True, "ms": _ms(start)}, value


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def health(memory: Memory, *, probe_llm: bool = False) -> dict[str, Any]:
    """The health report (see :meth:`graphmem.memory.Memory.health`)."""
    store = memory.store
    report: dict[str, Any] = {}

    check, count = _timed(lambda: store.count_memories())
    report["store"] = {"name": store.name, "reachable": check["ok"], **check}

    check, vectors = _timed(lambda: memory.embedder.embed(["graphmem health check"]))
    emb = {**embedder_info(memory.embedder), **check}
    if check["ok"]:
        arr = np.asarray(vectors, dtype=np.float32)
        if arr.shape != (1, memory.embedder.dim):
            emb.update(
                ok=False, error=f"the embedder returned shape {arr.shape}, not (1, {memory.embedder.dim})"
            )
        elif not np.isfinite(arr).all():
            emb.update(ok=False, error="the embedder returned NaN or infinite values")
    report["embedder"] = emb

    indexes: dict[str, Any] = {}
    if report["store"]["reachable"]:
        probe = np.zeros(memory.embedder.dim, dtype=np.float32)
        probe[0] = 1.0
        indexes["vector"], _ = _timed(lambda: store.vector_memories(_PROBE_SCOPE, None, probe, 1))
        indexes["keyword"], _ = _timed(lambda: store.keyword_memories(_PROBE_SCOPE, None, "health", 1))
        state = getattr(store, "index_state", None)  # optional: a store that can say more does
        indexes["state"] = state() if callable(state) else "not reported by this store"
    report["indexes"] = indexes

    report["llm"] = _llm(memory, probe_llm)
    if report["store"]["reachable"]:
        docs = store.get_docs(MEMBER_KIND)
        report["counts"] = {"memories": count, "projects": len({d.get("run_id") for d in docs.values()})}
    parts = [report["store"], report["embedder"], *(v for v in indexes.values() if isinstance(v, dict))]
    if report["llm"].get("probe"):
        parts.append(report["llm"]["probe"])
    report["ok"] = all(p.get("ok") for p in parts)
    return report


def _llm(memory: Memory, probe: bool) -> dict[str, Any]:
    llm = memory.llm
    if llm is None:
        return {"configured": False}
    info: dict[str, Any] = {"configured": True, "provider": getattr(llm, "provider", None),
                            "model": getattr(llm, "model", None), "base_url": _safe_url(getattr(llm, "base_url", None))}  # fmt: skip
    if probe:
        info["probe"], _ = _timed(lambda: llm.complete_text([{"role": "user", "content": "Reply with OK."}]))
    return info


def _safe_url(url: Any) -> str | None:
    """The URL without any user:password part (some users put credentials in base URLs)."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def render(report: dict[str, Any]) -> str:
    """The report as ``graphmem doctor`` prints it."""

    def mark(c: dict[str, Any]) -> str:
        return "ok  " if c.get("ok") else "FAIL"

    s, e, idx, llm = report["store"], report["embedder"], report["indexes"], report["llm"]
    lines = [f"{mark(s)} store     {s['name']} ({s['ms']} ms)" + (f": {s['error']}" if not s["ok"] else "")]
    model = f" {e['model']}" if "model" in e else ""
    lines.append(
        f"{mark(e)} embedder  {e['name']}{model}, dim {e['dim']} ({e['ms']} ms)"
        + (f": {e['error']}" if not e["ok"] else "")
    )
    for name in ("vector", "keyword"):
        if name in idx:
            c = idx[name]
            lines.append(
                f"{mark(c)} {name:<9} index queried ({c['ms']} ms)"
                + (f": {c['error']}" if not c["ok"] else "")
            )
    if "state" in idx:
        lines.append(f"     indexes   {idx['state']}")
    if llm["configured"]:
        lines.append(
            f"     llm       {llm.get('provider') or ''} {llm.get('model')} at {llm.get('base_url')}".replace(
                "  ", " "
            )
        )
        if "probe" in llm:
            p = llm["probe"]
            lines.append(f"{mark(p)} llm call  ({p['ms']} ms)" + (f": {p['error']}" if not p["ok"] else ""))
    else:
        lines.append("     llm       not configured (offline extractor; ask and LLM summaries are off)")
    if "counts" in report:
        c = report["counts"]
        lines.append(f"     counts    {c['memories']} memories, {c['projects']} projects")
    lines.append("healthy" if report["ok"] else "UNHEALTHY")
    return "\n".join(lines)
