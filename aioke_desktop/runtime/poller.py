"""Pollers: fetch something on a timer through the task runner, and say how fresh it is.

A poller never overlaps itself: a tick that comes while the previous fetch still runs is
skipped. After a failure it backs off (jittered, 1 s doubling to 30 s, never faster than
the chosen interval). Data that has not been refreshed for two intervals is *stale*, and
the poller says since when, so the UI can grey it out rather than show old numbers as new.
"""

from __future__ import annotations

import enum
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from .task_runner import Lane, Task, TaskRunner

STALE_AFTER_INTERVALS = 2


class Health(enum.Enum):
    """How an endpoint or a page's data is doing, as a connection light shows it."""

    UNKNOWN = "unknown"  # nothing fetched yet
    OK = "ok"
    STALE = "stale"  # no success for two intervals, and no error to show either
    FAILING = "failing"  # the last attempt failed


@dataclass(frozen=True)
class PollHealth:
    """A snapshot of a poller's freshness, for lights and status bars.

    Attributes:
        health: the state a light shows.
        last_success: wall-clock time of the last successful fetch (local time).
        error: the last failure in one plain sentence, while failing.
        latency_s: how long the last successful fetch took.
    """

    health: Health
    last_success: datetime | None = None
    error: str | None = None
    latency_s: float | None = None


@dataclass(frozen=True)
class Backoff:
    """Delays after consecutive failures: ``first_s`` doubling up to ``cap_s``, jittered down
    by up to half so that many clients failing together do not retry together."""

    first_s: float = 1.0
    cap_s: float = 30.0

    def delay(self, failures: int, rng: random.Random) -> float:
        ceiling = min(self.cap_s, self.first_s * 2 ** max(0, failures - 1))
        return max(self.first_s, rng.uniform(ceiling / 2, ceiling))


def error_sentence(error: BaseException) -> str:
    """The plain sentence an error carries (``ApiError.message``), or its text."""
    message = getattr(error, "message", None)
    return message if isinstance(message, str) and message else str(error) or type(error).__name__


class Poller(QObject):
    """Runs ``fetch`` every ``interval_s`` seconds (``None``: only on :meth:`refresh_now`).

    Args:
        runner: where fetches run.
        fetch: the work, called on a worker thread.
        name: for logs and lights.
        interval_s: seconds between fetches, or ``None`` for off.
        lane: ``Lane.LONG`` for fetches that wait on purpose (long polls).
        backoff: delays after failures.
        rng: jitter source (tests pass a seeded one).

    Signals:
        data(object): a fetch succeeded; the result.
        failed(object): a fetch failed; the exception.
        health_changed(PollHealth): freshness changed; emitted only on a change.
        fetch_started(): a fetch was handed to the runner.
    """

    data = Signal(object)
    failed = Signal(object)
    health_changed = Signal(object)
    fetch_started = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        fetch: Callable[[], Any],
        *,
        name: str,
        interval_s: float | None = None,
        lane: Lane = Lane.SHORT,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"poller:{name}")
        self.name = name
        self._runner = runner
        self._fetch = fetch
        self._lane = lane
        self._backoff = backoff or Backoff()
        self._rng = rng or random.Random()
        self._interval_s = interval_s
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self._running = False
        self._in_flight: Task[Any] | None = None
        self._again = False
        self._failures = 0
        self._last_success_mono: float | None = None
        self._last_success: datetime | None = None
        self._last_error: str | None = None
        self._latency_s: float | None = None
        self._health = PollHealth(Health.UNKNOWN)
        self.skipped_ticks = 0

    @property
    def interval_s(self) -> float | None:
        return self._interval_s

    @property
    def health(self) -> PollHealth:
        return self._health

    def in_flight(self) -> bool:
        return self._in_flight is not None

    def is_active(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._running

    def set_fetch(self, fetch: Callable[[], Any]) -> None:
        """Fetch something else from now on (a page's query for a new time range); the
        next fetch uses it. Built on the GUI thread, so it captures its parameters there."""
        self._fetch = fetch

    def start(self) -> None:
        """Fetch now, then every interval."""
        self._running = True
        self.refresh_now()

    def stop(self) -> None:
        """No more ticks; a fetch already running still delivers its result."""
        self._running = False
        self._timer.stop()

    def set_interval(self, interval_s: float | None) -> None:
        """Change the interval; ``None`` or 0 turns periodic fetching off."""
        self._interval_s = interval_s or None
        self._timer.stop()
        if self._running and self._interval_s is not None:
            self._arm(self._interval_s)
        self._update_health()

    def refresh_now(self) -> None:
        """Fetch at once. While a fetch runs, its result is superseded by one more fetch
        started when it ends (its parameters, such as the time range, may have changed)."""
        if self._in_flight is not None:
            self._again = True
            return
        self._launch()

    def report_failure(self, error: BaseException) -> None:
        """Another reader of the same server just failed (the change feed): show it now rather
        than at the next tick. A fetch under way has the last word."""
        if self._in_flight is None:
            self._timer.stop()
            self._fetch_failed(error)

    def _arm(self, delay_s: float) -> None:
        self._timer.start(max(1, round(delay_s * 1000)))

    def _tick(self) -> None:
        if self._interval_s is not None and self._running:
            self._arm(self._interval_s)  # fixed rate: a slow fetch does not shift the beat
        self._update_health()
        if self._in_flight is not None:
            self.skipped_ticks += 1
            return
        self._launch()

    def _launch(self) -> None:
        fetch = self._fetch

        def timed() -> tuple[object, float]:
            started = time.perf_counter()
            return fetch(), time.perf_counter() - started

        self._in_flight = self._runner.run(
            timed, self._fetched, self._fetch_failed, owner=self, lane=self._lane, name=self.name
        )
        if self._running and self._interval_s is not None and not self._timer.isActive():
            self._arm(self._interval_s)
        self.fetch_started.emit()

    def _settle(self) -> bool:
        """The fetch ended; True when its result still counts (nothing superseded it)."""
        self._in_flight = None
        if self._again:
            self._again = False
            self._launch()
            return False
        return True

    def _fetched(self, outcome: tuple[object, float]) -> None:
        if not self._settle():
            return
        result, self._latency_s = outcome
        self._failures = 0
        self._last_error = None
        self._last_success_mono = time.monotonic()
        self._last_success = datetime.now().astimezone()
        self._update_health()
        self.data.emit(result)

    def _fetch_failed(self, error: BaseException) -> None:
        if not self._settle():
            return
        self._failures += 1
        self._last_error = error_sentence(error)
        if self._running and self._interval_s is not None:
            delay = max(self._interval_s, self._backoff.delay(self._failures, self._rng))
            self._arm(delay)
        self._update_health()
        self.failed.emit(error)

    def _update_health(self) -> None:
        if self._failures:
            health = Health.FAILING
        elif self._last_success_mono is None:
            health = Health.UNKNOWN
        elif self._interval_s is not None and (
            time.monotonic() - self._last_success_mono > STALE_AFTER_INTERVALS * self._interval_s
        ):
            health = Health.STALE
        else:
            health = Health.OK
        snapshot = PollHealth(health, self._last_success, self._last_error, self._latency_s)
        if snapshot != self._health:
            self._health = snapshot
            self.health_changed.emit(snapshot)
