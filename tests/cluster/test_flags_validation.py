"""Bad flag definitions are 422 problem+json naming the field, and nothing is stored."""

from __future__ import annotations

import uuid
from contextlib import closing
from typing import Any

import httpx
import pytest

from harness import Cluster


def new_key() -> str:
    return f"v-{uuid.uuid4().hex[:12]}"


def post(client: httpx.Client, body: Any) -> httpx.Response:
    return client.post("/flags", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})


def created(client: httpx.Client, **fields: Any) -> tuple[str, str]:
    key = new_key()
    reply = post(client, {"key": key, **fields})
    assert reply.status_code == 201, reply.text
    return key, reply.headers["ETag"]


def stored_rows(cluster: Cluster, key: str) -> tuple[int, int]:
    """How many flag rows and audit rows the database holds for ``key``."""
    with closing(cluster.sql()) as conn:
        flags = conn.execute("SELECT count(*) FROM flags WHERE key = ?", (key,)).fetchone()[0]
        audit = conn.execute(
            "SELECT count(*) FROM audit WHERE resource = ?", (f"flag/{key}",)
        ).fetchone()[0]
    return flags, audit


def assert_invalid(reply: httpx.Response, field: str) -> None:
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert problem["type"].endswith("/invalid-request")
    assert field in {e["field"] for e in problem["errors"]}
    assert problem["detail"]


A_B = [{"name": "a", "weight": 50}, {"name": "b", "weight": 50}]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"variants": [{"name": "a", "weight": 50}, {"name": "b", "weight": 40}]}, "variants"),
        ({"variants": [{"name": "a", "weight": 50}, {"name": "a", "weight": 50}]}, "variants"),
        ({"variants": [{"name": "a", "weight": 101}]}, "variants.0.weight"),
        ({"colour": "red"}, "colour"),
        ({"rollout_percentage": "50"}, "rollout_percentage"),
        ({"rollout_percentage": 50.5}, "rollout_percentage"),
        ({"rollout_percentage": 101}, "rollout_percentage"),
        ({"rollout_percentage": -1}, "rollout_percentage"),
        ({"enabled": "true"}, "enabled"),
        ({"type": "feature"}, "type"),
        ({"stickiness": "user id"}, "stickiness"),
        ({"targeting": {"include": ["u1"], "exclude": ["u1"]}}, "targeting"),
        (
            {"targeting": {"rules": [{"attribute": "c", "operator": "in", "values": []}]}},
            "targeting.rules.0.values",
        ),
        (
            {"targeting": {"rules": [{"attribute": "c", "operator": "like", "values": ["x"]}]}},
            "targeting.rules.0.operator",
        ),
        ({"targeting": {"segments": []}}, "targeting.segments"),
        ({"depends_on": {"flag": "v-no-such-parent"}}, "depends_on"),
        ({"owner": ""}, "owner"),
    ],
)
def test_an_invalid_definition_is_refused(
    cluster: Cluster, fields: dict[str, Any], field: str
) -> None:
    key = new_key()
    assert_invalid(post(cluster.user("operator"), {"key": key, **fields}), field)
    assert stored_rows(cluster, key) == (0, 0)


@pytest.mark.parametrize(
    "key", ["Upper", "-leading-dash", ".dot", "has space", "x" * 65, "", "ünïcode", 42, None]
)
def test_a_key_must_be_a_lowercase_slug(cluster: Cluster, key: Any) -> None:
    assert_invalid(post(cluster.user("operator"), {"key": key}), "key")
    if isinstance(key, str):
        assert stored_rows(cluster, key) == (0, 0)


def test_a_body_that_is_not_json_is_refused(cluster: Cluster) -> None:
    reply = cluster.user("operator").post(
        "/flags",
        content=b"key=x",
        headers={"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"},
    )
    assert reply.status_code == 422
    assert reply.headers["content-type"] == "application/problem+json"


def test_a_flag_cannot_depend_on_itself(cluster: Cluster) -> None:
    key = new_key()
    reply = post(cluster.user("operator"), {"key": key, "depends_on": {"flag": key}})
    assert_invalid(reply, "depends_on")
    assert stored_rows(cluster, key) == (0, 0)


def test_a_dependency_on_a_variant_the_parent_lacks_is_refused(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    parent, _ = created(operator, variants=A_B)
    key = new_key()
    reply = post(operator, {"key": key, "depends_on": {"flag": parent, "variants": ["c"]}})
    assert_invalid(reply, "depends_on")
    assert stored_rows(cluster, key) == (0, 0)


def test_a_dependency_on_an_archived_flag_is_refused(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    parent, etag = created(operator)
    assert operator.delete(f"/flags/{parent}", headers={"If-Match": etag}).status_code == 200
    key = new_key()
    assert_invalid(post(operator, {"key": key, "depends_on": {"flag": parent}}), "depends_on")
    assert stored_rows(cluster, key) == (0, 0)


def assert_patch_refused(
    cluster: Cluster, key: str, etag: str, body: dict[str, Any], field: str
) -> None:
    operator = cluster.user("operator")
    before = operator.get(f"/flags/{key}").json()
    reply = operator.patch(f"/flags/{key}", json=body, headers={"If-Match": etag})
    assert_invalid(reply, field)
    assert operator.get(f"/flags/{key}").json() == before
    assert stored_rows(cluster, key) == (1, 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"variants": [{"name": "a", "weight": 99}]}, "variants"),
        ({"enabled": None}, "enabled"),
        ({"targeting": None}, "targeting"),
        ({"key": "renamed"}, "key"),
        ({"version": 7}, "version"),
        ({"rollout_percentage": 200}, "rollout_percentage"),
        ({"depends_on": {"flag": "v-no-such-parent"}}, "depends_on"),
    ],
)
def test_an_invalid_patch_changes_nothing(
    cluster: Cluster, body: dict[str, Any], field: str
) -> None:
    key, etag = created(cluster.user("operator"), variants=A_B)
    assert_patch_refused(cluster, key, etag, body, field)


def test_a_dependency_cycle_is_refused(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    top, etag = created(operator)
    middle, _ = created(operator, depends_on={"flag": top})
    bottom, _ = created(operator, depends_on={"flag": middle})
    assert_patch_refused(cluster, top, etag, {"depends_on": {"flag": bottom}}, "depends_on")
    assert_patch_refused(cluster, top, etag, {"depends_on": {"flag": middle}}, "depends_on")
    assert_patch_refused(cluster, top, etag, {"depends_on": {"flag": top}}, "depends_on")


def test_a_parent_keeps_the_variants_its_children_need(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    parent, etag = created(operator, variants=A_B)
    created(operator, depends_on={"flag": parent, "variants": ["b"]})
    only_a = {"variants": [{"name": "a", "weight": 100}]}
    assert_patch_refused(cluster, parent, etag, only_a, "variants")
