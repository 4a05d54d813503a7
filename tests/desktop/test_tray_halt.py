"""The tray's "Halt all chaos" against the real control plane: the shared action runner asks
for confirmation and a fresh TOTP code, and the halt is the server's."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from aioke_desktop.core.alert_memory import NotificationMemory
from aioke_desktop.runtime.alert_monitor import AlertMonitor
from aioke_desktop.runtime.session import Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.dialogs.action_prompts import ConfirmChangeDialog
from aioke_desktop.ui.notifications import Notifier
from aioke_desktop.ui.tray import AlertTray
from desktop.ops_helpers import Dialogs, connect
from desktop.sim_cluster import answer_step_up
from desktop.ui_helpers import light_theme
from harness import Cluster

# Offscreen windows cannot be raised; "Open" raises the window.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")


def tray_for(qtbot: QtBot, runner: TaskRunner, session: Session) -> AlertTray:
    window = QMainWindow()
    qtbot.addWidget(window)
    monitor = AlertMonitor(runner, session, window)
    notifier = Notifier(runner, session, NotificationMemory(), parent=window)
    return AlertTray(monitor, notifier, session, runner, window, light_theme())


def test_halt_all_chaos_from_the_tray_confirms_and_steps_up(
    qtbot: QtBot, runner: TaskRunner, cluster: Cluster
) -> None:
    session = Session()
    tray = tray_for(qtbot, runner, session)
    assert not tray.halt_action.isEnabled()
    assert tray.halt_action.toolTip() == "Log in first."
    user = connect(cluster, session, "chaos")
    assert tray.halt_action.isEnabled()
    dialogs = Dialogs(tray.actions)
    tray.halt_action.trigger()
    confirm = dialogs.wait_for(qtbot, ConfirmChangeDialog)
    assert "no new one can start" in confirm.question.text()
    confirm.confirm_button.click()
    with qtbot.waitSignal(tray.actions.succeeded, timeout=15_000):
        answer_step_up(qtbot, cluster, user, dialogs)
    connection = session.connection
    assert connection is not None
    try:
        halt = connection.cluster.chaos.halt_state()
        assert halt is not None
        assert halt["by"] == user.name
        assert halt["reason"] == f"Halted from the tray by {user.name}"
        assert tray.parent().statusBar().currentMessage() == "Done: Halt all chaos."  # type: ignore[attr-defined]
    finally:
        admin = cluster.user("chaos")
        cluster.step_up(admin)
        assert admin.post("/chaos/resume", json={}).status_code in (200, 204)
        runner.wait_idle(10)
        session.detach()


def test_a_viewer_sees_why_the_tray_cannot_halt_chaos(
    qtbot: QtBot, runner: TaskRunner, cluster: Cluster
) -> None:
    session = Session()
    tray = tray_for(qtbot, runner, session)
    connect(cluster, session, "viewer")
    assert not tray.halt_action.isEnabled()
    assert tray.halt_action.toolTip() == "This needs the chaos role; you are viewer."
    session.set_read_only(True)
    assert tray.pause_action.isEnabled()  # pausing notifications changes nothing on the cluster
    runner.wait_idle(10)
    session.detach()
