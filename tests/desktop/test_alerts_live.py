"""The Alerts page, the notifier and the tray against the sandbox's real Prometheus and
Alertmanager, as an error fault on the gateway fires its page-level burn-rate alert.

One test walks the whole story, because the story takes the time it takes: Sloth's page
alert needs the 5-minute and the 1-hour error ratios over 14.4 times the budget (about a minute
of 100 % errors on the gateway, which takes the traffic directly), and it resolves only when
the fault has left the 5-minute window, about five minutes after the fault ends. Everything
else (one notification, none after a restart, the silence, the runbook) happens meanwhile.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyotp
import pytest
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from aioke_desktop.api.desktop_notifications import DesktopBus
from aioke_desktop.core.alert_memory import MemoryFile
from aioke_desktop.core.alert_state import AlertsSnapshot, AlertStatus, CurrentAlert, summarise
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.alert_monitor import AlertMonitor, read_alerts
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.dialogs.runbook_run import RunbookRunDialog
from aioke_desktop.ui.dialogs.silence_alert import SilenceAlertDialog
from aioke_desktop.ui.notifications import BANNER, Notifier
from aioke_desktop.ui.pages.alerts import AlertsPage
from aioke_desktop.ui.pages.base import ViewSettings
from aioke_desktop.ui.tray import AlertTray
from aioke_desktop.ui.widgets.banner import Banner
from aioke_desktop.ui.widgets.time_range import TimeRange
from desktop.ui_helpers import light_theme
from sandbox_harness import Sandbox, running_sandbox

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

ALERT = "GatewayHighErrorRate"
FIRE_S = 180  # the page alert fires after about a minute of 100 % errors
RESOLVE_S = 420  # ...and resolves about five minutes after the fault ends
POLL_S = 2.0
BUDGET_LOW = "error budget low"


def connect(sandbox: Sandbox, session: Session, *roles: str) -> Connection:
    """A fresh user logged in through the desktop's clients, Alertmanager included."""
    user = sandbox.new_user(*roles)
    context = Context(
        "sandbox",
        sandbox.status["control_plane_url"],
        sandbox.prometheus_url,
        username=user.name,
        alertmanager_url=sandbox.alertmanager_url,
    ).check()
    connection = Connection.open(context, session)
    logged_in = connection.cluster.login(
        user.name, user.password, pyotp.TOTP(user.totp_secret).now()
    )
    connection.username, connection.roles = logged_in.name, logged_in.roles
    session.attach(connection)
    return connection


def page_alert(page: AlertsPage) -> CurrentAlert | None:
    return next(
        (
            a
            for a in page.model.items()
            if a.name == ALERT and a.labels.get("sloth_severity") == "page"
        ),
        None,
    )


def launch_gateway_errors(client: httpx.Client) -> str | None:
    """The run's id; None when the page alert fires already (an earlier test's fault), in
    which case the control plane refuses a new run on the gateway, rightly. ``BUDGET_LOW``
    when it refuses because the gateway's error budget is spent."""
    reply = client.post(
        "/chaos/runs",
        json={
            "fault": "error",
            "target": "gateway",
            "params": {"status": 500, "rate_percent": 100},
            "duration_seconds": FIRE_S,
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    refusal = reply.json().get("type", "") if reply.status_code == 409 else ""
    if refusal.endswith("slo-alert-firing"):
        return None
    if refusal.endswith("error-budget-low"):
        return BUDGET_LOW
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


@contextmanager
def burning_gateway(
    sandbox: Sandbox, workdir: Path
) -> Iterator[tuple[Sandbox, httpx.Client, str | None]]:
    """A sandbox whose gateway is failing (or whose page alert fires already), a chaos
    client, and the run to abort. The session's sandbox when it can; its day of history is
    a short 30-day window, so an earlier test's fault on the gateway can leave the budget
    spent, and the control plane then refuses a new fault there: a private sandbox then."""
    chaos = sandbox.operator("chaos", step_up=True)
    run_id = launch_gateway_errors(chaos)
    if run_id != BUDGET_LOW:
        yield sandbox, chaos, run_id
        return
    with running_sandbox(workdir) as private:
        chaos = private.operator("chaos", step_up=True)
        run_id = launch_gateway_errors(chaos)
        assert run_id != BUDGET_LOW
        yield private, chaos, run_id


def am_silences(sandbox: Sandbox) -> list[dict[str, object]]:
    reply = httpx.get(f"{sandbox.alertmanager_url}/api/v2/silences", timeout=10)
    reply.raise_for_status()
    found: list[dict[str, object]] = reply.json()
    return found


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_page_alert_is_shown_told_once_silenced_and_resolved(
    qtbot: QtBot,
    runner: TaskRunner,
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)  # no service: the banner
    with burning_gateway(sandbox, tmp_path / "sandbox") as (burning, chaos, run_id):
        walk_the_story(qtbot, runner, burning, chaos, run_id, tmp_path)


def walk_the_story(
    qtbot: QtBot,
    runner: TaskRunner,
    sandbox: Sandbox,
    chaos: httpx.Client,
    run_id: str | None,
    tmp_path: Path,
) -> None:
    theme = light_theme()
    session = Session()
    connection = connect(sandbox, session, "operator")
    window = QMainWindow()
    qtbot.addWidget(window)
    monitor = AlertMonitor(runner, session, window, interval_s=POLL_S)
    page = AlertsPage(runner, theme, session, monitor=monitor)
    qtbot.addWidget(page)
    page.resize(1112, 740)
    page.show()
    banner = Banner(theme.colours, window)
    memory_path = tmp_path / "notified.json"
    notifier = Notifier(
        runner, session, MemoryFile(memory_path).load(), memory_file=MemoryFile(memory_path),
        bus=DesktopBus(), banner=banner, parent=window,
    )  # fmt: skip
    monitor.updated.connect(notifier.on_alerts)
    tray = AlertTray(monitor, notifier, session, runner, window, theme)
    told: list[tuple[str, str]] = []
    notifier.delivered.connect(lambda n, channel: told.append((n.title, channel)))
    disagreements: list[str] = []

    def compare(snapshot: AlertsSnapshot) -> None:
        shown = summarise(page.model.items())
        if shown != tray.shown or tray.shown.headline() not in page.summary.text():
            disagreements.append(f"page {shown} / {page.summary.text()!r}, tray {tray.shown}")

    monitor.updated.connect(compare)
    monitor.start()
    with qtbot.waitSignal(page.first_data_ready, timeout=30_000):
        page.activate(ViewSettings(TimeRange.last("1h"), 5))

    silence_ids: list[str] = []
    try:
        qtbot.waitUntil(lambda: page_alert(page) is not None, timeout=FIRE_S * 1000)
        if run_id is not None:  # the resolve clock starts when the errors stop
            chaos.post(f"/chaos/runs/{run_id}/abort", json={})
        firing = page_alert(page)
        assert firing is not None
        assert firing.status is AlertStatus.FIRING
        assert firing.severity_text == "critical"
        assert firing.runbook is not None
        assert tray.shown.worst.word == "critical"

        # A context without Alertmanager reads the same alert from Prometheus itself.
        alone = read_alerts(dataclasses.replace(connection, alertmanager=None))
        same = next(a for a in alone.alerts if a.key == firing.key)
        assert alone.source == "Prometheus"
        assert same.fingerprint == firing.fingerprint
        assert same.status is AlertStatus.FIRING

        # Told once, through the banner (no tray, no notification service here)...
        title = f"Critical: {ALERT}"
        qtbot.waitUntil(lambda: (title, BANNER) in told, timeout=10_000)
        assert banner.text().startswith(title)
        updates = len(told)
        for _ in range(2):
            with qtbot.waitSignal(monitor.updated, timeout=15_000):
                pass
        assert told.count((title, BANNER)) == 1
        assert len(told) == updates
        assert len(set(told)) == len(told), told

        # ...and not again by the next run of the app, which reads the same file.
        notifier.flush()
        again = restarted_notifier(qtbot, runner, session, memory_path)
        assert again == []

        # From the page to the remedy: the runbook the alert names, its service filled in.
        page.select_alert(firing.key)
        assert page.runbook_button.isEnabled(), page.runbook_button.toolTip()
        with qtbot.waitSignal(page.alert_actions.runbook_opened, timeout=15_000) as opened:
            page.runbook_button.click()
        dialog = opened.args[0]
        assert isinstance(dialog, RunbookRunDialog)
        assert dialog.runbook.id == "stop-chaos-on-service"
        assert dialog.form.values()["service"] == "gateway"
        dialog.reject()

        # Acknowledge: a silence in Alertmanager, in the user's name, and the row says so.
        page.select_alert(firing.key)
        assert page.ack_button.isEnabled(), page.ack_button.toolTip()
        page.ack_button.click()
        ack = page.alert_actions.dialog
        assert isinstance(ack, SilenceAlertDialog)
        ack.comment.setText("Looking into the gateway's 500s")
        with qtbot.waitSignal(page.alert_actions.changed, timeout=15_000):
            ack.ok_button.click()
        mine = [s for s in am_silences(sandbox) if s["createdBy"] == connection.username]
        assert len(mine) == 1
        silence = mine[0]
        silence_ids.append(str(silence["id"]))
        assert silence["comment"] == "Looking into the gateway's 500s"
        assert silence["status"] == {"state": "active"}
        matched = {m["name"]: m["value"] for m in silence["matchers"]}  # type: ignore[attr-defined]
        assert matched["alertname"] == ALERT
        assert "sloth_window" not in matched  # it changes while the SLO keeps burning
        qtbot.waitUntil(
            lambda: (a := page_alert(page)) is not None and a.status is AlertStatus.SILENCED,
            timeout=30_000,
        )
        assert tray.shown.silenced >= 1
        assert tray.shown.worst.word != "critical"  # a silenced page is not what needs you

        # Expire it from the Silences tab: the alert fires again.
        page.silences_view.select(silence_ids[0])
        with qtbot.waitSignal(page.alert_actions.changed, timeout=15_000):
            page.silences_view.expire_button.click()
        assert next(s for s in am_silences(sandbox) if s["id"] == silence_ids[0])["status"] == {
            "state": "expired"
        }
        qtbot.waitUntil(
            lambda: (a := page_alert(page)) is None or a.status is AlertStatus.FIRING,
            timeout=30_000,
        )

        # Resolved: gone from the page, and the tray no longer says critical.
        qtbot.waitUntil(lambda: page_alert(page) is None, timeout=RESOLVE_S * 1000)
        assert tray.shown.worst.word != "critical"
        assert tray.shown == summarise(page.model.items())
        assert disagreements == []
    finally:
        if run_id is not None:
            chaos.post(f"/chaos/runs/{run_id}/abort", json={})
        for silence_id in silence_ids:
            httpx.delete(f"{sandbox.alertmanager_url}/api/v2/silence/{silence_id}", timeout=10)
        page.deactivate()
        monitor.stop()
        runner.wait_idle(30)
        session.detach()


def restarted_notifier(
    qtbot: QtBot, runner: TaskRunner, session: Session, memory_path: Path
) -> list[str]:
    """What a new notifier over the same memory file tells at its first snapshot."""
    file = MemoryFile(memory_path)
    monitor = AlertMonitor(runner, session, interval_s=POLL_S)
    notifier = Notifier(runner, session, file.load(), memory_file=file, bus=DesktopBus())
    monitor.updated.connect(notifier.on_alerts)
    told: list[str] = []
    notifier.delivered.connect(lambda n, _channel: told.append(n.title))
    try:
        with qtbot.waitSignal(monitor.updated, timeout=15_000) as first:
            monitor.start()
        snapshot = first.args[0]
        assert any(a.name == ALERT and a.firing for a in snapshot.alerts)
        return told
    finally:
        monitor.stop()
        monitor.deleteLater()
        notifier.deleteLater()
