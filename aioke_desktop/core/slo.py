"""SLOs and the arithmetic of error budgets: burn rates, budget left, time to exhaustion.

Burn rate is how fast the budget goes relative to plan: 1 spends exactly the budget over the
period, 14.4 spends 2 % of a 30-day budget in one hour. The thresholds follow the Google SRE
workbook's multi-window, multi-burn-rate alerts, as Sloth generates them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .durations import format_duration, parse_duration
from .jsonshape import Fields, ShapeError
from .promql import error_ratio_from_events, sloth_window

AlertLevel = Literal["page", "ticket", "none"]
DEFAULT_MIN_REQUESTS_PER_HOUR = 100.0


@dataclass(frozen=True)
class BurnRateWindow:
    """One multi-window alert condition: both windows must burn faster than ``burn_rate``."""

    level: Literal["page", "ticket"]
    long_window: str
    short_window: str
    burn_rate: float


BURN_RATE_WINDOWS: tuple[BurnRateWindow, ...] = (
    BurnRateWindow("page", "1h", "5m", 14.4),
    BurnRateWindow("page", "6h", "30m", 6.0),
    BurnRateWindow("ticket", "1d", "2h", 3.0),
    BurnRateWindow("ticket", "3d", "6h", 1.0),
)
# The windows the SLO table shows, and every window an alert condition needs.
TABLE_WINDOWS = ("5m", "1h", "6h", "1d", "3d")
ALERT_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


def burn_rate(error_ratio: float, error_budget_ratio: float) -> float:
    """How many times faster than planned the budget is spent (NaN when undefined)."""
    if not error_budget_ratio > 0 or math.isnan(error_ratio):
        return math.nan
    return error_ratio / error_budget_ratio


def budget_remaining(period_error_ratio: float, error_budget_ratio: float) -> float:
    """The share of the period's error budget left: 1 untouched, 0 spent, below 0 overspent."""
    if not error_budget_ratio > 0:
        return math.nan
    return 1.0 - period_error_ratio / error_budget_ratio


@dataclass(frozen=True)
class TimeToExhaustion:
    """When the budget runs out at the current burn rate; ``seconds`` None means never."""

    seconds: float | None

    @property
    def never(self) -> bool:
        return self.seconds is None

    def __str__(self) -> str:
        if self.seconds is None:
            return "never"
        return "exhausted" if self.seconds <= 0 else format_duration(self.seconds)


def time_to_exhaustion(remaining: float, rate: float, period_seconds: float) -> TimeToExhaustion:
    """Time until ``remaining`` (a share of the budget) is gone at burn rate ``rate``.

    At a burn rate of 1 or less the errors leaving the rolling period balance those coming
    in, so the budget never runs out: "never", as the SLO page promises.
    """
    if math.isnan(rate) or rate <= 1.0:
        return TimeToExhaustion(None)
    if math.isnan(remaining) or remaining <= 0:
        return TimeToExhaustion(0.0)
    return TimeToExhaustion(remaining * period_seconds / rate)


def alert_level(burn_rates: Mapping[str, float]) -> AlertLevel:
    """Page, ticket or none from burn rates by window (a missing or NaN window never fires)."""

    def fires(window: BurnRateWindow) -> bool:
        long = burn_rates.get(window.long_window, math.nan)
        short = burn_rates.get(window.short_window, math.nan)
        return long > window.burn_rate and short > window.burn_rate

    if any(fires(w) for w in BURN_RATE_WINDOWS if w.level == "page"):
        return "page"
    if any(fires(w) for w in BURN_RATE_WINDOWS if w.level == "ticket"):
        return "ticket"
    return "none"


def enough_traffic(
    requests: float, window: str, per_hour: float = DEFAULT_MIN_REQUESTS_PER_HOUR
) -> bool:
    """False when a window holds too few requests for its error ratio to mean anything.

    The threshold scales with the window: 100 an hour means about 8 in five minutes.
    """
    needed = max(1.0, per_hour * parse_duration(window) / 3600)
    return not math.isnan(requests) and requests >= needed


@dataclass(frozen=True)
class SloDefinition:
    """An SLO as ``GET /api/v1/slos`` describes it (Sloth's spec)."""

    id: str
    service: str
    name: str
    description: str
    objective_percent: float
    period: str
    error_query: str | None
    total_query: str | None
    raw_error_ratio_query: str | None
    labels: Mapping[str, str]

    @property
    def error_budget_ratio(self) -> float:
        return (100 - self.objective_percent) / 100

    @property
    def period_seconds(self) -> float:
        return parse_duration(self.period)

    def error_ratio_query(self, window: str) -> str:
        """PromQL for the SLI's error ratio over ``window``."""
        if self.raw_error_ratio_query is not None:
            return sloth_window(self.raw_error_ratio_query, window)
        if self.error_query is None or self.total_query is None:
            raise ValueError(f"The SLO {self.id} has no SLI queries.")
        return error_ratio_from_events(self.error_query, self.total_query, window)

    def burn_rate_query(self, window: str) -> str:
        return f"({self.error_ratio_query(window)}) / {self.error_budget_ratio:g}"

    @classmethod
    def from_json(cls, data: Fields) -> SloDefinition:
        sli = data.obj("sli")
        raw, events = sli.opt_obj("raw"), sli.opt_obj("events")
        if raw is None and events is None:
            raise ShapeError("sli", "needs events (error and total queries) or raw")
        objective = data.number("objective")
        if not 0 < objective < 100:
            raise ShapeError("objective", f"must lie between 0 and 100, not {objective}")
        return cls(
            id=data.text("id"),
            service=data.text("service"),
            name=data.text("name"),
            description=data.opt_text("description") or "",
            objective_percent=objective,
            period=data.opt_text("period") or "30d",
            error_query=events.text("error_query") if events else None,
            total_query=events.text("total_query") if events else None,
            raw_error_ratio_query=raw.text("error_ratio_query") if raw else None,
            labels=data.labels("labels"),
        )
