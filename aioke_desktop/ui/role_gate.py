"""Keep a mutating control's enabled state and tooltip in step with who may use it now."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton

from ..runtime.session import Session


class RoleGate(QObject):
    """Enables ``target`` only when ``session.why_not(role)`` has no objection (and ``when``
    none either); otherwise disables it with the reason as its tooltip.

    It follows logins, logouts and the read-only switch by itself; call :meth:`update` when
    the page's own condition (``when``, such as "select a flag first") may have changed.
    The gate is a child of ``target`` and dies with it.
    """

    def __init__(
        self,
        target: QAbstractButton | QAction,
        session: Session,
        role: str,
        *,
        when: Callable[[], str | None] | None = None,
        mutating: bool = True,
    ) -> None:
        super().__init__(target)
        self._target = target
        self._session = session
        self._role = role
        self._when = when
        self._mutating = mutating
        self._tooltip = target.toolTip()
        session.read_only_changed.connect(self.update)
        session.connected.connect(self.update)
        session.disconnected.connect(self.update)
        self.update()

    def reason(self) -> str | None:
        """Why the control is off, or None when it is on."""
        why = self._session.why_not(self._role, mutating=self._mutating)
        if why is None and self._when is not None:
            why = self._when()
        return why

    def update(self, *_: object) -> None:
        why = self.reason()
        self._target.setEnabled(why is None)
        self._target.setToolTip(why or self._tooltip)


def gate_by_role(
    target: QAbstractButton | QAction,
    session: Session,
    role: str,
    *,
    when: Callable[[], str | None] | None = None,
    mutating: bool = True,
) -> RoleGate:
    """Bind ``target``'s enabled state and tooltip to ``session.why_not(role)``; see RoleGate."""
    return RoleGate(target, session, role, when=when, mutating=mutating)
