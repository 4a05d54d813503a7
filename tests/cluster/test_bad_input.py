"""Bad requests get a 4xx problem document and change nothing."""

from __future__ import annotations

import json

import httpx
import pytest

from harness import Cluster

CASES = {
    "missing field": {"json": {"owner": "sre"}},
    "wrong type": {"json": {"key": "typed", "owner": "sre", "rollout_percentage": "50"}},
    "unknown field": {"json": {"key": "unknown", "owner": "sre", "colour": "red"}},
    "not json": {"content": b"key=flag&owner=sre", "headers": {"Content-Type": "text/plain"}},
    "truncated json": {
        "content": b'{"key": "trunc", "own',
        "headers": {"Content-Type": "application/json"},
    },
    "json array": {"json": [1, 2, 3]},
    "ten megabytes": {
        "content": json.dumps({"key": "big", "owner": "x" * 10_000_000}).encode(),
        "headers": {"Content-Type": "application/json"},
    },
}


def _state(client: httpx.Client) -> tuple[int, int]:
    flags = client.get("/flags", params={"include_archived": "true"}).json()
    head = client.get("/audit/verify").json()["count"]
    return len(flags), head


@pytest.mark.parametrize("case", CASES)
def test_bad_flag_bodies_are_refused_and_store_nothing(cluster: Cluster, case: str) -> None:
    client = cluster.user("operator")
    before = _state(client)
    request = dict(CASES[case])
    headers = {"Idempotency-Key": case, **request.pop("headers", {})}
    reply = client.post("/flags", headers=headers, **request)
    assert 400 <= reply.status_code < 500
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert problem["type"].startswith("https://aioke.dev/problems/")
    assert problem["detail"]
    assert _state(client) == before


def test_a_validation_error_names_the_field(cluster: Cluster) -> None:
    client = cluster.user("operator")
    reply = client.post(
        "/flags",
        json={"key": "weights", "owner": "sre", "variants": [{"name": "a", "weight": 60}]},
        headers={"Idempotency-Key": "weights"},
    )
    assert reply.status_code == 422
    assert "variants" in reply.json()["detail"]


def test_a_huge_body_is_cut_off_before_it_is_read(cluster: Cluster) -> None:
    reply = httpx.post(
        f"{cluster.api}/auth/login",
        content=b"x" * (11 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 413
    assert reply.json()["type"].endswith("/payload-too-large")


def test_unknown_routes_and_methods_are_problems_too(cluster: Cluster) -> None:
    client = cluster.user("viewer")
    assert client.get("/no-such-thing").json()["status"] == 404
    assert client.put("/audit").json()["status"] == 405
