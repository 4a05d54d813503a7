"""Halt, resume and the safety settings over real HTTP, on the session cluster.

Each test puts back what it changed (resume, the original settings), because later tests
share the cluster.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness import Cluster, UserClient


def stepped_up(cluster: Cluster, role: str = "chaos") -> UserClient:
    client = cluster.user(role)
    cluster.step_up(client)
    return client


def launch(client: httpx.Client, **body: Any) -> httpx.Response:
    request = {
        "fault": "degradation",
        "target": "gateway",
        "params": {"capacity_percent": 40},
        "duration_seconds": 120,
        **body,
    }
    return client.post("/chaos/runs", json=request, headers={"Idempotency-Key": uuid.uuid4().hex})


def count(client: httpx.Client, resource: str, action: str) -> int:
    return len(client.get("/audit", params={"resource": resource, "action": action}).json())


def test_halt_aborts_every_run_and_refuses_launches_until_resumed(cluster: Cluster) -> None:
    client = stepped_up(cluster)
    runs = [launch(client, target=t).json()["id"] for t in ("gateway", "auth")]
    halts, resumes = count(client, "chaos", "chaos.halt"), count(client, "chaos", "chaos.resume")

    unconfirmed = cluster.user("chaos")
    reply = unconfirmed.post("/chaos/halt", json={"reason": "checkout is paging"})
    assert reply.status_code == 403  # halting needs a second factor too
    assert cluster.user("viewer").post("/chaos/halt", json={"reason": "x"}).status_code == 403

    try:
        reply = client.post("/chaos/halt", json={"reason": "checkout is paging"})
        assert reply.status_code == 200, reply.text
        assert set(runs) <= set(reply.json()["aborted_runs"])
        for run_id in runs:
            run = client.get(f"/chaos/runs/{run_id}").json()
            assert run["state"] == "aborted"
            assert run["active"] is False
            assert run["end_reason"] == f"halted by {client.user.name}: checkout is paging"
        halted = client.get("/chaos/halt").json()["halted"]
        assert halted["by"] == client.user.name
        assert halted["reason"] == "checkout is paging"

        refused = launch(client)
        assert refused.status_code == 409
        assert "checkout is paging" in refused.json()["detail"]
        assert launch(client, dry_run=True).status_code == 409  # a rehearsal says so too

        again = client.post("/chaos/halt", json={"reason": "still paging"})
        assert again.status_code == 200
        assert again.json()["aborted_runs"] == []
        assert again.json()["halted"]["reason"] == "checkout is paging"
        assert count(client, "chaos", "chaos.halt") == halts + 1
    finally:
        assert client.post("/chaos/resume").status_code == 200

    assert client.get("/chaos/halt").json() == {"halted": None}
    assert client.post("/chaos/resume").status_code == 200  # not halted: nothing to do
    assert count(client, "chaos", "chaos.resume") == resumes + 1
    relaunched = launch(client)
    assert relaunched.status_code == 201
    client.post(f"/chaos/runs/{relaunched.json()['id']}/abort")


@pytest.fixture
def admin(cluster: Cluster) -> Iterator[UserClient]:
    """An admin; the safety settings are put back as they were afterwards."""
    client = cluster.user("admin")
    original = client.get("/chaos/safety")
    yield client
    current = client.get("/chaos/safety")
    reply = client.put(
        "/chaos/safety", json=original.json(), headers={"If-Match": current.headers["ETag"]}
    )
    assert reply.status_code == 200


def test_safety_settings_are_the_admins_and_need_if_match(
    cluster: Cluster, admin: UserClient
) -> None:
    reader = cluster.user("viewer").get("/chaos/safety")
    assert reader.status_code == 200
    settings, tag = reader.json(), reader.headers["ETag"]
    assert set(settings) == {
        "safety_mode",
        "max_duration_seconds",
        "max_blast_radius_percent",
        "error_budget_floor_percent",
        "unguarded_without_prometheus",
    }
    changed = {**settings, "max_duration_seconds": 300}
    chaos = stepped_up(cluster)
    put = chaos.put("/chaos/safety", json=changed, headers={"If-Match": tag})
    assert put.status_code == 403

    assert admin.put("/chaos/safety", json=changed).status_code == 428
    audited = count(admin, "chaos/safety", "chaos.safety")
    reply = admin.put("/chaos/safety", json=changed, headers={"If-Match": tag})
    assert reply.status_code == 200
    assert reply.json() == changed
    assert reply.headers["ETag"] != tag
    stale = admin.put("/chaos/safety", json=settings, headers={"If-Match": tag})
    assert stale.status_code == 412
    assert stale.json()["changed_by"] == admin.user.name
    assert count(admin, "chaos/safety", "chaos.safety") == audited + 1

    partial = admin.put(
        "/chaos/safety", json={"safety_mode": True}, headers={"If-Match": reply.headers["ETag"]}
    )
    assert partial.status_code == 422  # PUT replaces: every setting is named


def test_launches_are_held_to_the_safety_settings(cluster: Cluster, admin: UserClient) -> None:
    current = admin.get("/chaos/safety")
    strict = {
        **current.json(),
        "safety_mode": True,
        "max_duration_seconds": 600,
        "max_blast_radius_percent": 50,
    }
    reply = admin.put("/chaos/safety", json=strict, headers={"If-Match": current.headers["ETag"]})
    assert reply.status_code == 200
    client = stepped_up(cluster)

    refused = launch(client, blast_radius_percent=40)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/safety-mode")
    rehearsal = launch(client, blast_radius_percent=40, dry_run=True)
    assert rehearsal.status_code == 201
    assert rehearsal.json()["state"] == "dry_run"

    too_wide = launch(client, blast_radius_percent=60, dry_run=True)
    assert too_wide.status_code == 422
    assert too_wide.json()["errors"][0]["field"] == "blast_radius_percent"
    too_long = launch(client, duration_seconds=601, dry_run=True)
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "duration_seconds"
    assert "600" in too_long.json()["detail"]
