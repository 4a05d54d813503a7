"""The enrolment page of the login dialog: the QR code and the secret, shown once."""

from __future__ import annotations

import io

import segno
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QPixmap
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from ...api.cluster import Enrollment
from ..theme import LIGHT, StatusColours
from ..widgets.code_field import CodeField

INTRO = (
    "Your account needs an authenticator app. Scan this QR code with it (or type the secret), "
    "then enter the code it shows."
)
SHOWN_ONCE = (
    "The secret is shown only this once. Anyone who has it can make your codes, so do not "
    "keep a copy of it anywhere else."
)


def qr_pixmap(uri: str, scale: int = 5) -> QPixmap:
    """``uri`` as a QR code (segno → PNG bytes → QPixmap), dark modules on white."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=scale, border=3)
    pixmap = QPixmap()
    pixmap.loadFromData(buffer.getvalue(), "PNG")
    return pixmap


def grouped(secret: str) -> str:
    """ "ABCD EFGH IJKL …": a base32 secret in groups of four, easier to type."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class EnrolmentPage(QWidget):
    """QR code, secret, and the code field that confirms them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("enrolment")
        self.intro = QLabel(INTRO, self)
        self.intro.setWordWrap(True)
        self.qr = QLabel(self)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setAccessibleName("QR code for your authenticator app")
        self.secret = QLabel(self)
        self.secret.setObjectName("enrolment-secret")
        self.secret.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.secret.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.secret.setAccessibleName("Secret for your authenticator app")
        self.warning = QLabel(SHOWN_ONCE, self)
        self.warning.setWordWrap(True)
        self.code = CodeField(self)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Secret", self.secret)
        form.addRow("Code", self.code)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.intro)
        layout.addWidget(self.qr)
        layout.addLayout(form)
        layout.addWidget(self.warning)

    def set_colours(self, colours: StatusColours = LIGHT) -> None:
        self.warning.setStyleSheet(f"color: {colours.warning};")

    def show_secret(self, enrollment: Enrollment) -> None:
        self.qr.setPixmap(qr_pixmap(enrollment.otpauth_uri))
        self.secret.setText(grouped(enrollment.secret))
        self.code.clear()

    def clear(self) -> None:
        """Wipe the secret and the QR code (they are shown once)."""
        self.qr.clear()
        self.secret.clear()
        self.code.clear()
