"""Stepping a session up with a fresh TOTP code before a destructive action.

The dialog (``ui/dialogs/step_up.py``) asks; :class:`StepUps` sends. A code this app has
already had accepted (at login, say, a few seconds ago) is explained at once and never sent:
the server would refuse it and count it towards a lockout.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject

from ..api.cluster import StepUp
from .login_support import REPLAYED, FailureKind, LoginFailure, TotpCodes, explain
from .session import Connection
from .task_runner import TaskRunner

TRUST_MARGIN_S = 15.0  # a step-up about to run out is asked for again rather than trusted


class StepUps:
    """Step-ups for every page, and how long the last one lasts.

    Args:
        runner: where ``cluster.step_up`` runs.
        codes: the codes already used, shared with the login (and a kept TOTP secret).
        clock: monotonic seconds (tests pass their own).
    """

    def __init__(
        self, runner: TaskRunner, codes: TotpCodes, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._runner = runner
        self._codes = codes
        self._clock = clock
        self._until: tuple[Connection, float] | None = None

    def is_stepped_up(self, connection: Connection) -> bool:
        """True while a step-up granted to ``connection`` still has a margin left."""
        found = self._until
        return found is not None and found[0] is connection and found[1] > self._clock()

    def auto_code(self, connection: Connection) -> str | None:
        """A code from the context's kept TOTP secret (demo mode), or None."""
        skew = connection.cluster.clock_skew_seconds or 0.0
        return self._codes.auto_code(
            connection.context.name, connection.username, time.time() + skew
        )

    def send(
        self,
        connection: Connection,
        code: str,
        on_done: Callable[[StepUp], object],
        on_failed: Callable[[LoginFailure], object],
        *,
        owner: QObject,
    ) -> None:
        """Send ``code``; ``on_done`` or ``on_failed`` is called on the GUI thread (not at all
        once ``owner`` is deleted)."""
        name, user = connection.context.name, connection.username
        if self._codes.is_spent(name, user, code):
            on_failed(LoginFailure(FailureKind.REPLAYED, REPLAYED))
            return

        def granted(step: StepUp) -> None:
            self._codes.spend(name, user, code)
            self._until = (connection, self._clock() + step.expires_in - TRUST_MARGIN_S)
            on_done(step)

        self._runner.run(
            lambda: connection.cluster.step_up(code),
            granted,
            lambda error: on_failed(explain(error, connection.context, step_up=True)),
            owner=owner,
            name="step-up",
        )
