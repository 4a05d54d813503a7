"""The connection to the active context that every page shares.

A :class:`Connection` bundles one context's clients; the :class:`Session` holds the current
one and tells the pages when it changes, when the server ended it, and when the user turned
on read-only mode. Pages never build clients themselves: they read ``session.connection``
inside the op they hand the task runner, and check :meth:`Session.why_not` before offering
an action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..api.alertmanager import AlertmanagerClient
from ..api.auth import Tokens
from ..api.cluster import ClusterClient
from ..api.prometheus import PrometheusSource
from ..core.contexts import Context

log = logging.getLogger(__name__)


@dataclass
class Connection:
    """One context's clients and who is logged in through them."""

    context: Context
    cluster: ClusterClient
    prometheus: PrometheusSource
    alertmanager: AlertmanagerClient | None
    username: str = ""
    roles: tuple[str, ...] = ()

    @classmethod
    def open(cls, context: Context, session: Session) -> Connection:
        """Clients for ``context``; token refreshes are reported to ``session``."""
        return cls(
            context=context,
            cluster=ClusterClient(context, on_session_change=session.tokens_changed_from_worker),
            prometheus=PrometheusSource(context.prometheus_url, tls=context.tls),
            alertmanager=AlertmanagerClient(context.alertmanager_url, tls=context.tls)
            if context.alertmanager_url
            else None,
        )

    def has_role(self, role: str) -> bool:
        """Every user may read; admin holds every other role too (as on the server)."""
        return role == "viewer" or role in self.roles or "admin" in self.roles

    def close(self) -> None:
        self.cluster.close()
        self.prometheus.close()
        if self.alertmanager is not None:
            self.alertmanager.close()


class Session(QObject):
    """The active connection, shared by the window, the pages and the tray.

    Signals:
        connected(Connection): a login finished; pages refresh.
        disconnected(): logged out or switched context; pages clear what they show.
        ended(str): the server ended the session (refresh token dead); ask for the factors
            again without throwing away what the pages show.
        tokens_changed(object): new tokens after a background refresh (``Tokens``).
        read_only_changed(bool): the read-only switch moved; every mutating action follows it.
    """

    connected = Signal(object)
    disconnected = Signal()
    ended = Signal(str)
    tokens_changed = Signal(object)
    read_only_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._connection: Connection | None = None
        self._read_only = False
        # The app's TOTP step-up dialog, in the shape of ``ui.step_up_prompt.StepUpPrompt``
        # (parent, connection, reason, then(ok)); actions use it when it is set.
        self.step_up_prompt: Callable[[Any, Connection, str, Callable[[bool], None]], None] | None
        self.step_up_prompt = None

    @property
    def connection(self) -> Connection | None:
        return self._connection

    @property
    def read_only(self) -> bool:
        return self._read_only

    def set_read_only(self, on: bool) -> None:
        if on != self._read_only:
            self._read_only = on
            self.read_only_changed.emit(on)

    def attach(self, connection: Connection) -> None:
        """Make ``connection`` (logged in) the active one, closing the previous one."""
        previous, self._connection = self._connection, connection
        if previous is not None and previous is not connection:
            previous.close()
        log.info("session: %s as %s", connection.context.name, connection.username)
        self.connected.emit(connection)

    def detach(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            self.disconnected.emit()

    def why_not(self, role: str, *, mutating: bool = True) -> str | None:
        """Why the user may not do something needing ``role`` now, or None if they may.

        The sentence goes into the disabled action's tooltip.
        """
        if self._connection is None:
            return "Log in first."
        if mutating and self._read_only:
            return "This is a read-only session: turn read-only off to change anything."
        if not self._connection.has_role(role):
            return f"This needs the {role} role; you are {', '.join(self._connection.roles)}."
        return None

    def tokens_changed_from_worker(self, tokens: Tokens | None) -> None:
        """Called by the client on a worker thread; the signals cross to the GUI thread."""
        if tokens is None:
            self.ended.emit("Your session has ended; confirm it is you to carry on.")
        else:
            self.tokens_changed.emit(tokens)
