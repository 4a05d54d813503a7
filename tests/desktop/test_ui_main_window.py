"""The main window: navigation, shortcuts, toolbar, lights, banner and status bar."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from aioke_desktop.api.errors import ConnectionFailed
from aioke_desktop.runtime.poller import Poller
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.main_window import MainWindow
from aioke_desktop.ui.pages import PAGE_KEYS, PageState, ViewSettings
from aioke_desktop.ui.theme import LIGHT
from aioke_desktop.ui.widgets.time_range import TimeRange
from desktop.ui_helpers import FetchingPage, context, light_theme, make_window


def _activate(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)


def test_the_sidebar_lists_every_page_and_a_click_shows_it(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    window = make_window(qtbot, runner)
    titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert titles == [
        "Overview", "Services", "SLOs", "Alerts", "Flags",
        "Breakers", "Chaos", "Runbooks", "Audit",
    ]  # fmt: skip

    item = window.sidebar.item(4)
    rect = window.sidebar.visualItemRect(item)
    qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page().key == "flags"
    assert window.stack.currentWidget() is window.current_page()
    assert window.current_page().isVisible()


def test_ctrl_and_a_digit_jump_to_that_page(qtbot: QtBot, runner: TaskRunner) -> None:
    window = make_window(qtbot, runner)
    _activate(qtbot, window)
    for number, key in enumerate(PAGE_KEYS, start=1):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page().key == key
        assert window.sidebar.currentRow() == number - 1


def test_only_the_shown_page_polls(qtbot: QtBot, runner: TaskRunner) -> None:
    page = FetchingPage(runner, light_theme(), lambda view: lambda: "answer")
    window = make_window(qtbot, runner, extra=[page])
    assert not page.poller.is_active()
    with qtbot.waitSignal(page.first_data_ready, timeout=5000):
        window.sidebar.setCurrentRow(9)
    assert page.poller.is_active()
    window.sidebar.setCurrentRow(0)
    assert not page.poller.is_active()


def test_f5_refreshes_the_shown_page(qtbot: QtBot, runner: TaskRunner) -> None:
    calls: list[int] = []
    page = FetchingPage(runner, light_theme(), lambda view: lambda: calls.append(1) or len(calls))
    window = make_window(qtbot, runner, extra=[page])
    with qtbot.waitSignal(page.first_data_ready, timeout=5000):
        window.show_page("fetching")
    _activate(qtbot, window)
    with qtbot.waitSignal(page.poller.data, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    assert len(calls) == 2
    assert page.shown.text() == "2"


def test_a_new_time_range_refetches_with_it_and_the_interval_follows(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    page = FetchingPage(runner, light_theme(), lambda view: lambda: view.time_range.key)
    window = make_window(qtbot, runner, extra=[page])
    with qtbot.waitSignal(page.first_data_ready, timeout=5000):
        window.show_page("fetching")
    assert page.shown.text() == "1h"

    with qtbot.waitSignal(page.poller.data, timeout=5000):
        window.time_range.setCurrentIndex(5)
        window.time_range.activated.emit(5)  # as a user's choice in the list does
    assert page.shown.text() == "7d"
    assert page.views[-1].time_range == TimeRange.last("7d")

    window.refresh_interval.choose(5)
    assert page.poller.interval_s == 5
    window.refresh_interval.choose(None)
    assert page.poller.interval_s is None


def test_the_status_bar_shows_the_last_refresh_and_its_latency(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    page = FetchingPage(runner, light_theme(), lambda view: lambda: "answer")
    window = make_window(qtbot, runner, extra=[page])
    assert window.refresh_status.text() == "Not refreshed yet"
    with qtbot.waitSignal(page.first_data_ready, timeout=5000):
        window.show_page("fetching")
    qtbot.waitUntil(lambda: window.refresh_status.text().startswith("Last refresh "))
    assert " · query " in window.refresh_status.text()
    assert window.refresh_status.text().endswith(" ms")


def test_lights_show_each_endpoint_and_retry_a_failing_one(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    window = make_window(qtbot, runner)
    attempts: list[int] = []

    def prometheus() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionFailed("Prometheus could not be reached.")
        return "ok"

    control_plane = Poller(runner, lambda: "ok", name="cp", parent=window)
    prom = Poller(runner, prometheus, name="prometheus", parent=window)
    window.watch_endpoints(
        {"Control plane": control_plane, "Prometheus": prom, "Alertmanager": None}
    )
    with qtbot.waitSignals([control_plane.data, prom.failed], timeout=5000):
        control_plane.start()
        prom.start()

    lights = window.lights
    assert lights["Control plane"].colour() == LIGHT.ok_fill
    assert lights["Prometheus"].colour() == LIGHT.danger_fill
    assert "Prometheus could not be reached." in lights["Prometheus"].toolTip()
    assert lights["Alertmanager"].colour() == LIGHT.unknown
    assert "not connected" in lights["Alertmanager"].toolTip()

    detail, retry = lights["Prometheus"].menu_actions()
    assert detail.text() == lights["Prometheus"].toolTip()
    with qtbot.waitSignal(prom.data, timeout=5000):
        retry.trigger()
    assert lights["Prometheus"].colour() == LIGHT.ok_fill
    assert lights["Prometheus"].text() == "Prometheus"
    for poller in (control_plane, prom):
        poller.stop()


def test_the_red_banner_shows_while_the_context_skips_tls_verification(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    safe, unsafe = context("prod"), context("lab", insecure=True)
    window = make_window(qtbot, runner, contexts=[safe, unsafe], active=safe)
    assert not window.banner.isVisible()
    assert window.windowTitle() == "prod — Aioke"

    window.show_contexts([safe, unsafe], unsafe)
    assert window.banner.isVisible()
    assert "TLS verification is off for “lab”" in window.banner.text()
    window.show_contexts([safe, unsafe], safe)
    assert not window.banner.isVisible()


def test_the_context_switcher_lists_the_contexts_and_reports_a_choice(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    contexts = [context("staging"), context("prod-eu")]
    window = make_window(qtbot, runner, contexts=contexts, active=contexts[0])
    assert window.contexts.names() == ["staging", "prod-eu"]
    assert window.contexts.current_name() == "staging"
    with qtbot.waitSignal(window.context_chosen, timeout=1000) as chosen:
        window.contexts.activated.emit(1)
    assert chosen.args == ["prod-eu"]


def test_without_contexts_the_switcher_says_so(qtbot: QtBot, runner: TaskRunner) -> None:
    window = make_window(qtbot, runner)
    assert window.contexts.currentText() == "No cluster configured"
    assert not window.contexts.isEnabled()
    assert window.session.text() == "Not logged in"


def test_the_session_label_names_user_roles_and_time_left(qtbot: QtBot, runner: TaskRunner) -> None:
    window = make_window(qtbot, runner)
    now = 1_000_000.0
    window.session._clock = lambda: now
    window.session.show_session("alice", ["operator", "chaos"], expires_at=now + 3 * 3600 + 600)
    assert window.session.text() == "alice · operator, chaos"
    assert "session ends in 3 h 10 min" in window.session.toolTip()
    window.session.show_session("alice", ["operator", "chaos"], expires_at=now + 12 * 60)
    assert window.session.text() == "alice · operator, chaos · session ends in 12 min"


def test_closing_the_window_stops_polling(qtbot: QtBot, runner: TaskRunner) -> None:
    gate = threading.Event()
    page = FetchingPage(runner, light_theme(), lambda view: lambda: gate.wait(10))
    window = make_window(qtbot, runner, extra=[page], view=ViewSettings(TimeRange.last("5m"), 5))
    window.show_page("fetching")
    assert page.poller.is_active()
    window.close()
    assert not page.poller.is_active()
    gate.set()
    assert runner.wait_idle(10)
    assert page.state is PageState.DATA
