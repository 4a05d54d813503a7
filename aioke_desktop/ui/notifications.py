"""Desktop notifications through a fallback chain, told once per alert, never twice.

The chain follows qutebrowser's ``browser/webengine/notification.py``: the desktop's
notification service over D-Bus (``org.freedesktop.Notifications``: dunst, GNOME, KDE)
first; where there is none, the tray icon's own message (``QSystemTrayIcon.showMessage``);
where there is no tray either, a banner across the app's window. A step that fails is
skipped from then on, and the notification goes to the next.

What is worth a notification: an alert starting to fire at or above the chosen severity,
a breaker opening by itself, a chaos run aborted by its guard. Which alerts were told is
kept in :class:`~aioke_desktop.core.alert_memory.NotificationMemory`, on disk, so that a
restart of the app does not tell them again.
"""

from __future__ import annotations

import contextlib
import logging
import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from ..api.desktop_notifications import DesktopBus
from ..core.activity import ClusterEvent
from ..core.alert_memory import MemoryFile, NotificationMemory
from ..core.alert_state import AlertsSnapshot, Severity
from ..core.notices import Notification, alert_notification, event_notification
from ..runtime.session import Session
from ..runtime.task_runner import TaskRunner
from .widgets.banner import Banner, BannerKind

log = logging.getLogger(__name__)

DESKTOP, TRAY, BANNER = "desktop", "tray", "banner"
MAX_SEPARATE = 3  # more new alerts at once than this make one notification, not a storm
TRAY_MESSAGE_MS = 15_000


class Notifier(QObject):
    """Decides what to tell and tells it through the first channel that works.

    Args:
        runner: D-Bus calls and writes of the memory file run on it.
        session: whose control plane the events come from.
        memory: what was told already (and the pause).
        memory_file: where ``memory`` is kept; None keeps it in memory only.
        bus: the desktop's notification service; None skips that step.
        banner: the in-app banner, the last step.
        sound: beep for critical alerts.

    Signals:
        delivered(Notification, str): told through ``"desktop"``, ``"tray"`` or ``"banner"``.
        pause_changed(object): notifications paused until this Unix time, or None.
        banner_action(): the banner's "Show alerts" was clicked.
    """

    delivered = Signal(object, str)
    pause_changed = Signal(object)
    banner_action = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        session: Session,
        memory: NotificationMemory,
        *,
        memory_file: MemoryFile | None = None,
        bus: DesktopBus | None = None,
        banner: Banner | None = None,
        sound: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("notifier")
        self._runner = runner
        self._session = session
        self.memory = memory
        self._file = memory_file
        self._bus = bus
        self._banner = banner
        self._banner_key = ""
        self._tray: QSystemTrayIcon | None = None
        self.sound = sound
        self._last: AlertsSnapshot | None = None
        self._pause_end = QTimer(self)
        self._pause_end.setSingleShot(True)
        self._pause_end.timeout.connect(self.resume)
        if banner is not None:
            banner.action_triggered.connect(self._banner_clicked)
        if memory.paused(time.time()) and memory.paused_until is not None:
            self._pause_end.start(int((memory.paused_until - time.time()) * 1000) + 100)

    # Wiring -----------------------------------------------------------------------------

    def set_tray(self, tray: QSystemTrayIcon | None) -> None:
        """The tray icon whose messages are the second step (None: there is no tray)."""
        self._tray = tray

    @property
    def paused_until(self) -> float | None:
        return self.memory.paused_until if self.memory.paused(time.time()) else None

    def pause(self, seconds: float) -> None:
        """No notifications for ``seconds``; alerts that start firing meanwhile and still fire
        when it ends are told then."""
        self.memory.pause(seconds, time.time())
        self._pause_end.start(int(seconds * 1000))
        self._save()
        self.pause_changed.emit(self.memory.paused_until)

    def resume(self) -> None:
        self._pause_end.stop()
        self.memory.resume()
        self._save()
        self.pause_changed.emit(None)
        if self._last is not None:
            self.on_alerts(self._last)

    # What is worth telling --------------------------------------------------------------

    def on_alerts(self, snapshot: AlertsSnapshot) -> None:
        """A new snapshot: tell the alerts that newly fire (each once, ever)."""
        self._last = snapshot
        if self._banner_key and not any(a.key == self._banner_key for a in snapshot.firing()):
            self._clear_banner()
        due = self.memory.due(snapshot, time.time())
        self._save()
        if len(due) > MAX_SEPARATE:
            worst = max(a.severity for a in due)
            names = ", ".join(sorted({a.name for a in due}))
            self.notify(Notification(f"{len(due)} alerts started firing", names, worst))
            return
        for alert in due:
            self.notify(alert_notification(alert))

    def on_events(self, events: list[ClusterEvent]) -> None:
        """Events from the cluster's feed: a breaker that opened by itself, a chaos run its
        guard aborted. Events read as history at login are not news."""
        connection = self._session.connection
        if connection is None:
            return
        fresh = self.memory.new_events(connection.context.control_plane_url, events, time.time())
        self._save()
        if self.memory.paused(time.time()):
            return
        for event in fresh:
            notification = event_notification(event)
            if notification is not None:
                self.notify(notification)

    # Telling ----------------------------------------------------------------------------

    def notify(self, notification: Notification) -> None:
        """Tell ``notification`` through the first channel that works."""
        if self.sound and notification.severity >= Severity.CRITICAL:
            QApplication.beep()
        bus = self._bus
        if bus is None or not bus.usable():
            self._fallback(notification)
            return
        self._runner.run(
            lambda: bus.notify(notification),
            lambda _id: self.delivered.emit(notification, DESKTOP),
            lambda error: self._bus_failed(notification, error),
            owner=self,
            name="desktop notification",
        )

    def _bus_failed(self, notification: Notification, error: BaseException) -> None:
        log.info("desktop notifications unavailable (%s); falling back", error)
        if self._bus is not None:
            self._bus.mark_unusable()
        self._fallback(notification)

    def _fallback(self, notification: Notification) -> None:
        tray = self._tray
        if tray is not None and tray.isVisible() and QSystemTrayIcon.supportsMessages():
            icon = (
                QSystemTrayIcon.MessageIcon.Critical
                if notification.severity >= Severity.CRITICAL
                else QSystemTrayIcon.MessageIcon.Warning
            )
            tray.showMessage(notification.title, notification.body, icon, TRAY_MESSAGE_MS)
            self.delivered.emit(notification, TRAY)
        elif self._banner is not None:
            kind = (
                BannerKind.DANGER
                if notification.severity >= Severity.CRITICAL
                else BannerKind.WARNING
            )
            self._banner.show_message(
                f"{notification.title}: {notification.body.replace(chr(10), ' — ')}",
                kind,
                action="Show alerts",
            )
            self._banner_key = notification.key
            self.delivered.emit(notification, BANNER)
        else:
            log.warning("notification not shown (no channel): %s", notification.title)

    def _banner_clicked(self) -> None:
        self._clear_banner()
        self.banner_action.emit()

    def _clear_banner(self) -> None:
        self._banner_key = ""
        if self._banner is not None:
            self._banner.clear()

    # Memory -----------------------------------------------------------------------------

    def _save(self) -> None:
        file = self._file
        if file is None:
            return
        doc, generation = self.memory.to_json(), self.memory.generation
        # A runner already shut down refuses work: flush() writes the last state then.
        with contextlib.suppress(RuntimeError):
            self._runner.run(lambda: file.save(doc, generation), owner=self, name="save notified")

    def flush(self) -> None:
        """Write the memory now (at shutdown, after the runner stopped taking work)."""
        if self._file is not None:
            try:
                self._file.save(self.memory.to_json(), self.memory.generation)
            except OSError as exc:
                log.warning("notified alerts not saved: %s", exc)
