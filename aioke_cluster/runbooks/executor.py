"""Runs runbook executions, one background thread each, with a timeout, cancel and confirm.

Everything an execution does is written to SQLite as it happens (state, step times, log), so
``GET`` answers from the database and survives a restart; an execution a restart cut short
is marked failed on start-up. Request handlers change an execution (cancel, confirm) in their
own transaction and then :meth:`RunbookExecutor.wake` its thread, which re-reads the database.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Mapping
from typing import Any

from .. import events
from ..services import Services
from . import store
from .catalog import Runbook
from .records import ACTIVE, ExecutionRecord, new_execution
from .steps import STEP, ClusterActions, StepFailed, Stopped

log = logging.getLogger(__name__)

EVENT_KIND = "runbook.execution"
RESTARTED = "control plane restarted"


class ExecutionConflict(Exception):  # noqa: N818 - maps to 409 Conflict, named after it
    """The execution is not in a state that allows what was asked; one plain sentence."""


class _TimedOut(Exception):  # noqa: N818 - control flow, not an error
    pass


class _ShuttingDown(Exception):  # noqa: N818 - control flow, not an error
    pass


def resource(record: ExecutionRecord) -> str:
    return f"runbook/{record.runbook}/executions/{record.id}"


class _Run:
    """The :class:`~aioke_cluster.runbooks.steps.StepContext` of one running execution."""

    def __init__(self, executor: RunbookExecutor, record: ExecutionRecord) -> None:
        self._executor = executor
        self.record = record
        self.actions = executor.actions
        self.actor = f"{record.started_by} via runbook {record.runbook}/{record.id}"
        self.wakeup = threading.Event()
        self.step = 0

    def now(self) -> float:
        return self._executor.services.clock.now()

    def log(self, text: str) -> None:
        with self._executor.services.db.write() as conn:
            store.append_log(conn, self.record.id, self.now(), text)

    def check(self) -> None:
        """Raise if the execution must stop: shutdown, cancelled (by a handler) or timed out."""
        if self._executor.stopping:
            raise _ShuttingDown
        with self._executor.services.db.read() as conn:
            state = store.state_of(conn, self.record.id)
        if state not in ACTIVE:
            raise Stopped(state)
        if self.now() >= self.record.deadline:
            raise _TimedOut

    def pause(self, seconds: float) -> None:
        until = self.now() + seconds
        while True:
            self.check()
            left = min(until, self.record.deadline) - self.now()
            if until - self.now() <= 0:
                return
            # Short naps: the clock can be moved (tests, skew), and a read is cheap.
            self.wakeup.wait(max(0.0, min(left, self._executor.tick_seconds)))
            self.wakeup.clear()

    def await_confirmation(self, prompt: str) -> str:
        executor, record = self._executor, self.record
        with executor.services.db.write() as conn:
            now = self.now()
            # Only while still active: a cancel committed a moment ago keeps its step states.
            if store.set_state(conn, record.id, "waiting_for_confirmation", now):
                store.set_step(conn, record.id, self.step, "waiting_for_confirmation", now)
                store.append_log(conn, record.id, now, f"waiting for an operator: {prompt}")
                executor.publish(conn, record, "waiting_for_confirmation", prompt)
        while True:
            with executor.services.db.read() as conn:
                who = store.confirmed_by(conn, record.id, self.step)
            if who is not None:
                return who
            self.pause(executor.tick_seconds)


class RunbookExecutor:
    """Starts, tracks and stops runbook executions.

    Args:
        services: the control plane's services (database, clock, event bus).
        runbooks: the catalog, by id.
        actions: how steps act on the cluster.
        max_active: executions allowed to run or wait at once.
        tick_seconds: how often a waiting execution re-reads its state and the clock.
    """

    def __init__(
        self,
        services: Services,
        runbooks: Mapping[str, Runbook],
        actions: ClusterActions,
        *,
        max_active: int = 16,
        tick_seconds: float = 0.25,
    ) -> None:
        self.services, self.runbooks, self.actions = services, dict(runbooks), actions
        self.max_active, self.tick_seconds = max_active, tick_seconds
        self.stopping = False
        self._runs: dict[str, tuple[_Run, threading.Thread]] = {}
        self._lock = threading.Lock()

    def recover(self) -> None:
        """Fail every execution that a previous process left unfinished."""
        with self.services.db.write() as conn:
            for execution_id in store.active_ids(conn):
                record = store.load(conn, execution_id)
                if record is not None:
                    self._finish(conn, record, "failed", RESTARTED, "failed")

    def stop(self) -> None:
        """Stop every thread; unfinished executions are failed by the next :meth:`recover`."""
        with self._lock:
            self.stopping = True
            runs = list(self._runs.values())
        for run, thread in runs:
            run.wakeup.set()
            thread.join(10)

    # Called by request handlers, inside their write transaction.

    def create(
        self,
        conn: sqlite3.Connection,
        runbook: Runbook,
        params: dict[str, Any],
        *,
        dry_run: bool,
        user: str,
        now: float,
    ) -> ExecutionRecord:
        """Record a new execution (a dry run is complete at once); call :meth:`kick` after."""
        steps = runbook.resolve(params)
        if not dry_run and store.count_active(conn) >= self.max_active:
            raise ExecutionConflict(
                f"{self.max_active} executions are already running; wait for one to end."
            )
        record = new_execution(runbook, params, steps, dry_run=dry_run, user=user, now=now)
        store.insert(conn, record)
        verb = "dry run" if dry_run else "execution"
        store.append_log(
            conn, record.id, now, f"{verb} of {runbook.id} by {user} with {json.dumps(params)}"
        )
        if dry_run:
            for i, step in enumerate(steps):
                store.append_log(conn, record.id, now, f"step {i + 1}: would {step.describe()}")
        return store.load(conn, record.id) or record

    def cancel(self, conn: sqlite3.Connection, record: ExecutionRecord, by: str) -> bool:
        """Cancel an active execution; False when it already was cancelled (a repeat)."""
        if record.state == "cancelled":
            return False
        if not record.active:
            raise ExecutionConflict(f"The execution already ended: it {record.state}.")
        self._finish(conn, record, "cancelled", f"cancelled by {by}", "cancelled")
        return True

    def confirm(self, conn: sqlite3.Connection, record: ExecutionRecord, by: str) -> None:
        step = record.current_step()
        if record.state != "waiting_for_confirmation" or step is None:
            raise ExecutionConflict(f"The execution is {record.state}, not waiting for anyone.")
        now = self.services.clock.now()
        store.confirm_step(conn, record.id, step.index, by)
        store.set_state(conn, record.id, "running", now)
        store.append_log(conn, record.id, now, f"step {step.index + 1} confirmed by {by}")
        self.publish(conn, record, "running", f"confirmed by {by}")

    # Threads.

    def kick(self, execution_id: str) -> None:
        """Start the thread of a pending execution (a no-op for a replayed request)."""
        with self._lock:
            if self.stopping or execution_id in self._runs:
                return
            with self.services.db.read() as conn:
                record = store.load(conn, execution_id)
            if record is None or record.state != "pending":
                return
            run = _Run(self, record)
            thread = threading.Thread(
                target=self._work, args=(run,), name=f"runbook-{execution_id}", daemon=True
            )
            self._runs[execution_id] = (run, thread)
            thread.start()

    def wake(self, execution_id: str) -> None:
        with self._lock:
            entry = self._runs.get(execution_id)
        if entry is not None:
            entry[0].wakeup.set()

    def _work(self, run: _Run) -> None:
        record = run.record
        try:
            self._execute(run)
        except (Stopped, _ShuttingDown):
            pass  # a handler already recorded the cancel; a restart records the shutdown
        except _TimedOut:
            self._end(record, "failed", f"timed out after {record.timeout_seconds} s", "failed")
        except Exception as exc:  # a bug must not leave the execution running forever
            log.exception("runbook execution %s crashed", record.id)
            self._end(record, "failed", f"internal error: {exc}", "failed")
        finally:
            with self._lock:
                self._runs.pop(record.id, None)

    def _execute(self, run: _Run) -> None:
        record = run.record
        steps = [STEP.validate_python(s.spec) for s in record.steps]
        with self.services.db.write() as conn:
            if not store.set_state(conn, record.id, "running", run.now()):
                return
            self.publish(conn, record, "running")
        for index, step in enumerate(steps):
            run.check()
            run.step = index
            self._step(record, index, "running", f"step {index + 1}/{len(steps)}: {step.title}")
            try:
                outcome = step.run(run)
            except StepFailed as exc:
                self._step(record, index, "failed", f"step {index + 1} failed: {exc}", str(exc))
                if step.continue_on_failure:
                    continue
                reason = f"step {index + 1} ({step.title}) failed: {exc}"
                self._end(record, "failed", reason, "failed")
                return
            self._step(record, index, "succeeded", f"step {index + 1}: {outcome}", outcome)
        self._end(record, "succeeded", None, "succeeded")

    def _step(
        self, record: ExecutionRecord, index: int, state: str, line: str, outcome: str | None = None
    ) -> None:
        with self.services.db.write() as conn:
            now = self.services.clock.now()
            store.append_log(conn, record.id, now, line)
            # After a cancel the step's end is in the log only: the record says cancelled.
            if store.state_of(conn, record.id) in ACTIVE:
                store.set_step(conn, record.id, index, state, now, outcome)
                self.publish(conn, record, store.state_of(conn, record.id) or state, line)

    def _end(self, record: ExecutionRecord, state: str, reason: str | None, step: str) -> None:
        with self.services.db.write() as conn:
            self._finish(conn, record, state, reason, step)

    def _finish(
        self,
        conn: sqlite3.Connection,
        record: ExecutionRecord,
        state: str,
        reason: str | None,
        step_state: str,
    ) -> None:
        now = self.services.clock.now()
        if store.set_state(conn, record.id, state, now, reason):
            store.end_open_steps(conn, record.id, step_state, now, reason)
            store.append_log(conn, record.id, now, f"{state}" + (f": {reason}" if reason else ""))
            self.publish(conn, record, state, reason)

    def publish(
        self, conn: sqlite3.Connection, record: ExecutionRecord, state: str, note: str | None = None
    ) -> None:
        """Publish a ``runbook.execution`` event (automatic, so no actor) with the state."""
        summary = f"runbook {record.runbook} execution {record.id}: {state}"
        events.publish(
            conn,
            self.services.events,
            now=self.services.clock.now(),
            kind=EVENT_KIND,
            resource=resource(record),
            summary=summary + (f" ({note})" if note else ""),
            data={"execution": record.id, "runbook": record.runbook, "state": state, "note": note},
        )
