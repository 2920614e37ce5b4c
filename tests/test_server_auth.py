"""Authentication and authorization over real HTTP, on every store: the 401 matrix over every route,
the 403 role matrix, and no data outside a key's projects."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from server_support import OTHER, PROJECT, Team, team_server

from graphmem.errors import InvalidInputError, PermissionDeniedError, ProjectNotFoundError
from graphmem.server.app import openapi_document
from graphmem.stores.base import Store


@pytest.fixture
def team(store: Store) -> Iterator[Team]:
    with team_server(store) as t:
        yield t


PUBLIC = {"/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def _every_operation() -> list[tuple[str, str]]:
    """(method, path with placeholders filled) for every operation of the served spec."""
    ops = []
    for path, item in openapi_document()["paths"].items():
        for method in item:
            if path not in PUBLIC:
                ops.append((method.upper(), re.sub(r"\{[^}]+\}", "x", path)))
    return ops


def test_every_route_but_health_needs_a_valid_key(team: Team) -> None:
    revoked = team.client("Eve").create_key(name="short-lived")["key"]
    team.client("Eve").revoke_key(revoked.split("_")[1])
    bad_headers = [
        {},
        {"Authorization": "Token gm_000000000000_" + "A" * 43},  # well formed, unknown
        {"Authorization": "Token " + team.keys["Alice"][:-1] + "B"},  # right id, wrong secret
        {"Authorization": f"Basic {team.keys['Alice']}"},  # wrong scheme
        {"Authorization": f"Token {revoked}"},
    ]
    operations = _every_operation()
    assert len(operations) >= 30
    with team.http() as http:
        assert http.get("/healthz").status_code == 200
        for method, path in operations:
            for headers in bad_headers:
                r = http.request(method, path, headers=headers, json={})
                assert r.status_code == 401, (method, path, headers, r.text)
                assert r.json()["error"] == "PermissionDeniedError"
                assert r.headers["WWW-Authenticate"] == "Token"
        ok = http.get("/v1/ping/", headers={"Authorization": f"Bearer {team.keys['Alice']}"})
        assert ok.json()["principal"] == "Alice"


ROLE_MATRIX = [
    # (operation, {principal: expected status})
    ("list", {"Alice": 200, "Bob": 200, "Carol": 200, "Dave": 403, "Eve": 403, "ops": 403}),
    ("search", {"Alice": 200, "Bob": 200, "Carol": 200, "Dave": 403, "ops": 403}),
    ("relations", {"Alice": 200, "Carol": 200, "Dave": 403}),
    ("graph", {"Bob": 200, "Carol": 200, "Eve": 403}),
    ("export", {"Carol": 200, "Dave": 403}),
    ("add", {"Alice": 200, "Bob": 200, "Carol": 403, "Dave": 403, "ops": 403}),
    ("get_bobs", {"Carol": 200, "Dave": 404, "Eve": 404}),
    ("history_bobs", {"Carol": 200, "Dave": 404}),
    ("update_bobs", {"Bob": 200, "Carol": 403, "Dave": 404, "Alice": 200}),
    ("update_alices", {"Bob": 403, "Carol": 403, "Alice": 200}),
    ("members", {"Carol": 200, "Dave": 403}),
    ("add_member", {"Bob": 403, "Carol": 403, "Dave": 403}),
    ("webhooks", {"Alice": 200, "Bob": 403, "Dave": 403}),
    ("delete_alices", {"Bob": 403, "Carol": 403, "Dave": 404}),
    ("delete_all", {"Bob": 403, "Carol": 403, "Dave": 403, "ops": 403, "Alice": 200}),
]


def test_role_matrix(team: Team) -> None:
    bobs = team.client("Bob").add("I'll take the hero section copy.", run_id=PROJECT)["results"][0]["id"]
    alices = team.client("Alice").add("Bob and I own the launch.", run_id=PROJECT)["results"][0]["id"]
    requests = {
        "list": ("GET", f"/v1/memories/?run_id={PROJECT}", None),
        "search": ("POST", "/v1/memories/search/", {"query": "hero", "run_id": PROJECT}),
        "relations": ("GET", f"/v1/relations/?run_id={PROJECT}", None),
        "graph": ("GET", f"/v1/graph/?run_id={PROJECT}", None),
        "export": ("POST", "/v1/exports/", {"run_id": PROJECT}),
        "add": ("POST", "/v1/memories/", {"messages": "A note.", "run_id": PROJECT}),
        "get_bobs": ("GET", f"/v1/memories/{bobs}/", None),
        "history_bobs": ("GET", f"/v1/memories/{bobs}/history/", None),
        "update_bobs": ("PUT", f"/v1/memories/{bobs}/", {"text": "I'll take the hero copy."}),
        "update_alices": ("PUT", f"/v1/memories/{alices}/", {"text": "Bob and I own the launch plan."}),
        "members": ("GET", f"/v1/projects/{PROJECT}/members/", None),
        "add_member": ("POST", f"/v1/projects/{PROJECT}/members/", {"principal": "Zed", "role": "viewer"}),
        "webhooks": ("GET", f"/api/v1/webhooks/projects/{PROJECT}/", None),
        "delete_alices": ("DELETE", f"/v1/memories/{alices}/", None),
        "delete_all": ("DELETE", f"/v1/memories/?run_id={PROJECT}", None),
    }
    for operation, expected in ROLE_MATRIX:
        method, path, body = requests[operation]
        for who, status in expected.items():
            with team.http(who) as http:
                r = http.request(method, path, json=body)
            assert r.status_code == status, (operation, who, r.text)
            if status >= 400:
                assert r.json()["error"] == {403: "PermissionDeniedError", 404: "MemoryNotFoundError"}[status]
    assert team.memory.get_all(run_id=PROJECT)["results"] == []  # Alice's delete_all ran last


def test_nothing_outside_the_keys_projects(team: Team) -> None:
    team.client("Bob").add("The launch is on Friday.", run_id=PROJECT, user_id="u1")
    team.client("Dave").add("Dave's own plans.", run_id=OTHER, user_id="u1")
    dave, eve = team.client("Dave"), team.client("Eve")
    assert [e["name"] for e in dave.users()["results"] if e["type"] == "run"] == [OTHER]
    assert eve.users()["results"] == [] and eve.ping()["projects"] == {}
    with pytest.raises(PermissionDeniedError):
        dave.search("launch", run_id=PROJECT)
    with pytest.raises(InvalidInputError, match="run_id is required"):  # a user id alone spans projects
        dave.search("launch", user_id="u1")
    with pytest.raises(PermissionDeniedError):
        dave.users(run_id=PROJECT)
    found = dave.search("launch plans", run_id=OTHER, user_id="u1")["results"]
    assert [m["memory"] for m in found] == ["Dave's own plans."]


def test_projects_members_and_keys(team: Team) -> None:
    eve, alice, bob, ops = (team.client(w) for w in ("Eve", "Alice", "Bob", "ops"))
    assert eve.create_project("eve-run")["members"] == [{"principal": "Eve", "role": "admin"}]
    with pytest.raises(InvalidInputError, match="already is a project"):
        eve.create_project(PROJECT)
    team.memory.add("Old notes.", run_id="legacy")
    with pytest.raises(PermissionDeniedError):  # a run with memories is not up for grabs
        eve.create_project("legacy")
    with pytest.raises(PermissionDeniedError):
        eve.create_project("fresh", admin="Alice")
    assert ops.create_project("legacy", admin="Eve")["members"] == [{"principal": "Eve", "role": "admin"}]
    assert eve.get_all(run_id="legacy")["results"][0]["memory"] == "Old notes."

    assert {"principal": "Eve", "role": "viewer"} in alice.add_member(PROJECT, "Eve", "viewer")["results"]
    with pytest.raises(PermissionDeniedError):
        bob.set_role(PROJECT, "Eve", "admin")
    alice.set_role(PROJECT, "Eve", "member")
    assert {"principal": "Eve", "role": "member"} in alice.members(PROJECT)["results"]
    assert eve.get_project(PROJECT)["role"] == "member"
    assert eve.projects()["results"] == [{"project_id": "eve-run", "role": "admin"},
                                         {"project_id": PROJECT, "role": "member"},
                                         {"project_id": "legacy", "role": "admin"}]  # fmt: skip
    alice.remove_member(PROJECT, "Eve")
    with pytest.raises(PermissionDeniedError):
        eve.get_all(run_id=PROJECT)
    with pytest.raises(ProjectNotFoundError):
        alice.add_member("no-such-project", "Eve", "viewer")

    made = bob.create_key(name="laptop")
    assert made["principal"] == "Bob" and made["key"].startswith("gm_")
    assert team.client("Bob").__class__(api_key=made["key"], host=team.url).ping()["principal"] == "Bob"
    with pytest.raises(PermissionDeniedError):
        bob.create_key(principal="Alice")
    with pytest.raises(PermissionDeniedError):
        bob.create_key(admin=True)
    assert {k["principal"] for k in bob.list_keys()} == {"Bob"}
    assert {k["principal"] for k in ops.list_keys()} >= {"Alice", "Bob", "Carol", "Dave", "Eve", "ops"}
    assert all("hash" not in k and "key" not in k for k in ops.list_keys())
    with pytest.raises(KeyError):  # another principal's key reads as absent
        bob.revoke_key(team.key_ids["Alice"])
    bob.revoke_key(made["key_id"])
    with team.http() as http:
        assert http.get("/v1/ping/", headers={"Authorization": f"Token {made['key']}"}).status_code == 401
    ops.revoke_key(team.key_ids["Carol"])
    with pytest.raises(PermissionDeniedError) as gone:
        team.client("Carol").ping()
    assert gone.value.status_code == 401  # type: ignore[attr-defined]
