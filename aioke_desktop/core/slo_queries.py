"""PromQL for the SLO page, from Sloth's recording rules or, without them, the SLI queries.

A cluster whose rules Sloth generated records ``slo:sli_error:ratio_rate<window>`` and
``slo:period_error_budget_remaining:ratio`` for every SLO (labels ``sloth_id``,
``sloth_service``, ``sloth_slo``) and fires ``ALERTS`` with ``sloth_severity`` page or ticket;
those are read first. An SLO with no recorded series is computed from its SLI queries as
``GET /api/v1/slos`` gives them, and its alert state by the same multi-window rules, in the
app. Queries cover every SLO at once: one per window, never one per SLO and window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Literal, Protocol

from .durations import parse_duration
from .fan_out import run_all
from .promql import sloth_window
from .series import QueryResult, Series
from .slo import ALERT_WINDOWS, DEFAULT_MIN_REQUESTS_PER_HOUR, TABLE_WINDOWS, SloDefinition
from .slo_status import (
    SloStatus,
    WindowReading,
    firing_alerts,
    status_of,
)

BUDGET_REMAINING = "slo:period_error_budget_remaining:ratio"
SLO_ALERTS = 'ALERTS{sloth_id!=""}'
SLO_ID = "sloth_id"
WINDOWS: tuple[str, ...] = tuple(dict.fromkeys((*TABLE_WINDOWS, *ALERT_WINDOWS)))


class Querier(Protocol):
    """What the SLO reader needs of Prometheus (``api.prometheus.PrometheusSource`` fits)."""

    def query(self, expr: str, at: float | None = None) -> QueryResult: ...

    def query_range(self, expr: str, start: float, end: float, step: float) -> QueryResult: ...


def sli_record(window: str) -> str:
    """Sloth's recorded error ratio over ``window``: ``slo:sli_error:ratio_rate5m``."""
    return f"slo:sli_error:ratio_rate{window}"


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def of_slo(expr: str, slo_id: str) -> str:
    """``expr`` (a recorded series) narrowed to one SLO."""
    return f'{expr}{{{SLO_ID}="{_quoted(slo_id)}"}}'


def per_slo(exprs: Mapping[str, str]) -> str:
    """One query answering ``exprs`` (PromQL by SLO id), each answer labelled with its id.

    ``label_replace`` with an empty source label and regex sets ``sloth_id`` on every series
    of one expression; ``or`` keeps them all, since their ids differ.
    """
    return " or ".join(
        f'label_replace(({expr}), "{SLO_ID}", "{_quoted(slo_id)}", "", "")'
        for slo_id, expr in sorted(exprs.items())
    )


def requests_query(total_query: str, window: str) -> str:
    """Requests in ``window``: a Sloth total query (a rate) times the window's seconds."""
    return f"({sloth_window(total_query, window)}) * {parse_duration(window):g}"


def by_slo(
    series: Iterable[Series], combine: Literal["worst", "sum"] = "worst"
) -> dict[str, float]:
    """The last value of each SLO's series; several series of one SLO are added (``sum``,
    for request counts) or the largest kept (``worst``, for error ratios)."""
    found: dict[str, float] = {}
    for one in series:
        slo_id, value = one.label(SLO_ID), one.last
        if not slo_id:
            continue
        before = found.get(slo_id)
        if before is None or math.isnan(before):
            found[slo_id] = value
        elif combine == "sum":
            found[slo_id] = before + value
        elif value > before:
            found[slo_id] = value
    return found


@dataclass(frozen=True)
class SloReadings:
    """The SLO table's content, and the threshold its low-traffic guard used."""

    statuses: tuple[SloStatus, ...]
    min_requests_per_hour: float

    @property
    def from_rules(self) -> bool:
        return any(s.from_rules for s in self.statuses)


def error_ratio_query(slo: SloDefinition, window: str) -> str:
    """The SLI's error ratio over ``window``, computed in Prometheus from its queries.

    A bad-events query over counters that have not moved answers nothing rather than 0
    (Prometheus has no series for errors that never happened), which would turn a perfect
    window into "no data"; ``or on() vector(0)`` makes it the 0 it is, while the total still
    decides whether there was traffic at all.
    """
    if slo.error_query is None or slo.total_query is None:
        return slo.error_ratio_query(window)
    errors = sloth_window(slo.error_query, window)
    return f"(({errors}) or on() vector(0)) / ({sloth_window(slo.total_query, window)})"


SLO_INFO = "sloth_slo_info"
PERIOD_DAYS = "slo:time_period:days"


def recorded_slos(prometheus: Querier) -> list[SloDefinition]:
    """The SLOs Sloth's rules describe (``sloth_slo_info``), for a cluster that serves no
    definitions: their SLI is the recorded ratio of each window, so the table and charts
    work for the windows Sloth records (5m to 3d), without request counts."""
    info = prometheus.query(SLO_INFO).series
    if not info:
        return []
    periods = by_slo(prometheus.query(PERIOD_DAYS).series)
    slos = []
    for series in info:
        slo_id = series.label(SLO_ID)
        try:
            objective = float(series.label("sloth_objective"))
        except ValueError:
            continue  # not Sloth's: nothing to compute a budget from
        days = periods.get(slo_id, 30.0)
        slos.append(
            SloDefinition(
                id=slo_id,
                service=series.label("sloth_service"),
                name=series.label("sloth_slo"),
                description="",
                objective_percent=objective,
                period=f"{days:g}d" if math.isfinite(days) and days > 0 else "30d",
                error_query=None,
                total_query=None,
                raw_error_ratio_query=of_slo(sli_record("{{.window}}"), slo_id),
                labels={},
            )
        )
    return sorted(slos, key=lambda s: s.id)


def read_slo_statuses(
    prometheus: Querier,
    slos: Iterable[SloDefinition],
    *,
    min_requests_per_hour: float = DEFAULT_MIN_REQUESTS_PER_HOUR,
) -> SloReadings:
    """Every SLO's error ratio by window, traffic, budget left and alert state, now.

    Recorded series come first; what they lack (an SLO without rules, a window whose
    recording answered nothing) is computed from the SLI queries, several SLOs a query.
    """
    slos = list(slos)
    ask = prometheus.query
    # Everything that does not depend on another answer, at once.
    totals = {s.id: s.total_query for s in slos if s.total_query}
    first = run_all(
        {
            **{("ratio", w): partial(ask, sli_record(w)) for w in WINDOWS},
            ("budget", ""): partial(ask, BUDGET_REMAINING),
            ("alerts", ""): partial(ask, SLO_ALERTS),
            **{
                ("requests", w): partial(
                    ask, per_slo({i: requests_query(q, w) for i, q in totals.items()})
                )
                for w in (WINDOWS if totals else ())
            },
        }
    )
    ratios = {w: by_slo(first["ratio", w].series) for w in WINDOWS}
    requests = {w: by_slo(first["requests", w].series, "sum") if totals else {} for w in WINDOWS}
    recorded = {slo_id for found in ratios.values() for slo_id in found}
    # A recorded budget of NaN is missing, not unknown: Sloth averages the 5-minute ratios
    # over the period, and one 0/0 ratio (a minute without traffic) poisons it for 30 days.
    budgets = {
        slo_id: left
        for slo_id, left in by_slo(first["budget", ""].series).items()
        if slo_id in recorded and not math.isnan(left)
    }
    budget_recorded = set(budgets)
    # What the recordings lack, computed from the SLI queries (several SLOs a query).
    missing = {
        ("ratio", w): {s.id: error_ratio_query(s, w) for s in slos if s.id not in ratios[w]}
        for w in WINDOWS
    }
    for slo in slos:
        if slo.id not in budgets:
            missing.setdefault(("budget", slo.period), {})[slo.id] = error_ratio_query(
                slo, slo.period
            )
    second = run_all({key: partial(ask, per_slo(e)) for key, e in missing.items() if e})
    for (kind, window), result in second.items():
        found = by_slo(result.series)
        if kind == "ratio":
            ratios[window].update(found)
            continue
        for slo in slos:
            if slo.id in missing[kind, window]:
                ratio = found.get(slo.id, math.nan)
                budgets[slo.id] = 1.0 - ratio / slo.error_budget_ratio
    alerts = firing_alerts(first["alerts", ""].series) if recorded else {}
    statuses = []
    for slo in slos:
        readings = {
            w: WindowReading.of(
                w,
                ratios[w].get(slo.id, math.nan),
                requests[w].get(slo.id),
                slo.error_budget_ratio,
                min_requests_per_hour,
            )
            for w in WINDOWS
        }
        alert = alerts.get(slo.id, "none") if slo.id in recorded else None
        statuses.append(
            status_of(
                slo,
                readings,
                budgets.get(slo.id, math.nan),
                alert=alert,
                budget_recorded=slo.id in budget_recorded,
            )
        )
    return SloReadings(tuple(statuses), min_requests_per_hour)
