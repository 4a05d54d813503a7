"""Check steps and their ``on_fail``: PromQL conditions that hold, recover in time, or do not.

Prometheus is the one part faked here (a list of answers); the executor, its database and
its clock are the real ones.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from aioke_cluster import audit, events
from aioke_cluster.auth.passwords import Passwords
from aioke_cluster.clock import ManualClock
from aioke_cluster.db import Database
from aioke_cluster.metrics import ServerMetrics
from aioke_cluster.runbooks import SCHEMA, RunbookExecutor, StepFailed, load_runbook, store
from aioke_cluster.runbooks.records import ExecutionRecord
from aioke_cluster.runbooks.steps import STEP
from aioke_cluster.services import Services

CHECKING = """
id: checking
title: Check the error ratio twice
risk: low
parameters:
  type: object
  properties:
    on_fail: {type: string, enum: [stop, continue]}
  required: [on_fail]
steps:
  - kind: check
    expr: error_ratio
    comparison: "<"
    threshold: 0.01
    within_seconds: 20
    interval_seconds: 5
    on_fail: "{{ params.on_fail }}"
  - {kind: wait, seconds: 1}
"""


class FakePrometheus:
    """The cluster as the executor sees it: only queries answer; each answer is used once."""

    def __init__(self, *answers: float | None) -> None:
        self.answers = list(answers)

    def query(self, expr: str) -> float | None:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def __getattr__(self, name: str) -> Any:
        raise StepFailed(f"{name} is not part of this test")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    db = Database(tmp_path / "cluster.db")
    db.migrate([audit.SCHEMA, events.SCHEMA, SCHEMA])
    yield Services(db, ManualClock(), ServerMetrics(), Passwords())
    db.close()


def run(services: Services, tmp_path: Path, on_fail: str, *answers: float | None) -> Any:
    """Run ``checking`` to its end, moving the manual clock while it waits."""
    (tmp_path / "checking.yaml").write_text(CHECKING)
    runbook = load_runbook(tmp_path / "checking.yaml")
    executor = RunbookExecutor(
        services, {"checking": runbook}, FakePrometheus(*answers), tick_seconds=0.01
    )
    with services.db.write() as conn:
        params = runbook.check_params({"on_fail": on_fail})
        now = services.clock.now()
        record = executor.create(conn, runbook, params, dry_run=False, user="ann", now=now)
    executor.kick(record.id)
    deadline = time.monotonic() + 10
    try:
        while (done := _load(services, record.id)).active:
            assert time.monotonic() < deadline, "the execution did not end"
            assert isinstance(services.clock, ManualClock)
            services.clock.advance(1)
            time.sleep(0.005)
    finally:
        executor.stop()
    return done


def _load(services: Services, execution_id: str) -> ExecutionRecord:
    with services.db.read() as conn:
        record = store.load(conn, execution_id)
    assert record is not None
    return record


def test_a_check_that_recovers_within_its_window_succeeds(
    services: Services, tmp_path: Path
) -> None:
    done = run(services, tmp_path, "stop", 0.2, None, 0.005)
    assert done.state == "succeeded"
    assert done.steps[0].outcome == "error_ratio = 0.005, < 0.01 as wanted"


def test_a_failed_check_that_stops_fails_the_execution(services: Services, tmp_path: Path) -> None:
    done = run(services, tmp_path, "stop", 0.2)
    assert (done.state, [s.state for s in done.steps]) == ("failed", ["failed", "skipped"])
    assert done.reason.endswith("failed: error_ratio = 0.2, not < 0.01")


def test_a_failed_check_that_continues_lets_the_execution_go_on(
    services: Services, tmp_path: Path
) -> None:
    done = run(services, tmp_path, "continue", None)
    assert (done.state, [s.state for s in done.steps]) == ("succeeded", ["failed", "succeeded"])
    assert done.steps[0].outcome == "error_ratio = no data, not < 0.01"


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"kind": "flag_set", "flag": "f"}, "set enabled, rollout_percentage or both"),
        ({"kind": "chaos_abort"}, "name either run_id or target"),
        ({"kind": "breaker_reset", "breaker": "a->b", "callee": "b"}, "either breaker or callee"),
        ({"kind": "breaker_force", "breaker": "a->b", "to": "CLOSE", "ttl_seconds": 60}, "to"),
        ({"kind": "wait", "seconds": 7200}, "less than or equal to 3600"),
        ({"kind": "scale", "service": "x", "instances": "3"}, "valid integer"),
    ],
)
def test_a_step_that_cannot_make_sense_is_refused(step: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        STEP.validate_python(step)
