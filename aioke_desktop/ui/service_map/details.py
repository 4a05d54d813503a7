"""The panel beside the map: the clicked service's golden signals, instances and calls."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...core.service_map import MapNode, ServiceMap
from ..models.breakers_table import state_word
from ..theme import StatusColours
from ..widgets.fitted_table import FittedTable
from .tables import TREND_COLUMN, InstancesModel, SignalsModel, TrendDelegate, signal_rows

PROMPT = "Click a service on the map to see its golden signals and instances."
LEVEL_WORDS = {
    "ok": "healthy",
    "warning": "needs attention",
    "danger": "in trouble",
    "unknown": "unknown",
}


def _table(model: object, parent: QWidget) -> QTableView:
    table = FittedTable(parent)
    table.setModel(model)  # type: ignore[arg-type]  # one of our table models
    table.verticalHeader().setVisible(False)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


class ServiceDetails(QWidget):
    """Shows one :class:`MapNode`: status and why, signals with sparklines, instances."""

    def __init__(self, colours: StatusColours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("service-details")
        self._colours = colours
        self.node: MapNode | None = None
        self._map: ServiceMap | None = None
        self.title = QLabel(PROMPT, self)
        self.title.setWordWrap(True)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.signals_heading = QLabel("Golden signals", self)
        self.signals_model = SignalsModel(colours, self)
        self.signals = _table(self.signals_model, self)
        self.signals.setItemDelegateForColumn(TREND_COLUMN, TrendDelegate(self.signals))
        header = self.signals.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.instances_heading = QLabel("Instances", self)
        self.instances_model = InstancesModel(colours, self)
        self.instances = _table(self.instances_model, self)
        self.calls = QLabel(self)
        self.calls.setWordWrap(True)
        for heading in (self.signals_heading, self.instances_heading):
            font = QFont(heading.font())
            font.setBold(True)
            heading.setFont(font)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addSpacing(4)
        layout.addWidget(self.signals_heading)
        layout.addWidget(self.signals)
        layout.addWidget(self.instances_heading)
        layout.addWidget(self.instances)
        layout.addWidget(self.calls)
        layout.addStretch(1)
        self._show_parts(False)

    def show_node(self, node: MapNode | None, service_map: ServiceMap | None = None) -> None:
        """Show ``node`` (None: the prompt to click one)."""
        self.node, self._map = node, service_map
        self._show_parts(node is not None)
        if node is None:
            self.title.setText(PROMPT)
            self.signals_model.replace([])
            self.instances_model.replace([])
            return
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(QFont().pointSizeF() * 1.3)
        self.title.setFont(font)
        self.title.setText(node.name)
        colour = getattr(self._colours, {"unknown": "muted_text"}.get(node.level, node.level))
        reasons = "<br>".join(node.reasons) or "No instance or SLO problems."
        self.status.setText(
            f'<span style="color:{colour}; font-weight:600">{LEVEL_WORDS[node.level]}</span>'
            f"<br>{reasons}"
        )
        budget = _error_budget_percent(node)
        self.signals_model.replace(signal_rows(node.signals, budget))
        self.instances_model.replace(list(node.service.instances))
        for table in (self.signals, self.instances):
            table.updateGeometry()  # its size hint follows its rows
        self.calls.setText(_calls_text(node, service_map))

    def set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        self.signals_model.set_colours(colours)
        self.instances_model.set_colours(colours)
        if self.node is not None:
            self.show_node(self.node, self._map)

    def _show_parts(self, shown: bool) -> None:
        for widget in (
            self.status,
            self.signals_heading,
            self.signals,
            self.instances_heading,
            self.instances,
            self.calls,
        ):
            widget.setVisible(shown)
        if not shown:
            self.title.setFont(QFont())


def _error_budget_percent(node: MapNode) -> float | None:
    """The availability SLO's error budget in percent, drawn against the error ratio."""
    for status in node.slos:
        if status.slo.labels.get("category") == "availability":
            return 100 - status.slo.objective_percent
    return None


def _calls_text(node: MapNode, service_map: ServiceMap | None) -> str:
    if service_map is None:
        return ""
    lines = []
    for edge in service_map.edges:
        if node.name not in (edge.caller, edge.callee):
            continue
        other = edge.callee if edge.caller == node.name else edge.caller
        arrow = "calls" if edge.caller == node.name else "called by"
        state = state_word(edge.breaker_state) if edge.breaker_state else "no breaker"
        rate = "" if edge.rates is None else f", {edge.rates.total:.3g}/s"
        lines.append(f"{arrow} {other} (breaker {state.lower()}{rate})")
    return "<br>".join(lines)
