"""An agent's context: what memory knows about a query, one attributed line per item, in a budget.

:meth:`graphmem.Memory.context` searches the scope, turns every memory and every relation into a
line that says who said it and when, and packs the lines greedily, most relevant first, into
``max_tokens``::

    [2026-11-21 14:03] Alice: Bob and I are building the new landing page.
    [2026-11-21 14:03] Fact (said by Bob): Bob is responsible for hero section copy

Relevance: memories and relations come scored on different scales (fused rank scores, and
relation scores), so each list is divided by its own best score and the two are merged on that;
a memory goes before a relation at equal relevance, then older before newer. A line that does not
fit whole is left out, never cut, and a shorter, less relevant line may still fit after it.

Tokens: :func:`estimate_tokens` is a deterministic estimate meant to err high against the BPE
tokenizers of GPT, Llama and Claude, so a budget taken from a model's limit is not overrun:

* a run of ASCII letters costs one token per 4 letters, rounded up (``"the"`` 1, ``"responsible"`` 3);
* a run of digits costs one token per 3 digits, rounded up (BPE vocabularies split numbers in threes);
* every other character that is not a space costs one token, or one per UTF-8 byte after the
  first for non-ASCII characters (``"é"`` 1, ``"漢"`` 2, an emoji 3);
* a line break costs one token; spaces and tabs cost nothing (BPE merges them into the next word).

English prose comes out about a third above what a BPE tokenizer counts. Pass ``token_counter`` (for
example ``lambda s: len(enc.encode(s))`` with tiktoken) to count with the model's own tokenizer:
the whole text is measured with it, so the budget holds for any counter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphmem.errors import InvalidInputError

TokenCounter = Callable[[str], int]

_PIECE = re.compile(r"[A-Za-z]+|[0-9]+|\n|[^\s]")


def estimate_tokens(text: str) -> int:
    """A conservative, deterministic token count for ``text`` (rules in the module docstring).

    Example:
        >>> estimate_tokens("[2026-11-21 14:03] Bob: I'll take it.")
        19
    """
    total = 0
    for piece in _PIECE.findall(text):
        first = piece[0]
        if first.isascii() and first.isalpha():
            total += math.ceil(len(piece) / 4)
        elif first.isascii() and first.isdigit():
            total += math.ceil(len(piece) / 3)
        elif first.isascii():
            total += 1
        else:
            total += max(1, len(first.encode("utf-8", "surrogatepass")) - 1)
    return total


def format_time(when: Any) -> str:
    """``2026-11-21T14:03:27.123+00:00`` -> ``2026-11-21 14:03`` (stored times are UTC)."""
    return str(when or "")[:16].replace("T", " ") or "unknown time"


def _one_line(text: Any) -> str:
    # One item, one line: a memory's own line breaks would make lines without an attribution.
    return " ".join(str(text or "").split())


def memory_line(item: Mapping[str, Any]) -> str:
    """``[time] Actor: text`` for a memory (a ``search`` result)."""
    return f"[{format_time(item.get('created_at'))}] {_actor(item)}: {_one_line(item.get('memory'))}"


def relation_line(rel: Mapping[str, Any]) -> str:
    """``[time] Fact (said by Actor): fact`` for a relation, with ``(until time)`` once it is closed."""
    fact = (
        _one_line(rel.get("fact"))
        or f"{rel.get('source')} {rel.get('relationship')} {rel.get('destination')}"
    )
    until = f" (until {format_time(rel['valid_to'])})" if rel.get("valid_to") else ""
    return f"[{format_time(rel.get('valid_from'))}] Fact (said by {_actor(rel)}): {fact}{until}"


def _actor(item: Mapping[str, Any]) -> str:
    # Messages without a name are attributed to their role ("user", "assistant"): still who said it.
    return _one_line(item.get("actor_id") or item.get("role") or "unknown")


def rank_items(found: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The memories and relations of a ``search`` result as context items, most relevant first.

    Each item is ``{"type": "memory" | "relation", "id", "actor_id", "time", "line", "score",
    "relevance"}`` where ``relevance`` is the score divided by the best score of its kind.
    """
    items: list[dict[str, Any]] = []
    kinds: tuple[tuple[str, Sequence[Mapping[str, Any]], Callable[[Mapping[str, Any]], str], str], ...] = (
        ("memory", found.get("results") or [], memory_line, "created_at"),
        ("relation", found.get("relations") or [], relation_line, "valid_from"),
    )
    for kind, records, to_line, time_key in kinds:
        best = max((float(r.get("score") or 0.0) for r in records), default=0.0)
        for rank, rec in enumerate(records):
            score = float(rec.get("score") or 0.0)
            items.append({
                "type": kind, "id": rec.get("id"), "actor_id": rec.get("actor_id"), "time": rec.get(time_key),
                "line": to_line(rec), "score": score,
                # no scores at all: keep the order the search gave
                "relevance": score / best if best > 0 else 1.0 / (rank + 1),
            })  # fmt: skip
    items.sort(
        key=lambda it: (-it["relevance"], it["type"] != "memory", str(it["time"] or ""), str(it["id"]))
    )
    seen: set[str] = set()
    unique = []
    for it in items:  # a fact that repeats a memory word for word says nothing new
        key = it["line"].split(": ", 1)[-1].casefold()
        if key not in seen:
            seen.add(key)
            unique.append(it)
    return unique


def pack(
    items: Sequence[Mapping[str, Any]], max_tokens: int, token_counter: TokenCounter | None = None
) -> dict[str, Any]:
    """Greedily keep the items, in order, whose lines still fit in ``max_tokens``.

    Returns:
        ``{"text", "tokens", "max_tokens", "items", "omitted"}``: the lines joined by newlines, the
        tokens the text counts, the budget, the items kept (each with its ``tokens``) and how many
        did not fit.
    """
    count = token_counter or estimate_tokens
    lines: list[str] = []
    kept: list[dict[str, Any]] = []
    used = 0
    for item in items:
        line = item["line"]
        # Measure the text as it would be, not line by line: a tokenizer may merge across the join.
        trial = count("\n".join([*lines, line]))
        if trial <= max_tokens:
            kept.append({**item, "tokens": count(line)})
            lines.append(line)
            used = trial
    return {"text": "\n".join(lines), "tokens": used, "max_tokens": max_tokens, "items": kept,
            "omitted": len(items) - len(kept)}  # fmt: skip


def build_context(
    found: Mapping[str, Any], max_tokens: int, token_counter: TokenCounter | None = None
) -> dict[str, Any]:
    """Context from a ``search`` result: :func:`rank_items`, then :func:`pack`.

    Raises:
        InvalidInputError: ``max_tokens`` is not a non-negative integer.
    """
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 0:
        raise InvalidInputError(f"max_tokens must be a non-negative integer, got {max_tokens!r}")
    if token_counter is not None and not callable(token_counter):
        raise InvalidInputError("token_counter must be a function from text to a token count")
    return pack(rank_items(found), max_tokens, token_counter)
