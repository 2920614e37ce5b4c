"""The LLM contract: structured (JSON) completions and plain text completions, with token usage.

Everything graphmem asks of a language model goes through :class:`LLM`: fact and relation
extraction, update decisions, procedural summaries, image descriptions and ``ask``. Each call
returns the :class:`Usage` it cost, so a pipeline can add the usage of its calls up and report it
(``usage`` in an ``add`` result). Built-in: :class:`graphmem.llms.openai.OpenAILLM`, which speaks
the OpenAI chat-completions protocol to OpenAI and to every compatible server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

#: One chat message in the OpenAI shape: ``{"role": ..., "content": str | list[part]}``.
Message = Mapping[str, Any]

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(slots=True)
class Usage:
    """Tokens spent by one or more LLM (or embedding) requests.

    ``calls`` counts the HTTP requests that came back with an answer, retried ones included:
    a malformed answer that had to be asked again still cost its tokens.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    calls: int = 0

    def add(self, other: Usage) -> None:
        """Add ``other`` to this usage in place."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.total_tokens += other.total_tokens
        self.calls += other.calls

    def __add__(self, other: Usage) -> Usage:
        out = Usage(self.prompt_tokens, self.completion_tokens, self.total_tokens, self.calls)
        out.add(other)
        return out

    def to_dict(self) -> dict[str, int]:
        """The shape reported as ``usage`` in results."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "calls": self.calls,
        }


@runtime_checkable
class LLM(Protocol):
    """A chat model that can answer with validated JSON or with text."""

    #: The model name sent to the server, e.g. ``"gpt-4.1-mini"``.
    model: str

    @property
    def supports_vision(self) -> bool:
        """True when image parts may be sent in messages."""
        ...

    def complete_json(
        self, messages: Sequence[Message], schema: type[ModelT], *, name: str
    ) -> tuple[ModelT, Usage]:
        """Answer with one JSON object validated into ``schema``.

        Args:
            messages: The chat messages, OpenAI-shaped.
            schema: The pydantic model the answer must validate into.
            name: A short identifier of the task (``"extraction"``), used as the JSON schema's
                name and in error messages.

        Raises:
            ExtractionError: The model did not produce valid JSON after the bounded retries.
            LLMUnavailableError: The server could not be reached or kept failing.
            LLMError: The server rejected the request.
            InvalidInputError: The messages hold images and the model cannot take them.
        """
        ...

    def complete_text(self, messages: Sequence[Message]) -> tuple[str, Usage]:
        """Answer with plain text (``ask``, summaries, image descriptions)."""
        ...


def has_image_parts(messages: Sequence[Message]) -> bool:
    """True when any message's content holds an ``image_url`` part."""
    for message in messages:
        content = message.get("content")
        parts = [content] if isinstance(content, Mapping) else content
        if isinstance(parts, list) and any(
            isinstance(p, Mapping) and p.get("type") == "image_url" for p in parts
        ):
            return True
    return False
