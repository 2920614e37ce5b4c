"""Hostile input: each case is stored verbatim (and found again) or rejected with a named
``GraphMemError`` subclass; nothing crashes, nothing leaks into a neighbouring scope, and the
store stays consistent (``invariants.assert_consistent``) on both backends.

Every test starts from a store holding one memory in a *neighbour* scope, and ends by checking
the neighbour still sees exactly that memory, and that a rejected call changed nothing at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from graphmem import (
    ContentTooLargeError,
    DimensionMismatchError,
    EmbeddingError,
    EmptyContentError,
    GraphMemError,
    InvalidInputError,
    InvalidMetadataError,
    Memory,
    MemoryConfig,
    MemoryNotFoundError,
)
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store
from reliability.invariants import assert_consistent, snapshot

MB = 1_000_000
#: Room for the 1 MB cases; the default limits are tested at their boundary in test_limits.py.
CONFIG = {"limits": {"max_message_chars": MB + 10, "max_metadata_bytes": 2 * MB}}
NEIGHBOUR = {"user_id": "neighbour"}
SCOPE = {"user_id": "hostile"}


NEIGHBOUR_TEXT = "I work with Bob on the neighbour page."
#: What the neighbour's one memory states (checked once here, then expected untouched).
NEIGHBOUR_FACTS = [
    ("Bob", "WORKS_ON", "neighbour page"),
    ("Nina", "WORKS_ON", "neighbour page"),
    ("Nina", "WORKS_WITH", "Bob"),
]


def with_neighbour(m: Memory) -> Memory:
    m.add([{"role": "user", "name": "Nina", "content": NEIGHBOUR_TEXT}], infer=False, **NEIGHBOUR)
    assert_neighbour_untouched(m)
    return m


@pytest.fixture
def memory(store: Store) -> Memory:
    return with_neighbour(
        Memory(MemoryConfig.from_dict(CONFIG), store=store, embedder=HashingEmbedder(dim=384))
    )


def assert_neighbour_untouched(m: Memory) -> None:
    got = m.get_all(**NEIGHBOUR)
    assert [r["memory"] for r in got["results"]] == [NEIGHBOUR_TEXT]
    mid = got["results"][0]["id"]
    facts = sorted((r["source"], r["relationship"], r["destination"]) for r in got["relations"])
    assert facts == NEIGHBOUR_FACTS
    assert all(r["memory_ids"] == [mid] for r in got["relations"])
    hits = m.search("Bob page hostile", **NEIGHBOUR)
    assert [r["id"] for r in hits["results"]] == [mid]


def counts(store: Store) -> tuple[int, ...]:
    s = snapshot(store)
    return (len(s.memories), len(s.entities), len(s.relations), len(s.mentions), len(s.history))


# ---- text ---------------------------------------------------------------------------------------
VERBATIM = {
    "control characters": "tab\tnew\nline\rcr \x01\x02\x1b[31mred\x1b[0m \x7f \x85 \u2028 \u2029 bell\x07 end",
    "right-to-left": "שלום עולם, مرحبا بالعالم \u202eevil override\u202c and \u200fmarks\u200e",
    "emoji": "👩‍👩‍👧‍👦 family 🏳️‍🌈 flag 🤖 robot 🇺🇦 works with 🐍",
    "combining marks": "e\u0301 Zalgo: Z̷̢͎a̸l̵g̶o ﷽",
    "zero width only": "\u200b\u200d",
    "cypher": "') MATCH (n) DETACH DELETE n // works with `Bob` {x: $param}",
    "sql": "Robert'); DROP TABLE memories;-- works with Bob; DELETE FROM history WHERE 1=1",
    "lucene": 'title:foo AND bar~2 OR "baz" NOT qux* ^3 [a TO z] {x} \\ / && || !',
    "fts5": 'NEAR(a b) memory:foo "unterminated ^ * col:val scope_tokens : 1',
    "path": "../../etc/passwd and C:\\Windows\\system32 and /dev/null",
    "quotes in names": "O'Brien \"the boss\" works with D'Arcy `tick`.",
    "1 MB of words": "word " * (MB // 5),
    "1 MB single token": "x" * MB,
}


@pytest.mark.parametrize("text", list(VERBATIM.values()), ids=list(VERBATIM))
def test_text_is_stored_verbatim_and_found_again(memory: Memory, store: Store, text: str) -> None:
    out = memory.add([{"role": "user", "name": "Hostile", "content": text}], infer=False, **SCOPE)
    mid = out["results"][0]["id"]
    assert memory.get(mid)["memory"] == text
    assert [e["new_memory"] for e in memory.history(mid)] == [text]
    assert [r["id"] for r in memory.get_all(**SCOPE)["results"]] == [mid]
    hits = memory.search(text[:2000], **SCOPE)
    assert [r["id"] for r in hits["results"]] == [mid]
    assert all(mid in r["memory_ids"] for r in hits["relations"])
    memory.context(text[:2000], max_tokens=50, **SCOPE)  # packs (or omits) it without failing
    assert_neighbour_untouched(memory)
    assert_consistent(store)


def test_text_round_trips_as_a_speaker_name_and_entity_too(memory: Memory, store: Store) -> None:
    name = "O'Brien\") MATCH (n) DETACH DELETE n // 👩‍👩‍👧 \u202eRTL"
    out = memory.add([{"role": "user", "name": name, "content": "I work with Bob."}], infer=False, **SCOPE)
    assert memory.get(out["results"][0]["id"])["actor_id"] == name
    assert [(r["source"], r["destination"], r["actor_id"]) for r in memory.relations(**SCOPE)] == [
        (name, "Bob", name)
    ]
    assert [p["person"] for p in memory.who_works_with("Bob", **SCOPE)] == [name]
    assert [p["person"] for p in memory.who_works_with(name, **SCOPE)] == ["Bob"]
    assert memory.search(name, **SCOPE)["results"][0]["actor_id"] == name
    assert_neighbour_untouched(memory)
    assert_consistent(store)


REJECTED_TEXT: dict[str, tuple[Any, type[GraphMemError]]] = {
    "empty": ("", EmptyContentError),
    "whitespace": ("  \n\t\r ", EmptyContentError),
    "unicode whitespace": ("\u3000\u2003\u00a0", EmptyContentError),
    "bytes": (b"hello", InvalidInputError),
    "invalid UTF-8 bytes": (b"\xff\xfe\xfd", InvalidInputError),
    "lone surrogate": ("half a pair: \ud800", InvalidInputError),
    "undecodable bytes as surrogates": (b"ok \xff".decode("utf-8", "surrogateescape"), InvalidInputError),
    "NUL": ("before\x00after", InvalidInputError),
    "over the limit": ("x" * (MB + 11), ContentTooLargeError),
}


@pytest.mark.parametrize("bad,error", list(REJECTED_TEXT.values()), ids=list(REJECTED_TEXT))
def test_text_is_rejected_with_a_named_error_everywhere_text_goes_in(
    memory: Memory, store: Store, bad: Any, error: type[GraphMemError]
) -> None:
    mid = memory.get_all(**NEIGHBOUR)["results"][0]["id"]
    before = counts(store)
    calls = {
        "add content": lambda: memory.add([{"role": "user", "content": bad}], infer=False, **SCOPE),
        "add plain": lambda: memory.add(bad, infer=False, **SCOPE),
        "search": lambda: memory.search(bad, **SCOPE),
        "update": lambda: memory.update(mid, bad),
        "context": lambda: memory.context(bad, **SCOPE),
        "who_works_with": lambda: memory.who_works_with(bad, **SCOPE),
        "relations entity": lambda: memory.relations(entity=bad, **SCOPE),
    }
    for what, call in calls.items():
        with pytest.raises(error):
            call()
        assert counts(store) == before, f"{what} wrote something"
    if error is not EmptyContentError:  # an empty name is rejected too, with InvalidInputError
        with pytest.raises(GraphMemError):
            memory.add([{"role": "user", "name": bad, "content": "hello"}], infer=False, **SCOPE)
    assert counts(store) == before
    assert_neighbour_untouched(memory)
    assert_consistent(store)


# ---- ids ----------------------------------------------------------------------------------------
#: Ids that differ from each other only by characters that mean something to a path, a shell,
#: SQL LIKE, Cypher, Lucene or FTS5; no two may ever see each other's data.
HOSTILE_IDS = [
    "u", "U", "u*", "u%", "u_", "u ", " u", "u/", "../u", "C:\\u", "u'", 'u"', "u`",
    "u' OR '1'='1", "u\") MATCH (n) DETACH DELETE n //", "u:* AND v~", "u\u202e", "u👩‍👩‍👧", "ü",
]  # fmt: skip
#: The ones that differ by what Cypher and Lucene care about (each id costs a dozen round trips).
NEO4J_IDS = [
    "u",
    "U",
    "u*",
    "u ",
    "u'",
    'u"',
    "u`",
    "u' OR '1'='1",
    'u") MATCH (n) DETACH DELETE n //',
    "u:* AND v~",
    "u👩‍👩‍👧",
]


@pytest.mark.parametrize("key", ["user_id", "agent_id", "run_id"])
def test_hostile_scope_ids_are_stored_verbatim_and_kept_apart(memory: Memory, store: Store, key: str) -> None:
    # On Neo4j, the ids that differ by the characters Cypher and Lucene care about, to keep the
    # run short (each id costs a dozen round trips there); everything on the embedded store.
    hostile = HOSTILE_IDS if store.name == "embedded" else NEO4J_IDS
    ids = {}
    for i, value in enumerate(hostile):
        out = memory.add([{"role": "user", "name": f"Actor{i}", "content": "I work with Bob."}], infer=False,
                         metadata={"i": i}, **{key: value})  # fmt: skip
        ids[value] = out["results"][0]["id"]
    for i, value in enumerate(hostile):
        scope = {key: value}
        got = memory.get_all(**scope)
        assert [r["id"] for r in got["results"]] == [ids[value]], value
        assert got["results"][0][key] == value
        assert [r["memory_ids"] for r in got["relations"]] == [[ids[value]]]
        assert [r["id"] for r in memory.search("Bob work", **scope)["results"]] == [ids[value]]
        assert [p["person"] for p in memory.who_works_with("Bob", **scope)] == [f"Actor{i}"]
        assert sorted(d["name"] for _, d in memory.graph(**scope).nodes(data=True)) == sorted(
            [f"Actor{i}", "Bob"]
        )
    memory.delete_all(**{key: "u"})
    assert ids["u"] not in snapshot(store).memories
    for value in hostile[1:]:
        assert [r["id"] for r in memory.get_all(**{key: value})["results"]] == [ids[value]], value
    assert_neighbour_untouched(memory)
    assert_consistent(store)


BAD_MEMORY_IDS = [
    "",
    "../x",
    "' OR 1=1 --",
    "*",
    "}) MATCH (n) DETACH DELETE n //",
    "%",
    "a\x00b",
    "\ud800",
    None,
    42,
]


@pytest.mark.parametrize("bad", BAD_MEMORY_IDS, ids=[repr(b) for b in BAD_MEMORY_IDS])
def test_hostile_memory_ids_are_not_found_and_change_nothing(memory: Memory, store: Store, bad: Any) -> None:
    before = counts(store)
    for call in (memory.get, memory.delete, memory.history, lambda i: memory.update(i, "new text")):
        with pytest.raises(MemoryNotFoundError):
            call(bad)
    assert counts(store) == before
    assert_neighbour_untouched(memory)


# ---- metadata -----------------------------------------------------------------------------------
def nested(depth: int) -> dict[str, Any]:
    d: dict[str, Any] = {"leaf": "bottom"}
    for _ in range(depth):
        d = {"a": d}
    return d


VERBATIM_METADATA: dict[str, dict[str, Any]] = {
    "nested 200 deep": nested(200),
    "hostile keys and values": {
        "k`ey": "v'al",
        "a-b": "{x}",
        "$where": "1=1",
        "": "empty key",
        "sp ace": "' OR 1=1 --",
        "nul": "a\x00b",
        "\x00": "nul key",
        "rtl": "\u202eevil",
        "emoji 🤖": ["👩‍👩‍👧", {"deep": None}],
    },
    "numbers at the edges": {
        "big": 2**100,
        "neg": -(2**70),
        "tiny": 5e-324,
        "max": 1.7976931348623157e308,
        "zero": -0.0,
        "bools": [True, False, None],
    },
    "huge but under the limit": {"blob": "y" * (MB // 2), "list": list(range(50_000))},
}


@pytest.mark.parametrize("meta", list(VERBATIM_METADATA.values()), ids=list(VERBATIM_METADATA))
def test_metadata_is_stored_verbatim(memory: Memory, store: Store, meta: dict[str, Any]) -> None:
    out = memory.add("Metadata carrier.", metadata=meta, infer=False, **SCOPE)
    assert memory.get(out["results"][0]["id"])["metadata"] == meta
    assert memory.get_all(**SCOPE)["results"][0]["metadata"] == meta
    assert_neighbour_untouched(memory)
    assert_consistent(store)


def test_metadata_filters_take_hostile_values_literally(memory: Memory, store: Store) -> None:
    values = ["' OR 1=1 --", "*", "%", ".*", "a\\b", '") RETURN 1 //', "$x"]
    for v in values:
        memory.add(f"carrier of {v}", metadata={"tag": v}, infer=False, **SCOPE)
    for v in values:  # ("*" alone means "the key is present": spelled out, it is a value like any other)
        got = memory.get_all(filters={"tag": {"eq": v}}, **SCOPE)["results"]
        assert [r["metadata"]["tag"] for r in got] == [v]
        got = memory.search("carrier", filters={"tag": {"in": [v]}}, **SCOPE)["results"]
        assert [r["metadata"]["tag"] for r in got] == [v]


class _Custom:
    pass


REJECTED_METADATA: dict[str, tuple[Any, type[GraphMemError]]] = {
    "not a dict": ([1, 2], InvalidMetadataError),
    "a string": ("{}", InvalidMetadataError),
    "nested too deeply": (nested(100_000), InvalidMetadataError),
    "a set": ({"s": {1, 2}}, InvalidMetadataError),
    "bytes": ({"b": b"raw"}, InvalidMetadataError),
    "an object": ({"o": _Custom()}, InvalidMetadataError),
    "NaN": ({"f": math.nan}, InvalidMetadataError),
    "infinity": ({"f": [1.0, math.inf]}, InvalidMetadataError),
    "a non-string key": ({1: "one"}, InvalidMetadataError),
    # JSON would silently turn these keys into strings ({1: "a", "1": "b"} would lose a value)
    "a nested non-string key": ({"a": {1: "one"}}, InvalidMetadataError),
    "colliding keys once stringified": ({"a": [{1: "x", "1": "y"}]}, InvalidMetadataError),
    "a lone surrogate": ({"k": "\udc80"}, InvalidMetadataError),
    "over the size limit": ({"blob": "z" * (2 * MB)}, ContentTooLargeError),
}


@pytest.mark.parametrize("meta,error", list(REJECTED_METADATA.values()), ids=list(REJECTED_METADATA))
def test_bad_metadata_is_rejected_and_writes_nothing(
    memory: Memory, store: Store, meta: Any, error: type[GraphMemError]
) -> None:
    mid = memory.get_all(**NEIGHBOUR)["results"][0]["id"]
    before = counts(store)
    with pytest.raises(error):
        memory.add("carrier", metadata=meta, infer=False, **SCOPE)
    with pytest.raises(error):
        memory.update(mid, "new text", metadata=meta)
    assert counts(store) == before
    assert_neighbour_untouched(memory)


# ---- a custom embedder gone wrong ---------------------------------------------------------------
class FaultyEmbedder:
    """Good vectors until told otherwise; then the fault of ``mode``."""

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.mode = "good"
        self._good = HashingEmbedder(dim=dim)

    def embed(self, texts: Sequence[str]) -> Any:
        good = np.asarray(self._good.embed(texts), dtype=np.float32)
        if self.mode == "nan":
            good[0, 3] = np.nan
        elif self.mode == "inf":
            good[-1, 0] = -np.inf
        elif self.mode == "wrong dimension":
            return good[:, :-1]
        elif self.mode == "too few vectors":
            return good[:-1]
        elif self.mode == "zero vector":
            good[0] = 0
        elif self.mode == "not numbers":
            return [["a"] * self.dim for _ in texts]
        elif self.mode == "ragged":
            return [list(v) for v in good[:-1]] + [list(good[-1][:10])]
        elif self.mode == "nothing":
            return None
        return good


FAULTS = {
    "nan": EmbeddingError,
    "inf": EmbeddingError,
    "wrong dimension": DimensionMismatchError,
    "too few vectors": EmbeddingError,
    "zero vector": EmbeddingError,
    "not numbers": EmbeddingError,
    "ragged": EmbeddingError,
    "nothing": EmbeddingError,
}


@pytest.mark.parametrize("mode", list(FAULTS))
def test_a_faulty_embedder_is_rejected_and_the_memory_recovers(store: Store, mode: str) -> None:
    embedder = FaultyEmbedder()
    m = with_neighbour(Memory(MemoryConfig.from_dict(CONFIG), store=store, embedder=embedder))
    mid = m.get_all(**NEIGHBOUR)["results"][0]["id"]
    before = counts(store)
    embedder.mode = mode
    messages = [{"role": "user", "name": "Ann", "content": "I work with Carl."}, "And with Dora."]
    with pytest.raises(FAULTS[mode]):
        m.add(messages, infer=False, **SCOPE)
    with pytest.raises(FAULTS[mode]):
        m.update(mid, "I work with Eve now.")
    if mode not in ("too few vectors", "ragged"):  # one query text: one vector, nothing to miscount
        with pytest.raises(FAULTS[mode]):
            m.search("who works with Bob?", **NEIGHBOUR)
    assert counts(store) == before
    embedder.mode = "good"
    m.add(messages, infer=False, **SCOPE)
    assert_neighbour_untouched(m)
    assert_consistent(store)


def test_an_embedder_of_another_dimension_is_refused_by_a_store_with_vectors(
    memory: Memory, store: Store, open_store: Any
) -> None:
    with pytest.raises(DimensionMismatchError):
        Memory(store=open_store(), embedder=HashingEmbedder(dim=8))
    assert_neighbour_untouched(memory)
    assert_consistent(store)
