"""Audit rows for the Audit page and a flag's history: append-only, like the log itself."""

from __future__ import annotations

import time
from collections.abc import Iterable

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt

from ...core.activity import AuditEntry
from ..dialogs.compare import BOOKKEEPING, field_changes
from ..theme import StatusColours
from ..when import local_time_text
from .rows import ITEM_ROLE, SORT_ROLE, Column, KeyedRowsModel

KEPT_ROWS = 5000
SHOWN_CHANGES = 2


def change_summary(entry: AuditEntry) -> str:
    """ "enabled: false → true; rollout_percentage: 10 → 25 (+3 more)" or what happened."""
    if entry.before is None and entry.after is None:
        return ""
    if entry.before is None:
        return "created"
    changes = [c for c in field_changes(entry.before, entry.after) if c.path not in BOOKKEEPING]
    if not changes:
        return "no field changed"
    shown = "; ".join(f"{c.path}: {c.before} → {c.after}" for c in changes[:SHOWN_CHANGES])
    more = len(changes) - SHOWN_CHANGES
    return f"{shown} (+{more} more)" if more > 0 else shown


class AuditTableModel(KeyedRowsModel[AuditEntry]):
    """Rows by seq, oldest first (the view sorts); at most ``kept`` of the newest are kept."""

    def __init__(
        self, colours: StatusColours, kept: int = KEPT_ROWS, parent: QObject | None = None
    ) -> None:
        self._kept = kept
        self._summaries: dict[int, str] = {}
        columns: list[Column[AuditEntry]] = [
            Column("Seq", lambda e, _: str(e.seq), sort=lambda e, _: e.seq, numeric=True),
            Column(
                "Time",
                lambda e, _: local_time_text(e.time),
                sort=lambda e, _: e.seq,
                tooltip=lambda e, _: e.time,
            ),
            Column("Actor", lambda e, _: e.actor),
            Column("Action", lambda e, _: e.action),
            Column("Resource", lambda e, _: e.resource),
            Column("Change", self._summary, tooltip=self._summary),
        ]
        super().__init__(columns, lambda e: str(e.seq), colours, time.time, parent)

    @property
    def last_seq(self) -> int:
        """The newest seq shown (0 when empty): the cursor for fetching what came after."""
        return self._items[-1].seq if self._items else 0

    def append(self, entries: Iterable[AuditEntry]) -> int:
        """Add the entries newer than the newest shown; the number added."""
        last = self.last_seq
        fresh = sorted((e for e in entries if e.seq > last), key=lambda e: e.seq)
        fresh = list({e.seq: e for e in fresh}.values())
        if not fresh:
            return 0
        first = len(self._items)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._items.extend(fresh)
        self.endInsertRows()
        overflow = len(self._items) - self._kept
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            for gone in self._items[:overflow]:
                self._summaries.pop(gone.seq, None)
            del self._items[:overflow]
            self.endRemoveRows()
        return len(fresh)

    def clear(self) -> None:
        if self._items:
            self.beginRemoveRows(QModelIndex(), 0, len(self._items) - 1)
            self._items.clear()
            self._summaries.clear()
            self.endRemoveRows()

    def _summary(self, entry: AuditEntry, _now: float) -> str:
        found = self._summaries.get(entry.seq)
        if found is None:
            found = self._summaries[entry.seq] = change_summary(entry)
        return found


Index = QModelIndex | QPersistentModelIndex


class AuditFilter(QSortFilterProxyModel):
    """Newest first by default, and a quick text search over every column."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._text = ""

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        if not self._text:
            return True
        model = self.sourceModel()
        entry = model.data(model.index(source_row, 0, source_parent), ITEM_ROLE)
        if not isinstance(entry, AuditEntry):
            return False
        columns = model.columnCount()
        texts = (
            str(model.data(model.index(source_row, c, source_parent), Qt.ItemDataRole.DisplayRole))
            for c in range(columns)
        )
        return any(self._text in text.lower() for text in texts)
