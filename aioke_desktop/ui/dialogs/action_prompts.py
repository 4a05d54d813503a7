"""The small dialogs an action can raise: confirm a change to production, a stale edit
(reload or compare), and the TOTP step-up fallback.

They are opened with ``open()``, never ``exec()``: the event loop keeps running, so pollers,
the event feed and tests go on while a dialog waits for the user.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..theme import LIGHT, StatusColours
from ..when import local_time_text


def stale_sentence(resource: str, changed_by: str | None, changed_at: str | None) -> str:
    """ "flag/x was changed by alice at 14:03:12 since you loaded it." """
    who = changed_by or "someone"
    when = local_time_text(changed_at) if changed_at else "an unknown time"
    return f"{resource or 'It'} was changed by {who} at {when} since you loaded it."


def _sentence(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ConfirmChangeDialog(QDialog):
    """Confirm one change, naming it; Cancel is the default button.

    Args:
        description: the change ("Archive flag checkout-v2"); also the confirm button.
        question: what to weigh before going ahead (may be empty).
        production: the context's name when it is tagged production.
    """

    def __init__(
        self, description: str, question: str, production: str | None, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("confirm-change")
        self.setWindowTitle("Change production?" if production else f"{description}?")
        lines = [f"{description}?"]
        if question:
            lines.append(question)
        if production:
            lines.insert(0, f"“{production}” is a production context.")
        self.question = _sentence(" ".join(lines), self)
        buttons = QDialogButtonBox(self)
        self.confirm_button = buttons.addButton(
            f"{description} in {production}" if production else description,
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setDefault(True)
        self.confirm_button.setAutoDefault(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)


class StaleEditDialog(QDialog):
    """Someone changed the resource first: nothing was overwritten; reload or compare.

    Signals:
        reload_requested(): load the new version (the dialog closes).
        compare_requested(): show what changed (the dialog stays).
    """

    reload_requested = Signal()
    compare_requested = Signal()

    def __init__(
        self, sentence: str, *, can_reload: bool, can_compare: bool, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("stale-edit")
        self.setWindowTitle("Changed since you loaded it")
        self.sentence = _sentence(sentence, self)
        self.note = _sentence("Nothing was overwritten.", self)
        buttons = QDialogButtonBox(self)
        self.reload_button = buttons.addButton("Reload", QDialogButtonBox.ButtonRole.AcceptRole)
        self.compare_button = buttons.addButton("Compare…", QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.reload_button.setVisible(can_reload)
        self.compare_button.setVisible(can_compare)
        self.reload_button.clicked.connect(self._reload)
        self.compare_button.clicked.connect(self.compare_requested)
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.sentence)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)

    def _reload(self) -> None:
        self.accept()
        self.reload_requested.emit()


class StepUpDialog(QDialog):
    """Asks for a TOTP code; the caller sends it and reports back with :meth:`show_error`
    (the dialog stays open for another try) or closes it.

    Signals:
        code_entered(str): the user confirmed a code.
    """

    code_entered = Signal(str)

    def __init__(self, reason: str, parent: QWidget | None, colours: StatusColours = LIGHT) -> None:
        super().__init__(parent)
        self.setObjectName("step-up")
        self.setWindowTitle("Confirm it is you")
        self.reason = _sentence(reason, self)
        self.code = QLineEdit(self)
        self.code.setPlaceholderText("6-digit code from your authenticator")
        self.code.setValidator(QRegularExpressionValidator(r"\d{0,8}", self.code))
        self.error = _sentence("", self)
        self.error.setStyleSheet(f"color: {colours.danger};")
        self.error.setVisible(False)
        buttons = QDialogButtonBox(self)
        self.confirm_button: QPushButton = buttons.addButton(
            "Confirm", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._confirm)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.reason)
        layout.addWidget(self.code)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(400)

    def _confirm(self) -> None:
        code = self.code.text().strip()
        if len(code) < 6:
            self.show_error("Enter the 6-digit code your authenticator shows.")
            return
        self.set_busy(True)
        self.code_entered.emit(code)

    def set_busy(self, busy: bool) -> None:
        self.code.setEnabled(not busy)
        self.confirm_button.setEnabled(not busy)
        if busy:
            self.error.setVisible(False)

    def show_error(self, sentence: str) -> None:
        self.set_busy(False)
        self.error.setText(sentence)
        self.error.setVisible(True)
        self.code.selectAll()
        self.code.setFocus()
