"""An :class:`~graphmem.llms.base.LLM` over the OpenAI chat-completions protocol.

Works with OpenAI, Azure OpenAI and every OpenAI-compatible server (ollama, vLLM, LM Studio,
DeepSeek, Groq, Together, or any ``base_url``). Structured answers use ``response_format``
``json_schema`` and fall back to ``json_object``, then to plain instructions, when a server
rejects the mode; whatever comes back is repaired (:mod:`graphmem.llms._json`) and validated with
pydantic, and asked again a bounded number of times before :class:`ExtractionError`.

Example::

    llm = OpenAILLM("llama3.1", provider="ollama")
    answer, usage = llm.complete_text([{"role": "user", "content": "Say hi"}])
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import SecretStr, ValidationError

from graphmem.errors import ConfigError, ExtractionError, InvalidInputError, LLMError
from graphmem.llms._client import RetryPolicy, call_with_retries, make_client
from graphmem.llms._json import parse_json, strict_schema
from graphmem.llms.base import Message, ModelT, Usage, has_image_parts
from graphmem.llms.providers import llm_kwargs, resolve_endpoint

log = logging.getLogger("graphmem.llm")

JsonMode = Literal["auto", "json_schema", "json_object", "prompt"]

#: Model families that take images. Anything else needs ``vision=True`` to send images.
_VISION_MODELS = re.compile(r"^(gpt-4o|gpt-4\.1|gpt-5|chatgpt-4o)", re.IGNORECASE)
#: Providers that know ``max_completion_tokens``; reasoning models there reject ``max_tokens``.
_COMPLETION_TOKENS_PROVIDERS = frozenset({"openai", "azure_openai"})
#: Words in a 400 that say the server does not take the response_format sent.
_JSON_MODE_WORDS = ("response_format", "json_schema", "json_object", "structured output")
#: How much of a rejected answer is shown back to the model when asking again.
_ECHO_CHARS = 2000


class OpenAILLM:
    """A chat model behind an OpenAI-compatible endpoint (see the module docstring).

    Args:
        model: The model (or Azure deployment) name.
        api_key: The key; default: the provider's environment variable (``OPENAI_API_KEY`` for
            openai). Local providers need none. Kept private: never in ``repr``, logs or errors.
        base_url: The server; default ``OPENAI_BASE_URL`` (openai only), then the provider's.
        temperature: Sampling temperature; ``None`` sends none. Dropped automatically when a
            model rejects it (reasoning models accept only their default).
        max_tokens: Cap on the answer's tokens; ``None`` leaves the server's default.
        timeout: Seconds per request.
        max_retries: Retries of one request on 429, 5xx, timeouts and connection errors.
        provider: One of :data:`graphmem.llms.providers.PROVIDERS`.
        vision: Whether image parts may be sent; default True for the gpt-4o, gpt-4.1 and
            gpt-5 families, else False.
        json_mode: ``"auto"`` tries ``json_schema``, then ``json_object``, then plain
            instructions, moving on (for good) when the server rejects a mode; the others fix it.
        parse_retries: How many times a malformed answer is asked again before
            :class:`ExtractionError`.
        top_p: Nucleus sampling, sent when given.
        azure_endpoint: Azure resource endpoint (alias of ``base_url`` for ``azure_openai``).
        api_version: Azure API version; default ``OPENAI_API_VERSION``, then a recent GA one.
        backoff: First retry wait in seconds when the server gives no ``Retry-After``.
    """

    def __init__(
        self,
        model: str,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        temperature: float | None = 0.0,
        max_tokens: int | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        provider: str = "openai",
        *,
        vision: bool | None = None,
        json_mode: JsonMode = "auto",
        parse_retries: int = 2,
        top_p: float | None = None,
        azure_endpoint: str | None = None,
        api_version: str | None = None,
        backoff: float = 0.5,
    ) -> None:
        if not model:
            raise ConfigError(f"the {provider} LLM needs a model name (llm.config.model)")
        if json_mode not in ("auto", "json_schema", "json_object", "prompt"):
            raise ConfigError(
                f"unknown json_mode {json_mode!r}; use auto, json_schema, json_object or prompt"
            )
        self.model = model
        self.provider = provider
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.top_p = top_p
        self.timeout = timeout
        self.parse_retries = max(0, parse_retries)
        self._endpoint = resolve_endpoint(provider, api_key, base_url or azure_endpoint)
        self._policy = RetryPolicy(max_retries=max(0, max_retries), backoff=backoff)
        self._client = make_client(self._endpoint, timeout=timeout, api_version=api_version)
        self._vision = vision if vision is not None else bool(_VISION_MODELS.match(model.rsplit("/", 1)[-1]))
        # What the server turned out to accept; adapted on a 400 and kept for later calls.
        self._json_modes: list[str] = (
            ["json_schema", "json_object", "prompt"] if json_mode == "auto" else [json_mode]
        )
        self._send_temperature = temperature is not None
        self._adapted: set[str] = set()
        self._max_tokens_param = (
            "max_completion_tokens" if provider in _COMPLETION_TOKENS_PROVIDERS else "max_tokens"
        )
        self._lock = threading.Lock()
        self._usage = Usage()

    @classmethod
    def from_config(cls, provider: str, config: Mapping[str, Any]) -> OpenAILLM:
        """Build from a mem0-style ``{"provider": ..., "config": {...}}`` pair.

        mem0's spellings are accepted (``openai_base_url``, ``ollama_base_url``,
        ``enable_vision``, ``azure_kwargs``); unknown keys raise :class:`ConfigError`.
        """
        kwargs = llm_kwargs(provider, config)
        if "model" not in kwargs:
            kwargs["model"] = "gpt-4.1-mini" if provider in ("openai", "azure_openai") else ""
        return cls(**kwargs)

    def __repr__(self) -> str:
        return f"OpenAILLM(provider={self.provider!r}, model={self.model!r}, base_url={self.base_url!r})"

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    @property
    def supports_vision(self) -> bool:
        return self._vision

    @property
    def usage(self) -> Usage:
        """Tokens spent by this instance since it was created (a copy)."""
        with self._lock:
            return self._usage + Usage()

    def complete_json(
        self, messages: Sequence[Message], schema: type[ModelT], *, name: str
    ) -> tuple[ModelT, Usage]:
        """Answer with one JSON object validated into ``schema`` (see :class:`LLM`)."""
        self._check_vision(messages)
        usage = Usage()
        attempt_messages = list(messages)
        problem = ""
        for attempt in range(self.parse_retries + 1):
            content, finish, spent = self._chat(attempt_messages, schema=schema, name=name)
            usage.add(spent)
            try:
                return schema.model_validate(parse_json(content)), usage
            except ValidationError as e:
                problem = _describe_validation(e)
            except ValueError as e:
                problem = str(e)
            if finish == "length":
                problem += " (the answer was cut at max_tokens)"
            log.warning("%s: %s answered %s with unusable JSON (attempt %d): %s",
                        self.provider, self.model, name, attempt + 1, problem)  # fmt: skip
            # Show the model its answer and what was wrong: local models fix it far more often
            # than when simply asked again.
            attempt_messages = [
                *messages,
                {"role": "assistant", "content": content[:_ECHO_CHARS]},
                {"role": "user", "content": f"That answer could not be used: {problem}. "
                 "Reply again with only the complete JSON object."},
            ]  # fmt: skip
        raise ExtractionError(
            f"{self.model} gave no valid JSON for {name} after {self.parse_retries + 1} attempt(s): {problem}"
        )

    def complete_text(self, messages: Sequence[Message]) -> tuple[str, Usage]:
        """Answer with plain text."""
        self._check_vision(messages)
        content, _finish, usage = self._chat(list(messages))
        return content.strip(), usage

    def _check_vision(self, messages: Sequence[Message]) -> None:
        if not self._vision and has_image_parts(messages):
            raise InvalidInputError(
                f"the model {self.model!r} is not configured for images; use a vision model "
                "(gpt-4o, gpt-4.1, gpt-5, ...) or set vision=True in the llm config if it takes images"
            )

    def _chat(
        self, messages: list[Message], *, schema: type[ModelT] | None = None, name: str = "answer"
    ) -> tuple[str, str | None, Usage]:
        """One chat completion (with transport retries): (content, finish_reason, usage)."""

        def request() -> Any:
            kwargs: dict[str, Any] = {"model": self.model, "messages": messages}
            if self._send_temperature:
                kwargs["temperature"] = self.temperature
            if self.top_p is not None:
                kwargs["top_p"] = self.top_p
            if self.max_tokens is not None:
                kwargs[self._max_tokens_param] = self.max_tokens
            if schema is not None:
                mode = self._json_modes[0]
                if mode == "json_schema":
                    kwargs["response_format"] = {
                        "type": "json_schema",
                        "json_schema": {"name": name, "schema": strict_schema(schema), "strict": True},
                    }
                else:
                    if mode == "json_object":
                        kwargs["response_format"] = {"type": "json_object"}
                    kwargs["messages"] = _with_schema_instruction(messages, schema)
            return self._client.chat.completions.create(**kwargs)

        resp = call_with_retries(
            request,
            what=f"chat completion with {self.model}",
            endpoint=self._endpoint,
            policy=self._policy,
            timeout=self.timeout,
            adapt=lambda status, message: self._adapt(message, structured=schema is not None),
        )
        usage = _usage_of(resp)
        with self._lock:
            self._usage.add(usage)
        if not getattr(resp, "choices", None):
            raise LLMError(f"{self.model} at {self._endpoint.base_url} answered with no choices")
        choice = resp.choices[0]
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            raise LLMError(f"{self.model} refused to answer: {str(refusal)[:300]}")
        return choice.message.content or "", choice.finish_reason, usage

    def _adapt(self, message: str, *, structured: bool) -> bool:
        """Change what is sent after a 400 that names an unsupported parameter.

        Bounded: each kind of change is made at most once per instance (a server that rejects
        both spellings of max_tokens must not make us flip between them forever).
        """
        text = message.lower()
        if structured and len(self._json_modes) > 1 and any(w in text for w in _JSON_MODE_WORDS):
            log.warning("%s rejected %s; using %s", self.model, self._json_modes[0], self._json_modes[1])
            self._json_modes.pop(0)
            return True
        if self._send_temperature and "temperature" in text and "temperature" not in self._adapted:
            log.warning("%s rejected temperature=%s; sending none", self.model, self.temperature)
            self._adapted.add("temperature")
            self._send_temperature = False
            return True
        if (
            self.max_tokens is not None
            and "max_tokens" not in self._adapted
            and ("max_tokens" in text or "max_completion_tokens" in text)
        ):
            other = (
                "max_tokens" if self._max_tokens_param == "max_completion_tokens" else "max_completion_tokens"
            )
            log.warning("%s rejected %s; sending %s", self.model, self._max_tokens_param, other)
            self._adapted.add("max_tokens")
            self._max_tokens_param = other
            return True
        return False


def _with_schema_instruction(messages: list[Message], schema: type[ModelT]) -> list[Message]:
    """Describe the schema in the system prompt, for servers without ``json_schema``."""
    instruction = (
        "Reply with one JSON object and nothing else (no code fences, no prose), matching this "
        f"JSON schema:\n{json.dumps(strict_schema(schema), separators=(',', ':'))}"
    )
    first = messages[0] if messages else None
    if first is not None and first.get("role") == "system" and isinstance(first.get("content"), str):
        return [{**first, "content": f"{first['content']}\n\n{instruction}"}, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]


def _usage_of(resp: Any) -> Usage:
    u = getattr(resp, "usage", None)
    prompt = int(getattr(u, "prompt_tokens", 0) or 0)
    completion = int(getattr(u, "completion_tokens", 0) or 0)
    total = int(getattr(u, "total_tokens", 0) or 0) or prompt + completion
    return Usage(prompt, completion, total, calls=1)


def _describe_validation(e: ValidationError) -> str:
    """The errors without the input values: those may be the user's conversation."""
    parts = [f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}" for err in e.errors()[:5]]
    return "the JSON does not match the schema (" + "; ".join(parts) + ")"
