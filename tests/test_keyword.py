"""graphmem's own keyword scorer (pipeline/_keyword.py): tokens, stems, query forms, pool BM25."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from graphmem import Memory
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.models import MemoryRecord, new_id, text_hash
from graphmem.pipeline import _keyword as kw
from graphmem.stores.base import Store


def rec(
    text: str, *, actor: str | None = None, at: str = "2026-01-01T00:00:00Z", id: str | None = None
) -> MemoryRecord:
    return MemoryRecord(id=id or new_id(), memory=text, hash=text_hash(text), user_id="u", agent_id=None,
                        run_id=None, actor_id=actor, role="user", metadata={}, memory_type=None,
                        created_at=at)  # fmt: skip


def query(text: str) -> kw.KeywordQuery:
    q = kw.parse_query(text)
    assert q is not None
    return q


# ---- tokens, stems, forms ----------------------------------------------------------------------
def test_tokens_are_lowercased_word_runs() -> None:
    assert kw.tokens("Émile's NEW-roadmap: Q3! snake_case 3.5") == [
        "émile", "s", "new", "roadmap", "q3", "snake_case", "3", "5"
    ]  # fmt: skip
    assert kw.tokens("Straße") == ["straße"]  # lower(), as FTS5 and Lucene fold case: no "ss"


@pytest.mark.parametrize(
    "words",
    [
        ["paint", "paints", "painted", "painting"],
        ["study", "studies", "studied", "studying"],
        ["run", "runs", "running"],
        ["stop", "stops", "stopped", "stopping"],
        ["dance", "dances", "danced", "dancing"],
        ["hike", "hikes", "hiked", "hiking"],
        ["movie", "movies"],
        ["class", "classes"],
        ["box", "boxes"],
        ["play", "plays", "played", "playing"],
        ["family", "families"],
    ],
)
def test_inflections_share_a_stem_and_are_each_others_forms(words: list[str]) -> None:
    assert len({kw.stem(w) for w in words}) == 1, {w: kw.stem(w) for w in words}
    for w in words:
        assert set(words) <= set(kw.forms(w)), w


@pytest.mark.parametrize(
    "word", ["bus", "glass", "this", "q3", "2026", "émile", "über", "nothing_else", "go"]
)
def test_short_foreign_and_non_alphabetic_words_keep_their_form(word: str) -> None:
    assert kw.stem(word) == word
    assert word in kw.forms(word)


def test_every_form_stems_back_to_the_word_s_stem() -> None:
    for word in ["painting", "studies", "caroline", "running", "hiking", "research", "meetings", "day"]:
        fs = kw.forms(word)
        assert fs[0] == word
        assert {kw.stem(f) for f in fs} == {kw.stem(word)}, word


# ---- queries ------------------------------------------------------------------------------------
def test_query_drops_stop_words_and_groups_forms_by_stem() -> None:
    q = query("Who is painting the paints of Caroline?")
    assert len(q.terms) == 2  # painting/paints are one term; caroline the other
    assert {"paint", "painted", "paints", "painting"} <= q.terms[0]
    assert "caroline" in q.terms[1]
    words = q.text.split()
    assert words == sorted(set(words)) and not set(words) & kw.STOP_WORDS


def test_a_stop_word_only_query_keeps_its_words_and_a_wordless_one_has_none() -> None:
    assert query("who is on the").terms == tuple(frozenset({w}) for w in ("who", "is", "on", "the"))
    assert kw.parse_query("?! ... 🎉") is None
    assert kw.parse_query("") is None


def test_query_size_is_bounded() -> None:
    q = query(" ".join(f"word{i} term{i}" for i in range(200)))
    assert len(q.terms) == kw.MAX_TERMS
    assert q.terms[0] == frozenset({"word0"})  # the first terms are kept
    q = query(" ".join(f"painting{chr(97 + i)}x hiking{chr(97 + i)}" for i in range(26)))
    assert len(q.text.split()) <= kw.MAX_WORDS


# ---- scoring ------------------------------------------------------------------------------------
def test_score_is_okapi_bm25_with_the_pool_s_statistics() -> None:
    docs = ["red apple", "green apple pie", "red red car"]
    q = query("red apple")
    n, avg = 3, (2 + 3 + 3) / 3

    def term(tf: int, df: int, length: int) -> float:
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return idf * tf * (kw.K1 + 1) / (tf + kw.K1 * (1 - kw.B + kw.B * length / avg))

    want = [term(1, 2, 2) + term(1, 2, 2), term(1, 2, 3), term(2, 2, 3)]
    assert kw.score(q, docs) == pytest.approx(want, rel=1e-12)
    assert kw.score(q, []) == []


def test_forms_count_for_their_term_and_other_words_do_not() -> None:
    q = query("painting")
    assert kw.score(q, ["she paints", "he painted it", "a painter", "paint"])[2] == 0.0  # not an inflection
    assert all(s > 0 for s in kw.score(q, ["she paints", "he painted it", "paint"]))


def test_rarer_terms_weigh_more_and_shorter_documents_win_ties() -> None:
    q = query("zebra apple")
    pool = ["apple one", "apple two", "apple three", "zebra four", "apple"]
    s = kw.score(q, pool)
    assert s[3] > s[0]  # zebra is in one document of five, apple in four
    assert s[4] > s[0]  # same tf, shorter


def test_rank_drops_uncredited_candidates_and_breaks_ties_by_age_then_id() -> None:
    q = query("landing")
    old = rec("landing page", at="2026-01-01T00:00:00Z", id="b")
    new = rec("landing page", at="2026-01-02T00:00:00Z", id="a")
    twin = rec("landing page", at="2026-01-01T00:00:00Z", id="c")
    inflected = rec("landings are fun")  # "landings" is a form of "landing": credited
    unrelated = rec("generalization")  # what a Porter-stemming index may add for "general"
    got = kw.rank(q, [new, unrelated, twin, old, inflected, old])
    assert [r.id for r, _ in got] == ["b", "c", "a", inflected.id]  # a duplicate counts once
    assert got[0][1] == got[2][1] > got[3][1] > 0
    assert kw.rank(query("general"), [unrelated]) == []


def test_the_actor_counts_as_a_word_of_the_memory() -> None:
    q = query("what did Caroline say about apples")
    by_her, about_apples = rec("I like pears", actor="Caroline"), rec("apples are red", actor="Mel")
    got = dict((r.id, s) for r, s in kw.rank(q, [by_her, about_apples]))
    assert set(got) == {by_her.id, about_apples.id}


def test_scores_do_not_depend_on_the_candidates_order() -> None:
    q = query("landing page copy hero")
    pool = [rec(t) for t in ["landing page", "hero copy", "the hero section copy", "landing", "page one two"]]
    want = kw.rank(q, pool)
    for seed in range(5):
        shuffled = pool[:]
        random.Random(seed).shuffle(shuffled)
        assert kw.rank(q, shuffled) == want


# ---- in search ----------------------------------------------------------------------------------
def test_search_ranks_keywords_itself_whatever_the_store_s_order(store: Store, monkeypatch: Any) -> None:
    m = Memory(store=store, embedder=HashingEmbedder())
    for text in ["landing page copy", "the landing page", "hero copy for the page", "gardening notes",
                 "a general remark", "generalization of things"]:  # fmt: skip
        m.add(text, user_id="u", infer=False)
    before = m.search("general landing page copy", user_id="u", limit=10)["results"]
    keyword = {r["memory"]: r["scores"]["keyword"] for r in before if "keyword" in r["scores"]}
    # "generalization" may match in a Porter-stemming index; graphmem does not credit it
    assert set(keyword) == {
        "landing page copy",
        "the landing page",
        "hero copy for the page",
        "a general remark",
    }

    found = store.keyword_memories

    def shuffled(*args: Any) -> list[tuple[MemoryRecord, float]]:
        hits = found(*args)
        return [(r, 1.0) for r, _ in reversed(hits)]  # another order, other scores

    monkeypatch.setattr(store, "keyword_memories", shuffled)
    assert m.search("general landing page copy", user_id="u", limit=10)["results"] == before
