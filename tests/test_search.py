"""Search mechanics: the context signal and its store primitive, tied ranks, time cues, switches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from graphmem import Memory
from graphmem.config import SearchConfig, SignalsConfig, WeightsConfig
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.filters import Cond
from graphmem.models import MemoryRecord, Scope, format_time, new_id, text_hash
from graphmem.pipeline._time import YEARS_BACK, time_windows
from graphmem.pipeline.search import SIGNALS, _tied_ranks
from graphmem.stores.base import Store, WriteBatch

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CHAT = [
    ("Alice", "What did you paint last weekend?"),
    ("Bob", "A sunset over the lake."),
    ("Alice", "Lovely. Any plans for the holidays?"),
    ("Bob", "Visiting my parents in Lisbon."),
    ("Alice", "Enjoy the trip!"),
]


def chat(m: Memory, run_id: str = "c", at: datetime = T0) -> list[str]:
    out = m.add([{"role": "user", "name": who, "content": text} for who, text in CHAT], run_id=run_id,
                timestamp=at, infer=False)  # fmt: skip
    return [r["id"] for r in out["results"]]


# ---- the context signal ---------------------------------------------------------------------------
def test_the_neighbours_of_a_hit_come_with_a_context_score(store: Store) -> None:
    m = Memory(store=store, embedder=HashingEmbedder(), config={"search": {"context_hits": 1}})
    ids = chat(m)
    chat(m, run_id="other")  # another conversation in another scope lends nothing
    found = m.search("paint", run_id="c", limit=10)["results"]
    by_id = {r["id"]: r for r in found}
    assert found[0]["id"] == ids[0] and "keyword" in found[0]["scores"]
    assert "context" in by_id[ids[1]]["scores"]  # the answer, right after the question
    assert by_id[ids[1]]["scores"]["context"] > by_id[ids[2]]["scores"]["context"]  # nearer is better
    assert {r["run_id"] for r in found} == {"c"}
    off = Memory(store=store, embedder=HashingEmbedder(), config={"search": {"signals": {"context": False}}})
    assert all("context" not in r["scores"] for r in off.search("paint", run_id="c", limit=10)["results"])


def test_context_stays_within_its_time_span_and_the_filters(store: Store) -> None:
    m = Memory(
        store=store, embedder=HashingEmbedder(), config={"search": {"context_seconds": 60, "context_hits": 1}}
    )
    ids = chat(m)
    late = m.add([{"role": "user", "name": "Bob", "content": "Hello again"}], run_id="c",
                 timestamp=T0 + timedelta(hours=1), infer=False)["results"][0]["id"]  # fmt: skip
    found = m.search("trip", run_id="c", limit=10)["results"]
    assert ids[4] == found[0]["id"]
    context = {r["id"] for r in found if "context" in r["scores"]}
    assert context == {ids[3], ids[2]}  # two turns back; nothing after the last turn but an hour away
    assert late not in context
    only_alice = m.search("trip", run_id="c", limit=10, filters={"actor_id": "Alice"})["results"]
    assert {r["actor_id"] for r in only_alice} == {"Alice"}


def _rec(scope: Scope, at: datetime, text: str, id: str | None = None, actor: str = "A") -> MemoryRecord:
    return MemoryRecord(id=id or new_id(), memory=text, hash=text_hash(text), user_id=scope.user_id, agent_id=None,
                        run_id=scope.run_id, actor_id=actor, role="user", metadata={}, memory_type=None,
                        created_at=format_time(at), embedding=HashingEmbedder(dim=8).embed([text])[0])  # fmt: skip


def test_memories_around_agrees_with_the_contract_s_reference(store: Store) -> None:
    """The store's own answer equals the base class's (two ``list_memories`` per memory)."""
    store.ensure_schema(8)
    scope, other = Scope(user_id="u", run_id="r"), Scope(user_id="u", run_id="s")
    recs = []
    for i in range(30):  # ties: three memories per instant; ids chosen so id order differs from insertion
        at = T0 + timedelta(seconds=10 * (i // 3))
        recs.append(
            _rec(scope, at, f"turn {i}", id=f"{(7 * i) % 30:02d}-{new_id()}", actor="A" if i % 2 else "B")
        )
    recs.append(_rec(other, T0 + timedelta(seconds=45), "elsewhere"))
    store.apply(WriteBatch(memories_add=recs))
    probe = [recs[0], recs[13], recs[29], recs[16]]
    for filters, k, seconds in [(None, 2, 600.0), (None, 4, 25.0), (Cond("actor_id", "eq", "A"), 3, 600.0),
                                (None, 1, 5.0), (None, 0, 600.0)]:  # fmt: skip
        got = store.memories_around(scope, filters, probe, k, seconds)
        want = Store.memories_around(store, scope, filters, probe, k, seconds)
        assert {i: [r.id for r in v] for i, v in got.items()} == {
            i: [r.id for r in v] for i, v in want.items()
        }
        for m in probe if k else []:
            near = got[m.id]
            assert len(near) <= 2 * k and m.id not in {r.id for r in near}
            assert all(r.run_id == "r" and r.created_at != m.created_at for r in near)
            t = datetime.fromisoformat(m.created_at)
            assert all(
                abs(datetime.fromisoformat(r.created_at) - t) <= timedelta(seconds=seconds) for r in near
            )
    assert store.memories_around(scope, None, [], 2, 60.0) == {}


# ---- fusion ---------------------------------------------------------------------------------------
def test_equal_scores_share_a_rank() -> None:
    assert _tied_ranks([0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.1]) == [1, 2, 2, 4, 4, 4, 7]
    assert _tied_ranks([0.5000000001, 0.5, 0.4]) == [1, 1, 3]  # last-bit differences are ties
    assert _tied_ranks(["b", "b", "a"]) == [1, 1, 3]
    assert _tied_ranks([]) == []


def test_every_signal_is_configurable_reported_and_switchable(
    hashing_embedder: HashingEmbedder, store: Store
) -> None:
    assert set(SIGNALS) == set(SignalsConfig.model_fields) == set(WeightsConfig.model_fields)
    m = Memory(store=store, embedder=hashing_embedder)
    chat(m)
    m.add([{"role": "user", "name": "Bob", "content": "Bob works with Alice on the lake painting."}], run_id="c",
          timestamp=T0 + timedelta(days=3), infer=False)  # fmt: skip
    query = "what did Bob paint on 2026-01-01?"
    seen = {s for r in m.search(query, run_id="c", limit=20)["results"] for s in r["scores"]}
    assert seen == set(SIGNALS)
    for signal in SIGNALS:
        off = Memory(store=store, embedder=hashing_embedder, config={"search": {"signals": {signal: False}}})
        found = off.search(query, run_id="c", limit=20)["results"]
        assert found and all(signal not in r["scores"] for r in found), signal


def test_search_config_rejects_negative_weights() -> None:
    with pytest.raises(ValueError):
        SearchConfig.model_validate({"weights": {"keyword": -1}})


# ---- time cues ------------------------------------------------------------------------------------
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


def _days(query: str) -> list[tuple[str, str]]:
    return [(a[:10], b[:10]) for a, b in time_windows(query, NOW)]


@pytest.mark.parametrize(
    "query,want",
    [
        ("what happened on 2026-01-09?", [("2026-01-09", "2026-01-10")]),
        ("the photo shared on December 1,2023", [("2023-12-01", "2023-12-02")]),
        ("what did Joanna finish on 23 January, 2022?", [("2022-01-23", "2022-01-24")]),
        ("the 5th of May 2024", [("2024-05-05", "2024-05-06")]),
        ("plans for June 2022", [("2022-06-01", "2022-07-01")]),
        ("which state in summer 2021?", [("2021-06-01", "2021-09-01")]),
        ("the winter of 2022", [("2021-12-01", "2022-03-01")]),
        ("what happened in 2025", [("2025-01-01", "2026-01-01")]),
        ("what did I do yesterday", [("2026-11-20", "2026-11-21")]),
        ("anything from last year?", [("2025-01-01", "2026-01-01")]),
        ("what may I do", []),  # "may" the verb
        ("march forward", []),
        ("nothing temporal here", []),
    ],
)
def test_time_windows(query: str, want: list[tuple[str, str]]) -> None:
    assert _days(query) == want


def test_a_month_or_season_without_a_year_names_it_in_recent_years() -> None:
    june = _days("When did Melanie go camping in June?")
    assert len(june) == YEARS_BACK
    assert june[0] == ("2026-06-01", "2026-07-01") and june[-1] == (
        f"{2026 - YEARS_BACK + 1}-06-01",
        f"{2026 - YEARS_BACK + 1}-07-01",
    )
    summer = _days("a pride parade during the summer")
    assert summer[3] == ("2023-06-01", "2023-09-01")


def test_a_month_without_a_year_finds_memories_of_that_month(store: Store) -> None:
    m = Memory(store=store, embedder=HashingEmbedder())
    said: dict[str, Any] = {}
    for when, text in [(datetime(2023, 6, 12, tzinfo=UTC), "We went camping by the river."),
                       (datetime(2023, 8, 2, tzinfo=UTC), "We went camping in the hills."),
                       (datetime(2024, 6, 3, tzinfo=UTC), "Camping again, in the rain.")]:  # fmt: skip
        said[text] = m.add(text, run_id="t", timestamp=when, infer=False)["results"][0]["id"]
    found = m.search("When did we go camping in June?", run_id="t", limit=5)["results"]
    temporal = {r["id"] for r in found if "temporal" in r["scores"]}
    assert temporal == {said["We went camping by the river."], said["Camping again, in the rain."]}
