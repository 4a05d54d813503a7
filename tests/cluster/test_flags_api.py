"""``/flags`` over real HTTP: create, read, change, archive, evaluate and history."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from harness import Cluster


def new_key() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def create(client: httpx.Client, key: str, **fields: Any) -> httpx.Response:
    return client.post(
        "/flags", json={"key": key, **fields}, headers={"Idempotency-Key": uuid.uuid4().hex}
    )


def created(client: httpx.Client, **fields: Any) -> tuple[str, str]:
    """A new flag's key and ETag."""
    key = new_key()
    reply = create(client, key, **fields)
    assert reply.status_code == 201, reply.text
    return key, reply.headers["ETag"]


def history(client: httpx.Client, key: str) -> list[dict[str, Any]]:
    reply = client.get(f"/flags/{key}/history")
    assert reply.status_code == 200, reply.text
    entries: list[dict[str, Any]] = reply.json()
    return entries


def test_an_operator_creates_a_flag_and_reads_it_back(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    key = new_key()
    reply = create(operator, key, description="New checkout", type="experiment")
    assert reply.status_code == 201
    assert reply.headers["Location"] == f"/api/v1/flags/{key}"
    flag = reply.json()
    assert flag["key"] == key
    assert flag["owner"] == operator.user.name
    assert (flag["enabled"], flag["rollout_percentage"], flag["stickiness"]) == (
        False,
        100,
        "user_id",
    )
    assert (flag["version"], flag["archived"], flag["stale"]) == (1, False, None)
    assert flag["targeting"] == {"include": [], "exclude": [], "rules": []}
    assert flag["created_at"].endswith("Z")

    got = cluster.user("viewer").get(reply.headers["Location"].removeprefix("/api/v1"))
    assert got.status_code == 200
    assert got.json() == flag
    assert got.headers["ETag"] == reply.headers["ETag"]


def test_a_retried_create_replays_the_first_answer(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    key = new_key()
    body, headers = {"key": key, "enabled": True}, {"Idempotency-Key": uuid.uuid4().hex}
    first = operator.post("/flags", json=body, headers=headers)
    again = operator.post("/flags", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert [e["action"] for e in history(operator, key)] == ["flag.create"]


def test_a_taken_key_is_a_conflict(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    key, _ = created(operator)
    reply = create(operator, key, description="second")
    assert reply.status_code == 409
    assert reply.json()["type"].endswith("/flag-exists")
    assert operator.get(f"/flags/{key}").json()["description"] == ""


def test_creating_without_an_idempotency_key_is_refused(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    key = new_key()
    reply = operator.post("/flags", json={"key": key})
    assert reply.status_code == 400
    assert reply.headers["content-type"] == "application/problem+json"
    assert operator.get(f"/flags/{key}").status_code == 404


@pytest.mark.parametrize(
    ("role", "allowed"), [("viewer", False), ("chaos", False), ("operator", True), ("admin", True)]
)
def test_only_operators_and_admins_change_flags(cluster: Cluster, role: str, allowed: bool) -> None:
    key, etag = created(cluster.user("operator"))
    client = cluster.user(role)
    replies = [
        create(client, new_key()),
        client.patch(f"/flags/{key}", json={"enabled": True}, headers={"If-Match": etag}),
    ]
    etag = replies[1].headers.get("ETag", etag)
    replies.append(client.delete(f"/flags/{key}", headers={"If-Match": etag}))
    expected = [201, 200, 200] if allowed else [403, 403, 403]
    assert [r.status_code for r in replies] == expected
    # Everyone signed in may read and evaluate.
    assert client.get("/flags").status_code == 200
    assert client.get(f"/flags/{key}").status_code == 200
    assert client.post(f"/flags/{key}/evaluate", json={"context": {}}).status_code == 200
    assert client.get(f"/flags/{key}/history").status_code == 200


def test_flags_need_a_login(cluster: Cluster) -> None:
    anonymous = cluster.client()
    assert anonymous.get("/flags").status_code == 401
    assert anonymous.post("/flags", json={"key": new_key()}).status_code == 401


def test_a_patch_changes_only_the_fields_sent(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    key, etag = created(operator, description="keep me", enabled=True)
    reply = operator.patch(
        f"/flags/{key}", json={"rollout_percentage": 25}, headers={"If-Match": etag}
    )
    assert reply.status_code == 200
    flag = reply.json()
    assert (flag["rollout_percentage"], flag["description"], flag["enabled"]) == (
        25,
        "keep me",
        True,
    )
    assert flag["version"] == 2
    assert reply.headers["ETag"] != etag
    assert operator.get(f"/flags/{key}").json() == flag


def test_a_patch_needs_if_match_and_a_stale_one_names_who_changed_it(cluster: Cluster) -> None:
    alice, bob = cluster.user("operator"), cluster.user("operator")
    key, loaded = created(alice)
    assert alice.patch(f"/flags/{key}", json={"enabled": True}).status_code == 428
    bobs = bob.patch(f"/flags/{key}", json={"rollout_percentage": 10}, headers={"If-Match": loaded})
    assert bobs.status_code == 200

    stale = alice.patch(f"/flags/{key}", json={"enabled": True}, headers={"If-Match": loaded})
    assert stale.status_code == 412
    problem = stale.json()
    assert problem["changed_by"] == bob.user.name
    assert bob.user.name in problem["detail"]
    assert problem["current_etag"] == bobs.headers["ETag"]
    assert alice.get(f"/flags/{key}").json()["enabled"] is False


def test_a_patch_that_changes_nothing_keeps_the_version(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    key, etag = created(operator, enabled=True)
    reply = operator.patch(f"/flags/{key}", json={"enabled": True}, headers={"If-Match": etag})
    assert reply.status_code == 200
    assert (reply.json()["version"], reply.headers["ETag"]) == (1, etag)
    assert len(history(operator, key)) == 1


def test_a_dependency_can_be_removed_with_null(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    parent, _ = created(operator)
    key, etag = created(operator, depends_on={"flag": parent})
    assert operator.get(f"/flags/{key}").json()["depends_on"] == {"flag": parent, "variants": None}
    reply = operator.patch(f"/flags/{key}", json={"depends_on": None}, headers={"If-Match": etag})
    assert reply.status_code == 200
    assert reply.json()["depends_on"] is None


def test_delete_archives_the_flag(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    key, etag = created(operator, enabled=True)
    assert operator.delete(f"/flags/{key}").status_code == 428
    reply = operator.delete(f"/flags/{key}", headers={"If-Match": etag})
    assert reply.status_code == 200
    assert (reply.json()["archived"], reply.json()["version"]) == (True, 2)

    assert operator.get(f"/flags/{key}").json()["archived"] is True
    assert key not in {f["key"] for f in operator.get("/flags").json()}
    listed = operator.get("/flags", params={"include_archived": "true"}).json()
    assert key in {f["key"] for f in listed}
    evaluation = operator.post(f"/flags/{key}/evaluate", json={"context": {"user_id": "u1"}})
    assert evaluation.json() == {"enabled": False, "variant": None, "reason": "archived"}

    etag = reply.headers["ETag"]
    edit = operator.patch(f"/flags/{key}", json={"enabled": False}, headers={"If-Match": etag})
    assert edit.status_code == 409
    assert create(operator, key).status_code == 409


def test_a_parent_with_live_children_cannot_be_archived(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    parent, etag = created(operator)
    child, _ = created(operator, depends_on={"flag": parent})
    reply = operator.delete(f"/flags/{parent}", headers={"If-Match": etag})
    assert reply.status_code == 409
    assert reply.json()["dependents"] == [child]
    assert operator.get(f"/flags/{parent}").json()["archived"] is False


def test_history_shows_each_change_with_who_and_what(cluster: Cluster) -> None:
    alice, bob = cluster.user("operator"), cluster.user("operator")
    key, etag = created(alice, rollout_percentage=10)
    etag = alice.patch(
        f"/flags/{key}", json={"rollout_percentage": 50}, headers={"If-Match": etag}
    ).headers["ETag"]
    assert bob.delete(f"/flags/{key}", headers={"If-Match": etag}).status_code == 200

    entries = history(cluster.user("viewer"), key)
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("flag.create", alice.user.name),
        ("flag.update", alice.user.name),
        ("flag.archive", bob.user.name),
    ]
    assert {e["resource"] for e in entries} == {f"flag/{key}"}
    assert entries[0]["before"] is None
    assert entries[1]["before"]["rollout_percentage"] == 10
    assert entries[1]["after"]["rollout_percentage"] == 50
    assert entries[2]["after"]["archived"] is True
    assert entries[2]["after"] == bob.get(f"/flags/{key}").json()


def test_unknown_flags_are_404(cluster: Cluster) -> None:
    viewer = cluster.user("viewer")
    for reply in (
        viewer.get("/flags/no-such-flag"),
        viewer.get("/flags/no-such-flag/history"),
        viewer.post("/flags/no-such-flag/evaluate", json={"context": {}}),
    ):
        assert reply.status_code == 404
        assert reply.json()["type"].endswith("/flag-not-found")


def test_evaluation_over_http_follows_targeting_and_writes_nothing(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    parent, parent_etag = created(operator, enabled=True)
    key, _ = created(
        operator,
        enabled=True,
        rollout_percentage=0,
        targeting={"include": ["vip"], "exclude": ["banned"]},
        variants=[{"name": "only", "weight": 100}],
        depends_on={"flag": parent},
    )
    viewer = cluster.user("viewer")

    def evaluate(**context: Any) -> dict[str, Any]:
        reply = viewer.post(f"/flags/{key}/evaluate", json={"context": context})
        assert reply.status_code == 200, reply.text
        answer: dict[str, Any] = reply.json()
        return answer

    assert evaluate(user_id="vip") == {"enabled": True, "variant": "only", "reason": "included"}
    assert evaluate(user_id="banned")["reason"] == "excluded"
    assert evaluate(user_id="someone")["reason"] == "outside_rollout"
    assert len(history(operator, key)) == 1

    operator.patch(f"/flags/{parent}", json={"enabled": False}, headers={"If-Match": parent_etag})
    assert evaluate(user_id="vip") == {"enabled": False, "variant": None, "reason": "dependency"}

    bad = viewer.post(f"/flags/{key}/evaluate", json={"context": {}, "user_id": "vip"})
    assert bad.status_code == 422
