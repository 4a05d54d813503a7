"""Charts that move together: one time axis, one crosshair, one way back to live.

While *following*, each refresh slides every chart to the data's window. Zooming or
panning one chart with the mouse (the x axes are linked, so all of them move) stops the
following, and the "Back to live" button appears; one click brings the window back.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPushButton, QWidget

from ...runtime.throttle import Throttle
from .timeseries import TimeSeriesChart

POINTER_MS = 30  # crosshair updates: about 30 a second is smooth and cheap


class ChartGroup(QObject):
    """Links the x axes and crosshairs of its charts and tracks zoom against live.

    Signals:
        following_changed(bool): True when the charts follow the data's window again.
    """

    following_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.charts: list[TimeSeriesChart] = []
        self._following = True
        self._live = True
        self._window = (math.nan, math.nan)
        self._pointer = Throttle(self._show_pointer, POINTER_MS, self)
        self._setting_range = False

    @property
    def following(self) -> bool:
        """True while the charts show the data's window (not a zoomed or panned view)."""
        return self._following

    def add(self, chart: TimeSeriesChart) -> None:
        if self.charts:
            chart.plot.setXLink(self.charts[0].plot)
        self.charts.append(chart)
        chart.plot.getViewBox().sigRangeChangedManually.connect(self._moved_by_hand)
        chart.pointer_moved.connect(self._pointer)

    def live_button(self, parent: QWidget) -> QPushButton:
        """The button that brings zoomed charts back; shown only while they are zoomed."""
        button = QPushButton("Back to live", parent)
        button.setObjectName("back-to-live")
        button.setToolTip("Show the whole time range again and follow new data")
        button.setVisible(not self._following)
        button.clicked.connect(self.back_to_live)
        self.following_changed.connect(lambda following: button.setVisible(not following))
        self.following_changed.connect(
            lambda _f: button.setText("Back to live" if self._live else "Reset zoom")
        )
        return button

    def show_window(
        self, start: float, end: float, *, live: bool = True, each_chart: bool = False
    ) -> None:
        """The data now covers ``start``-``end``: slide there unless the user zoomed.

        ``each_chart``: only remember the window; each chart slides when it is redrawn
        (:meth:`slide`), so that a spread refresh does not repaint all linked charts at once.
        """
        self._window = (start, end)
        self._live = live
        if self._following and not each_chart:
            self._apply_window()

    def slide(self, chart: TimeSeriesChart) -> None:
        """Move ``chart`` alone to the data's window (unless the user zoomed): the links
        are held meanwhile, or every linked chart would move and repaint with it."""
        start, end = self._window
        if not self._following or math.isnan(start):
            return
        boxes = [c.plot.getViewBox() for c in self.charts]
        self._setting_range = True
        for box in boxes:
            box.blockLink(True)
        try:
            chart.plot.setXRange(start, end, padding=0)
        finally:
            for box in boxes:
                box.blockLink(False)
            self._setting_range = False

    def back_to_live(self) -> None:
        """Show the data's whole window again and follow it."""
        changed = not self._following
        self._following = True
        self._apply_window()
        if changed:
            self.following_changed.emit(True)

    def _apply_window(self) -> None:
        start, end = self._window
        if not self.charts or math.isnan(start):
            return
        self._setting_range = True
        try:
            self.charts[0].plot.setXRange(start, end, padding=0)
        finally:
            self._setting_range = False

    def _moved_by_hand(self, *_: object) -> None:
        if self._setting_range or not self._following:
            return
        self._following = False
        self.following_changed.emit(False)

    def _show_pointer(self, when: float | None) -> None:
        for chart in self.charts:
            chart.show_pointer(when)
