"""The sandbox against its real processes: workload, Prometheus, Alertmanager, control plane.

These wait on the real thing (scrapes and rule evaluation every 5 s), so each polls with a
generous limit instead of sleeping a fixed time.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox_harness import Sandbox, running_sandbox

pytestmark = pytest.mark.slow

SERVICES = {"gateway", "checkout", "payments", "inventory", "auth", "search", "recommendations"}


def p99(service: str) -> str:
    return (
        "histogram_quantile(0.99, sum by (le) (rate("
        f'http_server_request_duration_seconds_bucket{{service="{service}"}}[30s])))'
    )


def launch(client: httpx.Client, **run: Any) -> dict[str, Any]:
    body = {"params": {}, "blast_radius_percent": 100, "dry_run": False, **run}
    reply = client.post("/chaos/runs", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def run_state(client: httpx.Client, run_id: int) -> str:
    return str(client.get(f"/chaos/runs/{run_id}").json()["state"])


def test_golden_signal_series_exist_for_every_service(sandbox: Sandbox) -> None:
    listed = {s["name"] for s in sandbox.operator("viewer").get("/services").json()}
    assert listed == SERVICES
    for expr in (
        "sum by (service) (rate(http_server_request_duration_seconds_count[1m]))",
        "sum by (service) (rate(http_server_request_duration_seconds_count"
        '{http_response_status_code=~"5.."}[1h]))',
        "histogram_quantile(0.99, sum by (service, le) "
        "(rate(http_server_request_duration_seconds_bucket[1m])))",
        'max by (service) (aioke_saturation_ratio{resource="cpu"})',
    ):
        found = sandbox.wait_for(
            expr, lambda e=expr: {r["metric"]["service"] for r in sandbox.query(e)} >= SERVICES
        )
        assert found
    # The seeded history is there too: a day ago the services already had traffic.
    yesterday = sandbox.query(
        "sum by (service) (rate(http_server_request_duration_seconds_count[5m] offset 20h))"
    )
    assert {r["metric"]["service"] for r in yesterday} == SERVICES


def test_a_latency_fault_raises_p99_and_ends_at_its_ttl(sandbox: Sandbox) -> None:
    client = sandbox.operator("chaos", step_up=True)
    sandbox.wait_for("a p99 for search", lambda: sandbox.value(p99("search")) is not None)
    run = launch(
        client, fault="latency", target="search", params={"latency_ms": 900, "jitter_ms": 50},
        duration_seconds=40,
    )  # fmt: skip
    sandbox.wait_for("search's p99 to rise", lambda: (sandbox.value(p99("search")) or 0) > 0.8, 60)
    sandbox.wait_for("the run to end", lambda: run_state(client, run["id"]) == "completed", 60)
    sandbox.wait_for("search's p99 to fall", lambda: (sandbox.value(p99("search")) or 9) < 0.6, 60)


def test_an_error_fault_trips_the_callers_breaker(sandbox: Sandbox) -> None:
    client = sandbox.operator("chaos", "operator", step_up=True)
    run = launch(
        client, fault="error", target="payments", params={"status": 503, "rate_percent": 100},
        duration_seconds=60,
    )  # fmt: skip
    try:
        state = sandbox.wait_for(
            "checkout->payments to open",
            lambda: client.get("/breakers/checkout->payments").json()["state"] == "OPEN",
            45,
        )
        assert state
    finally:
        client.post(f"/chaos/runs/{run['id']}/abort", json={})


def test_a_forced_breaker_state_reverts_at_its_ttl(sandbox: Sandbox) -> None:
    client = sandbox.operator("operator", step_up=True)
    name = "search->recommendations"
    etag = client.get(f"/breakers/{name}").headers["ETag"]
    reply = client.post(
        f"/breakers/{name}/transition",
        json={"to": "FORCE_OPEN", "ttl_seconds": 3, "reason": "sandbox test"},
        headers={"Idempotency-Key": uuid.uuid4().hex, "If-Match": etag},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["state"] == "FORCED_OPEN"
    sandbox.wait_for(
        "the forced state to revert",
        lambda: client.get(f"/breakers/{name}").json()["state"] == "CLOSED",
        30,
    )
    history = client.get(f"/breakers/{name}/history").json()
    assert [h["to"] for h in history[-2:]] == ["FORCED_OPEN", "CLOSED"]


@pytest.fixture
def untouched_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox of its own: in the shared one, earlier tests' faults leave gateway's burn
    rate above a guard's threshold for minutes and can spend its whole error budget, and
    the control plane then rightly refuses the launch this test needs."""
    with running_sandbox(tmp_path / "work") as running:
        yield running


@pytest.mark.timeout(300)
def test_a_guard_aborts_a_run_whose_slo_burns_too_fast(untouched_sandbox: Sandbox) -> None:
    sandbox = untouched_sandbox
    # Gateway takes the traffic directly (no breaker in front of it), so its own SLO burns.
    client = sandbox.operator("chaos", step_up=True)
    run = launch(
        client, fault="error", target="gateway", params={"status": 500, "rate_percent": 50},
        duration_seconds=300, guard={"slo": "gateway/requests-availability"},
    )  # fmt: skip
    aborted = sandbox.wait_for(
        "the guard to abort the run",
        lambda: (
            (r := client.get(f"/chaos/runs/{run['id']}").json())["state"] == "auto_aborted" and r
        ),
        90,
    )
    assert "burn" in aborted["end_reason"]
    assert aborted["observed_value"] > 14.4


def test_a_launch_is_refused_while_the_budget_is_below_the_floor(sandbox: Sandbox) -> None:
    # Right after the sandbox starts, Prometheus may not have recorded the budget yet.
    sandbox.wait_for(
        "checkout's error budget to be recorded",
        lambda: sandbox.query('slo:period_error_budget_remaining:ratio{sloth_service="checkout"}'),
    )
    admin = sandbox.operator("admin", step_up=True)
    current = admin.get("/chaos/safety")
    settings = {k: v for k, v in current.json().items() if k in _SAFETY_FIELDS}
    strict = {**settings, "error_budget_floor_percent": 99.9}
    put = admin.put("/chaos/safety", json=strict, headers={"If-Match": current.headers["ETag"]})
    assert put.status_code == 200, put.text
    try:
        reply = admin.post(
            "/chaos/runs",
            json={"fault": "cpu", "target": "checkout", "params": {"saturation": 0.9},
                  "duration_seconds": 30, "guard": {"slo": "checkout/requests-availability"}},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )  # fmt: skip
        assert reply.status_code == 409
        assert "budget" in reply.json()["detail"]
    finally:
        now = admin.get("/chaos/safety")
        admin.put("/chaos/safety", json=settings, headers={"If-Match": now.headers["ETag"]})


_SAFETY_FIELDS = {
    "safety_mode",
    "max_duration_seconds",
    "max_blast_radius_percent",
    "error_budget_floor_percent",
    "unguarded_without_prometheus",
}


def test_the_ttl_holds_across_a_kill_9_of_the_control_plane(sandbox: Sandbox) -> None:
    client = sandbox.operator("chaos", step_up=True)
    run = launch(
        client, fault="latency", target="recommendations",
        params={"latency_ms": 500, "jitter_ms": 0}, duration_seconds=20,
    )  # fmt: skip
    ends_at = run["ends_at"]
    old_pid = sandbox.reload_status()["control_plane_pid"]
    os.kill(old_pid, signal.SIGKILL)
    sandbox.wait_for(
        "the supervisor to restart the control plane",
        lambda: sandbox.reload_status()["control_plane_pid"] != old_pid,
        30,
    )
    from aioke_cluster.clock import parse_iso

    def fault_gone() -> bool:
        try:
            text = httpx.get(
                sandbox.status["control_plane_url"] + "/metrics/workload", timeout=5
            ).text
        except httpx.TransportError:
            return False
        return f'run_id="{run["id"]}"' not in text

    sandbox.wait_for("the fault to end", fault_gone, 60)
    assert time.time() <= parse_iso(ends_at) + 5
    assert run_state(client, run["id"]) == "completed"


def test_a_runbook_resets_a_breaker_and_disables_a_flag(sandbox: Sandbox) -> None:
    client = sandbox.operator("operator", step_up=True)
    assert client.get("/flags/new-checkout-flow").json()["enabled"] is True
    breaker = client.get("/breakers/gateway->checkout")
    forced = client.post(
        "/breakers/gateway->checkout/transition",
        json={"to": "FORCE_OPEN", "ttl_seconds": 600, "reason": "runbook test"},
        headers={"Idempotency-Key": uuid.uuid4().hex, "If-Match": breaker.headers["ETag"]},
    )
    assert forced.status_code == 200, forced.text
    path = "/runbooks/roll-back-checkout-flow/executions"

    dry = client.post(path, json={"params": {}, "dry_run": True},
                      headers={"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
    assert dry.status_code in (200, 201), dry.text
    assert client.get("/flags/new-checkout-flow").json()["enabled"] is True
    assert client.get("/breakers/gateway->checkout").json()["state"] == "FORCED_OPEN"

    bad = client.post(path, json={"params": {"breaker": "nope->nope"}},
                      headers={"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
    assert bad.status_code == 422
    assert "breaker" in bad.json()["detail"]

    real = client.post(path, json={"params": {}}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert real.status_code in (200, 201), real.text
    execution = real.json()["id"]
    sandbox.wait_for(
        "the execution to succeed",
        lambda: client.get(f"{path}/{execution}").json()["state"] == "succeeded",
        60,
    )
    assert client.get("/flags/new-checkout-flow").json()["enabled"] is False
    assert client.get("/breakers/gateway->checkout").json()["state"] == "CLOSED"


def test_every_action_leaves_one_audit_row_and_the_chain_verifies(sandbox: Sandbox) -> None:
    client = sandbox.operator("operator", "chaos", step_up=True)
    key = f"audited-{uuid.uuid4().hex[:6]}"
    actions = []

    def act(method: str, path: str, **kwargs: Any) -> httpx.Response:
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id, **kwargs.pop("headers", {})}
        reply = client.request(method, path, headers=headers, **kwargs)
        assert reply.status_code < 300, reply.text
        actions.append(request_id)
        return reply

    created = act("POST", "/flags", json={"key": key}, headers={"Idempotency-Key": key})
    act("PATCH", f"/flags/{key}", json={"enabled": True},
        headers={"If-Match": created.headers["ETag"]})  # fmt: skip
    act("POST", "/services/auth/scale", json={"instances": 4},
        headers={"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
    run = act("POST", "/chaos/runs",
              json={"fault": "cpu", "target": "auth", "params": {"saturation": 0.5},
                    "duration_seconds": 30},
              headers={"Idempotency-Key": uuid.uuid4().hex}).json()  # fmt: skip
    act("POST", f"/chaos/runs/{run['id']}/abort", json={})

    rows = client.get("/audit", params={"since": 0, "limit": 1000, "actor": _me(client)}).json()
    by_request = [r["request_id"] for r in rows]
    assert [by_request.count(rid) for rid in actions] == [1] * len(actions)
    verified = client.get("/audit/verify").json()
    assert verified["ok"] is True


def _me(client: httpx.Client) -> str:
    return str(client.get("/me").json()["name"])
