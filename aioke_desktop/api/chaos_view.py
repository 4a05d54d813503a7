"""Everything the Chaos page shows, read in one go on a worker: runs, the halt, the safety
settings, what rarely changes (catalog, services, SLOs), the server's clock, and what each
running run's guard reads in Prometheus now (the same queries the control plane's guard
runs) against the threshold that would abort it."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.chaos import ChaosRun, ChaosSafety, FaultType
from .cluster import ClusterClient
from .errors import ApiError
from .prometheus import PrometheusSource

RUN_LIMIT = 200

PAGE_BURN_RATE = 14.4  # the control plane's default for an SLO guard


@dataclass(frozen=True)
class GuardReading:
    """A guard's value now against its threshold ("burn 2.1 of 14.4", "no data").

    ``breaching`` is True when a value passes its threshold (the run is about to be
    auto-aborted).
    """

    text: str
    breaching: bool = False


def _checks(guard: Mapping[str, Any]) -> list[tuple[str, str, float, str]]:
    """(label, PromQL, threshold, comparison) for each check of a stored guard."""
    found = []
    slo = guard.get("slo")
    if slo:
        service, _, name = str(slo).partition("/")
        labels = f'sloth_service="{service}",sloth_slo="{name}"'
        limit = float(guard.get("max_burn_rate") or PAGE_BURN_RATE)
        found.append(("burn", f"max(slo:current_burn_rate:ratio{{{labels}}})", limit, ">"))
    expr = guard.get("expr")
    threshold = guard.get("threshold")
    if expr and isinstance(threshold, int | float):
        found.append(("query", str(expr), float(threshold), str(guard.get("comparison") or ">")))
    return found


def read_guard(prometheus: PrometheusSource, guard: Mapping[str, Any]) -> GuardReading:
    """Every check of ``guard``, in one line."""
    parts, breaching = [], False
    for label, expr, limit, comparison in _checks(guard):
        try:
            result = prometheus.query(expr)
        except ApiError as exc:
            parts.append(f"{label}: unreadable ({exc.message})")
            continue
        if result.is_empty or math.isnan(result.series[0].last):
            parts.append(f"{label}: no data")
            continue
        value = result.series[0].last
        passed = value > limit if comparison == ">" else value < limit
        breaching = breaching or passed
        parts.append(f"{label} {value:.3g} (aborts {comparison} {limit:g})")
    return GuardReading("; ".join(parts) or "no guard", breaching)


def read_guards(prometheus: PrometheusSource, runs: Iterable[ChaosRun]) -> dict[str, GuardReading]:
    """Readings for the running runs that have a guard, by run id."""
    return {run.id: read_guard(prometheus, run.guard) for run in runs if run.active and run.guard}


@dataclass(frozen=True)
class ChaosReference:
    """What rarely changes: the fault catalog, the services and the SLOs a guard can name."""

    catalog: list[FaultType]
    services: list[str]
    slos: list[str]


@dataclass(frozen=True)
class ChaosSnapshot:
    """One read of chaos; ``server_time`` was read between ``sent`` and ``received``."""

    runs: list[ChaosRun]
    halted: Mapping[str, Any] | None
    safety: ChaosSafety
    reference: ChaosReference
    server_time: float | None
    sent: float
    received: float
    readings: dict[str, GuardReading] = field(default_factory=dict)


def read_reference(cluster: ClusterClient) -> ChaosReference:
    catalog = cluster.chaos.catalog()
    services = [s.name for s in cluster.services()]
    slos = [f"{s.service}/{s.name}" for s in cluster.slos()]
    return ChaosReference(catalog, services, slos)


def read_chaos(
    cluster: ClusterClient, prometheus: PrometheusSource, reference: ChaosReference | None
) -> ChaosSnapshot:
    """Read everything (the reference only when not given: it is kept between reads)."""
    reference = reference or read_reference(cluster)
    sent = time.time()
    me = cluster.me()
    received = time.time()
    runs = cluster.chaos.runs(limit=RUN_LIMIT)
    snapshot = ChaosSnapshot(
        runs,
        cluster.chaos.halt_state(),
        cluster.chaos.safety(),
        reference,
        me.server_time,
        sent,
        received,
    )
    snapshot.readings.update(read_guards(prometheus, runs))
    return snapshot
