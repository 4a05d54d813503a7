"""``/runbooks`` over real HTTP: the catalog, executions that change flags and breakers, dry
runs that change nothing, parameter validation and the step-up rule for high-risk runbooks."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from aioke_cluster.breakers import BreakerConfig, BreakerRegistry
from aioke_cluster.services import Settings
from harness import Cluster, running_cluster

RUNBOOKS = {
    "mitigate.yaml": """
id: mitigate
title: Turn a flag off and reset a breaker
risk: low
parameters:
  type: object
  properties:
    flag: {type: string}
    breaker: {type: string}
  required: [flag, breaker]
steps:
  - {kind: flag_set, flag: "{{ params.flag }}", enabled: false}
  - {kind: breaker_reset, breaker: "{{ params.breaker }}"}
""",
    "roll-back.yaml": """
id: roll-back
title: Roll a flag back to a share of users
risk: high
parameters:
  type: object
  properties:
    flag: {type: string}
    percent: {type: integer, minimum: 0, maximum: 100, default: 10}
    speed: {type: string, enum: [fast, careful], default: careful}
  required: [flag]
steps:
  - {kind: flag_set, flag: "{{ params.flag }}", rollout_percentage: "{{ params.percent }}"}
""",
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A control plane of this module's own, serving the runbooks above."""
    root = tmp_path_factory.mktemp("runbooks-api")
    for name, text in RUNBOOKS.items():
        (root / name).write_text(text)
    with running_cluster(root / "cluster.db", settings=Settings(runbooks_dir=root)) as running:
        yield running


def until(check: Any, timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)
    return value


def start(
    client: httpx.Client, runbook: str, params: dict[str, Any], **body: Any
) -> httpx.Response:
    return client.post(
        f"/runbooks/{runbook}/executions",
        json={"params": params, **body},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )


def finished(client: httpx.Client, runbook: str, execution_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        record: dict[str, Any] = client.get(f"/runbooks/{runbook}/executions/{execution_id}").json()
        return record if record["state"] in ("succeeded", "failed", "cancelled") else None

    result: dict[str, Any] = until(done)
    return result


def enabled_flag(client: httpx.Client) -> str:
    key = f"rb-{uuid.uuid4().hex[:10]}"
    reply = client.post(
        "/flags",
        json={"key": key, "enabled": True, "rollout_percentage": 50},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert reply.status_code == 201, reply.text
    return key


def tripped_breaker(cluster: Cluster) -> str:
    """A breaker tripped OPEN the way the workload trips one: by failed calls through it."""
    registry: BreakerRegistry = cluster.app.state.breakers
    name = f"caller-{uuid.uuid4().hex[:6]}->callee"
    registry.ensure(name, BreakerConfig(sliding_window_size=4, minimum_number_of_calls=4))
    for _ in range(4):
        assert registry.try_acquire(name)
        registry.record(name, False, 0.01)
    return name


def breaker_state(client: httpx.Client, name: str) -> str:
    reply = client.get(f"/breakers/{name}")
    assert reply.status_code == 200, reply.text
    return str(reply.json()["state"])


def test_the_catalog_lists_each_runbook_with_its_parameters(cluster: Cluster) -> None:
    viewer = cluster.user("viewer")
    listed = viewer.get("/runbooks").json()
    assert [r["id"] for r in listed] == ["mitigate", "roll-back"]
    one = viewer.get("/runbooks/roll-back").json()
    assert one["risk"] == "high"
    assert one["timeout_seconds"] == 300
    assert one["parameters"]["properties"]["percent"]["default"] == 10
    assert one["steps"][0]["kind"] == "flag_set"
    assert viewer.get("/runbooks/nope").status_code == 404


def test_an_execution_disables_a_flag_and_resets_a_breaker_as_its_starter(
    cluster: Cluster,
) -> None:
    operator = cluster.user("operator")
    key, breaker = enabled_flag(operator), tripped_breaker(cluster)
    assert breaker_state(operator, breaker) == "OPEN"

    reply = start(operator, "mitigate", {"flag": key, "breaker": breaker})
    assert reply.status_code == 201, reply.text
    execution = reply.json()
    assert reply.headers["Location"] == f"/api/v1/runbooks/mitigate/executions/{execution['id']}"
    done = finished(operator, "mitigate", execution["id"])

    assert done["state"] == "succeeded"
    assert [s["state"] for s in done["steps"]] == ["succeeded", "succeeded"]
    assert all(s["started_at"] <= s["ended_at"] for s in done["steps"])
    assert operator.get(f"/flags/{key}").json()["enabled"] is False
    assert breaker_state(operator, breaker) == "CLOSED"
    # Each change is audited as the user who started it, through this execution.
    actor = f"{operator.user.name} via runbook mitigate/{execution['id']}"
    flag_rows = operator.get("/audit", params={"resource": f"flag/{key}"}).json()
    assert [(r["action"], r["actor"]) for r in flag_rows][-1] == ("flag.update", actor)
    breaker_rows = operator.get("/audit", params={"resource": f"breaker/{breaker}"}).json()
    assert [(r["action"], r["actor"]) for r in breaker_rows] == [("breaker.transition", actor)]
    started = operator.get("/audit", params={"action": "runbook.execute"}).json()
    assert any(
        r["actor"] == operator.user.name and execution["id"] in r["resource"] for r in started
    )


def test_execution_state_changes_reach_the_event_feed(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    head = operator.get("/events").json()["head"]
    key, breaker = enabled_flag(operator), tripped_breaker(cluster)
    execution = start(operator, "mitigate", {"flag": key, "breaker": breaker}).json()
    finished(operator, "mitigate", execution["id"])

    feed = operator.get("/events", params={"after": head, "limit": 1000}).json()["events"]
    states = [
        e["data"]["state"]
        for e in feed
        if e["kind"] == "runbook.execution" and e["data"]["execution"] == execution["id"]
    ]
    assert states[0] == "running"
    assert states[-1] == "succeeded"


def test_a_dry_run_says_what_each_step_would_do_and_changes_nothing(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    key, breaker = enabled_flag(operator), tripped_breaker(cluster)
    flag_before = operator.get(f"/flags/{key}").json()

    reply = start(operator, "mitigate", {"flag": key, "breaker": breaker}, dry_run=True)

    assert reply.status_code == 201, reply.text
    dry = reply.json()
    assert (dry["dry_run"], dry["state"]) == (True, "succeeded")
    assert [s["outcome"] for s in dry["steps"]] == [
        f"would disable flag {key}",
        f"would reset breaker {breaker} to CLOSED and zero the counters",
    ]
    assert operator.get(f"/flags/{key}").json() == flag_before
    assert breaker_state(operator, breaker) == "OPEN"
    rows = operator.get("/audit", params={"resource": f"flag/{key}"}).json()
    assert [r["action"] for r in rows] == ["flag.create"]
    log = operator.get(f"/runbooks/mitigate/executions/{dry['id']}/log").json()
    assert any(f"would disable flag {key}" in line["line"] for line in log["lines"])
    assert log["complete"] is True


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "params.flag"),
        ({"flag": 7}, "params.flag"),
        ({"flag": "f", "percent": 101}, "params.percent"),
        ({"flag": "f", "speed": "reckless"}, "params.speed"),
        ({"flag": "f", "persent": 5}, "params.persent"),
    ],
)
def test_parameters_that_break_the_schema_give_422_naming_the_field(
    cluster: Cluster, params: dict[str, Any], field: str
) -> None:
    operator = cluster.user("operator")
    cluster.step_up(operator)
    reply = start(operator, "roll-back", params)
    assert reply.status_code == 422, reply.text
    problem = reply.json()
    assert problem["detail"].startswith(f"{field}: ")
    assert problem["errors"][0]["field"] == field
    assert operator.get("/runbooks/roll-back/executions").json() == []


def test_a_high_risk_runbook_needs_a_step_up_except_for_a_dry_run(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    key = enabled_flag(operator)

    refused = start(operator, "roll-back", {"flag": key})
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/step-up-required")
    assert start(operator, "roll-back", {"flag": key}, dry_run=True).status_code == 201
    assert operator.get(f"/flags/{key}").json()["rollout_percentage"] == 50

    cluster.step_up(operator)
    execution = start(operator, "roll-back", {"flag": key}).json()
    assert finished(operator, "roll-back", execution["id"])["params"] == {
        "flag": key,
        "percent": 10,
        "speed": "careful",
    }
    assert operator.get(f"/flags/{key}").json()["rollout_percentage"] == 10


def test_starting_needs_the_operator_role_and_an_idempotency_key(cluster: Cluster) -> None:
    viewer, operator = cluster.user("viewer"), cluster.user("operator")
    params = {"flag": f"never-{uuid.uuid4().hex[:8]}", "breaker": "a->b"}
    assert start(viewer, "mitigate", params).status_code == 403
    no_key = operator.post("/runbooks/mitigate/executions", json={"params": params})
    assert no_key.status_code == 400
    listed = operator.get("/runbooks/mitigate/executions", params={"limit": 100}).json()
    assert all(e["params"] != params for e in listed)


def test_a_retried_start_runs_the_runbook_once(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    key, breaker = enabled_flag(operator), tripped_breaker(cluster)
    body = {"params": {"flag": key, "breaker": breaker}}
    headers = {"Idempotency-Key": uuid.uuid4().hex}

    first = operator.post("/runbooks/mitigate/executions", json=body, headers=headers)
    again = operator.post("/runbooks/mitigate/executions", json=body, headers=headers)

    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    finished(operator, "mitigate", first.json()["id"])
    mine = [
        e
        for e in operator.get("/runbooks/mitigate/executions", params={"limit": 100}).json()
        if e["params"]["flag"] == key
    ]
    assert len(mine) == 1


def test_a_failing_step_fails_the_execution_and_skips_the_rest(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    breaker = tripped_breaker(cluster)
    execution = start(operator, "mitigate", {"flag": "no-such-flag", "breaker": breaker}).json()

    done = finished(operator, "mitigate", execution["id"])

    assert done["state"] == "failed"
    assert (
        done["reason"] == "step 1 (disable flag no-such-flag) failed: there is no flag no-such-flag"
    )
    assert [s["state"] for s in done["steps"]] == ["failed", "skipped"]
    assert breaker_state(operator, breaker) == "OPEN"
