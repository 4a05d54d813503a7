"""The toolbar's refresh interval: off, 5 s, 15 s, 30 s or 1 min."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

INTERVALS: tuple[tuple[int, str], ...] = (
    (0, "off"),
    (5, "5 s"),
    (15, "15 s"),
    (30, "30 s"),
    (60, "1 min"),
)


class RefreshIntervalPicker(QComboBox):
    """Signals:
    interval_changed(object): seconds between refreshes, or ``None`` for off.
    """

    interval_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip("How often the page refreshes (F5 refreshes now)")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for seconds, text in INTERVALS:
            self.addItem(f"Every {text}" if seconds else "Refresh: off", seconds)
        self.set_interval(15)
        self.activated.connect(self._chosen)

    def interval(self) -> int | None:
        seconds = int(self.currentData())
        return seconds or None

    def set_interval(self, seconds: float | None) -> None:
        """Show ``seconds`` (the nearest choice) without emitting."""
        wanted = int(seconds or 0)
        best = min(range(self.count()), key=lambda i: abs(int(self.itemData(i)) - wanted))
        self.setCurrentIndex(best)

    def choose(self, seconds: int | None) -> None:
        """Pick an interval as the user would (the command palette does)."""
        self.set_interval(seconds)
        self._chosen(self.currentIndex())

    def _chosen(self, _index: int) -> None:
        self.interval_changed.emit(self.interval())
