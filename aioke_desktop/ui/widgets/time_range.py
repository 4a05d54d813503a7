"""The toolbar's time range: the last 5 minutes to 30 days, or a custom window.

A preset range is *live*: its end is always now, and pages keep polling. A custom range is
a fixed window in the past, which pages show without polling for news.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QWidget,
)

from ...core.durations import parse_duration

PRESETS: tuple[tuple[str, str], ...] = (
    ("5m", "Last 5 minutes"),
    ("15m", "Last 15 minutes"),
    ("1h", "Last 1 hour"),
    ("6h", "Last 6 hours"),
    ("1d", "Last 1 day"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
)
CUSTOM = "Custom…"


@dataclass(frozen=True)
class TimeRange:
    """What the charts show: the last ``duration_s`` seconds up to now, or a fixed window.

    Attributes:
        duration_s: the window's length.
        end: the window's end for a custom range; ``None`` for a live one (ends now).
        key: the preset's Prometheus duration (``"1h"``), or ``"custom"``.
    """

    duration_s: float
    end: datetime | None = None
    key: str = "custom"

    @classmethod
    def last(cls, duration: str) -> TimeRange:
        """A live range from a preset such as ``"1h"``; ``ValueError`` if it is not one."""
        return cls(duration_s=parse_duration(duration), key=duration)

    @classmethod
    def between(cls, start: datetime, end: datetime) -> TimeRange:
        if end <= start:
            raise ValueError("The end of a time range must come after its start.")
        return cls(duration_s=(end - start).total_seconds(), end=end)

    @property
    def live(self) -> bool:
        return self.end is None

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        """Start and end of the window, for a live range ending ``now``."""
        end = self.end or now
        return end - timedelta(seconds=self.duration_s), end

    def label(self) -> str:
        for key, text in PRESETS:
            if key == self.key and self.live:
                return text
        start, end = self.bounds(datetime.now().astimezone())
        return f"{start:%d %b %H:%M} – {end:%d %b %H:%M}"


def _qt_time(moment: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


def _py_time(edit: QDateTimeEdit) -> datetime:
    return datetime.fromtimestamp(edit.dateTime().toSecsSinceEpoch()).astimezone()


class CustomRangeDialog(QDialog):
    """Asks for a start and an end; refuses an end before the start."""

    def __init__(self, start: datetime, end: datetime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Custom time range")
        self.start_edit = QDateTimeEdit(_qt_time(start), self)
        self.end_edit = QDateTimeEdit(_qt_time(end), self)
        for edit in (self.start_edit, self.end_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self._problem = QLabel(self)
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        layout = QFormLayout(self)
        layout.addRow("From", self.start_edit)
        layout.addRow("To", self.end_edit)
        layout.addRow(self._problem)
        layout.addRow(self._buttons)
        self.start_edit.dateTimeChanged.connect(self._check)
        self.end_edit.dateTimeChanged.connect(self._check)
        self._check()

    def chosen(self) -> TimeRange:
        return TimeRange.between(_py_time(self.start_edit), _py_time(self.end_edit))

    def _check(self) -> None:
        ok = self.end_edit.dateTime() > self.start_edit.dateTime()
        self._problem.setText("" if ok else "The end must come after the start.")
        ok_button = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok_button.setEnabled(ok)


class TimeRangePicker(QComboBox):
    """The presets and "Custom…"; a custom choice opens :class:`CustomRangeDialog`.

    Signals:
        range_changed(TimeRange): the user chose another range.
    """

    range_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip("Time range of the charts and tables")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for key, text in PRESETS:
            self.addItem(text, TimeRange.last(key))
        self.addItem(CUSTOM, None)
        self._range = TimeRange.last("1h")
        self._dialog: CustomRangeDialog | None = None
        self.setCurrentIndex(2)
        self.activated.connect(self._chosen)

    def current_range(self) -> TimeRange:
        return self._range

    def set_range(self, time_range: TimeRange) -> None:
        """Show ``time_range`` without emitting (restoring the last session's choice)."""
        self._range = time_range
        for index in range(self.count()):
            if self.itemData(index) == time_range:
                self.setCurrentIndex(index)
                return
        self._show_custom(time_range)

    def open_custom(self) -> CustomRangeDialog:
        """Open the custom range dialog (also from the command palette)."""
        start, end = self._range.bounds(datetime.now().astimezone())
        self._dialog = CustomRangeDialog(start, end, self)
        self._dialog.accepted.connect(self._custom_accepted)
        self._dialog.rejected.connect(lambda: self.set_range(self._range))
        self._dialog.open()
        return self._dialog

    def _chosen(self, index: int) -> None:
        chosen = self.itemData(index)
        if chosen is None:
            self.open_custom()
            return
        if chosen != self._range:
            self._range = chosen
            self.range_changed.emit(chosen)

    def _custom_accepted(self) -> None:
        assert self._dialog is not None
        self.set_range(self._dialog.chosen())
        self._dialog.deleteLater()
        self._dialog = None
        self.range_changed.emit(self._range)

    def _show_custom(self, time_range: TimeRange) -> None:
        custom_index = len(PRESETS) + 1
        if self.count() > custom_index:
            self.removeItem(custom_index)
        self.addItem(time_range.label(), time_range)
        self.setCurrentIndex(custom_index)
