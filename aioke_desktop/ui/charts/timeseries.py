"""A time-series chart: lines per series, a readout of the values, and markers of changes.

Built for refreshes that cost little (issue 9, B3): the PlotItem downsamples by peaks and
clips to the view (set on the PlotItem: given to a PlotDataItem they are overridden),
lines are one pixel wide without antialiasing, and the line items are a pool reused on
every refresh (pyqtgraph leaks destroyed plot items under PySide6). NaN and ±Inf are gaps;
a chart without a single value says "No data" instead of drawing a flat zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyle,
    QWidget,
)

from ...core.annotations import Annotation
from ..theme import StatusColours
from .annotation_layer import AnnotationLayer
from .export import ChartMenu
from .line import Line as Line  # where the page and the SLO view import it from
from .time_axis import use_clock_ticks
from .units import Unit, readout_html

THRESHOLD_POINTS = 64  # the threshold line is drawn as points so that autorange keeps it


class TimeSeriesChart(QWidget):
    """One chart with a title, a unit and a readout line above it.

    Args:
        title: what it shows ("Latency").
        unit: the y axis' unit, shown after the title and after every value.

    Signals:
        annotation_clicked(Annotation): a change marker was clicked.
        pointer_moved(object): the time under the pointer (Unix seconds), None when it left.
    """

    annotation_clicked = Signal(object)
    pointer_moved = Signal(object)

    def __init__(self, title: str, unit: Unit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"chart:{title.lower()}")
        self.unit = unit
        self._lines: list[Line] = []
        self._items: list[pg.PlotDataItem] = []
        self._hidden: set[str] = set()
        self._stale_since: datetime | None = None
        self._muted = "#8c959f"
        self._window = (math.nan, math.nan)
        self._threshold: float | None = None
        self._step = 0.0

        self.title = QLabel(f"{title} ({unit.value})", self)
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        # The legend and the readout in one: each line's colour, name and value (the
        # latest, or under the pointer); a click on a name hides or shows its line.
        self.readout = QLabel(self)
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setMinimumWidth(10)  # clipped, never widening the chart
        # Its text changes every refresh: were its width a hint, the layouts around would
        # move and resize (and repaint) every chart of the window.
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.readout.linkActivated.connect(self._toggle)
        self._text_colour = "#1f2328"
        self.stale = QLabel(self)
        self.stale.setVisible(False)
        self.warning = QLabel(self)
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.warning.setPixmap(icon.pixmap(16, 16))
        self.warning.setVisible(False)
        header = QHBoxLayout()
        header.setContentsMargins(4, 0, 4, 0)
        header.setSpacing(10)
        header.addWidget(self.title)
        header.addWidget(self.readout, 1)
        header.addWidget(self.warning)

        self.plot_widget = pg.PlotWidget(self)
        self.plot_widget.setMinimumHeight(120)
        self.plot = self.plot_widget.getPlotItem()
        use_clock_ticks(self.plot.getAxis("bottom"))
        self.plot.setDownsampling(auto=True, mode="peak")
        self.plot.setClipToView(True)
        self.plot.setMouseEnabled(x=True, y=False)  # zoom and pan in time; y follows
        self.plot.enableAutoRange(y=True)
        self.plot.setAutoVisible(y=True)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.getAxis("left").setWidth(44)
        self.crosshair = pg.InfiniteLine(angle=90, movable=False)
        self.crosshair.setVisible(False)
        self.plot.addItem(self.crosshair, ignoreBounds=True)
        self.threshold_line = pg.PlotDataItem(antialias=False)
        self.threshold_label = pg.TextItem(anchor=(0, 0))  # under the line, inside the view
        self.plot.addItem(self.threshold_line)
        self.plot.addItem(self.threshold_label, ignoreBounds=True)
        self.plot.getViewBox().sigXRangeChanged.connect(self._place_threshold_label)
        self.annotations = AnnotationLayer()
        self.plot.addItem(self.annotations, ignoreBounds=True)
        self.annotations.signals.clicked.connect(self.annotation_clicked)
        self.promql = ""  # what "Copy PromQL" copies: the queries behind the lines
        self.menu = ChartMenu(self)
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)

        self.no_data = QLabel("No data", self)
        self.no_data.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_data.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        body = QGridLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.plot_widget, 0, 0)
        body.addWidget(self.no_data, 0, 0)  # the same cell: laid over the plot
        top_right = Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight
        body.addWidget(self.stale, 0, 0, top_right)
        self.stale.raise_()  # made before the plot, so it would lie under it
        column = QGridLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setVerticalSpacing(2)
        column.addLayout(header, 0, 0)
        column.addLayout(body, 1, 0)
        self.set_colours(None)
        self._show_readout(None)

    # What the page calls ------------------------------------------------------------------

    @property
    def lines(self) -> list[Line]:
        return list(self._lines)

    def has_data(self) -> bool:
        """True when at least one value can be drawn."""
        return any(np.isfinite(line.values).any() for line in self._lines)

    def set_lines(self, lines: Sequence[Line]) -> None:
        """Draw these lines, reusing the plot items of the previous refresh."""
        self._lines = list(lines)
        while len(self._items) < len(lines):
            self._items.append(self.plot.plot(antialias=False))
        for item, line in zip(self._items, lines, strict=False):
            # Breaking a line at NaN takes pyqtgraph's slower path: only when there is one.
            gaps = not np.isfinite(line.values).all()
            item.setData(line.times, line.values, connect="finite" if gaps else "all")
        for item in self._items[len(lines) :]:
            if item.isVisible() or len(item.xData if item.xData is not None else ()):
                item.setData([], [])
                item.setVisible(False)
        self._restyle_lines()
        self.no_data.setVisible(not self.has_data())
        self._show_readout(None if not self.crosshair.isVisible() else self.crosshair.value())

    def set_empty_message(self, text: str) -> None:
        """What the chart says when it has nothing to draw ("No data")."""
        self.no_data.setText(text)

    def set_window(self, start: float, end: float, step: float = 0.0) -> None:
        """The window the data covers: the threshold line spans it, and a line's last
        value older than two steps before its end is not "now" any more."""
        self._window = (start, end)
        self._step = step
        self._draw_threshold()

    def set_threshold(self, value: float | None, label: str = "") -> None:
        """A horizontal line (the SLO's error threshold); None removes it."""
        if (value, label) == (self._threshold, self.threshold_label.textItem.toPlainText()):
            return  # every refresh sets it: redraw only when it moved
        self._threshold = value
        self.threshold_label.setText(label)
        self._draw_threshold()

    def set_annotations(self, annotations: Sequence[Annotation]) -> None:
        self.annotations.set_annotations(annotations)

    def set_warnings(self, warnings: Sequence[str]) -> None:
        """Prometheus' warnings about this chart's queries: a warning icon with them."""
        self.warning.setVisible(bool(warnings))
        self.warning.setToolTip("Prometheus warns:\n" + "\n".join(warnings) if warnings else "")

    def set_stale(self, since: datetime | None) -> None:
        """Grey the lines and say since when the data has not been refreshed (None: fresh)."""
        self._stale_since = since
        self.stale.setVisible(since is not None)
        if since is not None:
            self.stale.setText(f"stale since {since:%H:%M:%S}")
        self._restyle_lines()
        self._show_readout(self.crosshair.value() if self.crosshair.isVisible() else None)

    def is_stale(self) -> bool:
        return self._stale_since is not None

    def set_colours(self, colours: StatusColours | None) -> None:
        """Follow the theme: background, axes and text from the palette."""
        palette = QApplication.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        self._muted = colours.muted_text if colours else "#8c959f"
        self.plot_widget.setBackground(base)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(text))
            axis.setTextPen(pg.mkPen(text))
        self.crosshair.setPen(pg.mkPen(self._muted, style=Qt.PenStyle.DashLine))
        danger = colours.danger if colours else "#cf222e"
        self.threshold_line.setPen(pg.mkPen(danger, width=1, style=Qt.PenStyle.DashLine))
        self.threshold_label.setColor(danger)
        self.threshold_label.fill = pg.mkBrush(QColor(base.red(), base.green(), base.blue(), 210))
        self.no_data.setStyleSheet(f"color: {self._muted}; font-size: 14pt;")
        warning = colours.warning if colours else "#7d4e00"
        self.stale.setStyleSheet(
            f"color: {warning}; background: {base.name()}; padding: 2px 6px; margin: 4px;"
        )
        self._text_colour = text.name()
        self._restyle_lines()

    def show_pointer(self, when: float | None) -> None:
        """The crosshair at ``when`` (from any chart of the group); None hides it."""
        self.crosshair.setVisible(when is not None)
        if when is not None:
            self.crosshair.setPos(when)
        self._show_readout(when)

    def value_at(self, label: str, when: float) -> float:
        """The value of the line ``label`` at the point nearest ``when`` (NaN if none)."""
        for line in self._lines:
            if line.label == label and len(line.times):
                return float(line.raw[np.abs(line.times - when).argmin()])
        return math.nan

    # Internals ---------------------------------------------------------------------------

    def toggle_line(self, label: str) -> None:
        """Hide the line ``label``, or show it again (a click on its name does this)."""
        self._hidden.symmetric_difference_update({label})
        self._restyle_lines()
        self._show_readout(self.crosshair.value() if self.crosshair.isVisible() else None)

    def is_hidden(self, label: str) -> bool:
        return label in self._hidden

    def _toggle(self, link: str) -> None:
        index = int(link.removeprefix("line:"))
        if 0 <= index < len(self._lines):
            self.toggle_line(self._lines[index].label)

    def _restyle_lines(self) -> None:
        for item, line in zip(self._items, self._lines, strict=False):
            colour = self._muted if self._stale_since is not None else line.colour
            if item.property("colour") != colour:
                item.setPen(pg.mkPen(colour, width=1))  # one pixel wide: 4x cheaper than 2
                item.setProperty("colour", colour)
            item.setVisible(line.label not in self._hidden)

    def _draw_threshold(self) -> None:
        start, end = self._window
        if self._threshold is None or math.isnan(start):
            self.threshold_line.setData([], [])
            self.threshold_label.setVisible(False)
            return
        times = np.linspace(start, end, THRESHOLD_POINTS)
        self.threshold_line.setData(times, np.full(THRESHOLD_POINTS, self._threshold))
        self.threshold_label.setVisible(True)
        self._place_threshold_label()

    def _place_threshold_label(self, *_: object) -> None:
        # At the left edge of what is in view, so that a zoomed chart still says it.
        if self._threshold is not None:
            left = self.plot.getViewBox().viewRange()[0][0]
            self.threshold_label.setPos(max(left, self._window[0]), self._threshold)

    def _mouse_moved(self, position: object) -> None:
        box = self.plot.getViewBox()
        inside = box.sceneBoundingRect().contains(position)
        self.pointer_moved.emit(float(box.mapSceneToView(position).x()) if inside else None)

    def _latest(self, line: Line) -> float:
        """The line's newest value, if it is recent (else it has no value now)."""
        end = self._window[1]
        if not len(line.raw) or (self._step and line.times[-1] < end - 2 * self._step):
            return math.nan
        return float(line.raw[-1])

    def _show_readout(self, when: float | None) -> None:
        entries = []
        for line in self._lines:
            value = self.value_at(line.label, when) if when is not None else self._latest(line)
            hidden = line.label in self._hidden
            entries.append((line.label, value, self._muted if hidden else line.colour, hidden))
        if when is not None and self._lines and len(self._lines[0].times):
            times = self._lines[0].times  # the time of the values shown, not of the pointer
            when = float(times[np.abs(times - when).argmin()])
        self.readout.setText(
            readout_html(entries, self.unit, when, self._text_colour, self.is_stale())
        )
        self.readout.setToolTip("Click a name to hide or show its line" if entries else "")
