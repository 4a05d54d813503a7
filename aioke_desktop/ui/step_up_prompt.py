"""Asking for a TOTP step-up before a destructive action, as a hook the action runner calls.

The hook's shape is :data:`StepUpPrompt`; :class:`TotpStepUp` is the built-in one (a small
dialog that sends the code with ``cluster.step_up``). A richer dialog can replace it by
passing ``step_up=`` to :class:`~aioke_desktop.ui.actions.ActionRunner`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QWidget

from ..api.cluster import StepUp
from ..runtime.poller import error_sentence
from ..runtime.session import Connection
from ..runtime.task_runner import TaskRunner, is_alive
from .dialogs.action_prompts import StepUpDialog

# parent, connection, reason sentence, continuation(ok): ask for a code, step the session up
# on the server, then call the continuation with True (stepped up) or False (cancelled).
StepUpPrompt = Callable[[QWidget, Connection, str, Callable[[bool], None]], None]

# Ask again a little before the server's step-up runs out, not a moment after.
STEP_UP_MARGIN_S = 15.0


class TotpStepUp:
    """The built-in :data:`StepUpPrompt`: a code field; a wrong code keeps the dialog open
    with the server's sentence under it. While the server's step-up lasts (less a margin)
    it does not ask again.

    Args:
        runner: where ``cluster.step_up`` runs.
        owner: results are dropped once it is deleted.
        opened: told of each dialog it opens (tests and screenshots find it this way).
    """

    def __init__(
        self, runner: TaskRunner, owner: QObject, opened: Callable[[QDialog], None]
    ) -> None:
        self._runner = runner
        self._owner = owner
        self._opened = opened
        self._stepped_up: tuple[Connection, float] | None = None  # and until (monotonic)

    def __call__(
        self, parent: QWidget, connection: Connection, reason: str, then: Callable[[bool], None]
    ) -> None:
        found = self._stepped_up
        if found is not None and found[0] is connection and found[1] > time.monotonic():
            then(True)
            return
        dialog = StepUpDialog(reason, parent)
        answered = False

        def accepted(step: StepUp) -> None:
            nonlocal answered
            answered = True
            until = time.monotonic() + max(0.0, step.expires_in - STEP_UP_MARGIN_S)
            self._stepped_up = (connection, until)
            if is_alive(dialog):
                dialog.accept()
            then(True)

        def refused(error: BaseException) -> None:
            if is_alive(dialog):
                dialog.show_error(error_sentence(error))

        def send(code: str) -> None:
            self._runner.run(
                lambda: connection.cluster.step_up(code),
                accepted,
                refused,
                owner=self._owner,
                name="step-up",
            )

        dialog.code_entered.connect(send)
        dialog.rejected.connect(lambda: None if answered else then(False))
        self._opened(dialog)
