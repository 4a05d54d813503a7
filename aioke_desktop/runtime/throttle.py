"""Redraw throttles: never repaint more often than the eye or the event loop can take.

:class:`Throttle` is qutebrowser's ``misc/throttle.py``: the first call runs at once, calls
within ``delay_ms`` after it merge into one call with the latest arguments, run when the
delay is over. :class:`OnePerTurn` spreads queued jobs over event-loop turns, one a turn
across the whole app, so that 24 charts repainting never block input for the time of all 24.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QTimer


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


class _Turns(QObject):
    """The one queue every :class:`OnePerTurn` feeds: one job a turn for the whole app, so
    six pages refreshing together still hand the event loop one panel at a time."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: OrderedDict[tuple[int, Hashable], tuple[QObject, Callable[[], Any]]] = (
            OrderedDict()
        )
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self.run_one)

    def forget(self, owner: int) -> None:
        for key in [key for key in self.jobs if key[0] == owner]:
            del self.jobs[key]
        if not self.jobs:
            self.timer.stop()

    def run_one(self) -> None:
        while self.jobs:
            _key, (owner, job) = self.jobs.popitem(last=False)
            if shiboken6.isValid(owner):  # its page may be gone
                break
        else:
            self.timer.stop()
            return
        if not self.jobs:
            self.timer.stop()
        job()


_turns: list[_Turns] = []


def _shared_turns() -> _Turns:
    if not _turns or not shiboken6.isValid(_turns[0]):
        _turns[:] = [_Turns(QCoreApplication.instance())]
    return _turns[0]


def _forget(owner: int, *_: object) -> None:
    if _turns and shiboken6.isValid(_turns[0]):
        _turns[0].forget(owner)


class OnePerTurn(QObject):
    """Runs queued jobs one per event-loop turn; a key queued twice runs once, at its first
    place in the queue, with the latest job (a panel asked to repaint twice repaints once).

    Every instance feeds one queue shared by the whole app: one job a turn in all, not one
    per page (six pages of four charts would otherwise put six paints in every turn).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.destroyed.connect(partial(_forget, id(self)))

    def queue(self, key: Hashable, job: Callable[[], Any]) -> None:
        turns = _shared_turns()
        turns.jobs[(id(self), key)] = (self, job)
        if not turns.timer.isActive():
            turns.timer.start()

    def pending(self) -> int:
        if not _turns or not shiboken6.isValid(_turns[0]):
            return 0
        return sum(1 for owner, _key in _turns[0].jobs if owner == id(self))

    def clear(self) -> None:
        _forget(id(self))
