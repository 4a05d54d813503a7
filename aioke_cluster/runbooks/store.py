"""Runbook executions in SQLite: the execution, the state of each step and the log.

State changes are conditional on the execution still being active, so a worker finishing a
step cannot write over a cancel that an operator committed a moment earlier.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ..clock import iso
from .records import ACTIVE, FINISHED, ExecutionRecord, StepRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS runbook_executions (
    id TEXT PRIMARY KEY,
    runbook TEXT NOT NULL,
    params TEXT NOT NULL,
    dry_run INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
    state TEXT NOT NULL,
    reason TEXT,
    started_by TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    timeout_seconds INTEGER NOT NULL,
    deadline REAL NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runbook_executions_by_runbook
    ON runbook_executions(runbook, created_at);
CREATE INDEX IF NOT EXISTS runbook_executions_by_state ON runbook_executions(state);
CREATE TABLE IF NOT EXISTS runbook_execution_steps (
    execution TEXT NOT NULL REFERENCES runbook_executions(id),
    idx INTEGER NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at REAL,
    ended_at REAL,
    outcome TEXT,
    confirmed_by TEXT,
    PRIMARY KEY (execution, idx)
);
CREATE TABLE IF NOT EXISTS runbook_execution_log (
    execution TEXT NOT NULL REFERENCES runbook_executions(id),
    seq INTEGER NOT NULL,
    ts REAL NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (execution, seq)
);
"""


def insert(conn: sqlite3.Connection, record: ExecutionRecord) -> None:
    conn.execute(
        "INSERT INTO runbook_executions (id, runbook, params, dry_run, state, reason, started_by,"
        " created_at, started_at, ended_at, timeout_seconds, deadline, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.id, record.runbook, json.dumps(record.params), int(record.dry_run),
            record.state, record.reason, record.started_by, record.created_at,
            record.started_at, record.ended_at, record.timeout_seconds, record.deadline,
            record.version,
        ),
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO runbook_execution_steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (record.id, s.index, s.kind, s.title, json.dumps(s.spec), s.state,
             s.started_at, s.ended_at, s.outcome, s.confirmed_by)
            for s in record.steps
        ],
    )  # fmt: skip


def load(conn: sqlite3.Connection, execution_id: str) -> ExecutionRecord | None:
    row = conn.execute("SELECT * FROM runbook_executions WHERE id = ?", (execution_id,)).fetchone()
    return None if row is None else _record(conn, row)


def recent(conn: sqlite3.Connection, runbook: str, limit: int) -> list[ExecutionRecord]:
    rows = conn.execute(
        "SELECT * FROM runbook_executions WHERE runbook = ? ORDER BY created_at DESC, rowid DESC"
        " LIMIT ?",
        (runbook, limit),
    ).fetchall()
    return [_record(conn, r) for r in rows]


_UNFINISHED = (
    "SELECT id FROM runbook_executions WHERE state NOT IN ('succeeded', 'failed', 'cancelled')"
)


def count_active(conn: sqlite3.Connection) -> int:
    return len(active_ids(conn))


def active_ids(conn: sqlite3.Connection) -> list[str]:
    return [r["id"] for r in conn.execute(_UNFINISHED)]


def _record(conn: sqlite3.Connection, row: sqlite3.Row) -> ExecutionRecord:
    steps = tuple(
        StepRecord(
            s["idx"], s["kind"], s["title"], json.loads(s["spec"]), s["state"],
            s["started_at"], s["ended_at"], s["outcome"], s["confirmed_by"],
        )
        for s in conn.execute(
            "SELECT * FROM runbook_execution_steps WHERE execution = ? ORDER BY idx", (row["id"],)
        )
    )  # fmt: skip
    lines = conn.execute(
        "SELECT coalesce(max(seq), 0) FROM runbook_execution_log WHERE execution = ?", (row["id"],)
    ).fetchone()[0]
    return ExecutionRecord(
        id=row["id"],
        runbook=row["runbook"],
        params=json.loads(row["params"]),
        dry_run=bool(row["dry_run"]),
        state=row["state"],
        reason=row["reason"],
        started_by=row["started_by"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        timeout_seconds=row["timeout_seconds"],
        deadline=row["deadline"],
        version=row["version"],
        steps=steps,
        log_lines=int(lines),
    )


def set_state(
    conn: sqlite3.Connection, execution_id: str, state: str, now: float, reason: str | None = None
) -> bool:
    """Move an active execution to ``state``; False when it had already finished."""
    ended = now if state in FINISHED else None
    cursor = conn.execute(
        "UPDATE runbook_executions SET state = ?, reason = coalesce(?, reason),"
        " started_at = coalesce(started_at, CASE WHEN ? = 'running' THEN ? END),"
        " ended_at = ?, version = version + 1"
        " WHERE id = ? AND state NOT IN ('succeeded', 'failed', 'cancelled')",
        (state, reason, state, now, ended, execution_id),
    )
    return cursor.rowcount == 1


def set_step(
    conn: sqlite3.Connection,
    execution_id: str,
    index: int,
    state: str,
    now: float,
    outcome: str | None = None,
) -> None:
    """Record a step's new state: a start time on ``running``, an end time once it ends."""
    starting = state in ACTIVE
    conn.execute(
        "UPDATE runbook_execution_steps SET state = ?, outcome = coalesce(?, outcome),"
        " started_at = CASE WHEN ? THEN coalesce(started_at, ?) ELSE started_at END,"
        " ended_at = CASE WHEN ? THEN NULL ELSE ? END"
        " WHERE execution = ? AND idx = ?",
        (state, outcome, starting, now, starting, now, execution_id, index),
    )
    conn.execute(
        "UPDATE runbook_executions SET version = version + 1 WHERE id = ?", (execution_id,)
    )


def end_open_steps(
    conn: sqlite3.Connection, execution_id: str, state: str, now: float, why: str | None
) -> None:
    """Mark the step in progress ``state`` (because ``why``) and the steps not reached
    ``skipped``."""
    conn.execute(
        "UPDATE runbook_execution_steps SET state = ?, ended_at = ?, outcome = coalesce(?, outcome)"
        " WHERE execution = ? AND state IN ('running', 'waiting_for_confirmation')",
        (state, now, why, execution_id),
    )
    conn.execute(
        "UPDATE runbook_execution_steps SET state = 'skipped'"
        " WHERE execution = ? AND state = 'pending'",
        (execution_id,),
    )


def append_log(conn: sqlite3.Connection, execution_id: str, now: float, line: str) -> int:
    """Append one line; returns its number (1-based), which is also the next read offset."""
    seq = conn.execute(
        "SELECT coalesce(max(seq), 0) + 1 FROM runbook_execution_log WHERE execution = ?",
        (execution_id,),
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO runbook_execution_log VALUES (?, ?, ?, ?)", (execution_id, seq, now, line)
    )
    return int(seq)


def read_log(
    conn: sqlite3.Connection, execution_id: str, offset: int, limit: int
) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT seq, ts, line FROM runbook_execution_log WHERE execution = ? AND seq > ?"
        " ORDER BY seq LIMIT ?",
        (execution_id, offset, limit),
    )
    return [{"offset": r["seq"], "time": iso(r["ts"]), "line": r["line"]} for r in rows]


def confirm_step(conn: sqlite3.Connection, execution_id: str, index: int, by: str) -> bool:
    """Record who confirmed a waiting step; False when it was not waiting."""
    cursor = conn.execute(
        "UPDATE runbook_execution_steps SET confirmed_by = ?, state = 'running'"
        " WHERE execution = ? AND idx = ? AND state = 'waiting_for_confirmation'",
        (by, execution_id, index),
    )
    return cursor.rowcount == 1


def confirmed_by(conn: sqlite3.Connection, execution_id: str, index: int) -> str | None:
    row = conn.execute(
        "SELECT confirmed_by FROM runbook_execution_steps WHERE execution = ? AND idx = ?",
        (execution_id, index),
    ).fetchone()
    return None if row is None else row["confirmed_by"]


def state_of(conn: sqlite3.Connection, execution_id: str) -> str | None:
    row = conn.execute(
        "SELECT state FROM runbook_executions WHERE id = ?", (execution_id,)
    ).fetchone()
    return None if row is None else str(row["state"])
