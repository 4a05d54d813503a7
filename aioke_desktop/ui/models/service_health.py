"""A service's row in the overview: its numbers now, their trends, and its SLO state.

Cut from the overview's store and its SLOs' statuses (read as the SLO page reads them) on
the GUI thread; the table model only adapts the result. The state is the worst of all the
service's SLOs (availability, latency …), judged by budget left and burn rate over the last
hour, and the tooltip names the SLO that decided it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ...core.golden_store import GoldenStore
from ...core.slo import SloDefinition
from ...core.slo_status import INSUFFICIENT_TRAFFIC, SloStatus
from ..charts.sparkline import trend

Trend = npt.NDArray[np.float64] | None

# The table's columns after the name, as the store's signals (then the SLO budget).
ROW_SIGNALS = ("traffic", "error_ratio", "latency_p50", "latency_p95", "latency_p99", "saturation")
FAST_BURN = 14.4  # the page-level burn rate of the SRE workbook's multi-window alerts
LOW_BUDGET_PERCENT = 25.0
# The burn rate a row is judged by: long enough that a blip does not turn it red, short
# enough to show a fault within minutes (the 1 h window of the paging alert).
STATE_WINDOW, STATE_WINDOW_WORDS = "1h", "1 h"


class SloState(enum.Enum):
    """How a service stands against its SLOs, worst last."""

    UNKNOWN = "unknown"  # no SLO, or no numbers
    OK = "ok"
    BURNING = "burning"  # spending faster than planned, or little budget left
    EXHAUSTED = "exhausted"  # no budget left, or burning at the paging rate


_RANK = {state: rank for rank, state in enumerate(SloState)}
_ALERT_STATES = {"page": SloState.EXHAUSTED, "ticket": SloState.BURNING}


def slo_state(budget_percent: float, burn_rate: float) -> SloState:
    """The state of one SLO, from its budget left and its burn rate over the last hour.

    Exhausted: the budget is spent, or it burns 14.4 times faster than planned (two percent
    of a month's budget an hour, the workbook's paging rate). Burning: faster than planned,
    or a quarter of the budget or less left. NaN means unknown (no data, too little traffic).
    """
    known_budget = not math.isnan(budget_percent)
    if not known_budget and math.isnan(burn_rate):
        return SloState.UNKNOWN
    if (known_budget and budget_percent <= 0) or burn_rate >= FAST_BURN:
        return SloState.EXHAUSTED
    if (known_budget and budget_percent < LOW_BUDGET_PERCENT) or burn_rate > 1:
        return SloState.BURNING
    return SloState.OK


@dataclass(frozen=True)
class SloVerdict:
    """One SLO's state and why, in words naming the SLO (the row's tooltip)."""

    state: SloState
    reason: str
    burn_rate: float = math.nan  # over STATE_WINDOW, for ties between SLOs in one state


def slo_verdict(status: SloStatus) -> SloVerdict:
    """The state of ``status``'s SLO: its budget and its burn rate over the last hour,
    believed only with enough traffic (the SLO page's low-traffic guard)."""
    name = status.slo.id
    hour = status.reading(STATE_WINDOW)
    rate = hour.trusted_burn_rate if hour is not None else math.nan
    budget = status.budget_remaining * 100
    # A firing alert counts as the services map counts it: a page is red, a ticket amber.
    alerted = _ALERT_STATES.get(status.alert, SloState.UNKNOWN)
    state = max(slo_state(budget, rate), alerted, key=_RANK.__getitem__)
    spent = not math.isnan(budget) and budget <= 0
    burning = f"burning {rate:.1f}× over {STATE_WINDOW_WORDS}"
    alert = f"{status.alert} alert firing" if status.alert in _ALERT_STATES else ""
    if state is SloState.EXHAUSTED:
        why = ["error budget spent" if spent else "", burning if rate >= FAST_BURN else ""]
        why = why if any(why) else [alert]
    elif state is SloState.BURNING:
        low = f"{budget:.0f} % of the error budget left" if budget < LOW_BUDGET_PERCENT else ""
        why = [burning if rate > 1 else "", low]
        why = why if any(why) else [alert]
    elif state is SloState.OK:
        why = ["within its objective"]
    elif hour is not None and not hour.enough_traffic:
        why = [INSUFFICIENT_TRAFFIC]
    else:
        why = ["no data"]
    return SloVerdict(state, f"{name}: " + ", ".join(w for w in why if w), rate)


def worst_verdict(statuses: Sequence[SloStatus]) -> SloVerdict | None:
    """The verdict of the SLO in the worst state (the faster burning of two in one)."""
    verdicts = [slo_verdict(status) for status in statuses]
    return max(
        verdicts,
        key=lambda v: (_RANK[v.state], -math.inf if math.isnan(v.burn_rate) else v.burn_rate),
        default=None,
    )


@dataclass(frozen=True, eq=False)
class ServiceRow:
    """One service: ``values`` in display units, one per column after the name."""

    service: str
    values: tuple[float, ...]
    trends: tuple[Trend, ...] = field(default=())
    state: SloState = SloState.UNKNOWN
    slo: str = ""  # which SLO the budget belongs to, for the tooltip
    reason: str = ""  # which SLO decided the state, and why

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


def service_row(store: GoldenStore, service: str, statuses: Sequence[SloStatus]) -> ServiceRow:
    """The row of ``service``: each signal's newest value and trend (for saturation, the
    fullest resource), the least budget left of its SLOs in percent, and the worst state
    of its SLOs (``statuses``: every SLO's; the service's are picked here)."""
    values = [store.latest(signal, service) for signal in ROW_SIGNALS]
    trends: list[npt.NDArray[np.float64] | None] = []
    for signal in ROW_SIGNALS:
        windows = [window for _detail, window in store.series(signal, service)]
        busiest = max(windows, key=lambda w: _newest(w.raw), default=None)
        trends.append(None if busiest is None else trend(busiest.draw))
    mine = [status for status in statuses if status.slo.service == service]
    known = [status for status in mine if not math.isnan(status.budget_remaining)]
    least = min(known, key=lambda status: status.budget_remaining, default=None)
    budget = math.nan if least is None else least.budget_remaining * 100
    label = f"{least.slo.id} ({least.slo.objective_percent:g} %)" if least else ""
    verdict = worst_verdict(mine)
    state = SloState.UNKNOWN if verdict is None else verdict.state
    reason = "" if verdict is None else verdict.reason
    return ServiceRow(service, (*values, budget), (*trends, None), state, label, reason)


def _newest(values: npt.NDArray[np.float64]) -> float:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if len(finite) else -math.inf
