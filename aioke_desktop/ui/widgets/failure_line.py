"""The red sentence under a login or step-up form; a lockout counts down to zero in it."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

from ...runtime.login_support import FailureKind, LoginFailure, locked_sentence
from ..theme import LIGHT, StatusColours

UNLOCKED = "The account is unlocked; you can try again now."


class FailureLine(QLabel):
    """Shows a :class:`LoginFailure`; "locked for 58 more seconds" ticks down each second.

    Signals:
        lock_changed(bool): a lockout started (True) or ran out (False).
    """

    lock_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, colours: StatusColours = LIGHT) -> None:
        super().__init__(parent)
        self.setObjectName("failure")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._until: float | None = None
        self._timer = QTimer(self)
        self._timer.setObjectName("lockout-countdown")
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.set_colours(colours)
        self.setVisible(False)

    @property
    def locked(self) -> bool:
        return self._until is not None

    def set_colours(self, colours: StatusColours) -> None:
        self.setStyleSheet(f"color: {colours.danger}; font-weight: 600;")

    def show_failure(self, failure: LoginFailure | None) -> None:
        """Say why an attempt failed (None: clear it)."""
        was_locked = self.locked
        self._timer.stop()
        self._until = None
        if failure is not None and failure.kind is FailureKind.LOCKED and failure.retry_after:
            self._until = time.monotonic() + failure.retry_after
            self._timer.start()
        self.setText(failure.message if failure else "")
        self.setVisible(failure is not None)
        if self.locked != was_locked:
            self.lock_changed.emit(self.locked)

    def stop(self) -> None:
        """Stop counting (the dialog closes)."""
        self.show_failure(None)

    def _tick(self) -> None:
        left = (self._until or 0.0) - time.monotonic()
        if left > 0.5:
            self.setText(locked_sentence(left))
            return
        self._timer.stop()
        self._until = None
        self.setText(UNLOCKED)
        self.lock_changed.emit(False)
