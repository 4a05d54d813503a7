"""The connection lights' pollers: one light request per endpoint, on a timer.

Cheap on purpose: the control plane's ``/me`` (which also keeps the token fresh and notices a
session that ended), Prometheus' ``query('1')``, and Alertmanager's own status.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from ..api.errors import ConnectionFailed
from .event_feed import EventFeed
from .poller import Poller
from .session import Connection
from .task_runner import TaskRunner

CONTROL_PLANE, PROMETHEUS, ALERTMANAGER = "Control plane", "Prometheus", "Alertmanager"
LIGHT_INTERVAL_S = 15.0


class EndpointWatch(QObject):
    """Pollers for the lights of one connection at a time.

    Args:
        runner: where the requests run.
        interval_s: seconds between checks (stale after two missed).

    Signals:
        me(Me): the control plane said who is logged in (roles may change).
    """

    me = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        interval_s: float = LIGHT_INTERVAL_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._interval_s = interval_s
        self._pollers: dict[str, Poller | None] = {}

    @property
    def pollers(self) -> dict[str, Poller | None]:
        return dict(self._pollers)

    def watch(self, connection: Connection | None) -> dict[str, Poller | None]:
        """Poll ``connection``'s endpoints from now on (None: nothing); the new pollers, by
        endpoint name, for ``MainWindow.watch_endpoints``."""
        self.stop()
        if connection is None:
            self._pollers = dict.fromkeys((CONTROL_PLANE, PROMETHEUS, ALERTMANAGER))
            return self.pollers
        cluster, prometheus = connection.cluster, connection.prometheus
        alertmanager = connection.alertmanager
        control_plane = self._poller(CONTROL_PLANE, cluster.me)
        control_plane.data.connect(self.me)
        self._pollers = {
            CONTROL_PLANE: control_plane,
            PROMETHEUS: self._poller(PROMETHEUS, lambda: prometheus.query("1")),
            ALERTMANAGER: None
            if alertmanager is None
            else self._poller(ALERTMANAGER, alertmanager.status),
        }
        for poller in self._pollers.values():
            if poller is not None:
                poller.start()
        return self.pollers

    def follow(self, feed: EventFeed) -> None:
        """Let the control plane's change feed move its light: the feed's long poll notices
        a dead server, or its return, within a second or two; the light's own timer only at
        its next beat (15 s, or up to 30 s of backoff)."""
        feed.failing.connect(self._control_plane_failed)
        feed.recovered.connect(self._control_plane_back)

    def _control_plane_failed(self, sentence: str) -> None:
        poller = self._pollers.get(CONTROL_PLANE)
        if poller is not None:
            poller.report_failure(ConnectionFailed(sentence))

    def _control_plane_back(self) -> None:
        poller = self._pollers.get(CONTROL_PLANE)
        if poller is not None:
            poller.refresh_now()

    def refresh_now(self) -> None:
        """Check every endpoint at once (a session was resumed)."""
        for poller in self._pollers.values():
            if poller is not None:
                poller.refresh_now()

    def stop(self) -> None:
        """No more checks; the pollers are deleted once their last answer is in."""
        for poller in self._pollers.values():
            if poller is not None:
                poller.stop()
                poller.deleteLater()
        self._pollers = {}

    def _poller(self, name: str, fetch: Callable[[], object]) -> Poller:
        return Poller(
            self._runner, fetch, name=f"light:{name}", interval_s=self._interval_s, parent=self
        )
