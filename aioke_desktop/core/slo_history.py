"""The per-SLO charts' history: the budget spent over the period, and the burn rate.

The budget chart reads Sloth's recorded 5-minute ratio when the table's budget is Sloth's
(its period ratio is the mean of those samples), else the SLI over each step weighed by its
requests; the burn-rate chart always reads the SLI queries, whose raw metrics reach further
back than any rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .golden import choose_step
from .series import Series
from .slo import SloDefinition
from .slo_queries import Querier, error_ratio_query, of_slo, requests_query, sli_record
from .slo_status import BudgetBurndown, SloStatus, burndown

BURN_CHART_WINDOWS = ("5m", "1h")


def aligned(start: float, end: float, step: float) -> tuple[float, float]:
    """Start and end on multiples of the step, so caches in front of Prometheus hit (the end
    rounded up, so the newest data is in; :func:`until` pulls that last point back to now)."""
    return math.floor(start / step) * step, math.ceil(end / step) * step


def until(series: Series, end: float) -> Series:
    """``series`` with timestamps after ``end`` moved to ``end``: a point of the step that
    is still running sits at now, not in the future."""
    if not series.timestamps or series.timestamps[-1] <= end:
        return series
    return replace(series, timestamps=tuple(min(t, end) for t in series.timestamps))


def budget_history_queries(status: SloStatus, step: float) -> tuple[str, str | None]:
    """Per-step error ratios over the period, and what each step weighs, computed the way
    the table's budget was, so that the curve ends at the table's number.

    Sloth's recorded budget is the mean of every 5-minute sample: a step weighs its number
    of samples. A budget computed from the SLI over the period weighs requests: a step
    weighs its requests (when the SLO says how to count them; else steps weigh alike).
    """
    slo = status.slo
    window = f"{int(step)}s"
    if status.budget_recorded:
        five = of_slo(sli_record("5m"), slo.id)
        return f"avg_over_time({five}[{window}])", f"count_over_time({five}[{window}])"
    weights = None if slo.total_query is None else requests_query(slo.total_query, window)
    return error_ratio_query(slo, window), weights


def _by_time(series: Iterable[Series]) -> dict[float, float]:
    points: dict[float, float] = {}
    for one in series:  # one series, unless a raw SLI is split by some label
        for ts, value in zip(one.timestamps, one.values, strict=True):
            points[ts] = max(points.get(ts, value), value)
    return points


def read_budget_history(prometheus: Querier, status: SloStatus, end: float) -> BudgetHistory:
    """How the period's budget was spent, step by step, up to ``end``."""
    period = status.slo.period_seconds
    step = max(3600.0, choose_step(period, max_points=720))
    start, stop = aligned(end - period, end, step)
    ratio_query, weight_query = budget_history_queries(status, step)
    ratios = _by_time(prometheus.query_range(ratio_query, start, stop, step).series)
    counts = None
    if weight_query is not None:
        counts = _by_time(prometheus.query_range(weight_query, start, stop, step).series)
    ordered = sorted(ratios)
    curve = burndown(
        [min(t, end) for t in ordered],
        [ratios[t] for t in ordered],
        status.slo.error_budget_ratio,
        None if counts is None else [counts.get(t, math.nan) for t in ordered],
    )
    return BudgetHistory(curve, ratio_query)


@dataclass(frozen=True)
class BudgetHistory:
    """The burndown and the PromQL it came from (for "copy PromQL")."""

    burndown: BudgetBurndown
    query: str


def burn_rate_queries(slo: SloDefinition) -> dict[str, str]:
    """Burn rate over the 5-minute and 1-hour windows, from the SLI queries (the recorded
    series are only as old as the rules, the raw metrics as old as the history)."""
    return {
        window: f"({error_ratio_query(slo, window)}) / {slo.error_budget_ratio:g}"
        for window in BURN_CHART_WINDOWS
    }


def read_burn_rate_history(
    prometheus: Querier, slo: SloDefinition, start: float, end: float
) -> dict[str, Series]:
    """Burn rate series by window over ``start``-``end`` (a window without data is absent)."""
    step = choose_step(end - start)
    first, last = aligned(start, end, step)
    found: dict[str, Series] = {}
    for window, expr in burn_rate_queries(slo).items():
        series = prometheus.query_range(expr, first, last, step).series
        if series:
            found[window] = until(series[0], end)
    return found
