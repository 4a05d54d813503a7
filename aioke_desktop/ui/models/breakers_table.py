"""The breakers table: one row an edge, its state in colour, rates against thresholds, and
the times that count down (next half-open, the end of a forced state)."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt

from ...core.breakers import Breaker
from ..theme import StatusColours
from .rows import (
    ITEM_ROLE,
    SORT_ROLE,
    Column,
    KeyedRowsModel,
    clock_text,
    countdown,
    parse_time,
    percent,
)

STATE_WORDS = {
    "CLOSED": "Closed",
    "OPEN": "Open",
    "HALF_OPEN": "Half-open",
    "FORCED_OPEN": "Forced open",
    "DISABLED": "Disabled",
}
# Open and forced open stop calls; half-open lets a few through; disabled protects nothing.
STATE_TONES = {
    "CLOSED": "ok",
    "OPEN": "danger",
    "HALF_OPEN": "warning",
    "FORCED_OPEN": "danger",
    "DISABLED": "warning",
}
_SEVERITY = {"FORCED_OPEN": 0, "OPEN": 1, "HALF_OPEN": 2, "DISABLED": 3, "CLOSED": 4}
FORCED_STATES = ("FORCED_OPEN", "DISABLED")
MISSING = float("inf")  # sorts after every number, ascending


def state_word(state: str) -> str:
    return STATE_WORDS.get(state, state.replace("_", " ").capitalize())


def _threshold(breaker: Breaker, name: str) -> float | None:
    value = breaker.thresholds.get(name)
    return float(value) if isinstance(value, int | float) else None


def _rate_tone(breaker: Breaker, rate: float | None, threshold_name: str) -> str | None:
    limit = _threshold(breaker, threshold_name)
    if rate is None or limit is None:
        return None
    if rate >= limit:
        return "danger"
    return "warning" if rate >= 0.8 * limit else None


def thresholds_text(breaker: Breaker) -> str:
    failure = _threshold(breaker, "failure_rate_threshold")
    slow = _threshold(breaker, "slow_call_rate_threshold")
    slow_after = _threshold(breaker, "slow_call_duration_seconds")
    parts = []
    if failure is not None:
        parts.append(f"fail ≥ {failure:g} %")
    if slow is not None:
        parts.append(f"slow ≥ {slow:g} %" + (f" (> {slow_after:g} s)" if slow_after else ""))
    return ", ".join(parts) or "—"


def thresholds_tooltip(breaker: Breaker, _now: float) -> str:
    t = breaker.thresholds
    if not t:
        return ""
    return (
        f"Opens when, over the last {t.get('sliding_window_size', '?')} calls (at least "
        f"{t.get('minimum_number_of_calls', '?')}), {t.get('failure_rate_threshold', '?')} % "
        f"fail or {t.get('slow_call_rate_threshold', '?')} % take longer than "
        f"{t.get('slow_call_duration_seconds', '?')} s. Stays open "
        f"{t.get('wait_duration_in_open_seconds', '?')} s, then lets "
        f"{t.get('permitted_calls_in_half_open', '?')} trial calls through."
    )


def _open_since(breaker: Breaker, now: float) -> str:
    if breaker.state == "CLOSED":
        return "—"
    since = parse_time(breaker.opened_at) or parse_time(breaker.changed_at)
    if since is None:
        return "—"
    return f"{clock_text(since)} ({countdown(now - since)})"


def _open_since_sort(breaker: Breaker, _now: float) -> float:
    if breaker.state == "CLOSED":
        return MISSING
    return parse_time(breaker.opened_at) or parse_time(breaker.changed_at) or MISSING


def _next_half_open(breaker: Breaker, now: float) -> str:
    at = parse_time(breaker.next_half_open_at)
    if at is None or breaker.state != "OPEN":
        return "—"
    return "due now" if at <= now else f"in {countdown(at - now)}"


def forced_left(breaker: Breaker, now: float) -> float | None:
    """Seconds until a forced state ends by itself, or None when it is not forced."""
    until = parse_time(breaker.forced_until)
    if until is None or breaker.state not in FORCED_STATES:
        return None
    return max(0.0, until - now)


def _forced_until(breaker: Breaker, now: float) -> str:
    left = forced_left(breaker, now)
    if left is None:
        return "—"
    return "reverting…" if left <= 0 else f"{countdown(left)} left"


def _forced_tooltip(breaker: Breaker, _now: float) -> str:
    until = parse_time(breaker.forced_until)
    if until is None or breaker.state not in FORCED_STATES:
        return ""
    last = breaker.last_transition
    why = f" Forced by {last.actor or 'the cluster'}: {last.reason}." if last else ""
    return f"Ends by itself at {clock_text(until)}.{why}"


def _state_tooltip(breaker: Breaker, _now: float) -> str:
    last = breaker.last_transition
    if last is None:
        return ""
    who = last.actor or "by itself"
    changed = parse_time(last.time)
    move = f"{state_word(last.from_state)} → {state_word(last.to_state)}"
    return f"{move} at {clock_text(changed)}, {who}: {last.reason}"


COLUMNS: tuple[Column[Breaker], ...] = (
    Column("Edge", lambda b, _: f"{b.caller} → {b.callee}", sort=lambda b, _: b.name),
    Column(
        "State",
        lambda b, _: f"● {state_word(b.state)}",
        sort=lambda b, _: _SEVERITY.get(b.state, 9),
        tone=lambda b: STATE_TONES.get(b.state),
        tooltip=_state_tooltip,
    ),
    Column(
        "Failure rate",
        lambda b, _: percent(b.failure_rate),
        sort=lambda b, _: MISSING if b.failure_rate is None else b.failure_rate,
        tone=lambda b: _rate_tone(b, b.failure_rate, "failure_rate_threshold"),
        numeric=True,
    ),
    Column(
        "Slow calls",
        lambda b, _: percent(b.slow_call_rate),
        sort=lambda b, _: MISSING if b.slow_call_rate is None else b.slow_call_rate,
        tone=lambda b: _rate_tone(b, b.slow_call_rate, "slow_call_rate_threshold"),
        numeric=True,
    ),
    Column(
        "Calls in window",
        lambda b, _: str(b.calls_in_window),
        sort=lambda b, _: float(b.calls_in_window),
        numeric=True,
    ),
    Column("Thresholds", lambda b, _: thresholds_text(b), tooltip=thresholds_tooltip),
    Column("Open since", _open_since, sort=_open_since_sort, timed=True),
    Column(
        "Next half-open",
        _next_half_open,
        sort=lambda b, _: parse_time(b.next_half_open_at) or MISSING,
        timed=True,
    ),
    Column(
        "Forced until",
        _forced_until,
        sort=lambda b, now: MISSING if (left := forced_left(b, now)) is None else left,
        tone=lambda b: "danger" if b.state in FORCED_STATES else None,
        tooltip=_forced_tooltip,
        timed=True,
    ),
)
STATE_COLUMN = 1
THRESHOLDS_COLUMN = 5
FORCED_COLUMN = 8


class BreakersTableModel(KeyedRowsModel[Breaker]):
    """Every breaker, keyed by its name (``caller->callee``)."""

    def __init__(
        self,
        colours: StatusColours,
        now: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(COLUMNS, lambda b: b.name, colours, now, parent)


class BreakerFilter(QSortFilterProxyModel):
    """Filters by text in the edge and by state ("not closed", "forced")."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.state_filter = ""
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(0)

    def set_state_filter(self, which: str) -> None:
        self.beginFilterChange()
        self.state_filter = which
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent: object) -> bool:  # noqa: N802 - Qt API
        breaker = self.sourceModel().index(row, 0).data(ITEM_ROLE)
        if isinstance(breaker, Breaker):
            if self.state_filter == "not-closed" and breaker.state == "CLOSED":
                return False
            if self.state_filter == "forced" and breaker.state not in FORCED_STATES:
                return False
        return super().filterAcceptsRow(row, parent)  # type: ignore[arg-type]
