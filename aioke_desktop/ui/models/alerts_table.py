"""The alerts table: one row an alert, in Alertmanager's groups, worst first within a group."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel

from ...core.alert_state import AlertStatus, CurrentAlert, Severity
from ..theme import StatusColours
from .rows import ITEM_ROLE, SORT_ROLE, Column, KeyedRowsModel, clock_text, countdown

SEVERITY_TONES = {Severity.CRITICAL: "danger", Severity.WARNING: "warning"}
STATUS_TONES = {
    AlertStatus.FIRING: "danger",
    AlertStatus.PENDING: "warning",
    AlertStatus.SILENCED: "unknown",
    AlertStatus.INHIBITED: "unknown",
}
MISSING = float("inf")


def since_text(alert: CurrentAlert, now: float) -> str:
    if alert.since is None:
        return "—"
    return f"{clock_text(alert.since)} ({countdown(now - alert.since)})"


def labels_text(alert: CurrentAlert) -> str:
    return ", ".join(f"{k}={v}" for k, v in alert.other_labels().items())


def _state_text(alert: CurrentAlert) -> str:
    if alert.status is AlertStatus.SILENCED:
        return f"Silenced ({len(alert.silenced_by)})" if len(alert.silenced_by) > 1 else "Silenced"
    return alert.status.word


def _state_tooltip(alert: CurrentAlert, _now: float) -> str:
    if alert.silenced_by:
        return "Silenced by " + ", ".join(alert.silenced_by)
    if alert.inhibited_by:
        return "Inhibited by " + ", ".join(alert.inhibited_by)
    if alert.status is AlertStatus.PENDING:
        return "Its condition holds, but not yet for as long as the rule's 'for:' asks."
    return ""


def _severity_word(alert: CurrentAlert) -> str:
    return alert.severity_text or alert.severity.word


COLUMNS: tuple[Column[CurrentAlert], ...] = (
    Column("Group", lambda a, _: a.group),  # sorted by the server's order: see AlertsTableModel
    Column(
        "Severity",
        lambda a, _: f"● {_severity_word(a)}",
        sort=lambda a, _: -int(a.severity),
        tone=lambda a: SEVERITY_TONES.get(a.severity) if a.firing else "unknown",
    ),
    Column("Alert", lambda a, _: a.name, tooltip=lambda a, _: a.summary),
    Column(
        "State",
        lambda a, _: _state_text(a),
        sort=lambda a, _: list(AlertStatus).index(a.status),
        tone=lambda a: STATUS_TONES[a.status],
        tooltip=_state_tooltip,
    ),
    Column(
        "Since",
        since_text,
        sort=lambda a, _: MISSING if a.since is None else a.since,
        timed=True,
    ),
    Column("Summary", lambda a, _: a.summary, tooltip=lambda a, _: a.summary),
    Column(
        "Runbook",
        lambda a, _: a.runbook.runbook_id if a.runbook else "—",
        tooltip=lambda a, _: "Select the alert and choose Run runbook" if a.runbook else "",
    ),
    Column("Labels", lambda a, _: labels_text(a), tooltip=lambda a, _: labels_text(a)),
)
GROUP_COLUMN, SEVERITY_COLUMN, NAME_COLUMN, STATE_COLUMN = 0, 1, 2, 3


class AlertsTableModel(KeyedRowsModel[CurrentAlert]):
    """Every current alert, keyed by its identity; the Group column sorts in the server's
    group order, then worst first, then oldest first."""

    def __init__(
        self,
        colours: StatusColours,
        now: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(COLUMNS, lambda a: a.key, colours, now, parent)
        self._group_order: dict[str, int] = {}

    def replace(self, items: Sequence[CurrentAlert]) -> None:
        self._group_order = {g: n for n, g in enumerate(dict.fromkeys(a.group for a in items))}
        super().replace(items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if (
            role == SORT_ROLE
            and index.isValid()
            and index.column() == GROUP_COLUMN
            and index.row() < self.rowCount()
        ):
            alert = self.item(index.row())
            rank = self._group_order.get(alert.group, len(self._group_order))
            return f"{rank:06d}|{9 - int(alert.severity)}|{alert.since or 0:017.3f}"
        return super().data(index, role)


class AlertFilter(QSortFilterProxyModel):
    """Filters by text (name, summary, labels), by state and by least severity."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.states: frozenset[AlertStatus] = frozenset(AlertStatus)
        self.least_severity = Severity.NONE
        self.group = ""
        self.text = ""
        self.setSortRole(SORT_ROLE)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self.text = text.strip().lower()
        self.endFilterChange()

    def set_states(self, states: frozenset[AlertStatus]) -> None:
        self.beginFilterChange()
        self.states = states
        self.endFilterChange()

    def set_least_severity(self, severity: Severity) -> None:
        self.beginFilterChange()
        self.least_severity = severity
        self.endFilterChange()

    def set_group(self, group: str) -> None:
        self.beginFilterChange()
        self.group = group
        self.endFilterChange()

    def filterAcceptsRow(  # noqa: N802 - Qt API
        self, row: int, parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        alert = self.sourceModel().index(row, 0, parent).data(ITEM_ROLE)
        if not isinstance(alert, CurrentAlert):
            return False
        if alert.status not in self.states or alert.severity < self.least_severity:
            return False
        if self.group and alert.group != self.group:
            return False
        if not self.text:
            return True
        text = " ".join([alert.name, alert.summary, alert.group, labels_text(alert)]).lower()
        return self.text in text
