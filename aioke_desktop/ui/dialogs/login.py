"""The login dialog: password, "remember", and a TOTP code that sends itself; enrolment.

It is a view of a :class:`~aioke_desktop.runtime.login.LoginFlow`: it opens when the flow
asks (``prompt``), hands back what the user typed, and closes when the flow is done. The
enrolment page shows the QR code and the secret once; both are wiped when the dialog closes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ...api.cluster import Enrollment
from ...runtime.login import LoginFlow
from ...runtime.login_support import (
    FailureKind,
    LoginFailure,
    LoginPrompt,
    ServerCheck,
    clock_warning,
)
from ..theme import LIGHT, StatusColours
from ..widgets.failure_line import FailureLine
from .enrolment import EnrolmentPage
from .login_form import LoginForm, sentence

RESUME_TEXT = "Confirm it is you to carry on; the pages keep what they show."


class LoginDialog(QDialog):
    """Opens on the flow's ``prompt``; never runs a request itself.

    Args:
        flow: the login flow it shows and feeds.
        colours: status colours for errors and warnings.
    """

    def __init__(
        self, flow: LoginFlow, colours: StatusColours = LIGHT, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("login-dialog")
        self.setWindowTitle("Log in")
        self.setMinimumWidth(460)
        self._flow = flow
        self._colours = colours
        self._prompt: LoginPrompt | None = None
        self._busy = False
        self._build()
        self._restyle()
        flow.prompt.connect(self.present)
        flow.server_checked.connect(self.show_server_check)
        flow.failed.connect(self.show_failure)
        flow.enrolling.connect(self.show_enrolment)
        flow.finished.connect(self._flow_finished)
        self.rejected.connect(flow.cancel)

    # Building ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.heading = QLabel(self)
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        self.address = sentence(self)
        self.production = QLabel("Production", self)
        self.resume_text = sentence(self, RESUME_TEXT)

        self.form_page = LoginForm(self, self._colours)
        form = self.form_page  # the fields, by the names tests and the flow know them by
        self.username, self.password, self.code = form.username, form.password, form.code
        self.remember, self.keyring_note = form.remember, form.keyring_note

        self.enrolment = EnrolmentPage(self)
        self.enrolment.setVisible(False)

        self.clock_warning = sentence(self)
        self.error = FailureLine(self, self._colours)
        self.error.lock_changed.connect(self._lock_changed)
        buttons = QDialogButtonBox(self)
        self.submit_button = buttons.addButton("Log in", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.submit_button.clicked.connect(self._submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.heading)
        layout.addWidget(self.address)
        layout.addWidget(self.production, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.resume_text)
        # Shown one at a time; not a QStackedWidget, which sizes the short login form as
        # tall as the enrolment page with its QR code.
        layout.addWidget(self.form_page)
        layout.addWidget(self.enrolment)
        layout.addWidget(self.clock_warning)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(buttons)

        self.code.completed.connect(self._code_completed)
        self.enrolment.code.completed.connect(self._code_completed)
        self.password.returnPressed.connect(self._submit)
        for label in (self.keyring_note, self.clock_warning):
            label.setVisible(False)

    def set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        self._restyle()

    def _restyle(self) -> None:
        c = self._colours
        self.address.setStyleSheet(f"color: {c.muted_text};")
        self.form_page.set_colours(c)
        self.clock_warning.setStyleSheet(f"color: {c.warning}; font-weight: 600;")
        self.error.set_colours(c)
        self.production.setStyleSheet(
            f"background: {c.banner_danger_bg}; color: {c.banner_text}; font-weight: 600;"
            "padding: 1px 6px; border-radius: 3px;"
        )
        self.enrolment.set_colours(c)

    # What the flow says -----------------------------------------------------------------

    def present(self, prompt: LoginPrompt) -> None:
        """Show the form for ``prompt`` (a new login, or a session to resume)."""
        self._prompt = prompt
        context = prompt.context
        self.setWindowTitle(f"Log in to {context.name}")
        self.heading.setText(
            f"Your session on {context.name} has ended"
            if prompt.resume
            else f"Log in to {context.name}"
        )
        self.address.setText(context.control_plane_url)
        self.production.setVisible(context.production)
        self.resume_text.setVisible(prompt.resume)
        self.form_page.show_prompt(prompt)
        self.enrolment.clear()
        self._show_page(enrolling=False)
        self.submit_button.setText("Log in")
        self.clock_warning.setVisible(False)
        self._set_busy(False)
        self.error.show_failure(prompt.problem)
        if not self.isVisible():
            self.open()
        self.form_page.focus_first_empty()

    def show_server_check(self, check: ServerCheck) -> None:
        """The clock warning, or why the server could not be reached."""
        warning = clock_warning(check.skew_seconds)
        self.clock_warning.setText(warning or "")
        self.clock_warning.setVisible(warning is not None)
        if check.problem is not None:
            self.error.show_failure(check.problem)

    def show_failure(self, failure: LoginFailure) -> None:
        """An attempt failed: say why; clear what must be typed again."""
        self._set_busy(False)
        if failure.kind is FailureKind.EXPIRED and self.enrolling:
            self.enrolment.clear()
            self._show_page(enrolling=False)
        self.error.show_failure(failure)
        field = self.enrolment.code if self.enrolling else self.code
        if failure.kind in (FailureKind.REFUSED, FailureKind.REPLAYED, FailureKind.LOCKED):
            field.clear()
        if failure.kind is not FailureKind.LOCKED:
            self.form_page.focus_first_empty()

    def show_enrolment(self, enrollment: Enrollment) -> None:
        """The server asks for an authenticator: the QR code and the secret, once."""
        self.enrolment.show_secret(enrollment)
        self._show_page(enrolling=True)
        self._set_busy(False)
        self.error.show_failure(None)
        self.enrolment.code.setFocus()

    def _flow_finished(self) -> None:
        self._forget_typed()
        if self.isVisible():
            self.accept()  # not reject(): that would cancel the flow

    # What the user does -----------------------------------------------------------------

    def _code_completed(self, _code: str) -> None:
        self._submit()

    def _submit(self) -> None:
        if self._busy or self.error.locked:
            return
        if self.enrolling:
            code = self.enrolment.code.text()
            if len(code) == 6:
                self._set_busy(True)
                self._flow.confirm_enrollment(code)
            return
        if not self.form_page.ready():
            self.form_page.focus_first_empty()
            return
        self._set_busy(True)
        self._flow.submit(self.form_page.attempt())

    # Helpers ----------------------------------------------------------------------------

    @property
    def enrolling(self) -> bool:
        """True while the enrolment page (QR code and secret) is shown."""
        return self.enrolment.isVisibleTo(self)

    def _show_page(self, *, enrolling: bool) -> None:
        self.form_page.setVisible(not enrolling)
        self.enrolment.setVisible(enrolling)
        self.submit_button.setText("Confirm" if enrolling else "Log in")

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        locked = self.error.locked
        for widget in (self.username, self.password, self.remember, self.code, self.enrolment):
            widget.setEnabled(not busy and not locked)
        self.submit_button.setEnabled(not busy and not locked)
        if busy:
            self.submit_button.setText("Logging in…")
        else:
            self.submit_button.setText("Confirm" if self.enrolling else "Log in")

    def _lock_changed(self, locked: bool) -> None:
        self._set_busy(self._busy)
        if not locked:
            self.form_page.focus_first_empty()

    def _forget_typed(self) -> None:
        """Secrets leave the widgets as soon as they are no longer needed."""
        self.error.stop()
        self.form_page.forget()
        self.enrolment.clear()

    def done(self, result: int) -> None:  # closing by any path wipes what was typed
        self._forget_typed()
        super().done(result)
