"""Flag ramps against the sandbox's real Prometheus: one advances while its service's 1 h burn
rate stays at or below 1, one steps back once an error fault pushes the burn rate above 1.

The advancing ramp is gated on auth, which no sandbox test faults with errors. The other is
gated on gateway, the one service whose own SLO an error fault burns, and started once the
fault has pushed the burn rate past 1: its first decision must take the rollout back down.
The fault is small (20 % of requests) and aborted as soon as the ramp has stepped back, so
gateway's 1 h burn stays far below the 14.4× of its page alert.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from aioke_cluster.flags.ramp import burn_rate_query
from sandbox_harness import Sandbox


def ramp_flag(client: httpx.Client, service: str, steps: list[int]) -> str:
    key = f"ramp-live-{uuid.uuid4().hex[:8]}"
    made = client.post(
        "/flags", json={"key": key, "owner": "sre"}, headers={"Idempotency-Key": key}
    )
    assert made.status_code == 201, made.text
    reply = client.put(
        f"/flags/{key}/ramp",
        json={"steps": steps, "interval_seconds": 2, "service": service},
        headers={"If-Match": made.headers["ETag"], "Idempotency-Key": uuid.uuid4().hex},
    )
    assert reply.status_code == 201, reply.text
    return key


def ramp_of(client: httpx.Client, key: str) -> dict[str, Any]:
    reply = client.get(f"/flags/{key}/ramp")
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_a_ramp_advances_to_the_end_while_the_burn_rate_stays_low(sandbox: Sandbox) -> None:
    client = sandbox.operator("operator")
    sandbox.wait_for(  # noisy for a minute after the sandbox starts
        "auth's 1 h burn rate at or below 1",
        lambda: (burn := sandbox.value(burn_rate_query("auth"))) is not None and burn <= 1,
    )
    key = ramp_flag(client, "auth", [10, 50, 100])
    ramp = sandbox.wait_for(
        "the ramp to finish", lambda: (r := ramp_of(client, key))["state"] == "finished" and r, 60
    )
    decisions = [(h["decision"], h["to_percent"]) for h in ramp["history"]]
    assert decisions == [("start", 10), ("advance", 50), ("advance", 100), ("finish", 100)]
    assert all(h["burn_rate"] <= 1 for h in ramp["history"][1:3])
    assert client.get(f"/flags/{key}").json()["rollout_percentage"] == 100


def test_a_ramp_steps_back_when_an_error_fault_raises_the_burn_rate(sandbox: Sandbox) -> None:
    client = sandbox.operator("operator", "chaos", step_up=True)
    run_id = None
    if (sandbox.value(burn_rate_query("gateway")) or 0) <= 1:  # else an earlier test burned it
        launched = client.post(
            "/chaos/runs",
            json={
                "fault": "error",
                "target": "gateway",
                "params": {"status": 500, "rate_percent": 20},
                "duration_seconds": 120,
                "blast_radius_percent": 100,
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if launched.status_code == 409:  # an earlier test spent gateway's budget: no fault
            pytest.skip(f"the control plane refuses a gateway fault: {launched.json()['detail']}")
        assert launched.status_code == 201, launched.text
        run_id = launched.json()["id"]
    try:
        sandbox.wait_for(
            "gateway's 1 h burn rate to pass 1",
            lambda: (sandbox.value(burn_rate_query("gateway")) or 0) > 1,
            60,
        )
        key = ramp_flag(client, "gateway", [25, 50, 100])
        ramp = sandbox.wait_for(
            "the ramp to step back",
            lambda: (r := ramp_of(client, key))["last_decision"] == "step_back" and r,
            60,
        )
    finally:
        if run_id is not None:
            client.post(f"/chaos/runs/{run_id}/abort", json={})
    step_back = ramp["history"][-1]
    assert step_back["burn_rate"] > 1
    assert step_back["to_percent"] < step_back["from_percent"]
    assert "gateway's 1 h burn rate" in step_back["reason"]
    assert ramp["state"] == "running"
    assert client.get(f"/flags/{key}").json()["rollout_percentage"] == ramp["current_percent"]
    audited = client.get("/audit", params={"resource": f"flag/{key}", "action": "flag.ramp"})
    assert "flag.ramp.step_back" in [e["action"] for e in audited.json()]
    flag = client.get(f"/flags/{key}")
    stop = client.delete(f"/flags/{key}/ramp", headers={"If-Match": flag.headers["ETag"]})
    assert stop.status_code == 200
