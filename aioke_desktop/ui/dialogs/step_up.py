"""The step-up dialog: a fresh TOTP code before a destructive action.

:class:`StepUpPrompter` has the shape of :data:`~aioke_desktop.ui.step_up_prompt.StepUpPrompt`
(parent, connection, reason, then), so the operations pages' action runner can use it; the
app puts it on ``session.step_up_prompt``. A code already used is explained, not sent; a
lockout counts down; a context that keeps its TOTP secret fills the code by itself.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from ...api.cluster import StepUp
from ...runtime.login_support import FailureKind, LoginFailure
from ...runtime.session import Connection
from ...runtime.step_up import StepUps
from ...runtime.task_runner import is_alive
from ..theme import LIGHT, StatusColours
from ..widgets.code_field import CodeField
from ..widgets.failure_line import FailureLine

HINT = "From your authenticator app; it is sent after the sixth digit."


class StepUpDialog(QDialog):
    """Asks for a code; whoever opened it sends the code and reports back.

    Signals:
        code_entered(str): six digits were typed (or filled from a kept secret).
    """

    code_entered = Signal(str)

    def __init__(
        self, reason: str, colours: StatusColours = LIGHT, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("step-up")
        self.setWindowTitle("Confirm it is you")
        self.setMinimumWidth(420)
        self.reason = QLabel(reason, self)
        self.reason.setWordWrap(True)
        self.code = CodeField(self)
        self.hint = QLabel(HINT, self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {colours.muted_text};")
        self.error = FailureLine(self, colours)
        buttons = QDialogButtonBox(self)
        self.confirm_button = buttons.addButton("Confirm", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.confirm_button.clicked.connect(self._confirm)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.reason)
        layout.addWidget(self.code, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.code.completed.connect(self._confirm)
        self.error.lock_changed.connect(lambda _locked: self.set_busy(False))
        self._busy = False

    def fill(self, code: str) -> None:
        """Send a code from a kept TOTP secret, as if typed."""
        self.code.setText(code)
        self._confirm()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        usable = not busy and not self.error.locked
        self.code.setEnabled(usable)
        self.confirm_button.setEnabled(usable)
        if usable:
            self.code.setFocus()

    def show_failure(self, failure: LoginFailure) -> None:
        """Say why the code was refused; the dialog stays for the next one."""
        self.error.show_failure(failure)
        if failure.kind in (FailureKind.REFUSED, FailureKind.REPLAYED, FailureKind.LOCKED):
            self.code.clear()
        self.set_busy(False)

    def _confirm(self, *_: object) -> None:
        code = self.code.text()
        if self._busy or self.error.locked or len(code) != 6:
            self.code.setFocus()
            return
        self.set_busy(True)
        self.code_entered.emit(code)

    def done(self, result: int) -> None:
        self.error.stop()
        self.code.clear()
        super().done(result)


class StepUpPrompter(QObject):
    """The app's step-up prompt: one dialog, the code sent through :class:`StepUps`.

    Args:
        step_ups: sends codes and remembers how long a step-up lasts.
        colours: returns the theme's current status colours.

    Signals:
        dialog_opened(StepUpDialog): a dialog opened (tests and screenshots find it so).
    """

    dialog_opened = Signal(object)

    def __init__(
        self,
        step_ups: StepUps,
        colours: Callable[[], StatusColours] = lambda: LIGHT,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._step_ups = step_ups
        self._colours = colours

    def __call__(
        self, parent: QWidget, connection: Connection, reason: str, then: Callable[[bool], None]
    ) -> None:
        """Ask for a code (unless the session is still stepped up), then call ``then``."""
        if self._step_ups.is_stepped_up(connection):
            then(True)
            return
        dialog = StepUpDialog(reason, self._colours(), parent)
        answered = False

        def granted(_step: StepUp) -> None:
            nonlocal answered
            answered = True
            dialog.accept()
            then(True)

        def send(code: str) -> None:
            self._step_ups.send(connection, code, granted, dialog.show_failure, owner=dialog)

        dialog.code_entered.connect(send)
        dialog.rejected.connect(lambda: None if answered else then(False))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.dialog_opened.emit(dialog)
        code = self._step_ups.auto_code(connection)
        if code is not None and is_alive(dialog):
            dialog.fill(code)
