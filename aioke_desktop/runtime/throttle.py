"""Redraw throttles: never repaint more often than the eye or the event loop can take.

:class:`Throttle` is qutebrowser's ``misc/throttle.py``: the first call runs at once, calls
within ``delay_ms`` after it merge into one call with the latest arguments, run when the
delay is over. :class:`OnePerTurn` spreads queued jobs over event-loop turns, one a turn,
so that 24 charts repainting never block input for the time of all 24.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """Call ``func`` at most once per ``delay_ms``, with the arguments of the latest call.

    Args:
        func: what to call (on the GUI thread).
        delay_ms: the shortest time between two calls.
    """

    def __init__(
        self, func: Callable[..., Any], delay_ms: int, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._func = func
        self._delay_ms = delay_ms
        self._pending: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self._last_call_ms: float | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._call_pending)

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        now_ms = time.monotonic() * 1000
        if self._pending is None:
            if self._last_call_ms is None or now_ms - self._last_call_ms > self._delay_ms:
                self._last_call_ms = now_ms
                self._func(*args, **kwargs)
                return
            self._timer.start(max(0, int(self._delay_ms - (now_ms - self._last_call_ms))))
        self._pending = (args, kwargs)

    def has_pending(self) -> bool:
        return self._pending is not None

    def set_delay(self, delay_ms: int) -> None:
        self._delay_ms = delay_ms

    def cancel(self) -> None:
        """Forget a pending call (its widget is going away)."""
        self._timer.stop()
        self._pending = None

    def _call_pending(self) -> None:
        if self._pending is None:
            return
        args, kwargs = self._pending
        self._pending = None
        self._last_call_ms = time.monotonic() * 1000
        self._func(*args, **kwargs)


class OnePerTurn(QObject):
    """Runs queued jobs one per event-loop turn; a key queued twice runs once, at its first
    place in the queue, with the latest job (a panel asked to repaint twice repaints once)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: OrderedDict[Hashable, Callable[[], Any]] = OrderedDict()
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run_one)

    def queue(self, key: Hashable, job: Callable[[], Any]) -> None:
        self._jobs[key] = job
        if not self._timer.isActive():
            self._timer.start()

    def pending(self) -> int:
        return len(self._jobs)

    def clear(self) -> None:
        self._jobs.clear()
        self._timer.stop()

    def _run_one(self) -> None:
        if not self._jobs:
            self._timer.stop()
            return
        _key, job = self._jobs.popitem(last=False)
        if not self._jobs:
            self._timer.stop()
        job()
