"""One SLO's state as the SLO page shows it: burn rates by window, budget, alert, exhaustion.

Plain data and arithmetic over numbers already read from Prometheus (``slo_queries`` reads
them), so every rule here, the low-traffic guard above all, is tested without a server.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .series import Series
from .slo import (
    AlertLevel,
    SloDefinition,
    TimeToExhaustion,
    alert_level,
    burn_rate,
    enough_traffic,
    time_to_exhaustion,
)

INSUFFICIENT_TRAFFIC = "insufficient traffic"
_LEVELS: dict[str, AlertLevel] = {"page": "page", "ticket": "ticket"}


@dataclass(frozen=True)
class WindowReading:
    """An SLO over one window: its error ratio, how many requests it saw, its burn rate.

    Attributes:
        error_ratio: bad events over all events (NaN: Prometheus had nothing).
        requests: requests in the window; None when the SLO does not say how to count them.
        burn_rate: error ratio over the error budget (NaN: nothing to divide).
        enough_traffic: False when ``requests`` is below the low-traffic threshold, so that
            the ratio means little (two errors in ten requests are not a 20 % outage).
    """

    window: str
    error_ratio: float
    requests: float | None
    burn_rate: float
    enough_traffic: bool

    @classmethod
    def of(
        cls,
        window: str,
        error_ratio: float,
        requests: float | None,
        error_budget_ratio: float,
        min_requests_per_hour: float,
    ) -> WindowReading:
        enough = requests is None or enough_traffic(requests, window, min_requests_per_hour)
        return cls(
            window=window,
            error_ratio=error_ratio,
            requests=requests,
            burn_rate=burn_rate(error_ratio, error_budget_ratio),
            enough_traffic=enough,
        )

    @property
    def trusted_burn_rate(self) -> float:
        """The burn rate when there is enough traffic to believe it, else NaN."""
        return self.burn_rate if self.enough_traffic else math.nan


@dataclass(frozen=True)
class SloStatus:
    """Everything the SLO table shows for one SLO.

    Attributes:
        slo: the definition.
        windows: readings by window (``5m`` … ``3d``, and the alert windows).
        budget_remaining: share of the period's budget left (1 untouched, below 0 overspent).
        alert: page, ticket or none.
        from_rules: True when read from Sloth's recording rules and ``ALERTS``; False when
            computed from the SLI queries and the multi-window rules in the app.
        budget_recorded: True when the budget is Sloth's recorded one (the mean of the
            5-minute samples); False when computed from the SLI over the period.
    """

    slo: SloDefinition
    windows: Mapping[str, WindowReading]
    budget_remaining: float
    alert: AlertLevel
    from_rules: bool
    budget_recorded: bool = False

    def reading(self, window: str) -> WindowReading | None:
        return self.windows.get(window)

    @property
    def sli_now(self) -> float:
        """Good events over the last five minutes (0-1); NaN without data or traffic."""
        now = self.windows.get("5m")
        if now is None or not now.enough_traffic:
            return math.nan
        return 1.0 - now.error_ratio

    @property
    def exhaustion(self) -> TimeToExhaustion | None:
        """When the budget runs out at the last hour's burn rate; None when the last hour
        had too little traffic (or no data) to say."""
        hour = self.windows.get("1h")
        if hour is None or not hour.enough_traffic or math.isnan(hour.burn_rate):
            return None
        # Rounded: 0.1 % errors against a 99.9 % objective is a burn rate of 1 ("never"),
        # though (100 - 99.9) / 100 in floats makes it 1.00000000000006.
        rate = round(hour.burn_rate, 9)
        return time_to_exhaustion(self.budget_remaining, rate, self.slo.period_seconds)


def status_of(
    slo: SloDefinition,
    windows: Mapping[str, WindowReading],
    budget_remaining: float,
    *,
    alert: AlertLevel | None,
    budget_recorded: bool = False,
) -> SloStatus:
    """The status; ``alert`` None computes it from the windows with enough traffic."""
    from_rules = alert is not None
    if alert is None:
        alert = alert_level({w: r.trusted_burn_rate for w, r in windows.items()})
    return SloStatus(slo, dict(windows), budget_remaining, alert, from_rules, budget_recorded)


def with_threshold(status: SloStatus, min_requests_per_hour: float) -> SloStatus:
    """The same readings judged with another low-traffic threshold (no new query: the
    request counts are already there); a computed alert state is computed again."""
    readings = {
        w: WindowReading.of(
            w, r.error_ratio, r.requests, status.slo.error_budget_ratio, min_requests_per_hour
        )
        for w, r in status.windows.items()
    }
    alert = status.alert if status.from_rules else None
    return status_of(
        status.slo,
        readings,
        status.budget_remaining,
        alert=alert,
        budget_recorded=status.budget_recorded,
    )


def firing_alerts(alerts: Iterable[Series]) -> dict[str, AlertLevel]:
    """The worst firing level by SLO id, from ``ALERTS`` series of Sloth's alert rules
    (``sloth_severity`` page or ticket); pending alerts do not count yet."""
    levels: dict[str, AlertLevel] = {}
    for series in alerts:
        level = _LEVELS.get(series.label("sloth_severity"))
        slo_id = series.label("sloth_id")
        if level is None or not slo_id or series.label("alertstate", "firing") != "firing":
            continue
        if levels.get(slo_id) != "page":
            levels[slo_id] = level
    return levels


@dataclass(frozen=True)
class BudgetBurndown:
    """How the period's budget was spent: the share left after each point in time.

    Starts the period at 1 (untouched) and ends at the budget remaining now.
    """

    timestamps: tuple[float, ...]
    remaining: tuple[float, ...]


def burndown(
    timestamps: Sequence[float],
    error_ratios: Sequence[float],
    error_budget_ratio: float,
    weights: Sequence[float] | None = None,
) -> BudgetBurndown:
    """The budget left after each step, from per-step error ratios over the period.

    As Sloth does, the period's error ratio is the mean of the samples that exist (a young
    cluster's period is as long as its history): a step counts by its number of samples
    (``weights``; equal when None), so the curve ends where the table's number stands. A
    step without data (NaN) spends nothing.
    """
    counts = list(weights) if weights is not None else [1.0] * len(error_ratios)
    usable = [
        (r, w) if not (math.isnan(r) or math.isnan(w)) else (0.0, 0.0)
        for r, w in zip(error_ratios, counts, strict=True)
    ]
    total = sum(w for _, w in usable) * error_budget_ratio
    spent = 0.0
    remaining = []
    for ratio, weight in usable:
        if total > 0:
            spent += ratio * weight / total
        remaining.append(1.0 - spent)
    return BudgetBurndown(tuple(timestamps), tuple(remaining))
