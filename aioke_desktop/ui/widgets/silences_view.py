"""The Alerts page's Silences tab: every silence, who made it and why, and Expire."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...core.alerts import Silence
from ...runtime.session import Session
from ..models.rows import ITEM_ROLE
from ..models.silences_table import (
    COMMENT_COLUMN,
    MATCHES_COLUMN,
    SilenceFilter,
    SilencesTableModel,
)
from ..role_gate import gate_by_role
from ..theme import StatusColours

WIDEST_COLUMN = 260  # px; longer cells are elided (their tooltip has it all)


def plain_table(model: QSortFilterProxyModel, parent: QWidget) -> QTableView:
    """A sortable, single-row-selecting table without row numbers."""
    table = QTableView(parent)
    table.setModel(model)
    table.setSortingEnabled(True)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return table


def fit_columns(table: QTableView) -> None:
    """Columns as wide as their contents, none wider than :data:`WIDEST_COLUMN`."""
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    for column in range(header.count() - 1):
        header.resizeSection(column, min(header.sectionSize(column), WIDEST_COLUMN))


class SilencesView(QWidget):
    """The silences Alertmanager keeps (expired ones on request), and Expire.

    Signals:
        expire_requested(Silence): Expire was clicked with this silence selected.
    """

    expire_requested = Signal(object)

    def __init__(
        self, session: Session, colours: StatusColours, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = SilencesTableModel(colours, parent=self)
        self.proxy = SilenceFilter(self)
        self.proxy.setSourceModel(self.model)
        self.show_expired = QCheckBox("Show expired", self)
        self.show_expired.toggled.connect(self.proxy.set_show_expired)
        self.expire_button = QPushButton("Expire", self)
        self.expire_button.setToolTip("End the selected silence now.")
        self.expire_button.clicked.connect(self._expire)
        self.table = plain_table(self.proxy, self)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        # Short cells fit their contents (also while the tab is hidden); the matchers and
        # the comment get a fixed share and a tooltip with the whole text.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for column, width in ((MATCHES_COLUMN, WIDEST_COLUMN + 60), (COMMENT_COLUMN, 220)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.gate = gate_by_role(self.expire_button, session, "operator", when=self._why_not)
        self.table.selectionModel().selectionChanged.connect(self.gate.update)
        row = QHBoxLayout()
        row.addWidget(self.show_expired)
        row.addStretch(1)
        row.addWidget(self.expire_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)

    def show_silences(self, silences: list[Silence]) -> int:
        """Show ``silences``; how many are active."""
        self.model.replace(silences)
        self.gate.update()
        return sum(1 for s in silences if s.active)

    def selected(self) -> Silence | None:
        rows = self.table.selectionModel().selectedRows()
        silence = rows[0].data(ITEM_ROLE) if rows else None
        return silence if isinstance(silence, Silence) else None

    def select(self, silence_id: str) -> None:
        row = self.model.row_of(silence_id)
        if row is not None:
            self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())

    def _why_not(self) -> str | None:
        silence = self.selected()
        if silence is None:
            return "Select a silence first."
        return None if silence.state != "expired" else "This silence has already ended."

    def _expire(self) -> None:
        silence = self.selected()
        if silence is not None:
            self.expire_requested.emit(silence)
