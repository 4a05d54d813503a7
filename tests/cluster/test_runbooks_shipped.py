"""The sandbox's own runbooks over real HTTP, against the real breakers, chaos and workload.

This control plane has no Prometheus, so a runbook's check step fails, saying so; the steps
before it must still have done their work.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aioke_cluster.breakers import BreakerRegistry
from aioke_cluster.services import Settings
from harness import Cluster, running_cluster

SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "runbooks"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A control plane of this module's own: its runbooks scale and abort for real."""
    db = tmp_path_factory.mktemp("runbooks-shipped") / "cluster.db"
    with running_cluster(db, settings=Settings(runbooks_dir=SHIPPED)) as running:
        yield running


def until(check: Any, timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)
    return value


def run_to_end(client: httpx.Client, runbook: str, params: dict[str, Any]) -> dict[str, Any]:
    reply = client.post(
        f"/runbooks/{runbook}/executions",
        json={"params": params},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert reply.status_code == 201, reply.text
    path = f"/runbooks/{runbook}/executions/{reply.json()['id']}"

    def done() -> dict[str, Any] | None:
        record: dict[str, Any] = client.get(path).json()
        return None if record["state"] in ("pending", "running") else record

    result: dict[str, Any] = until(done)
    return result


def trip(cluster: Cluster, name: str) -> None:
    """Fail calls through the breaker until it opens, as a sick callee would."""
    registry: BreakerRegistry = cluster.app.state.breakers
    registry.ensure(name)
    for _ in range(100):
        if registry.try_acquire(name):
            registry.record(name, False, 0.01)
        snapshot = registry.snapshot(name)
        if snapshot is not None and snapshot.state == "OPEN":
            return
    raise AssertionError(f"{name} did not open")


def test_scale_service_sets_the_instance_count_as_its_starter(cluster: Cluster) -> None:
    operator = cluster.user("operator")

    done = run_to_end(operator, "scale-service", {"service": "search", "instances": 5})

    assert done["state"] == "succeeded", done
    assert operator.get("/services/search").json()["desired_instances"] == 5
    rows = operator.get("/audit", params={"resource": "service/search"}).json()
    assert (rows[-1]["action"], rows[-1]["after"]) == ("service.scale", {"instances": 5})
    assert rows[-1]["actor"] == f"{operator.user.name} via runbook scale-service/{done['id']}"


def test_stop_chaos_on_a_service_aborts_its_runs_and_resets_its_breakers(
    cluster: Cluster,
) -> None:
    experimenter = cluster.user("chaos")
    cluster.step_up(experimenter)
    launched = experimenter.post(
        "/chaos/runs",
        json={
            "fault": "latency",
            "target": "inventory",
            "params": {"latency_ms": 300},
            "duration_seconds": 600,
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert launched.status_code == 201, launched.text
    trip(cluster, "checkout->inventory")
    operator = cluster.user("operator")

    done = run_to_end(operator, "stop-chaos-on-service", {"service": "inventory"})

    run = operator.get(f"/chaos/runs/{launched.json()['id']}").json()
    assert run["state"] == "aborted"
    assert operator.get("/breakers/checkout->inventory").json()["state"] == "CLOSED"
    assert [s["state"] for s in done["steps"]] == ["succeeded", "succeeded", "failed"]
    assert done["state"] == "failed"
    assert done["reason"].endswith("no Prometheus is configured, so the check cannot be evaluated")


def test_failover_payments_is_high_risk_and_starts_by_asking(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    body = {"params": {}}
    refused = operator.post(
        "/runbooks/failover-payments/executions",
        json=body,
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert refused.status_code == 403

    cluster.step_up(operator)
    started = operator.post(
        "/runbooks/failover-payments/executions",
        json=body,
        headers={"Idempotency-Key": uuid.uuid4().hex},
    ).json()
    path = f"/runbooks/failover-payments/executions/{started['id']}"
    waiting = until(
        lambda: (r := operator.get(path).json())["state"] == "waiting_for_confirmation" and r
    )
    assert waiting["params"] == {"instances": 4, "hold_seconds": 900}
    assert operator.get("/breakers/checkout->payments").json()["state"] != "FORCED_OPEN"
    assert operator.post(f"{path}/cancel").json()["state"] == "cancelled"
