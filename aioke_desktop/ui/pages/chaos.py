"""The Chaos page: runs with a live countdown and their guards' values, launch, abort, and
the safety settings. HALT ALL CHAOS is the window's (under the sidebar, on every page); while
chaos is halted this page says by whom and why in a banner, with "Resume chaos…"."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ...api.chaos_view import ChaosReference, ChaosSnapshot, read_chaos
from ...core.chaos import ChaosRun
from ...runtime.session import Connection, Session
from ...runtime.task_runner import TaskRunner
from ..dialogs.chaos_controls import safety_sentence
from ..halt_chaos import halted_sentence
from ..models.chaos_table import ChaosRunsModel, RunFilter, outcome_text, seconds_left
from ..models.rows import KEY_ROLE, clock_text, parse_time
from ..theme import StatusColours, Theme
from .base import ViewSettings
from .chaos_actions import ChaosActions
from .ops_base import OpsPage, ops_table


class ChaosPage(OpsPage):
    key = "chaos"
    title = "Chaos"
    description = (
        "Chaos experiments: the fault catalog, running runs with their guards, and a halt."
    )
    empty_detail = "No chaos runs yet."
    live_kinds = ("chaos.",)
    tick_ms = 1000  # runs count down to their end

    def __init__(
        self,
        runner: TaskRunner,
        theme: Theme,
        session: Session | None = None,
        parent: QWidget | None = None,
    ) -> None:
        self.snapshot: ChaosSnapshot | None = None
        self._reference: tuple[Connection, ChaosReference] | None = None
        self._select_next: str | None = None
        self._selected: str | None = None
        super().__init__(runner, theme, session, parent)
        self.session.disconnected.connect(self._forget)

    # Building ---------------------------------------------------------------------------

    def build_content(self) -> QWidget:
        box = QWidget(self)
        self.chaos_actions = ChaosActions(self)
        self.model = ChaosRunsModel(self.colours, self.clock.now, box)
        self.proxy = RunFilter(box)
        self.proxy.setSourceModel(self.model)
        self.halt_banner = QWidget(box)
        self.halt_banner.setObjectName("halt-banner")
        self.halt_banner.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.halt_text = QLabel(self.halt_banner)
        self.halt_text.setWordWrap(True)
        actions = self.chaos_actions
        self.resume_button = self.lever("Resume chaos…", self.halt_banner, "chaos", actions.resume)
        banner_row = QHBoxLayout(self.halt_banner)
        banner_row.addWidget(self.halt_text, 1)
        banner_row.addWidget(self.resume_button)
        self.halt_banner.setVisible(False)
        self.show_filter = QComboBox(box)
        self.show_filter.addItems(["All runs", "Running only"])
        self.show_filter.currentIndexChanged.connect(
            lambda index: self.proxy.set_running_only(index == 1)
        )
        self.launch_button = self.lever(
            "Launch…", box, "chaos", actions.open_launch, self._launch_blocked
        )
        self.abort_button = self.lever(
            "Abort run", box, "chaos", self._abort_selected, self._abort_blocked
        )
        self.safety_button = self.lever(
            "Edit safety settings…", box, "admin", actions.open_safety, self._safety_blocked
        )
        toolbar = QHBoxLayout()
        toolbar.addWidget(QLabel("Show", box))
        toolbar.addWidget(self.show_filter)
        toolbar.addStretch(1)
        for button in (self.launch_button, self.abort_button, self.safety_button):
            toolbar.addWidget(button)
        self.table = ops_table(self.proxy, box, 4, Qt.SortOrder.DescendingOrder)  # newest first
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.detail = QLabel(box)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.safety_text = QLabel(box)
        self.safety_text.setWordWrap(True)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.halt_banner)
        layout.addLayout(toolbar)
        layout.addWidget(self.chaos_actions.runner.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.safety_text)
        self._restyle_controls()
        return box

    # Page -------------------------------------------------------------------------------

    def make_fetch(self, view: ViewSettings) -> Callable[[], object] | None:
        connection = self.session.connection
        if connection is None:
            return None
        # The catalog is read once per connection; another context has another one.
        kept = self._reference
        known = kept[1] if kept is not None and kept[0] is connection else None
        return lambda: read_chaos(connection.cluster, connection.prometheus, known)

    def present(self, data: object) -> bool:
        if not isinstance(data, ChaosSnapshot):
            return False
        connection = self.session.connection
        if connection is not None and (self._reference or (None,))[0] is not connection:
            self._reference = (connection, data.reference)
            if self._view is not None:
                fetch = self.make_fetch(self._view)  # from now on, without the catalog
                if fetch is not None:
                    self.poller.set_fetch(fetch)
        self.snapshot = data
        self.clock.sync(data.server_time, data.sent, data.received)
        self.model.replace(data.runs)
        self.model.set_readings(data.readings)
        if self._select_next is not None and self.model.find(self._select_next) is not None:
            self.select(self._select_next)
            self._select_next = None
        halt = data.halted
        self.halt_banner.setVisible(halt is not None)
        if halt is not None:
            self.halt_text.setText(
                f"{halted_sentence(halt)} Every launch is refused until someone resumes chaos."
            )
        self.safety_text.setText(safety_sentence(data.safety.values))
        self._show_detail()
        self.update_gates()
        return True  # an empty history is still a page: the launch button lives on it

    # Selection --------------------------------------------------------------------------

    def selected_run(self) -> ChaosRun | None:
        return self.model.find(self._selected) if self._selected else None

    def select(self, run_id: str) -> None:
        row = self.model.row_of(run_id)
        if row is not None:
            self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())

    def select_when_shown(self, run_id: str) -> None:
        """Select run ``run_id`` once a refresh brings it (a run just launched)."""
        self._select_next = run_id

    def _abort_selected(self) -> None:
        run = self.selected_run()
        if run is not None and run.active:
            self.chaos_actions.abort(run)

    def _selection_changed(self, *_: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        self._selected = rows[0].data(KEY_ROLE) if rows else None
        self._show_detail()
        self.update_gates()

    def _show_detail(self) -> None:
        run = self.selected_run()
        if run is None:
            self.detail.setText("Select a run to see what it does and how it ended.")
            return
        if run.active:
            reading = self.model.reading(run.id)
            ends = clock_text(parse_time(run.ends_at))
            guard = f" Guard now: {reading.text}." if reading else ""
            self.detail.setText(f"Run {run.id} {run.summary}; it ends by itself at {ends}.{guard}")
        else:
            self.detail.setText(f"Run {run.id} {run.summary}. It ended: {outcome_text(run)}.")

    # Gates ------------------------------------------------------------------------------

    def _halt_sentence(self) -> str | None:
        halt = self.snapshot.halted if self.snapshot else None
        if halt is None:
            return None
        return f"Chaos is halted by {halt.get('by', 'someone')}: resume it before launching."

    def _launch_blocked(self) -> str | None:
        if self.snapshot is None:
            return "Loading the fault catalog…"
        return self._halt_sentence()

    def _abort_blocked(self) -> str | None:
        run = self.selected_run()
        return None if run is not None and run.active else "Select a running run first."

    def _safety_blocked(self) -> str | None:
        return None if self.snapshot is not None else "Loading the safety settings…"

    def update_gates(self) -> None:
        super().update_gates()
        halted = self.snapshot is not None and self.snapshot.halted is not None
        self.resume_button.setVisible(halted)

    # Live -------------------------------------------------------------------------------

    def on_tick(self) -> None:
        self.model.tick()
        now = self.clock.now()
        # A run past its end is completed on the server's next read: read now.
        if any(seconds_left(run, now) == 0 for run in self.model.items()):
            self.refresh()

    def _forget(self) -> None:
        self.snapshot = None
        self._reference = None
        self.model.replace([])

    def recolour(self, colours: StatusColours) -> None:
        self.model.set_colours(colours)
        self.chaos_actions.runner.status.set_colours(colours)
        self._restyle_controls()

    def _restyle_controls(self) -> None:
        colours = self.colours
        # Amber, like the window's "Chaos halted" control: safe, but launches are refused.
        self.halt_banner.setStyleSheet(
            f"#halt-banner {{ background: {colours.banner_warning_bg}; }}"
            f" #halt-banner QLabel {{ color: {colours.banner_text}; font-weight: 600; }}"
        )
