"""Saving a chart: its picture as PNG and its data as CSV, written through the task runner
(the save dialog is replaced by the path it would return)."""

from __future__ import annotations

import math
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.charts.export import file_stem, save_through
from desktop.test_overview_charts import charts, line

pytestmark = [
    # The offscreen platform cannot size or raise windows (the outcome's tooltip is one).
    pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)"),
]


def test_a_chart_saves_its_picture_and_its_data_through_the_runner(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path
) -> None:
    group, (chart,) = charts(qtbot)
    values = np.full(120, 7.0)
    values[3] = math.inf
    chart.set_lines([line("p99", values)])
    chart.menu.aboutToShow.emit()
    assert not chart.menu.save_image.isEnabled()  # nowhere to write it yet
    save_through(runner, group.holder)  # type: ignore[attr-defined]  # as a page does
    chart.menu.aboutToShow.emit()
    assert chart.menu.save_image.isEnabled()
    assert chart.menu.save_csv.isEnabled()

    png, csv = tmp_path / "p99.png", tmp_path / "p99.csv"
    chart.menu.save_image_to(png)
    assert runner.wait_idle(5)
    picture = QImage(str(png))
    assert (picture.width(), picture.height()) == (chart.width(), chart.height())
    chart.menu.save_csv_to(csv)
    assert runner.wait_idle(5)
    rows = csv.read_text().splitlines()
    assert rows[0] == "series,time,value"
    assert len(rows) == 121
    assert rows[4].endswith(",+Inf")


def test_the_save_dialog_offers_the_charts_name_and_a_failed_write_says_why(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path
) -> None:
    group, (chart,) = charts(qtbot)
    chart.set_lines([line("p99", np.full(120, 7.0))])
    save_through(runner, group.holder)  # type: ignore[attr-defined]
    assert file_stem(chart) == "chart-0"
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    target = blocked / "chart-0.csv"  # a file where a directory should be: cannot write
    told: list[str] = []
    with (
        mock.patch.object(
            QFileDialog, "getSaveFileName", return_value=(str(target), "CSV (*.csv)")
        ) as dialog,
        mock.patch("aioke_desktop.ui.charts.export._tell", lambda _c, text: told.append(text)),
    ):
        chart.menu.save_csv.trigger()
        qtbot.waitUntil(lambda: bool(told), timeout=5_000)
    assert dialog.call_args.args[2] == "chart-0.csv"
    assert told == [f"Could not save {target}: Not a directory."]
