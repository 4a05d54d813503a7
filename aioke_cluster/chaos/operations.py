"""Abort, halt and resume as changes inside a caller's write transaction.

The routes and the runbook executor both make these changes, each auditing them its own way
(a request's principal, or "<user> via runbook ..."), with the same audit actions:
``chaos.abort`` on ``chaos/runs/<id>``, ``chaos.halt`` and ``chaos.resume`` on ``chaos``.
After the transaction commits, call :meth:`ChaosEngine.invalidate` so the workload stops the
faults at once (it would notice within a second anyway).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from . import store
from .catalog import describe
from .store import ChaosRun, Halt

CONTROL_RESOURCE = "chaos"


def run_resource(run_id: int) -> str:
    """The audit and event resource of a run."""
    return f"chaos/runs/{run_id}"


def run_json(run: ChaosRun, now: float) -> dict[str, Any]:
    """A run as the API shows it, with a one-line summary of what it does."""
    verb = "would inject" if run.state == "dry_run" else "injects"
    summary = (
        f"{verb} {describe(run.fault, run.params)} into {run.blast_radius_percent:g} % of "
        f"{run.target}'s traffic for {run.duration_seconds} s"
    )
    return {**run.to_json(now), "summary": summary}


@dataclass(frozen=True)
class Abort:
    """The run before and after; ``after`` is None when it had already ended (no change)."""

    before: ChaosRun
    after: ChaosRun | None


def abort_run(
    conn: sqlite3.Connection, run: ChaosRun, *, now: float, actor: str, why: str
) -> Abort:
    """End ``run`` now if its fault is active; an ended run is left as it is."""
    if not run.is_active(now):
        return Abort(run, None)
    store.end_run(conn, run.id, "aborted", ended_at=now, reason=f"aborted by {actor}: {why}")
    after = store.load_run(conn, run.id)
    assert after is not None
    return Abort(run, after)


def active_runs(conn: sqlite3.Connection, now: float, target: str | None = None) -> list[ChaosRun]:
    """The runs whose fault is active at ``now``, on ``target`` if given."""
    runs = [r for r in store.stored_running(conn) if r.is_active(now)]
    return [r for r in runs if target is None or r.target == target]


@dataclass(frozen=True)
class HaltResult:
    """The halt in force, the runs it aborted, and whether this call halted (vs. already)."""

    halt: Halt
    aborted_runs: list[int]
    changed: bool

    def to_json(self) -> dict[str, Any]:
        return {"halted": self.halt.to_json(), "aborted_runs": self.aborted_runs}


def halt(conn: sqlite3.Connection, *, now: float, actor: str, reason: str) -> HaltResult:
    """Abort every active fault and refuse launches until :func:`resume`; idempotent."""
    current = store.load_halt(conn)
    if current is not None:
        return HaltResult(current, [], changed=False)
    aborted = []
    for run in active_runs(conn, now):
        store.end_run(conn, run.id, "aborted", ended_at=now, reason=f"halted by {actor}: {reason}")
        aborted.append(run.id)
    new = Halt(reason, actor, now)
    store.save_halt(conn, new)
    return HaltResult(new, aborted, changed=True)


def resume(conn: sqlite3.Connection) -> Halt | None:
    """Lift the halt; the halt lifted, or None when chaos was not halted (no change)."""
    current = store.load_halt(conn)
    if current is not None:
        store.save_halt(conn, None)
    return current
