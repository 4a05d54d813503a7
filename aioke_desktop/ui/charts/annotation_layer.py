"""Vertical markers at the times of changes, drawn by one graphics item per chart.

One item for all markers (not one InfiniteLine each): a busy week holds hundreds of
changes, and a chart repaints them every frame. The item covers the view; it answers hover
with the nearest marker's tooltip and accepts a click only on a marker, so zooming and
panning anywhere else still reach the view box.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPolygonF

from ...core.annotations import Annotation
from .units import CHANGE_COLOURS, CHANGE_FALLBACK

HIT_PIXELS = 5.0  # how close the pointer must be to a marker to hover or click it
FLAG_PIXELS = 6.0  # the size of the triangle that tops each marker


class _Relay(QObject):
    clicked = Signal(object)


class AnnotationLayer(pg.GraphicsObject):  # type: ignore[misc]  # pyqtgraph is untyped
    """Markers for :class:`Annotation` s inside a :class:`pyqtgraph.ViewBox`.

    Signals (on :attr:`signals`):
        clicked(Annotation): the user clicked a marker.
    """

    def __init__(self) -> None:
        super().__init__()
        self.signals = _Relay()
        self._annotations: list[Annotation] = []
        self._times = np.empty(0)
        self._pens: dict[str, QPen] = {}
        self._hovered: Annotation | None = None
        self.setZValue(20)
        self.setAcceptHoverEvents(True)
        self.set_colours(CHANGE_COLOURS)

    @property
    def annotations(self) -> list[Annotation]:
        return list(self._annotations)

    def set_colours(self, colours: dict[str, str]) -> None:
        self._pens = {}
        for family, colour in {**colours, "": CHANGE_FALLBACK}.items():
            pen = QPen(QColor(colour))
            pen.setCosmetic(True)
            pen.setWidthF(1.0)
            pen.setStyle(Qt.PenStyle.DashLine)
            self._pens[family] = pen
        self.update()

    def set_annotations(self, annotations: Iterable[Annotation]) -> None:
        """Draw these (replacing the previous ones)."""
        self._annotations = sorted(annotations, key=lambda a: a.time)
        self._times = np.fromiter((a.time for a in self._annotations), float)
        self._hovered = None
        self.setToolTip("")
        self.update()

    def near(self, x: float, pixels: float = HIT_PIXELS) -> Annotation | None:
        """The marker within ``pixels`` of x (data coordinates), nearest first."""
        if not len(self._times):
            return None
        width = self.pixelWidth() or 0.0
        index = int(np.searchsorted(self._times, x))
        candidates = [i for i in (index - 1, index) if 0 <= i < len(self._times)]
        best = min(candidates, key=lambda i: abs(self._times[i] - x))
        return self._annotations[best] if abs(self._times[best] - x) <= pixels * width else None

    # Drawing -----------------------------------------------------------------------------

    def _view_rect(self) -> QRectF:
        box = self.getViewBox()
        return QRectF() if box is None else box.viewRect()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return self._view_rect()

    def viewRangeChanged(self) -> None:  # noqa: N802 - pyqtgraph API
        self.prepareGeometryChange()
        super().viewRangeChanged()

    def paint(self, painter: QPainter, *_: object) -> None:
        rect = self._view_rect()
        if not len(self._times) or rect.isEmpty():
            return
        first = int(np.searchsorted(self._times, rect.left()))
        last = int(np.searchsorted(self._times, rect.right(), "right"))
        width, height = self.pixelWidth(), self.pixelHeight()
        # The view's y axis points up, so its top edge is the rect's larger y.
        top, bottom = max(rect.top(), rect.bottom()), min(rect.top(), rect.bottom())
        for annotation in self._annotations[first:last]:
            pen = self._pens.get(annotation.family, self._pens[""])
            painter.setPen(pen)
            x = annotation.time
            painter.drawLine(QPointF(x, bottom), QPointF(x, top))
            painter.setBrush(QBrush(pen.color()))
            flag = QPolygonF(
                [
                    QPointF(x - FLAG_PIXELS * width, top),
                    QPointF(x + FLAG_PIXELS * width, top),
                    QPointF(x, top - FLAG_PIXELS * 1.5 * height),
                ]
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawPolygon(flag)

    # Pointer -----------------------------------------------------------------------------

    def hoverEvent(self, event: Any) -> None:  # noqa: N802 - pyqtgraph API
        found = None if event.isExit() else self.near(event.pos().x())
        if found is not self._hovered:
            self._hovered = found
            self.setToolTip(found.tooltip() if found else "")
            if found is None:
                self.unsetCursor()
            else:
                self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseClickEvent(self, event: Any) -> None:  # noqa: N802 - pyqtgraph API
        found = None
        if event.button() == Qt.MouseButton.LeftButton:
            found = self.near(event.pos().x())
        if found is None:
            event.ignore()
            return
        event.accept()
        self.signals.clicked.emit(found)
