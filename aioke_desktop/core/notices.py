"""What a notification says: one alert that started firing, or one event of the cluster."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .activity import ClusterEvent
from .alert_state import CurrentAlert, Severity

BREAKER_SEVERITY = Severity.WARNING
CHAOS_SEVERITY = Severity.WARNING


@dataclass(frozen=True)
class Notification:
    """A title, a sentence or two, and how urgent it is.

    Attributes:
        key: the alert's identity, so the in-app banner can go when the alert stops firing
            ("" for events).
    """

    title: str
    body: str
    severity: Severity
    key: str = ""


def _clock(ts: float) -> str:
    return time.strftime("%H:%M", time.localtime(ts))


def alert_notification(alert: CurrentAlert) -> Notification:
    """``Critical: GatewayHighErrorRate`` with the summary and where it fires."""
    where = [
        alert.labels[name]
        for name in ("service", "sloth_service", "sloth_slo", "instance", "job")
        if alert.labels.get(name)
    ]
    since = f"firing since {_clock(alert.since)}" if alert.since is not None else "firing"
    details = " · ".join([*dict.fromkeys(where), since])
    body = f"{alert.summary}\n{details}" if alert.summary else details
    word = (alert.severity_text or alert.severity.word).capitalize()
    return Notification(f"{word}: {alert.name}", body, alert.severity, alert.key)


def _edge(resource: str) -> str:
    return resource.removeprefix("breaker/").replace("->", " → ")


def event_notification(event: ClusterEvent) -> Notification | None:
    """A breaker that opened by itself, or a chaos run its guard aborted; None otherwise."""
    data = event.data if isinstance(event.data, dict) else {}
    if event.kind == "breaker.transition" and event.actor is None and data.get("to") == "OPEN":
        reason = str(data.get("reason") or "too many failed or slow calls")
        return Notification(
            f"Breaker opened: {_edge(event.resource)}",
            f"Calls are refused until it half-opens ({reason}).",
            BREAKER_SEVERITY,
        )
    if event.kind == "chaos.auto_aborted":
        return Notification("Chaos run auto-aborted", event.summary, CHAOS_SEVERITY)
    return None
