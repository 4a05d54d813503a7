"""A service's row in the overview: its numbers now, their trends, and its SLO state.

Cut from the overview's store on the GUI thread; the table model only adapts the result.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ...core.golden_store import GoldenStore
from ...core.slo import SloDefinition
from ..charts.sparkline import trend

Trend = npt.NDArray[np.float64] | None

# The table's columns after the name, as the store's signals (then the SLO budget).
ROW_SIGNALS = ("traffic", "error_ratio", "latency_p50", "latency_p95", "latency_p99", "saturation")
FAST_BURN = 14.4  # the page-level burn rate of the SRE workbook's multi-window alerts
LOW_BUDGET_PERCENT = 25.0


class SloState(enum.Enum):
    """How a service stands against its SLO, worst last."""

    UNKNOWN = "unknown"  # no SLO, or no numbers
    OK = "ok"
    BURNING = "burning"  # spending faster than planned, or little budget left
    EXHAUSTED = "exhausted"  # no budget left, or burning at the paging rate


def slo_state(
    budget_percent: float, errors_percent: float, threshold_percent: float | None
) -> SloState:
    """The state the row's colour shows.

    Exhausted: the budget is spent, or errors come 14.4 times faster than the SLO allows
    (two percent of a month's budget an hour). Burning: errors above the SLO's rate, or a
    quarter of the budget or less left.
    """
    known_budget = not math.isnan(budget_percent)
    rate = math.nan
    if threshold_percent and not math.isnan(errors_percent):
        rate = errors_percent / threshold_percent
    if not known_budget and math.isnan(rate):
        return SloState.UNKNOWN
    if (known_budget and budget_percent <= 0) or rate >= FAST_BURN:
        return SloState.EXHAUSTED
    if (known_budget and budget_percent < LOW_BUDGET_PERCENT) or rate > 1:
        return SloState.BURNING
    return SloState.OK


@dataclass(frozen=True, eq=False)
class ServiceRow:
    """One service: ``values`` in display units, one per column after the name."""

    service: str
    values: tuple[float, ...]
    trends: tuple[Trend, ...] = field(default=())
    state: SloState = SloState.UNKNOWN
    slo: str = ""  # which SLO the budget belongs to, for the tooltip

    def same_numbers(self, other: ServiceRow) -> bool:
        return _same(self.values, other.values) and all(
            _same_trend(a, b) for a, b in zip(self.trends, other.trends, strict=False)
        ) and len(self.trends) == len(other.trends)  # fmt: skip


def _same(a: Sequence[float], b: Sequence[float]) -> bool:
    return len(a) == len(b) and all(
        x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b, strict=True)
    )


def _same_trend(a: Trend, b: Trend) -> bool:
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def error_threshold(slos: Sequence[SloDefinition], service: str) -> SloDefinition | None:
    """The SLO whose error budget bounds the service's error ratio: its availability SLO
    (a latency SLO's budget is about slow requests, not failed ones)."""
    mine = [s for s in slos if s.service == service]
    for slo in mine:
        if slo.labels.get("category") == "availability":
            return slo
    for slo in mine:
        if "availab" in slo.name or "error" in slo.name:
            return slo
    return None


def service_row(
    store: GoldenStore,
    service: str,
    budgets: Mapping[str, float],
    slos: Sequence[SloDefinition],
) -> ServiceRow:
    """The row of ``service``: each signal's newest value and trend (for saturation, the
    fullest resource), the budget left in percent, and the state they add up to."""
    values = [store.latest(signal, service) for signal in ROW_SIGNALS]
    trends: list[npt.NDArray[np.float64] | None] = []
    for signal in ROW_SIGNALS:
        windows = [window for _detail, window in store.series(signal, service)]
        busiest = max(windows, key=lambda w: _newest(w.raw), default=None)
        trends.append(None if busiest is None else trend(busiest.draw))
    budget = budgets.get(service, math.nan) * 100
    slo = error_threshold(slos, service)
    threshold = slo.error_budget_ratio * 100 if slo else None
    state = slo_state(budget, values[1], threshold)
    label = f"{slo.name} ({slo.objective_percent:g} %)" if slo else ""
    return ServiceRow(service, (*values, budget), (*trends, None), state, label)


def _newest(values: npt.NDArray[np.float64]) -> float:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if len(finite) else -math.inf
