"""The burn-rate-gated rollout ramp: the loop that moves flags through their ramps.

Every ``interval_seconds`` a running ramp reads its service's 1 h burn rate (the highest of
the service's SLOs, with the chaos guards' query) and decides: at or below
``max_burn_rate`` it advances one step, above it steps back one step (below the first step
means 0 %), and when Prometheus cannot answer it holds, because a ramp must never advance
blind. Reaching the last step finishes the ramp; a hand edit of the flag or its archiving
stops it, so a ramp never undoes what a person just did.

Each decision is a row in ``flag_ramp_steps``, an audit row on ``flag/<key>`` (actor
``ramp``; start and stop carry the user's name) and an event, in one transaction. A hold
that repeats the previous hold for the same reason is a heartbeat, not a change: it only
updates the ramp's own row (the burn rate read, the next decision's time), so a ramp held
all day at a one-minute interval leaves one audit row, not 1,440.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import replace
from typing import Any

from .. import audit, events
from ..chaos.guards import burn_rate_expr
from ..clock import Clock
from ..db import Database
from ..events import EventBus
from ..prometheus import PrometheusError, PrometheusQuery
from ..ticker import Ticker
from . import ramp_store, store
from .ramp_store import Decision, Ramp
from .store import StoredFlag

log = logging.getLogger(__name__)

RAMP_ACTOR = "ramp"
BURN_WINDOW = "1h"
TICK_SECONDS = 0.5


def burn_rate_query(service: str) -> str:
    """The service's 1 h burn rate: the worst of its SLOs."""
    return burn_rate_expr(f'sloth_service="{service}"', BURN_WINDOW)


def resource(key: str) -> str:
    return f"flag/{key}"


def with_rollout(flag: StoredFlag, percent: int, now: float) -> StoredFlag:
    spec = flag.spec.model_copy(update={"enabled": True, "rollout_percentage": percent})
    return flag.changed(spec, now) if spec != flag.spec else flag


def record(
    conn: sqlite3.Connection,
    bus: EventBus,
    *,
    now: float,
    actor: str,
    before: Ramp | None,
    after: Ramp,
    decision: Decision,
    reason: str,
    burn_rate: float | None = None,
    flag_before: dict[str, Any] | None = None,
    flag_after: dict[str, Any] | None = None,
    request_id: str | None = None,
    idempotency_key: str | None = None,
) -> None:
    """One decision: its step row, its audit row and its event, in the caller's transaction."""
    from_percent = before.percent if before else 0
    ramp_store.record_step(
        conn,
        after,
        now=now,
        decision=decision,
        from_percent=from_percent,
        to_percent=after.percent,
        burn_rate=burn_rate,
        reason=reason,
        actor=actor,
    )
    action = f"flag.ramp.{decision}"
    before_json = {"ramp": before.to_json([]) if before else None, "flag": flag_before}
    after_json = {"ramp": after.to_json([]), "flag": flag_after, "reason": reason}
    entry = audit.append(
        conn,
        now=now,
        actor=actor,
        action=action,
        resource=resource(after.key),
        before=before_json,
        after=after_json,
        request_id=request_id,
        idempotency_key=idempotency_key,
    )
    events.publish(
        conn,
        bus,
        now=now,
        kind=action,
        resource=resource(after.key),
        actor=actor,
        summary=f"Ramp of {after.key}: {decision.replace('_', ' ')} "
        f"({from_percent} % → {after.percent} %): {reason}.",
        data={"before": before_json, "after": after_json, "audit_seq": entry.seq},
    )


class FlagRamps:
    """Runs every flag's ramp; the loop is a thread like the chaos engine's.

    Args:
        db: the control plane's database.
        clock: the control plane's clock; decisions fall due by it.
        bus: the event bus woken by each decision.
        prometheus: where burn rates are read; None: every decision holds.
        tick_seconds: how often the loop looks for due decisions.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        bus: EventBus,
        prometheus: PrometheusQuery | None,
        *,
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self.db, self.clock, self.bus, self.prometheus = db, clock, bus, prometheus
        self.tick_seconds = tick_seconds
        self._lock = threading.Lock()  # the loop and a test may decide at once
        self._ticker = Ticker("flag-ramps", self.decide_due, tick_seconds)

    def start(self) -> None:
        """Start the loop (idempotent)."""
        self._ticker.start()

    def stop(self) -> None:
        """Stop the loop and wait for it; call before the database closes."""
        self._ticker.stop()

    def decide_due(self) -> None:
        """Take every decision that has fallen due."""
        with self._lock:
            now = self.clock.now()
            with self.db.read() as conn:
                due = [
                    r
                    for r in ramp_store.running(conn)
                    if r.next_decision_at is not None and r.next_decision_at <= now
                ]
            for ramp in due:
                burn, blind = self._read_burn(ramp.service)
                self.decide(ramp.key, burn, blind, ramp_id=ramp.id)

    def _read_burn(self, service: str) -> tuple[float | None, str | None]:
        if self.prometheus is None:
            return None, "no Prometheus is configured"
        try:
            value = self.prometheus.value(burn_rate_query(service))
        except PrometheusError as exc:
            return None, f"Prometheus cannot be read: {exc}"
        if value is None:
            return None, f"the 1 h burn rate of {service} gives no data"
        return value, None

    def decide(
        self, key: str, burn: float | None, blind: str | None, *, ramp_id: int | None = None
    ) -> None:
        """Take one decision for ``key``'s running ramp on a burn rate already read
        (``blind``: why there is none), whether or not it has fallen due."""
        with self.db.write() as conn:
            now = self.clock.now()
            ramp = ramp_store.latest(conn, key)
            if ramp is None or ramp.state != "running" or ramp_id not in (None, ramp.id):
                return  # stopped or replaced meanwhile
            flag = store.load(conn, ramp.key)
            interrupted = _interruption(ramp, flag)
            if interrupted or flag is None:
                ended = replace(ramp, state="stopped", ended_at=now, next_decision_at=None)
                self._apply(conn, ramp, ended, "stop", interrupted or "the flag is gone", burn, now)
                return
            due = now + ramp.interval_seconds
            if blind is not None or burn is None:
                reason = f"{blind}; a ramp never advances blind"
                held = replace(ramp, next_decision_at=due)
                self._apply(conn, ramp, held, "hold", reason, burn, now)
                return
            reading = f"{ramp.service}'s 1 h burn rate is {burn:.2f}×"
            if burn > ramp.max_burn_rate:
                if ramp.position < 0:
                    # No figure in the reason: the same hold each minute is one audit row.
                    reason = (
                        f"{ramp.service}'s 1 h burn rate is above {ramp.max_burn_rate:g}×, "
                        "and the rollout is at 0 %"
                    )
                    held = replace(ramp, next_decision_at=due)
                    self._apply(conn, ramp, held, "hold", reason, burn, now)
                    return
                back = replace(ramp, position=ramp.position - 1, next_decision_at=due)
                reason = f"{reading}, above {ramp.max_burn_rate:g}×"
                self._apply(conn, ramp, back, "step_back", reason, burn, now, flag)
                return
            ahead = replace(ramp, position=ramp.position + 1, next_decision_at=due)
            reason = f"{reading}, at or below {ramp.max_burn_rate:g}×"
            ahead = self._apply(conn, ramp, ahead, "advance", reason, burn, now, flag)
            if ahead.next_percent is None:
                done = replace(ahead, state="finished", ended_at=now, next_decision_at=None)
                self._apply(conn, ahead, done, "finish", f"reached {ahead.percent} %", burn, now)

    def _apply(
        self,
        conn: sqlite3.Connection,
        before: Ramp,
        after: Ramp,
        decision: Decision,
        reason: str,
        burn: float | None,
        now: float,
        flag: StoredFlag | None = None,
    ) -> Ramp:
        flag_before = flag_after = None
        if flag is not None:
            moved = with_rollout(flag, after.percent, now)
            store.save(conn, moved)
            flag_before, flag_after = flag.to_json(now), moved.to_json(now)
            after = replace(after, flag_version=moved.version)
        after = replace(
            after,
            last_burn_rate=burn,
            last_decision=decision,
            last_reason=reason,
            version=before.version + 1,
        )
        ramp_store.save(conn, after)
        if decision == "hold" and (before.last_decision, before.last_reason) == ("hold", reason):
            log.debug("flag ramp of %s: still held (%s)", after.key, reason)
            return after  # a heartbeat: no step, audit row or event
        record(
            conn,
            self.bus,
            now=now,
            actor=RAMP_ACTOR,
            before=before,
            after=after,
            decision=decision,
            reason=reason,
            burn_rate=burn,
            flag_before=flag_before,
            flag_after=flag_after,
        )
        log.info("flag ramp of %s: %s (%s)", after.key, decision, reason)
        return after


def _interruption(ramp: Ramp, flag: StoredFlag | None) -> str | None:
    """Why the ramp must stop before deciding, or None."""
    if flag is None:
        return "the flag is gone"
    if flag.archived:
        return "the flag was archived"
    if flag.version != ramp.flag_version:
        return "the flag was changed by hand; the ramp stopped so as not to undo that change"
    return None
