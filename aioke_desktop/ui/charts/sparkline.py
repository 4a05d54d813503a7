"""A table cell with its number on the left and a sparkline of the window on the right.

The model gives the text (DisplayRole) and the trend (:data:`TREND_ROLE`, a short numpy
array, NaN for gaps); the delegate paints both. Trends are cut to a few dozen points when
the rows are built, so painting a table of sparklines costs no more than its text.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

TREND_ROLE = Qt.ItemDataRole.UserRole + 10
TREND_POINTS = 48
SPARK_WIDTH = 56
DRAWN_KEPT = 512  # polylines kept for repaints: a few tables' worth of cells
Index = QModelIndex | QPersistentModelIndex


def trend(values: npt.NDArray[np.float64], points: int = TREND_POINTS) -> npt.NDArray[np.float64]:
    """``values`` cut to at most ``points`` by the largest of each bucket (a spike stays
    visible), ±Inf as gaps; all-NaN buckets stay NaN."""
    finite = np.where(np.isinf(values), np.nan, values)
    if len(finite) <= points:
        return finite
    usable = len(finite) - len(finite) % points
    buckets = finite[len(finite) - usable :].reshape(points, -1)
    out = np.full(points, np.nan)
    has = ~np.isnan(buckets).all(axis=1)
    out[has] = np.nanmax(buckets[has], axis=1)
    return out


def polylines(values: npt.NDArray[np.float64], rect: QRect) -> list[QPolygonF]:
    """The trend as polylines inside ``rect`` (one per run of values between gaps)."""
    if len(values) < 2 or not np.isfinite(values).any():
        return []
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    span = high - low or 1.0
    xs = rect.left() + np.arange(len(values)) * (rect.width() / (len(values) - 1))
    ys = rect.bottom() - (values - low) / span * (rect.height() - 1)
    gaps = np.flatnonzero(np.isnan(values))
    runs: list[QPolygonF] = []
    for first, stop in zip(np.r_[0, gaps + 1], np.r_[gaps, len(values)], strict=True):
        if stop - first > 1:
            points = zip(xs[first:stop].tolist(), ys[first:stop].tolist(), strict=True)
            runs.append(QPolygonF([QPointF(x, y) for x, y in points]))
    return runs


class SparklineDelegate(QStyledItemDelegate):
    """Paints the cell's text, and its trend when the model gives one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line_colour: QColor | None = None  # None: the palette's link colour
        # Polylines by trend and cell size: a repaint that is not a refresh (hover,
        # selection, scrolling) draws the same trends again.
        self._drawn: dict[tuple[bytes, int, int], list[QPolygonF]] = {}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        values = index.data(TREND_ROLE)
        if not isinstance(values, np.ndarray):
            super().paint(painter, option, index)
            return
        text_option = QStyleOptionViewItem(option)
        self.initStyleOption(text_option, index)
        spark = QRect(option.rect)
        spark.setLeft(spark.right() - SPARK_WIDTH)
        spark.adjust(0, 5, -4, -5)
        text_option.rect.setRight(spark.left() - 4)
        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget
            )
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, text_option, painter, widget)
        painter.save()
        colour = self.line_colour or option.palette.color(QPalette.ColorRole.Link)
        if option.state & QStyle.StateFlag.State_Selected:
            colour = option.palette.color(QPalette.ColorRole.HighlightedText)
        painter.setPen(QPen(colour, 1))
        painter.translate(spark.topLeft())
        for run in self._polylines(values, spark.width(), spark.height()):
            painter.drawPolyline(run)
        painter.restore()

    def _polylines(
        self, values: npt.NDArray[np.float64], width: int, height: int
    ) -> list[QPolygonF]:
        key = (values.tobytes(), width, height)
        runs = self._drawn.get(key)
        if runs is None:
            if len(self._drawn) >= DRAWN_KEPT:
                self._drawn.clear()
            runs = self._drawn[key] = polylines(values, QRect(0, 0, width, height))
        return runs

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802 - Qt API
        hint = super().sizeHint(option, index)
        if isinstance(index.data(TREND_ROLE), np.ndarray):
            hint.setWidth(hint.width() + SPARK_WIDTH + 8)
        return hint
