"""Secrets (a Neo4j password, LLM and embedder API keys) never appear in a repr, a log record (the
whole tree captured at DEBUG, drivers included), an error message or traceback, an export or a
health report, even when the servers fail or echo the key back.

Each secret is a fresh random string, so finding it anywhere can only mean it leaked.
"""

from __future__ import annotations

import json
import logging
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from graphmem import ConfigError, GraphMemError, Memory, MemoryConfig, StoreUnavailableError
from graphmem.embedders.hashing import HashingEmbedder

PASSWORD = f"pw-{uuid.uuid4().hex}"
API_KEY = f"sk-{uuid.uuid4().hex}"
EMBED_KEY = f"sk-emb-{uuid.uuid4().hex}"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG, the neo4j driver's and openai's included (they log on their own
    loggers, which default to WARNING)."""
    loggers = [logging.getLogger(name) for name in ("", "neo4j", "openai", "httpx", "httpcore", "graphmem")]
    old = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    with caplog.at_level(logging.DEBUG):
        yield caplog
    for lg, level in zip(loggers, old, strict=True):
        lg.setLevel(level)


def everything_about(error: BaseException) -> str:
    """The message, the repr and the full formatted traceback with every exception it chains.

    The chain is walked as Python prints it (and as error trackers report it): ``__cause__``, else
    ``__context__`` unless ``raise ... from None`` suppressed it. A suppressed context stays
    reachable from a debugger, which is why graphmem wraps driver errors ``from None`` *and* writes
    its own, scrubbed message.
    """
    parts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    seen: BaseException | None = error
    while seen is not None:
        parts += [str(seen), repr(seen)]
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    return "\n".join(parts)


def assert_hidden(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret leaked: ...{text[max(0, text.find(secret) - 80) :][:200]}..."


def raised(call: Callable[[], Any], error: type[BaseException] = GraphMemError) -> BaseException:
    with pytest.raises(error) as info:
        call()
    return info.value


# ---- configuration ------------------------------------------------------------------------------
def full_config(**store: Any) -> dict[str, Any]:
    return {
        "graph_store": {"provider": "neo4j", "config": {"url": "bolt://127.0.0.1:1", "username": "neo4j",
                                                        "password": PASSWORD, **store}},
        "llm": {"provider": "openai", "config": {"model": "gpt-4o-mini", "api_key": API_KEY}},
        "embedder": {"provider": "openai", "config": {"model": "text-embedding-3-small", "api_key": EMBED_KEY}},
    }  # fmt: skip


def test_configs_never_show_secrets(debug_logs: pytest.LogCaptureFixture) -> None:
    cfg = MemoryConfig.from_dict(full_config())
    shown = [repr(cfg), str(cfg), cfg.model_dump_json(), json.dumps(cfg.model_dump(), default=str),
             repr(cfg.graph_store.typed()), repr(cfg.llm), repr(cfg.embedder)]  # fmt: skip
    assert_hidden("\n".join(shown), PASSWORD, API_KEY, EMBED_KEY)
    bad = [
        full_config(bogus=1),  # an unknown key beside the password
        full_config(database=["not", "a", "name"]),
        {**full_config(), "llm": {"provider": "openai", "config": {"api_key": API_KEY, "nonsense": True}}},
        {**full_config(), "llm": {"provider": "nope", "config": {"api_key": API_KEY}}},
        {**full_config(), "embedder": {"provider": "openai", "config": {"api_key": EMBED_KEY, "dims": "x"}}},
    ]
    for data in bad:
        assert_hidden(everything_about(raised(lambda d=data: Memory.from_config(d), ConfigError)),
                      PASSWORD, API_KEY, EMBED_KEY)  # fmt: skip
    assert_hidden(debug_logs.text, PASSWORD, API_KEY, EMBED_KEY)


def test_an_unreachable_neo4j_never_shows_the_password(debug_logs: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("neo4j")
    from graphmem.neo4j_local._server import free_port
    from graphmem.stores.neo4j import Neo4jStore

    port = free_port()
    # Nobody listens: the driver retries (bounded here: its default is 30 s), then gives up.
    store = Neo4jStore(f"bolt://127.0.0.1:{port}", "neo4j", PASSWORD, max_transaction_retry_time=1.0)
    error = raised(lambda: Memory(store=store, embedder=HashingEmbedder(dim=8)), StoreUnavailableError)
    assert_hidden(everything_about(error) + repr(store), PASSWORD)
    # A password inside the URI: the driver refuses the URI and quotes it in its message.
    url = f"bolt://neo4j:{PASSWORD}@127.0.0.1:{port}"
    cfg = {"graph_store": {"provider": "neo4j", "config": {"url": url}}, "embedder": {"provider": "hashing"}}
    assert_hidden(everything_about(raised(lambda: Memory.from_config(cfg), ConfigError)), PASSWORD)
    assert_hidden(debug_logs.text, PASSWORD)


# ---- a working memory, then failing servers -----------------------------------------------------
def exercise(m: Memory, tmp_path: Path, openai_stub: Any) -> str:
    """Use every surface that shows state; return all of it as text."""
    shown = [repr(m), repr(m.store), repr(m.llm), repr(m.embedder), repr(m.extractor), repr(m.config)]
    m.add([{"role": "user", "name": "Alice", "content": "I work with Bob."}], run_id="r", infer=False)
    shown.append(json.dumps(m.search("who works with Bob?", run_id="r"), default=str))
    shown.append(json.dumps(m.health(probe_llm=True), default=str))
    export = m.export(tmp_path / "export.jsonl", run_id="r")
    shown.append(json.dumps(export, default=str))
    shown.append((tmp_path / "export.jsonl").read_text(encoding="utf-8"))
    # The LLM server rejects the key and echoes it back, as some do.
    for _ in range(3):
        openai_stub.reply_error(401, f"Incorrect API key provided: {API_KEY}")
    shown.append(everything_about(raised(lambda: m.add("I work at Acme.", run_id="r", infer=True))))
    shown.append(everything_about(raised(lambda: m.ask("who works with Bob?", run_id="r"))))
    return "\n".join(shown)


def test_an_embedded_memory_with_an_llm_never_shows_the_key(
    tmp_path: Path, openai_stub: Any, debug_logs: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    m = Memory.from_config({
        "graph_store": {"provider": "embedded", "config": {"path": str(tmp_path / "store")}},
        "llm": {"provider": "openai", "config": {"model": "gpt-4o-mini", "api_key": API_KEY,
                                                 "base_url": openai_stub.base_url, "max_retries": 0}},
        "embedder": {"provider": "hashing"},
    })  # fmt: skip
    shown = exercise(m, tmp_path, openai_stub)
    sent = [v for r in openai_stub.requests for k, v in r.headers.items() if k.lower() == "authorization"]
    assert sent and all(API_KEY in v for v in sent)  # the key was used, so it could have leaked
    out = capsys.readouterr()
    assert_hidden(shown + debug_logs.text + out.out + out.err, API_KEY)


@pytest.mark.neo4j
def test_a_neo4j_memory_never_shows_the_password(
    neo4j_server: Any, neo4j_store: Any, tmp_path: Path, openai_stub: Any,
    debug_logs: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    # A server with authentication has its own password; one without accepts any, so use ours.
    password = neo4j_server.password or PASSWORD
    m = Memory.from_config({
        "graph_store": {"provider": "neo4j", "config": {"url": neo4j_server.uri, "username": "neo4j",
                                                        "password": password}},
        "llm": {"provider": "openai", "config": {"model": "gpt-4o-mini", "api_key": API_KEY,
                                                 "base_url": openai_stub.base_url, "max_retries": 0}},
        "embedder": {"provider": "hashing"},
    })  # fmt: skip
    shown = exercise(m, tmp_path, openai_stub)
    m.close()
    out = capsys.readouterr()
    assert_hidden(shown + debug_logs.text + out.out + out.err, password, API_KEY)
