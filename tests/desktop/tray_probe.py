"""Run under Xvfb inside ``dbus-run-session`` by ``test_tray_xvfb.py``: starts a tray host
(trayer) and a notification daemon (dunst), builds the real tray and notifier, makes one
alert fire, closes the window, and prints what it saw as one JSON object."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QSystemTrayIcon

from aioke_desktop.api.desktop_notifications import DesktopBus, NotificationServiceError
from aioke_desktop.core.alert_memory import NotificationMemory
from aioke_desktop.core.alert_state import AlertsSnapshot, AlertStatus, CurrentAlert
from aioke_desktop.runtime.alert_monitor import AlertMonitor
from aioke_desktop.runtime.session import Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.notifications import Notifier
from aioke_desktop.ui.theme import Theme
from aioke_desktop.ui.tray import AlertTray
from aioke_desktop.ui.widgets.banner import Banner

LABELS = {"alertname": "GatewayHighErrorRate", "severity": "critical", "sloth_service": "gateway"}


def wait(app: QApplication, condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        loop = QEventLoop()
        QTimer.singleShot(100, loop.quit)
        loop.exec()
    return True


def answers(bus: DesktopBus) -> bool:
    try:
        return bool(bus.server_name())
    except NotificationServiceError:
        return False


def main() -> int:
    helpers = [
        subprocess.Popen(["trayer", "--edge", "top", "--align", "right"]),
        subprocess.Popen(["dunst"], stderr=subprocess.DEVNULL),
    ]
    report: dict[str, object] = {}
    try:
        app = QApplication(sys.argv[:1])
        app.setQuitOnLastWindowClosed(False)
        report["tray_host"] = wait(app, QSystemTrayIcon.isSystemTrayAvailable, 15)
        bus = DesktopBus()
        report["notification_service"] = wait(app, lambda: answers(bus), 15)
        theme = Theme(app, "light")
        runner, session, window = TaskRunner(), Session(), QMainWindow()
        monitor = AlertMonitor(runner, session, window)
        banner = Banner(theme.colours, window)
        notifier = Notifier(runner, session, NotificationMemory(), bus=bus, banner=banner)
        monitor.updated.connect(notifier.on_alerts)
        delivered: list[list[str]] = []
        notifier.delivered.connect(lambda n, channel: delivered.append([n.title, channel]))
        tray = AlertTray(monitor, notifier, session, runner, window, theme)
        report["icon_shown"] = wait(app, lambda: tray.available, 10)
        geometry = tray.icon.geometry()
        report["icon_geometry"] = [geometry.width(), geometry.height()]
        key = "gateway-page"
        alert = CurrentAlert(
            key, key, LABELS, {"summary": "Gateway fails"}, AlertStatus.FIRING, 1.0
        )
        monitor.accept(AlertsSnapshot((alert,), "Alertmanager", time.time()))
        wait(app, lambda: bool(delivered), 10)
        report["delivered"] = delivered
        report["tooltip"] = tray.icon.toolTip()
        window.show()
        wait(app, window.isVisible, 5)
        window.close()  # with a tray, closing hides to it
        wait(app, lambda: not window.isVisible(), 5)
        report["hidden_on_close"] = not window.isVisible() and tray.available
        subprocess.run(["dunstctl", "close-all"], check=True, timeout=10)
        wait(app, lambda: _history() != "", 5)
        report["dunst_history"] = _history()
        tray.icon.hide()
        runner.shutdown(5)
    finally:
        for helper in helpers:
            helper.terminate()
            helper.wait(10)
    print(json.dumps(report))
    return 0


def _history() -> str:
    out = subprocess.run(["dunstctl", "history"], capture_output=True, text=True, timeout=10)
    data = json.loads(out.stdout)["data"][0]
    return " | ".join(item["summary"]["data"] for item in data)


if __name__ == "__main__":
    sys.exit(main())
