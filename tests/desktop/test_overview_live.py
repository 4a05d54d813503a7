"""The Overview against the real sandbox: its control plane with the simulated workload and
its Prometheus with a day of history and live scraping."""

from __future__ import annotations

import math
import time
import uuid
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from aioke_desktop.core.annotations import Annotation
from aioke_desktop.core.golden import MAX_POINTS, fetch_golden
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.charts.timeseries import TimeSeriesChart
from aioke_desktop.ui.main_window import MainWindow
from aioke_desktop.ui.pages.base import ViewSettings
from aioke_desktop.ui.widgets.time_range import TimeRange
from desktop.overview_helpers import (
    FIFTEEN_MINUTES,
    all_numbers,
    fetches,
    row_values,
    shown_overview,
)
from desktop.ui_helpers import light_theme
from sandbox_harness import Sandbox

pytestmark = [
    pytest.mark.slow,
    # The offscreen platform cannot pass a window's size limits on; nothing to see there.
    pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints"),
]

SERVICES = {"gateway", "checkout", "payments", "inventory", "auth", "search", "recommendations"}


def chart_x(chart: TimeSeriesChart, when: float) -> QPoint:
    """Where time ``when`` is on the chart's widget, half-way up the plot."""
    box = chart.plot.getViewBox()
    (_x0, _x1), (y0, y1) = box.viewRange()
    scene = box.mapViewToScene(QPointF(when, (y0 + y1) / 2))
    return chart.plot_widget.mapFromScene(scene)


def test_every_service_has_a_row_with_numbers_and_the_worst_one_is_charted(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    with shown_overview(qtbot, runner, sandbox) as page:
        qtbot.waitUntil(
            lambda: all(all_numbers(row_values(page, s)) for s in SERVICES), timeout=20_000
        )
        assert {row.service for row in page.model.rows} == SERVICES
        # Sorted by SLO budget, least left first, and that service is charted.
        budgets = [page.proxy.index(r, 7).data(page.proxy.sortRole()) for r in range(7)]
        assert budgets == sorted(budgets)
        worst = page.proxy.index(0, 0).data()
        assert page.selected_services() == [worst]
        charts = page.charts.charts
        assert [line.label for line in charts["latency"].lines] == ["p50", "p95", "p99"]
        assert all(chart.has_data() for chart in charts.values())
        assert not any(chart.no_data.isVisible() for chart in charts.values())
        assert {line.label for line in charts["saturation"].lines} == {"cpu", "memory", "queue"}
        assert charts["errors"].threshold_label.isVisible()
        assert "SLO" in charts["errors"].threshold_label.textItem.toPlainText()


def test_selecting_a_service_fills_the_four_charts_with_what_prometheus_says(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    with shown_overview(qtbot, runner, sandbox) as page:
        row = page.proxy.mapFromSource(page.model.index(page.model.row_of("payments"), 0))
        rect = page.table.visualRect(row)
        qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert page.selected_services() == ["payments"]
        assert page.charts.showing.text() == "Charts for payments"
        traffic = page.charts.charts["traffic"]
        assert [line.label for line in traffic.lines] == ["payments"]
        line = traffic.lines[0]
        assert len(line.times) > 100  # 15 minutes at a 5 s step
        # The newest point agrees with Prometheus asked directly for the same instant.
        expr = 'sum(rate(http_server_request_duration_seconds_count{service="payments"}[5m]))'
        reply = httpx.get(
            f"{sandbox.prometheus_url}/api/v1/query",
            params={"query": expr, "time": f"{line.times[-1]:.3f}"},
        ).json()
        direct = float(reply["data"]["result"][0]["value"][1])
        assert line.values[-1] == pytest.approx(direct, rel=0.01)
        for chart in page.charts.charts.values():
            assert chart.has_data(), chart.objectName()
        # "Copy PromQL" gives the queries for the service shown, ready for Prometheus.
        traffic.menu.copy_promql.trigger()
        copied = QApplication.clipboard().text()
        assert 'service=~"payments"' in copied
        assert copied == traffic.promql


def test_a_chaos_latency_fault_raises_p99_and_is_marked_with_who_launched_it(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    chaos = sandbox.operator("chaos", step_up=True)
    who = chaos.get("/me").json()["name"]
    with shown_overview(qtbot, runner, sandbox) as page:
        page.select_services(["inventory"])
        latency = page.charts.charts["latency"]
        before = latency.value_at("p99", page.store.end)
        assert math.isfinite(before)
        launched = chaos.post(
            "/chaos/runs",
            json={
                "fault": "latency",
                "target": "inventory",
                "params": {"latency_ms": 1500},
                "duration_seconds": 90,
                "blast_radius_percent": 100,
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        assert launched.status_code == 201, launched.text
        run = launched.json()
        try:

            def marked() -> Annotation | None:
                for annotation in latency.annotations.annotations:
                    if annotation.kind == "chaos.launch" and annotation.actor == who:
                        return annotation
                return None

            qtbot.waitUntil(lambda: marked() is not None, timeout=10_000)
            qtbot.waitUntil(
                lambda: latency.value_at("p99", page.store.end) > before + 500, timeout=60_000
            )
            # The same change is marked on every chart, once.
            for chart in page.charts.charts.values():
                assert [a.key for a in chart.annotations.annotations].count(marked().key) == 1
            launch = marked()
            assert launch is not None
            qtbot.waitUntil(lambda: page.store.end >= launch.time, timeout=10_000)

            # Hovering the marker says who did what; a click asks to open the run.
            point = chart_x(latency, launch.time)
            QTest.mouseMove(latency.plot_widget.viewport(), point)
            qtbot.waitUntil(lambda: who in latency.annotations.toolTip(), timeout=5_000)
            tip = latency.annotations.toolTip()
            assert "chaos.launch" in tip
            assert "inventory" in tip
            with qtbot.waitSignal(page.change_chosen, timeout=5_000) as chosen:
                QTest.mouseClick(
                    latency.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=point
                )
            assert chosen.args[0].key == launch.key
            assert chosen.args[0].page == "chaos"
        finally:
            chaos.post(
                f"/chaos/runs/{run['id']}/abort", headers={"Idempotency-Key": uuid.uuid4().hex}
            )


def test_a_refresh_fetches_only_the_new_tail(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    hour = ViewSettings(TimeRange.last("1h"), 5)  # the figure: 1 h at a 5 s refresh
    with shown_overview(qtbot, runner, sandbox, view=hour) as page:
        plan = page.store.plan
        assert plan is not None
        assert plan.points <= MAX_POINTS + 1
        held = page.store.points_held()
        seen = fetches(page)
        qtbot.waitUntil(lambda: sum(not f.full for f in seen) >= 3, timeout=40_000)
        connection = page.session.connection
        assert connection is not None
        # What a full refetch would cost now (as Prometheus' own UI does on every refresh).
        full = fetch_golden(connection.prometheus, plan, now=time.time())
        tails = [f for f in seen if not f.full]
        assert all(tail.points <= 0.15 * full.points for tail in tails), (
            [tail.points for tail in tails],
            full.points,
        )
        # The window slides; it does not grow.
        assert page.store.points_held() <= held + 3 * len(full.series)


def test_a_change_made_before_the_page_opened_is_marked_from_the_audit_log(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    operator = sandbox.operator("operator")
    key = f"overview-{uuid.uuid4().hex[:8]}"
    created = operator.post(
        "/flags", json={"key": key, "owner": "sre"}, headers={"Idempotency-Key": key}
    )
    assert created.status_code == 201, created.text
    with shown_overview(qtbot, runner, sandbox, follow=False) as page:
        marked = [a for a in page.charts.charts["traffic"].annotations.annotations]
        mine = [a for a in marked if a.resource == f"flag/{key}"]
        assert len(mine) == 1
        assert mine[0].kind == "flag.create"
        assert mine[0].page == "flags"
        assert mine[0].key.startswith("audit:")


def test_the_page_renders_a_readable_picture_at_1280x800(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox, tmp_path: Path
) -> None:
    with shown_overview(qtbot, runner, sandbox) as page:
        theme = light_theme()
        window = MainWindow(pages=[page], theme=theme, view=FIFTEEN_MINUTES)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        qtbot.waitExposed(window)
        picture = window.grab()
        assert picture.save(str(tmp_path / "overview.png"))
        image = picture.toImage()
        for chart in page.charts.charts.values():
            # Each chart shows lines: many colours, not a blank panel.
            corner = chart.plot_widget.mapTo(window, QPoint(0, 0))
            size = chart.plot_widget.size()
            colours = {
                image.pixel(corner.x() + x, corner.y() + y)
                for x in range(0, size.width(), 3)
                for y in range(0, size.height(), 3)
            }
            assert len(colours) > 20, chart.objectName()
        # The table shows every row without scrolling.
        assert page.table.verticalScrollBar().maximum() == 0
