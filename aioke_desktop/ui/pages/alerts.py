"""The Alerts page: what fires, grouped as Alertmanager groups it, how bad and since when;
acknowledging by a silence, the silences themselves, and the runbook each alert names.

The page shows the app's one :class:`AlertMonitor` snapshot, the same one the tray draws, so
the two never disagree; a fetch of the page's own is handed to the monitor first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...core.alert_state import AlertsSnapshot, AlertStatus, CurrentAlert, Severity
from ...core.alerts import Silence
from ...runtime.alert_monitor import AlertMonitor, read_alerts
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..models.alerts_table import GROUP_COLUMN, AlertFilter, AlertsTableModel
from ..models.rows import ITEM_ROLE
from ..role_gate import RoleGate, gate_by_role
from ..theme import StatusColours, Theme
from ..widgets.alert_detail import AlertDetail
from ..widgets.silences_view import WIDEST_COLUMN, SilencesView, fit_columns, plain_table
from .alerts_actions import AlertActions
from .base import Page, ViewSettings

STATES = (
    ("All alerts", frozenset(AlertStatus)),
    ("Firing", frozenset({AlertStatus.FIRING})),
    ("Pending", frozenset({AlertStatus.PENDING})),
    ("Silenced or inhibited", frozenset({AlertStatus.SILENCED, AlertStatus.INHIBITED})),
)
SEVERITIES = (
    ("Any severity", Severity.NONE),
    ("Warning or worse", Severity.WARNING),
    ("Critical only", Severity.CRITICAL),
)
SUMMARY_TONES = {Severity.CRITICAL: "danger", Severity.WARNING: "warning"}


@dataclass(frozen=True)
class AlertsPageData:
    """One fetch of the page: the alerts, and the silences (None without Alertmanager)."""

    alerts: AlertsSnapshot
    silences: list[Silence] | None


class AlertsPage(Page):
    key = "alerts"
    title = "Alerts"
    description = (
        "Firing and pending alerts from Alertmanager, their silences, and the runbook for each."
    )
    empty_detail = "No alerts."
    needs_connection = True

    def __init__(
        self,
        runner: TaskRunner,
        theme: Theme,
        session: Session | None = None,
        parent: QWidget | None = None,
        *,
        monitor: AlertMonitor | None = None,
    ) -> None:
        self.colours: StatusColours = theme.colours
        self._gates: list[RoleGate] = []
        super().__init__(runner, theme, session, parent)
        self.monitor = monitor or AlertMonitor(runner, self.session, self)
        self.monitor.updated.connect(self.show_snapshot)
        self.monitor.failing.connect(lambda _sentence: self._show_summary())
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        theme.changed.connect(self._set_colours)

    # Building ---------------------------------------------------------------------------

    def build_content(self) -> QWidget:
        box = QWidget(self)
        self.alert_actions = AlertActions(self.runner, self.session, self, self.colours)
        self.alert_actions.changed.connect(self.refresh)
        self.model = AlertsTableModel(self.colours, parent=box)
        self.proxy = AlertFilter(box)
        self.proxy.setSourceModel(self.model)
        self.summary = QLabel(box)
        self.summary.setObjectName("alerts-summary")
        self.note = QLabel(box)
        self.note.setWordWrap(True)
        self.filter = QLineEdit(box)
        self.filter.setPlaceholderText("Filter alerts (name, summary, labels)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.set_text)
        self.state_filter = self._combo(box, STATES, lambda v: self.proxy.set_states(v))
        self.severity_filter = self._combo(box, SEVERITIES, self.proxy.set_least_severity)
        self.group_filter = QComboBox(box)
        self.group_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.group_filter.setMaximumWidth(WIDEST_COLUMN)
        self.group_filter.addItem("All groups", "")
        self.group_filter.currentIndexChanged.connect(
            lambda _: self.proxy.set_group(self.group_filter.currentData() or "")
        )
        self.ack_button = QPushButton("Acknowledge…", box)
        self.ack_button.setToolTip("Silence the selected alert, with an end and a comment.")
        self.ack_button.clicked.connect(lambda: self._with_selected(self.alert_actions.acknowledge))
        self.runbook_button = QPushButton("Run runbook…", box)
        self.runbook_button.clicked.connect(
            lambda: self._with_selected(self.alert_actions.open_runbook)
        )
        toolbar = QHBoxLayout()
        self.filter.setMinimumWidth(220)
        toolbar.addWidget(self.filter, 1)
        for widget in (self.state_filter, self.severity_filter, self.group_filter):
            toolbar.addWidget(widget)
        toolbar.addSpacing(12)
        toolbar.addWidget(self.ack_button)
        toolbar.addWidget(self.runbook_button)
        self.table = plain_table(self.proxy, box)
        self.table.sortByColumn(GROUP_COLUMN, Qt.SortOrder.AscendingOrder)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _: self._with_selected(self._default_action))
        self.detail = AlertDetail(self.colours, box)
        self.tabs = QTabWidget(box)
        self.tabs.addTab(self.detail, "Selected alert")
        self.silences_view = SilencesView(self.session, self.colours, box)
        self.silences_view.expire_requested.connect(self.alert_actions.expire)
        self.tabs.addTab(self.silences_view, "Silences")
        splitter = QSplitter(Qt.Orientation.Vertical, box)
        splitter.addWidget(self.table)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.note)
        layout.addLayout(toolbar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.alert_actions.actions.status)
        self._gates += [
            gate_by_role(self.ack_button, self.session, "operator", when=self._why_not_ack),
            gate_by_role(self.runbook_button, self.session, "operator", when=self._why_not_run),
        ]
        return box

    @staticmethod
    def _combo(
        parent: QWidget, choices: tuple[tuple[str, object], ...], then: Callable[..., object]
    ) -> QComboBox:
        combo = QComboBox(parent)
        for text, value in choices:
            combo.addItem(text, value)
        combo.currentIndexChanged.connect(lambda _: then(combo.currentData()))
        return combo

    # Page -------------------------------------------------------------------------------

    def make_fetch(self, view: ViewSettings) -> Callable[[], object] | None:
        connection = self.session.connection
        if connection is None:
            return None

        def fetch() -> AlertsPageData:
            alerts = read_alerts(connection)
            alertmanager = connection.alertmanager
            return AlertsPageData(alerts, alertmanager.silences() if alertmanager else None)

        return fetch

    def present(self, data: object) -> bool:
        if not isinstance(data, AlertsPageData):
            return False
        self.monitor.accept(data.alerts)  # the tray sees what the page shows, at once
        active = self.silences_view.show_silences(data.silences or [])
        self.tabs.setTabText(
            1, f"Silences ({active} active)" if data.silences is not None else "Silences"
        )
        self._update_gates()
        return True

    def activate(self, view: ViewSettings) -> None:
        super().activate(view)
        self._ticker.start()
        if self.monitor.snapshot is not None:
            self.show_snapshot(self.monitor.snapshot)

    def deactivate(self) -> None:
        super().deactivate()
        self._ticker.stop()

    # Showing ----------------------------------------------------------------------------

    def show_snapshot(self, snapshot: AlertsSnapshot) -> None:
        """Show ``snapshot`` (the monitor's newest): rows, groups, summary."""
        was_empty = self.model.rowCount() == 0
        self.model.replace(list(snapshot.alerts))
        if was_empty and self.model.rowCount():
            fit_columns(self.table)
        chosen = self.group_filter.currentData()
        self.group_filter.blockSignals(True)
        self.group_filter.clear()
        self.group_filter.addItem("All groups", "")
        for group in snapshot.groups():
            count = sum(1 for a in snapshot.alerts if a.group == group)
            self.group_filter.addItem(f"{group} ({count})", group)
        self.group_filter.setCurrentIndex(max(0, self.group_filter.findData(chosen)))
        self.group_filter.blockSignals(False)
        self.proxy.set_group(self.group_filter.currentData() or "")
        self.note.setText(snapshot.note)
        self.note.setVisible(bool(snapshot.note))
        self._show_summary()
        self.detail.show_alert(self.selected_alert())
        self._update_gates()

    def _show_summary(self) -> None:
        summary = self.monitor.summary
        snapshot = self.monitor.snapshot
        if not summary.known:
            text = (
                f"● Alerts unknown: {self.monitor.error}"
                if self.monitor.error
                else "● Alerts unknown"
            )
            colour = self.colours.unknown
        else:
            source = f" · from {snapshot.source}" if snapshot else ""
            text = f"● {summary.headline()}{source}"
            colour = getattr(self.colours, SUMMARY_TONES.get(summary.worst, "ok"))
        self.summary.setText(text)
        self.summary.setStyleSheet(f"color: {colour}; font-weight: 600;")

    # Selection and actions --------------------------------------------------------------

    def selected_alert(self) -> CurrentAlert | None:
        rows = self.table.selectionModel().selectedRows()
        alert = rows[0].data(ITEM_ROLE) if rows else None
        return alert if isinstance(alert, CurrentAlert) else None

    def select_alert(self, key: str) -> None:
        row = self.model.row_of(key)
        if row is not None:
            self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())

    def _with_selected(self, then: Callable[[CurrentAlert], object]) -> None:
        alert = self.selected_alert()
        if alert is not None:
            then(alert)

    def _default_action(self, alert: CurrentAlert) -> None:
        if alert.runbook is not None and self._why_not_run() is None:
            self.alert_actions.open_runbook(alert)

    def _why_not_ack(self) -> str | None:
        alert = self.selected_alert()
        if alert is None:
            return "Select an alert first."
        return self.alert_actions.why_not_silence()

    def _why_not_run(self) -> str | None:
        alert = self.selected_alert()
        if alert is None:
            return "Select an alert first."
        return None if alert.runbook else "This alert names no runbook in its annotations."

    def _selection_changed(self, *_: object) -> None:
        self.detail.show_alert(self.selected_alert())
        self._update_gates()

    def _update_gates(self, *_: object) -> None:
        for gate in self._gates:
            gate.update()

    def _tick(self) -> None:
        self.model.tick()
        self.silences_view.model.tick()

    def _set_colours(self, colours: StatusColours) -> None:
        self.colours = colours
        self.alert_actions.colours = colours
        self.model.set_colours(colours)
        self.silences_view.model.set_colours(colours)
        self.detail.set_colours(colours)
        self.alert_actions.actions.status.set_colours(colours)
        self._show_summary()
