"""The event feed: every change to the cluster, in order, for charts and live tables.

Audited actions publish through :meth:`Action.audit`; changes nobody asked for (a breaker
opening by itself, a chaos run ending at its TTL or auto-aborted) call :func:`publish`.
``GET /events?after=SEQ&wait=S`` long-polls: it answers as soon as something newer exists.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

from .clock import iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    resource TEXT NOT NULL,
    actor TEXT,
    summary TEXT NOT NULL,
    data TEXT
);
"""


class EventBus:
    """Wakes long-polling readers when an event is published."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._generation = 0

    def notify(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def generation(self) -> int:
        with self._changed:
            return self._generation

    def wait_past(self, generation: int, timeout: float) -> None:
        """Block until something was published after ``generation``, or ``timeout``."""
        with self._changed:
            self._changed.wait_for(lambda: self._generation != generation, timeout)


@dataclass(frozen=True)
class Event:
    seq: int
    time: str
    kind: str
    resource: str
    actor: str | None
    summary: str
    data: Any

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def publish(
    conn: sqlite3.Connection,
    bus: EventBus,
    *,
    now: float,
    kind: str,
    resource: str,
    summary: str,
    actor: str | None = None,
    data: Any = None,
) -> None:
    """Record an event inside the caller's transaction.

    Readers are woken at once; one that looks before the transaction commits simply finds
    nothing new and waits again, because ``recent`` re-reads after every wake-up.
    """
    conn.execute(
        "INSERT INTO events (time, ts, kind, resource, actor, summary, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (iso(now), now, kind, resource, actor, summary, None if data is None else json.dumps(data)),
    )
    bus.notify()


def recent(conn: sqlite3.Connection, after: int, limit: int = 500) -> list[Event]:
    rows = conn.execute(
        "SELECT seq, time, kind, resource, actor, summary, data FROM events "
        "WHERE seq > ? ORDER BY seq LIMIT ?",
        (after, limit),
    )
    return [
        Event(
            r["seq"],
            r["time"],
            r["kind"],
            r["resource"],
            r["actor"],
            r["summary"],
            None if r["data"] is None else json.loads(r["data"]),
        )
        for r in rows
    ]


def head(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(seq) FROM events").fetchone()
    return int(row[0] or 0)
