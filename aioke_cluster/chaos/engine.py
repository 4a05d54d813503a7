"""The chaos engine: which faults are active, and the loop that ends and guards runs.

The workload asks :meth:`ChaosEngine.active_faults` on every tick, so it answers from memory:
the running runs are cached, reloaded after a change (:meth:`invalidate`, called once the
change has committed) and at least every second. Each fault is filtered by its own
``ends_at`` on every call, so a fault stops at its end even before the loop has noticed and
closed the run.

The loop (a thread, :meth:`start`/:meth:`stop`) closes runs past their end (event
``chaos.completed``) twice a second and evaluates each running run's guard every
``guard_seconds``, aborting on a breach (state ``auto_aborted``, event ``chaos.auto_aborted``)
or when the guard stays blind for ``BLIND_LIMIT`` evaluations in a row.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .. import events
from ..clock import Clock
from ..db import Database
from ..events import EventBus
from ..prometheus import PrometheusQuery
from ..ticker import Ticker
from . import store
from .catalog import SANDBOX_SERVICES, FaultCatalog
from .guards import Verdict, evaluate
from .operations import run_json, run_resource
from .store import ChaosRun, SafetySettings

log = logging.getLogger(__name__)

BLIND_LIMIT = 3
GUARD_SECONDS = 2.0
TICK_SECONDS = 0.5
# A change made without calling invalidate() (say, by hand in SQLite) shows after this long.
CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class ActiveFault:
    """A fault the workload must apply now, until ``ends_at``."""

    run_id: int
    fault: str
    target: str
    params: Mapping[str, Any]
    blast_radius_percent: float
    ends_at: float

    def hits(self, draw: float) -> bool:
        """Whether a request with a uniform ``draw`` in [0, 1) falls in the blast radius."""
        return draw * 100 < self.blast_radius_percent


class ChaosEngine:
    """Chaos runs' in-process side: active faults, TTL ends, guards, the fault gauge.

    Args:
        db: the control plane's database.
        clock: the control plane's clock; every end is judged by it.
        events: the bus woken when the loop publishes an event.
        services: the services a run may target.
        prometheus: where guards and launch checks query; None when not configured.
        registry: where ``aioke_chaos_fault_active`` is registered (the workload's).
        safety_defaults: the safety settings of a database that has none yet.
        guard_seconds: how often each guard is evaluated.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        events: EventBus,
        *,
        services: Iterable[str] = SANDBOX_SERVICES,
        prometheus: PrometheusQuery | None = None,
        registry: CollectorRegistry | None = None,
        safety_defaults: SafetySettings | None = None,
        guard_seconds: float = GUARD_SECONDS,
    ) -> None:
        self.db, self.clock, self.events = db, clock, events
        self.catalog = FaultCatalog(services)
        self.prometheus = prometheus
        self.guard_seconds = guard_seconds
        with db.write() as conn:
            store.ensure_control(conn, safety_defaults or SafetySettings())
        self._cache: tuple[float, tuple[ActiveFault, ...]] | None = None
        self._generation = 0
        self._cache_lock = threading.Lock()
        self._blind: dict[int, int] = {}
        self._guard_lock = threading.Lock()  # the loop and a caller may evaluate at once
        self._next_guards = time.monotonic()
        self._ticker = Ticker("chaos-engine", self._pass, TICK_SECONDS)
        self.registry = registry if registry is not None else CollectorRegistry()
        self.registry.register(_FaultGauge(self))

    # --- the loop ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop (idempotent)."""
        self._ticker.start()

    def stop(self) -> None:
        """Stop the loop and wait for it; call before the database closes."""
        self._ticker.stop()

    # --- what the workload reads -------------------------------------------------------

    def active_faults(self, now: float) -> list[ActiveFault]:
        """The faults active at ``now``: running and before their ``ends_at``."""
        return [fault for fault in self._running() if now < fault.ends_at]

    def invalidate(self) -> None:
        """Forget the cached runs; call after a change to runs has committed."""
        with self._cache_lock:
            self._generation += 1
            self._cache = None

    def _running(self) -> tuple[ActiveFault, ...]:
        cached = self._cache
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        with self._cache_lock:
            generation = self._generation
        loaded_at = time.monotonic()
        with self.db.read() as conn:
            loaded = tuple(_active(run) for run in store.stored_running(conn))
        with self._cache_lock:
            # A change that committed while we read would be lost if we kept this copy.
            if generation == self._generation:
                self._cache = (loaded_at, loaded)
        return loaded

    def _pass(self) -> None:
        self.complete_expired()
        if time.monotonic() >= self._next_guards:
            self._next_guards = time.monotonic() + self.guard_seconds
            self.check_guards()

    def complete_expired(self) -> None:
        """Close every run whose end has passed, publishing ``chaos.completed`` for each."""
        now = self.clock.now()
        if all(now < fault.ends_at for fault in self._running()):
            return
        with self.db.write() as conn:
            for run in store.stored_running(conn):
                if run.is_active(now):
                    continue
                store.end_run(
                    conn, run.id, "completed", ended_at=run.ends_at, reason=store.ENDED_AT_TTL
                )
                self._publish(conn, run.id, now, "chaos.completed", "ended at its end time")
        self.invalidate()

    def check_guards(self) -> None:
        """Evaluate every running run's guard once; abort those breached or blind too long."""
        with self._guard_lock:
            self._check_guards()

    def _check_guards(self) -> None:
        now = self.clock.now()
        with self.db.read() as conn:
            guarded = [r for r in store.stored_running(conn) if r.guard and r.is_active(now)]
        self._blind = {k: v for k, v in self._blind.items() if k in {r.id for r in guarded}}
        for run in guarded:
            assert run.guard is not None
            if self.prometheus is None:
                verdict = Verdict(blind="no Prometheus is configured")
            else:
                verdict = evaluate(self.prometheus, run.guard)
            if verdict.breached:
                self._auto_abort(run, f"the guard breached: {verdict.reason}", verdict.observed)
            elif verdict.blind:
                count = self._blind[run.id] = self._blind.get(run.id, 0) + 1
                if count >= BLIND_LIMIT:
                    reason = f"the guard could not be evaluated {count} times in a row"
                    self._auto_abort(run, f"{reason}: {verdict.blind}", None)
            else:
                self._blind.pop(run.id, None)

    def _auto_abort(self, run: ChaosRun, reason: str, observed: float | None) -> None:
        with self.db.write() as conn:
            now = self.clock.now()
            current = store.load_run(conn, run.id)
            if current is None or not current.is_active(now):
                return  # ended meanwhile: by hand, by a halt, or at its end
            store.end_run(
                conn, run.id, "auto_aborted", ended_at=now, reason=reason, observed_value=observed
            )
            self._publish(conn, run.id, now, "chaos.auto_aborted", f"was auto-aborted: {reason}")
        log.warning("chaos run %d auto-aborted: %s", run.id, reason)
        self.invalidate()

    def _publish(
        self, conn: sqlite3.Connection, run_id: int, now: float, kind: str, what: str
    ) -> None:
        run = store.load_run(conn, run_id)
        assert run is not None
        events.publish(
            conn,
            self.events,
            now=now,
            kind=kind,
            resource=run_resource(run_id),
            summary=f"Chaos run {run_id} ({run.fault} on {run.target}) {what}.",
            data=run_json(run, now),
        )


def _active(run: ChaosRun) -> ActiveFault:
    return ActiveFault(
        run.id, run.fault, run.target, run.params, run.blast_radius_percent, run.ends_at
    )


class _FaultGauge(Collector):
    """``aioke_chaos_fault_active``, computed at scrape time so it ends exactly at ``ends_at``."""

    _NAME = "aioke_chaos_fault_active"
    _HELP = "1 while a chaos run's fault is active."
    _LABELS = ("run_id", "fault", "target")

    def __init__(self, engine: ChaosEngine) -> None:
        self._engine = engine

    def describe(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(self._NAME, self._HELP, labels=self._LABELS)

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(self._NAME, self._HELP, labels=self._LABELS)
        for fault in self._engine.active_faults(self._engine.clock.now()):
            gauge.add_metric([str(fault.run_id), fault.fault, fault.target], 1.0)
        yield gauge
