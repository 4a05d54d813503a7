"""A table model over a list of keyed items, updated incrementally, and the server's clock.

Pages replace the whole list on every refresh; :meth:`KeyedRowsModel.replace` turns that into
row removals, ``dataChanged`` for rows that changed and insertions at the end, so a
selection, a scroll position and an open editor survive a refresh. Columns that count down
("ends in", "forced until") are redrawn by :meth:`KeyedRowsModel.tick` without a fetch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from ..theme import StatusColours
from ..when import parse_server_time

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1  # the item itself (a Breaker, a ChaosRun...)
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a value that sorts right (numbers as numbers)
KEY_ROLE = Qt.ItemDataRole.UserRole + 3  # the item's key (a breaker's name, a run's id)


class ServerClock:
    """The control plane's clock as seen from here: TTLs and countdowns are the server's.

    The offset comes from ``/me``'s ``server_time``, taken in the same fetch as the data, so
    a countdown is right even when the two clocks disagree by minutes.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def sync(self, server_time: float | None, sent: float, received: float) -> None:
        if server_time is not None:
            self.offset = server_time - (sent + received) / 2

    def now(self) -> float:
        return time.time() + self.offset


def parse_time(text: str | None) -> float | None:
    """Unix seconds of the server's ISO 8601 time (``2026-11-26T20:18:48.65Z``)."""
    moment = parse_server_time(text) if text else None
    return None if moment is None else moment.timestamp()


def clock_text(ts: float | None) -> str:
    """Local wall-clock time; with the date when it is not today."""
    if ts is None:
        return "—"
    moment = datetime.fromtimestamp(ts).astimezone()
    if moment.date() == datetime.now().astimezone().date():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%b %d %H:%M")


def countdown(seconds: float) -> str:
    """Time left, to the second: ``45 s``, ``4 min 05 s``, ``1 h 02 min``."""
    seconds = max(0, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def percent(value: float | None) -> str:
    """A rate the server gives in percent; "—" when there were too few calls to say."""
    return "—" if value is None else f"{value:.1f} %"


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column: its title and how to show, sort, colour and explain an item in it.

    ``now`` is the server's time, for columns that count down (``timed``). ``tone`` names
    a :class:`StatusColours` field (``"danger"``), or None for the normal text colour.
    """

    title: str
    text: Callable[[T, float], str]
    sort: Callable[[T, float], float | str] | None = None
    tone: Callable[[T], str | None] | None = None
    tooltip: Callable[[T, float], str] | None = None
    timed: bool = False
    numeric: bool = False


class KeyedRowsModel(QAbstractTableModel, Generic[T]):
    """Rows of items with a unique key, in the order the server gave them.

    Args:
        columns: what each column shows.
        key: an item's unique key.
        colours: the theme's status colours (``set_colours`` on a theme change).
        now: the server's time, for countdowns.
    """

    def __init__(
        self,
        columns: Sequence[Column[T]],
        key: Callable[[T], str],
        colours: StatusColours,
        now: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._key = key
        self._colours = colours
        self._now = now
        self._items: list[T] = []

    # Reading ----------------------------------------------------------------------------

    def items(self) -> list[T]:
        return list(self._items)

    def item(self, row: int) -> T:
        return self._items[row]

    def row_of(self, key: str) -> int | None:
        for row, item in enumerate(self._items):
            if self._key(item) == key:
                return row
        return None

    def find(self, key: str) -> T | None:
        row = self.row_of(key)
        return None if row is None else self._items[row]

    # Changing ---------------------------------------------------------------------------

    def replace(self, items: Sequence[T]) -> None:
        """Show ``items``: rows gone are removed, changed ones updated, new ones appended."""
        wanted = {self._key(item): item for item in items}
        for row in range(len(self._items) - 1, -1, -1):
            if self._key(self._items[row]) not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._items[row]
                self.endRemoveRows()
        last_column = len(self.columns) - 1
        for row, old in enumerate(self._items):
            new = wanted.pop(self._key(old))
            if new != old:
                self._items[row] = new
                self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))
        if wanted:
            first = len(self._items)
            self.beginInsertRows(QModelIndex(), first, first + len(wanted) - 1)
            self._items.extend(wanted.values())
            self.endInsertRows()

    def tick(self) -> None:
        """Redraw the countdown columns (a second went by)."""
        if not self._items:
            return
        last = len(self._items) - 1
        roles = [Qt.ItemDataRole.DisplayRole, SORT_ROLE, Qt.ItemDataRole.ToolTipRole]
        for column, spec in enumerate(self.columns):
            if spec.timed:
                self.dataChanged.emit(self.index(0, column), self.index(last, column), roles)

    def colour(self, tone: str) -> QColor:
        """The theme's colour for ``tone`` (a :class:`StatusColours` field)."""
        return QColor(getattr(self._colours, tone))

    def set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        if self._items:
            last_row, last_column = len(self._items) - 1, len(self.columns) - 1
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(last_row, last_column),
                [Qt.ItemDataRole.ForegroundRole],
            )

    # QAbstractTableModel ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._items):
            return None
        item = self._items[index.row()]
        spec = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.text(item, self._now())
        if role == SORT_ROLE:
            return (spec.sort or spec.text)(item, self._now())
        if role == ITEM_ROLE:
            return item
        if role == KEY_ROLE:
            return self._key(item)
        if role == Qt.ItemDataRole.ForegroundRole and spec.tone is not None:
            tone = spec.tone(item)
            return None if tone is None else self.colour(tone)
        if role == Qt.ItemDataRole.ToolTipRole and spec.tooltip is not None:
            return spec.tooltip(item, self._now()) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and spec.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section].title
        return None
