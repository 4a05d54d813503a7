"""The Overview page: every service at a glance, and what changed just before.

A row per service (traffic, errors, p50/p95/p99, saturation, SLO budget, each with a
sparkline, coloured by SLO state) above the four golden-signal charts of the selected
services, with every change from the event feed and the audit log marked on them.

All services come from one answer: six range queries for every service at once, fetched
in full when the window changes and then only by their tail (:mod:`core.golden`), and
merged on the fetch's worker. The GUI thread swaps the merged buffers in; each table row
and each chart then redraws in an event-loop turn of its own (one job a turn for the whole
app), so the window never stalls for the whole page.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...core.activity import ClusterEvent
from ...core.annotations import Annotation, ChangeMarks
from ...core.golden import MAX_POINTS, GoldenFetch, GoldenPlan, fetch_golden
from ...core.golden_store import GoldenStore, MergedFetch
from ...core.slo import DEFAULT_MIN_REQUESTS_PER_HOUR, SloDefinition
from ...core.slo_status import SloStatus
from ...runtime.event_feed import EventFeed
from ...runtime.poller import Health, PollHealth
from ...runtime.session import Connection
from ...runtime.throttle import OnePerTurn, Throttle
from ..charts.export import save_through
from ..charts.golden_panel import GoldenCharts
from ..charts.sparkline import SparklineDelegate
from ..models.service_health import service_row
from ..models.services_table import BUDGET_COLUMN, SERVICE_ROLE, ServicesProxy, ServicesTableModel
from ..slo_view.fetch import ClusterWithContextSlos
from ..theme import StatusColours
from .base import Page, ViewSettings

BUDGETS_EVERY_S = 60.0  # the SLOs' budgets and burn rates cost a dozen queries
ROW_HEIGHT = 26
TABLE_ROWS_SHOWN = 8  # more services scroll; the charts keep most of the page
CHART_COLUMNS = 2  # the golden-signal charts, two a row
CHART_MARGIN_PIXELS = 70  # a chart's y axis and the gaps around it
MIN_CHART_PIXELS = 100  # narrower: the page is not laid out yet; assume MAX_POINTS
ANNOTATIONS_MS = 250  # the feed delivers history in bursts: redraw markers once per burst


class OverviewPage(Page):
    """Golden signals of every service, and the changes on the cluster.

    Signals:
        change_chosen(Annotation): a change marker was clicked; open it on its page
            (``annotation.page``).
    """

    key = "overview"
    title = "Overview"
    description = (
        "Every service at a glance: traffic, errors, latency and saturation, with what "
        "changed just before."
    )
    empty_detail = "Prometheus has no golden-signal series for this time range."
    needs_connection = True

    change_chosen = Signal(object)

    def build_content(self) -> QWidget:
        self.store = GoldenStore()
        self.model = ServicesTableModel(self)
        self.proxy = ServicesProxy(self)
        self.proxy.setSourceModel(self.model)
        self.slos: tuple[SloDefinition, ...] = ()
        self.slo_statuses: tuple[SloStatus, ...] = ()
        self.min_requests_per_hour = DEFAULT_MIN_REQUESTS_PER_HOUR
        self.changes = ChangeMarks()
        self._drawn_changes = -1
        self._selected_once = False
        self._source: Connection | None = None
        self._redraws = OnePerTurn(self)
        self._annotate = Throttle(self._draw_annotations, ANNOTATIONS_MS, self)

        content = QWidget(self)
        self.filter = QLineEdit(content)
        self.filter.setPlaceholderText("Filter services…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMaximumWidth(280)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.notes = QLabel(content)
        self.notes.setWordWrap(True)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.filter)
        top.addSpacing(12)
        top.addWidget(self.notes, 1)

        self.table = _ServicesView(content)
        self.table.setObjectName("services-table")
        self.table.setModel(self.proxy)
        self.table.setItemDelegate(SparklineDelegate(self.table))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(BUDGET_COLUMN, Qt.SortOrder.AscendingOrder)  # worst first
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setHighlightSections(False)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.charts = GoldenCharts(content)
        self.charts.annotation_clicked.connect(self.change_chosen)
        save_through(self.runner, self.charts)
        self.splitter = splitter = QSplitter(Qt.Orientation.Vertical, content)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.charts)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self.poller.health_changed.connect(self._health)
        self._theme.changed.connect(self._follow_theme)
        self._follow_theme(self._theme.colours)
        return content

    # Fetching (the op runs on a worker; everything else here on the GUI thread) ---------------

    def make_fetch(self, view: ViewSettings) -> Callable[[], object] | None:
        connection = self.session.connection
        if connection is None:
            return None
        time_range = view.time_range
        end = None if time_range.end is None else time_range.end.timestamp()
        plan = GoldenPlan.build(
            connection.context.queries, time_range.duration_s, end, max_points=self.chart_pixels()
        )
        if plan != self.store.plan or connection is not self._source:
            self._start_over(plan, connection)
        store = self.store
        budgets_read = [-math.inf]  # touched by the worker only: fetches never overlap
        threshold = self.min_requests_per_hour

        def fetch() -> MergedFetch:
            due = time.monotonic() - budgets_read[0] >= BUDGETS_EVERY_S
            result = fetch_golden(
                connection.prometheus,
                plan,
                now=time.time(),
                since=store.since(plan),
                cluster=ClusterWithContextSlos(connection),
                known_slos=self.slos if due else (),
                min_requests_per_hour=threshold,
            )
            if result.slo_statuses is not None:
                budgets_read[0] = time.monotonic()
            return store.prepare(result)  # merged here: the GUI thread only swaps it in

        return fetch

    def set_min_requests_per_hour(self, value: float) -> None:
        """The low-traffic guard of the SLO states that colour the rows (from the next view)."""
        self.min_requests_per_hour = float(value)

    def chart_pixels(self) -> int:
        """About the width of a chart's plot in pixels: a step as Grafana chooses it gives no
        more points than that. Read from the page's width, which is known before the charts
        are laid out (so the first fetch already has the step the next ones keep)."""
        width = self.width() // CHART_COLUMNS - CHART_MARGIN_PIXELS
        return width if width >= MIN_CHART_PIXELS else MAX_POINTS

    def _start_over(self, plan: GoldenPlan, connection: Connection) -> None:
        """Another window, query or cluster: nothing held so far may be merged with it."""
        if connection is not self._source:  # another cluster: its own services and SLOs
            self._source = connection
            self.model.set_rows([])
            self.slos, self.slo_statuses, self._selected_once = (), (), False
        self.store.reset(plan)
        self._redraws.clear()  # queued redraws would cut the emptied store
        self.charts.group.back_to_live()

    def present(self, data: object) -> bool:
        if isinstance(data, GoldenFetch) and not isinstance(data, MergedFetch):
            data = self.store.prepare(data)  # not merged on a worker (a test hands it in)
        if not isinstance(data, MergedFetch) or not self.store.commit(data):
            return bool(self.model.rowCount())  # an answer for an old window: keep what shows
        if data.slos is not None:
            self.slos = data.slos
        if data.slo_statuses is not None:
            self.slo_statuses = data.slo_statuses
        if data.history is not None:
            self.changes.set_history(data.history)
        if data.full:  # notes are about what only full fetches read
            self.notes.setText(" ".join(data.notes))
        # A tail: each chart slides to the new window in its own turn, as it is redrawn.
        self.charts.group.show_window(
            self.store.start, self.store.end, live=data.plan.live, each_chart=not data.full
        )
        if data.full:  # the user waits for a new window: draw it all now
            self._update_table()
            self._redraw_charts(spread=False)
        else:
            self._queue_table()
            self._redraw_charts(spread=True)
        return bool(self.store.services())

    # Changes on the charts ----------------------------------------------------------------------

    def follow(self, feed: EventFeed) -> None:
        """Mark the feed's changes on the charts, the ones it holds and those to come."""
        super().follow(feed)
        feed.arrived.connect(self._changes_arrived)
        feed.reset.connect(self._changes_reset)
        self._changes_arrived(feed.recent())

    def annotations(self) -> list[Annotation]:
        """Every change known, oldest first, each once (the charts draw those in view)."""
        return self.changes.all()

    def _changes_arrived(self, events: Sequence[ClusterEvent]) -> None:
        self.changes.add_events(events)
        self._annotate()

    def _changes_reset(self) -> None:
        self.changes.clear_live()
        self._annotate()

    def _draw_annotations(self) -> None:
        if self.changes.version != self._drawn_changes:
            self._drawn_changes = self.changes.version
            self.charts.set_annotations(self.changes.all())

    # Table and charts ---------------------------------------------------------------------------

    def selected_services(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        return sorted({str(index.data(SERVICE_ROLE)) for index in rows}, key=self._row_order)

    def select_services(self, services: Sequence[str]) -> None:
        """Select these services' rows (the charts follow)."""
        selection = QItemSelection()
        for service in services:
            row = self.model.row_of(service)
            if row >= 0:
                source = self.model.index(row, 0)
                proxied = self.proxy.mapFromSource(source)
                if proxied.isValid():
                    selection.select(proxied, proxied)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().select(selection, flags)

    def _row_order(self, service: str) -> int:
        return self.proxy.mapFromSource(self.model.index(self.model.row_of(service), 0)).row()

    def _update_table(self) -> None:
        known = {status.slo.service for status in self.slo_statuses}
        services = sorted(set(self.store.services()) | known)
        rows = [service_row(self.store, s, self.slo_statuses) for s in services]
        self.model.set_rows(rows)
        self.table.updateGeometry()  # its size hint follows the rows
        if not self._selected_once and self.proxy.rowCount():
            self._selected_once = True
            first = self.proxy.index(0, 0).data(SERVICE_ROLE)
            self.select_services([str(first)])

    def _queue_table(self) -> None:
        """A tail: each row updates in a turn of its own, so that the table repaints a row
        at a time; the whole table in one turn when services came or went."""
        known = {status.slo.service for status in self.slo_statuses}
        services = sorted(set(self.store.services()) | known)
        if services != sorted(row.service for row in self.model.rows):
            self._redraws.queue("table", self._update_table)
            return
        for service in services:
            self._redraws.queue(("row", service), partial(self._update_row, service))

    def _update_row(self, service: str) -> None:
        if not self.model.set_row(service_row(self.store, service, self.slo_statuses)):
            self._update_table()  # gone meanwhile (another cluster): the whole table

    def _selection_changed(self, *_: QItemSelection) -> None:
        self._redraw_charts(spread=False)

    def _redraw_charts(self, *, spread: bool) -> None:
        jobs = self.charts.redraw_jobs(
            self.store, self.selected_services(), self.slos, self.store.warnings
        )
        for key, job in jobs:
            if spread:
                self._redraws.queue(key, job)
            else:
                job()
        self._annotate()

    def _health(self, health: PollHealth) -> None:
        stale = health.health in (Health.STALE, Health.FAILING)
        self.charts.set_stale(health.last_success if stale else None)

    def _follow_theme(self, colours: StatusColours) -> None:
        self.model.set_colours(colours)
        self.charts.set_colours(colours)
        self.notes.setStyleSheet(f"color: {colours.warning};")


class _ServicesView(QTableView):
    """The table asks for the height of its rows (up to a screenful); the charts below
    take the rest. A size hint, not a minimum: a minimum would stop the splitter."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        hint = super().sizeHint()
        model = self.model()
        rows = min(model.rowCount() if model else 0, TABLE_ROWS_SHOWN)
        header = self.horizontalHeader().sizeHint().height()
        hint.setHeight(header + max(rows, 1) * ROW_HEIGHT + 2 * self.frameWidth())
        return hint
