"""``AIOKE_STARTUP_TRACE=PATH``: write when the window first painted and the first chart got
data, so that a benchmark can time a launch from outside (bench/runtime_startup.py).

Each moment is one line, ``<event> <Unix time>``, appended once; nothing happens without the
variable. Wall-clock time, because the reader compares it with its own clock at launch.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject

if TYPE_CHECKING:  # the trace is installed before any page is built (or imported)
    from .main_window import MainWindow
    from .pages.base import Page
    from .pages.overview import OverviewPage

ENV_STARTUP_TRACE = "AIOKE_STARTUP_TRACE"


class StartupTrace(QObject):
    """Notes the window's first paint and the Overview's first data with charts drawn."""

    def __init__(self, path: str, window: MainWindow) -> None:
        super().__init__(window)
        self._path = path
        self._seen: set[str] = set()
        window.installEventFilter(self)
        # The pages are built after the first paint: the Overview is watched once it is.
        for page in window.navigator.pages:
            self._watch(0, page)
        window.navigator.page_built.connect(self._watch)

    def _watch(self, _index: int, page: Page) -> None:
        if page.key != "overview":
            return
        from .pages.overview import OverviewPage as Overview  # imported already: it was built

        if isinstance(page, Overview):
            page.first_data_ready.connect(lambda: self._first_data(page))

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


def install_startup_trace(window: MainWindow) -> StartupTrace | None:
    """A trace when ``AIOKE_STARTUP_TRACE`` names a file, else None."""
    path = os.environ.get(ENV_STARTUP_TRACE)
    return StartupTrace(path, window) if path else None
