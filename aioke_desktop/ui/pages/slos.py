"""The SLOs page: every SLO's error budget and burn rates, and one SLO's charts.

The table is sorted by budget left, least first. Numbers come from Sloth's recording rules
and alerts when the cluster has them, else from the SLI queries with the alert rules
applied here (``core.slo_queries``). The selected SLO shows its budget over the period and
its burn rate against the page and ticket thresholds, with the cluster's changes
marked on both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...core.activity import ClusterEvent
from ...core.annotations import Annotation, from_event
from ...core.slo import DEFAULT_MIN_REQUESTS_PER_HOUR
from ...core.slo_queries import SloReadings
from ...core.slo_status import SloStatus, with_threshold
from ...runtime.event_feed import EventFeed
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..charts.export import save_through
from ..models.rows import KEY_ROLE
from ..models.slo_table import BUDGET_COLUMN, SloSortModel, SloTableModel
from ..slo_view.detail import SloDetail, SloDetailView, merge_annotations
from ..slo_view.fetch import SloSnapshot, fetch_slo_detail, fetch_slos
from ..theme import StatusColours, Theme
from ..widgets.fitted_table import FittedTable
from .base import Page, ViewSettings

MAX_GUARD = 1_000_000


def source_text(snapshot: SloSnapshot) -> str:
    """Where the numbers come from, in the order the page tries its sources."""
    numbers = (
        "the cluster's SLO recording rules and alerts"
        if snapshot.readings.from_rules
        else "SLI queries (no SLO rules found); alerts computed here"
    )
    if snapshot.defined_by == "context":
        return f"Source: this context's SLO files, {numbers}"
    if snapshot.defined_by == "rules":
        return "Source: Sloth's recording rules and alerts (the cluster defines no SLOs)"
    return f"Source: {numbers}"


class SlosPage(Page):
    """Every SLO's budget and burn rates, and the selected SLO's charts.

    Signals:
        change_chosen(Annotation): a change marker was clicked; open it on its page.
    """

    change_chosen = Signal(object)
    key = "slos"
    title = "SLOs"
    description = "Each SLO's error budget left and how fast it burns, over 5 minutes to 3 days."
    empty_detail = (
        "The cluster defines no SLOs. A context can bring its own: list Sloth or OpenSLO "
        "files under slo_files in its settings."
    )
    needs_connection = True

    def __init__(
        self,
        runner: TaskRunner,
        theme: Theme,
        session: Session | None = None,
        parent: QWidget | None = None,
    ) -> None:
        self._colours = theme.colours
        self.readings: SloReadings | None = None
        self.selected: str | None = None
        self.min_requests_per_hour = DEFAULT_MIN_REQUESTS_PER_HOUR
        self._history: tuple[Annotation, ...] | None = None  # past changes, from the audit
        self._live: list[Annotation] = []  # changes from the event feed
        self._window = (0.0, 0.0)
        self._fitted = False
        super().__init__(runner, theme, session, parent)
        theme.changed.connect(self._set_colours)
        self.session.connected.connect(self._forget_history)
        self.session.disconnected.connect(self._forget_history)

    # Building ---------------------------------------------------------------------------

    def build_content(self) -> QWidget:
        box = QWidget(self)
        self.filter = QLineEdit(box)
        self.filter.setPlaceholderText("Filter SLOs (checkout, latency…)")
        self.filter.setClearButtonEnabled(True)
        self.guard = QSpinBox(box)
        self.guard.setObjectName("low-traffic-guard")
        self.guard.setRange(0, MAX_GUARD)
        self.guard.setSingleStep(50)
        self.guard.setValue(int(self.min_requests_per_hour))
        self.guard.setSuffix(" requests/h")
        self.guard.setToolTip(
            "Below this many requests an hour, a window shows 'insufficient traffic' "
            "instead of a ratio, and it does not count for alerts computed here."
        )
        self.guard.valueChanged.connect(self.set_min_requests_per_hour)
        self.source = QLabel(box)
        controls = QHBoxLayout()
        controls.addWidget(self.filter, 1)
        controls.addWidget(QLabel("Low-traffic guard:", box))
        controls.addWidget(self.guard)
        controls.addSpacing(12)
        controls.addWidget(self.source)
        self.model = SloTableModel(self._colours, box)
        self.proxy = SloSortModel(box)
        self.proxy.setSourceModel(self.model)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = FittedTable(box)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(BUDGET_COLUMN, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)  # a long SLO name ends in "…" rather than in two halves
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keep service and kind
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.detail = SloDetailView(self._colours, box)
        save_through(self.runner, self.detail)
        for chart in (self.detail.budget_chart, self.detail.burn_chart):
            chart.annotation_clicked.connect(self.change_chosen)
        top = self.top = QWidget(box)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(controls)
        top_layout.addWidget(self.table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical, box)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)  # the table as tall as its rows...
        self.splitter.setStretchFactor(1, 1)  # ...the charts take the rest
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        return box

    # Fetching ---------------------------------------------------------------------------

    def make_fetch(self, view: ViewSettings) -> Callable[[], object] | None:
        connection = self.session.connection
        if connection is None:
            return None
        time_range = view.time_range
        threshold, selected = self.min_requests_per_hour, self.selected
        history = self._history is None

        def fetch() -> SloSnapshot:
            start, end = time_range.bounds(datetime.now(UTC))
            return fetch_slos(
                connection,
                start.timestamp(),
                end.timestamp(),
                min_requests_per_hour=threshold,
                selected=selected,
                history=history,
            )

        return fetch

    def present(self, data: object) -> bool:
        if not isinstance(data, SloSnapshot) or not data.readings.statuses:
            return False
        self.readings = data.readings
        self._judge()
        self.source.setText(source_text(data))
        if data.detail is not None:
            if data.history_read:
                self._history = data.detail.annotations
            self._window = (data.detail.start, data.detail.end)
            if self.selected is None:
                self.selected = data.detail.slo_id
            if data.detail.slo_id == self.selected:
                self._show_detail(data.detail)
        self._select_row(self.selected)
        if not self._fitted:  # after the base class has put the table on screen
            QTimer.singleShot(0, self._fit_table)
        return True

    def set_min_requests_per_hour(self, value: float) -> None:
        """The low-traffic guard's threshold; the table is judged again at once (the
        request counts are already there)."""
        self.min_requests_per_hour = float(value)
        if int(value) != self.guard.value():
            self.guard.setValue(int(value))
        if self.readings is not None:
            self._judge()

    def follow(self, feed: EventFeed) -> None:
        """Mark the feed's changes on the charts as they happen."""
        super().follow(feed)
        feed.arrived.connect(self._changes_arrived)
        feed.reset.connect(self._live.clear)

    # Internals --------------------------------------------------------------------------

    def _judge(self) -> None:
        assert self.readings is not None
        threshold = self.min_requests_per_hour
        statuses = [with_threshold(s, threshold) for s in self.readings.statuses]
        self.readings = replace(self.readings, min_requests_per_hour=threshold)
        self.model.replace(statuses)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self._fit_table()

    def _fit_table(self) -> None:
        """Once, when rows and a size are there: the table as tall as its rows (at most two
        thirds of the page), the charts below it the rest. A drag of the handle stays."""
        total = sum(self.splitter.sizes())
        if self._fitted or total <= 0 or not self.proxy.rowCount():
            return
        self._fitted = True
        wanted = min(self.top.sizeHint().height(), total * 2 // 3)
        self.splitter.setSizes([wanted, total - wanted])

    def status(self, slo_id: str | None) -> SloStatus | None:
        return None if slo_id is None else self.model.find(slo_id)

    def _select_row(self, slo_id: str | None) -> None:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(KEY_ROLE) == slo_id:
                if self.table.currentIndex().row() != row:
                    self.table.selectRow(row)
                return

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        slo_id = current.data(KEY_ROLE) if current.isValid() else None
        if not isinstance(slo_id, str) or slo_id == self.selected:
            return
        self.selected = slo_id
        status = self.status(slo_id)
        self.detail.show_status(status)
        connection = self.session.connection
        if status is None or connection is None:
            return
        start, end = self._window
        history = self._history is None
        self.runner.run(
            lambda: fetch_slo_detail(connection, status, start, end, history=history),
            self._detail_arrived,
            lambda _error: None,  # the next refresh tries again and shows any error
            owner=self,
            name="slo detail",
        )

    def _detail_arrived(self, detail: SloDetail) -> None:
        if detail.annotations and self._history is None:
            self._history = detail.annotations
        if detail.slo_id == self.selected:
            self._show_detail(detail)

    def _show_detail(self, detail: SloDetail) -> None:
        self.detail.show_status(self.status(detail.slo_id))
        annotations = merge_annotations(self._history or (), detail.annotations, self._live)
        self.detail.show_detail(replace(detail, annotations=annotations))

    def _changes_arrived(self, events: list[ClusterEvent]) -> None:
        fresh = [a for a in (from_event(e) for e in events) if a is not None]
        if fresh:
            self._live.extend(fresh)
            self.detail.set_annotations(merge_annotations(self._history or (), self._live))

    def _forget_history(self, *_: object) -> None:
        self._history = None
        self._live.clear()

    def _set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        self.model.set_colours(colours)
        self.detail.set_colours(colours)
