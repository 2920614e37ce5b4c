"""Export and import: lossless between store kinds, idempotent, and all-or-nothing on bad files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from graphmem import DimensionMismatchError, ImportFormatError, Memory
from graphmem.cli import main
from graphmem.collab._export_format import digest
from graphmem.collab.roles import MEMBER_KIND
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.models import Scope
from graphmem.stores.base import Store

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
QUERIES = [
    "who is working on the landing page?",
    "what is Bob responsible for?",
    "where does Dana live?",
    "hero section copy status",
    "what did the team decide?",
]


def populate(m: Memory) -> None:
    """A bit of everything: roles, attributed talk, an update, a delete, closed facts, tasks, a meeting."""
    m.projects.create("team", admin="Alice")
    m.projects.add_member("team", "Bob", "member")
    lines = [
        ("Alice", "Bob and I are building the new landing page."),
        ("Bob", "I'll take the hero section copy."),
        ("Carol", "I work at Acme as a product designer."),
        ("Carol", "I'll do the screenshots for the landing page."),
        ("Alice", "We decided to use Figma for the mockups."),
        ("Bob", "This line will be deleted."),
    ]
    ids = []
    for i, (who, text) in enumerate(lines):
        out = m.add([{"role": "user", "name": who, "content": text}], run_id="team", timestamp=T0 + 60 * i,
                    metadata={"n": i, "tags": ["talk"]})  # fmt: skip
        ids.append(out["results"][0]["id"])
    m.update(ids[2], "I work at Initech as a product designer.")  # history UPDATE, WORKS_AT re-extracted
    m.delete(ids[5])
    m.tasks.assign("team", "hero section copy", "Bob", by="Alice", when=T0 + 600)
    m.tasks.set_status("team", "hero section copy", "IN_PROGRESS", by="Bob", when=T0 + 660)
    m.tasks.set_status("team", "hero section copy", "DONE", by="Bob", when=T0 + 720)  # closes IN_PROGRESS
    m.tasks.due("team", "hero section copy", "2026-01-09", by="Alice", when=T0 + 780)
    m.meetings.record("team", "Kickoff", attendees=["Alice", "Bob", "Carol"], agenda=["scope"],
                      action_items=[("Carol", "screenshots")], notes="We decided to ship on Friday.", by="Alice",
                      when=T0 + 840)  # fmt: skip
    m.add([{"role": "user", "name": "Dana", "content": "I live in Paris."}], user_id="dana", timestamp=T0)
    m.add(
        [{"role": "user", "name": "Dana", "content": "I moved to Berlin."}],
        user_id="dana",
        timestamp=T0 + 86400,
    )


def state(m: Memory, **scope: str) -> dict[str, Any]:
    """Everything a user can read about a scope, in a comparable form."""
    got = m.get_all(**scope, limit=1000)  # type: ignore[arg-type]
    rels = sorted(m.relations(**scope, include_invalid=True), key=lambda r: r["id"])  # type: ignore[arg-type]
    return {
        "memories": got["results"],
        "current": sorted(r["id"] for r in got["relations"]),
        "relations": rels,
        "history": {r["id"]: m.history(r["id"]) for r in got["results"]},
        "tasks": m.tasks.list(scope["run_id"]) if "run_id" in scope else None,
        "members": m.projects.members(scope["run_id"]) if "run_id" in scope else None,
    }


def searches(m: Memory, **scope: str) -> list[Any]:
    """Every query's results and relations, in order, with every score.

    Similarities are compared to five places: Neo4j's vector index and numpy may differ in the
    last float32 bit. Fused scores come from ranks alone and compare to six.
    """
    out = []
    for q in QUERIES:
        found = m.search(q, **scope, limit=8)  # type: ignore[arg-type]
        out.append(([(r["id"], round(r["score"], 6), _rounded(r["scores"])) for r in found["results"]],
                    [(r["id"], round(r["score"], 5)) for r in found["relations"]]))  # fmt: skip
    return out


def _rounded(scores: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 5) for k, v in scores.items()}


def signal_scores(m: Memory, **scope: str) -> list[dict[str, dict[str, float]]]:
    """Per query, result id -> every signal's score, for all results (not only the top 8)."""
    out = []
    for q in QUERIES:
        found = m.search(q, **scope, limit=100)  # type: ignore[arg-type]
        out.append({r["id"]: _rounded(r["scores"]) for r in found["results"]})
    return out


SCOPES: list[dict[str, str]] = [{"run_id": "team"}, {"user_id": "dana"}]


def assert_same_data(a: Memory, b: Memory) -> None:
    """Identical get_all, relations (closed ones too), history, tasks and roles."""
    for scope in SCOPES:
        sa, sb = state(a, **scope), state(b, **scope)
        assert sa["memories"] and sa["relations"]
        assert sa == sb
    closed = [r for r in state(b, run_id="team")["relations"] if r["valid_to"]]
    assert {r["relationship"] for r in closed} >= {"HAS_STATUS"}  # closed facts made the trip


def assert_same(a: Memory, b: Memory) -> None:
    """The same data and the same search results, order and scores included (any store kinds)."""
    assert_same_data(a, b)
    for scope in SCOPES:
        assert searches(a, **scope) == searches(b, **scope)


def empty(store: Store) -> bool:
    return (
        store.count_memories() == 0 and not store.list_entities(Scope()) and not store.get_docs(MEMBER_KIND)
    )


# ---- round trips -----------------------------------------------------------------------------
@pytest.mark.neo4j
@pytest.mark.parametrize(
    "source,target", [("embedded_store", "neo4j_store"), ("neo4j_store", "embedded_store")]
)
def test_round_trip_between_store_kinds(
    request: pytest.FixtureRequest, source: str, target: str, tmp_path: Path
) -> None:
    from graphmem.stores.embedded import EmbeddedStore

    src = Memory(store=request.getfixturevalue(source), embedder=HashingEmbedder())
    dst = Memory(store=request.getfixturevalue(target), embedder=HashingEmbedder())
    populate(src)
    expected = [searches(src, **scope) for scope in SCOPES]
    out = src.export(tmp_path / "backup.jsonl")
    assert out["counts"]["memory"] == 13 and out["counts"]["doc"] == 2

    # a truncated copy is refused and leaves the fresh target untouched
    text = (tmp_path / "backup.jsonl").read_text()
    (tmp_path / "cut.jsonl").write_text(text[: len(text) * 2 // 3])
    with pytest.raises(ImportFormatError, match="truncated"):
        dst.import_(tmp_path / "cut.jsonl")
    assert empty(dst.store)

    result = dst.import_(tmp_path / "backup.jsonl")
    assert result["added"] == result["records"]
    assert_same_data(src, dst)
    # The vectors and the graph arrived intact, and keyword hits are scored by graphmem, not by
    # FTS5 or Lucene: every query answers as at the source, order and every score included.
    for scope in SCOPES:
        assert signal_scores(src, **scope) == signal_scores(dst, **scope)
        for q, got, want in zip(QUERIES, searches(dst, **scope), searches(src, **scope), strict=True):
            assert got == want, (q, scope)
    assert any(r[2].get("keyword") for q in expected[0] for r in q[0])  # the keyword signal took part
    # the target exports the same records again (the header's time and store name aside; records
    # created in the same instant may come in another order) ...
    again = io.StringIO()
    dst.export(again)
    assert sorted(again.getvalue().splitlines()[1:-1]) == sorted(text.splitlines()[1:-1])
    # ... and back in a store of the source's kind, search answers exactly as at the source
    if source == "embedded_store":
        back = Memory(store=EmbeddedStore(tmp_path / "back"), embedder=HashingEmbedder())
    else:
        src.reset()
        back = src
    back.import_(io.StringIO(again.getvalue()))
    assert [searches(back, **scope) for scope in SCOPES] == expected


def test_restore_after_reset_is_exact(store: Store, tmp_path: Path) -> None:
    m = Memory(store=store, embedder=HashingEmbedder())
    populate(m)
    before = {k: (state(m, **s), searches(m, **s)) for k, s in zip(("team", "dana"), SCOPES, strict=True)}
    m.export(tmp_path / "all.jsonl")
    m.reset()
    assert empty(store)
    m.import_(tmp_path / "all.jsonl")
    after = {k: (state(m, **s), searches(m, **s)) for k, s in zip(("team", "dana"), SCOPES, strict=True)}
    assert after == before


def test_round_trip_into_a_fresh_store_of_the_same_kind(tmp_path: Path) -> None:
    from graphmem.stores.embedded import EmbeddedStore

    src = Memory(store=EmbeddedStore(tmp_path / "a"), embedder=HashingEmbedder())
    populate(src)
    buf = io.StringIO()
    src.export(buf)
    dst = Memory(store=EmbeddedStore(tmp_path / "b"), embedder=HashingEmbedder())
    dst.import_(io.StringIO(buf.getvalue()))
    assert_same(src, dst)


def test_reimport_is_idempotent_and_keeps_other_data(store: Store, tmp_path: Path) -> None:
    from graphmem.stores.embedded import EmbeddedStore

    src = Memory(store=EmbeddedStore(tmp_path / "src"), embedder=HashingEmbedder())
    populate(src)
    src.export(tmp_path / "b.jsonl", run_id="team")
    dst = Memory(store=store, embedder=HashingEmbedder())
    dst.add("unrelated data that must survive", user_id="zed")
    first = dst.import_(tmp_path / "b.jsonl")
    before = state(dst, run_id="team")
    second = dst.import_(tmp_path / "b.jsonl")
    assert sum(first["added"].values()) > 0
    assert second["added"] == dict.fromkeys(second["added"], 0)
    assert second["updated"] == dict.fromkeys(second["updated"], 0)
    assert state(dst, run_id="team") == before
    assert len(dst.get_all(user_id="zed")["results"]) == 1
    assert "dana" not in json.dumps(before)  # a scoped export holds only its scope
    # a changed memory in the store is put back to the file's version by a re-import
    mid = before["memories"][0]["id"]
    dst.update(mid, "changed after the backup")
    third = dst.import_(tmp_path / "b.jsonl")
    assert third["updated"]["memory"] == 1 and dst.get(mid)["memory"] == before["memories"][0]["memory"]


# ---- bad files -------------------------------------------------------------------------------
@pytest.fixture
def backup(tmp_path: Path) -> list[str]:
    from graphmem.stores.embedded import EmbeddedStore

    src = Memory(store=EmbeddedStore(tmp_path / "src"), embedder=HashingEmbedder())
    populate(src)
    buf = io.StringIO()
    src.export(buf)
    return buf.getvalue().splitlines()


def resealed(lines: list[str]) -> str:
    """``lines`` (header + records) with a correct end record: the checksum is not what catches it."""
    body = lines[:-1]
    end = json.loads(lines[-1])
    end["sha256"] = digest(body)
    return "\n".join([*body, json.dumps(end)]) + "\n"


def _bad_files(lines: list[str]) -> dict[str, tuple[str, str]]:
    """name -> (file text, what the error says)."""
    text = "\n".join(lines) + "\n"
    mid = len(lines) // 2
    header = json.loads(lines[0])
    flipped = lines[mid].replace('"memory"', '"memorx"', 1) if '"memory"' in lines[mid] else lines[mid] + " "
    wrong_version = json.dumps({**header, "version": 2})
    unknown_ref = json.loads(next(ln for ln in lines if '"record":"mention"' in ln))
    unknown_ref["entity_id"] = "no-such-entity"
    bad_type = json.loads(next(ln for ln in lines if '"record":"relation"' in ln))
    bad_type["type"] = "X}) DETACH DELETE n //"
    swap = lambda ln, new: [new if x == ln else x for x in lines]  # noqa: E731
    mention = next(ln for ln in lines if '"record":"mention"' in ln)
    relation = next(ln for ln in lines if '"record":"relation"' in ln)
    return {
        "cut mid-line": (text[: len(text) // 2], "truncated"),
        "cut at a line end": ("\n".join(lines[:mid]) + "\n", "truncated"),
        "end record missing": ("\n".join(lines[:-1]) + "\n", "truncated"),
        "a byte changed": ("\n".join([*lines[:mid], flipped, *lines[mid + 1 :]]) + "\n", "checksum"),
        "a line dropped": ("\n".join([*lines[:mid], *lines[mid + 1 :]]) + "\n", "checksum"),
        "wrong version": (resealed([wrong_version, *lines[1:]]), "version 2"),
        "not json": (resealed([*lines[:mid], "{not json", *lines[mid + 1 :]]), "not JSON"),
        "dangling reference": (resealed(swap(mention, json.dumps(unknown_ref))), "does not hold"),
        "relation type injection": (resealed(swap(relation, json.dumps(bad_type))), "UPPER_SNAKE"),
        "counts disagree": (resealed([*lines[:mid], *lines[mid + 1 :]]), "counts"),
        "not an export": ("hello\n", "not JSON"),
        "empty": ("", "empty"),
    }


def test_bad_files_are_rejected_with_nothing_written(store: Store, backup: list[str]) -> None:
    m = Memory(store=store, embedder=HashingEmbedder())
    for name, (text, message) in _bad_files(backup).items():
        with pytest.raises(ImportFormatError, match=message):
            m.import_(io.StringIO(text))
        assert empty(store), name


def test_bad_files_fail_before_the_store_is_touched(backup: list[str], tmp_path: Path) -> None:
    """The checks run on the file alone: a store whose writes would fail is never reached."""
    from graphmem.stores.embedded import EmbeddedStore

    class NoWrites(EmbeddedStore):
        def apply(self, batch: Any) -> None:
            raise AssertionError("a bad file reached the store")

    m = Memory(store=NoWrites(tmp_path / "s"), embedder=HashingEmbedder())
    for text, message in _bad_files(backup).values():
        with pytest.raises(ImportFormatError, match=message):
            m.import_(io.StringIO(text))


def test_reembed_takes_vectors_from_another_embedder(tmp_path: Path, backup: list[str]) -> None:
    from graphmem.stores.embedded import EmbeddedStore

    text = "\n".join(backup) + "\n"
    m = Memory(store=EmbeddedStore(tmp_path / "d"), embedder=HashingEmbedder(dim=64))
    with pytest.raises(DimensionMismatchError):
        m.import_(io.StringIO(text))
    m.import_(io.StringIO(text), reembed=True)
    assert m.search("hero section copy", run_id="team")["results"]


# ---- CLI ---------------------------------------------------------------------------------------
def test_cli_export_and_import_between_directories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = Memory.from_config({"graph_store": {"provider": "embedded", "config": {"path": str(tmp_path / "a")}},
                              "embedder": {"provider": "hashing"}})  # fmt: skip
    populate(src)
    src.close()
    out = tmp_path / "team.jsonl"
    assert (
        main(
            [
                "export",
                "--out",
                str(out),
                "--run-id",
                "team",
                "--dir",
                str(tmp_path / "a"),
                "--embedder",
                "hashing",
            ]
        )
        == 0
    )
    assert "exported" in capsys.readouterr().out
    argv = ["import", str(out), "--dir", str(tmp_path / "b"), "--embedder", "hashing"]
    assert main(argv) == 0
    assert "added" in capsys.readouterr().out
    assert main(argv) == 0
    assert "nothing new" in capsys.readouterr().out
    out.write_text(out.read_text()[:-200])
    assert main(argv) == 2
    assert "ImportFormatError" in capsys.readouterr().err


@pytest.mark.neo4j
def test_cli_migrates_embedded_to_neo4j(tmp_path: Path, neo4j_store: Store, neo4j_server: Any,
                                        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    src = Memory.from_config({"graph_store": {"provider": "embedded", "config": {"path": str(tmp_path / "a")}},
                              "embedder": {"provider": "hashing"}})  # fmt: skip
    populate(src)
    out = tmp_path / "all.jsonl"
    assert main(["export", "--out", str(out), "--dir", str(tmp_path / "a"), "--embedder", "hashing"]) == 0
    argv = ["import", str(out), "--neo4j-url", neo4j_server.uri, "--embedder", "hashing"]
    if neo4j_server.username:
        argv += ["--neo4j-user", neo4j_server.username, "--neo4j-password", neo4j_server.password or ""]
    assert main(argv) == 0, capsys.readouterr().err
    assert "into the neo4j store" in capsys.readouterr().out
    dst = Memory(store=neo4j_store, embedder=HashingEmbedder())
    assert_same(src, dst)  # search included: the same results, order and scores, on the other kind
    for scope in SCOPES:
        assert signal_scores(src, **scope) == signal_scores(dst, **scope)
