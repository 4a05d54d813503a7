"""The SLO table: one row an SLO, from the least budget left to the most.

Burn rates are coloured against the multi-window thresholds of their window (14.4 times
the planned pace over an hour pages, once over three days opens a ticket); a window with
too little traffic says so instead of showing an alarming ratio; time to exhaustion reads
"never" at a burn rate of 1 or less.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt

from ...core.slo import BURN_RATE_WINDOWS, TABLE_WINDOWS
from ...core.slo_status import INSUFFICIENT_TRAFFIC, SloStatus, WindowReading
from ..theme import StatusColours
from .rows import ITEM_ROLE, SORT_ROLE, Column, KeyedRowsModel

NO_DATA = "no data"
LAST = math.inf  # sorts after every number, ascending
LOW_BUDGET = 0.25
BUDGET_COLUMN = 4
ALERT_TONES = {"page": "danger", "ticket": "warning"}
# The burn rate that pages (or opens a ticket) when a window is the long one of a pair.
THRESHOLDS = {w.long_window: (w.burn_rate, w.level) for w in BURN_RATE_WINDOWS} | {
    "5m": (14.4, "page")
}
RULES_EXPLAINED = (
    "page: over 1 h and 5 min, or over 6 h and 30 min, the budget burns 14.4× or 6× too fast; "
    "ticket: over 1 d and 2 h, or 3 d and 6 h, 3× or 1× too fast."
)


def percent_text(ratio: float, digits: int = 2) -> str:
    return NO_DATA if math.isnan(ratio) else f"{ratio * 100:.{digits}f} %"


def burn_text(reading: WindowReading | None) -> str:
    if reading is None:
        return NO_DATA
    if not reading.enough_traffic:
        return INSUFFICIENT_TRAFFIC
    rate = reading.burn_rate
    if math.isnan(rate):
        return NO_DATA
    return f"{rate:.2f}×" if rate < 10 else f"{rate:.3g}×" if rate < 1000 else f"{rate:.0f}×"


def _burn_tone(reading: WindowReading | None) -> str | None:
    if reading is None or not reading.enough_traffic or math.isnan(reading.burn_rate):
        return "unknown"
    threshold, level = THRESHOLDS.get(reading.window, (math.inf, "ticket"))
    if reading.burn_rate > threshold:
        return "danger" if level == "page" else "warning"
    return None


def _burn_tooltip(reading: WindowReading | None, slo_objective: float) -> str:
    if reading is None:
        return ""
    lines = [f"Error ratio over {reading.window}: {percent_text(reading.error_ratio, 4)}"]
    lines.append(f"Budget allows {100 - slo_objective:g} % errors")
    if reading.requests is not None:
        lines.append(f"{reading.requests:,.0f} requests in the window")
    if not reading.enough_traffic:
        lines.append("Too few requests for the ratio to mean much; not used for alerts.")
    return "\n".join(lines)


def _burn_column(window: str) -> Column[SloStatus]:
    return Column(
        f"Burn\n{window}",  # two-line headers leave the SLO name room
        lambda s, _now: burn_text(s.reading(window)),
        sort=lambda s, _now: _burn_sort(s.reading(window)),
        tone=lambda s: _burn_tone(s.reading(window)),
        tooltip=lambda s, _now: _burn_tooltip(s.reading(window), s.slo.objective_percent),
        numeric=True,
    )


def _burn_sort(reading: WindowReading | None) -> float:
    if reading is None or not reading.enough_traffic or math.isnan(reading.burn_rate):
        return -1.0  # below every real burn rate: sorted descending, they come last
    return reading.burn_rate


def budget_text(status: SloStatus) -> str:
    left = status.budget_remaining
    if math.isnan(left):
        return NO_DATA
    return f"{left * 100:.1f} %"  # below zero: overspent (in red, and the tooltip says so)


def _budget_tone(status: SloStatus) -> str | None:
    left = status.budget_remaining
    if math.isnan(left):
        return "unknown"
    return "danger" if left <= 0 else "warning" if left < LOW_BUDGET else "ok"


def _budget_tooltip(status: SloStatus) -> str:
    period = status.slo.period
    if status.budget_remaining < 0:
        return f"The error budget for the last {period} is overspent."
    return f"Of the error budget for the last {period}."


def sli_text(status: SloStatus) -> str:
    reading = status.reading("5m")
    if reading is not None and not reading.enough_traffic:
        return INSUFFICIENT_TRAFFIC
    return percent_text(status.sli_now, 3)


def exhaustion_text(status: SloStatus) -> str:
    hour = status.reading("1h")
    if hour is not None and not hour.enough_traffic:
        return INSUFFICIENT_TRAFFIC
    found = status.exhaustion
    return NO_DATA if found is None else str(found)


def _exhaustion_sort(status: SloStatus) -> float:
    found = status.exhaustion
    if found is None:
        return LAST
    return LAST / 2 if found.seconds is None else found.seconds  # never: after every time


def _alert_tooltip(status: SloStatus) -> str:
    if status.from_rules:
        return "From the cluster's burn-rate alert rules (Sloth's, as ALERTS shows them)."
    return "Computed here, as the cluster has no alert rules for this SLO: " + RULES_EXPLAINED


def _slo_tooltip(status: SloStatus) -> str:
    slo = status.slo
    source = (
        "Read from the cluster's SLO recording rules."
        if status.from_rules
        else "Computed from the SLO's SLI queries (the cluster records no slo:* series for it)."
    )
    return "\n".join(line for line in (slo.description, f"id: {slo.id}", source) if line)


def _columns() -> list[Column[SloStatus]]:
    return [
        Column(
            "SLO",
            lambda s, _now: f"{s.slo.service} · {s.slo.name}",
            tooltip=lambda s, _now: _slo_tooltip(s),
        ),
        Column(
            "Objective",
            lambda s, _now: f"{s.slo.objective_percent:g} %",
            sort=lambda s, _now: s.slo.objective_percent,
            numeric=True,
        ),
        Column(
            "Period",
            lambda s, _now: s.slo.period,
            sort=lambda s, _now: s.slo.period_seconds,
            numeric=True,
        ),
        Column(
            "SLI\nnow",
            lambda s, _now: sli_text(s),
            sort=lambda s, _now: -1.0 if math.isnan(s.sli_now) else s.sli_now,
            tooltip=lambda s, _now: "Good events over the last 5 minutes.",
            numeric=True,
        ),
        Column(
            "Budget\nleft",
            lambda s, _now: budget_text(s),
            sort=lambda s, _now: LAST if math.isnan(s.budget_remaining) else s.budget_remaining,
            tone=_budget_tone,
            tooltip=lambda s, _now: _budget_tooltip(s),
            numeric=True,
        ),
        *(_burn_column(w) for w in TABLE_WINDOWS),
        Column(
            "Alert",
            lambda s, _now: s.alert,
            sort=lambda s, _now: {"page": 0, "ticket": 1}.get(s.alert, 2),
            tone=lambda s: ALERT_TONES.get(s.alert),
            tooltip=lambda s, _now: _alert_tooltip(s),
        ),
        Column(
            "Exhausted\nin",
            lambda s, _now: exhaustion_text(s),
            sort=lambda s, _now: _exhaustion_sort(s),
            tooltip=lambda s, _now: (
                "When the budget runs out if the last hour's burn rate goes on; "
                "never at a burn rate of 1× or less."
            ),
            numeric=True,
        ),
    ]


class SloTableModel(KeyedRowsModel[SloStatus]):
    """One row an SLO (keyed by its id); the item role holds its :class:`SloStatus`."""

    def __init__(self, colours: StatusColours, parent: QObject | None = None) -> None:
        super().__init__(_columns(), lambda s: s.slo.id, colours, parent=parent)


class SloSortModel(QSortFilterProxyModel):
    """Sorts by the numbers behind the text and filters by service or SLO name."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(0)
        self.setDynamicSortFilter(True)

    def status_at(self, row: int) -> SloStatus | None:
        item = self.index(row, 0).data(ITEM_ROLE)
        return item if isinstance(item, SloStatus) else None
