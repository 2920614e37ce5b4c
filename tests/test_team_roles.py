"""Projects and enforced roles: every role against every operation, on every store.

The matrix runs each operation as an admin, a member, a viewer and a non-member of one project.
An allowed call must have its effect; a denied one must raise PermissionDeniedError and leave
the memories, relations, history and roles exactly as they were.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from graphmem import InvalidInputError, Memory, PermissionDeniedError, ProjectNotFoundError
from graphmem.collab import ActingMemory
from graphmem.embedders.hashing import HashingEmbedder
from graphmem.stores.base import Store

RUN = "proj"
#: principal -> role (None: not a member).
CAST = {"Ada": "admin", "Max": "member", "Val": "viewer", "Oz": None}
ROLE_OF = {role or "outsider": name for name, role in CAST.items()}


@dataclass
class World:
    m: Memory
    ids: dict[str, str]  # actor -> id of a memory they wrote in the project


@pytest.fixture
def world(store: Store, hashing_embedder: HashingEmbedder) -> World:
    m = Memory(store=store, embedder=hashing_embedder)
    m.projects.create(RUN, admin="Ada")
    m.projects.add_member(RUN, "Max", "member")
    m.projects.add_member(RUN, "Val", "viewer")
    ids = {}
    # written by the operator (no principal), so even the viewer and the outsider have "own" memories
    for i, name in enumerate(CAST):
        out = m.add([{"role": "user", "name": name, "content": f"{name} works with Ada on the landing page."}],
                    run_id=RUN, timestamp=1_767_000_000 + i)  # fmt: skip
        ids[name] = out["results"][0]["id"]
    m.tasks.assign(RUN, "hero copy", "Max", by="Ada")
    m.meetings.record(RUN, "Kickoff", attendees=["Ada", "Max"], action_items=[("Max", "hero copy")], by="Ada")
    return World(m, ids)


def snapshot(m: Memory, ids: dict[str, str]) -> Any:
    got = m.get_all(run_id=RUN, limit=1000)
    return (
        sorted((r["id"], r["memory"], r["actor_id"], repr(r["metadata"])) for r in got["results"]),
        sorted(
            (r["id"], r["valid_to"], tuple(r["memory_ids"]))
            for r in m.relations(run_id=RUN, include_invalid=True)
        ),
        {mid: len(m.history(mid)) for mid in ids.values()},
        m.projects.members(RUN),
    )


def other_than(me: str) -> str:
    return "Max" if me != "Max" else "Ada"


# Each operation: (what it needs, call(actor, world), check(world) run when it was allowed).
Op = tuple[str, Callable[[ActingMemory, World], Any], Callable[[World, Any], None] | None]

READS: dict[str, Op] = {
    "get": ("viewer", lambda a, w: a.get(w.ids["Ada"]), lambda w, r: None),
    "get_all": ("viewer", lambda a, w: a.get_all(run_id=RUN), lambda w, r: None),
    "search": ("viewer", lambda a, w: a.search("landing page", run_id=RUN), lambda w, r: None),
    "context": ("viewer", lambda a, w: a.context("landing page", run_id=RUN), lambda w, r: None),
    "history": ("viewer", lambda a, w: a.history(w.ids["Ada"]), lambda w, r: None),
    "relations": ("viewer", lambda a, w: a.relations(run_id=RUN), lambda w, r: None),
    "who_works_with": ("viewer", lambda a, w: a.who_works_with("Ada", run_id=RUN), lambda w, r: None),
    "graph": ("viewer", lambda a, w: a.graph(run_id=RUN), lambda w, r: None),
    "timeline": ("viewer", lambda a, w: a.timeline(run_id=RUN), lambda w, r: None),
    "memories_by_actor": ("viewer", lambda a, w: a.memories_by_actor(run_id=RUN), lambda w, r: None),
    "contributions": ("viewer", lambda a, w: a.contributions(run_id=RUN), lambda w, r: None),
    "summary": ("viewer", lambda a, w: a.summary(run_id=RUN), lambda w, r: None),
    "tasks.list": ("viewer", lambda a, w: a.tasks.list(RUN), lambda w, r: None),
    "meetings.list": ("viewer", lambda a, w: a.meetings.list(RUN), lambda w, r: None),
    "projects.members": ("viewer", lambda a, w: a.projects.members(RUN), lambda w, r: None),
    "export": ("viewer", lambda a, w: a.export(io.StringIO(), run_id=RUN), lambda w, r: None),
}


def _check_read_results(name: str, result: Any) -> None:
    """A read that is allowed returns the project's data, not an empty shell."""
    if name == "get":
        assert result["actor_id"] == "Ada"
    elif name in ("get_all", "search"):
        assert result["results"]
    elif name == "context":
        assert "landing page" in result["text"]
    elif name == "history":
        assert result[0]["event"] == "ADD"
    elif name in ("relations", "who_works_with", "timeline", "memories_by_actor", "contributions", "tasks.list",
                  "meetings.list"):  # fmt: skip
        assert result
    elif name == "graph":
        assert result.number_of_edges() > 0
    elif name == "summary":
        assert result["counts"]["memories"] >= 4
    elif name == "projects.members":
        assert result["Ada"] == "admin"
    elif name == "export":
        assert result["counts"]["memory"] >= 4


def _added(w: World, r: Any) -> None:
    assert r["results"][0]["actor_id"] in CAST
    assert w.m.get(r["results"][0]["id"])["run_id"] == RUN


WRITES: dict[str, Op] = {
    "add": ("member", lambda a, w: a.add("I'll review the pricing table.", run_id=RUN), _added),
    "add_as_someone_else": (
        "admin",
        lambda a, w: a.add(
            [{"role": "user", "name": other_than(a.principal), "content": "Noted."}], run_id=RUN
        ),
        _added,
    ),
    "update_own": (
        "member",
        lambda a, w: a.update(w.ids[a.principal], "Edited by its author."),
        lambda w, r: None,
    ),
    "update_other": (
        "admin",
        lambda a, w: a.update(w.ids[other_than(a.principal)], "Edited by an admin."),
        lambda w, r: None,
    ),
    "delete_own": ("member", lambda a, w: a.delete(w.ids[a.principal]), None),
    "delete_other": ("admin", lambda a, w: a.delete(w.ids[other_than(a.principal)]), None),
    "delete_all": ("admin", lambda a, w: a.delete_all(run_id=RUN), None),
    "tasks.assign": ("member", lambda a, w: a.tasks.assign(RUN, "pricing table", "Max"), None),
    "tasks.set_status": ("member", lambda a, w: a.tasks.set_status(RUN, "hero copy", "DONE"), None),
    "tasks.due": ("member", lambda a, w: a.tasks.due(RUN, "hero copy", "2026-04-01"), None),
    "tasks.by_someone_else": (
        "admin",
        lambda a, w: a.tasks.set_status(RUN, "hero copy", "REVIEW", by=other_than(a.principal)),
        None,
    ),
    "meetings.record": (
        "member",
        lambda a, w: a.meetings.record(RUN, "Retro", attendees=["Ada"], notes="Fine."),
        None,
    ),
    "projects.add_member": ("admin", lambda a, w: a.projects.add_member(RUN, "Neo", "viewer"), None),
    "projects.set_role": ("admin", lambda a, w: a.projects.set_role(RUN, "Val", "member"), None),
    "projects.remove_member": ("admin", lambda a, w: a.projects.remove_member(RUN, "Val"), None),
}
_RANK = {"viewer": 1, "member": 2, "admin": 3}


def _expect_effect(name: str, w: World, actor: str, before: Any) -> None:
    m, after = w.m, snapshot(w.m, w.ids)
    assert after != before, f"{name} was allowed but changed nothing"
    if name == "update_own":
        assert m.get(w.ids[actor])["memory"] == "Edited by its author."
    elif name == "update_other":
        assert m.get(w.ids[other_than(actor)])["memory"] == "Edited by an admin."
    elif name == "delete_own":
        assert [e["event"] for e in m.history(w.ids[actor])][-1] == "DELETE"
    elif name == "delete_other":
        assert [e["event"] for e in m.history(w.ids[other_than(actor)])][-1] == "DELETE"
    elif name == "delete_all":
        assert m.get_all(run_id=RUN)["results"] == []
    elif name == "tasks.set_status":
        assert m.tasks.get(RUN, "hero copy")["status"] == "DONE"
    elif name == "tasks.by_someone_else":
        assert m.tasks.get(RUN, "hero copy")["updated_by"] == other_than(actor)
    elif name == "projects.add_member":
        assert m.projects.role_of(RUN, "Neo") == "viewer"
    elif name == "projects.set_role":
        assert m.projects.role_of(RUN, "Val") == "member"
    elif name == "projects.remove_member":
        assert "Val" not in m.projects.members(RUN)


ROLES = ["admin", "member", "viewer", "outsider"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", sorted(READS))
def test_read_matrix(world: World, op: str, role: str) -> None:
    _, call, _ = READS[op]
    actor = world.m.as_actor(ROLE_OF[role])
    if role != "outsider":
        _check_read_results(op, call(actor, world))
        return
    before = snapshot(world.m, world.ids)
    with pytest.raises(PermissionDeniedError):
        call(actor, world)
    assert snapshot(world.m, world.ids) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", sorted(WRITES))
def test_write_and_delete_matrix(world: World, op: str, role: str) -> None:
    needed, call, check = WRITES[op]
    principal = ROLE_OF[role]
    actor = world.m.as_actor(principal)
    before = snapshot(world.m, world.ids)
    allowed = role != "outsider" and _RANK[role] >= _RANK[needed]
    if allowed:
        result = call(actor, world)
        if check is not None:
            check(world, result)
        _expect_effect(op, world, principal, before)
    else:
        with pytest.raises(PermissionDeniedError):
            call(actor, world)
        assert snapshot(world.m, world.ids) == before


# ---- beyond the matrix -----------------------------------------------------------------------
def test_without_a_principal_there_are_no_roles(world: World) -> None:
    m = world.m
    m.add([{"role": "user", "name": "Someone", "content": "Anyone may write here."}], run_id=RUN)
    m.delete(world.ids["Ada"])
    m.update(world.ids["Max"], "Changed by the operator.")
    assert m.get(world.ids["Max"])["memory"] == "Changed by the operator."
    m.add("plain mem0 use", user_id="u1")  # a scope that is nobody's project
    assert len(m.get_all(user_id="u1")["results"]) == 1


def test_messages_get_the_principal_as_name(world: World) -> None:
    max_ = world.m.as_actor("Max")
    out = max_.add(["first", {"role": "user", "content": "second"}], run_id=RUN)
    assert [r["actor_id"] for r in out["results"]] == ["Max", "Max"]
    ok = max_.add([{"role": "user", "name": "Max", "content": "named myself"}], run_id=RUN)
    assert ok["results"][0]["actor_id"] == "Max"


def test_outside_projects_only_ones_own_memory(world: World) -> None:
    m = world.m
    oz = m.as_actor("Oz")
    mine = oz.add("I keep my own notes.", user_id="Oz")["results"][0]
    assert mine["actor_id"] == "Oz"
    oz.add("in a run that is no project", user_id="Oz", run_id="scratch")
    assert len(oz.get_all(user_id="Oz")["results"]) == 2
    oz.update(mine["id"], "I keep my own notes, edited.")
    for denied in (
        lambda: oz.add("not mine", user_id="Ada"),
        lambda: oz.get_all(run_id="scratch"),  # a run that is not a project is nobody's without user_id
        lambda: oz.search("notes", user_id="Ada"),
        lambda: oz.add("no scope of mine", agent_id="bot"),
    ):
        with pytest.raises(PermissionDeniedError):
            denied()
    ada_note = m.add("Ada's private note", user_id="Ada")["results"][0]["id"]
    with pytest.raises(PermissionDeniedError):
        oz.get(ada_note)
    with pytest.raises(PermissionDeniedError):
        oz.delete(ada_note)
    assert m.get(ada_note)["memory"] == "Ada's private note"
    bot = m.as_actor("bot")  # an agent principal owns its agent_id scope
    assert bot.add("agent scratchpad", agent_id="bot")["results"][0]["actor_id"] == "bot"


def test_personal_delete_all_cannot_reach_into_projects(world: World) -> None:
    m = world.m
    m.add("Val's own note", user_id="Val")
    m.add(
        [{"role": "user", "name": "Val", "content": "tagged with Val in the project"}],
        user_id="Val",
        run_id=RUN,
    )
    val = m.as_actor("Val")
    with pytest.raises(PermissionDeniedError):
        val.delete_all(user_id="Val")  # would delete a project memory as a mere viewer
    assert len(m.get_all(user_id="Val")["results"]) == 2
    m.projects.set_role(RUN, "Val", "admin")
    val.delete_all(user_id="Val")
    assert m.get_all(user_id="Val")["results"] == []


def test_operator_only_actions(world: World, tmp_path: Any) -> None:
    ada = world.m.as_actor("Ada")
    with pytest.raises(PermissionDeniedError):
        ada.reset()
    world.m.export(tmp_path / "x.jsonl", run_id=RUN)
    with pytest.raises(PermissionDeniedError):
        ada.import_(tmp_path / "x.jsonl")
    assert world.m.store.count_memories() > 0


def test_history_of_a_deleted_memory_is_operator_only(world: World) -> None:
    world.m.delete(world.ids["Max"])
    with pytest.raises(PermissionDeniedError):
        world.m.as_actor("Ada").history(world.ids["Max"])
    assert [e["event"] for e in world.m.history(world.ids["Max"])] == ["ADD", "DELETE"]


def test_project_lifecycle_and_invariants(store: Store, hashing_embedder: HashingEmbedder) -> None:
    m = Memory(store=store, embedder=hashing_embedder)
    assert m.projects.members("p") == {} and m.projects.role_of("p", "x") is None
    with pytest.raises(ProjectNotFoundError):
        m.projects.add_member("p", "Bob", "member")
    assert m.projects.create("p", admin="Alice") == {"Alice": "admin"}
    with pytest.raises(InvalidInputError):
        m.projects.create("p", admin="Bob")
    with pytest.raises(InvalidInputError):
        m.projects.add_member("p", "Bob", "owner")  # not a role
    with pytest.raises(InvalidInputError):
        m.projects.add_member("p", "Bob", ["admin"])  # type: ignore[arg-type]
    m.projects.add_member("p", "Bob", "viewer")
    with pytest.raises(InvalidInputError):
        m.projects.add_member("p", "Bob", "member")  # already a member: set_role
    with pytest.raises(InvalidInputError):
        m.projects.set_role("p", "Alice", "member")  # the last admin
    with pytest.raises(InvalidInputError):
        m.projects.remove_member("p", "Alice")
    m.projects.set_role("p", "Bob", "admin")
    m.projects.set_role("p", "Alice", "member")
    assert m.projects.members("p") == {"Alice": "member", "Bob": "admin"}
    m.projects.create("q", admin="Alice")
    assert m.projects.projects_of("Alice") == {"p": "member", "q": "admin"}
    # roles live in the store: a new Memory on the same store sees them
    again = Memory(store=store, embedder=hashing_embedder)
    assert again.projects.role_of("p", "Bob") == "admin"
    # a principal may create a project on an empty run, as its admin, but not claim a used one
    carol = m.as_actor("Carol")
    with pytest.raises(PermissionDeniedError):
        carol.projects.create("r", admin="Alice")
    m.add("someone else's conversation", run_id="used")
    with pytest.raises(PermissionDeniedError):
        carol.projects.create("used", admin="Carol")
    carol.projects.create("r", admin="Carol")
    assert carol.projects.projects_of("Carol") == {"r": "admin"}
    with pytest.raises(PermissionDeniedError):
        carol.projects.projects_of("Alice")
    with pytest.raises(PermissionDeniedError):
        carol.projects.members("p")
    m.projects.delete("q")
    assert m.projects.members("q") == {} and "q" not in m.projects.projects_of("Alice")
