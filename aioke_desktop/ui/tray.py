"""The tray icon: the worst firing alert's colour and their count, always in sight.

It draws the :class:`AlertMonitor`'s summary, the very object the Alerts page shows, so the
tray cannot say "OK" while the page shows an alert firing; when the app does not know (not
logged in, the last read failed) it says so in grey. Its menu opens the window, halts all
chaos (through the shared action runner: confirmation and a fresh TOTP code), pauses
notifications for an hour, and quits. Closing the window hides it to the tray when there is
one and the setting asks for it, so the app keeps watching.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QSystemTrayIcon

from ..core.alert_state import AlertSummary
from ..runtime.alert_monitor import AlertMonitor
from ..runtime.session import Session
from ..runtime.task_runner import TaskRunner
from .actions import ActionRunner
from .halt_chaos import HALT_CONFIRM, halt_all_action
from .notifications import Notifier
from .role_gate import gate_by_role
from .theme import StatusColours, Theme
from .tray_icon import tray_icon

PAUSE_SECONDS = 3600


def tooltip_text(
    summary: AlertSummary, context: str | None, paused_until: float | None, error: str | None
) -> str:
    lines = [f"Aioke — {context}" if context else "Aioke — not logged in"]
    if error and not summary.known:
        lines.append(f"Alerts unknown: {error}")
    else:
        lines.append(summary.headline())
    if paused_until is not None:
        lines.append(
            f"Notifications paused until {time.strftime('%H:%M', time.localtime(paused_until))}"
        )
    return "\n".join(lines)


class AlertTray(QObject):
    """The tray icon, its menu, and hiding the window to it.

    Args:
        window: the main window (opened, hidden, parent of the halt's dialogs).
        close_to_tray: closing the window hides it while the tray icon is shown.
        show_alerts: shows the Alerts page (the menu's "Show alerts").

    Signals:
        quit_requested(): Quit was chosen; the app quits.
    """

    quit_requested = Signal()

    def __init__(
        self,
        monitor: AlertMonitor,
        notifier: Notifier,
        session: Session,
        runner: TaskRunner,
        window: QMainWindow,
        theme: Theme,
        *,
        close_to_tray: bool = True,
        show_alerts: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(window)
        self.setObjectName("tray")
        self._monitor = monitor
        self._notifier = notifier
        self._session = session
        self._window = window
        self._colours: StatusColours = theme.colours
        self._show_alerts = show_alerts
        self.close_to_tray = close_to_tray
        self.quitting = False
        self.shown = AlertSummary()  # what the icon draws now
        self.actions = ActionRunner(runner, session, window)
        self.actions.status.hide()  # outcomes go to the status bar and the tray instead
        self.actions.succeeded.connect(lambda text: self._tell(f"Done: {text}."))
        self.actions.failed.connect(self._tell)
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu(window)
        self.headline = self.menu.addAction("")
        self.headline.setEnabled(False)
        self.menu.addSeparator()
        self.open_action = self.menu.addAction("Open Aioke", self.open_window)
        self.alerts_action = self.menu.addAction("Show alerts", self._open_alerts)
        self.menu.addSeparator()
        self.halt_action: QAction = self.menu.addAction("Halt all chaos…", self.halt_all_chaos)
        self._halt_gate = gate_by_role(self.halt_action, session, "chaos")
        self.pause_action = self.menu.addAction("", self.toggle_pause)
        self.menu.addSeparator()
        self.quit_action = self.menu.addAction("Quit", self.quit)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        monitor.summary_changed.connect(self.refresh)
        monitor.failing.connect(lambda _sentence: self.refresh())
        notifier.pause_changed.connect(lambda _until: self.refresh())
        session.connected.connect(lambda _c: self.refresh())
        session.disconnected.connect(self.refresh)
        theme.changed.connect(self._set_colours)
        window.installEventFilter(self)
        self.refresh()
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon.show()
            notifier.set_tray(self.icon)

    @property
    def available(self) -> bool:
        """The icon is in a tray (there is a tray host, and it took the icon)."""
        return self.icon.isVisible()

    # Drawing ----------------------------------------------------------------------------

    def refresh(self, *_: object) -> None:
        """Draw the monitor's current summary, and say it in the tooltip and menu."""
        summary = self._monitor.summary
        paused_until = self._notifier.paused_until
        self.shown = summary
        self.icon.setIcon(tray_icon(summary, self._colours, paused=paused_until is not None))
        connection = self._session.connection
        context = connection.context.name if connection else None
        text = tooltip_text(summary, context, paused_until, self._monitor.error)
        self.icon.setToolTip(text)
        self.headline.setText(text.splitlines()[1])
        self.pause_action.setText(
            "Resume notifications" if paused_until else "Pause notifications for 1 hour"
        )

    def _set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        self.refresh()

    # Menu -------------------------------------------------------------------------------

    def open_window(self) -> None:
        window = self._window
        was_hidden = not window.isVisible()
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
        window.show()
        window.raise_()
        window.activateWindow()
        navigator = getattr(window, "navigator", None)
        if was_hidden and navigator is not None:
            navigator.current.activate(navigator.view)  # it stopped polling when hidden

    def _open_alerts(self) -> None:
        self.open_window()
        if self._show_alerts is not None:
            self._show_alerts()

    def halt_all_chaos(self) -> bool:
        """Halt every chaos run: the window's halt, with a confirmation in place of its
        reason dialog, then a fresh TOTP code."""
        self.open_window()  # the confirmation and the code are asked in the window
        connection = self._session.connection
        who = connection.username if connection is not None else None
        reason = f"Halted from the tray by {who or 'the on-call'}"
        return self.actions.perform(halt_all_action(reason, confirm=HALT_CONFIRM))

    def toggle_pause(self) -> None:
        if self._notifier.paused_until is None:
            self._notifier.pause(PAUSE_SECONDS)
        else:
            self._notifier.resume()

    def quit(self) -> None:
        self.quitting = True
        self.quit_requested.emit()

    def _tell(self, sentence: str) -> None:
        status_bar = self._window.statusBar()
        status_bar.showMessage(sentence, 10_000)
        if not self._window.isVisible() and self.available:
            self.icon.showMessage("Aioke", sentence)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.open_window()

    # Closing to the tray ----------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if (
            watched is self._window
            and event.type() == QEvent.Type.Close
            and self.close_to_tray
            and self.available
            and not self.quitting
        ):
            event.ignore()
            self.hide_window()
            return True
        return super().eventFilter(watched, event)

    def hide_window(self) -> None:
        """Hide the window; the tray keeps watching (the shown page stops polling)."""
        self._window.hide()
        navigator = getattr(self._window, "navigator", None)
        if navigator is not None:
            navigator.current.deactivate()
