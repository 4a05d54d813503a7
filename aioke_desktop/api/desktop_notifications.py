"""The desktop's notification service (``org.freedesktop.Notifications``) over D-Bus.

Qt's own D-Bus module cannot send the ``u`` (unsigned) argument the ``Notify`` call needs
from Python, so this uses jeepney, the pure-Python D-Bus library keyring already brings on
Linux. Each call opens its own short connection: notifications are rare, and a connection
shared between worker threads would need a lock for nothing. Calls block; they run on the
task runner.
"""

from __future__ import annotations

import html
import os
import threading
import time

from ..core.alert_state import Severity
from ..core.notices import Notification
from .errors import ApiError

SERVICE = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
TIMEOUT_SECONDS = 3.0
RETRY_AFTER_SECONDS = 300.0  # a service that failed is tried again after this long
_URGENCY = {Severity.CRITICAL: 2, Severity.WARNING: 1, Severity.INFO: 0, Severity.NONE: 0}


class NotificationServiceError(ApiError):
    """No notification service answered on the session bus."""


class DesktopBus:
    """Sends notifications to the session bus' notification service.

    Args:
        address: the session bus address; by default ``$DBUS_SESSION_BUS_ADDRESS``.
        app_name: the sender's name as the notification shows it.
    """

    def __init__(self, address: str | None = None, app_name: str = "Aioke") -> None:
        self.address = (
            address if address is not None else os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        )
        self.app_name = app_name
        self._lock = threading.Lock()
        self._failed_at: float | None = None

    def usable(self) -> bool:
        """False without a bus, and for a while after the service failed to answer."""
        with self._lock:
            failed = self._failed_at
        return bool(self.address) and (
            failed is None or time.monotonic() - failed > RETRY_AFTER_SECONDS
        )

    def mark_unusable(self) -> None:
        with self._lock:
            self._failed_at = time.monotonic()

    def server_name(self) -> str:
        """The service's name (``dunst``, ``gnome-shell``...): a cheap check that it answers."""
        return str(self._call("GetServerInformation", "", ())[0])

    def notify(self, notification: Notification) -> int:
        """Show ``notification``; the service's id for it."""
        hints = {"urgency": ("y", _URGENCY[notification.severity])}
        body = html.escape(notification.body, quote=False)  # services may read body markup
        args: tuple[object, ...] = (self.app_name, 0, "", notification.title, body, [], hints, -1)
        found = self._call("Notify", "susssasa{sv}i", args)[0]
        return found if isinstance(found, int) else 0

    def _call(self, method: str, signature: str, args: tuple[object, ...]) -> tuple[object, ...]:
        if not self.address:
            raise NotificationServiceError("There is no D-Bus session bus.")
        from jeepney import DBusAddress, MessageType, new_method_call  # type: ignore[import-untyped]
        from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

        target = DBusAddress(OBJECT_PATH, bus_name=SERVICE, interface=SERVICE)
        try:
            with open_dbus_connection(bus=self.address, auth_timeout=TIMEOUT_SECONDS) as conn:
                message = new_method_call(target, method, signature or None, args)
                reply = conn.send_and_get_reply(message, timeout=TIMEOUT_SECONDS)
        # jeepney raises OSError, ValueError (authentication) and its own errors; any of them
        # means the same to the user: no notification service here.
        except Exception as exc:
            raise NotificationServiceError(
                f"The desktop's notification service did not answer ({exc})."
            ) from exc
        if reply.header.message_type is MessageType.error:
            raise NotificationServiceError(
                f"The desktop's notification service refused the notification: {reply.body}."
            )
        body: tuple[object, ...] = tuple(reply.body)
        return body
