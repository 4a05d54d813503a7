"""Every breaker of the control plane by name (``caller->callee``), with its history in SQLite.

Transitions are queued under the breaker's lock and written afterwards by :meth:`flush`,
never under that lock: a request handler holds a write transaction while it commands a
breaker, so a worker that wrote to SQLite while holding the breaker's lock could deadlock
with it. Locks are always taken in the order database, then ``_flush_lock``.

A forced state's end (``forced_until``) is saved with its transition, so a restarted control
plane puts it back, and reverts it (recording the revert at its end) once the TTL is over.
Transitions the breaker made by itself are published on the event feed here; an operator's
are published with their audit row.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import deque
from collections.abc import Iterable

from .. import events
from ..clock import Clock
from ..db import Database
from .machine import (
    BreakerConfig,
    BreakerSnapshot,
    BreakerState,
    CircuitBreaker,
    Command,
    Transition,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS breaker_transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    breaker TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT,
    time REAL NOT NULL,
    forced_until REAL
);
CREATE INDEX IF NOT EXISTS breaker_transitions_by_breaker ON breaker_transitions(breaker, id);
CREATE TABLE IF NOT EXISTS breaker_forced (
    breaker TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    forced_until REAL NOT NULL
);
"""

_FORCED = (BreakerState.FORCED_OPEN, BreakerState.DISABLED)
# Service names as they appear in URLs: no slashes, no spaces.
_NAME = re.compile(r"[A-Za-z0-9][\w.-]*->[A-Za-z0-9][\w.-]*")


def breaker_name(caller: str, callee: str) -> str:
    """The name of the breaker guarding calls from ``caller`` to ``callee``."""
    return f"{caller}->{callee}"


class BreakerRegistry:
    """The breakers, created with :meth:`ensure` and looked up by name.

    The workload's hot path is :meth:`try_acquire` and :meth:`record`; handlers read with
    :meth:`snapshot` and command with :meth:`command` inside their write transaction.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        bus: events.EventBus,
        default_config: BreakerConfig | None = None,
    ) -> None:
        self.db, self.clock, self.bus = db, clock, bus
        self.default_config = default_config or BreakerConfig()
        # Replaced, never mutated, so lookups on the hot path need no lock.
        self._breakers: dict[str, CircuitBreaker] = {}
        self._ensure_lock = threading.Lock()
        self._pending: deque[Transition] = deque()
        self._flush_lock = threading.Lock()

    def ensure(self, name: str, config: BreakerConfig | None = None) -> CircuitBreaker:
        """The breaker called ``name``, created (and its saved forced state restored) if new.

        An existing breaker keeps its configuration.
        """
        if not _NAME.fullmatch(name):
            raise ValueError(f"breaker names read caller->callee, not {name!r}")
        with self._ensure_lock:
            existing = self._breakers.get(name)
            if existing is not None:
                return existing
            now = self.clock.now()
            breaker = CircuitBreaker(
                name, config or self.default_config, now, on_transition=self._pending.append
            )
            with self.db.read() as conn:
                saved = conn.execute(
                    "SELECT state, forced_until FROM breaker_forced WHERE breaker = ?", (name,)
                ).fetchone()
            if saved is not None:
                breaker.restore_forced(BreakerState(saved["state"]), saved["forced_until"], now)
            self._breakers = {**self._breakers, name: breaker}
        breaker.snapshot(now)  # a forced state that ended while we were down reverts now
        self.flush()
        return breaker

    def ensure_all(self, names: Iterable[str], config: BreakerConfig | None = None) -> None:
        for name in names:
            self.ensure(name, config)

    def get(self, name: str) -> CircuitBreaker | None:
        return self._breakers.get(name)

    def names(self) -> list[str]:
        return sorted(self._breakers)

    # The workload's hot path. A KeyError means the topology names an undeclared edge.

    def try_acquire(self, name: str) -> bool:
        """May a call on ``name`` go through now?"""
        allowed = self._breakers[name].try_acquire(self.clock.now())
        if self._pending:
            self.flush()
        return allowed

    def record(self, name: str, success: bool, duration: float) -> None:
        """Record the outcome of a call that :meth:`try_acquire` let through."""
        self._breakers[name].record(success, duration, self.clock.now())
        if self._pending:
            self.flush()

    # Reads and commands for handlers. Pass ``conn`` when inside a write transaction.

    def snapshot(self, name: str, conn: sqlite3.Connection | None = None) -> BreakerSnapshot | None:
        """Read one breaker (None if unknown); a forced state past its TTL reverts first."""
        breaker = self._breakers.get(name)
        if breaker is None:
            return None
        snap = breaker.snapshot(self.clock.now())
        self.flush(conn)
        return snap

    def snapshots(self, conn: sqlite3.Connection | None = None) -> list[BreakerSnapshot]:
        now = self.clock.now()
        snaps = [self._breakers[name].snapshot(now) for name in self.names()]
        self.flush(conn)
        return snaps

    def expire_due(self) -> None:
        """Revert every forced state past its TTL, for a ticker to call when nobody reads."""
        self.snapshots()

    def command(
        self,
        conn: sqlite3.Connection,
        name: str,
        command: Command,
        *,
        reason: str,
        ttl_seconds: float | None = None,
        actor: str | None = None,
    ) -> Transition | None:
        """Apply an operator's command and save its transition in ``conn``'s transaction."""
        transition = self._breakers[name].command(
            command, self.clock.now(), reason=reason, ttl_seconds=ttl_seconds, actor=actor
        )
        self.flush(conn)
        return transition

    def history(self, conn: sqlite3.Connection, name: str, limit: int = 100) -> list[Transition]:
        """The last ``limit`` transitions of ``name``, oldest first."""
        rows = conn.execute(
            "SELECT * FROM (SELECT * FROM breaker_transitions WHERE breaker = ?"
            " ORDER BY id DESC LIMIT ?) ORDER BY id",
            (name, limit),
        ).fetchall()
        return [
            Transition(
                breaker=r["breaker"],
                from_state=BreakerState(r["from_state"]),
                to_state=BreakerState(r["to_state"]),
                reason=r["reason"],
                time=r["time"],
                forced_until=r["forced_until"],
                actor=r["actor"],
            )
            for r in rows
        ]

    def flush(self, conn: sqlite3.Connection | None = None) -> None:
        """Save queued transitions, in ``conn``'s transaction or in a write of our own."""
        if not self._pending:
            return
        if conn is not None:
            self._drain(conn)
            return
        with self.db.write() as own:
            self._drain(own)

    def _drain(self, conn: sqlite3.Connection) -> None:
        with self._flush_lock:
            while self._pending:
                t = self._pending.popleft()
                conn.execute(
                    "INSERT INTO breaker_transitions"
                    " (breaker, from_state, to_state, reason, actor, time, forced_until)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        t.breaker,
                        t.from_state,
                        t.to_state,
                        t.reason,
                        t.actor,
                        t.time,
                        t.forced_until,
                    ),
                )
                if t.to_state in _FORCED:
                    conn.execute(
                        "INSERT INTO breaker_forced (breaker, state, forced_until) VALUES"
                        " (?, ?, ?) ON CONFLICT (breaker) DO UPDATE SET state = excluded.state,"
                        " forced_until = excluded.forced_until",
                        (t.breaker, t.to_state, t.forced_until),
                    )
                elif t.from_state in _FORCED:
                    conn.execute("DELETE FROM breaker_forced WHERE breaker = ?", (t.breaker,))
                if t.actor is None:
                    self._publish(conn, t)

    def _publish(self, conn: sqlite3.Connection, t: Transition) -> None:
        events.publish(
            conn,
            self.bus,
            now=t.time,
            kind="breaker.transition",
            resource=f"breaker/{t.breaker}",
            summary=f"breaker {t.breaker}: {t.from_state} → {t.to_state} ({t.reason})",
            data={"from": t.from_state, "to": t.to_state, "reason": t.reason},
        )
