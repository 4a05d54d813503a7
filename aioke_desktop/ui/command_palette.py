"""The command palette (Ctrl+K): type a few letters, press Enter, go there or do it.

The window registers its pages and actions; later pages register more (services, flags,
runbooks) with :meth:`CommandPalette.replace_group`, so their entries stay current.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsDropShadowEffect,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Command:
    """One palette entry.

    Attributes:
        title: what it does, as the user would say it ("Go to Flags").
        run: called on the GUI thread when chosen.
        group: where it comes from ("Pages", "Actions", "Services"); a group is replaced
            as a whole.
        shortcut: the key that does the same, shown on the right ("Ctrl+5").
        keywords: more words that find it.
    """

    title: str
    run: Callable[[], Any]
    group: str = "Actions"
    shortcut: str = ""
    keywords: str = ""

    def search_text(self) -> str:
        return f"{self.title} {self.group} {self.keywords}".lower()

    def matches(self, words: list[str]) -> bool:
        """True when every typed word starts a word of the entry ("go s" finds Services,
        not every entry with an "s" somewhere)."""
        own = self.search_text().replace(":", " ").split()
        return all(any(w.startswith(typed) for w in own) for typed in words)


class CommandModel(QAbstractListModel):
    """The registered commands, in registration order."""

    CommandRole = Qt.ItemDataRole.UserRole + 1
    SearchTextRole = Qt.ItemDataRole.UserRole + 2
    ShortcutRole = Qt.ItemDataRole.UserRole + 3

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._commands: list[Command] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._commands)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._commands):
            return None
        command = self._commands[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return command.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{command.title} ({command.shortcut})" if command.shortcut else command.title
        if role == self.CommandRole:
            return command
        if role == self.SearchTextRole:
            return command.search_text()
        if role == self.ShortcutRole:
            return command.shortcut
        return None

    def commands(self) -> list[Command]:
        return list(self._commands)

    def add(self, commands: Iterable[Command]) -> None:
        new = list(commands)
        if not new:
            return
        first = len(self._commands)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._commands.extend(new)
        self.endInsertRows()

    def remove_group(self, group: str) -> None:
        """Remove a group's commands, one contiguous block at a time (from the end)."""
        row = len(self._commands) - 1
        while row >= 0:
            if self._commands[row].group != group:
                row -= 1
                continue
            last = row
            while row > 0 and self._commands[row - 1].group == group:
                row -= 1
            self.beginRemoveRows(QModelIndex(), row, last)
            del self._commands[row : last + 1]
            self.endRemoveRows()
            row -= 1


class CommandFilter(QSortFilterProxyModel):
    """Keeps the commands matching every typed word (:meth:`Command.matches`), in order."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []

    def set_query(self, text: str) -> None:
        self.beginFilterChange()
        self._words = text.lower().split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        index = self.sourceModel().index(source_row, 0, source_parent)
        command = index.data(CommandModel.CommandRole)
        return isinstance(command, Command) and command.matches(self._words)


class _ShortcutDelegate(QStyledItemDelegate):
    """Draws the entry, then its shortcut right-aligned in the muted text colour."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + 10)  # room to aim for with a mouse

    def initStyleOption(self, option: QStyleOptionViewItem, index: _Index) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        option.rect = option.rect.adjusted(6, 0, 0, 0)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        super().paint(painter, option, index)
        shortcut = index.data(CommandModel.ShortcutRole)
        if not shortcut:
            return
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = (
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        )
        painter.setPen(option.palette.color(role))
        rect = option.rect.adjusted(0, 0, -10, 0)
        painter.drawText(
            rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, shortcut
        )
        painter.restore()


class CommandPalette(QFrame):
    """A search field over every command; Enter runs the highlighted one, Esc closes.

    An overlay inside the window rather than a window of its own: it opens where the user
    is looking, never fights the window manager for focus, and closes when focus leaves.
    """

    def __init__(self, parent: QWidget, anchor: QWidget | None = None) -> None:
        super().__init__(parent)
        self._window = parent
        self._anchor = anchor  # opens just under its top edge
        self.setObjectName("command-palette")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        shadow = QGraphicsDropShadowEffect(self)
        shadow.setBlurRadius(24)
        shadow.setOffset(0, 4)
        self.setGraphicsEffect(shadow)
        self.model = CommandModel(self)
        self.filtered = CommandFilter(self)
        self.filtered.setSourceModel(self.model)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Go to a page or run an action…")
        self.search.setClearButtonEnabled(True)
        self.list = QListView(self)
        self.list.setModel(self.filtered)
        self.list.setItemDelegate(_ShortcutDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.setVisible(False)
        self._max_height = 420
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self.run_current)
        self.search.installEventFilter(self)
        self.list.clicked.connect(self._run_index)

    def register(self, commands: Iterable[Command]) -> None:
        self.model.add(commands)

    def replace_group(self, group: str, commands: Iterable[Command]) -> None:
        """Swap a group's commands for new ones (a page whose list of services changed)."""
        self.model.remove_group(group)
        self.model.add(commands)

    def visible_titles(self) -> list[str]:
        return [str(self.filtered.index(row, 0).data()) for row in range(self.filtered.rowCount())]

    def open_palette(self) -> None:
        """Show the palette over the top of its window, empty and focused."""
        self.search.clear()
        self._filter("")
        window = self._window
        # Under the anchor's top edge (the pages), so that toolbar and banners stay readable.
        anchor = self._anchor
        top = (anchor.mapTo(window, QPoint(0, 0)).y() if anchor is not None else 0) + 8
        width = min(560, window.width() - 40)
        self._max_height = max(120, window.height() - top - 40)
        self.setGeometry((window.width() - width) // 2, top, width, self._fitting_height())
        self.show()
        self.raise_()
        self.search.setFocus()

    def run_current(self) -> None:
        self._run_index(self.list.currentIndex())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.search and event.type() == QEvent.Type.FocusOut:
            self.hide()  # the user clicked elsewhere
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Escape:
                self.hide()
                return True
            step = {
                Qt.Key.Key_Down: 1,
                Qt.Key.Key_Up: -1,
                Qt.Key.Key_PageDown: 8,
                Qt.Key.Key_PageUp: -8,
            }.get(Qt.Key(event.key()))
            if step is not None:
                self._move(step)
                return True
        return super().eventFilter(watched, event)

    def _filter(self, text: str) -> None:
        self.filtered.set_query(text)
        self.list.setCurrentIndex(self.filtered.index(0, 0))
        if self.isVisible():
            self.resize(self.width(), self._fitting_height())

    def _fitting_height(self) -> int:
        """Tall enough for the matches (up to 12 rows), so few matches make a small box."""
        row = self.list.sizeHintForRow(0) if self.filtered.rowCount() else 30
        rows = max(1, min(12, self.filtered.rowCount()))
        chrome = self.search.sizeHint().height() + 8 * 2 + 10  # margins and spacing
        return min(self._max_height, chrome + rows * row)

    def _move(self, step: int) -> None:
        rows = self.filtered.rowCount()
        if rows:
            row = max(0, min(rows - 1, self.list.currentIndex().row() + step))
            self.list.setCurrentIndex(self.filtered.index(row, 0))

    def _run_index(self, index: QModelIndex) -> None:
        command = index.data(CommandModel.CommandRole) if index.isValid() else None
        if isinstance(command, Command):
            self.hide()
            command.run()
