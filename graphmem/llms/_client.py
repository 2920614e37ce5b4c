"""What the OpenAI LLM and the OpenAI embedder share: the client, the retry loop, error mapping.

The official client is built with ``max_retries=0`` and the retries happen here, so they are
visible (logged), bounded, testable, and honour ``Retry-After`` the same way for chat and
embeddings. No ``openai.*`` exception leaves this module: each is wrapped in a graphmem error
whose message names the base URL and never the key.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from graphmem.errors import LLMError, LLMUnavailableError, MissingDependencyError
from graphmem.llms.providers import Endpoint

try:
    import openai
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise MissingDependencyError("openai", extra="openai") from e

log = logging.getLogger("graphmem.llm")

T = TypeVar("T")

#: Used when Azure is configured without an API version and OPENAI_API_VERSION is unset.
DEFAULT_AZURE_API_VERSION = "2024-10-21"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try before giving up.

    ``max_retries`` bounds the retries of one request (so at most ``max_retries + 1`` attempts);
    waits grow as ``backoff * 2**n`` up to ``max_backoff`` unless the server sends
    ``Retry-After``. A ``Retry-After`` longer than ``max_wait`` fails at once: an ``add`` should
    not hang for an hour because a quota ran out.
    """

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_wait: float = 60.0

    def delay(self, attempt: int) -> float:
        base = min(self.max_backoff, self.backoff * 2.0**attempt)
        return base * (1.0 + 0.25 * random.random())  # jitter, so parallel clients spread out


def make_client(endpoint: Endpoint, *, timeout: float, api_version: str | None = None) -> openai.OpenAI:
    """The official client for ``endpoint``, with the client's own retries turned off."""
    if endpoint.provider.name == "azure_openai":
        assert endpoint.base_url is not None  # resolve_endpoint guarantees it
        return openai.AzureOpenAI(
            azure_endpoint=endpoint.base_url,
            api_key=endpoint.api_key,
            api_version=api_version or os.environ.get("OPENAI_API_VERSION") or DEFAULT_AZURE_API_VERSION,
            timeout=timeout,
            max_retries=0,
        )
    return openai.OpenAI(api_key=endpoint.api_key, base_url=endpoint.base_url, timeout=timeout, max_retries=0)


def call_with_retries(
    request: Callable[[], T],
    *,
    what: str,
    endpoint: Endpoint,
    policy: RetryPolicy,
    timeout: float,
    adapt: Callable[[int, str], bool] | None = None,
) -> T:
    """Run ``request``, retrying what is worth retrying; map every failure to a graphmem error.

    Args:
        request: Makes one HTTP request with the official client.
        what: Names the operation in logs and errors (``"chat completion with gpt-4o"``).
        endpoint: Where the request goes; its base URL is named in errors, its key never.
        policy: Retry bounds and backoff.
        timeout: The per-request timeout, quoted in the timeout error.
        adapt: Called with (status, server message) on a 400/422; returns True when it changed
            the request so that it may now succeed (e.g. dropped an unsupported parameter).
            Each adaptation must be a permanent change of state, so they are bounded.

    Raises:
        LLMUnavailableError: Connection refused, timeouts, 429 or 5xx on every attempt.
        LLMError: Any other error status, with the server's message.
    """
    attempts = policy.max_retries + 1
    attempt = 0
    reason = ""
    while True:
        try:
            return request()
        except openai.APITimeoutError as e:
            reason, delay = f"timed out after {timeout:g} s", policy.delay(attempt)
            cause: Exception | None = e
        except openai.APIConnectionError as e:
            reason, delay = f"could not connect to {endpoint.base_url}", policy.delay(attempt)
            cause = e
        except openai.APIStatusError as e:
            status, message = e.status_code, scrub(server_message(e), endpoint.api_key)
            if status in (400, 422) and adapt is not None and adapt(status, message):
                continue  # the request changed; this was not a failed attempt
            if status != 429 and status < 500:
                # from None: the client's exception quotes the server's message unscrubbed, and
                # some servers echo the key they reject; everything useful is in ours
                raise LLMError(f"{what} rejected by {endpoint.base_url} (HTTP {status}): {message}") from None
            reason = f"HTTP {status}: {message}"
            retry_after = parse_retry_after(e.response.headers)
            if retry_after is not None and retry_after > policy.max_wait:
                raise LLMUnavailableError(
                    f"{what} at {endpoint.base_url}: {reason}; the server asks to retry after "
                    f"{retry_after:g} s, longer than the {policy.max_wait:g} s graphmem waits"
                ) from None
            delay = retry_after if retry_after is not None else policy.delay(attempt)
            cause = None  # as above: the message is in ours, scrubbed
        except openai.APIError as e:  # e.g. an answer that is not an OpenAI-shaped response
            raise LLMError(
                f"{what} at {endpoint.base_url} failed: {scrub(str(e), endpoint.api_key)}"
            ) from None
        attempt += 1
        if attempt >= attempts:
            raise LLMUnavailableError(
                f"{what} at {endpoint.base_url} failed after {attempts} attempt(s): {reason}"
            ) from cause
        log.warning("%s: %s; retry %d/%d in %.2f s", what, reason, attempt, policy.max_retries, delay)
        time.sleep(delay)


def server_message(e: openai.APIStatusError) -> str:
    """The server's own error message, not the client's wrapper text."""
    body: Any = e.body
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("message"):
            return str(inner["message"])[:500]
        if isinstance(inner, str):
            return inner[:500]
    if isinstance(body, str) and body:
        return body[:500]
    return e.message[:500]


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (OpenAI) or ``Retry-After`` (seconds or HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def scrub(text: str, secret: str) -> str:
    """Remove the key from a server message: some servers echo the credentials they reject."""
    return text.replace(secret, "***") if secret else text
