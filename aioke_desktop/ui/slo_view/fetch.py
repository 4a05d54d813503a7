"""What the SLO page reads, on a worker thread: the table, and the selected SLO's charts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from ...core.annotations import Annotation, from_audit
from ...core.slo_history import read_budget_history, read_burn_rate_history
from ...core.slo_queries import SloReadings, read_slo_statuses
from ...core.slo_status import SloStatus
from ...runtime.session import Connection
from .detail import SloDetail, merge_annotations

AUDIT_ROWS = 1000


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def fetch_slo_detail(
    connection: Connection, status: SloStatus, start: float, end: float, *, history: bool
) -> SloDetail:
    """The charts of one SLO (on a worker); ``history`` also reads past changes from the
    audit log, back to the start of the period."""
    prometheus = connection.prometheus
    budget = read_budget_history(prometheus, status, end)
    burn = read_burn_rate_history(prometheus, status.slo, start, end)
    annotations: tuple[Annotation, ...] = ()
    if history:
        since = min(start, end - status.slo.period_seconds)
        rows = connection.cluster.audit(since=_iso(since), limit=AUDIT_ROWS)
        annotations = merge_annotations(from_audit(row) for row in rows)
    return SloDetail(status.slo.id, budget, burn, start, end, annotations)


@dataclass(frozen=True)
class SloSnapshot:
    """One refresh: the table, and the charts of the selected (or the worst) SLO."""

    readings: SloReadings
    detail: SloDetail | None
    history_read: bool


def fetch_slos(
    connection: Connection,
    start: float,
    end: float,
    *,
    min_requests_per_hour: float,
    selected: str | None,
    history: bool,
) -> SloSnapshot:
    """The table, and the charts of ``selected`` (or of the least budget left)."""
    slos = connection.cluster.slos()
    readings = read_slo_statuses(
        connection.prometheus, slos, min_requests_per_hour=min_requests_per_hour
    )
    statuses = {s.slo.id: s for s in readings.statuses}
    chosen = statuses.get(selected or "") or _least_budget(readings.statuses)
    detail = None
    if chosen is not None:
        detail = fetch_slo_detail(connection, chosen, start, end, history=history)
    return SloSnapshot(readings, detail, history and chosen is not None)


def _least_budget(statuses: tuple[SloStatus, ...]) -> SloStatus | None:
    """The SLO the table lists first: the least budget left (an unknown budget last)."""
    return min(
        statuses,
        key=lambda s: math.inf if math.isnan(s.budget_remaining) else s.budget_remaining,
        default=None,
    )
