"""The alerts, kept current all the time: the tray and the notifications need them even when
the Alerts page is not shown (only the shown page polls; this does not stop).

There is one :class:`AlertMonitor` per app. The Alerts page reads its snapshot and hands it
the fresher ones it fetches itself, the tray draws its summary, the notifier compares each
snapshot with what it has told the user already.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Signal

from ..api.errors import ApiError
from ..core.alert_state import (
    AlertsSnapshot,
    AlertSummary,
    CurrentAlert,
    from_alertmanager,
    group_title,
    merge_pending,
)
from .poller import Poller, error_sentence
from .session import Connection, Session
from .task_runner import TaskRunner

log = logging.getLogger(__name__)

ALERT_POLL_SECONDS = 15.0


def read_alerts(connection: Connection) -> AlertsSnapshot:
    """Every current alert: Alertmanager's groups, plus Prometheus' pending alerts (which
    Alertmanager never sees); Prometheus alone when the context has no Alertmanager.

    Runs on a worker thread.
    """
    alertmanager = connection.alertmanager
    if alertmanager is None:
        alerts = connection.prometheus.alerts()
        return AlertsSnapshot(tuple(alerts), "Prometheus", time.time())
    rows: list[CurrentAlert] = []
    seen: set[str] = set()
    for group in alertmanager.alert_groups():
        title = group_title(group.labels)
        for alert in group.alerts:
            # An alert routed to several receivers is in several groups; one row is enough.
            if alert.fingerprint not in seen:
                seen.add(alert.fingerprint)
                rows.append(from_alertmanager(alert, title))
    note = ""
    try:
        pending = connection.prometheus.alerts()
    except ApiError as exc:
        pending, note = [], f"Pending alerts are not shown: {exc.message}"
    return AlertsSnapshot(merge_pending(rows, pending), "Alertmanager", time.time(), note)


class AlertMonitor(QObject):
    """Polls the alerts of the session's connection and keeps the newest snapshot.

    Args:
        runner: where reads run.
        session: whose connection to read.
        interval_s: seconds between reads.

    Signals:
        updated(AlertsSnapshot): a newer snapshot (from this poller or from the page).
        summary_changed(AlertSummary): what the tray shows changed (also to "unknown").
        failing(str): a read failed; the sentence. The summary is then unknown.
    """

    updated = Signal(object)
    summary_changed = Signal(object)
    failing = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        session: Session,
        parent: QObject | None = None,
        *,
        interval_s: float = ALERT_POLL_SECONDS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("alert-monitor")
        self._session = session
        self._snapshot: AlertsSnapshot | None = None
        self._summary = AlertSummary()
        self.error: str | None = None
        self._poller = Poller(
            runner, lambda: None, name="alerts", interval_s=interval_s, parent=self
        )
        self._poller.data.connect(self.accept)
        self._poller.failed.connect(self._failed)
        self._wanted = False
        session.connected.connect(self._connected)
        session.disconnected.connect(self._disconnected)

    @property
    def snapshot(self) -> AlertsSnapshot | None:
        return self._snapshot

    @property
    def summary(self) -> AlertSummary:
        return self._summary

    @property
    def poller(self) -> Poller:
        return self._poller

    def start(self) -> None:
        """Keep the alerts current from now on (at once if logged in)."""
        self._wanted = True
        if self._session.connection is not None:
            self._connected(self._session.connection)

    def stop(self) -> None:
        self._wanted = False
        self._poller.stop()

    def refresh_now(self) -> None:
        if self._poller.is_active():
            self._poller.refresh_now()

    def accept(self, snapshot: object) -> None:
        """Take ``snapshot`` unless a newer one is held already."""
        if not isinstance(snapshot, AlertsSnapshot):
            return
        if self._snapshot is not None and snapshot.read_at < self._snapshot.read_at:
            return
        self._snapshot = snapshot
        self.error = None
        self._set_summary(snapshot.summary)
        self.updated.emit(snapshot)

    def _connected(self, connection: Connection) -> None:
        self._snapshot = None
        self._set_summary(AlertSummary())
        if not self._wanted:
            return
        self._poller.set_fetch(lambda: read_alerts(connection))
        self._poller.start()

    def _disconnected(self) -> None:
        self._poller.stop()
        self._snapshot = None
        self.error = None
        self._set_summary(AlertSummary())

    def _failed(self, error: BaseException) -> None:
        self.error = error_sentence(error)
        log.info("alerts: %s", self.error)
        self._set_summary(AlertSummary())
        self.failing.emit(self.error)

    def _set_summary(self, summary: AlertSummary) -> None:
        if summary != self._summary:
            self._summary = summary
            self.summary_changed.emit(summary)
