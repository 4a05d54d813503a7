"""The toolbar's session label: who is logged in, with which roles, until when."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from ...core.durations import format_duration

NOT_LOGGED_IN = "Not logged in"


SOON_S = 3600  # the end of a session is shown in the toolbar once it is this close


class SessionLabel(QLabel):
    """Shows "alice · operator, chaos", and "· session ends in 12 min" once the end is
    under an hour away (before that it only takes room; the tooltip always has it).

    Args:
        clock: seconds since the epoch (tests pass their own).
    """

    def __init__(
        self, parent: QWidget | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(NOT_LOGGED_IN, parent)
        self._clock = clock
        self._user: str | None = None
        self._roles: tuple[str, ...] = ()
        self._expires_at: float | None = None
        self._ticker = QTimer(self)
        self._ticker.setInterval(30_000)  # minutes are the finest unit shown
        self._ticker.timeout.connect(self._render)
        self.setToolTip("The logged-in user, their roles and when the session ends")

    def show_session(
        self, user: str | None, roles: Sequence[str] = (), expires_at: float | None = None
    ) -> None:
        """Show a session; ``user=None`` shows "Not logged in"."""
        self._user, self._roles, self._expires_at = user, tuple(roles), expires_at
        if user is not None and expires_at is not None:
            self._ticker.start()
        else:
            self._ticker.stop()
        self._render()

    def _render(self) -> None:
        if self._user is None:
            self.setText(NOT_LOGGED_IN)
            return
        parts = [self._user, ", ".join(self._roles) or "no role"]
        tooltip = f"Logged in as {self._user} ({parts[1]})."
        if self._expires_at is not None:
            left = self._expires_at - self._clock()
            ends = f"session ends in {format_duration(left)}" if left > 0 else "session ended"
            tooltip += f" The {ends}." if left > 0 else " The session has ended."
            if left <= SOON_S:
                parts.append(ends)
        self.setText(" · ".join(parts))
        self.setToolTip(tooltip)
