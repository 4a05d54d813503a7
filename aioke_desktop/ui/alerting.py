"""Builds the always-on alert watching: the monitor, the notifier, the tray, and wires them.

Called once by the startup function (:mod:`aioke_desktop.app`); everything it builds is
handed back in :class:`Alerting` so that shutdown can stop it in order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QApplication

from ..api.desktop_notifications import DesktopBus
from ..config.schema import Settings
from ..core.alert_memory import FILE_NAME, MemoryFile
from ..core.alert_state import Severity
from ..runtime.alert_monitor import AlertMonitor
from ..runtime.event_feed import EventFeed
from ..runtime.session import Session
from ..runtime.task_runner import TaskRunner
from .main_window import MainWindow
from .notifications import Notifier
from .pages.alerts import AlertsPage
from .theme import Theme
from .tray import AlertTray

log = logging.getLogger(__name__)


@dataclass
class Alerting:
    """What :func:`install_alerting` built."""

    monitor: AlertMonitor
    notifier: Notifier
    tray: AlertTray
    feed: EventFeed
    owns_feed: bool

    def shutdown(self) -> None:
        """Stop polling and following; hide the icon (before the runner shuts down)."""
        self.monitor.stop()
        if self.owns_feed:
            self.feed.stop()
        self.tray.icon.hide()

    def flush(self) -> None:
        """Write what was notified (after the runner shut down)."""
        self.notifier.flush()


def install_alerting(
    app: QApplication,
    window: MainWindow,
    runner: TaskRunner,
    session: Session,
    theme: Theme,
    settings: Settings,
    state_dir: Path,
    feed: EventFeed | None = None,
) -> Alerting:
    """The monitor (the Alerts page's own, so page and tray share it), the notifier with its
    memory in ``state_dir``, the tray, and the quit and close-to-tray wiring."""
    page = next((p for p in window.navigator.pages if isinstance(p, AlertsPage)), None)
    monitor = page.monitor if page is not None else AlertMonitor(runner, session, window)
    memory_file = MemoryFile(state_dir / FILE_NAME)
    threshold = Severity.parse(settings.notify_min_severity)
    notifier = Notifier(
        runner,
        session,
        memory_file.load(threshold),
        memory_file=memory_file,
        bus=DesktopBus(),
        banner=window.alert_banner,
        sound=settings.alert_sound,
        parent=window,
    )
    owns_feed = feed is None
    feed = feed or EventFeed(runner, session, window)
    monitor.updated.connect(notifier.on_alerts)
    feed.arrived.connect(notifier.on_events)
    notifier.banner_action.connect(lambda: window.show_page("alerts"))
    theme.changed.connect(window.alert_banner.set_colours)
    tray = AlertTray(
        monitor,
        notifier,
        session,
        runner,
        window,
        theme,
        close_to_tray=settings.close_to_tray,
        show_alerts=lambda: window.show_page("alerts"),
    )
    tray.quit_requested.connect(app.quit)
    window.quit_action.triggered.connect(tray.quit)  # Ctrl+Q quits, closing only hides
    if tray.available:
        # A dialog closed while the window is hidden must not end the app.
        app.setQuitOnLastWindowClosed(False)
    log.info("alerting: tray %s", "shown" if tray.available else "unavailable (banner instead)")
    monitor.start()
    return Alerting(monitor, notifier, tray, feed, owns_feed)
