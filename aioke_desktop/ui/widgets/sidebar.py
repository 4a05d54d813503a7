"""The sidebar: one entry a page, with its keyboard shortcut in the tooltip."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget


class Sidebar(QListWidget):
    """A fixed list of page titles (the pages themselves hold no state here).

    Signals:
        page_chosen(int): the user selected the page at this index.
    """

    page_chosen = Signal(int)

    def __init__(self, titles: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setAccessibleName("Pages")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self.setFrameShape(QListWidget.Shape.NoFrame)
        self.setStyleSheet(
            "QListWidget#sidebar { padding-top: 8px; outline: 0; }"
            "QListWidget#sidebar::item { padding-left: 14px; }"
        )
        for number, title in enumerate(titles, start=1):
            item = QListWidgetItem(title)
            item.setSizeHint(QSize(0, 32))
            if number <= 9:
                item.setToolTip(f"{title} (Ctrl+{number})")
            self.addItem(item)
        width = max(self.sizeHintForColumn(0), 120) + 48
        self.setFixedWidth(width)
        self.currentRowChanged.connect(self._row_changed)

    def select(self, index: int) -> None:
        """Highlight ``index`` without emitting ``page_chosen``."""
        self.blockSignals(True)
        self.setCurrentRow(index)
        self.blockSignals(False)

    def _row_changed(self, row: int) -> None:
        if row >= 0:
            self.page_chosen.emit(row)
