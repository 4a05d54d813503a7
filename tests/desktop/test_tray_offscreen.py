"""The tray and the notifier where there is neither a tray nor a notification service (the
offscreen platform, no D-Bus): the banner tells instead, and the icon follows the alerts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from aioke_desktop.api.desktop_notifications import DesktopBus
from aioke_desktop.core.activity import ClusterEvent
from aioke_desktop.core.alert_memory import MemoryFile
from aioke_desktop.core.alert_state import (
    AlertsSnapshot,
    AlertStatus,
    AlertSummary,
    CurrentAlert,
    Severity,
    alert_identity,
)
from aioke_desktop.runtime.alert_monitor import AlertMonitor
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.notifications import BANNER, Notifier
from aioke_desktop.ui.theme import LIGHT
from aioke_desktop.ui.tray import AlertTray
from aioke_desktop.ui.tray_icon import BADGE_FILL, render
from aioke_desktop.ui.widgets.banner import Banner
from desktop.ui_helpers import context, light_theme

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def alert(
    name: str, severity: str = "critical", status: AlertStatus = AlertStatus.FIRING
) -> CurrentAlert:
    labels = {"alertname": name, "severity": severity}
    key = alert_identity(labels)
    return CurrentAlert(key, key, labels, {"summary": f"{name} burns"}, status, since=1.0)


@dataclass
class Rig:
    monitor: AlertMonitor
    notifier: Notifier
    tray: AlertTray
    banner: Banner
    told: list[tuple[str, str]]


@pytest.fixture
def rig(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Rig]:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    window = QMainWindow()
    qtbot.addWidget(window)
    banner = Banner(LIGHT, window)
    window.setCentralWidget(banner)
    window.show()
    qtbot.waitExposed(window)
    session = Session()
    monitor = AlertMonitor(runner, session, window)
    file = MemoryFile(tmp_path / "notified.json")
    notifier = Notifier(
        runner,
        session,
        file.load(),
        memory_file=file,
        bus=DesktopBus(),
        banner=banner,
        parent=window,
    )
    monitor.updated.connect(notifier.on_alerts)
    tray = AlertTray(monitor, notifier, session, runner, window, light_theme())
    told: list[tuple[str, str]] = []
    notifier.delivered.connect(lambda n, channel: told.append((n.title, channel)))
    yield Rig(monitor, notifier, tray, banner, told)
    runner.wait_idle(5)


def test_without_a_tray_or_a_notification_service_the_banner_tells(qtbot: QtBot, rig: Rig) -> None:
    assert not rig.tray.available
    banner = rig.banner
    rig.monitor.accept(AlertsSnapshot((alert("GatewayHighErrorRate"),), "Alertmanager", 1.0))
    assert rig.told == [("Critical: GatewayHighErrorRate", BANNER)]
    assert banner.isVisible()
    assert banner.text().startswith("Critical: GatewayHighErrorRate: GatewayHighErrorRate burns")
    # The same alert on the next read is not told again; when it resolves the banner goes.
    with qtbot.assertNotEmitted(rig.notifier.delivered):
        rig.monitor.accept(AlertsSnapshot((alert("GatewayHighErrorRate"),), "Alertmanager", 2.0))
    rig.monitor.accept(AlertsSnapshot((), "Alertmanager", 3.0))
    assert not banner.isVisible()


def test_a_notification_service_that_does_not_answer_is_skipped(
    qtbot: QtBot, rig: Rig, tmp_path: Path
) -> None:
    bus = DesktopBus(address=f"unix:path={tmp_path}/no-such-bus")
    rig.notifier._bus = bus  # a session bus address whose socket is gone
    with qtbot.waitSignal(rig.notifier.delivered, timeout=10_000):
        rig.monitor.accept(AlertsSnapshot((alert("PaymentsDown"),), "Alertmanager", 1.0))
    assert rig.told == [("Critical: PaymentsDown", BANNER)]
    assert not bus.usable()


def test_paused_notifications_are_told_when_the_pause_ends(qtbot: QtBot, rig: Rig) -> None:
    rig.tray.toggle_pause()
    assert rig.tray.pause_action.text() == "Resume notifications"
    assert "Notifications paused until" in rig.tray.icon.toolTip()
    with qtbot.assertNotEmitted(rig.notifier.delivered):
        rig.monitor.accept(AlertsSnapshot((alert("SearchDown"),), "Alertmanager", 1.0))
    rig.tray.toggle_pause()
    assert rig.told == [("Critical: SearchDown", BANNER)]
    assert rig.tray.pause_action.text() == "Pause notifications for 1 hour"


def test_below_the_threshold_nothing_is_told(qtbot: QtBot, rig: Rig) -> None:
    with qtbot.assertNotEmitted(rig.notifier.delivered):
        rig.monitor.accept(AlertsSnapshot((alert("Ticket", "warning"),), "Alertmanager", 1.0))
    assert rig.tray.shown.worst is Severity.WARNING


def test_the_icon_draws_what_the_monitor_holds(rig: Rig) -> None:
    assert not rig.tray.shown.known
    assert rig.tray.icon.toolTip().splitlines() == ["Aioke — not logged in", "Alerts unknown"]
    alerts = (
        alert("A", "warning"),
        alert("B"),
        alert("C", status=AlertStatus.SILENCED),
    )
    rig.monitor.accept(AlertsSnapshot(alerts, "Alertmanager", 1.0))
    assert rig.tray.shown == rig.monitor.summary
    assert (rig.tray.shown.worst, rig.tray.shown.firing) == (Severity.CRITICAL, 2)
    assert "2 firing (worst: critical), 1 silenced" in rig.tray.icon.toolTip()
    rig.monitor._failed(RuntimeError("Alertmanager did not answer"))
    assert not rig.tray.shown.known  # unknown, grey: never a stale "all good"
    assert "Alerts unknown: Alertmanager did not answer" in rig.tray.icon.toolTip()


def centre(summary: AlertSummary, size: int = 64) -> QColor:
    image = render(summary, LIGHT, size).toImage()
    return image.pixelColor(int(size * 0.2), size // 2)


def test_the_icons_colour_is_the_worst_firing_severity() -> None:
    assert centre(AlertSummary(known=True)) == QColor(LIGHT.ok_fill)
    assert centre(AlertSummary(Severity.WARNING, 1, known=True)) == QColor(LIGHT.warning_fill)
    assert centre(AlertSummary(Severity.CRITICAL, 3, known=True)) == QColor(LIGHT.danger_fill)
    assert centre(AlertSummary(known=False)) == QColor(LIGHT.unknown)
    # From 32 px the count is a dark badge at the top right; below, it is in the disc.
    badge = render(AlertSummary(Severity.CRITICAL, 3, known=True), LIGHT, 64).toImage()
    assert badge.pixelColor(50, 8) == QColor(BADGE_FILL)
    plain = render(AlertSummary(known=True), LIGHT, 64).toImage()
    assert plain.pixelColor(50, 8) != QColor(BADGE_FILL)


def test_a_breaker_opening_and_an_auto_abort_are_told_once(qtbot: QtBot, rig: Rig) -> None:
    session = rig.notifier._session
    session.attach(Connection.open(context(), session))  # no login: events are handed in
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    opened = ClusterEvent(
        7, now, "breaker.transition", "breaker/checkout->payments", None, "opened",
        {"from": "CLOSED", "to": "OPEN", "reason": "failure rate 100 % ≥ 50 %"},
    )  # fmt: skip
    forced = ClusterEvent(
        8, now, "breaker.transition", "breaker/gateway->auth", "alice", "forced",
        {"from": "CLOSED", "to": "OPEN", "reason": "drill"},
    )  # fmt: skip
    aborted = ClusterEvent(
        9, now, "chaos.auto_aborted", "chaos/run/4", None, "Chaos run 4 was auto-aborted.", {}
    )
    rig.notifier.on_events([opened, forced, aborted])
    assert rig.told == [
        ("Breaker opened: checkout → payments", BANNER),
        ("Chaos run auto-aborted", BANNER),
    ]
    with qtbot.assertNotEmitted(rig.notifier.delivered):
        rig.notifier.on_events([opened, forced, aborted])  # the feed read again after a reset
    session.detach()
