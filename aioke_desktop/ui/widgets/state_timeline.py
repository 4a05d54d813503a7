"""A breaker's states over time: one coloured band, a segment per state, operator changes
marked, and a forced state's remaining time drawn ahead of "now" up to when it reverts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QHelpEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ...core.breakers import BreakerTransition
from ..models.breakers_table import STATE_WORDS, state_word
from ..models.rows import clock_text, countdown, parse_time
from ..theme import StatusColours

_FILLS = {
    "CLOSED": "ok_fill",
    "OPEN": "danger_fill",
    "HALF_OPEN": "warning_fill",
    "FORCED_OPEN": "danger_fill",
    "DISABLED": "unknown",
}
_FORCED = ("FORCED_OPEN", "DISABLED")
MIN_SPAN_S = 60.0
BAND_TOP, BAND_HEIGHT = 6, 26
AXIS_GAP = 4


@dataclass(frozen=True)
class Segment:
    state: str
    start: float
    end: float
    projected: bool = False  # a forced state's time still to come


def segments(
    history: Sequence[BreakerTransition],
    now: float,
    forced_until: float | None = None,
    current_state: str | None = None,
) -> list[Segment]:
    """The periods of each state, oldest first, ending at ``now`` (and, for a forced state,
    one projected period up to ``forced_until``). Without history, the current state alone."""
    moves = [(parse_time(t.time), t) for t in history]
    timed = [(at, t) for at, t in moves if at is not None]
    if not timed:
        return [] if current_state is None else [Segment(current_state, now - MIN_SPAN_S, now)]
    first_at, first = timed[0]
    span_start = min(first_at, now - MIN_SPAN_S)
    found = [Segment(first.from_state, span_start, first_at)]
    for (at, move), following in zip(timed, [*timed[1:], (now, None)], strict=True):
        found.append(Segment(move.to_state, at, max(at, following[0])))
    last = found[-1]
    if forced_until is not None and last.state in _FORCED and forced_until > now:
        found.append(Segment(last.state, now, forced_until, projected=True))
    return found


class StateTimeline(QWidget):
    """Draws :func:`segments` of one breaker; hover for a transition's time, actor and reason."""

    def __init__(self, colours: StatusColours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breaker-state-timeline")
        self._colours = colours
        self._history: list[BreakerTransition] = []
        self._segments: list[Segment] = []
        self._now = 0.0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(self.sizeHint().height())
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        line = self.fontMetrics().height()
        return QSize(480, BAND_TOP + BAND_HEIGHT + AXIS_GAP + 2 * line + 8)

    def set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        self.update()

    def show_history(
        self,
        history: Sequence[BreakerTransition],
        now: float,
        forced_until: str | None = None,
        current_state: str | None = None,
    ) -> None:
        """Draw ``history`` (oldest first) up to ``now`` (the server's time); with no history,
        ``current_state`` as the only state known."""
        self._history = list(history)
        self._now = now
        self._segments = segments(self._history, now, parse_time(forced_until), current_state)
        self.update()

    def segments(self) -> list[Segment]:
        return list(self._segments)

    # Geometry ---------------------------------------------------------------------------

    def _span(self) -> tuple[float, float]:
        return self._segments[0].start, max(self._segments[-1].end, self._segments[0].start + 1)

    def _x(self, at: float) -> float:
        start, end = self._span()
        width = max(1, self.width() - 2)
        return 1 + (at - start) / (end - start) * width

    # Drawing ----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        text_colour = self.palette().windowText().color()
        if not self._segments:
            painter.setPen(QColor(self._colours.muted_text))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No transitions yet.")
            return
        band = QRectF(0, BAND_TOP, 0, BAND_HEIGHT)
        for segment in self._segments:
            self._draw_segment(painter, band, segment)
        self._draw_markers(painter, text_colour)
        self._draw_axis(painter, text_colour)

    def _draw_segment(self, painter: QPainter, band: QRectF, segment: Segment) -> None:
        left, right = self._x(segment.start), self._x(segment.end)
        rect = QRectF(left, band.top(), max(1.0, right - left), band.height())
        fill = QColor(getattr(self._colours, _FILLS.get(segment.state, "unknown")))
        if segment.projected:
            fill.setAlpha(90)
        painter.fillRect(rect, fill)
        if segment.state in _FORCED:  # forced states are hatched, so they never pass for open
            painter.fillRect(rect, QBrush(QColor(0, 0, 0, 70), Qt.BrushStyle.BDiagPattern))
        label = state_word(segment.state)
        if not self._history:
            label += ": no change recorded"
        if segment.projected:
            label = f"until {clock_text(segment.end)} ({countdown(segment.end - self._now)})"
        if self.fontMetrics().horizontalAdvance(label) + 8 < rect.width():
            if segment.projected:  # over a pale fill: the window's own text colour reads
                painter.setPen(self.palette().windowText().color())
            else:
                painter.setPen(QColor("#1f2328" if segment.state == "HALF_OPEN" else "#ffffff"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

    def _draw_markers(self, painter: QPainter, colour: QColor) -> None:
        painter.setPen(QPen(colour, 1))
        painter.setBrush(colour)
        for move in self._history:
            at = parse_time(move.time)
            if at is None or move.actor is None:
                continue  # only an operator's change is marked: it explains a jump
            x = self._x(at)
            painter.drawLine(QPointF(x, BAND_TOP - 2), QPointF(x, BAND_TOP + BAND_HEIGHT + 2))
            painter.drawPolygon(
                QPolygonF([QPointF(x - 4, 0), QPointF(x + 4, 0), QPointF(x, BAND_TOP - 1)])
            )
        now_x = self._x(self._now)
        painter.setPen(QPen(colour, 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(now_x, BAND_TOP), QPointF(now_x, BAND_TOP + BAND_HEIGHT))

    def _draw_axis(self, painter: QPainter, colour: QColor) -> None:
        metrics = self.fontMetrics()
        top = BAND_TOP + BAND_HEIGHT + AXIS_GAP
        start, end = self._span()
        painter.setPen(colour)
        row = QRectF(0, top, self.width(), metrics.height())
        painter.drawText(row, Qt.AlignmentFlag.AlignLeft, clock_text(start))
        painter.drawText(row, Qt.AlignmentFlag.AlignRight, clock_text(end))
        if end > self._now + 1:
            now_box = QRectF(self._x(self._now) - 40, top, 80, metrics.height())
            painter.drawText(now_box, Qt.AlignmentFlag.AlignHCenter, "now")
        self._draw_legend(painter, top + metrics.height() + 2)

    def _draw_legend(self, painter: QPainter, top: float) -> None:
        metrics = self.fontMetrics()
        size = metrics.height() - 4
        x = 0.0
        painter.setPen(QColor(self._colours.muted_text))
        for state, word in STATE_WORDS.items():
            if state == "FORCED_OPEN":
                continue
            painter.fillRect(
                QRectF(x, top + 2, size, size), QColor(getattr(self._colours, _FILLS[state]))
            )
            x += size + 4
            painter.drawText(QPointF(x, top + metrics.ascent()), word)
            x += metrics.horizontalAdvance(word) + 14
        painter.drawText(
            QPointF(x, top + metrics.ascent()), "▲ changed by an operator · hatched: forced"
        )

    # Tooltips ---------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos().x())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def tooltip_at(self, x: float) -> str:
        """What happened nearest ``x``: the transition within 6 px, else the segment there."""
        for move in self._history:
            at = parse_time(move.time)
            if at is not None and abs(self._x(at) - x) <= 6:
                who = move.actor or "by itself"
                moved = f"{state_word(move.from_state)} → {state_word(move.to_state)}"
                return f"{clock_text(at)}: {moved}, {who} ({move.reason})"
        for segment in self._segments:
            if self._x(segment.start) <= x <= self._x(segment.end):
                length = countdown(segment.end - segment.start)
                return f"{state_word(segment.state)} for {length} from {clock_text(segment.start)}"
        return ""
