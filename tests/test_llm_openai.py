"""OpenAILLM through the real openai client against the scripted server."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

import pytest
from openai_stub import OpenAIStub, Reply, chat_completion
from pydantic import BaseModel, SecretStr

from graphmem.errors import (
    ConfigError,
    ExtractionError,
    InvalidInputError,
    LLMError,
    LLMUnavailableError,
)
from graphmem.llms.base import LLM, Usage
from graphmem.llms.openai import OpenAILLM
from graphmem.llms.providers import PLACEHOLDER_KEY, resolve_endpoint

KEY = "sk-test-0123456789abcdef-secret"
USER = [{"role": "user", "content": "hello"}]


class Answer(BaseModel):
    name: str
    count: int = 0


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as s:
        yield s


def make_llm(stub: OpenAIStub, model: str = "gpt-4o-mini", **kwargs: object) -> OpenAILLM:
    return OpenAILLM(model, api_key=KEY, base_url=stub.base_url, backoff=0.01, **kwargs)  # type: ignore[arg-type]


def test_is_an_llm(stub: OpenAIStub) -> None:
    assert isinstance(make_llm(stub), LLM)


def test_structured_output_sends_a_strict_json_schema(stub: OpenAIStub) -> None:
    stub.reply_json({"name": "Alice", "count": 2})
    answer, usage = make_llm(stub).complete_json(USER, Answer, name="answer")
    assert answer == Answer(name="Alice", count=2)
    body = stub.chat_requests[0].body
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "answer" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["required"] == ["name", "count"] and schema["additionalProperties"] is False
    assert body["temperature"] == 0.0 and body["model"] == "gpt-4o-mini"
    assert usage == Usage(prompt_tokens=11, completion_tokens=7, total_tokens=18, calls=1)


def test_json_mode_falls_back_when_the_server_rejects_json_schema(stub: OpenAIStub) -> None:
    stub.reply_error(400, "response_format json_schema is not supported by this server")
    stub.reply_json({"name": "Bob"})
    stub.reply_json({"name": "Carol"})
    llm = make_llm(stub)
    assert llm.complete_json(USER, Answer, name="answer")[0].name == "Bob"
    assert llm.complete_json(USER, Answer, name="answer")[0].name == "Carol"
    first, second, third = (r.body for r in stub.chat_requests)
    assert first["response_format"]["type"] == "json_schema"
    assert second["response_format"] == {"type": "json_object"}
    assert third["response_format"] == {"type": "json_object"}  # the fallback sticks
    # json_object mode needs the schema in the prompt (and the word JSON)
    assert '"name"' in second["messages"][0]["content"] and "JSON" in second["messages"][0]["content"]


def test_a_rejected_temperature_is_dropped(stub: OpenAIStub) -> None:
    stub.reply_error(400, "Unsupported value: 'temperature' does not support 0.0 with this model.")
    stub.reply_text("hi")
    assert make_llm(stub, "o3-mini").complete_text(USER)[0] == "hi"
    assert "temperature" in stub.chat_requests[0].body
    assert "temperature" not in stub.chat_requests[1].body


def test_fenced_json_with_trailing_text_is_repaired_without_a_retry(stub: OpenAIStub) -> None:
    stub.reply_text('Here you go:\n```json\n{"name": "Alice", "count": 3,}\n```\nAnything else?')
    answer, usage = make_llm(stub).complete_json(USER, Answer, name="answer")
    assert answer == Answer(name="Alice", count=3)
    assert usage.calls == 1 and len(stub.chat_requests) == 1


def test_malformed_json_is_asked_again_with_the_problem(stub: OpenAIStub) -> None:
    stub.reply_text("I cannot produce JSON today")
    stub.reply_json({"name": "Alice"})
    answer, usage = make_llm(stub).complete_json(USER, Answer, name="answer")
    assert answer.name == "Alice"
    retry = stub.chat_requests[1].body["messages"]
    assert retry[-2] == {"role": "assistant", "content": "I cannot produce JSON today"}
    assert "could not be used" in retry[-1]["content"]
    assert usage.calls == 2 and usage.total_tokens == 36  # the failed attempt's tokens count too


def test_json_of_the_wrong_shape_is_retried(stub: OpenAIStub) -> None:
    stub.reply_json({"nom": "Alice"})
    stub.reply_json({"name": "Alice"})
    assert make_llm(stub).complete_json(USER, Answer, name="answer")[0].name == "Alice"
    assert "name" in stub.chat_requests[1].body["messages"][-1]["content"]


def test_malformed_beyond_repair_gives_extraction_error_after_bounded_retries(stub: OpenAIStub) -> None:
    for _ in range(5):
        stub.reply_text('{"name": "Ali')
    with pytest.raises(ExtractionError, match="after 3 attempt"):
        make_llm(stub, parse_retries=2).complete_json(USER, Answer, name="answer")
    assert len(stub.chat_requests) == 3
    assert stub.pending() == 2


def test_429_waits_for_retry_after(stub: OpenAIStub) -> None:
    stub.reply_error(429, "Rate limit reached", headers={"Retry-After": "0.2"})
    stub.reply_text("ok")
    assert make_llm(stub).complete_text(USER)[0] == "ok"
    first, second = stub.chat_requests
    assert second.at - first.at >= 0.2


def test_retry_after_ms_is_honoured(stub: OpenAIStub) -> None:
    stub.reply_error(429, "slow down", headers={"retry-after-ms": "250"})
    stub.reply_text("ok")
    make_llm(stub).complete_text(USER)
    first, second = stub.chat_requests
    assert second.at - first.at >= 0.25


def test_a_retry_after_longer_than_the_wait_limit_fails_at_once(stub: OpenAIStub) -> None:
    stub.reply_error(429, "quota exceeded", headers={"Retry-After": "3600"})
    with pytest.raises(LLMUnavailableError, match="3600"):
        make_llm(stub).complete_text(USER)
    assert len(stub.chat_requests) == 1


def test_500_is_retried_then_unavailable(stub: OpenAIStub) -> None:
    for _ in range(4):
        stub.reply_error(500, "upstream exploded")
    with pytest.raises(LLMUnavailableError, match=r"after 3 attempt.*HTTP 500: upstream exploded"):
        make_llm(stub, max_retries=2).complete_text(USER)
    assert len(stub.chat_requests) == 3


def test_a_5xx_then_success_returns_the_answer(stub: OpenAIStub) -> None:
    stub.reply_error(503, "overloaded")
    stub.reply_error(502, "bad gateway")
    stub.reply_text("fine")
    assert make_llm(stub).complete_text(USER)[0] == "fine"


def test_timeouts_are_retried_then_unavailable(stub: OpenAIStub) -> None:
    stub.enqueue("chat", Reply(body=chat_completion("late"), delay=1.0))
    stub.enqueue("chat", Reply(body=chat_completion("late"), delay=1.0))
    with pytest.raises(LLMUnavailableError, match=r"timed out after 0\.2 s"):
        make_llm(stub, timeout=0.2, max_retries=1).complete_text(USER)
    assert len(stub.chat_requests) == 2


def test_a_slow_answer_within_the_timeout_is_fine(stub: OpenAIStub) -> None:
    stub.reply_text("slow but fine", delay=0.2)
    assert make_llm(stub, timeout=5.0).complete_text(USER)[0] == "slow but fine"


def test_connection_refused_names_the_base_url_not_the_key() -> None:
    llm = OpenAILLM("gpt-4o", api_key=KEY, base_url="http://127.0.0.1:9/v1", max_retries=1, backoff=0.01)
    with pytest.raises(LLMUnavailableError) as info:
        llm.complete_text(USER)
    assert "http://127.0.0.1:9/v1" in str(info.value)
    assert KEY not in str(info.value) and KEY not in repr(info.value)


def test_client_errors_are_not_retried_and_carry_the_server_message(stub: OpenAIStub) -> None:
    stub.reply_error(404, "The model `gpt-9` does not exist")
    with pytest.raises(LLMError, match=r"HTTP 404.*gpt-9` does not exist") as info:
        make_llm(stub).complete_text(USER)
    assert not isinstance(info.value, LLMUnavailableError)
    assert len(stub.chat_requests) == 1


def test_the_key_never_appears_in_repr_errors_or_logs(
    stub: OpenAIStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="graphmem")
    llm = make_llm(stub)
    assert KEY not in repr(llm) and KEY not in str(llm)
    stub.reply_error(500, f"echoing your key {KEY}")
    stub.reply_error(401, f"Incorrect API key provided: {KEY}")
    with pytest.raises(LLMError) as info:
        llm.complete_text(USER)
    rendered = "".join(traceback.format_exception(info.value))
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert "Incorrect API key provided: ***" in str(info.value)
    assert KEY not in caplog.text and "retry 1/3" in caplog.text
    assert stub.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent, only hidden
    assert KEY not in rendered  # the chained client exception quoted it: it must not be chained


def test_usage_accumulates_over_calls(stub: OpenAIStub) -> None:
    llm = make_llm(stub)
    stub.reply_text("a")
    stub.enqueue("chat", Reply(body=chat_completion("b", prompt_tokens=100, completion_tokens=50)))
    llm.complete_text(USER)
    _text, usage = llm.complete_text(USER)
    assert usage == Usage(100, 50, 150, 1)
    assert llm.usage == Usage(111, 57, 168, 2)


def test_max_tokens_is_sent_under_the_name_the_provider_knows(stub: OpenAIStub) -> None:
    stub.reply_text("a")
    stub.reply_text("b")
    make_llm(stub, max_tokens=64).complete_text(USER)
    OpenAILLM("llama3", base_url=stub.base_url, provider="ollama", max_tokens=64).complete_text(USER)
    assert stub.chat_requests[0].body["max_completion_tokens"] == 64
    assert stub.chat_requests[1].body["max_tokens"] == 64


def test_image_parts_to_a_non_vision_model_fail_before_any_call(stub: OpenAIStub) -> None:
    image = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]
    llm = make_llm(stub, "gpt-3.5-turbo")
    assert not llm.supports_vision
    with pytest.raises(InvalidInputError, match="not configured for images"):
        llm.complete_text(image)
    assert stub.chat_requests == []
    stub.reply_text("a cat")
    assert make_llm(stub, "gpt-3.5-turbo", vision=True).complete_text(image)[0] == "a cat"


@pytest.mark.parametrize(
    ("model", "vision"),
    [("gpt-4o", True), ("gpt-4o-mini", True), ("gpt-4.1-nano", True), ("gpt-5", True),
     ("openai/gpt-4o", True), ("gpt-4", False), ("llama3.1", False), ("o3-mini", False)],
)  # fmt: skip
def test_vision_defaults_by_model_family(model: str, vision: bool) -> None:
    assert OpenAILLM(model, provider="ollama").supports_vision is vision


def test_the_environment_is_read_at_construction(monkeypatch: pytest.MonkeyPatch, stub: OpenAIStub) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
    llm = OpenAILLM("gpt-4o-mini")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # too late to matter
    stub.reply_text("from env")
    assert llm.complete_text(USER)[0] == "from env"
    assert stub.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_explicit_arguments_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env.invalid/v1")
    ep = resolve_endpoint("openai", "sk-explicit", "http://explicit.invalid/v1")
    assert (ep.api_key, ep.base_url) == ("sk-explicit", "http://explicit.invalid/v1")
    assert "sk-explicit" not in repr(ep)


def test_an_openai_key_is_never_sent_to_another_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-only")
    with pytest.raises(ConfigError, match="GROQ_API_KEY"):
        resolve_endpoint("groq", None, None)
    assert resolve_endpoint("ollama", None, None).api_key == PLACEHOLDER_KEY


@pytest.mark.parametrize(
    ("provider", "url"),
    [("ollama", "http://localhost:11434/v1"), ("vllm", "http://localhost:8000/v1"),
     ("lmstudio", "http://localhost:1234/v1"), ("deepseek", "https://api.deepseek.com"),
     ("groq", "https://api.groq.com/openai/v1"), ("together", "https://api.together.xyz/v1"),
     ("openai", "https://api.openai.com/v1")],
)  # fmt: skip
def test_provider_default_base_urls(provider: str, url: str) -> None:
    assert resolve_endpoint(provider, "k", None).base_url == url


def test_a_missing_openai_key_is_a_config_error_unless_the_server_is_custom() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAILLM("gpt-4o")
    assert OpenAILLM("local", base_url="http://127.0.0.1:1/v1")._endpoint.api_key == PLACEHOLDER_KEY


def test_unknown_provider_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown LLM provider 'anthropic'"):
        OpenAILLM("claude", provider="anthropic")


def test_azure_uses_its_endpoint_and_api_version(stub: OpenAIStub) -> None:
    llm = OpenAILLM("my-deployment", api_key=KEY, provider="azure_openai",
                    azure_endpoint=stub.base_url.removesuffix("/v1"), api_version="2024-10-21")  # fmt: skip
    stub.reply_text("azure says hi")
    assert llm.complete_text(USER)[0] == "azure says hi"
    req = stub.chat_requests[0]
    assert req.path == "/openai/deployments/my-deployment/chat/completions"
    assert req.headers["api-key"] == KEY


def test_from_config_accepts_mem0_spellings_and_rejects_unknown_keys(stub: OpenAIStub) -> None:
    llm = OpenAILLM.from_config(
        "ollama",
        {"model": "llava", "ollama_base_url": stub.base_url, "enable_vision": True, "temperature": 0.2},
    )
    assert llm.supports_vision and llm.temperature == 0.2
    assert llm.base_url.startswith(stub.base_url)
    with pytest.raises(ConfigError, match=r"unknown key.*colour"):
        OpenAILLM.from_config("openai", {"model": "gpt-4o", "api_key": KEY, "colour": "blue"})
    with pytest.raises(ConfigError, match="model name"):
        OpenAILLM.from_config("ollama", {})


def test_a_server_rejecting_both_token_parameters_does_not_loop(stub: OpenAIStub) -> None:
    for _ in range(3):
        stub.reply_error(400, "Unsupported parameter: 'max_tokens'; use 'max_completion_tokens'")
    with pytest.raises(LLMError, match="max_completion_tokens"):
        make_llm(stub, max_tokens=10).complete_text(USER)
    sent = [
        next(k for k in ("max_tokens", "max_completion_tokens") if k in r.body) for r in stub.chat_requests
    ]
    assert sent == ["max_completion_tokens", "max_tokens"]


def test_a_secret_str_key_is_accepted(stub: OpenAIStub) -> None:
    llm = OpenAILLM("gpt-4o", api_key=SecretStr(KEY), base_url=stub.base_url)
    stub.reply_text("ok")
    llm.complete_text(USER)
    assert stub.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"
