"""A chart's right-click menu: copy its PromQL, its data as CSV, or its picture, or save
the picture as PNG and the data as CSV.

Copies go to the clipboard (a paste lands where the user wants it: a ticket, a sheet, a
chat). Saves ask for a file, then write it on a worker through the page's task runner
(:func:`save_through`): no disk I/O on the GUI thread, so a slow disk never freezes charts.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QImageWriter
from PySide6.QtWidgets import QFileDialog, QMenu, QToolTip, QWidget

from ...runtime.poller import error_sentence

if TYPE_CHECKING:
    from ...runtime.task_runner import TaskRunner
    from .line import Line
    from .timeseries import TimeSeriesChart


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return "NaN" if math.isnan(value) else repr(value)


def csv_text(lines: Sequence[Line]) -> str:
    """``series,time,value`` rows (RFC 3339 UTC times, values as Prometheus writes them)."""
    rows = ["series,time,value"]
    for line in lines:
        label = line.label.replace('"', '""')
        for when, value in zip(line.times, line.raw, strict=True):
            stamp = datetime.fromtimestamp(when, UTC).isoformat().replace("+00:00", "Z")
            rows.append(f'"{label}",{stamp},{_number(float(value))}')
    return "\n".join(rows) + "\n"


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChartFile:
    """A file a chart wants saved: ``write`` runs on a worker and raises on failure."""

    path: Path
    write: Callable[[], object]


def file_stem(chart: TimeSeriesChart) -> str:
    """``latency`` for the Latency chart: a name to offer in the save dialog."""
    return re.sub(r"[^a-z0-9]+", "-", chart.objectName().removeprefix("chart:")).strip("-")


class ChartMenu(QMenu):
    """The menu; its actions are attributes so that shortcuts and tests can reach them.

    Signals:
        file_ready(ChartFile): a save was asked for; :func:`save_through` writes it.
    """

    file_ready = Signal(object)

    def __init__(self, chart: TimeSeriesChart) -> None:
        super().__init__(chart)
        self._chart = chart
        self.copy_promql = QAction("Copy PromQL", self)
        self.copy_csv = QAction("Copy data as CSV", self)
        self.copy_image = QAction("Copy image", self)
        self.save_image = QAction("Save image as PNG…", self)
        self.save_csv = QAction("Save data as CSV…", self)
        self.copy_promql.triggered.connect(self._copy_promql)
        self.copy_csv.triggered.connect(self._copy_csv)
        self.copy_image.triggered.connect(self._copy_image)
        self.save_image.triggered.connect(lambda: self._ask("png", "PNG image (*.png)"))
        self.save_csv.triggered.connect(lambda: self._ask("csv", "CSV (*.csv)"))
        self.addActions([self.copy_promql, self.copy_csv, self.copy_image])
        self.addSeparator()
        self.addActions([self.save_image, self.save_csv])
        self.saving = False  # True once a page writes this chart's files (save_through)
        self.aboutToShow.connect(self._enable)
        view = chart.plot_widget
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(lambda at: self.popup(view.mapToGlobal(QPoint(at))))

    def _enable(self) -> None:
        self.copy_promql.setEnabled(bool(self._chart.promql))
        self.copy_csv.setEnabled(bool(self._chart.lines))
        self.save_image.setEnabled(self.saving)
        self.save_csv.setEnabled(self.saving and bool(self._chart.lines))

    def save_image_to(self, path: Path) -> None:
        """Save the chart's picture (grabbed here, encoded and written on a worker)."""
        image = self._chart.grab().toImage()  # a copy the worker owns alone

        def write() -> None:
            writer = QImageWriter(str(path), QByteArray(b"PNG"))  # PNG whatever the suffix
            if not writer.write(image):
                raise OSError(f"{writer.errorString()}.")

        self.file_ready.emit(ChartFile(path, write))

    def save_csv_to(self, path: Path) -> None:
        """Save the chart's data as CSV (the rows of "Copy data as CSV")."""
        text = csv_text(self._chart.lines)
        self.file_ready.emit(ChartFile(path, lambda: path.write_text(text, encoding="utf-8")))

    def _ask(self, suffix: str, kinds: str) -> None:
        title = "Save the chart's image" if suffix == "png" else "Save the chart's data"
        name, _kind = QFileDialog.getSaveFileName(
            self._chart, title, f"{file_stem(self._chart)}.{suffix}", kinds
        )
        if name:
            path = Path(name)
            if suffix == "png":
                self.save_image_to(path)
            else:
                self.save_csv_to(path)

    def _copy_promql(self) -> None:
        QGuiApplication.clipboard().setText(self._chart.promql)

    def _copy_csv(self) -> None:
        QGuiApplication.clipboard().setText(csv_text(self._chart.lines))

    def _copy_image(self) -> None:
        QGuiApplication.clipboard().setImage(self._chart.grab().toImage())


def save_through(runner: TaskRunner, root: QWidget) -> None:
    """Let every chart under ``root`` save files, written on ``runner``'s workers; the
    outcome is said in a tooltip over the chart (and logged)."""
    for menu in root.findChildren(ChartMenu):
        menu.saving = True
        chart = menu.parentWidget()
        menu.file_ready.connect(
            lambda file, chart=chart: runner.run(
                file.write,
                lambda _done: _tell(chart, f"Saved {file.path}"),
                lambda error: _tell(chart, f"Could not save {file.path}: {_reason(error)}"),
                owner=root,
                name="save chart",
            )
        )


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}."  # "Permission denied.", without errno and path again
    return error_sentence(error)


def _tell(chart: QWidget, text: str) -> None:
    log.info("%s", text)
    QToolTip.showText(chart.mapToGlobal(chart.rect().center()), text, chart)
