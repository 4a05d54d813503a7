"""The status bar's refresh line: when the page last refreshed and how long its query took."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from ...runtime.poller import Health, PollHealth

NEVER = "Not refreshed yet"


def describe_refresh(health: PollHealth | None) -> str:
    """One line for the status bar, in plain words."""
    if health is None or health.last_success is None:
        if health is not None and health.health is Health.FAILING:
            return f"Refresh failed: {health.error}"
        return NEVER
    at = health.last_success.strftime("%H:%M:%S")
    latency = f" · query {health.latency_s * 1000:.0f} ms" if health.latency_s is not None else ""
    match health.health:
        case Health.STALE:
            return f"Stale since {at}{latency}"
        case Health.FAILING:
            return f"Refresh failed ({health.error}) · last good data {at}"
        case _:
            return f"Last refresh {at}{latency}"


class RefreshStatus(QLabel):
    """Shows the current page's :class:`PollHealth` as one line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(NEVER, parent)
        self.setContentsMargins(8, 0, 8, 0)
        self.setToolTip("Last refresh of this page, and how long its query took")

    def show_refresh(self, health: PollHealth | None) -> None:
        self.setText(describe_refresh(health))
