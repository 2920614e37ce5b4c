"""Reading JSON out of model answers: repair what is unambiguous, never invent content.

Local models wrap JSON in code fences, add a sentence after it, leave trailing commas, or stop
mid-object when they hit ``max_tokens``. The first three are repaired as they are. A truncated
answer is cut back to its last complete element of an array (or of the top-level object) and the
open brackets are closed: the incomplete tail is dropped, never completed, so a half-written fact
or a half-written actor name can never be stored as if the model had said it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_CLOSER = {"{": "}", "[": "]"}
#: Each candidate costs a json.loads of the whole answer; bound the work on huge answers.
_MAX_CANDIDATES = 64


def parse_json(text: str) -> Any:
    """Parse a model's answer as JSON, repairing fences, trailing text/commas and truncation.

    Raises:
        ValueError: No JSON value could be recovered without guessing.
    """
    s = text.strip()
    fenced = _FENCE.search(s)
    if fenced:
        s = fenced.group(1).strip()
    try:
        return json.loads(s)
    except ValueError as e:
        first_error = e
    start = min((i for i in (s.find("{"), s.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise ValueError("the answer holds no JSON object")
    s = _drop_trailing_commas(s[start:])
    try:
        value, _end = json.JSONDecoder().raw_decode(s)  # ignores prose after the JSON
        return value
    except ValueError:
        pass
    for candidate in _truncation_repairs(s):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    raise ValueError(f"invalid JSON: {first_error}")


def _drop_trailing_commas(s: str) -> str:
    """Remove commas directly before a closing bracket (outside strings): ``[1, 2,]``."""
    out: list[str] = []
    in_string = escape = False
    for i, ch in enumerate(s):
        if in_string:
            in_string, escape = _string_step(ch, escape)
        elif ch == '"':
            in_string = True
        elif ch == ",":
            j = i + 1
            while j < len(s) and s[j].isspace():
                j += 1
            if j < len(s) and s[j] in "}]":
                continue
        out.append(ch)
    return "".join(out)


def _may_cut(stack: list[str]) -> bool:
    """True between elements of an array or members of the top-level object: a cut there drops
    whole elements; a cut inside a nested object would leave it with fields missing."""
    return bool(stack) and (stack[-1] == "]" or len(stack) == 1)


def _string_step(ch: str, escape: bool) -> tuple[bool, bool]:
    """One character inside a JSON string: (still in the string, next character escaped)."""
    if escape:
        return True, False
    if ch == "\\":
        return True, True
    return ch != '"', False


def _truncation_repairs(s: str) -> Iterator[str]:
    """Candidate texts for an answer cut short, best (longest) first.

    The whole text closed as it is comes first, but only when it ends on a complete token (a
    closing quote or bracket): a trailing number or ``tru`` may itself be cut. Then the text is
    cut back at each earlier boundary between array elements, or between members of the top-level
    object, and closed; never inside a nested object, so no object survives with fields missing.
    """
    stack: list[str] = []
    cuts: list[tuple[int, str]] = []
    in_string = escape = False
    for i, ch in enumerate(s):
        if in_string:
            in_string, escape = _string_step(ch, escape)
            continue
        if ch == '"':
            in_string = True
        elif ch in _CLOSER:
            stack.append(_CLOSER[ch])
        elif ch in "}]":
            if not stack or stack[-1] != ch:
                return  # mismatched brackets: not a truncation we can reason about
            stack.pop()
            if _may_cut(stack):
                cuts.append((i + 1, "".join(reversed(stack))))
        elif ch == "," and _may_cut(stack):
            cuts.append((i, "".join(reversed(stack))))
    tail = s.rstrip()
    if not in_string and stack and _may_cut(stack) and tail[-1:] in ('"', "}", "]"):
        yield tail + "".join(reversed(stack))
    for n, (pos, closers) in enumerate(reversed(cuts)):
        if n >= _MAX_CANDIDATES:
            return
        yield s[:pos] + closers


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema in the form OpenAI's strict structured outputs accept.

    Strict mode wants every property required and ``additionalProperties: false`` on every
    object, and rejects ``default``. Optional fields stay expressible as ``anyOf [..., null]``;
    the pydantic model keeps its defaults, so validation stays lenient with servers that ignore
    the schema.
    """
    return _strict(model.model_json_schema())  # type: ignore[no-any-return]


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "default"):
            continue
        if key in ("properties", "$defs"):
            # keys here are field and model names, not keywords: a field may be called "title"
            out[key] = {name: _strict(sub) for name, sub in value.items()}
        else:
            out[key] = _strict(value)
    if out.get("type") == "object":
        out["additionalProperties"] = False
        out["required"] = list(out.get("properties", {}))
    return out
