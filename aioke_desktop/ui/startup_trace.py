"""``AIOKE_STARTUP_TRACE=PATH``: write when the window first painted and the first chart got
data, so that a benchmark can time a launch from outside (bench/runtime_startup.py).

Each moment is one line, ``<event> <Unix time>``, appended once; nothing happens without the
variable. Wall-clock time, because the reader compares it with its own clock at launch.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from .pages.overview import OverviewPage

ENV_STARTUP_TRACE = "AIOKE_STARTUP_TRACE"


class StartupTrace(QObject):
    """Notes the window's first paint and the Overview's first data with charts drawn."""

    def __init__(self, path: str, window: QWidget, pages: Iterable[QObject]) -> None:
        super().__init__(window)
        self._path = path
        self._seen: set[str] = set()
        window.installEventFilter(self)
        for page in pages:
            if isinstance(page, OverviewPage):
                page.first_data_ready.connect(lambda page=page: self._first_data(page))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Paint:
            self._note("first_paint")
            watched.removeEventFilter(self)
        return False

    def _first_data(self, page: OverviewPage) -> None:
        if any(chart.has_data() for chart in page.charts.charts.values()):
            self._note("first_chart")

    def _note(self, event: str) -> None:
        if event in self._seen:
            return
        self._seen.add(event)
        with open(self._path, "a", encoding="utf-8") as trace:
            trace.write(f"{event} {time.time():.6f}\n")


def install_startup_trace(window: QWidget, pages: Iterable[QObject]) -> StartupTrace | None:
    """A trace when ``AIOKE_STARTUP_TRACE`` names a file, else None."""
    path = os.environ.get(ENV_STARTUP_TRACE)
    return StartupTrace(path, window, pages) if path else None
