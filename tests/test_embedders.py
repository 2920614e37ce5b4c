"""Embedders: the bundled MiniLM loads offline; bad vectors from any embedder are named errors."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from graphmem import DimensionMismatchError, EmbeddingError, Memory, MemoryConfig
from graphmem.embedders.base import to_matrix
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.embedders.sentence_transformers import SentenceTransformerEmbedder, bundled_model_path


@pytest.mark.slow
def test_minilm_is_loaded_from_site_packages_and_is_semantic() -> None:
    assert "site-packages" in str(bundled_model_path())
    e = SentenceTransformerEmbedder()
    m = to_matrix(
        e.embed(["The cat sat on the mat.", "A kitten rested on the rug.", "Quarterly tax filing deadline"]),
        3,
        e.dim,
    )
    assert m.shape == (3, 384)
    sims = m @ m.T
    assert sims[0, 1] > sims[0, 2] + 0.2  # meaning, not words


@pytest.mark.slow
@pytest.mark.parametrize(("dtype", "min_cos"), [("float32", 0.99999), ("bfloat16", 0.999)])
def test_direct_forward_matches_sentence_transformers_encode(dtype: str, min_cos: float) -> None:
    from graphmem.embedders.sentence_transformers import _load

    texts = ["Bob and I are building the new landing page.", "hi", "Berlin", "Alice works with Bob",
             "A much longer message about the quarterly board deck, the pricing page and Friday's review."]  # fmt: skip
    reference = _load("all-MiniLM-L6-v2", "cpu").encode(texts, normalize_embeddings=True)
    e = SentenceTransformerEmbedder(dtype=dtype, cache_size=0)  # type: ignore[arg-type]
    got = e.embed(texts)
    assert got.shape == (5, 384) and got.dtype == np.float32
    assert float((got * reference).sum(axis=1).min()) >= min_cos  # same vectors, row for row
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_bert_kernel_matches_the_model_with_and_without_padding() -> None:
    """MiniLM runs on the written-out BERT kernel; packed (padded batch) and plain (one length)
    batches both give the Hugging Face model's vectors."""
    import torch

    from graphmem.embedders.sentence_transformers import _fast_path, _load

    fast = _fast_path("all-MiniLM-L6-v2", "cpu", "float32")
    assert fast is not None and fast.kernel is not None
    model = _load("all-MiniLM-L6-v2", "cpu")[0].auto_model
    for texts in (["short", "a rather longer text about the Q3 roadmap and its owners", "Bob"],
                  ["same length one", "same length two"]):  # fmt: skip
        enc = fast.tokenizer(texts, padding=True, return_tensors="pt")
        with torch.inference_mode():
            got = fast.kernel(*fast.tokenize(texts)).numpy()
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).float()
            want = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1).numpy()
        assert np.allclose(got, want, atol=1e-5), texts


@pytest.mark.slow
def test_bfloat16_kernel_uses_packed_weights_where_the_cpu_has_bf16() -> None:
    from graphmem.embedders.sentence_transformers import _fast_path, cpu_has_native_bf16

    if not cpu_has_native_bf16():
        pytest.skip("no native bfloat16 on this CPU: dtype='auto' is float32")
    fast = _fast_path("all-MiniLM-L6-v2", "cpu", "bfloat16")
    assert fast is not None and fast.kernel is not None and fast.kernel.packed
    # test_direct_forward_matches_sentence_transformers_encode checks its vectors.


@pytest.mark.slow
def test_kernel_tokeniser_matches_the_hugging_face_tokeniser() -> None:
    from graphmem.embedders.sentence_transformers import _fast_path

    fast = _fast_path("all-MiniLM-L6-v2", "cpu", "float32")
    assert fast is not None and fast.backend is not None
    texts = ["Bob", "", "Caroline's 🎉 café, naïve — 東京", "long " * 400, "Alice works with Bob."]
    ids, mask = fast.tokenize(texts)
    want = fast.tokenizer(
        texts, padding=True, truncation=True, max_length=fast.max_length, return_tensors="pt"
    )
    assert ids.shape[1] == fast.max_length  # the long text was truncated, the rest padded to it
    assert ids.equal(want["input_ids"]) and mask.equal(want["attention_mask"])


def test_threads_auto_uses_the_cores_other_processes_leave_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    import graphmem.embedders.sentence_transformers as st

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(st, "usable_cores", lambda: 2)
    e = SentenceTransformerEmbedder()
    monkeypatch.setattr(st._other_load, "sample", lambda: 0.3)
    assert e.threads_for(64) == 2
    monkeypatch.setattr(st._other_load, "sample", lambda: 1.0)  # another process holds a core
    assert e.threads_for(64) == 1
    assert e.threads_for(8) == 1  # small jobs stay on one thread regardless


def test_other_load_leaves_out_this_process_own_cpu_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine was busy for this process's CPU time plus 0.7 of a core: other processes
    keep 0.7 of a core busy, however much this process itself ran."""
    import time

    import graphmem.embedders.sentence_transformers as st

    monkeypatch.setattr(st, "_machine_busy_seconds", lambda: time.process_time() + 0.7 * time.monotonic())
    monkeypatch.setattr(st, "usable_cores", lambda: os.cpu_count() or 1)
    load = st._OtherLoad()
    end = time.monotonic() + 0.4
    while time.monotonic() < end:  # this process keeps a core busy
        pass
    assert load.sample() == pytest.approx(0.7, abs=0.02)
    # Without /proc/stat: the load average less this process's recent use.
    monkeypatch.setattr(st, "_machine_busy_seconds", lambda: None)
    monkeypatch.setattr(st.os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    load = st._OtherLoad()
    time.sleep(0.25)
    assert 1.4 < load.sample() <= 1.5


@pytest.mark.slow
def test_cache_gives_the_same_vectors_and_stays_bounded() -> None:
    e = SentenceTransformerEmbedder(cache_size=3)
    first = e.embed(["alpha", "beta", "alpha"])
    assert np.array_equal(first[0], first[2])
    assert list(e._cache) == ["alpha", "beta"]  # duplicates within a call are embedded once
    again = e.embed(["beta", "gamma", "delta", "alpha"])
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[3], first[0])
    assert len(e._cache) == 3 and "beta" not in e._cache  # least recently used went first


def test_threads_auto_is_one_for_small_jobs_and_respects_omp_num_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    e = SentenceTransformerEmbedder()
    assert e.threads_for(1) == 1 and e.threads_for(31) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert e.threads_for(1000) == 1
    assert SentenceTransformerEmbedder(threads=3).threads_for(1) == 3


@pytest.mark.parametrize("opts", [{"dtype": "float16"}, {"threads": 0}, {"threads": "many"}])
def test_bad_embedder_options_are_config_errors(opts: dict[str, object]) -> None:
    from graphmem import ConfigError
    from graphmem._factory import make_embedder

    cfg = MemoryConfig.from_dict({"embedder": {"provider": "sentence_transformers", "config": opts}})
    with pytest.raises(ConfigError, match=r"dtype|threads"):
        make_embedder(cfg)


def test_hashing_is_deterministic_and_lexical() -> None:
    e = HashingEmbedder(dim=128)
    a, b = e.embed(["Bob works at Acme"]), e.embed(["Bob works at Acme"])
    assert np.array_equal(a, b) and a.shape == (1, 128)
    m = to_matrix(e.embed(["Bob works at Acme", "bob works at acme corp", "Paris in spring"]), 3, 128)
    assert m[0] @ m[1] > 0.7 > m[0] @ m[2]


@pytest.mark.parametrize(
    ("raw", "n", "dim", "error"),
    [
        ([[1.0, float("nan")]], 1, 2, EmbeddingError),
        ([[1.0, float("inf")]], 1, 2, EmbeddingError),
        ([[1.0, 2.0, 3.0]], 1, 2, DimensionMismatchError),
        ([[1.0, 2.0]], 2, 2, EmbeddingError),
        ([[0.0, 0.0]], 1, 2, EmbeddingError),
        ("not numbers", 1, 2, EmbeddingError),
    ],
)
def test_bad_vectors_are_named_errors(raw: object, n: int, dim: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        to_matrix(raw, n, dim)


class BrokenEmbedder:
    """A custom embedder that returns NaN for texts containing 'poison'."""

    dim = 8

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[float("nan")] * 8 if "poison" in t else [1.0] + [0.0] * 7 for t in texts]


def test_a_bad_custom_embedder_writes_nothing(tmp_path: Path) -> None:
    cfg = MemoryConfig.from_dict(
        {"graph_store": {"provider": "embedded", "config": {"path": str(tmp_path)}}, "indexing": "inline"}
    )
    m = Memory(cfg, embedder=BrokenEmbedder())
    m.add("fine text", user_id="u")
    with pytest.raises(EmbeddingError):
        m.add(["more fine text", "poison pill"], user_id="u")
    assert [r["memory"] for r in m.get_all(user_id="u")["results"]] == ["fine text"]


def test_background_indexing_reports_a_bad_vector_and_indexes_the_rest(tmp_path: Path) -> None:
    """The add is stored; the next search raises; only the bad text is left without a vector."""
    cfg = MemoryConfig.from_dict({"graph_store": {"provider": "embedded", "config": {"path": str(tmp_path)}}})
    m = Memory(cfg, embedder=BrokenEmbedder())
    added = m.add(["more fine text", "poison pill", "fine again"], user_id="u")["results"]
    with pytest.raises(EmbeddingError, match="NaN"):
        m.search("fine", user_id="u")
    vectors = m.store.vectors("memory", [r["id"] for r in added])
    assert sorted(vectors) == sorted(r["id"] for r in added if "poison" not in r["memory"])
    assert [r["memory"] for r in m.get_all(user_id="u")["results"]] == [
        "fine again",
        "poison pill",
        "more fine text",
    ]
    assert m.search("fine", user_id="u")["results"]  # reported once; searching goes on


def test_changing_the_embedder_dimension_is_refused(tmp_path: Path) -> None:
    cfg = {"graph_store": {"provider": "embedded", "config": {"path": str(tmp_path)}}}
    Memory.from_config({**cfg, "embedder": {"provider": "hashing", "config": {"dim": 64}}}).add(
        "x", user_id="u"
    )
    with pytest.raises(DimensionMismatchError):
        Memory.from_config({**cfg, "embedder": {"provider": "hashing", "config": {"dim": 32}}})
