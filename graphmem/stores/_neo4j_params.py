"""Turning graphmem values into Neo4j query parameters, and records back into graphmem values.

Three translations live here, all pure Python so they are unit-testable without a server:

* **Metadata.** Neo4j properties cannot hold maps, so a memory keeps its metadata twice: the JSON
  text in ``metadata`` (the source of truth, returned as is), and flattened properties that the
  filters read: ``meta_<key>`` holds a string, number or boolean as itself and a list as the
  ``str()`` of each item; ``metax_<key>`` holds ``str(value)`` of every non-string value (what
  ``contains`` looks at); ``meta_keys`` lists the keys present, null-valued ones included.
* **Filters.** A :data:`~graphmem.filters.Filter` tree becomes ``$filter``, a list of nodes in
  post-order that the fixed filter block in ``cypher/memories_*.cypher`` folds with ``reduce``.
  The query text never changes with the filter, so nothing user-given is ever formatted into
  Cypher and every filter shape reuses one cached plan.
* **Full-text queries.** Raw user text becomes a Lucene query with every operator escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graphmem.errors import InvalidMetadataError, InvalidRelationTypeError
from graphmem.filters import And, Cond, Filter, Not, Or
from graphmem.models import Entity, HistoryEvent, MemoryRecord, Relation, Scope, Vector

#: Metadata keys that filters can name (graphmem.filters._FIELD_RE); other keys stay JSON-only.
_FILTERABLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")
RELATION_TYPE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_INT64 = (-(2**63), 2**63 - 1)
#: A property no node has: top-level fields have no ``metax_`` twin (keys are never empty).
_NO_TEXT = "metax_"


# ---- scope ---------------------------------------------------------------------------------
def scope_params(scope: Scope, *, exact: bool = False) -> dict[str, Any]:
    """``$user_id, $agent_id, $run_id, $exact`` and the index anchors of ``cypher/*`` queries.

    Exactly one anchor is set: the most selective key the scope has (run, then user, then agent),
    or ``$anchor_all = ''`` (every id sorts after it) for an empty scope. The other anchors are
    null, and an index seek for null finds nothing, so the query reads only the scope's records.
    """
    params: dict[str, Any] = {
        "user_id": scope.user_id, "agent_id": scope.agent_id, "run_id": scope.run_id, "exact": exact,
        "anchor_user_id": None, "anchor_agent_id": None, "anchor_run_id": None, "anchor_all": None,
    }  # fmt: skip
    for key in ("run_id", "user_id", "agent_id"):
        if params[key] is not None:
            params[f"anchor_{key}"] = params[key]
            break
    else:
        params["anchor_all"] = ""
    return params


# ---- vectors -------------------------------------------------------------------------------
class VectorList(list[float]):
    """A vector parameter: a plain list to the driver, with a short ``repr``.

    The driver builds the text of its debug log line for every query, logging on or off, by
    calling ``repr`` on every parameter: ~0.3 ms of CPU per 384-float vector, 15 ms for a write
    of 50 entities. It packs a ``list`` subclass exactly as a list.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<vector of {len(self)} floats>"


def vector_param(vector: Vector | Sequence[float] | None) -> list[float] | None:
    if vector is None:
        return None
    # float32, as the store keeps them; tolist() gives Python floats already
    return VectorList(np.asarray(vector, dtype=np.float32).ravel().tolist())


# ---- metadata ------------------------------------------------------------------------------
def metadata_props(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The ``metadata`` JSON and the flattened ``meta_*`` properties (see module docstring).

    Raises:
        InvalidMetadataError: the metadata is not JSON-serialisable.
    """
    try:
        text = json.dumps(dict(metadata), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InvalidMetadataError(f"metadata must be a JSON object of JSON values: {e}") from e
    props: dict[str, Any] = {"metadata": text}
    keys: list[str] = []
    for key, value in metadata.items():
        if not _FILTERABLE_KEY.match(key):
            continue
        keys.append(key)
        if value is None:
            continue
        if isinstance(value, str):
            props[f"meta_{key}"] = value
        elif isinstance(value, (bool, float)) or (isinstance(value, int) and _INT64[0] <= value <= _INT64[1]):
            props[f"meta_{key}"] = value
            props[f"metax_{key}"] = str(value)
        elif isinstance(value, list):
            props[f"meta_{key}"] = [str(v) for v in value]
        elif isinstance(value, int):  # beyond int64: compared as the nearest float
            props[f"meta_{key}"] = float(value)
            props[f"metax_{key}"] = str(value)
        else:  # objects: only `contains` (on their str()) and presence can see them
            props[f"metax_{key}"] = str(value)
    props["meta_keys"] = keys
    return props


def memory_row(record: MemoryRecord) -> dict[str, Any]:
    props = {
        "id": record.id, "memory": record.memory, "hash": record.hash, "user_id": record.user_id,
        "agent_id": record.agent_id, "run_id": record.run_id, "actor_id": record.actor_id,
        "role": record.role, "memory_type": record.memory_type, "created_at": record.created_at,
        "updated_at": record.updated_at, **metadata_props(record.metadata),
    }  # fmt: skip
    return {"props": props, "embedding": vector_param(record.embedding)}


def memory_update_row(record: MemoryRecord) -> dict[str, Any]:
    """Only what an update replaces: text, hash, metadata and updated_at (and the embedding)."""
    props = {
        "id": record.id, "memory": record.memory, "hash": record.hash, "updated_at": record.updated_at,
        **metadata_props(record.metadata),
    }  # fmt: skip
    return {"props": props, "embedding": vector_param(record.embedding)}


def to_memory(row: Mapping[str, Any]) -> MemoryRecord:
    return MemoryRecord(
        id=row["id"], memory=row["memory"], hash=row["hash"], user_id=row["user_id"],
        agent_id=row["agent_id"], run_id=row["run_id"], actor_id=row["actor_id"], role=row["role"],
        metadata=json.loads(row["metadata"]) if row["metadata"] not in (None, "", "{}") else {},
        memory_type=row["memory_type"], created_at=row["created_at"], updated_at=row["updated_at"],
    )  # fmt: skip


# ---- entities, relations, history ------------------------------------------------------------
def entity_row(entity: Entity) -> dict[str, Any]:
    props = {
        "id": entity.id, "name": entity.name, "key": entity.key, "type": entity.type,
        "user_id": entity.user_id, "agent_id": entity.agent_id, "run_id": entity.run_id,
        "created_at": entity.created_at, "aliases": list(entity.aliases),
    }  # fmt: skip
    return {"props": props, "embedding": vector_param(entity.embedding)}


def to_entity(row: Mapping[str, Any]) -> Entity:
    return Entity(
        id=row["id"], name=row["name"], key=row["key"], type=row["type"], user_id=row["user_id"],
        agent_id=row["agent_id"], run_id=row["run_id"], created_at=row["created_at"],
        aliases=list(row["aliases"] or []),
    )  # fmt: skip


def check_relation_type(type_: str) -> None:
    """Relation types are stored as a property, never as a Cypher type; still, keep them clean."""
    if not isinstance(type_, str) or not RELATION_TYPE.match(type_):
        raise InvalidRelationTypeError(f"relation type {type_!r} does not match {RELATION_TYPE.pattern}")


def relation_row(rel: Relation) -> dict[str, Any]:
    check_relation_type(rel.type)
    props = {
        "id": rel.id, "type": rel.type, "fact": rel.fact, "source": rel.source, "target": rel.target,
        "actor_id": rel.actor_id, "memory_ids": list(rel.memory_ids), "user_id": rel.user_id,
        "agent_id": rel.agent_id, "run_id": rel.run_id, "valid_from": rel.valid_from,
        "valid_to": rel.valid_to, "created_at": rel.created_at, "invalidated_by": rel.invalidated_by,
        "confidence": float(rel.confidence),
    }  # fmt: skip
    return {
        "props": props, "source_id": rel.source_id, "target_id": rel.target_id,
        "embedding": vector_param(rel.embedding),
    }  # fmt: skip


def relation_update_row(rel: Relation) -> dict[str, Any]:
    return {
        "id": rel.id, "fact": rel.fact, "memory_ids": list(rel.memory_ids), "actor_id": rel.actor_id,
        "valid_to": rel.valid_to, "invalidated_by": rel.invalidated_by, "confidence": float(rel.confidence),
        "embedding": vector_param(rel.embedding),
    }  # fmt: skip


def to_relation(row: Mapping[str, Any]) -> Relation:
    return Relation(
        id=row["id"], type=row["type"], fact=row["fact"], source_id=row["source_id"],
        target_id=row["target_id"], source=row["source"], target=row["target"],
        actor_id=row["actor_id"], memory_ids=list(row["memory_ids"] or []), user_id=row["user_id"],
        agent_id=row["agent_id"], run_id=row["run_id"], valid_from=row["valid_from"],
        created_at=row["created_at"], valid_to=row["valid_to"], invalidated_by=row["invalidated_by"],
        confidence=float(row["confidence"]) if row["confidence"] is not None else 1.0,
    )  # fmt: skip


def history_row(event: HistoryEvent) -> dict[str, Any]:
    return {
        "id": event.id, "memory_id": event.memory_id, "event": event.event,
        "old_memory": event.old_memory, "new_memory": event.new_memory, "actor_id": event.actor_id,
        "role": event.role, "created_at": event.created_at,
    }  # fmt: skip


def to_history(row: Mapping[str, Any]) -> HistoryEvent:
    return HistoryEvent(
        id=row["id"], memory_id=row["memory_id"], event=row["event"], old_memory=row["old_memory"],
        new_memory=row["new_memory"], actor_id=row["actor_id"], role=row["role"],
        created_at=row["created_at"],
    )  # fmt: skip


# ---- filters -------------------------------------------------------------------------------
def compile_filter(f: Filter | None) -> list[dict[str, Any]]:
    """The ``$filter`` parameter: ``f`` as a post-order node list; the last node is the root.

    Operators the Cypher block does not know are lowered here, keeping the reference semantics
    of :func:`graphmem.filters.matches`: ``ne`` is ``not eq``, ``nin`` is ``not in``, ``eq null``
    means "present with a null value" (a top-level field with a null value counts as absent, so
    there it is simply false), and ``in`` a list holding null also accepts a null value.
    """
    nodes: list[dict[str, Any]] = []
    if f is not None:
        _emit(f, nodes)
    return nodes


def _node(
    op: str, args: list[int] | None = None, cond: Cond | None = None, value: Any = None
) -> dict[str, Any]:
    node: dict[str, Any] = {"op": op, "args": args or [], "value": value, "meta": False, "key": None,
                            "prop": _NO_TEXT, "text": _NO_TEXT}  # fmt: skip
    if cond is not None:
        node["meta"] = cond.is_metadata
        node["key"] = cond.field
        node["prop"] = f"meta_{cond.field}" if cond.is_metadata else cond.field
        node["text"] = f"metax_{cond.field}" if cond.is_metadata else _NO_TEXT
    return node


def _push(nodes: list[dict[str, Any]], node: dict[str, Any]) -> int:
    nodes.append(node)
    return len(nodes) - 1


def _emit(f: Filter, nodes: list[dict[str, Any]]) -> int:
    if isinstance(f, (And, Or)):
        args = [_emit(item, nodes) for item in f.items]
        return _push(nodes, _node("and" if isinstance(f, And) else "or", args))
    if isinstance(f, Not):
        return _push(nodes, _node("not", [_emit(f.item, nodes)]))
    return _emit_cond(f, nodes)


def _emit_cond(c: Cond, nodes: list[dict[str, Any]]) -> int:
    if c.op == "ne":
        return _push(nodes, _node("not", [_emit_cond(Cond(c.field, "eq", c.value), nodes)]))
    if c.op == "nin":
        return _push(nodes, _node("not", [_emit_cond(Cond(c.field, "in", c.value), nodes)]))
    if c.op == "eq" and c.value is None:
        return _push(nodes, _node("isnull", cond=c) if c.is_metadata else _node("const", value=False))
    if c.op == "in" and any(v is None for v in c.value):
        present = _push(nodes, _node("in", cond=c, value=[v for v in c.value if v is not None]))
        null = _emit_cond(Cond(c.field, "eq", None), nodes)
        return _push(nodes, _node("or", [present, null]))
    return _push(nodes, _node(c.op, cond=c, value=c.value))


# ---- full-text -----------------------------------------------------------------------------
_LUCENE_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/]|&&|\|\|)')
_LUCENE_WORD_OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})


def lucene_query(text: str) -> str:
    """Raw user text as a Lucene query matching any of its words (BM25-ranked), nothing special.

    Every operator character is backslash-escaped, and the words Lucene treats as operators
    (AND, OR, NOT, TO) are lower-cased: the analyzer lower-cases indexed text anyway. Returns ""
    when nothing searchable is left.

    Known difference: the standard analyzer keeps "Caroline's" one token, so "caroline" does not
    find it here, where graphmem's tokens and FTS5 split it. Asking for ``caroline'*`` too was
    tried: on LoCoMo (one conversation) Neo4j search went from 24 to 41 ms a question and R@10
    from 0.718 to 0.698 (the prefix terms reorder Lucene's candidate pool), so it is not done.
    """
    words = []
    # Split on anything that is not a word character, as the analyzer does: "memory:landing" is
    # two words to the index, so it must be two words to the query.
    for word in re.findall(r"\w+", text):
        if word in _LUCENE_WORD_OPERATORS:
            word = word.lower()
        escaped = _LUCENE_SPECIAL.sub(lambda m: "".join("\\" + ch for ch in m.group(0)), word)
        if any(ch.isalnum() for ch in word):
            words.append(escaped)
    return " ".join(words)
