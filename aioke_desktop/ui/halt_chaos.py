"""HALT ALL CHAOS in the main window, under the sidebar, whatever page is shown.

The worst moment to go looking for the Chaos page is when chaos is hurting production, so
the stop is always one click away: a reason, a fresh TOTP code, and every run ends and every
launch is refused until someone resumes chaos (on the Chaos page, deliberately elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMainWindow, QToolButton

from ..runtime.session import Session
from ..runtime.task_runner import TaskRunner
from .actions import Action, ActionRunner, Call
from .dialogs.chaos_controls import HaltDialog
from .role_gate import gate_by_role
from .theme import StatusColours, Theme


def halt_all_action(reason: str, on_done: Callable[[Any], object] | None = None) -> Action:
    """Halting chaos as an :class:`Action`: the chaos role and a fresh TOTP code; the
    server aborts every run and audits the halt on its ``chaos`` resource."""

    def op(call: Call) -> object:
        return call.cluster.chaos.halt(reason, idempotency_key=call.idempotency_key)

    return Action(
        "Halt all chaos", "chaos", op, destructive=True, on_done=on_done, resource="chaos"
    )


class HaltAllChaos(QObject):
    """The window's HALT ALL CHAOS button and what it does.

    Attributes:
        button: for the window (``MainWindow.add_emergency_stop``); off, with the reason as
            its tooltip, for a user without the chaos role or in a read-only session.
        actions: the :class:`ActionRunner` (its outcome goes to the window's status bar).
        dialog: the reason dialog opened last.
    """

    def __init__(
        self, runner: TaskRunner, session: Session, theme: Theme, window: QMainWindow
    ) -> None:
        super().__init__(window)
        self._session = session
        self._window = window
        self.actions = ActionRunner(runner, session, window)
        self.actions.status.hide()  # the status bar says how it went, on any page
        self.actions.succeeded.connect(lambda text: self._tell(f"Done: {text}."))
        self.actions.failed.connect(self._tell)
        self.dialog: HaltDialog | None = None
        self.button = QToolButton(window)
        self.button.setObjectName("toolbar-halt-all-chaos")
        self.button.setText("HALT ALL CHAOS")
        self.button.setToolTip("End every chaos run now and refuse launches until resumed")
        self.button.clicked.connect(self.open)
        gate_by_role(self.button, session, "chaos")
        theme.changed.connect(self._restyle)
        self._restyle(theme.colours)

    def open(self) -> HaltDialog | None:
        """Ask why; the halt itself follows with a step-up."""
        if self._session.why_not("chaos") is not None:
            return None
        dialog = HaltDialog(None, self._window)
        dialog.halt_requested.connect(self.halt)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    def halt(self, reason: str) -> None:
        self.actions.perform(halt_all_action(reason))

    def _tell(self, sentence: str) -> None:
        self._window.statusBar().showMessage(sentence, 15_000)

    def _restyle(self, colours: StatusColours) -> None:
        self.button.setStyleSheet(
            f"QToolButton {{ background: {colours.banner_danger_bg}; color: "
            f"{colours.banner_text}; font-weight: 700; padding: 8px 4px; border-radius: 4px; }}"
            f" QToolButton:disabled {{ background: {colours.unknown}; }}"
        )
