"""Audit rows on the left, the selected row's before → after on the right.

The Audit page shows the whole log this way, and the Flags page one flag's history.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSplitter,
    QTableView,
    QTextBrowser,
    QWidget,
)

from ...core.activity import AuditEntry
from ..dialogs.compare import changes_html, field_changes
from ..models.audit_table import AuditFilter, AuditTableModel
from ..models.rows import ITEM_ROLE
from ..theme import StatusColours
from ..when import local_time_text

NOTHING_SELECTED = "Select a row to see what it changed."


class AuditView(QSplitter):
    """A sortable audit table (newest first) and the details of the selected row.

    Args:
        colours: the theme's status colours.
        hidden_columns: column titles not worth a column here ("Resource" in a history).
    """

    def __init__(
        self,
        colours: StatusColours,
        parent: QWidget | None = None,
        *,
        hidden_columns: tuple[str, ...] = (),
    ) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._colours = colours
        self.model = AuditTableModel(colours, parent=self)
        self.proxy = AuditFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for title in hidden_columns:
            titles = [c.title for c in self.model.columns]
            self.table.setColumnHidden(titles.index(title), True)
        for column, width in enumerate((56, 118, 140, 110, 190)):
            self.table.setColumnWidth(column, width)
        self.details = QTextBrowser(self)
        self.details.setPlaceholderText(NOTHING_SELECTED)
        self.addWidget(self.table)
        self.addWidget(self.details)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.proxy.modelReset.connect(self._show_selected)

    def selected(self) -> AuditEntry | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        entry = rows[0].data(ITEM_ROLE)
        return entry if isinstance(entry, AuditEntry) else None

    def set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        self.model.set_colours(colours)
        self._show_selected()

    def _selected(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        entry = self.selected()
        self.details.setHtml("" if entry is None else entry_html(entry, self._colours))


def entry_html(entry: AuditEntry, colours: StatusColours) -> str:
    """One audit row: who did what to what, when, and every field it changed."""
    changes = field_changes(entry.before, entry.after)
    heading = (
        f"<p><b>#{entry.seq} {html.escape(entry.action)}</b> on "
        f"<b>{html.escape(entry.resource)}</b><br>"
        f"by {html.escape(entry.actor)} at {html.escape(local_time_text(entry.time))} "
        f"<span style='color:{colours.muted_text}'>({html.escape(entry.time)})</span></p>"
    )
    request = (
        f"<p style='color:{colours.muted_text}'>Request {html.escape(entry.request_id)}</p>"
        if entry.request_id
        else ""
    )
    if entry.before is None and entry.after is None:
        body = "<p>This action records no before or after.</p>"
    else:
        body = changes_html(changes, colours)
    return heading + body + request
