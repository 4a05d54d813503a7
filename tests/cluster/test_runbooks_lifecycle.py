"""A runbook execution over time, over real HTTP: it waits for a confirmation, can be
cancelled while it waits, times out, logs incrementally and does not outlive a restart."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aioke_cluster.services import Settings
from harness import Cluster, running_cluster

GUARDED = """
id: guarded
title: Turn a flag off once an operator agrees
risk: low
timeout_seconds: 60
parameters:
  type: object
  properties:
    flag: {type: string}
  required: [flag]
steps:
  - {kind: confirm, prompt: "Turn {{ params.flag }} off?"}
  - {kind: flag_set, flag: "{{ params.flag }}", enabled: false}
"""


def runbooks_dir(root: Path) -> Path:
    (root / "guarded.yaml").write_text(GUARDED)
    return root


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A control plane of this module's own: the tests move its clock."""
    root = runbooks_dir(tmp_path_factory.mktemp("runbooks-lifecycle"))
    with running_cluster(root / "cluster.db", settings=Settings(runbooks_dir=root)) as running:
        yield running


@pytest.fixture(scope="module")
def operator(cluster: Cluster) -> httpx.Client:
    return cluster.user("operator")


def until(check: Any, timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)
    return value


def execution(client: httpx.Client, execution_id: str) -> dict[str, Any]:
    reply = client.get(f"/runbooks/guarded/executions/{execution_id}")
    assert reply.status_code == 200, reply.text
    record: dict[str, Any] = reply.json()
    return record


def in_state(client: httpx.Client, execution_id: str, *states: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        record = execution(client, execution_id)
        return record if record["state"] in states else None

    found: dict[str, Any] = until(reached)
    return found


def enabled_flag(client: httpx.Client) -> str:
    key = f"lc-{uuid.uuid4().hex[:10]}"
    reply = client.post(
        "/flags", json={"key": key, "enabled": True}, headers={"Idempotency-Key": key}
    )
    assert reply.status_code == 201, reply.text
    return key


def waiting(client: httpx.Client) -> tuple[str, str]:
    """A new flag and an execution of ``guarded`` on it, waiting for its confirmation."""
    key = enabled_flag(client)
    reply = client.post(
        "/runbooks/guarded/executions",
        json={"params": {"flag": key}},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert reply.status_code == 201, reply.text
    execution_id = reply.json()["id"]
    in_state(client, execution_id, "waiting_for_confirmation")
    return key, execution_id


def confirm(client: httpx.Client, execution_id: str, tag: str | None) -> httpx.Response:
    headers = {} if tag is None else {"If-Match": tag}
    return client.post(f"/runbooks/guarded/executions/{execution_id}/confirm", headers=headers)


def etag_of(client: httpx.Client, execution_id: str) -> str:
    return client.get(f"/runbooks/guarded/executions/{execution_id}").headers["ETag"]


def is_enabled(client: httpx.Client, key: str) -> bool:
    return bool(client.get(f"/flags/{key}").json()["enabled"])


def test_an_execution_waits_for_a_confirmation_and_then_goes_on(
    cluster: Cluster, operator: httpx.Client
) -> None:
    key, execution_id = waiting(operator)
    record = execution(operator, execution_id)
    assert [s["state"] for s in record["steps"]] == ["waiting_for_confirmation", "pending"]
    assert is_enabled(operator, key)

    assert confirm(operator, execution_id, None).status_code == 428
    other = cluster.user("operator")
    reply = confirm(other, execution_id, etag_of(operator, execution_id))
    assert reply.status_code == 200, reply.text

    done = in_state(operator, execution_id, "succeeded")
    assert done["steps"][0]["confirmed_by"] == other.user.name
    assert [s["state"] for s in done["steps"]] == ["succeeded", "succeeded"]
    assert not is_enabled(operator, key)
    rows = operator.get("/audit", params={"action": "runbook.confirm"}).json()
    assert [r["actor"] for r in rows if execution_id in r["resource"]] == [other.user.name]


def test_cancel_stops_a_waiting_execution_and_a_repeat_changes_nothing(
    operator: httpx.Client,
) -> None:
    key, execution_id = waiting(operator)
    cancel = f"/runbooks/guarded/executions/{execution_id}/cancel"

    first = operator.post(cancel)
    again = operator.post(cancel)

    assert first.status_code == again.status_code == 200
    record = first.json()
    assert (record["state"], record["reason"]) == (
        "cancelled",
        f"cancelled by {operator.user.name}",
    )
    assert [s["state"] for s in record["steps"]] == ["cancelled", "skipped"]
    assert confirm(operator, execution_id, etag_of(operator, execution_id)).status_code == 409
    assert execution(operator, execution_id)["state"] == "cancelled"
    assert is_enabled(operator, key)
    rows = operator.get("/audit", params={"action": "runbook.cancel"}).json()
    assert len([r for r in rows if execution_id in r["resource"]]) == 1


def test_a_finished_execution_cannot_be_cancelled(operator: httpx.Client) -> None:
    _, execution_id = waiting(operator)
    confirm(operator, execution_id, etag_of(operator, execution_id))
    in_state(operator, execution_id, "succeeded")
    reply = operator.post(f"/runbooks/guarded/executions/{execution_id}/cancel")
    assert reply.status_code == 409
    assert reply.json()["detail"] == "The execution already ended: it succeeded."


def test_the_log_answers_only_the_lines_after_the_offset(operator: httpx.Client) -> None:
    key, execution_id = waiting(operator)
    log = f"/runbooks/guarded/executions/{execution_id}/log"

    first = operator.get(log).json()
    assert first["lines"][0]["line"].startswith(f"execution of guarded by {operator.user.name}")
    assert first["lines"][-1]["line"] == f"waiting for an operator: Turn {key} off?"
    assert first["next_offset"] == len(first["lines"])
    assert first["complete"] is False
    nothing_new = operator.get(log, params={"offset": first["next_offset"]}).json()
    assert (nothing_new["lines"], nothing_new["next_offset"]) == ([], first["next_offset"])

    confirm(operator, execution_id, etag_of(operator, execution_id))
    in_state(operator, execution_id, "succeeded")
    rest = operator.get(log, params={"offset": first["next_offset"]}).json()

    assert rest["lines"][0]["offset"] == first["next_offset"] + 1
    texts = [line["line"] for line in rest["lines"]]
    assert texts[0] == f"step 1 confirmed by {operator.user.name}"
    assert texts[-1] == "succeeded"
    assert rest["complete"] is True
    whole = operator.get(log).json()["lines"]
    assert [line["line"] for line in whole] == [line["line"] for line in first["lines"]] + texts


def test_an_execution_that_outlasts_its_timeout_fails(
    cluster: Cluster, operator: httpx.Client
) -> None:
    key, execution_id = waiting(operator)

    cluster.clock.advance(61)

    record = in_state(operator, execution_id, "failed", "succeeded", "cancelled")
    assert (record["state"], record["reason"]) == ("failed", "timed out after 60 s")
    assert [s["state"] for s in record["steps"]] == ["failed", "skipped"]
    assert is_enabled(operator, key)


def test_a_restart_fails_the_execution_it_interrupted(tmp_path: Path) -> None:
    settings = Settings(runbooks_dir=runbooks_dir(tmp_path))
    with running_cluster(tmp_path / "cluster.db", settings=settings) as before:
        key, execution_id = waiting(before.user("operator"))

    with running_cluster(tmp_path / "cluster.db", settings=settings) as after:
        client = after.user("viewer")
        record = execution(client, execution_id)
        assert (record["state"], record["reason"]) == ("failed", "control plane restarted")
        assert [s["state"] for s in record["steps"]] == ["failed", "skipped"]
        assert is_enabled(client, key)
