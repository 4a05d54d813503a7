"""The Breakers page: every edge's breaker live, one breaker's state timeline, and forced
transitions with a TTL and a reason."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...core.activity import ClusterEvent
from ...core.breakers import CLOSE, DISABLE, FORCE_OPEN, RESET, Breaker, BreakerTransition
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..dialogs.breaker_transition import BreakerTransitionDialog, edge
from ..models.breakers_table import (
    THRESHOLDS_COLUMN,
    BreakerFilter,
    BreakersTableModel,
    forced_left,
    state_word,
)
from ..models.rows import KEY_ROLE, clock_text, parse_time
from ..theme import StatusColours, Theme
from ..widgets.state_timeline import StateTimeline
from .base import ViewSettings
from .ops_base import OpsPage, ops_table

HISTORY_LIMIT = 50
SHOWN_TRANSITIONS = 6
FILTERS = (("All breakers", ""), ("Not closed", "not-closed"), ("Forced", "forced"))


@dataclass(frozen=True)
class BreakersSnapshot:
    """One fetch: the breakers and the server's clock when they were read."""

    breakers: list[Breaker]
    server_time: float | None
    sent: float
    received: float


class BreakersPage(OpsPage):
    key = "breakers"
    title = "Breakers"
    description = (
        "Circuit breakers between services: their state, failure rates, and forced overrides."
    )
    empty_detail = "The cluster has no breakers."
    live_kinds = ("breaker.",)
    tick_ms = 1000  # forced TTLs and next half-open count down

    def __init__(
        self,
        runner: TaskRunner,
        theme: Theme,
        session: Session | None = None,
        parent: QWidget | None = None,
    ) -> None:
        self.dialog: BreakerTransitionDialog | None = None
        self._selected: str | None = None
        self._history: list[BreakerTransition] = []
        super().__init__(runner, theme, session, parent)

    # Building ---------------------------------------------------------------------------

    def build_content(self) -> QWidget:
        box = QWidget(self)
        self.model = BreakersTableModel(self.colours, self.clock.now, box)
        self.proxy = BreakerFilter(box)
        self.proxy.setSourceModel(self.model)
        self.filter = QLineEdit(box)
        self.filter.setPlaceholderText("Filter edges (checkout, payments…)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.state_filter = QComboBox(box)
        for text, value in FILTERS:
            self.state_filter.addItem(text, value)
        self.state_filter.currentIndexChanged.connect(
            lambda _: self.proxy.set_state_filter(self.state_filter.currentData())
        )
        self.buttons: dict[str, QPushButton] = {}
        toolbar = QHBoxLayout()
        toolbar.addWidget(self.filter, 1)
        toolbar.addWidget(self.state_filter)
        toolbar.addSpacing(12)
        for command, text in (
            (FORCE_OPEN, "Force open…"),
            (DISABLE, "Disable…"),
            (CLOSE, "Close…"),
            (RESET, "Reset…"),
        ):
            button = self.lever(
                text,
                box,
                "operator",
                partial(self.open_transition, command),
                when=self._needs_selection,
            )
            button.setObjectName(f"breaker-{command.lower()}")
            self.buttons[command] = button
            toolbar.addWidget(button)
        # The worst states first; the thresholds (alike on most edges) give way to the rest.
        self.table = ops_table(self.proxy, box, 1, stretch=THRESHOLDS_COLUMN)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _: self.open_transition(FORCE_OPEN))
        self.detail = QGroupBox("Select a breaker to see its state timeline", box)
        self.timeline = StateTimeline(self.colours, self.detail)
        self.transitions = QLabel(self.detail)
        self.transitions.setWordWrap(True)
        self.transitions.setTextFormat(Qt.TextFormat.PlainText)
        self.transitions.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        detail_layout = QVBoxLayout(self.detail)
        detail_layout.addWidget(self.timeline)
        detail_layout.addWidget(self.transitions, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, box)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(toolbar)
        layout.addWidget(splitter, 1)
        return box

    # Page -------------------------------------------------------------------------------

    def make_fetch(self, view: ViewSettings) -> Callable[[], object] | None:
        connection = self.session.connection
        if connection is None:
            return None

        def fetch() -> BreakersSnapshot:
            sent = time.time()
            me = connection.cluster.me()
            received = time.time()
            breakers = connection.cluster.breakers.all()
            return BreakersSnapshot(breakers, me.server_time, sent, received)

        return fetch

    def present(self, data: object) -> bool:
        if not isinstance(data, BreakersSnapshot):
            return False
        self.clock.sync(data.server_time, data.sent, data.received)
        before = self.model.find(self._selected) if self._selected else None
        self.model.replace(data.breakers)
        after = self.model.find(self._selected) if self._selected else None
        moved = before is None or (
            after is not None and before.last_transition != after.last_transition
        )
        if after is not None and moved:
            self._load_history(after)
        self.update_gates()
        return bool(data.breakers)

    def on_events(self, events: list[ClusterEvent]) -> None:
        super().on_events(events)
        if self._selected and any(e.resource == f"breaker/{self._selected}" for e in events):
            selected = self.model.find(self._selected)
            if selected is not None:
                self._load_history(selected)

    # Selection and history --------------------------------------------------------------

    def selected_breaker(self) -> Breaker | None:
        return self.model.find(self._selected) if self._selected else None

    def select(self, name: str) -> None:
        """Select the breaker called ``name`` (``caller->callee``) in the table."""
        row = self.model.row_of(name)
        if row is not None:
            self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())

    def _needs_selection(self) -> str | None:
        return None if self.selected_breaker() is not None else "Select a breaker first."

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        self._selected = rows[0].data(KEY_ROLE) if rows else None
        breaker = self.selected_breaker()
        self.update_gates()
        if breaker is None:
            self.detail.setTitle("Select a breaker to see its state timeline")
            self.timeline.show_history([], self.clock.now())
            self.transitions.setText("")
            return
        self.detail.setTitle(f"{edge(breaker)}: state timeline")
        self._load_history(breaker)

    def _load_history(self, breaker: Breaker) -> None:
        connection = self.session.connection
        if connection is None:
            return
        name = breaker.name
        self.runner.run(
            lambda: connection.cluster.breakers.history(name, HISTORY_LIMIT),
            lambda history: self._show_history(name, history),
            lambda error: self.transitions.setText(getattr(error, "message", str(error))),
            owner=self,
            name="breaker history",
        )

    def _show_history(self, name: str, history: list[BreakerTransition]) -> None:
        breaker = self.model.find(name)
        if name != self._selected or breaker is None:
            return
        self._history = history
        self.timeline.show_history(history, self.clock.now(), breaker.forced_until, breaker.state)
        lines = []
        for move in reversed(history[-SHOWN_TRANSITIONS:]):
            who = move.actor or "by itself"
            moved = f"{state_word(move.from_state)} → {state_word(move.to_state)}"
            lines.append(f"{clock_text(parse_time(move.time))}  {moved}  ({who}: {move.reason})")
        self.transitions.setText("\n".join(lines) or "No transitions yet.")

    # Actions ----------------------------------------------------------------------------

    def open_transition(self, command: str) -> BreakerTransitionDialog | None:
        """Open the dialog for ``command`` on the selected breaker (if the user may)."""
        breaker = self.selected_breaker()
        if breaker is None or self.session.why_not("operator") is not None:
            return None
        dialog = BreakerTransitionDialog(
            self.runner, self.session, breaker, command, self.colours, self.clock, self
        )
        dialog.transitioned.connect(lambda _: self.refresh())
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    # Live countdowns --------------------------------------------------------------------

    def on_tick(self) -> None:
        self.model.tick()
        now = self.clock.now()
        selected = self.selected_breaker()
        if selected is not None:
            self.timeline.show_history(self._history, now, selected.forced_until, selected.state)
        # A forced state whose TTL ran out reverts on the server's next read: read now.
        if any(forced_left(b, now) == 0 for b in self.model.items()):
            self.refresh()

    def recolour(self, colours: StatusColours) -> None:
        self.model.set_colours(colours)
        self.timeline.set_colours(colours)
