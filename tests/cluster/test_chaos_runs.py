"""``/chaos/runs`` over real HTTP: launch, server-side TTL, abort, dry runs, who may do what.

Runs hit the session cluster's real chaos engine, the one the workload asks for active faults.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from aioke_cluster.chaos import ChaosEngine
from harness import Cluster, UserClient


def engine(cluster: Cluster) -> ChaosEngine:
    chaos: ChaosEngine = cluster.app.state.services.chaos
    return chaos


def chaos_user(cluster: Cluster, *roles: str) -> UserClient:
    client = cluster.user(*(roles or ("chaos",)))
    cluster.step_up(client)
    return client


def launch(client: httpx.Client, key: str | None = None, **body: Any) -> httpx.Response:
    request = {
        "fault": "latency",
        "target": "checkout",
        "params": {"latency_ms": 200},
        "duration_seconds": 120,
        **body,
    }
    return client.post(
        "/chaos/runs", json=request, headers={"Idempotency-Key": key or uuid.uuid4().hex}
    )


def audit_rows(client: httpx.Client, resource: str, action: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = client.get(
        "/audit", params={"resource": resource, "action": action}
    ).json()
    return rows


def active_ids(cluster: Cluster) -> set[int]:
    return {f.run_id for f in engine(cluster).active_faults(cluster.clock.now())}


def fault_series(cluster: Cluster, run_id: int) -> tuple[dict[str, str], float] | None:
    """``aioke_chaos_fault_active`` for the run, as Prometheus scrapes it from the workload."""
    text = httpx.get(f"{cluster.url}/metrics/workload").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "aioke_chaos_fault_active" and sample.labels["run_id"] == str(run_id):
                return dict(sample.labels), float(sample.value)
    return None


def wait_for_event(
    client: httpx.Client, after: int, resource: str, kind: str, timeout: float = 15
) -> dict[str, Any]:
    """The first event of ``kind`` on ``resource`` after ``after``, long-polling the feed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = client.get("/events", params={"after": after, "wait": 5}).json()["events"]
        for event in found:
            if event["resource"] == resource and event["kind"] == kind:
                return dict(event)
        after = found[-1]["seq"] if found else after
    raise AssertionError(f"no {kind} event for {resource} within {timeout} s")


def test_a_launch_injects_the_fault_with_its_defaults_and_leaves_one_audit_row(
    cluster: Cluster,
) -> None:
    client = chaos_user(cluster)
    reply = launch(client, params={"latency_ms": 300}, blast_radius_percent=25, duration_seconds=90)
    assert reply.status_code == 201, reply.text
    run = reply.json()
    assert run["state"] == "running"
    assert run["active"] is True
    assert run["params"] == {"latency_ms": 300, "jitter_ms": 0}  # the schema's default
    assert run["created_by"] == client.user.name
    assert "+300 ms latency into 25 % of checkout's traffic for 90 s" in run["summary"]
    assert reply.headers["Location"].endswith(f"/chaos/runs/{run['id']}")
    again = client.get(f"/chaos/runs/{run['id']}")
    assert again.json() == run
    assert again.headers["ETag"] == reply.headers["ETag"]

    (fault,) = [
        f for f in engine(cluster).active_faults(cluster.clock.now()) if f.run_id == run["id"]
    ]
    assert (fault.fault, fault.target, fault.blast_radius_percent) == ("latency", "checkout", 25)
    assert fault.params == {"latency_ms": 300, "jitter_ms": 0}
    assert fault.hits(0.2)
    assert not fault.hits(0.3)
    labels = {"run_id": str(run["id"]), "fault": "latency", "target": "checkout"}
    assert fault_series(cluster, run["id"]) == (labels, 1.0)

    (row,) = audit_rows(client, f"chaos/runs/{run['id']}", "chaos.launch")
    assert row["actor"] == client.user.name
    assert row["after"]["id"] == run["id"]
    client.post(f"/chaos/runs/{run['id']}/abort")


def test_a_fault_ends_at_its_ttl_by_the_servers_clock(cluster: Cluster) -> None:
    client = chaos_user(cluster)
    head = client.get("/events").json()["head"]
    run = launch(client, target="search", duration_seconds=30).json()

    cluster.clock.advance(29)
    assert client.get(f"/chaos/runs/{run['id']}").json()["state"] == "running"
    assert run["id"] in active_ids(cluster)

    cluster.clock.advance(2)
    ended = client.get(f"/chaos/runs/{run['id']}").json()
    assert ended["state"] == "completed"
    assert ended["active"] is False
    assert ended["ended_at"] == ended["ends_at"] == run["ends_at"]
    assert ended["end_reason"] == "reached its end time"
    assert run["id"] not in active_ids(cluster)
    assert fault_series(cluster, run["id"]) is None

    event = wait_for_event(client, head, f"chaos/runs/{run['id']}", "chaos.completed")
    assert event["actor"] is None
    assert event["data"]["state"] == "completed"
    running = {r["id"] for r in client.get("/chaos/runs", params={"state": "running"}).json()}
    completed = client.get("/chaos/runs", params={"state": "completed"}).json()
    assert run["id"] not in running
    assert run["id"] in {r["id"] for r in completed}


def test_ten_aborts_end_the_run_once_and_leave_one_audit_row(cluster: Cluster) -> None:
    client = chaos_user(cluster)
    run = launch(client, target="inventory").json()

    replies = [
        client.post(f"/chaos/runs/{run['id']}/abort", json={"reason": "game day over"})
        for _ in range(10)
    ]
    assert [r.status_code for r in replies] == [200] * 10
    assert {r.json()["state"] for r in replies} == {"aborted"}
    assert len({r.json()["ended_at"] for r in replies}) == 1
    ended = replies[-1].json()
    assert ended["end_reason"] == f"aborted by {client.user.name}: game day over"
    assert run["id"] not in active_ids(cluster)
    assert len(audit_rows(client, f"chaos/runs/{run['id']}", "chaos.abort")) == 1


def test_a_launch_needs_the_chaos_role_a_step_up_and_an_idempotency_key(
    cluster: Cluster,
) -> None:
    for role in ("viewer", "operator"):
        reply = launch(chaos_user(cluster, role))
        assert reply.status_code == 403
        assert reply.json()["required_role"] == "chaos"

    fresh = cluster.user("chaos")  # logged in, but no second factor confirmed
    reply = launch(fresh)
    assert reply.status_code == 403
    assert reply.json()["type"].endswith("/step-up-required")
    mine = [r for r in fresh.get("/chaos/runs").json() if r["created_by"] == fresh.user.name]
    assert mine == []

    client = chaos_user(cluster)
    body = {"fault": "cpu", "target": "auth", "params": {"saturation": 0.9}}
    reply = client.post("/chaos/runs", json={**body, "duration_seconds": 60})
    assert reply.status_code == 400  # no Idempotency-Key

    first = launch(client, key="game-day-1", **body)
    retry = launch(client, key="game-day-1", **body)
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(audit_rows(client, f"chaos/runs/{first.json()['id']}", "chaos.launch")) == 1

    admin = chaos_user(cluster, "admin")  # admin holds every role
    assert launch(admin, target="auth").status_code == 201
    for reply in (first, launch(admin, target="auth")):
        admin.post(f"/chaos/runs/{reply.json()['id']}/abort")


def test_a_dry_run_changes_nothing_but_is_recorded(cluster: Cluster) -> None:
    client = cluster.user("chaos")  # a rehearsal needs no second factor
    reply = launch(
        client, fault="error", params={"rate_percent": 30}, target="payments", dry_run=True
    )
    assert reply.status_code == 201, reply.text
    run = reply.json()
    assert run["state"] == "dry_run"
    assert run["dry_run"] is True
    assert run["active"] is False
    assert run["params"] == {"status": 503, "rate_percent": 30}
    assert run["summary"].startswith("would inject HTTP 503 errors on 30 % of requests")
    assert run["id"] not in active_ids(cluster)
    assert len(audit_rows(client, f"chaos/runs/{run['id']}", "chaos.dry_run")) == 1

    aborted = client.post(f"/chaos/runs/{run['id']}/abort")
    assert aborted.status_code == 200
    assert aborted.json()["state"] == "dry_run"
    assert audit_rows(client, f"chaos/runs/{run['id']}", "chaos.abort") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"params": {}}, "params.latency_ms"),
        ({"params": {"latency_ms": "slow"}}, "params.latency_ms"),
        ({"params": {"latency_ms": 100, "jitter_ms": -5}}, "params.jitter_ms"),
        ({"params": {"latency_ms": 100, "latency": 5}}, "params.latency"),
        ({"fault": "error", "params": {"rate_percent": 150}}, "params.rate_percent"),
        ({"fault": "error", "params": {"rate_percent": 5, "status": 200}}, "params.status"),
        ({"fault": "cpu", "params": {"saturation": 1.5}}, "params.saturation"),
        ({"fault": "memory", "params": {"saturation": True}}, "params.saturation"),
        ({"fault": "partition", "params": {"peer": "mars"}}, "params.peer"),
        ({"fault": "partition", "params": {"peer": "checkout"}}, "params.peer"),
        ({"fault": "degradation", "params": {"capacity_percent": 100}}, "params.capacity_percent"),
        ({"fault": "meteor"}, "fault"),
        ({"target": "mainframe"}, "target"),
        ({"duration_seconds": 0}, "duration_seconds"),
        ({"blast_radius_percent": 0}, "blast_radius_percent"),
        ({"guard": {"expr": "up"}}, "guard.threshold"),
        ({"guard": {}}, "guard"),
        ({"guard": {"slo": "mainframe/availability"}}, "guard.slo"),
    ],
)
def test_a_launch_that_breaks_the_schema_is_422_naming_the_field(
    cluster: Cluster, body: dict[str, Any], field: str
) -> None:
    # A dry run is checked exactly as a launch is, and needs no second factor.
    client = cluster.user("chaos")
    reply = launch(client, **{"dry_run": True, **body})
    assert reply.status_code == 422, reply.text
    problem = reply.json()
    assert problem["errors"][0]["field"] == field
    assert problem["detail"].startswith(f"{field}: ")


def test_a_launch_without_a_duration_is_422(cluster: Cluster) -> None:
    client = cluster.user("chaos")
    body: dict[str, Any] = {"fault": "latency", "target": "checkout", "params": {"latency_ms": 5}}
    assert launch(client, dry_run=True, **body).status_code == 201  # the same with a duration
    reply = client.post("/chaos/runs", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "duration_seconds"


def test_the_catalog_serves_every_fault_with_the_schema_launches_are_checked_against(
    cluster: Cluster,
) -> None:
    from jsonschema import Draft202012Validator

    catalog = {f["id"]: f for f in cluster.user("viewer").get("/chaos/catalog").json()}
    assert set(catalog) == {"latency", "error", "cpu", "memory", "partition", "degradation"}
    for fault in catalog.values():
        Draft202012Validator.check_schema(fault["params_schema"])
    assert catalog["latency"]["params_schema"]["required"] == ["latency_ms"]
    assert set(catalog["latency"]["params_schema"]["properties"]) == {"latency_ms", "jitter_ms"}
    assert set(catalog["error"]["params_schema"]["properties"]) == {"status", "rate_percent"}
    assert "checkout" in catalog["partition"]["params_schema"]["properties"]["peer"]["enum"]


def test_an_unknown_run_is_404(cluster: Cluster) -> None:
    client = chaos_user(cluster)
    assert client.get("/chaos/runs/999999").status_code == 404
    assert client.post("/chaos/runs/999999/abort").status_code == 404
