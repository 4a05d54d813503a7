"""Clock-time ticks (14:05, 7 Jan) on pyqtgraph's own bottom axis.

pyqtgraph's ``DateAxisItem`` handed to a ``PlotWidget`` crashed the test suite under
PySide6 (an axis left in the scene after its view box was deleted, then a segfault; only
after dozens of windows, never with pyqtgraph's own axis). So the plot keeps the axis it
made itself, and borrows ``DateAxisItem``'s choice of ticks and labels from an instance
that is never placed in a scene.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics


def use_clock_ticks(axis: pg.AxisItem) -> None:
    """Label ``axis`` (Unix seconds) with local clock times and dates, as zoom requires."""
    ticks = pg.DateAxisItem(axis.orientation)
    ticks.fontMetrics = QFontMetrics(axis.font())  # DateAxisItem sets it only when painting
    axis.clock_ticks = ticks  # kept alive with the axis
    axis.tickValues = ticks.tickValues
    axis.tickStrings = ticks.tickStrings
    axis.enableAutoSIPrefix(False)
