"""mem0-style ``filters``, parsed once into a small tree that every store compiles.

Accepted forms::

    {"category": "work"}                                    # equality on a metadata key
    {"actor_id": {"in": ["Alice", "Bob"]}}                  # operator on a top-level field
    {"AND": [{...}, {...}]}, {"OR": [...]}, {"NOT": [...]}  # combinators (NOT of a list = none match)
    {"created_at": {"gte": "2024-01-01", "lt": "2024-02-01"}}  # several operators are ANDed

Operators: ``eq ne gt gte lt lte in nin contains icontains``. Fields named in ``TOP_LEVEL_FIELDS``
are the memory's own columns; any other name is a metadata key. ``"*"`` as a value means "the field
is present".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graphmem.errors import InvalidFilterError
from graphmem.models import MemoryRecord

OPERATORS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "contains", "icontains"})
TOP_LEVEL_FIELDS = frozenset(
    {
        "actor_id",
        "role",
        "created_at",
        "updated_at",
        "memory_type",
        "user_id",
        "agent_id",
        "run_id",
        "id",
        "hash",
    }
)
#: Metadata keys become JSON paths (SQLite) or map keys (Neo4j): keep them to safe characters.
_FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Cond:
    field: str
    op: str  # one of OPERATORS, or "exists"
    value: Any

    @property
    def is_metadata(self) -> bool:
        return self.field not in TOP_LEVEL_FIELDS


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Filter


Filter = Cond | And | Or | Not


def parse_filters(filters: dict[str, Any] | None) -> Filter | None:
    """Validate ``filters`` and return its tree, or ``None`` for no filter.

    Raises:
        InvalidFilterError: naming the offending key, operator or value.
    """
    if filters is None:
        return None
    if not isinstance(filters, dict):
        raise InvalidFilterError(f"filters must be a dict, got {type(filters).__name__}")
    if not filters:
        return None
    return _parse_dict(filters)


def _parse_dict(d: dict[str, Any]) -> Filter:
    parts: list[Filter] = []
    for key, value in d.items():
        if not isinstance(key, str):
            raise InvalidFilterError(f"filter keys must be strings, got {key!r}")
        upper = key.upper()
        if upper in ("AND", "OR", "NOT") and key == upper:
            if isinstance(value, dict):
                value = [value]
            if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
                raise InvalidFilterError(f"{key} takes a non-empty list of filter dicts")
            items = tuple(_parse_dict(v) for v in value)
            if key == "AND":
                parts.append(And(items))
            elif key == "OR":
                parts.append(Or(items))
            else:
                parts.append(Not(items[0] if len(items) == 1 else Or(items)))
        else:
            parts.append(_parse_field(key, value))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _parse_field(field: str, value: Any) -> Filter:
    if not _FIELD_RE.match(field):
        raise InvalidFilterError(f"filter field {field!r} is not a valid name (letters, digits, _ and -)")
    if value == "*":
        return Cond(field, "exists", None)
    if not isinstance(value, dict):
        _check_scalar(field, "eq", value)
        return Cond(field, "eq", value)
    if not value:
        raise InvalidFilterError(f"filter on {field!r} has no operator")
    conds: list[Filter] = []
    for op, operand in value.items():
        if op not in OPERATORS:
            raise InvalidFilterError(
                f"unknown filter operator {op!r} on {field!r}; use one of {', '.join(sorted(OPERATORS))}"
            )
        if op in ("in", "nin"):
            if not isinstance(operand, list):
                raise InvalidFilterError(f"operator {op!r} on {field!r} takes a list")
            for item in operand:
                _check_scalar(field, op, item)
        elif op in ("contains", "icontains"):
            if not isinstance(operand, str):
                raise InvalidFilterError(f"operator {op!r} on {field!r} takes a string")
        else:
            _check_scalar(field, op, operand)
            if op in ("gt", "gte", "lt", "lte") and (operand is None or isinstance(operand, bool)):
                raise InvalidFilterError(f"operator {op!r} on {field!r} takes a number or a string")
        conds.append(Cond(field, op, operand))
    return conds[0] if len(conds) == 1 else And(tuple(conds))


def _check_scalar(field: str, op: str, value: Any) -> None:
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise InvalidFilterError(
            f"filter {field!r} {op} takes a string, number, boolean or null, got {type(value).__name__}"
        )
    if isinstance(value, float) and value != value:
        raise InvalidFilterError(f"filter {field!r} {op} got NaN")


def field_value(record: MemoryRecord, cond: Cond) -> tuple[bool, Any]:
    """``(present, value)`` of the field a condition tests."""
    if cond.is_metadata:
        if cond.field in record.metadata:
            return True, record.metadata[cond.field]
        return False, None
    value = getattr(record, cond.field)
    return value is not None, value


def split_actors(f: Filter | None) -> tuple[list[str] | None, Filter | None]:
    """The actors ``f`` allows when it names them, and the rest of ``f``.

    Naming them is an ``eq`` or ``in`` on ``actor_id`` with string values, alone or in an
    ``And``, as the search's actor signal asks: every memory that passes has one of those actors,
    so a store can narrow on them first. ``(None, f)`` otherwise.
    """
    if f is None:
        return None, None
    parts = f.items if isinstance(f, And) else (f,)
    for i, part in enumerate(parts):
        if isinstance(part, Cond) and part.field == "actor_id" and part.op in ("eq", "in"):
            actors = part.value if part.op == "in" else [part.value]
            if isinstance(actors, (list, tuple)) and all(isinstance(a, str) for a in actors):
                rest = parts[:i] + parts[i + 1 :]
                return list(actors), (None if not rest else rest[0] if len(rest) == 1 else And(rest))
    return None, f


def matches(f: Filter | None, record: MemoryRecord) -> bool:
    """Evaluate a filter tree against one record in Python (the reference semantics)."""
    if f is None:
        return True
    if isinstance(f, And):
        return all(matches(i, record) for i in f.items)
    if isinstance(f, Or):
        return any(matches(i, record) for i in f.items)
    if isinstance(f, Not):
        return not matches(f.item, record)
    present, value = field_value(record, f)
    return _test(f.op, present, value, f.value)


def _test(op: str, present: bool, value: Any, operand: Any) -> bool:
    if op == "exists":
        return present
    if op == "eq":
        return present and _same(value, operand)
    if op == "ne":
        return not (present and _same(value, operand))
    if op == "in":
        return present and any(_same(value, o) for o in operand)
    if op == "nin":
        return not (present and any(_same(value, o) for o in operand))
    if not present or value is None:
        return False
    if op in ("contains", "icontains"):
        if isinstance(value, list):
            items = [str(v) for v in value]
            return operand in items if op == "contains" else operand.lower() in (i.lower() for i in items)
        text = str(value)
        return operand in text if op == "contains" else operand.lower() in text.lower()
    if isinstance(value, bool) or not _comparable(value, operand):
        return False
    if op == "gt":
        return bool(value > operand)
    if op == "gte":
        return bool(value >= operand)
    if op == "lt":
        return bool(value < operand)
    return bool(value <= operand)  # lte


def _same(a: Any, b: Any) -> bool:
    # JSON has no int/bool distinction problem in mem0's eyes, but True == 1 in Python: keep them apart.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def _comparable(a: Any, b: Any) -> bool:
    num = (int, float)
    return (isinstance(a, num) and isinstance(b, num)) or (isinstance(a, str) and isinstance(b, str))
