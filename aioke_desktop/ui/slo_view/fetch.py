"""What the SLO page reads, on a worker thread: the table, and the selected SLO's charts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from ...api.errors import NotFound
from ...core.activity import AuditEntry
from ...core.annotations import Annotation, from_audit
from ...core.slo import SloDefinition
from ...core.slo_history import read_budget_history, read_burn_rate_history
from ...core.slo_import import read_slo_files
from ...core.slo_queries import SloReadings, read_slo_statuses, recorded_slos
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
    defined_by: str = "cluster"  # "rules": from Sloth's rules; "context": the context's files


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
    slos, defined_by = slo_definitions(connection)
    readings = read_slo_statuses(
        connection.prometheus, slos, min_requests_per_hour=min_requests_per_hour
    )
    statuses = {s.slo.id: s for s in readings.statuses}
    chosen = statuses.get(selected or "") or _least_budget(readings.statuses)
    detail = None
    if chosen is not None:
        detail = fetch_slo_detail(connection, chosen, start, end, history=history)
    return SloSnapshot(readings, detail, history and chosen is not None, defined_by)


def slo_definitions(connection: Connection) -> tuple[list[SloDefinition], str]:
    """The SLOs to show, and where they came from: the cluster's (``/api/v1/slos``);
    when it serves none (or has no such route), those Sloth's recording rules describe in
    Prometheus and those of the context's Sloth or OpenSLO files (a file's definition
    wins over the rules' for the same SLO: it says how to count requests)."""
    try:
        served = connection.cluster.slos()
    except NotFound:
        served = []
    if served:
        return served, "cluster"
    files = connection.context.slo_files
    own = list(read_slo_files(files)) if files else []
    known = {slo.id for slo in own}
    recorded = [s for s in recorded_slos(connection.prometheus) if s.id not in known]
    if own:
        return own + recorded, "context"
    return recorded, "rules" if recorded else "cluster"


def _least_budget(statuses: tuple[SloStatus, ...]) -> SloStatus | None:
    """The SLO the table lists first: the least budget left (an unknown budget last)."""
    return min(
        statuses,
        key=lambda s: math.inf if math.isnan(s.budget_remaining) else s.budget_remaining,
        default=None,
    )


class ClusterWithContextSlos:
    """The cluster as the Overview reads it (its SLOs and audit log), with the context's
    SLOs when the cluster serves none: the overview's thresholds and budgets then follow
    the same SLOs as the SLO page."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def slos(self) -> list[SloDefinition]:
        return slo_definitions(self._connection)[0]

    def audit(self, *, since: int | str | None = None, limit: int = 100) -> list[AuditEntry]:
        return self._connection.cluster.audit(since=since, limit=limit)
