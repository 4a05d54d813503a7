"""The Alerts page: alerts and silences (until they arrive, its heading and state)."""

from __future__ import annotations

from .base import PLACEHOLDER, Page


class AlertsPage(Page):
    key = "alerts"
    title = "Alerts"
    description = (
        "Firing and pending alerts from Alertmanager, their silences, and the runbook for each."
    )
    empty_detail = PLACEHOLDER
