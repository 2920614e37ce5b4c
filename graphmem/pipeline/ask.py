"""``Memory.ask``: answer a question from memory, citing who said what, and remember the answer.

Uses only the public ``search`` and ``add`` of a memory, so it works the same over every store
(and over the HTTP client). The model sees each memory with its speaker and time and each relation
with who stated it, and is told to say who said what. The answer is stored as an assistant
message under ``answer_name`` (``infer=False``: an answer is a record of what was said, not a new
fact to reconcile), with the question in its metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from graphmem.errors import EmptyContentError
from graphmem.extractors.prompts.ask import ASK_PROMPT
from graphmem.llms.base import LLM, Message, Usage

#: Returned, without calling the model or storing anything, when search finds nothing.
NO_MEMORIES_ANSWER = "I have no memories about that."


class SearchesAndAdds(Protocol):
    """The part of the ``Memory`` API that ``ask`` uses."""

    @property
    def search(self) -> Callable[..., dict[str, Any]]: ...

    @property
    def add(self) -> Callable[..., dict[str, Any]]: ...


def ask(
    memory: SearchesAndAdds,
    question: str,
    *,
    llm: LLM,
    scope_kwargs: Mapping[str, Any],
    limit: int = 10,
    answer_name: str = "assistant",
    store_answer: bool = True,
) -> dict[str, Any]:
    """Answer ``question`` from the memories and relations in scope.

    Args:
        memory: A ``Memory`` (anything with its ``search`` and ``add``).
        question: The question.
        llm: The model that answers.
        scope_kwargs: ``user_id`` / ``agent_id`` / ``run_id`` (and ``filters``), passed to both
            ``search`` and ``add``.
        limit: How many memories to retrieve.
        answer_name: The actor the stored answer is attributed to.
        store_answer: Whether to store the answer as a memory.

    Returns:
        ``{"answer", "memories", "relations", "usage", "stored"}``: the memories and relations the
        answer was built from (as ``search`` returned them), the tokens spent, and the ids of
        the stored answer memory (empty when nothing was stored).

    Raises:
        EmptyContentError: The question is empty.
        LLMError: The model could not be reached or rejected the request.
    """
    if not isinstance(question, str) or not question.strip():
        raise EmptyContentError("the question is empty")
    found = memory.search(question, limit=limit, **scope_kwargs)
    memories = list(found.get("results") or [])
    relations = found.get("relations")
    relations = list(relations) if isinstance(relations, list) else []
    if not memories and not relations:
        # Nothing to ground an answer on; an "I don't know" is not worth a call or a memory.
        return {"answer": NO_MEMORIES_ANSWER, "memories": [], "relations": [], "usage": Usage().to_dict(),
                "stored": []}  # fmt: skip
    messages: list[Message] = [
        {"role": "system", "content": ASK_PROMPT},
        {"role": "user", "content": render_context(question, memories, relations[: 2 * limit])},
    ]
    answer, usage = llm.complete_text(messages)
    stored: list[str] = []
    if store_answer and answer.strip():
        added = memory.add(
            [{"role": "assistant", "name": answer_name, "content": answer}],
            infer=False,
            metadata={"source": "ask", "question": question},
            **scope_kwargs,
        )
        stored = [r["id"] for r in added.get("results", []) if isinstance(r, Mapping) and "id" in r]
    return {"answer": answer, "memories": memories, "relations": relations, "usage": usage.to_dict(),
            "stored": stored}  # fmt: skip


def render_context(
    question: str, memories: Sequence[Mapping[str, Any]], relations: Sequence[Mapping[str, Any]]
) -> str:
    """The user message: memories with speaker and time, relations with who stated them."""
    lines = ["Memories (oldest first):"]
    for m in sorted(memories, key=lambda m: str(m.get("created_at") or "")):
        who = m.get("actor_id") or m.get("role") or "unknown"
        lines.append(f"- [{_when(m.get('created_at'))}] {who}: {m.get('memory', '')}")
    if relations:
        lines.append("")
        lines.append("Relations:")
    for r in relations:
        fact = r.get("fact") or ""
        stated = f" (stated by {r['actor_id']})" if r.get("actor_id") else ""
        lines.append(f"- {r.get('source')} {r.get('relationship')} {r.get('destination')}: {fact}{stated}")
    lines.append("")
    lines.append(f"Question: {question}")
    return "\n".join(lines)


def _when(created_at: Any) -> str:
    """``2024-05-03T09:12:44.123456+00:00`` -> ``2024-05-03 09:12 UTC``."""
    s = str(created_at or "")
    return f"{s[:10]} {s[11:16]} UTC" if len(s) >= 16 else s or "unknown time"
