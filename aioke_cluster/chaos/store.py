"""Chaos runs, the halt switch and the safety settings in SQLite.

A run's ``ends_at`` is written when it starts and never moves. Whether a fault is active is
computed from it (``state = 'running' AND now < ends_at``), not from a timer, so a control
plane that crashed, was killed or restarted never extends a run: the row's state may still
say ``running`` after its end, and every reader treats it as ``completed``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ..clock import iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS chaos_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fault TEXT NOT NULL,
    target TEXT NOT NULL,
    params TEXT NOT NULL,
    duration_seconds INTEGER NOT NULL CHECK (duration_seconds > 0),
    blast_radius_percent REAL NOT NULL CHECK (blast_radius_percent > 0
        AND blast_radius_percent <= 100),
    guard TEXT,
    state TEXT NOT NULL CHECK (state IN
        ('running', 'completed', 'aborted', 'auto_aborted', 'dry_run')),
    created_by TEXT NOT NULL,
    started_at REAL NOT NULL,
    ends_at REAL NOT NULL,
    ended_at REAL,
    end_reason TEXT,
    observed_value REAL
);
CREATE INDEX IF NOT EXISTS chaos_runs_by_state ON chaos_runs(state, ends_at);
CREATE TABLE IF NOT EXISTS chaos_control (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    halted_reason TEXT,
    halted_by TEXT,
    halted_at REAL,
    safety_mode INTEGER NOT NULL,
    max_duration_seconds INTEGER NOT NULL,
    max_blast_radius_percent REAL NOT NULL,
    error_budget_floor_percent REAL NOT NULL,
    unguarded_without_prometheus INTEGER NOT NULL,
    safety_version INTEGER NOT NULL
);
"""

RunState = Literal["running", "completed", "aborted", "auto_aborted", "dry_run"]
ENDED_AT_TTL = "reached its end time"


@dataclass(frozen=True)
class SafetySettings:
    """The limits every launch is held to.

    Attributes:
        safety_mode: only dry runs may launch.
        max_duration_seconds: the longest run allowed.
        max_blast_radius_percent: the largest share of a service's traffic a run may hit.
        error_budget_floor_percent: launches are refused while the target's remaining
            error budget is below this.
        unguarded_without_prometheus: whether an unguarded run may launch while Prometheus
            is not configured or not answering (so the budget cannot be checked).
    """

    safety_mode: bool = False
    max_duration_seconds: int = 1800
    max_blast_radius_percent: float = 100.0
    error_budget_floor_percent: float = 10.0
    unguarded_without_prometheus: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Halt:
    reason: str
    by: str
    at: float

    def to_json(self) -> dict[str, Any]:
        return {"reason": self.reason, "by": self.by, "at": iso(self.at)}


@dataclass(frozen=True)
class ChaosRun:
    """One stored run; :meth:`state_at` is what it is at a given moment."""

    id: int
    fault: str
    target: str
    params: dict[str, Any]
    duration_seconds: int
    blast_radius_percent: float
    guard: dict[str, Any] | None
    state: RunState
    created_by: str
    started_at: float
    ends_at: float
    ended_at: float | None
    end_reason: str | None
    observed_value: float | None

    def state_at(self, now: float) -> RunState:
        if self.state == "running" and now >= self.ends_at:
            return "completed"
        return self.state

    def is_active(self, now: float) -> bool:
        return self.state_at(now) == "running"

    def to_json(self, now: float) -> dict[str, Any]:
        state = self.state_at(now)
        expired = state == "completed" and self.state == "running"
        ended_at = self.ends_at if expired else self.ended_at
        return {
            "id": self.id,
            "fault": self.fault,
            "target": self.target,
            "params": self.params,
            "duration_seconds": self.duration_seconds,
            "blast_radius_percent": self.blast_radius_percent,
            "guard": self.guard,
            "dry_run": self.state == "dry_run",
            "state": state,
            "active": state == "running",
            "created_by": self.created_by,
            "started_at": iso(self.started_at),
            "ends_at": iso(self.ends_at),
            "ended_at": None if ended_at is None else iso(ended_at),
            "end_reason": ENDED_AT_TTL if expired else self.end_reason,
            "observed_value": self.observed_value,
        }


def _run(row: sqlite3.Row) -> ChaosRun:
    data = dict(row)
    data["params"] = json.loads(data["params"])
    data["guard"] = None if data["guard"] is None else json.loads(data["guard"])
    return ChaosRun(**data)


def insert_run(
    conn: sqlite3.Connection,
    *,
    fault: str,
    target: str,
    params: Mapping[str, Any],
    duration_seconds: int,
    blast_radius_percent: float,
    guard: Mapping[str, Any] | None,
    dry_run: bool,
    created_by: str,
    now: float,
) -> ChaosRun:
    cursor = conn.execute(
        "INSERT INTO chaos_runs (fault, target, params, duration_seconds, blast_radius_percent,"
        " guard, state, created_by, started_at, ends_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            fault,
            target,
            json.dumps(dict(params)),
            duration_seconds,
            blast_radius_percent,
            None if guard is None else json.dumps(dict(guard)),
            "dry_run" if dry_run else "running",
            created_by,
            now,
            now + duration_seconds,
        ),
    )
    run = load_run(conn, int(cursor.lastrowid or 0))
    assert run is not None  # just inserted in this transaction
    return run


def load_run(conn: sqlite3.Connection, run_id: int) -> ChaosRun | None:
    row = conn.execute("SELECT * FROM chaos_runs WHERE id = ?", (run_id,)).fetchone()
    return None if row is None else _run(row)


def stored_running(conn: sqlite3.Connection) -> list[ChaosRun]:
    """Runs stored as running, including any whose end has passed but that no one closed."""
    rows = conn.execute("SELECT * FROM chaos_runs WHERE state = 'running' ORDER BY id")
    return [_run(r) for r in rows]


def list_runs(
    conn: sqlite3.Connection, now: float, state: RunState | None, limit: int
) -> list[ChaosRun]:
    """Newest first; ``state`` filters by the state at ``now``, not the stored one."""
    where = ""
    args: tuple[object, ...] = ()
    if state == "running":
        where, args = "WHERE state = 'running' AND ends_at > ?", (now,)
    elif state == "completed":
        where, args = "WHERE state = 'completed' OR (state = 'running' AND ends_at <= ?)", (now,)
    elif state is not None:
        where, args = "WHERE state = ?", (state,)
    rows = conn.execute(
        f"SELECT * FROM chaos_runs {where} ORDER BY id DESC LIMIT ?",  # noqa: S608 - fixed SQL
        (*args, limit),
    )
    return [_run(r) for r in rows]


def end_run(
    conn: sqlite3.Connection,
    run_id: int,
    state: RunState,
    *,
    ended_at: float,
    reason: str,
    observed_value: float | None = None,
) -> None:
    conn.execute(
        "UPDATE chaos_runs SET state = ?, ended_at = ?, end_reason = ?, observed_value = ?"
        " WHERE id = ?",
        (state, ended_at, reason, observed_value, run_id),
    )


def ensure_control(conn: sqlite3.Connection, defaults: SafetySettings) -> None:
    """Create the settings row with ``defaults`` on first start; later starts keep edits."""
    conn.execute(
        "INSERT OR IGNORE INTO chaos_control (id, safety_mode, max_duration_seconds,"
        " max_blast_radius_percent, error_budget_floor_percent, unguarded_without_prometheus,"
        " safety_version) VALUES (1, ?, ?, ?, ?, ?, 1)",
        (
            defaults.safety_mode,
            defaults.max_duration_seconds,
            defaults.max_blast_radius_percent,
            defaults.error_budget_floor_percent,
            defaults.unguarded_without_prometheus,
        ),
    )


def _control(conn: sqlite3.Connection) -> sqlite3.Row:
    row: sqlite3.Row = conn.execute("SELECT * FROM chaos_control WHERE id = 1").fetchone()
    return row


def load_safety(conn: sqlite3.Connection) -> tuple[SafetySettings, int]:
    """The settings and their version (for the ETag)."""
    row = _control(conn)
    settings = SafetySettings(
        safety_mode=bool(row["safety_mode"]),
        max_duration_seconds=row["max_duration_seconds"],
        max_blast_radius_percent=row["max_blast_radius_percent"],
        error_budget_floor_percent=row["error_budget_floor_percent"],
        unguarded_without_prometheus=bool(row["unguarded_without_prometheus"]),
    )
    return settings, int(row["safety_version"])


def save_safety(conn: sqlite3.Connection, settings: SafetySettings) -> None:
    conn.execute(
        "UPDATE chaos_control SET safety_mode = ?, max_duration_seconds = ?,"
        " max_blast_radius_percent = ?, error_budget_floor_percent = ?,"
        " unguarded_without_prometheus = ?, safety_version = safety_version + 1 WHERE id = 1",
        (
            settings.safety_mode,
            settings.max_duration_seconds,
            settings.max_blast_radius_percent,
            settings.error_budget_floor_percent,
            settings.unguarded_without_prometheus,
        ),
    )


def load_halt(conn: sqlite3.Connection) -> Halt | None:
    row = _control(conn)
    if row["halted_reason"] is None:
        return None
    return Halt(row["halted_reason"], row["halted_by"], row["halted_at"])


def save_halt(conn: sqlite3.Connection, halt: Halt | None) -> None:
    values = (None, None, None) if halt is None else (halt.reason, halt.by, halt.at)
    conn.execute(
        "UPDATE chaos_control SET halted_reason = ?, halted_by = ?, halted_at = ? WHERE id = 1",
        values,
    )
