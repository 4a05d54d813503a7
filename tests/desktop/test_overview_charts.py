"""The time-series chart on its own: legend toggles, the crosshair across linked charts,
the threshold, stale styling and change markers (drawn from lines given in the test)."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from aioke_desktop.core.annotations import Annotation
from aioke_desktop.ui.charts.group import ChartGroup
from aioke_desktop.ui.charts.timeseries import Line, TimeSeriesChart
from aioke_desktop.ui.charts.units import Unit, format_value, line_colour
from desktop.ui_helpers import light_theme

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

START = 1_767_801_600.0
TIMES = START + 5.0 * np.arange(120)


def line(label: str, values: np.ndarray, number: int = 0) -> Line:
    return Line(
        label, TIMES, np.where(np.isinf(values), np.nan, values), values, line_colour(number)
    )


def charts(qtbot: QtBot, count: int = 1) -> tuple[ChartGroup, list[TimeSeriesChart]]:
    light_theme()
    holder = QWidget()
    layout = QVBoxLayout(holder)
    group = ChartGroup(holder)
    made = []
    for number in range(count):
        chart = TimeSeriesChart(f"Chart {number}", Unit.MS, holder)
        layout.addWidget(chart)
        group.add(chart)
        made.append(chart)
    qtbot.addWidget(holder)
    group.holder = holder  # type: ignore[attr-defined]  # keeps the widgets alive
    holder.resize(600, 260 * count)
    holder.show()
    qtbot.waitExposed(holder)
    return group, made


def point_at(chart: TimeSeriesChart, when: float, value: float) -> QPoint:
    scene = chart.plot.getViewBox().mapViewToScene(QPointF(when, value))
    return chart.plot_widget.mapFromScene(scene)


def test_a_click_on_a_name_hides_its_line_and_another_shows_it(qtbot: QtBot) -> None:
    _group, (chart,) = charts(qtbot)
    chart.set_lines([line("p50", np.full(120, 10.0)), line("p99", np.full(120, 90.0), 1)])
    assert "p99 90 ms" in chart.readout.text()
    chart.readout.linkActivated.emit("line:1")  # what QLabel sends for a click on "p99"
    assert chart.is_hidden("p99")
    assert not chart._items[1].isVisible()
    assert "<s>p99 90 ms</s>" in chart.readout.text()
    # A refresh keeps it hidden; a second click brings it back.
    chart.set_lines([line("p50", np.full(120, 11.0)), line("p99", np.full(120, 95.0), 1)])
    assert not chart._items[1].isVisible()
    chart.readout.linkActivated.emit("line:1")
    assert chart._items[1].isVisible()


def test_the_crosshair_follows_the_pointer_on_every_linked_chart(qtbot: QtBot) -> None:
    group, (top, bottom) = charts(qtbot, 2)
    top.set_lines([line("p99", np.arange(120.0))])
    bottom.set_lines([line("traffic", 2 * np.arange(120.0))])
    group.show_window(TIMES[0], TIMES[-1])
    when = TIMES[60]
    QTest.mouseMove(top.plot_widget.viewport(), point_at(top, when, 60.0))
    qtbot.waitUntil(lambda: bottom.crosshair.isVisible(), timeout=2_000)
    assert top.crosshair.value() == pytest.approx(when, abs=5)
    assert bottom.crosshair.value() == pytest.approx(top.crosshair.value())
    # The readout gives the time of the point whose values it shows.
    nearest = TIMES[np.abs(TIMES - top.crosshair.value()).argmin()]
    assert top.readout.text().startswith(f"{datetime.fromtimestamp(nearest):%H:%M:%S} · ")
    assert "p99 60 ms" in top.readout.text()
    assert "traffic 120 ms" in bottom.readout.text()


def test_the_readout_says_now_only_for_a_recent_value(qtbot: QtBot) -> None:
    _group, (chart,) = charts(qtbot)
    chart.set_window(TIMES[0], TIMES[-1] + 60, 5)  # the newest point is a minute old
    chart.set_lines([line("p99", np.full(120, 7.0))])
    assert "p99 —" in chart.readout.text()
    chart.set_window(TIMES[0], TIMES[-1], 5)
    chart.set_lines([line("p99", np.full(120, 7.0))])
    assert "now · " in chart.readout.text()
    assert "p99 7 ms" in chart.readout.text()


def test_no_data_shows_until_a_value_arrives(qtbot: QtBot) -> None:
    _group, (chart,) = charts(qtbot)
    chart.set_lines([])
    assert chart.no_data.isVisible()
    chart.set_lines([line("p99", np.full(120, np.nan))])
    assert chart.no_data.isVisible()  # a series of NaN is nothing to draw either
    chart.set_lines([line("p99", np.full(120, 3.0))])
    assert not chart.no_data.isVisible()


def test_the_threshold_stays_in_view_above_quiet_data(qtbot: QtBot) -> None:
    group, (chart,) = charts(qtbot)
    chart.set_window(TIMES[0], TIMES[-1], 5)
    chart.set_lines([line("errors", np.full(120, 0.01))])
    chart.set_threshold(0.1, "SLO 99.9 % → 0.1 %")
    group.show_window(TIMES[0], TIMES[-1])
    qtbot.waitUntil(lambda: chart.plot.getViewBox().viewRange()[1][1] >= 0.1, timeout=2_000)
    assert chart.threshold_label.isVisible()
    chart.set_threshold(None)
    assert not chart.threshold_label.isVisible()


def test_stale_data_is_greyed_and_says_since_when(qtbot: QtBot) -> None:
    _group, (chart,) = charts(qtbot)
    chart.set_lines([line("p99", np.full(120, 7.0))])
    colour = chart._items[0].opts["pen"].color().name()
    chart.set_stale(datetime(2026, 1, 7, 16, 4, 5))
    assert chart.stale.text() == "stale since 16:04:05"
    assert chart.readout.text().startswith("last · ")  # not "now"
    assert chart._items[0].opts["pen"].color().name() == chart._muted != colour
    chart.set_stale(None)
    assert not chart.stale.isVisible()
    assert chart._items[0].opts["pen"].color().name() == colour


def test_a_click_beside_a_marker_is_a_click_on_the_chart(qtbot: QtBot) -> None:
    group, (chart,) = charts(qtbot)
    chart.set_lines([line("p99", np.full(120, 7.0))])
    group.show_window(TIMES[0], TIMES[-1])
    change = Annotation("audit:1", float(TIMES[50]), "flag.update", "flag/x", "alice", "s")
    chart.set_annotations([change])
    viewport = chart.plot_widget.viewport()
    beside = point_at(chart, TIMES[80], 7.0)
    with qtbot.assertNotEmitted(chart.annotation_clicked):
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=beside)
    on_it = point_at(chart, TIMES[50], 7.0)
    with qtbot.waitSignal(chart.annotation_clicked, timeout=2_000) as clicked:
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=on_it + QPoint(3, 0))
    assert clicked.args == [change]


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (12.34, Unit.MS, "12.3 ms"),
        (1534.0, Unit.MS, "1.53 s"),
        (12_345.0, Unit.PER_SECOND, "12.3k req/s"),
        (0.0299, Unit.PERCENT, "0.0299%"),
        (math.inf, Unit.MS, "∞"),
        (math.nan, Unit.PERCENT, "—"),
        (None, Unit.PERCENT, "—"),
    ],
)
def test_values_are_short_with_their_unit(value: float | None, unit: Unit, text: str) -> None:
    assert format_value(value, unit) == text


def test_the_menu_copies_the_promql_the_data_and_the_picture(qtbot: QtBot) -> None:
    _group, (chart,) = charts(qtbot)
    values = np.full(120, 7.0)
    values[3] = math.inf
    chart.set_lines([line("p99", values)])
    chart.promql = 'histogram_quantile(0.99, sum by (service, le) (rate(x{service=~"a"}[5m])))'
    clipboard = QApplication.clipboard()
    chart.menu.copy_promql.trigger()
    assert clipboard.text() == chart.promql
    chart.menu.copy_csv.trigger()
    rows = clipboard.text().splitlines()
    assert rows[0] == "series,time,value"
    assert rows[1] == '"p99",2026-01-07T16:00:00Z,7.0'
    assert rows[4].endswith(",+Inf")
    assert len(rows) == 121
    chart.menu.copy_image.trigger()
    assert clipboard.image().width() == chart.width()
