"""The Flags page: every flag in a table that follows the event feed, and its history.

The table updates the moment a ``flag.*`` event arrives (the event carries the new version),
and the page still polls, so a missed event is made good within one interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...core.activity import ClusterEvent
from ...core.flag_ramps import FlagRamp
from ...core.flags import Flag
from ...core.jsonshape import Fields, ShapeError
from ...runtime.event_feed import EventFeed
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..models.flags_table import FlagsFilter, FlagsTableModel
from ..models.rows import ITEM_ROLE
from ..theme import StatusColours, Theme
from ..widgets.flag_history import FlagHistory
from .base import ViewSettings
from .flags_actions import FlagActions
from .flags_ramp import RampView
from .ops_base import OpsPage, ops_table


@dataclass(frozen=True)
class FlagsSnapshot:
    """One fetch: flags, their ramps, and the server's clock read between ``sent`` and
    ``received`` (a ramp's next decision is due by the server's clock)."""

    flags: list[Flag]
    ramps: list[FlagRamp]
    server_time: float | None
    sent: float
    received: float


LAST_CHANGE_COLUMN = 7


class FlagsPage(OpsPage):
    key = "flags"
    title = "Flags"
    description = (
        "Feature flags: who gets which variant, stale flags to clean up, and each flag's history."
    )
    empty_detail = "The cluster has no flags."
    live_kinds = ("flag.",)
    tick_ms = 1000  # a running ramp counts down to its next decision

    def __init__(
        self,
        runner: TaskRunner,
        theme: Theme,
        session: Session | None = None,
        parent: QWidget | None = None,
    ) -> None:
        self._actors: dict[str, str] = {}  # flag key → who changed it last (event feed)
        self._ramps: dict[str, FlagRamp] = {}  # flag key → its newest ramp
        super().__init__(runner, theme, session, parent)

    # Building ---------------------------------------------------------------------------

    def build_content(self) -> QWidget:
        content = QWidget(self)
        self.model = FlagsTableModel(
            self.colours, self._actors.get, self, self._ramps.get, self.clock.now
        )
        self.proxy = FlagsFilter(self)
        self.proxy.setSourceModel(self.model)
        actions = self.flag_actions = FlagActions(self.runner, self.session, self, self.colours)
        actions.changed.connect(self._apply)
        actions.ramp_changed.connect(self._ramp_changed)
        actions.actions.busy_changed.connect(self._counts_changed)
        self.status = actions.actions.status

        self.search = QLineEdit(content)
        self.search.setPlaceholderText("Filter by key, owner, type…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        self.search.textChanged.connect(self.proxy.set_text)
        self.stale_only = QCheckBox("Stale flags only", content)
        self.stale_only.toggled.connect(self.proxy.set_stale_only)
        # The table first: the buttons' gates ask it for the selection as they are made.
        # "Last change" gives way (its tooltip keeps the version): a ramp's state stays whole.
        self.table = ops_table(self.proxy, content, 0, stretch=LAST_CHANGE_COLUMN)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self._edit())
        chosen, selected = self._selection_reason, self._with_selected
        self.new_button = self.lever(
            "New flag…", content, "operator", lambda: actions.new_flag(self._keys())
        )
        self.edit_button = self.lever("Edit…", content, "operator", self._edit, chosen)
        self.toggle_button = self.lever(
            "Turn on", content, "operator", lambda: selected(actions.toggle), chosen
        )
        self.ramp_button = self.lever(
            "Ramp…",
            content,
            "operator",
            lambda: selected(actions.ramp),
            self._ramp_reason,
            tooltip="Roll out step by step while a service's burn rate stays low",
        )
        self.stop_ramp_button = self.lever(
            "Stop ramp", content, "operator", lambda: selected(actions.stop_ramp), self._stop_reason
        )
        self.evaluate_button = self.lever(
            "Evaluate for…",
            content,
            "viewer",
            lambda: selected(actions.evaluate),
            chosen,
            mutating=False,
        )
        self.archive_button = self.lever(
            "Archive…", content, "operator", lambda: selected(actions.archive), chosen
        )
        toolbar = QHBoxLayout()
        toolbar.addWidget(self.search)
        toolbar.addWidget(self.stale_only)
        toolbar.addStretch(1)
        for button in (
            self.new_button,
            self.edit_button,
            self.toggle_button,
            self.ramp_button,
            self.stop_ramp_button,
            self.evaluate_button,
            self.archive_button,
        ):
            toolbar.addWidget(button)

        self.hint = QLabel(content)
        self.hint.setVisible(False)
        self.history = FlagHistory(self.runner, self.session, self.colours, content)
        self.ramp_view = RampView(
            self.runner, self.session, self.colours, content, now=self.clock.now
        )
        # Tabs, not side by side: the audit's before → after and the ramp's steps each need
        # the page's whole width to be read without wrapping.
        self.below = QTabWidget(content)
        self.below.setDocumentMode(True)
        self.below.addTab(self.history, "History")
        self.below.addTab(self.ramp_view, "Ramp")
        split = QSplitter(Qt.Orientation.Vertical, content)
        split.addWidget(self.table)
        split.addWidget(self.below)
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
        cluster = connection.cluster

        def fetch() -> FlagsSnapshot:
            sent = time.time()
            me = cluster.me()
            received = time.time()
            return FlagsSnapshot(
                cluster.flags.all(), cluster.flags.ramps(), me.server_time, sent, received
            )

        return fetch

    def present(self, data: object) -> bool:
        if isinstance(data, FlagsSnapshot):
            self.clock.sync(data.server_time, data.sent, data.received)
            self._ramps.clear()
            self._ramps.update({r.key: r for r in data.ramps})
            self.model.replace(data.flags)
            self.model.refresh_last_change("Ramp")
        self._counts_changed()
        return True  # an empty table still offers "New flag…"

    def follow(self, feed: EventFeed) -> None:
        super().follow(feed)
        self._remember_actors(feed.recent())

    def on_events(self, events: list[ClusterEvent]) -> None:
        """Each ``flag.*`` event carries the flag's new version: show it at once."""
        self._remember_actors(events)
        unreadable = False
        for event in events:
            if event.kind.startswith("flag.ramp.") and isinstance(event.after, dict):
                unreadable |= not self._heard_of_ramp(event.after)
                continue
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
        if any(e.resource == f"flag/{self.ramp_view.key}" for e in events):
            self.ramp_view.reload()

    def _heard_of_ramp(self, after: dict[str, object]) -> bool:
        """A ramp event carries the ramp and, when it moved the rollout, the flag."""
        try:
            ramp = FlagRamp.from_json(Fields(after.get("ramp")))
            flag = Flag.from_json(Fields(after["flag"])) if after.get("flag") else None
        except (ShapeError, TypeError, ValueError):
            return False
        if flag is not None:
            self._apply(flag, from_event=True)
        self._ramps[ramp.key] = ramp
        self.model.refresh_last_change("Ramp")
        self._counts_changed()
        return True

    def _ramp_changed(self, ramp: FlagRamp) -> None:
        """A ramp this page started or stopped: show it now, and the flag it moved."""
        self._ramps[ramp.key] = ramp
        self.below.setCurrentWidget(self.ramp_view)
        self.model.refresh_last_change("Ramp")
        self._counts_changed()
        if self.ramp_view.key == ramp.key:
            self.ramp_view.reload()
        self.refresh()

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
        self._ramps.clear()
        self.model.replace([])
        self.history.show_flag(None)
        self.ramp_view.show_flag(None)

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

    def selected_ramp(self) -> FlagRamp | None:
        flag = self.selected_flag()
        return None if flag is None else self._ramps.get(flag.key)

    def _ramp_reason(self) -> str | None:
        reason = self._selection_reason()
        ramp = self.selected_ramp()
        if reason is None and ramp is not None and ramp.running:
            return "This flag's ramp is running: stop it first."
        return reason

    def _stop_reason(self) -> str | None:
        reason = self._selection_reason()
        ramp = self.selected_ramp()
        if reason is None and (ramp is None or not ramp.running):
            return "This flag has no running ramp."
        return reason

    def _with_selected(self, act: Callable[[Flag], None]) -> None:
        flag = self.selected_flag()
        if flag is not None:
            act(flag)

    def _edit(self) -> None:
        flag = self.selected_flag()
        self.update_gates()  # a double-click asks the edit button's gate
        if flag is not None and self.edit_button.isEnabled():
            self.flag_actions.edit(flag.key, self._keys())

    def _keys(self) -> list[str]:
        return [flag.key for flag in self.model.items()]

    def _selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self._counts_changed()
        flag = self.selected_flag()
        self.history.show_flag(flag.key if flag else None)
        self.ramp_view.show_flag(flag.key if flag else None)

    def _counts_changed(self, *_: object) -> None:
        stale = sum(1 for flag in self.model.items() if flag.stale)
        self.stale_only.setText(f"Stale flags only ({stale})")
        flag = self.selected_flag()
        self.toggle_button.setText("Turn off" if flag and flag.enabled else "Turn on")
        ramp = self.selected_ramp()
        self.below.setTabText(1, "Ramp (running)" if ramp is not None and ramp.running else "Ramp")
        self.update_gates()
        if not self.model.rowCount():
            self.hint.setText("No flags yet: “New flag…” creates the first one.")
        elif not self.proxy.rowCount():
            self.hint.setText("No flag matches the filter.")
        self.hint.setVisible(not self.proxy.rowCount())

    # Live -------------------------------------------------------------------------------

    def on_tick(self) -> None:
        """Count a running ramp down to its next decision, in the table and below it."""
        if any(ramp.running for ramp in self._ramps.values()):
            self.model.refresh_last_change("Ramp")
        self.ramp_view.tick()

    def recolour(self, colours: StatusColours) -> None:
        self.flag_actions.colours = colours
        self.model.set_colours(colours)
        self.history.view.set_colours(colours)
        self.ramp_view.set_colours(colours)
        self.status.set_colours(colours)
