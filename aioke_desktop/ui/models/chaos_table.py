"""The chaos runs table: what is being hurt, until when (a live countdown), under which guard
and how it ended."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt

from ...api.chaos_view import GuardReading
from ...core.chaos import ChaosRun
from ..theme import StatusColours
from .rows import ITEM_ROLE, SORT_ROLE, Column, KeyedRowsModel, clock_text, countdown, parse_time

STATE_WORDS = {
    "running": "Running",
    "completed": "Completed",
    "aborted": "Aborted",
    "auto_aborted": "Auto-aborted",
    "dry_run": "Dry run",
}
# A running fault is harm in progress; an auto-abort means a guard saw damage.
STATE_TONES = {
    "running": "danger",
    "completed": "ok",
    "aborted": "warning",
    "auto_aborted": "danger",
    "dry_run": "unknown",
}
MISSING = float("inf")


def state_word(state: str) -> str:
    return STATE_WORDS.get(state, state.replace("_", " ").capitalize())


def guard_text(guard: Mapping[str, Any]) -> str:
    """A stored guard in a few words: "checkout/availability burn > 14.4x; PromQL > 0.05"."""
    parts = []
    if guard.get("slo"):
        burn = guard.get("max_burn_rate")
        parts.append(f"{guard['slo']} burn > {burn:g}×" if burn else f"{guard['slo']}")
    if guard.get("expr"):
        comparison = guard.get("comparison") or ">"
        threshold = guard.get("threshold")
        limit = f" {comparison} {threshold:g}" if isinstance(threshold, int | float) else ""
        parts.append(f"PromQL{limit}")
    return "; ".join(parts) or "none"


def _guard_tooltip(run: ChaosRun, _now: float) -> str:
    expr = run.guard.get("expr")
    return f"Guard expression: {expr}" if expr else ""


def seconds_left(run: ChaosRun, now: float) -> float | None:
    """Seconds until a running fault ends by itself; None once it has ended."""
    ends = parse_time(run.ends_at)
    if not run.active or ends is None:
        return None
    return max(0.0, ends - now)


def _ends_in(run: ChaosRun, now: float) -> str:
    left = seconds_left(run, now)
    if left is None:
        ended = parse_time(run.ended_at)
        return "—" if ended is None else f"ended {clock_text(ended)}"
    return "ending…" if left <= 0 else countdown(left)


def outcome_text(run: ChaosRun) -> str:
    if run.active:
        return run.summary
    reason = run.end_reason or ""
    if run.state == "auto_aborted" and run.observed_value is not None:
        reason += f" (saw {run.observed_value:g})"
    return reason or run.summary


COLUMNS: tuple[Column[ChaosRun], ...] = (
    Column(
        "State",
        lambda r, _: f"● {state_word(r.state)}",
        sort=lambda r, _: 0 if r.active else 1,
        tone=lambda r: STATE_TONES.get(r.state),
    ),
    Column("Fault", lambda r, _: r.fault, tooltip=lambda r, _: r.summary),
    Column("Target", lambda r, _: r.target),
    Column(
        "Blast radius",
        lambda r, _: "—" if r.blast_radius_percent is None else f"{r.blast_radius_percent:g} %",
        sort=lambda r, _: r.blast_radius_percent or 0.0,
        numeric=True,
    ),
    Column(
        "Started",
        lambda r, _: clock_text(parse_time(r.started_at)),
        sort=lambda r, _: parse_time(r.started_at) or 0.0,
    ),
    Column(
        "Ends in",
        _ends_in,
        sort=lambda r, now: MISSING if (left := seconds_left(r, now)) is None else left,
        tone=lambda r: "danger" if r.active else None,
        timed=True,
    ),
    Column("Guard", lambda r, _: guard_text(r.guard), tooltip=_guard_tooltip),
    Column("Guard now", lambda r, _: "—"),  # filled in by ChaosRunsModel from readings
    Column("Who", lambda r, _: r.created_by or "—"),
    Column("Outcome", lambda r, _: outcome_text(r), tooltip=lambda r, _: outcome_text(r)),
)
ENDS_IN_COLUMN = 5
GUARD_NOW_COLUMN = 7


class ChaosRunsModel(KeyedRowsModel[ChaosRun]):
    """Chaos runs, newest first as the server lists them, keyed by id; the live guard
    readings of running runs come from :meth:`set_readings`."""

    def __init__(
        self,
        colours: StatusColours,
        now: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(COLUMNS, lambda r: r.id, colours, now, parent)
        self._readings: dict[str, GuardReading] = {}

    def set_readings(self, readings: Mapping[str, GuardReading]) -> None:
        if dict(readings) == self._readings:
            return
        self._readings = dict(readings)
        if self.rowCount():
            last = self.rowCount() - 1
            self.dataChanged.emit(
                self.index(0, GUARD_NOW_COLUMN), self.index(last, GUARD_NOW_COLUMN)
            )

    def reading(self, run_id: str) -> GuardReading | None:
        return self._readings.get(run_id)

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and index.column() == GUARD_NOW_COLUMN:
            run = self.item(index.row()) if index.row() < self.rowCount() else None
            reading = None if run is None or not run.active else self._readings.get(run.id)
            if role == Qt.ItemDataRole.DisplayRole:
                return "—" if reading is None else reading.text
            if role == Qt.ItemDataRole.ForegroundRole:
                return self.colour("danger") if reading and reading.breaching else None
        return super().data(index, role)


class RunFilter(QSortFilterProxyModel):
    """Running runs only, or every run."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.running_only = False
        self.setSortRole(SORT_ROLE)

    def set_running_only(self, on: bool) -> None:
        self.beginFilterChange()
        self.running_only = on
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent: object) -> bool:  # noqa: N802 - Qt API
        if not self.running_only:
            return True
        run = self.sourceModel().index(row, 0).data(ITEM_ROLE)
        return isinstance(run, ChaosRun) and run.active
