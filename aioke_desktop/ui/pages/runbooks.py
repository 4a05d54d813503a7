"""The Runbooks page: the catalog with a risk badge, a runbook's executions, and the selected
execution live (steps, log, cancel, confirm)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...api.cluster import ClusterClient
from ...core.activity import ClusterEvent
from ...core.runbooks import Runbook, RunbookExecution
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..dialogs.runbook_run import RunbookRunDialog
from ..models.rows import KEY_ROLE, SORT_ROLE
from ..models.runbooks_table import (
    EXECUTION_ID_COLUMN,
    PARAMETERS_COLUMN,
    ExecutionsModel,
    RunbooksModel,
    about_runbook,
)
from ..theme import StatusColours, Theme
from ..widgets.execution_view import ExecutionView
from .base import ViewSettings
from .ops_base import OpsPage, ops_table

EXECUTION_LIMIT = 50


@dataclass(frozen=True)
class RunbooksSnapshot:
    runbooks: list[Runbook]
    runbook: str | None  # whose executions these are
    executions: list[RunbookExecution]
    server_time: float | None
    sent: float
    received: float


def read_runbooks(cluster: ClusterClient, selected: str | None) -> RunbooksSnapshot:
    sent = time.time()
    me = cluster.me()
    received = time.time()
    runbooks = cluster.runbooks.all()
    if selected is None and runbooks:
        selected = runbooks[0].id
    executions = cluster.runbooks.executions(selected, EXECUTION_LIMIT) if selected else []
    return RunbooksSnapshot(runbooks, selected, executions, me.server_time, sent, received)


class RunbooksPage(OpsPage):
    key = "runbooks"
    title = "Runbooks"
    description = "Runbooks to run with checked parameters, their live steps and their history."
    empty_detail = "The cluster has no runbooks."
    live_kinds = ("runbook.",)

    def __init__(
        self,
        runner: TaskRunner,
        theme: Theme,
        session: Session | None = None,
        parent: QWidget | None = None,
    ) -> None:
        self.dialog: RunbookRunDialog | None = None
        self._runbook: str | None = None
        self._execution: str | None = None
        super().__init__(runner, theme, session, parent)

    # Building ---------------------------------------------------------------------------

    def build_content(self) -> QWidget:
        box = QWidget(self)
        self.runbooks = RunbooksModel(self.colours, box)
        runbooks_proxy = QSortFilterProxyModel(box)
        runbooks_proxy.setSourceModel(self.runbooks)
        runbooks_proxy.setSortRole(SORT_ROLE)
        # The title gives way, so that the risk and the step count stay in view.
        self.runbooks_table = ops_table(runbooks_proxy, box, 0, stretch=0)
        self.runbooks_table.selectionModel().selectionChanged.connect(self._runbook_chosen)
        self.runbooks_table.doubleClicked.connect(lambda _: self.open_run())
        self.run_button = self.lever("Run…", box, "operator", self.open_run, self._no_runbook)
        self.run_button.setObjectName("runbook-run")
        self.about = QLabel(box)
        self.about.setWordWrap(True)
        self.executions = ExecutionsModel(self.colours, self.clock.now, box)
        executions_proxy = QSortFilterProxyModel(box)
        executions_proxy.setSourceModel(self.executions)
        executions_proxy.setSortRole(SORT_ROLE)
        # Newest first. The id is long and shown above the steps of the execution selected;
        # the parameters (in full as a tooltip) give way so that why a run ended stays in view.
        self.executions_table = ops_table(
            executions_proxy, box, 1, Qt.SortOrder.DescendingOrder, stretch=PARAMETERS_COLUMN
        )
        self.executions_table.setColumnHidden(EXECUTION_ID_COLUMN, True)
        self.executions_table.selectionModel().selectionChanged.connect(self._execution_chosen)
        self.executions_title = QLabel("Executions", box)
        self.view = ExecutionView(self.runner, self.session, self.colours, self.clock.now, box)
        left = QWidget(box)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        run_row = QHBoxLayout()
        run_row.addWidget(QLabel("Catalog", left), 1)
        run_row.addWidget(self.run_button)
        left_layout.addLayout(run_row)
        left_layout.addWidget(self.runbooks_table, 1)
        left_layout.addWidget(self.about)
        right = QSplitter(Qt.Orientation.Vertical, box)
        top = QWidget(right)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.executions_title)
        top_layout.addWidget(self.executions_table, 1)
        right.addWidget(top)
        right.addWidget(self.view)
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 3)
        split = QSplitter(Qt.Orientation.Horizontal, box)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(split, 1)
        return box

    # Page -------------------------------------------------------------------------------

    def make_fetch(self, view: ViewSettings) -> Callable[[], object] | None:
        connection = self.session.connection
        if connection is None:
            return None
        selected = self._runbook
        return lambda: read_runbooks(connection.cluster, selected)

    def present(self, data: object) -> bool:
        if not isinstance(data, RunbooksSnapshot):
            return False
        self.clock.sync(data.server_time, data.sent, data.received)
        self.runbooks.replace(data.runbooks)
        if self._runbook is None and data.runbook is not None:
            self.select_runbook(data.runbook)
        if data.runbook == self._runbook:
            self.executions.replace(data.executions)
            if self._execution is not None and self.executions.find(self._execution):
                self.select_execution(self._execution)
        self.update_gates()
        return bool(data.runbooks)

    def on_events(self, events: list[ClusterEvent]) -> None:
        super().on_events(events)
        following = self.view.execution
        if following is not None and any(following.id in e.resource for e in events):
            self.view.poke()

    def deactivate(self) -> None:
        super().deactivate()
        self.view.stop()

    # Selection --------------------------------------------------------------------------

    def selected_runbook(self) -> Runbook | None:
        return self.runbooks.find(self._runbook) if self._runbook else None

    def select_runbook(self, runbook_id: str) -> None:
        row = self.runbooks.row_of(runbook_id)
        if row is not None:
            proxy = self.runbooks_table.model()
            assert isinstance(proxy, QSortFilterProxyModel)
            self.runbooks_table.selectRow(proxy.mapFromSource(self.runbooks.index(row, 0)).row())

    def select_execution(self, execution_id: str) -> None:
        row = self.executions.row_of(execution_id)
        if row is None:
            return
        proxy = self.executions_table.model()
        assert isinstance(proxy, QSortFilterProxyModel)
        wanted = proxy.mapFromSource(self.executions.index(row, 0)).row()
        current = self.executions_table.selectionModel().selectedRows()
        if not current or current[0].row() != wanted:
            self.executions_table.selectRow(wanted)

    def _runbook_chosen(self, *_: object) -> None:
        rows = self.runbooks_table.selectionModel().selectedRows()
        chosen = rows[0].data(KEY_ROLE) if rows else None
        if chosen == self._runbook:
            return
        self._runbook = chosen
        self._execution = None
        runbook = self.selected_runbook()
        self.about.setText(about_runbook(runbook) if runbook else "")
        self.executions_title.setText(f"Executions of {runbook.title}" if runbook else "")
        self.executions.replace([])
        self.view.stop()
        self.update_gates()
        if self._view is not None:  # fetch this runbook's executions, now and from now on
            fetch = self.make_fetch(self._view)
            if fetch is not None:
                self.poller.set_fetch(fetch)
            self.refresh()

    def _execution_chosen(self, *_: object) -> None:
        rows = self.executions_table.selectionModel().selectedRows()
        execution = rows[0].data(KEY_ROLE) if rows else None
        runbook = self.selected_runbook()
        found = self.executions.find(execution) if execution else None
        if runbook is None or found is None:
            return
        self._execution = found.id
        if self.view.execution is None or self.view.execution.id != found.id:
            self.view.follow(runbook, found)

    def _no_runbook(self) -> str | None:
        return None if self.selected_runbook() is not None else "Select a runbook first."

    # Running ----------------------------------------------------------------------------

    def open_run(self) -> RunbookRunDialog | None:
        runbook = self.selected_runbook()
        if runbook is None or self.session.why_not("operator") is not None:
            return None
        dialog = RunbookRunDialog(
            self.runner, self.session, runbook, self.colours, self.clock.now, self
        )
        dialog.started.connect(self._started)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _started(self, execution: RunbookExecution) -> None:
        self._execution = execution.id
        self.refresh()

    def recolour(self, colours: StatusColours) -> None:
        self.runbooks.set_colours(colours)
        self.executions.set_colours(colours)
        self.view.steps.set_colours(colours)
