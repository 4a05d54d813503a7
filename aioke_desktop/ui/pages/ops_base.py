"""What the operations pages (flags, breakers, chaos, runbooks, audit) share.

Each reads the control plane (never without a login), keeps the server's clock for its
countdowns, gates its levers on the user's role, follows the theme's colours, and shows
tables set up the same way. A page with countdowns sets :attr:`OpsPage.tick_ms`: a timer
then calls :meth:`OpsPage.on_tick` while the page is shown, and stops when it is hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import QAbstractItemModel, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QHeaderView,
    QPushButton,
    QTableView,
    QWidget,
)

from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..models.rows import ServerClock
from ..role_gate import RoleGate, gate_by_role
from ..theme import StatusColours, Theme
from .base import Page, ViewSettings


class OpsPage(Page):
    """A page that reads and changes the cluster.

    Attributes:
        clock: the control plane's clock (synced from ``/me`` in each fetch).
        colours: the theme's status colours now.
    """

    needs_connection = True
    # Milliseconds between countdown ticks while shown; None: the page has no countdowns.
    tick_ms: ClassVar[int | None] = None

    def __init__(
        self,
        runner: TaskRunner,
        theme: Theme,
        session: Session | None = None,
        parent: QWidget | None = None,
    ) -> None:
        # Set before the base builds the content: build_content gates buttons and reads both.
        self.clock = ServerClock()
        self.colours: StatusColours = theme.colours
        self._gates: list[RoleGate] = []
        super().__init__(runner, theme, session, parent)
        self._ticker: QTimer | None = None
        if self.tick_ms is not None:
            self._ticker = QTimer(self)
            self._ticker.setObjectName(f"{self.key}-ticker")
            self._ticker.setInterval(self.tick_ms)
            self._ticker.timeout.connect(self.on_tick)
        theme.changed.connect(self._colours_changed)

    # What subclasses use ----------------------------------------------------------------

    def gate(
        self,
        target: QAbstractButton | QAction,
        role: str,
        when: Callable[[], str | None] | None = None,
        *,
        mutating: bool = True,
    ) -> RoleGate:
        """Enable ``target`` only for ``role`` (and while ``when`` has no objection); the
        reason otherwise is its tooltip. :meth:`update_gates` re-asks every ``when``.
        ``mutating=False``: it only reads, so a read-only session keeps it."""
        made = gate_by_role(target, self.session, role, when=when, mutating=mutating)
        self._gates.append(made)
        return made

    def lever(
        self,
        text: str,
        parent: QWidget,
        role: str,
        on_click: Callable[[], object],
        when: Callable[[], str | None] | None = None,
        *,
        mutating: bool = True,
        tooltip: str = "",
    ) -> QPushButton:
        """A button that changes the cluster (or, ``mutating=False``, asks it something):
        gated like :meth:`gate`, ``on_click`` when pressed; ``tooltip`` while it is on."""
        button = QPushButton(text, parent)
        button.setToolTip(tooltip)  # before the gate, which keeps it for when it is on
        button.clicked.connect(lambda _checked=False: on_click())
        self.gate(button, role, when, mutating=mutating)
        return button

    def update_gates(self) -> None:
        """The page's own conditions (a selection, a halt) may have changed."""
        for made in self._gates:
            made.update()

    def on_tick(self) -> None:
        """A second passed while shown (only when :attr:`tick_ms` is set)."""

    def recolour(self, colours: StatusColours) -> None:
        """The theme changed; :attr:`colours` already holds the new ones."""

    # Page -------------------------------------------------------------------------------

    def activate(self, view: ViewSettings) -> None:
        super().activate(view)
        if self._ticker is not None:
            self._ticker.start()

    def deactivate(self) -> None:
        super().deactivate()
        if self._ticker is not None:
            self._ticker.stop()

    def _colours_changed(self, colours: StatusColours) -> None:
        self.colours = colours
        self.recolour(colours)


def ops_table(
    model: QAbstractItemModel,
    parent: QWidget,
    sort_column: int,
    order: Qt.SortOrder = Qt.SortOrder.AscendingOrder,
    *,
    stretch: int | None = None,
) -> QTableView:
    """A sortable, single-row-selecting table over ``model`` (a proxy), columns sized to
    their contents.

    ``stretch`` is the column that takes what width is left, elided when short (its full
    text should be its tooltip), so that every other column stays in view; by default the
    last column stretches."""
    table = QTableView(parent)
    table.setModel(model)
    table.setSortingEnabled(True)
    table.sortByColumn(sort_column, order)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is None:
        header.setStretchLastSection(True)
    else:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table
