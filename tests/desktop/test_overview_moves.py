"""The Overview over the real sandbox, as the user moves around it: zooming and going back
to live, Prometheus freezing under it, and a login to another cluster."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.poller import Health
from aioke_desktop.runtime.task_runner import TaskRunner
from desktop.overview_helpers import (
    connect,
    eventually,
    fetches,
    prometheus_stopped,
    shown_overview,
)
from sandbox_harness import Sandbox

pytestmark = [
    pytest.mark.slow,
    # The offscreen platform cannot pass a window's size limits on; nothing to see there.
    pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints"),
]

SERVICES = {"gateway", "checkout", "payments", "inventory", "auth", "search", "recommendations"}


def test_zooming_stops_following_and_back_to_live_returns(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    with shown_overview(qtbot, runner, sandbox) as page:
        latency = page.charts.charts["latency"]
        box = latency.plot.getViewBox()
        window = box.viewRange()[0]
        centre = QPointF(latency.plot_widget.viewport().rect().center())
        wheel = QWheelEvent(
            centre,
            latency.plot_widget.viewport().mapToGlobal(centre),
            QPoint(0, 0),
            QPoint(0, 240),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(latency.plot_widget.viewport(), wheel)
        zoomed = box.viewRange()[0]
        assert zoomed[1] - zoomed[0] < 0.9 * (window[1] - window[0])
        assert not page.charts.group.following
        back = page.charts.live_button
        assert back.isVisible()
        # The axes are linked: every chart shows the zoomed time.
        for chart in page.charts.charts.values():
            assert chart.plot.getViewBox().viewRange()[0] == pytest.approx(zoomed)
        # New data does not move a zoomed view...
        end = page.store.end
        qtbot.waitUntil(lambda: page.store.end > end, timeout=15_000)
        assert box.viewRange()[0] == pytest.approx(zoomed)
        # ...until one click goes back to the whole window, following it again.
        qtbot.mouseClick(back, Qt.MouseButton.LeftButton)
        assert page.charts.group.following
        assert not back.isVisible()
        assert box.viewRange()[0] == pytest.approx((page.store.start, page.store.end))


def test_data_goes_stale_when_prometheus_stops_answering(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    with shown_overview(qtbot, runner, sandbox) as page:
        charts = list(page.charts.charts.values())
        assert not any(chart.is_stale() for chart in charts)
        started = time.monotonic()
        with prometheus_stopped(sandbox.prometheus_url):
            qtbot.waitUntil(lambda: all(chart.is_stale() for chart in charts), timeout=10_000)
            # Two refresh intervals (1 s each) without an answer, not sooner.
            assert time.monotonic() - started >= 2.0
            assert page.poller.health.health is Health.STALE
            latency = page.charts.charts["latency"]
            assert latency.stale.isVisible()
            assert latency.stale.text().startswith("stale since ")
            pens = [item.opts["pen"].color().name() for item in latency._items[:3]]
            assert pens == [latency._muted] * 3  # greyed
        qtbot.waitUntil(lambda: not any(chart.is_stale() for chart in charts), timeout=40_000)
        assert eventually(lambda: page.poller.health.health is Health.OK)()


def test_a_login_to_another_cluster_starts_over_with_a_full_fetch(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    with shown_overview(qtbot, runner, sandbox) as page:
        seen = fetches(page)
        qtbot.waitUntil(lambda: len(seen) >= 1, timeout=10_000)
        assert not seen[-1].full  # refreshes fetch the tail...
        connect(sandbox, page.session)  # ...until another connection replaces this one
        qtbot.waitUntil(lambda: seen[-1].full, timeout=20_000)
        qtbot.waitUntil(lambda: page.model.rowCount() == len(SERVICES), timeout=10_000)
        assert len(page.selected_services()) == 1
