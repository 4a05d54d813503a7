"""A probe that measures how late the event loop runs a 10 ms precise timer.

Lateness is what a user feels as a frozen window: while a slot blocks for 200 ms, the
probe's next tick comes ~200 ms late. Tests assert on its p99; benchmarks print it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer


@dataclass(frozen=True)
class LatenessReport:
    """How late the probe's ticks came, in milliseconds."""

    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    def __str__(self) -> str:
        return (
            f"lateness over {self.samples} ticks: p50 {self.p50_ms:.1f} ms, "
            f"p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms"
        )


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


class LatenessProbe(QObject):
    """Ticks every ``interval_ms`` on a ``Qt.PreciseTimer`` and records each tick's delay.

    Use it as a context manager in tests::

        with LatenessProbe() as probe:
            qtbot.waitUntil(...)
        assert probe.report().p99_ms < 50
    """

    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._interval_s = interval_ms / 1000
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last: float | None = None
        self._lateness_ms: list[float] = []

    def start(self) -> None:
        self._lateness_ms.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._last = None

    def is_running(self) -> bool:
        return self._timer.isActive()

    def samples(self) -> int:
        return len(self._lateness_ms)

    def report(self) -> LatenessReport:
        ordered = sorted(self._lateness_ms)
        return LatenessReport(
            samples=len(ordered),
            p50_ms=_percentile(ordered, 0.50),
            p99_ms=_percentile(ordered, 0.99),
            max_ms=ordered[-1] if ordered else 0.0,
        )

    def __enter__(self) -> LatenessProbe:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            late = (now - self._last - self._interval_s) * 1000
            self._lateness_ms.append(max(0.0, late))
        self._last = now
