"""The TOTP code field: six digits, sent by itself when the sixth is typed."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QRegularExpressionValidator
from PySide6.QtWidgets import QLineEdit, QWidget

DIGITS = 6


class CodeField(QLineEdit):
    """Takes digits only; typing (or pasting) the sixth emits :attr:`completed`.

    Filling it from code (``setText``, a kept TOTP secret) does not emit: the caller sends
    such a code itself.

    Signals:
        completed(str): the user entered six digits.
    """

    completed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("totp-code")
        self.setAccessibleName("Authenticator code")
        self.setValidator(
            QRegularExpressionValidator(QRegularExpression(rf"\d{{0,{DIGITS}}}"), self)
        )
        self.setMaxLength(DIGITS)
        self.setPlaceholderText("6 digits")
        self.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(self.font().pointSizeF() * 1.4)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 3)
        self.setFont(font)
        wide = max(self.placeholderText(), "0" * (DIGITS + 2), key=len)
        self.setFixedWidth(self.fontMetrics().horizontalAdvance(wide) + 24)
        self.textEdited.connect(self._edited)

    def _edited(self, text: str) -> None:
        if len(text) == DIGITS:
            self.completed.emit(text)
