"""Memory.context: attributed lines, most relevant first, never over the token budget."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from graphmem import AsyncMemory, InvalidInputError, Memory, ScopeRequiredError
from graphmem.context import build_context, estimate_tokens, memory_line, rank_items, relation_line

RUN = "launch"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORK = [
    ("Dana", "user", "Researcher, Writer and Reviewer are working on the launch brief."),
    ("researcher", "assistant", "I'm working on the competitor analysis."),
    ("researcher", "assistant", "The competitor analysis is in progress."),
    ("researcher", "assistant", "Globex prices its plan at 29 dollars a month."),
    ("writer", "assistant", "I'll take the launch announcement."),
    ("reviewer", "assistant", "I'll review the launch announcement."),
    ("researcher", "assistant", "The competitor analysis is done."),
    ("writer", "assistant", "I finished the second draft of the launch announcement."),
]
SPEAKERS = {who for who, _, _ in WORK}
LINE = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d)\] (?:Fact \(said by (?P<sayer>[^)]+)\)|(?P<speaker>[^:]+)): \S"
)


def _config(path: Path) -> dict[str, object]:
    return {
        "graph_store": {"provider": "embedded", "config": {"path": str(path)}},
        "embedder": {"provider": "hashing"},
    }


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("context-store")
    with Memory.from_config(_config(path)) as m:
        for minute, (who, role, text) in enumerate(WORK):
            m.add(
                [{"role": role, "name": who, "content": text}],
                run_id=RUN,
                timestamp=START + timedelta(minutes=minute * 5),
            )
    return path


@pytest.fixture
def memory(store_dir: Path) -> Iterator[Memory]:
    with Memory.from_config(_config(store_dir)) as m:
        yield m


@pytest.mark.parametrize("budget", [0, 1, 5, 12, 25, 40, 80, 150, 400, 10_000])
def test_never_over_budget(memory: Memory, budget: int) -> None:
    ctx = memory.context("what is the status of the launch announcement?", run_id=RUN, max_tokens=budget)
    assert ctx["tokens"] == estimate_tokens(ctx["text"]) <= budget
    assert ctx["max_tokens"] == budget
    assert len(ctx["items"]) == len(ctx["text"].splitlines()) if ctx["text"] else ctx["items"] == []
    assert sum(it["tokens"] for it in ctx["items"]) + max(len(ctx["items"]) - 1, 0) == ctx["tokens"]


def test_small_budgets_take_the_most_relevant_line_first(memory: Memory) -> None:
    full = memory.context("who is responsible for the launch announcement?", run_id=RUN, max_tokens=10_000)
    assert full["omitted"] == 0 and len(full["items"]) > 5
    first = full["text"].splitlines()[0]
    exact = memory.context(
        "who is responsible for the launch announcement?", run_id=RUN, max_tokens=estimate_tokens(first)
    )
    assert exact["text"] == first
    assert memory.context("anything", run_id=RUN, max_tokens=estimate_tokens(first) - 1)["text"] != first
    # a bigger budget keeps more, and what it keeps comes in the same order as in the full context
    lines = full["text"].splitlines()
    for budget in (40, 100, 200):
        kept = memory.context(
            "who is responsible for the launch announcement?", run_id=RUN, max_tokens=budget
        )
        got = kept["text"].splitlines()
        assert got == sorted(got, key=lines.index)


def test_every_line_is_attributed_with_time(memory: Memory) -> None:
    ctx = memory.context("what did the researcher find?", run_id=RUN, max_tokens=10_000)
    kinds = set()
    for line, item in zip(ctx["text"].splitlines(), ctx["items"], strict=True):
        match = LINE.match(line)
        assert match, f"not attributed: {line!r}"
        who = match["sayer"] or match["speaker"]
        assert who in SPEAKERS and who == item["actor_id"]
        assert match[1].startswith("2026-03-02 09:")
        kinds.add(item["type"])
    assert kinds == {"memory", "relation"}, "memories and facts both make it into the context"
    assert "researcher: Globex prices its plan at 29 dollars a month." in ctx["text"]
    assert "Fact (said by writer): " in ctx["text"]


def test_ordered_by_relevance(memory: Memory) -> None:
    ctx = memory.context("competitor analysis", run_id=RUN, max_tokens=10_000)
    relevance = [it["relevance"] for it in ctx["items"]]
    assert relevance == sorted(relevance, reverse=True)
    assert relevance[0] == 1.0
    assert "competitor analysis" in ctx["text"].splitlines()[0]


def test_deterministic(memory: Memory, store_dir: Path) -> None:
    first = memory.context("launch announcement", run_id=RUN, max_tokens=120)
    assert memory.context("launch announcement", run_id=RUN, max_tokens=120) == first
    with Memory.from_config(_config(store_dir)) as other:  # a fresh process-equivalent open
        assert other.context("launch announcement", run_id=RUN, max_tokens=120)["text"] == first["text"]


def test_filters_and_scope(memory: Memory) -> None:
    ctx = memory.context("launch", run_id=RUN, max_tokens=10_000, filters={"actor_id": {"ne": "writer"}})
    assert all(it["actor_id"] != "writer" for it in ctx["items"] if it["type"] == "memory")
    assert memory.context("launch", run_id="another-run", max_tokens=500)["text"] == ""
    with pytest.raises(ScopeRequiredError):
        memory.context("launch", max_tokens=100)


@pytest.mark.parametrize("bad", [-1, 1.5, "100", True, None])
def test_bad_budget_is_rejected(memory: Memory, bad: object) -> None:
    with pytest.raises(InvalidInputError, match="max_tokens"):
        memory.context("launch", run_id=RUN, max_tokens=bad)  # type: ignore[arg-type]


def test_custom_token_counter_is_respected(memory: Memory) -> None:
    for budget in (120, 300, 700):
        ctx = memory.context("launch", run_id=RUN, max_tokens=budget, token_counter=len)
        assert len(ctx["text"]) == ctx["tokens"] <= budget
        assert ctx["text"]


def test_estimate_tokens_rules() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("the") == 1 and estimate_tokens("responsible") == 3
    assert estimate_tokens("2026") == 2 and estimate_tokens("29") == 1
    assert estimate_tokens("a, b.") == 4
    assert estimate_tokens("漢") == 2 and estimate_tokens("é") == 1 and estimate_tokens("🙂") == 3
    assert estimate_tokens("one\ntwo") == estimate_tokens("one") + estimate_tokens("two") + 1
    assert estimate_tokens("  spaced   out  ") == estimate_tokens("spaced out")
    # errs high against BPE tokenizers: at least one token per word and per punctuation mark
    text = "[2026-03-02 09:20] writer: I'll take the launch announcement."
    assert estimate_tokens(text) >= len(re.findall(r"\w+|[^\w\s]", text))


def test_line_formats() -> None:
    mem = {"created_at": "2026-11-21T14:03:27.5+00:00", "actor_id": "Alice", "memory": "Bob and I\nbuild it."}
    assert memory_line(mem) == "[2026-11-21 14:03] Alice: Bob and I build it."
    assert memory_line({**mem, "actor_id": None, "role": "assistant"}).startswith(
        "[2026-11-21 14:03] assistant: "
    )
    rel = {
        "valid_from": "2026-11-21T14:03:00+00:00",
        "actor_id": "Bob",
        "fact": "Bob is responsible for hero section copy",
    }
    assert (
        relation_line(rel)
        == "[2026-11-21 14:03] Fact (said by Bob): Bob is responsible for hero section copy"
    )
    closed = relation_line({**rel, "valid_to": "2026-11-22T08:00:00+00:00"})
    assert closed.endswith("(until 2026-11-22 08:00)")


def test_ranking_merges_scales_and_drops_repeats() -> None:
    found = {
        "results": [
            {
                "id": "m1",
                "memory": "Carol works at Acme",
                "actor_id": "Carol",
                "created_at": "2026-01-01T00:00",
                "score": 0.8,
            },
            {
                "id": "m2",
                "memory": "Sounds good!",
                "actor_id": "Bob",
                "created_at": "2026-01-01T00:01",
                "score": 0.2,
            },
        ],
        "relations": [  # relation scores live on another scale: each kind is divided by its best
            {
                "id": "r1",
                "fact": "Carol works at Acme",
                "actor_id": "Carol",
                "valid_from": "2026-01-01T00:00",
                "score": 2.0,
            },
            {
                "id": "r2",
                "fact": "Bob likes tea",
                "actor_id": "Bob",
                "valid_from": "2026-01-01T00:00",
                "score": 1.0,
            },
        ],
    }
    items = rank_items(found)
    assert [it["id"] for it in items] == ["m1", "r2", "m2"], "r1 repeats m1 word for word"
    ctx = build_context(found, max_tokens=10_000)
    assert ctx["omitted"] == 0 and len(ctx["items"]) == 3


@pytest.mark.asyncio
async def test_async_twin(store_dir: Path) -> None:
    amem = AsyncMemory(_config(store_dir))
    try:
        ctx = await amem.context("launch announcement", run_id=RUN, max_tokens=60)
        assert 0 < ctx["tokens"] <= 60
    finally:
        await amem.close()
