"""A table as tall as its rows: no empty grey below a short table, no scroll bar on one
that would fit. Layouts and splitters read the height from its size hint, so nothing
changes the window's minimum size when the rows do."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QSizePolicy, QTableView, QWidget


class FittedTable(QTableView):
    """A table as tall as its rows (up to ``MOST_ROWS``, then it scrolls): no empty grey
    below a short table, and no scroll bar on one that would fit."""

    MOST_ROWS = 12

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        hint = super().sizeHint()
        rows = min(self.model().rowCount(), self.MOST_ROWS) if self.model() else 0
        height = self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth()
        height += sum(self.rowHeight(row) for row in range(rows))
        return QSize(hint.width(), height)
