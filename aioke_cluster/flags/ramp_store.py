"""Flag ramps in SQLite: the ramp of each flag and every decision it took.

A flag has at most one running ramp; a finished or stopped one stays, with its history,
until a new ramp on the flag replaces it. Everything lives in the database, so a ramp goes
on after a control-plane restart from where it stood.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from typing import Any, Literal

from ..clock import iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS flag_ramps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL REFERENCES flags(key),
    steps TEXT NOT NULL,
    interval_seconds REAL NOT NULL,
    service TEXT NOT NULL,
    max_burn_rate REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'stopped')),
    -- Index into steps of the rollout now; -1 after stepping back below the first step (0 %).
    position INTEGER NOT NULL,
    started_by TEXT NOT NULL,
    started_at REAL NOT NULL,
    next_decision_at REAL,
    last_burn_rate REAL,
    last_decision TEXT,
    last_reason TEXT,
    -- The flag's version after the ramp's last change: another version means a hand edit.
    flag_version INTEGER NOT NULL,
    ended_at REAL,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS flag_ramps_key ON flag_ramps(key, id);
CREATE TABLE IF NOT EXISTS flag_ramp_steps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ramp_id INTEGER NOT NULL REFERENCES flag_ramps(id),
    ts REAL NOT NULL,
    decision TEXT NOT NULL,
    from_percent INTEGER NOT NULL,
    to_percent INTEGER NOT NULL,
    burn_rate REAL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL
);
"""

RampState = Literal["running", "finished", "stopped"]
Decision = Literal["start", "advance", "step_back", "hold", "finish", "stop"]


@dataclass(frozen=True)
class Ramp:
    """One ramp of one flag."""

    id: int
    key: str
    steps: tuple[int, ...]
    interval_seconds: float
    service: str
    max_burn_rate: float
    state: RampState
    position: int
    started_by: str
    started_at: float
    next_decision_at: float | None
    last_burn_rate: float | None
    last_decision: str | None
    last_reason: str | None
    flag_version: int
    ended_at: float | None
    version: int

    def percent_at(self, position: int) -> int:
        return 0 if position < 0 else self.steps[position]

    @property
    def percent(self) -> int:
        return self.percent_at(self.position)

    @property
    def next_percent(self) -> int | None:
        """Where the next advance would go; None on the last step."""
        return self.steps[self.position + 1] if self.position + 1 < len(self.steps) else None

    def to_json(self, history: list[dict[str, Any]]) -> dict[str, Any]:
        def when(ts: float | None) -> str | None:
            return None if ts is None else iso(ts)

        return {
            "key": self.key,
            "steps": list(self.steps),
            "interval_seconds": self.interval_seconds,
            "service": self.service,
            "max_burn_rate": self.max_burn_rate,
            "state": self.state,
            "current_percent": self.percent,
            "next_percent": self.next_percent if self.state == "running" else None,
            "step_index": self.position,
            "started_by": self.started_by,
            "started_at": when(self.started_at),
            "next_decision_at": when(self.next_decision_at) if self.state == "running" else None,
            "last_burn_rate": self.last_burn_rate,
            "last_decision": self.last_decision,
            "last_reason": self.last_reason,
            "ended_at": when(self.ended_at),
            "history": history,
        }


def _from_row(row: sqlite3.Row) -> Ramp:
    values = dict(row)
    values["steps"] = tuple(json.loads(values["steps"]))
    return Ramp(**values)


def latest(conn: sqlite3.Connection, key: str) -> Ramp | None:
    """The flag's newest ramp, running or not."""
    row = conn.execute(
        "SELECT * FROM flag_ramps WHERE key = ? ORDER BY id DESC LIMIT 1", (key,)
    ).fetchone()
    return None if row is None else _from_row(row)


def running(conn: sqlite3.Connection) -> list[Ramp]:
    rows = conn.execute("SELECT * FROM flag_ramps WHERE state = 'running' ORDER BY id")
    return [_from_row(r) for r in rows]


def all_latest(conn: sqlite3.Connection) -> dict[str, Ramp]:
    """Every flag's newest ramp, by flag key."""
    rows = conn.execute(
        "SELECT * FROM flag_ramps WHERE id IN (SELECT max(id) FROM flag_ramps GROUP BY key)"
    )
    return {r["key"]: _from_row(r) for r in rows}


def insert(conn: sqlite3.Connection, ramp: Ramp) -> Ramp:
    values = {k: v for k, v in ramp.__dict__.items() if k != "id"}
    values["steps"] = json.dumps(list(ramp.steps))
    cursor = conn.execute(
        f"INSERT INTO flag_ramps ({', '.join(values)}) "  # noqa: S608 - fixed columns
        f"VALUES ({', '.join('?' * len(values))})",
        list(values.values()),
    )
    return replace(ramp, id=int(cursor.lastrowid or 0))


def save(conn: sqlite3.Connection, ramp: Ramp) -> None:
    values = {k: v for k, v in ramp.__dict__.items() if k not in ("id", "steps")}
    conn.execute(
        f"UPDATE flag_ramps SET {', '.join(f'{c} = ?' for c in values)} "  # noqa: S608 - fixed
        "WHERE id = ?",
        [*values.values(), ramp.id],
    )


def record_step(
    conn: sqlite3.Connection,
    ramp: Ramp,
    *,
    now: float,
    decision: Decision,
    from_percent: int,
    to_percent: int,
    burn_rate: float | None,
    reason: str,
    actor: str,
) -> None:
    conn.execute(
        "INSERT INTO flag_ramp_steps "
        "(ramp_id, ts, decision, from_percent, to_percent, burn_rate, reason, actor) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (ramp.id, now, decision, from_percent, to_percent, burn_rate, reason, actor),
    )


def history(conn: sqlite3.Connection, ramp_id: int) -> list[dict[str, Any]]:
    """The ramp's decisions, oldest first."""
    rows = conn.execute("SELECT * FROM flag_ramp_steps WHERE ramp_id = ? ORDER BY seq", (ramp_id,))
    return [
        {
            "time": iso(r["ts"]),
            "decision": r["decision"],
            "from_percent": r["from_percent"],
            "to_percent": r["to_percent"],
            "burn_rate": r["burn_rate"],
            "reason": r["reason"],
            "actor": r["actor"],
        }
        for r in rows
    ]
