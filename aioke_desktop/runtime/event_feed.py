"""The cluster's change feed, long-polled on the task runner's long lane.

Charts draw these events as "what changed just before?" markers and tables refresh from
them, so both learn of a change within a second instead of at the next poll.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from collections.abc import Iterable

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.activity import ClusterEvent, EventPage
from .session import Connection, Session
from .task_runner import Lane, TaskRunner

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 25.0
CATCH_UP_PAGE = 1000
KEPT_EVENTS = 5000


class EventFeed(QObject):
    """Follows ``/events`` for the session's connection.

    Signals:
        arrived(list): new events, oldest first (``ClusterEvent``).
        reset(): the connection changed; whatever was drawn from the old one is void.
        failing(str): the feed could not be read (a sentence); it retries with backoff.
        recovered(): the feed was read again after failing.
    """

    arrived = Signal(list)
    reset = Signal()
    failing = Signal(str)
    recovered = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        session: Session,
        parent: QObject | None = None,
        *,
        wait_seconds: float = LONG_POLL_SECONDS,
    ) -> None:
        super().__init__(parent)
        self._wait_seconds = wait_seconds
        self._runner = runner
        self._session = session
        self._events: deque[ClusterEvent] = deque(maxlen=KEPT_EVENTS)
        self._cursor = 0
        self._generation = 0
        self._failures = 0
        self._behind = True  # still reading history: ask again at once instead of waiting
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._poll)
        session.connected.connect(self._restart)
        session.disconnected.connect(self.stop)

    def recent(self) -> list[ClusterEvent]:
        """Every event kept so far (the newest few thousand), oldest first."""
        return list(self._events)

    def stop(self) -> None:
        self._generation += 1
        self._retry.stop()
        self._events.clear()
        self._cursor = 0
        self._behind = True
        self.reset.emit()

    def _restart(self, _connection: Connection | None = None) -> None:
        self.stop()
        self._poll()

    def _poll(self) -> None:
        connection = self._session.connection
        if connection is None:
            return
        generation, cursor = self._generation, self._cursor
        # Catch up without waiting; once caught up, wait for the next change.
        wait = 0.0 if self._behind else self._wait_seconds
        self._runner.run(
            lambda: connection.cluster.events(after=cursor, wait=wait, limit=CATCH_UP_PAGE),
            lambda page: self._got(generation, page),
            lambda error: self._failed(generation, error),
            owner=self,
            lane=Lane.LONG,
            name="event feed",
        )

    def _got(self, generation: int, page: EventPage) -> None:
        if generation != self._generation:
            return
        if self._failures:
            self._failures = 0
            self.recovered.emit()
        fresh = [e for e in page.events if e.seq > self._cursor]
        self._behind = len(page.events) >= CATCH_UP_PAGE
        if fresh:
            self._cursor = fresh[-1].seq
            self._events.extend(fresh)
            self.arrived.emit(fresh)
        self._retry.start(0)

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._failures += 1
        pause = random.uniform(1.0, min(30.0, 2.0**self._failures))
        log.info("event feed: %s; retrying in %.0f s", error, pause)
        self.failing.emit(str(getattr(error, "message", error)))
        self._retry.start(int(pause * 1000))


def kinds(events: Iterable[ClusterEvent], prefix: str) -> list[ClusterEvent]:
    """The events whose kind starts with ``prefix`` (``flag.``, ``breaker.``, ``chaos.``)."""
    return [e for e in events if e.kind.startswith(prefix)]
