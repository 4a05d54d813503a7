"""What an execution and its steps look like, as stored and as the API shows them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from ..clock import iso
from .catalog import Runbook
from .steps import Step

ACTIVE = ("pending", "running", "waiting_for_confirmation")
FINISHED = ("succeeded", "failed", "cancelled")


def _when(ts: float | None) -> str | None:
    return None if ts is None else iso(ts)


@dataclass(frozen=True)
class StepRecord:
    index: int
    kind: str
    title: str
    spec: dict[str, Any]
    state: str
    started_at: float | None
    ended_at: float | None
    outcome: str | None
    confirmed_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "title": self.title,
            "spec": self.spec,
            "state": self.state,
            "started_at": _when(self.started_at),
            "ended_at": _when(self.ended_at),
            "outcome": self.outcome,
            "confirmed_by": self.confirmed_by,
        }


@dataclass(frozen=True)
class ExecutionRecord:
    id: str
    runbook: str
    params: dict[str, Any]
    dry_run: bool
    state: str
    reason: str | None
    started_by: str
    created_at: float
    started_at: float | None
    ended_at: float | None
    timeout_seconds: int
    deadline: float
    version: int
    steps: tuple[StepRecord, ...]
    log_lines: int

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def current_step(self) -> StepRecord | None:
        return next((s for s in self.steps if s.state in ACTIVE), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "runbook": self.runbook,
            "params": self.params,
            "dry_run": self.dry_run,
            "state": self.state,
            "reason": self.reason,
            "started_by": self.started_by,
            "created_at": iso(self.created_at),
            "started_at": _when(self.started_at),
            "ended_at": _when(self.ended_at),
            "timeout_seconds": self.timeout_seconds,
            "deadline": iso(self.deadline),
            "steps": [s.to_json() for s in self.steps],
            "log_lines": self.log_lines,
        }


def new_execution(
    runbook: Runbook,
    params: dict[str, Any],
    steps: list[Step],
    *,
    dry_run: bool,
    user: str,
    now: float,
) -> ExecutionRecord:
    """A new execution: pending, or for a dry run complete at once with what each step would do."""
    return ExecutionRecord(
        id=f"rx-{secrets.token_hex(6)}",
        runbook=runbook.id,
        params=params,
        dry_run=dry_run,
        state="succeeded" if dry_run else "pending",
        reason="dry run: nothing was changed" if dry_run else None,
        started_by=user,
        created_at=now,
        started_at=now if dry_run else None,
        ended_at=now if dry_run else None,
        timeout_seconds=runbook.timeout_seconds,
        deadline=now + runbook.timeout_seconds,
        version=1,
        steps=tuple(
            StepRecord(
                index=i,
                kind=step.kind,
                title=step.title,
                spec=step.model_dump(mode="json", exclude_none=True),
                state="skipped" if dry_run else "pending",
                started_at=None,
                ended_at=None,
                outcome=f"would {step.describe()}" if dry_run else None,
            )
            for i, step in enumerate(steps)
        ),
        log_lines=0,
    )
