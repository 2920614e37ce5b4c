"""The graphmem export format, version 1: encoding records as JSON lines and validating a file.

::

    {"format": "graphmem-export", "version": 1, "created_at", "graphmem", "store", "scope",
     "embedder": {"name", "dim"}, "vectors": "float32-le-base64"}        <- header, line 1
    {"record": "memory", "id", "memory", ..., "embedding": "<base64>"}   <- one record per line:
    {"record": "entity", ...}  {"record": "relation", ...}                   memory, entity,
    {"record": "mention", "memory_id", "entity_id"}                          mention, relation,
    {"record": "history", ...}  {"record": "doc", "kind", "key", "value"}   history, doc
    {"record": "end", "counts": {"memory": n, ...}, "sha256": "<hex>"}     <- last line

``sha256`` is the digest of every byte before the end line (newlines included), so a truncated
file (no end line, or a cut one) and a corrupted one (any byte changed) are both detected.
Lines are ASCII JSON (``ensure_ascii``), so no text-encoding step can change the digest.
Vectors are little-endian float32 in base64: exact, and a quarter the size of decimal floats.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphmem.errors import ImportFormatError
from graphmem.models import Entity, HistoryEvent, MemoryRecord, Relation, Vector
from graphmem.pipeline._graph import RELATION_TYPE

FORMAT = "graphmem-export"
VERSION = 1
VECTORS = "float32-le-base64"
#: Record kinds in the order an export writes them.
KINDS = ("memory", "entity", "mention", "relation", "history", "doc")

_S, _O, _D, _L, _N = "str", "opt", "dict", "strlist", "num"
_SCOPE = {"user_id": _O, "agent_id": _O, "run_id": _O}
#: Field -> kind of value, per record (``embedding`` is checked separately).
SPEC: dict[str, dict[str, str]] = {
    "memory": {"id": _S, "memory": _S, "hash": _S, **_SCOPE, "actor_id": _O, "role": _O, "metadata": _D,
               "memory_type": _O, "created_at": _S, "updated_at": _O},
    "entity": {"id": _S, "name": _S, "key": _S, "type": _S, **_SCOPE, "created_at": _S, "aliases": _L},
    "relation": {"id": _S, "type": _S, "fact": _S, "source_id": _S, "target_id": _S, "source": _S, "target": _S,
                 "actor_id": _O, "memory_ids": _L, **_SCOPE, "valid_from": _S, "created_at": _S,
                 "valid_to": _O, "invalidated_by": _O, "confidence": _N},
    "mention": {"memory_id": _S, "entity_id": _S},
    "history": {"id": _S, "memory_id": _S, "event": _S, "old_memory": _O, "new_memory": _O, "actor_id": _O,
                "role": _O, "created_at": _S},
    "doc": {"kind": _S, "key": _S, "value": _D},
}  # fmt: skip
_WITH_VECTOR = frozenset({"memory", "entity", "relation"})
_CHECKS: dict[str, Callable[[Any], bool]] = {
    _S: lambda v: isinstance(v, str),
    _O: lambda v: v is None or isinstance(v, str),
    _D: lambda v: isinstance(v, dict),
    _L: lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    _N: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v),
}


def encode_vector(vector: Vector) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_vector(text: str, dim: int, where: str) -> Vector:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as e:
        raise ImportFormatError(f"{where}: the embedding is not base64 ({e})") from e
    if len(raw) != 4 * dim:
        raise ImportFormatError(
            f"{where}: the embedding has {len(raw) // 4} dimensions, the header says {dim}"
        )
    vec = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if not np.isfinite(vec).all():
        raise ImportFormatError(f"{where}: the embedding holds NaN or infinite values")
    return vec


def record_line(kind: str, obj: Any, vector: Vector | None = None) -> str:
    """One record as its JSON line (no newline): the fields of :data:`SPEC` plus the vector."""
    body: dict[str, Any] = {"record": kind}
    for name in SPEC[kind]:
        body[name] = obj[name] if isinstance(obj, dict) else getattr(obj, name)
    if kind in _WITH_VECTOR:
        assert vector is not None
        body["embedding"] = encode_vector(vector)
    return dumps(body)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=True, sort_keys=True, separators=(",", ":"), allow_nan=False)


def digest(lines: list[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("ascii", "surrogateescape") + b"\n")
    return h.hexdigest()


@dataclass
class Parsed:
    """A validated export file: its header and its records, decoded."""

    header: dict[str, Any]
    memories: list[MemoryRecord] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    mentions: list[tuple[str, str]] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    history: list[HistoryEvent] = field(default_factory=list)
    docs: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"memory": len(self.memories), "entity": len(self.entities), "mention": len(self.mentions),
                "relation": len(self.relations), "history": len(self.history), "doc": len(self.docs)}  # fmt: skip


def parse(text: str) -> Parsed:
    """Validate a whole export (header, checksum, every line, references) and decode it.

    Raises:
        ImportFormatError: naming the line and what is wrong with it.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or not lines[0].strip():
        raise ImportFormatError("the file is empty")
    header = _load(lines[0], 1)
    if header.get("format") != FORMAT:
        raise ImportFormatError(f"line 1: not a graphmem export (format {header.get('format')!r})")
    if header.get("version") != VERSION:
        raise ImportFormatError(
            f"export version {header.get('version')!r} is not supported; this graphmem reads version {VERSION}"
        )
    embedder = header.get("embedder")
    dim = embedder.get("dim") if isinstance(embedder, dict) else None
    if not isinstance(dim, int) or isinstance(dim, bool) or dim < 1 or header.get("vectors") != VECTORS:
        raise ImportFormatError("line 1: the header must give embedder.dim and vectors = " + VECTORS)
    if len(lines) < 2:
        raise ImportFormatError("the file is truncated: it has no end record")
    try:
        end = json.loads(lines[-1])
    except ValueError:
        end = None
    if not isinstance(end, dict) or end.get("record") != "end":
        raise ImportFormatError("the file is truncated: its last line is not the end record")
    if end.get("sha256") != digest(lines[:-1]):
        raise ImportFormatError("the checksum does not match: the file is corrupted or was cut and edited")
    out = Parsed(header)
    for number, line in enumerate(lines[1:-1], start=2):
        _add(out, _load(line, number), number, dim)
    if end.get("counts") != out.counts():
        raise ImportFormatError(
            f"the end record counts {end.get('counts')} but the file holds {out.counts()}"
        )
    _check_references(out)
    return out


def _load(line: str, number: int) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except ValueError as e:
        raise ImportFormatError(f"line {number} is not JSON: {e}") from e
    if not isinstance(obj, dict):
        raise ImportFormatError(f"line {number} is not a JSON object")
    return obj


def _add(out: Parsed, obj: dict[str, Any], number: int, dim: int) -> None:
    kind = obj.get("record")
    if kind not in SPEC:
        raise ImportFormatError(f"line {number}: unknown record {kind!r}")
    spec = SPEC[kind]
    for name, want in spec.items():
        if name not in obj or not _CHECKS[want](obj[name]):
            raise ImportFormatError(f"line {number} ({kind}): field {name!r} is missing or not a {want}")
    values = {name: obj[name] for name in spec}
    vector = (
        decode_vector(obj.get("embedding", ""), dim, f"line {number} ({kind})")
        if kind in _WITH_VECTOR
        else None
    )
    if kind in _WITH_VECTOR and not any(values[k] for k in _SCOPE):
        raise ImportFormatError(f"line {number} ({kind}): no user_id, agent_id or run_id")
    if kind == "memory":
        out.memories.append(MemoryRecord(**values, embedding=vector))
    elif kind == "entity":
        out.entities.append(Entity(**values, embedding=vector))
    elif kind == "relation":
        if not RELATION_TYPE.match(values["type"]):
            raise ImportFormatError(f"line {number}: relation type {values['type']!r} is not UPPER_SNAKE")
        out.relations.append(
            Relation(**{**values, "confidence": float(values["confidence"])}, embedding=vector)
        )
    elif kind == "mention":
        out.mentions.append((values["memory_id"], values["entity_id"]))
    elif kind == "history":
        if values["event"] not in ("ADD", "UPDATE", "DELETE"):
            raise ImportFormatError(f"line {number}: history event {values['event']!r}")
        out.history.append(HistoryEvent(**values))
    else:
        out.docs.append((values["kind"], values["key"], values["value"]))


def _check_references(p: Parsed) -> None:
    """Every id a record refers to is a record of the file, and no id is given twice."""
    memories = _unique("memory", [m.id for m in p.memories])
    entities = _unique("entity", [e.id for e in p.entities])
    relations = _unique("relation", [r.id for r in p.relations])
    _unique("history event", [h.id for h in p.history])
    _unique("document", [f"{k}/{key}" for k, key, _ in p.docs])
    for mid, eid in p.mentions:
        if mid not in memories or eid not in entities:
            raise ImportFormatError(f"a mention links {mid!r} -> {eid!r}, which the file does not hold")
    for r in p.relations:
        if r.source_id not in entities or r.target_id not in entities:
            raise ImportFormatError(f"relation {r.id!r} joins entities the file does not hold")
        if any(m not in memories for m in r.memory_ids):
            raise ImportFormatError(f"relation {r.id!r} cites a memory the file does not hold")
        if r.invalidated_by is not None and r.invalidated_by not in relations:
            raise ImportFormatError(
                f"relation {r.id!r} was closed by {r.invalidated_by!r}, which the file does not hold"
            )
    for h in p.history:
        if h.memory_id not in memories:
            raise ImportFormatError(
                f"history event {h.id!r} is of memory {h.memory_id!r}, which the file does not hold"
            )


def _unique(what: str, ids: list[str]) -> set[str]:
    seen = set(ids)
    if len(seen) != len(ids):
        raise ImportFormatError(f"a {what} id appears twice")
    return seen
