"""The Flags page: every flag in a table that follows the event feed, and its history.

The table updates the moment a ``flag.*`` event arrives (the event carries the new version),
and the page still polls, so a missed event is made good within one interval.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...core.activity import ClusterEvent
from ...core.flags import Flag
from ...core.jsonshape import Fields, ShapeError
from ...runtime.event_feed import EventFeed
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..models.flags_table import FlagsFilter, FlagsTableModel
from ..models.rows import ITEM_ROLE
from ..role_gate import gate_by_role
from ..theme import StatusColours, Theme
from ..widgets.flag_history import FlagHistory
from .base import Page, ViewSettings
from .flags_actions import FlagActions


class FlagsPage(Page):
    key = "flags"
    title = "Flags"
    description = (
        "Feature flags: who gets which variant, stale flags to clean up, and each flag's history."
    )
    empty_detail = "The cluster has no flags."
    needs_connection = True
    live_kinds = ("flag.",)

    def __init__(
        self,
        runner: TaskRunner,
        theme: Theme,
        session: Session | None = None,
        parent: QWidget | None = None,
    ) -> None:
        self._colours = theme.colours
        self._actors: dict[str, str] = {}  # flag key → who changed it last (event feed)
        super().__init__(runner, theme, session, parent)
        theme.changed.connect(self._recolour)

    # Building ---------------------------------------------------------------------------

    def build_content(self) -> QWidget:
        content = QWidget(self)
        self.model = FlagsTableModel(self._colours, self._actors.get, self)
        self.proxy = FlagsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.flag_actions = FlagActions(self.runner, self.session, self, self._colours)
        self.flag_actions.changed.connect(self._apply)
        self.flag_actions.actions.busy_changed.connect(self._counts_changed)
        self.status = self.flag_actions.actions.status

        self.search = QLineEdit(content)
        self.search.setPlaceholderText("Filter by key, owner, type…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        self.search.textChanged.connect(self.proxy.set_text)
        self.stale_only = QCheckBox("Stale flags only", content)
        self.stale_only.toggled.connect(self.proxy.set_stale_only)
        self.new_button = QPushButton("New flag…", content)
        self.edit_button = QPushButton("Edit…", content)
        self.toggle_button = QPushButton("Turn on", content)
        self.evaluate_button = QPushButton("Evaluate for…", content)
        self.archive_button = QPushButton("Archive…", content)
        self.new_button.clicked.connect(lambda: self.flag_actions.new_flag(self._keys()))
        self.edit_button.clicked.connect(self._edit)
        self.toggle_button.clicked.connect(lambda: self._with_selected(self.flag_actions.toggle))
        self.evaluate_button.clicked.connect(
            lambda: self._with_selected(self.flag_actions.evaluate)
        )
        self.archive_button.clicked.connect(lambda: self._with_selected(self.flag_actions.archive))
        chosen = self._selection_reason
        self.gates = [
            gate_by_role(self.new_button, self.session, "operator"),
            gate_by_role(self.edit_button, self.session, "operator", when=chosen),
            gate_by_role(self.toggle_button, self.session, "operator", when=chosen),
            gate_by_role(self.archive_button, self.session, "operator", when=chosen),
            gate_by_role(self.evaluate_button, self.session, "viewer", when=chosen, mutating=False),
        ]
        toolbar = QHBoxLayout()
        toolbar.addWidget(self.search)
        toolbar.addWidget(self.stale_only)
        toolbar.addStretch(1)
        for button in (self.new_button, self.edit_button, self.toggle_button):
            toolbar.addWidget(button)
        toolbar.addWidget(self.evaluate_button)
        toolbar.addWidget(self.archive_button)

        self.table = QTableView(content)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((190, 90, 64, 64, 210, 160, 130, 220)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self._edit())

        self.hint = QLabel(content)
        self.hint.setVisible(False)
        self.history = FlagHistory(self.runner, self.session, self._colours, content)
        split = QSplitter(Qt.Orientation.Vertical, content)
        split.addWidget(self.table)
        split.addWidget(self.history)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(toolbar)
        layout.addWidget(self.hint)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        self.proxy.rowsInserted.connect(self._counts_changed)
        self.proxy.rowsRemoved.connect(self._counts_changed)
        self.proxy.modelReset.connect(self._counts_changed)
        self.model.dataChanged.connect(self._counts_changed)
        # Before the base page's own handler, which fetches for the new session.
        self.session.connected.connect(self._forget)
        self.session.disconnected.connect(self._forget)
        return content

    # Data -------------------------------------------------------------------------------

    def make_fetch(self, view: ViewSettings) -> Callable[[], object] | None:
        connection = self.session.connection
        if connection is None:
            return None
        return connection.cluster.flags.all

    def present(self, data: object) -> bool:
        if isinstance(data, list):
            self.model.replace([f for f in data if isinstance(f, Flag)])
        return True  # an empty table still offers "New flag…"

    def follow(self, feed: EventFeed) -> None:
        super().follow(feed)
        self._remember_actors(feed.recent())

    def on_events(self, events: list[ClusterEvent]) -> None:
        """Each ``flag.*`` event carries the flag's new version: show it at once."""
        self._remember_actors(events)
        unreadable = False
        for event in events:
            try:
                flag = Flag.from_json(Fields(event.after))
            except (ShapeError, TypeError, ValueError):
                unreadable = True
                continue
            self._apply(flag, from_event=True)
            self.flag_actions.heard_of(flag, event.actor, event.time)
        self.model.refresh_last_change()
        if unreadable:
            self.refresh()
        if any(e.resource == f"flag/{self.history.key}" for e in events):
            self.history.reload()

    def _remember_actors(self, events: list[ClusterEvent]) -> None:
        for event in events:
            if event.kind.startswith("flag.") and event.actor:
                self._actors[event.resource.removeprefix("flag/")] = event.actor

    def _apply(self, flag: Flag, *, from_event: bool = False) -> None:
        if not flag.archived:
            self.model.upsert(flag, same_version_too=not from_event)
        elif from_event or self.model.find(flag.key) is not None:
            self.model.remove(flag.key)

    def _forget(self, *_: object) -> None:
        """Another connection: nothing of the old cluster may stay on screen."""
        self._actors.clear()
        self.model.replace([])
        self.history.show_flag(None)

    # Selection and history --------------------------------------------------------------

    def selected_flag(self) -> Flag | None:
        rows = self.table.selectionModel().selectedRows()
        flag = rows[0].data(ITEM_ROLE) if rows else None
        return flag if isinstance(flag, Flag) else None

    def select(self, key: str) -> None:
        row = self.model.row_of(key)
        if row is not None:
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            self.table.selectRow(index.row())

    def _selection_reason(self) -> str | None:
        if self.flag_actions.actions.busy:
            return "Wait for the change being sent to finish."
        return None if self.selected_flag() is not None else "Select a flag first."

    def _with_selected(self, act: Callable[[Flag], None]) -> None:
        flag = self.selected_flag()
        if flag is not None:
            act(flag)

    def _edit(self) -> None:
        flag = self.selected_flag()
        if flag is not None and self.gates[1].reason() is None:
            self.flag_actions.edit(flag.key, self._keys())

    def _keys(self) -> list[str]:
        return [flag.key for flag in self.model.items()]

    def _selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self._counts_changed()
        flag = self.selected_flag()
        self.history.show_flag(flag.key if flag else None)

    def _counts_changed(self, *_: object) -> None:
        stale = sum(1 for flag in self.model.items() if flag.stale)
        self.stale_only.setText(f"Stale flags only ({stale})")
        flag = self.selected_flag()
        self.toggle_button.setText("Turn off" if flag and flag.enabled else "Turn on")
        for gate in self.gates:
            gate.update()
        if not self.model.rowCount():
            self.hint.setText("No flags yet: “New flag…” creates the first one.")
        elif not self.proxy.rowCount():
            self.hint.setText("No flag matches the filter.")
        self.hint.setVisible(not self.proxy.rowCount())

    def _recolour(self, colours: StatusColours) -> None:
        self._colours = colours
        self.flag_actions.colours = colours
        self.model.set_colours(colours)
        self.history.view.set_colours(colours)
        self.status.set_colours(colours)
