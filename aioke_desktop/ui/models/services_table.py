"""The overview's table: a row per service with its golden signals and SLO budget.

A :class:`ServicesTableModel` adapts plain :class:`ServiceRow` values; :meth:`set_rows`
inserts, removes and updates rows one by one with role-specific ``dataChanged`` so that
selection and scroll position survive every refresh. :class:`ServicesProxy` sorts by the
numbers (a missing one always last) and filters by service name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from ..charts.sparkline import TREND_ROLE
from ..charts.units import NO_VALUE, Unit, format_value
from ..theme import LIGHT, StatusColours
from .service_health import ServiceRow, SloState, slo_state

Index = QModelIndex | QPersistentModelIndex

SERVICE_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3


@dataclass(frozen=True)
class Column:
    title: str
    unit: Unit | None
    tip: str


COLUMNS = (
    Column("Service", None, "The service; the dot is its SLO state"),
    Column("Traffic", Unit.PER_SECOND, "Requests per second"),
    Column("Errors", Unit.PERCENT, "Share of requests answered with a 5xx"),
    Column("p50", Unit.MS, "Median latency"),
    Column("p95", Unit.MS, "95th percentile latency"),
    Column("p99", Unit.MS, "99th percentile latency"),
    Column("Saturation", Unit.PERCENT, "The fullest of cpu, memory and request queue"),
    Column("SLO budget", Unit.PERCENT, "Error budget left over the SLO's period"),
)
ERRORS_COLUMN, BUDGET_COLUMN = 2, 7


DATA_ROLES = [
    Qt.ItemDataRole.DisplayRole,
    SORT_ROLE,
    TREND_ROLE,
    Qt.ItemDataRole.ToolTipRole,
]
STATE_ROLES = [
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.ToolTipRole,
    STATE_ROLE,
]
ALL_ROLES = DATA_ROLES + [role for role in STATE_ROLES if role not in DATA_ROLES]


class ServicesTableModel(QAbstractTableModel):
    """Rows of :class:`ServiceRow`, keyed by service name."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ServiceRow] = []
        self._colours = LIGHT

    @property
    def rows(self) -> list[ServiceRow]:
        return list(self._rows)

    def row_of(self, service: str) -> int:
        """The row of ``service``, or -1."""
        for number, row in enumerate(self._rows):
            if row.service == service:
                return number
        return -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section].tip
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if column == 0:
            return self._name_data(row, role)
        value = row.values[column - 1] if column - 1 < len(row.values) else math.nan
        unit = COLUMNS[column].unit or Unit.PERCENT
        if role == Qt.ItemDataRole.DisplayRole:
            return format_value(value, unit)
        if role == SORT_ROLE:
            return value
        if role == TREND_ROLE:
            return row.trends[column - 1] if column - 1 < len(row.trends) else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column in (ERRORS_COLUMN, BUDGET_COLUMN):
            return self._state_colour(row.state)
        if role == Qt.ItemDataRole.ToolTipRole:
            if math.isnan(value):
                return "No data: Prometheus has no recent value for this."
            if column == BUDGET_COLUMN and row.slo:
                return f"{row.slo}: {format_value(value, Unit.PERCENT)} of the error budget left"
        if role == STATE_ROLE:
            return row.state.value
        return None

    def _name_data(self, row: ServiceRow, role: int) -> object:
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE, SERVICE_ROLE):
            return row.service
        if role == Qt.ItemDataRole.DecorationRole:
            return self._state_colour(row.state) or QColor(self._colours.unknown)
        if role == Qt.ItemDataRole.ToolTipRole:
            why = row.reason or row.slo  # the SLO that decided the state, and why
            return f"{row.service}: SLO {row.state.value}" + (f" ({why})" if why else "")
        if role == STATE_ROLE:
            return row.state.value
        return None

    def _state_colour(self, state: SloState) -> QColor | None:
        colour = {
            SloState.EXHAUSTED: self._colours.danger,
            SloState.BURNING: self._colours.warning,
            SloState.OK: self._colours.ok,
        }.get(state)
        return QColor(colour) if colour else None

    def set_colours(self, colours: StatusColours) -> None:
        """Follow the theme (the state colours differ between light and dark)."""
        self._colours = colours
        if self._rows:
            last = self.index(len(self._rows) - 1, len(COLUMNS) - 1)
            self.dataChanged.emit(self.index(0, 0), last, STATE_ROLES)

    def set_rows(self, rows: Sequence[ServiceRow]) -> None:
        """Show ``rows``: gone services are removed, new ones appended, others updated."""
        wanted = {row.service: row for row in rows}
        for number in reversed(range(len(self._rows))):
            if self._rows[number].service not in wanted:
                self.beginRemoveRows(QModelIndex(), number, number)
                del self._rows[number]
                self.endRemoveRows()
        for number, old in enumerate(self._rows):
            self._replace(number, wanted.pop(old.service))
        fresh = [row for row in rows if row.service in wanted]
        if fresh:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._rows.extend(fresh)
            self.endInsertRows()

    def set_row(self, row: ServiceRow) -> bool:
        """Update the row of ``row.service`` alone (a refresh can then repaint the table a
        row a turn); False when the table has no such row."""
        number = self.row_of(row.service)
        if number >= 0:
            self._replace(number, row)
        return number >= 0

    def _replace(self, number: int, new: ServiceRow) -> None:
        """Only the roles that changed, of only the columns that changed, are announced:
        a view repaints no more than that."""
        old, self._rows[number] = self._rows[number], new
        if new.state is not old.state or (new.slo, new.reason) != (old.slo, old.reason):
            last_column = len(COLUMNS) - 1
            roles = STATE_ROLES if new.same_numbers(old) else ALL_ROLES
            self.dataChanged.emit(self.index(number, 0), self.index(number, last_column), roles)
        elif not new.same_numbers(old):
            self.dataChanged.emit(
                self.index(number, 1), self.index(number, len(COLUMNS) - 1), DATA_ROLES
            )


class ServicesProxy(QSortFilterProxyModel):
    """Sorts by number (a missing value last in either order) and filters by name."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterKeyColumn(0)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def lessThan(self, left: Index, right: Index) -> bool:  # noqa: N802 - Qt API
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if isinstance(a, float) and isinstance(b, float):
            if math.isnan(a) or math.isnan(b):
                # Missing values sink to the bottom whichever way the column is sorted (a
                # descending sort asks lessThan(right, left)).
                if self.sortOrder() == Qt.SortOrder.DescendingOrder:
                    return math.isnan(a) and not math.isnan(b)
                return math.isnan(b) and not math.isnan(a)
            return a < b
        return str(a) < str(b)


__all__ = [
    "COLUMNS",
    "NO_VALUE",
    "SERVICE_ROLE",
    "SORT_ROLE",
    "STATE_ROLE",
    "ServiceRow",
    "ServicesProxy",
    "ServicesTableModel",
    "SloState",
    "slo_state",
]
