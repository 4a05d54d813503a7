"""The golden signals of every service at once: what to ask Prometheus, and how little.

A :class:`GoldenPlan` holds six queries for *all* services (a table row and a chart line
are cut from the same answer), the window and the step, chosen as Grafana does (at most
about 720 points; start and end on multiples of the step, so caches in front of Prometheus
hit and a tail lands on the grid of the full answer). :func:`fetch_golden` asks for the
whole window once, then only for the tail since the last point, with a few steps of
overlap: the newest points change while late scrapes arrive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from .activity import AuditEntry
from .annotations import Annotation, from_audit
from .promql import GoldenSignalQueries, GoldenSignalTemplates
from .series import QueryResult
from .slo import DEFAULT_MIN_REQUESTS_PER_HOUR, SloDefinition
from .slo_queries import read_slo_statuses
from .slo_status import SloStatus

Floats = npt.NDArray[np.float64]
T = TypeVar("T")

MAX_POINTS = 720  # about one point per two pixels of a chart
PROMETHEUS_POINT_LIMIT = 11_000  # Prometheus refuses a range query with more points
SCRAPE_SECONDS = 5.0  # the sandbox's scrape interval; a step below it only repeats values
OVERLAP_STEPS = 2  # the newest points move while late scrapes arrive: fetch them again
MIN_RATE_WINDOW_S = 300.0  # the templates' 5m: long enough to smooth a quiet service
NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600)
LATENCY_SIGNALS = {"latency_p50": 0.5, "latency_p95": 0.95, "latency_p99": 0.99}
SIGNALS = (*LATENCY_SIGNALS, "traffic", "error_ratio", "saturation")
# Charts show milliseconds and percentages; Prometheus answers seconds and ratios.
DISPLAY_SCALE = {
    **dict.fromkeys(LATENCY_SIGNALS, 1000.0),
    "error_ratio": 100.0,
    "saturation": 100.0,
}


def choose_step(
    range_s: float, *, max_points: int = MAX_POINTS, scrape_s: float = SCRAPE_SECONDS
) -> float:
    """The step of a range query: the largest of range ÷ points, the scrape interval and
    range ÷ Prometheus' limit, rounded up to a nice value (so at most ``max_points``)."""
    raw = max(range_s / max_points, scrape_s, range_s / PROMETHEUS_POINT_LIMIT)
    for nice in NICE_STEPS:
        if nice >= raw:
            return float(nice)
    return float(math.ceil(raw / 86400) * 86400)


def rate_window(step: float) -> str:
    """The ``$window`` of rate(): five minutes, or the step when the step is longer (a
    point of a 30-day chart then covers its whole hour instead of its last five minutes)."""
    seconds = int(max(MIN_RATE_WINDOW_S, step))
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


@dataclass(frozen=True)
class GoldenPlan:
    """What the overview asks Prometheus: six queries over one window on one grid.

    Attributes:
        queries: ``(signal, PromQL)`` pairs, one per :data:`SIGNALS` entry.
        range_s: the window's length.
        step: seconds between points.
        end: the end of a fixed window in the past; ``None`` follows now.
    """

    queries: tuple[tuple[str, str], ...]
    range_s: float
    step: float
    end: float | None = None
    templates: GoldenSignalTemplates = field(default_factory=GoldenSignalTemplates, compare=False)

    @classmethod
    def build(
        cls,
        templates: GoldenSignalTemplates,
        range_s: float,
        end: float | None = None,
        *,
        max_points: int = MAX_POINTS,
        scrape_s: float = SCRAPE_SECONDS,
    ) -> GoldenPlan:
        step = choose_step(range_s, max_points=max_points, scrape_s=scrape_s)
        return cls(_render(templates, (), step), range_s, step, end, templates)

    def queries_for(self, services: Sequence[str]) -> dict[str, str]:
        """The same queries narrowed to ``services`` (what "Copy PromQL" copies)."""
        return dict(_render(self.templates, services, self.step))

    @property
    def live(self) -> bool:
        return self.end is None

    @property
    def points(self) -> int:
        """Points per series in a full window."""
        return math.ceil(self.range_s / self.step) + 1

    def query(self, signal: str) -> str:
        return dict(self.queries)[signal]

    def bounds(self, now: float) -> tuple[float, float]:
        """Start and end of the window, both multiples of the step."""
        end = math.floor((self.end if self.end is not None else now) / self.step) * self.step
        return end - (self.points - 1) * self.step, end


def _render(
    templates: GoldenSignalTemplates, services: Sequence[str], step: float
) -> tuple[tuple[str, str], ...]:
    golden = GoldenSignalQueries(templates, tuple(services), rate_window(step))
    latency = [(name, golden.latency(q)) for name, q in LATENCY_SIGNALS.items()]
    return (
        *latency,
        ("traffic", golden.traffic()),
        ("error_ratio", golden.error_ratio()),
        ("saturation", golden.saturation()),
    )


@dataclass(frozen=True)
class SeriesPoints:
    """One series of one signal as drawn: ``service`` (and ``detail``, the saturation
    resource), times in Unix seconds and values in display units (ms, req/s, %).

    Where Prometheus left points out (no samples then), a NaN point marks the gap.
    """

    signal: str
    service: str
    detail: str
    times: Floats
    values: Floats

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.signal, self.service, self.detail)


@dataclass(frozen=True)
class GoldenFetch:
    """One refresh's answer.

    Attributes:
        full: the whole window (else only the tail from ``start``).
        warnings: Prometheus' warnings by signal, for the charts' warning icons.
        points: samples received (B2 compares these between a tail and a full fetch).
        budgets: the error budget left per service (the worst of its SLOs), 1 = untouched;
            ``None`` when not read this time (keep the last ones).
        slo_statuses: every SLO's budget and burn rates by window, as the SLO page reads
            them (its low-traffic guard too), read with the budgets (``None`` with them).
        slos: the SLO definitions, fetched with every full query (``None`` otherwise).
        history: past changes from the audit log, fetched with every full query.
        notes: what could not be read, one sentence each; the rest is still shown.
    """

    plan: GoldenPlan
    start: float
    end: float
    full: bool
    series: tuple[SeriesPoints, ...]
    warnings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    points: int = 0
    budgets: Mapping[str, float] | None = None
    slos: tuple[SloDefinition, ...] | None = None
    history: tuple[Annotation, ...] | None = None
    notes: tuple[str, ...] = ()
    slo_statuses: tuple[SloStatus, ...] | None = None


class RangeSource(Protocol):
    """What :func:`fetch_golden` needs of Prometheus (``PrometheusSource`` fits)."""

    def query(self, expr: str, at: float | None = None) -> QueryResult: ...

    def query_range(self, expr: str, start: float, end: float, step: float) -> QueryResult: ...


class ChangeSource(Protocol):
    """What :func:`fetch_golden` needs of the control plane (``ClusterClient`` fits)."""

    def slos(self) -> list[SloDefinition]: ...

    def audit(self, *, since: int | str | None = None, limit: int = 100) -> list[AuditEntry]: ...


def with_gaps(times: Floats, values: Floats, step: float) -> tuple[Floats, Floats]:
    """Insert a NaN point after each hole in the grid, so a line breaks there instead of
    drawing a straight line across a time without data."""
    if len(times) < 2:
        return times, values
    holes = np.flatnonzero(np.diff(times) > 1.5 * step)
    if not len(holes):
        return times, values
    return np.insert(times, holes + 1, times[holes] + step), np.insert(values, holes + 1, np.nan)


def series_points(signal: str, result: QueryResult, step: float) -> list[SeriesPoints]:
    scale = DISPLAY_SCALE.get(signal, 1.0)
    found = []
    for series in result.series:
        times = np.asarray(series.timestamps, dtype=np.float64)
        values = np.asarray(series.values, dtype=np.float64)
        if scale != 1.0:
            values *= scale
        times, values = with_gaps(times, values, step)
        service = series.label("service")
        found.append(SeriesPoints(signal, service, series.label("resource"), times, values))
    return found


def fetch_golden(
    prometheus: RangeSource,
    plan: GoldenPlan,
    *,
    now: float,
    since: float | None = None,
    cluster: ChangeSource | None = None,
    known_slos: Sequence[SloDefinition] = (),
    min_requests_per_hour: float = DEFAULT_MIN_REQUESTS_PER_HOUR,
) -> GoldenFetch:
    """Fetch the window (``since`` None) or the tail after ``since``, the last point held.

    Runs on a worker thread. A tail starts ``OVERLAP_STEPS`` before ``since``; when
    ``since`` lies before the window (the app slept), the whole window is fetched. The
    SLOs' statuses (budgets and burn rates, from Sloth's recorded series where the cluster
    has them, else computed from the definitions) are read for the SLOs read now, or for
    ``known_slos``: a dozen queries, so callers pass ``known_slos`` only now and then.
    """
    start, end = plan.bounds(now)
    full = since is None or since < start or since > end
    if not full:
        assert since is not None
        start = max(start, since - OVERLAP_STEPS * plan.step)
    series: list[SeriesPoints] = []
    warnings: dict[str, tuple[str, ...]] = {}
    points = 0
    for signal, expr in plan.queries:
        result = prometheus.query_range(expr, start, end, plan.step)
        if result.warnings:
            warnings[signal] = result.warnings
        points += sum(len(s.timestamps) for s in result.series)
        series.extend(series_points(signal, result, plan.step))
    notes: list[str] = []
    slos = history = None
    if full and cluster is not None:
        slos = _attempt("SLOs", lambda: tuple(cluster.slos()), notes)
        history = _read_history(cluster, start, notes)
    wanted = slos if slos is not None else known_slos
    statuses = None
    if wanted:
        at = _At(prometheus, end)
        statuses = _attempt(
            "SLO states",
            lambda: read_slo_statuses(at, wanted, min_requests_per_hour=min_requests_per_hour),
            notes,
        )
    budgets = None if statuses is None else worst_budgets(statuses.statuses)
    return GoldenFetch(
        plan, start, end, full, tuple(series), warnings, points, budgets, slos,
        history, tuple(notes), None if statuses is None else statuses.statuses,
    )  # fmt: skip


def _attempt(what: str, call: Callable[[], T], notes: list[str]) -> T | None:
    """``call()``, or None with a note: the charts still show without SLOs or history.
    Any failure counts (the core does not know the clients' error classes)."""
    try:
        return call()
    except Exception as exc:
        notes.append(f"{what} could not be read: {getattr(exc, 'message', None) or exc}")
        return None


def _read_history(
    cluster: ChangeSource, start: float, notes: list[str]
) -> tuple[Annotation, ...] | None:
    since = datetime.fromtimestamp(start, UTC).isoformat().replace("+00:00", "Z")
    rows = _attempt("Past changes", lambda: cluster.audit(since=since, limit=1000), notes)
    if rows is None:
        return None
    return tuple(a for a in (from_audit(row) for row in rows) if a is not None)


class _At:
    """Prometheus with every instant query pinned at ``at``: a window in the past shows the
    SLOs as they stood at its end, as its charts do."""

    def __init__(self, prometheus: RangeSource, at: float) -> None:
        self._prometheus, self._at = prometheus, at

    def query(self, expr: str, at: float | None = None) -> QueryResult:
        return self._prometheus.query(expr, at=self._at if at is None else at)

    def query_range(self, expr: str, start: float, end: float, step: float) -> QueryResult:
        return self._prometheus.query_range(expr, start, end, step)


def worst_budgets(statuses: Sequence[SloStatus]) -> dict[str, float]:
    """The error budget left per service: the least of its SLOs' (unknown ones ignored)."""
    budgets: dict[str, float] = {}
    for status in statuses:
        left = status.budget_remaining
        if not math.isnan(left):
            service = status.slo.service
            budgets[service] = min(budgets.get(service, math.inf), left)
    return budgets
