"""OpenAIEmbedder through the real openai client: batches, dimensions, checks, retries."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest
from openai_stub import OpenAIStub, Reply

from graphmem.embedders.base import Embedder, to_matrix
from graphmem.embedders.openai import OpenAIEmbedder
from graphmem.errors import ConfigError, DimensionMismatchError, EmbeddingError, LLMError, LLMUnavailableError
from graphmem.llms.openai import OpenAILLM
from graphmem.llms.providers import EMBEDDER_KEYS, LLM_KEYS


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as s:
        yield s


def make(stub: OpenAIStub, **kwargs: object) -> OpenAIEmbedder:
    kwargs.setdefault("dim", 8)
    return OpenAIEmbedder(api_key="sk-test", base_url=stub.base_url, backoff=0.01, **kwargs)  # type: ignore[arg-type]


def test_is_an_embedder_with_a_dimension_known_up_front() -> None:
    assert isinstance(OpenAIEmbedder(api_key="k"), Embedder)
    assert OpenAIEmbedder(api_key="k").dim == 1536
    assert OpenAIEmbedder("text-embedding-3-large", api_key="k").dim == 3072
    assert OpenAIEmbedder("text-embedding-ada-002", api_key="k").dim == 1536
    assert OpenAIEmbedder("nomic-embed-text", dim=768, provider="ollama").dim == 768


def test_unknown_models_need_a_dimension() -> None:
    with pytest.raises(ConfigError, match="set dim"):
        OpenAIEmbedder("nomic-embed-text", provider="ollama")
    with pytest.raises(ConfigError, match="only produces 1536"):
        OpenAIEmbedder("text-embedding-ada-002", dim=256, api_key="k")


def test_texts_are_sent_in_batches_in_order(stub: OpenAIStub) -> None:
    texts = [f"text {i}" for i in range(7)]
    vectors = make(stub, batch_size=3).embed(texts)
    assert len(vectors) == 7 and all(len(v) == 8 for v in vectors)
    assert [r.body["input"] for r in stub.embedding_requests] == [texts[0:3], texts[3:6], texts[6:7]]
    assert to_matrix(vectors, 7, 8).shape == (7, 8)
    assert make(stub).embed([]) == [] and len(stub.embedding_requests) == 3  # nothing to embed, no call


def test_dimensions_is_sent_only_to_text_embedding_3_when_asked(stub: OpenAIStub) -> None:
    make(stub, model="text-embedding-3-small", dim=8).embed(["a"])
    OpenAIEmbedder("nomic-embed-text", dim=8, base_url=stub.base_url, provider="ollama").embed(["a"])
    first, second = (r.body for r in stub.embedding_requests)
    assert first["dimensions"] == 8 and first["encoding_format"] == "float"
    assert "dimensions" not in second


def test_answers_out_of_order_are_put_back_in_order(stub: OpenAIStub) -> None:
    data = [{"object": "embedding", "index": 1, "embedding": [0.0, 1.0] + [0.0] * 6},
            {"object": "embedding", "index": 0, "embedding": [1.0] + [0.0] * 7}]  # fmt: skip
    stub.enqueue("embeddings", Reply(body={"object": "list", "data": data, "model": "m"}))
    vectors = make(stub).embed(["a", "b"])
    assert vectors[0][0] == 1.0 and vectors[1][1] == 1.0


def test_a_wrong_dimension_is_a_clear_error(stub: OpenAIStub) -> None:
    stub.reply_embeddings([[0.1] * 4])
    with pytest.raises(DimensionMismatchError, match="dimension 4, expected 8"):
        make(stub).embed(["a"])


def test_a_wrong_count_is_an_embedding_error(stub: OpenAIStub) -> None:
    stub.reply_embeddings([[0.1] * 8])
    with pytest.raises(EmbeddingError, match="1 vectors for 2 texts"):
        make(stub).embed(["a", "b"])


def test_rate_limits_and_server_errors_are_retried_like_the_llm(stub: OpenAIStub) -> None:
    stub.reply_error(429, "slow down", headers={"Retry-After": "0.2"}, endpoint="embeddings")
    stub.reply_error(500, "oops", endpoint="embeddings")
    embedder = make(stub)
    assert len(embedder.embed(["a"])) == 1
    first, _second, third = stub.embedding_requests
    assert third.at - first.at >= 0.2
    assert embedder.usage.calls == 1


def test_persistent_failure_and_client_errors(stub: OpenAIStub) -> None:
    for _ in range(2):
        stub.reply_error(503, "down", endpoint="embeddings")
    with pytest.raises(LLMUnavailableError, match=r"embeddings with .*HTTP 503"):
        make(stub, max_retries=1).embed(["a"])
    stub.reply_error(400, "input must not be empty", endpoint="embeddings")
    with pytest.raises(LLMError, match=r"HTTP 400\): input must not be empty"):
        make(stub).embed(["a"])


def test_from_config_accepts_mem0_spellings(stub: OpenAIStub) -> None:
    e = OpenAIEmbedder.from_config("ollama", {"model": "nomic-embed-text", "embedding_dims": 8,
                                              "ollama_base_url": stub.base_url})  # fmt: skip
    assert e.dim == 8 and len(e.embed(["x"])[0]) == 8
    with pytest.raises(ConfigError, match="unknown key"):
        OpenAIEmbedder.from_config("openai", {"api_key": "k", "colour": "red"})


def test_every_config_key_is_a_constructor_argument() -> None:
    assert set(inspect.signature(OpenAIEmbedder).parameters) >= EMBEDDER_KEYS
    assert set(inspect.signature(OpenAILLM).parameters) >= LLM_KEYS
