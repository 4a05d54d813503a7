"""The login dialog's form: username, password, "remember", the keyring note and the code."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QLineEdit, QWidget

from ...runtime.login_support import LoginAttempt, LoginPrompt
from ..theme import LIGHT, StatusColours
from ..widgets.code_field import CodeField

CODE_HINT = (
    "From your authenticator app; it is sent after the sixth digit. No app set up yet? Leave "
    "it empty and log in to set one up."
)


def sentence(parent: QWidget, text: str = "") -> QLabel:
    """A wrapped, selectable label for a sentence."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class LoginForm(QWidget):
    """The fields of a login; a resumed session hides the password when it is known."""

    def __init__(self, parent: QWidget | None = None, colours: StatusColours = LIGHT) -> None:
        super().__init__(parent)
        self.username = QLineEdit(self)
        self.username.setAccessibleName("Username")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password_label = QLabel("Password", self)
        self.remember = QCheckBox("Remember the password in the system keyring", self)
        self.keyring_note = sentence(self)
        self.keyring_note.setVisible(False)
        self.code = CodeField(self)
        self.code_hint = sentence(self, CODE_HINT)
        # A grid, not a QFormLayout: the form gives a wrapped label the height it would
        # need in a much narrower column, and clips or pads it.
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(6)
        rows: list[tuple[QLabel | None, QWidget]] = [
            (QLabel("Username", self), self.username),
            (self.password_label, self.password),
            (None, self.remember),
            (None, self.keyring_note),
            (QLabel("Code", self), self.code),
            (None, self.code_hint),
        ]
        for row, (label, field) in enumerate(rows):
            if label is not None:
                grid.addWidget(label, row, 0)
            grid.addWidget(field, row, 1)
        grid.setColumnStretch(1, 1)
        self.set_colours(colours)

    def set_colours(self, colours: StatusColours) -> None:
        self.code_hint.setStyleSheet(f"color: {colours.muted_text};")
        self.keyring_note.setStyleSheet(f"color: {colours.warning};")

    def show_prompt(self, prompt: LoginPrompt) -> None:
        self.username.setText(prompt.username)
        self.username.setReadOnly(prompt.resume)
        self.password.setText(prompt.password or "")
        ask_password = not (prompt.resume and prompt.password)
        for widget in (self.password_label, self.password, self.remember):
            widget.setVisible(ask_password)
        self.remember.setChecked(prompt.remember)
        self.keyring_note.setText(prompt.note or "")
        self.keyring_note.setVisible(bool(prompt.note) and ask_password)
        self.code.clear()

    def ready(self) -> bool:
        """Username and password are there, and the code is complete or left empty."""
        typed = all(f.text() for f in (self.username, self.password) if f.isVisibleTo(self))
        return typed and len(self.code.text()) in (0, 6)

    def attempt(self) -> LoginAttempt:
        return LoginAttempt(
            self.username.text().strip(),
            self.password.text(),
            self.code.text(),
            self.remember.isChecked(),
        )

    def focus_first_empty(self) -> None:
        for field in (self.username, self.password, self.code):
            if field.isVisibleTo(self) and not field.text():
                field.setFocus()
                return
        self.code.setFocus()

    def forget(self) -> None:
        """Secrets leave the widgets as soon as they are not needed."""
        self.password.clear()
        self.code.clear()
