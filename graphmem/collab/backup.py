"""Backup and restore: ``Memory.export`` and ``Memory.import_`` (format: :mod:`._export_format`).

Export reads a scope (or the whole store) through the Store contract: memories, entities,
relations with their validity (closed ones too), mentions, the history of every exported memory,
and project roles, with the vectors the store holds (``Store.vectors``), so a restore searches
exactly as the source did. A record stored without a vector (none today; possible in stores
written by other tools) gets one computed with the memory's embedder from the text the pipelines
embed (a memory's speaker and text, an entity's name, a relation's fact); the header says how
many (``embeddings``).

Import validates the whole file before touching the store (:func:`._export_format.parse`),
compares it with what the store holds, and writes the difference in one ``WriteBatch``: all of it
or nothing. Ids are kept, so importing the same file again writes nothing.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from graphmem.collab import _export_format as fmt
from graphmem.collab.health import embedder_info
from graphmem.collab.roles import MEMBER_KIND
from graphmem.errors import ConstraintViolationError, DimensionMismatchError, ImportFormatError
from graphmem.models import Entity, MemoryRecord, Relation, Scope, utcnow, vector_text
from graphmem.pipeline.add import embed_texts
from graphmem.stores.base import VectorKind, WriteBatch

if TYPE_CHECKING:
    from graphmem.memory import Memory

log = logging.getLogger(__name__)
#: Texts per embedding call while exporting: bounded memory for large stores.
_EMBED_CHUNK = 256


def _vectors(memory: Memory, texts: list[str]) -> np.ndarray:
    parts = [
        embed_texts(memory.embedder, texts[i : i + _EMBED_CHUNK]) for i in range(0, len(texts), _EMBED_CHUNK)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, memory.embedder.dim), dtype=np.float32)


def export(memory: Memory, target: str | Path | IO[str], scope: Scope) -> dict[str, Any]:
    """Write ``scope`` (every record for an empty scope) to ``target`` as a version-1 export.

    A path is written to a temporary file beside it and renamed into place, so an interrupted
    export never leaves a file that looks complete.

    Returns:
        ``{"path", "counts": {record kind: n}, "sha256"}`` (``path`` is None for a file object).
    """
    store = memory.store
    mems = store.list_memories(scope, limit=None, newest_first=False)
    ents = store.list_entities(scope)
    # oldest first, so an import inserts in the original order and ties keep their order
    rels = list(reversed(store.relations(scope, include_invalid=True)))
    mem_ids, ent_ids = {m.id for m in mems}, {e.id for e in ents}
    mentions = [
        (mid, eid) for mid, found in store.mentions(list(mem_ids)).items() for eid in found if eid in ent_ids
    ]
    kept = [r for r in rels if r.source_id in ent_ids and r.target_id in ent_ids]
    if len(kept) < len(rels):
        log.warning(
            "export: %d relations join entities outside the scope and are left out", len(rels) - len(kept)
        )
    rel_ids = {r.id for r in kept}
    for r in kept:  # a stale reference would make the file fail its own import
        r.memory_ids = [m for m in r.memory_ids if m in mem_ids]
        if r.invalidated_by is not None and r.invalidated_by not in rel_ids:
            r.invalidated_by = None
    history = [h for m in mems for h in store.history(m.id)]
    docs = _role_docs(memory, scope, {m.run_id for m in mems if m.run_id})

    recomputed = 0

    def stored(kind: VectorKind, ids: list[str], texts: list[str]) -> np.ndarray:
        nonlocal recomputed
        have = store.vectors(kind, ids)
        missing = [i for i, rid in enumerate(ids) if rid not in have]
        fresh = _vectors(memory, [texts[i] for i in missing])
        recomputed += len(missing)
        out = np.zeros((len(ids), memory.embedder.dim), dtype=np.float32)
        for i, rid in enumerate(ids):
            if rid in have:
                out[i] = have[rid]
        for j, i in enumerate(missing):
            out[i] = fresh[j]
        return out

    mem_vecs = stored("memory", [m.id for m in mems], [vector_text(m) for m in mems])
    ent_vecs = stored("entity", [e.id for e in ents], [vector_text(e) for e in ents])
    rel_vecs = stored("relation", [r.id for r in kept], [vector_text(r) for r in kept])
    header = {
        "format": fmt.FORMAT, "version": fmt.VERSION, "created_at": utcnow(), "graphmem": _version(),
        "store": store.name, "scope": scope.to_dict(), "vectors": fmt.VECTORS,
        "embeddings": {"stored": len(mems) + len(ents) + len(kept) - recomputed, "recomputed": recomputed},
        "embedder": embedder_info(memory.embedder),
    }  # fmt: skip
    lines = [fmt.dumps(header)]
    lines += [fmt.record_line("memory", m, v) for m, v in zip(mems, mem_vecs, strict=True)]
    lines += [fmt.record_line("entity", e, v) for e, v in zip(ents, ent_vecs, strict=True)]
    lines += [fmt.record_line("mention", {"memory_id": m, "entity_id": e}) for m, e in sorted(mentions)]
    lines += [fmt.record_line("relation", r, v) for r, v in zip(kept, rel_vecs, strict=True)]
    lines += [fmt.record_line("history", h) for h in history]
    lines += [fmt.record_line("doc", {"kind": k, "key": key, "value": v}) for k, key, v in docs]
    counts = {"memory": len(mems), "entity": len(ents), "mention": len(mentions), "relation": len(kept),
              "history": len(history), "doc": len(docs)}  # fmt: skip
    checksum = fmt.digest(lines)
    lines.append(fmt.dumps({"record": "end", "counts": counts, "sha256": checksum}))
    path = _write(target, lines)
    return {"path": path, "counts": counts, "sha256": checksum}


def _role_docs(memory: Memory, scope: Scope, runs: set[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """Memberships of the projects the export covers: the scope's run, else the runs it holds
    (all of them for a whole-store export). Other document kinds (API keys, webhooks) stay."""
    if scope.run_id is not None:
        runs = {scope.run_id}
    whole = not scope.items()
    docs = memory.store.get_docs(MEMBER_KIND)
    return [(MEMBER_KIND, k, v) for k, v in sorted(docs.items()) if whole or v.get("run_id") in runs]


def _write(target: str | Path | IO[str], lines: list[str]) -> str | None:
    if not isinstance(target, (str, Path)):
        for line in lines:
            target.write(line + "\n")
        return None
    path = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as f:
            for line in lines:
                f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(path)


def _version() -> str:
    from graphmem import __version__

    return __version__


# ---- import ------------------------------------------------------------------------------------
def import_(memory: Memory, source: str | Path | IO[str], *, reembed: bool = False) -> dict[str, Any]:
    """Validate ``source`` completely, then write what the store lacks in one transaction.

    Returns:
        ``{"records": {kind: n in the file}, "added": {kind: n}, "updated": {kind: n}}``.

    Raises:
        ImportFormatError: the file is not a valid version-1 export; nothing was written.
        DimensionMismatchError: the file's vectors do not fit this memory's embedder (pass
            ``reembed=True`` to recompute them with it).
        ConstraintViolationError: an id in the file exists in the store as a different record.
    """
    parsed = fmt.parse(_read(source))
    dim = parsed.header["embedder"]["dim"]
    if reembed:
        _reembed(memory, parsed)
    elif dim != memory.embedder.dim:
        raise DimensionMismatchError(
            f"the export holds {dim}-dimensional vectors; this memory's embedder makes {memory.embedder.dim} "
            "(import with reembed=True to recompute them)"
        )
    with memory._write_lock:
        batch, added, updated = _diff(memory, parsed)
        if not batch.is_empty():
            memory.store.apply(batch)
    return {"records": parsed.counts(), "added": added, "updated": updated}


def _read(source: str | Path | IO[str]) -> str:
    if isinstance(source, (str, Path)):
        try:
            raw = Path(source).read_bytes()
        except OSError as e:
            raise ImportFormatError(f"cannot read {source}: {e}") from e
    else:
        data = source.read()
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as e:  # exports are pure ASCII: anything else was changed
        raise ImportFormatError(f"the file is corrupted: a non-ASCII byte at offset {e.start}") from e


def _reembed(memory: Memory, p: fmt.Parsed) -> None:
    groups: tuple[Sequence[MemoryRecord | Entity | Relation], ...] = (p.memories, p.entities, p.relations)
    for records in groups:
        for record, v in zip(records, _vectors(memory, [vector_text(x) for x in records]), strict=True):
            record.embedding = v


def _scopes(records: Iterable[MemoryRecord | Entity | Relation]) -> set[Scope]:
    return {r.scope for r in records}


def _diff(memory: Memory, p: fmt.Parsed) -> tuple[WriteBatch, dict[str, int], dict[str, int]]:
    """The batch that makes the store hold the file: new records added, changed ones updated."""
    store = memory.store
    batch = WriteBatch()
    added = dict.fromkeys(fmt.KINDS, 0)
    updated = dict.fromkeys(fmt.KINDS, 0)

    have_mem = {m.id: m for m in store.get_memories([m.id for m in p.memories])}
    for m in p.memories:
        old = have_mem.get(m.id)
        if old is None:
            batch.memories_add.append(m)
            added["memory"] += 1
            continue
        _same_identity(
            "memory", m.id, old, m, ("user_id", "agent_id", "run_id", "actor_id", "role", "created_at")
        )
        if (old.memory, old.hash, old.metadata, old.updated_at) != (
            m.memory,
            m.hash,
            m.metadata,
            m.updated_at,
        ):
            batch.memories_update.append(m)
            updated["memory"] += 1

    have_ent = {e.id: e for s in _scopes(p.entities) for e in store.list_entities(s)}
    for e in p.entities:
        old_e = have_ent.get(e.id)
        if old_e is None:
            added["entity"] += 1
        else:
            _same_identity("entity", e.id, old_e, e, ("key", "type", "user_id", "agent_id", "run_id"))
            if sorted(old_e.aliases) == sorted(e.aliases):
                continue
            updated["entity"] += 1
        batch.entities_upsert.append(e)

    have_mentions = store.mentions([m.id for m in p.memories])
    for mid, eid in p.mentions:
        if eid not in have_mentions.get(mid, []):
            batch.mentions_add.append((mid, eid))
            added["mention"] += 1

    have_rel = {
        r.id: r for s in _scopes(p.relations) for r in store.relations(s, exact=True, include_invalid=True)
    }
    for r in p.relations:
        old_r = have_rel.get(r.id)
        if old_r is None:
            batch.relations_add.append(r)
            added["relation"] += 1
            continue
        _same_identity(
            "relation", r.id, old_r, r, ("type", "source_id", "target_id", "valid_from", "created_at")
        )
        mutable = ("fact", "memory_ids", "actor_id", "valid_to", "invalidated_by", "confidence")
        if any(getattr(old_r, f) != getattr(r, f) for f in mutable):
            batch.relations_update.append(r)
            updated["relation"] += 1

    have_events = {h.id for mid in {h.memory_id for h in p.history} for h in store.history(mid)}
    for h in p.history:
        if h.id not in have_events:
            batch.history.append(h)
            added["history"] += 1

    kinds = {k for k, _, _ in p.docs}
    have_docs = {
        (k, key): v
        for k in kinds
        for key, v in store.get_docs(k, [d[1] for d in p.docs if d[0] == k]).items()
    }
    for kind, key, value in p.docs:
        if (kind, key) not in have_docs:
            added["doc"] += 1
        elif have_docs[(kind, key)] == value:
            continue
        else:
            updated["doc"] += 1
        batch.docs_put.append((kind, key, value))
    return batch, added, updated


def _same_identity(kind: str, rid: str, old: Any, new: Any, fields: tuple[str, ...]) -> None:
    diff = [f for f in fields if getattr(old, f) != getattr(new, f)]
    if diff:
        raise ConstraintViolationError(
            f"{kind} {rid!r} already exists in this store with a different {', '.join(diff)}; nothing was imported"
        )
