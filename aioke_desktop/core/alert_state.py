"""The alerts as the app shows them: one model that the Alerts page and the tray both read.

Alertmanager (API v2) and Prometheus (``/api/v1/alerts``) describe alerts differently; both
become :class:`CurrentAlert` rows in an :class:`AlertsSnapshot`, whose :class:`AlertSummary`
(worst severity of what fires, and the counts) is what the tray icon draws. Because the page
and the tray derive from the same snapshot, the tray cannot say "OK" while the page shows an
alert firing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .alert_runbooks import RunbookRef, runbook_ref
from .alerts import Alert
from .jsonshape import Fields

# Sloth puts the window pair that fired in ``sloth_window``; the pair can change while the
# same SLO keeps burning, and that must not count as a new alert (nor a second notification).
VOLATILE_LABELS = frozenset({"sloth_window"})
# Labels every row shows in its own column, so the "Labels" column leaves them out.
SHOWN_ELSEWHERE = frozenset({"alertname", "severity"})

_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_SEPARATOR = 0xFF


class Severity(enum.IntEnum):
    """How urgent an alert is; ``NONE`` is "nothing fires"."""

    NONE = 0
    INFO = 1
    WARNING = 2
    CRITICAL = 3

    @property
    def word(self) -> str:
        return "OK" if self is Severity.NONE else self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """The severity a label names; an unknown word counts as a warning, never as OK."""
        word = text.strip().lower()
        if word in ("critical", "page", "error", "high", "emergency", "alert", "fatal"):
            return cls.CRITICAL
        if word in ("info", "informational", "low", "none", "notice"):
            return cls.INFO
        return cls.WARNING


class AlertStatus(enum.Enum):
    """Where an alert stands: only ``FIRING`` needs someone now."""

    FIRING = "firing"
    PENDING = "pending"  # its condition holds, but not yet for the rule's ``for:``
    SILENCED = "silenced"
    INHIBITED = "inhibited"  # a worse alert on the same thing hides it

    @property
    def word(self) -> str:
        return self.value.capitalize()


def label_fingerprint(labels: Mapping[str, str]) -> str:
    """Prometheus' fingerprint of a label set (FNV-1a over the sorted pairs), as
    Alertmanager prints it: the same alert has the same fingerprint from either server."""
    value = _FNV_OFFSET
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in (*part.encode(), _SEPARATOR):
                value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def alert_identity(labels: Mapping[str, str]) -> str:
    """The key an alert is remembered by: its fingerprint without the volatile labels."""
    return label_fingerprint({k: v for k, v in labels.items() if k not in VOLATILE_LABELS})


def parse_time(text: str | None) -> float | None:
    """Unix seconds of an RFC 3339 time (nanoseconds allowed); None for none or Go's zero."""
    if not text or text.startswith("0001-"):
        return None
    stamp = text.strip().replace("Z", "+00:00")
    head, dot, rest = stamp.partition(".")
    if dot:  # Go writes up to nine fraction digits; Python reads six
        digits = "".join(c for c in rest if c.isdigit())
        stamp = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True)
class CurrentAlert:
    """One alert as a row of the page: what, how bad, since when, and what to do."""

    key: str
    fingerprint: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    status: AlertStatus
    since: float | None
    group: str = ""
    silenced_by: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()
    generator_url: str | None = None
    runbook: RunbookRef | None = None

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "(unnamed)")

    @property
    def severity_text(self) -> str:
        return self.labels.get("severity") or self.labels.get("sloth_severity") or ""

    @property
    def severity(self) -> Severity:
        return Severity.parse(self.severity_text)

    @property
    def summary(self) -> str:
        found = self.annotations.get("summary") or self.annotations.get("title")
        return found or self.annotations.get("description") or self.annotations.get("message", "")

    @property
    def firing(self) -> bool:
        return self.status is AlertStatus.FIRING

    def other_labels(self) -> dict[str, str]:
        return {k: v for k, v in sorted(self.labels.items()) if k not in SHOWN_ELSEWHERE}


def from_alertmanager(alert: Alert, group: str = "") -> CurrentAlert:
    """An Alertmanager v2 alert; ``suppressed`` is split into silenced and inhibited."""
    if alert.silenced_by:
        status = AlertStatus.SILENCED
    elif alert.inhibited_by:
        status = AlertStatus.INHIBITED
    else:
        status = AlertStatus.FIRING  # "active", or "unprocessed" (just arrived)
    return CurrentAlert(
        key=alert_identity(alert.labels),
        fingerprint=alert.fingerprint,
        labels=dict(alert.labels),
        annotations=dict(alert.annotations),
        status=status,
        since=parse_time(alert.starts_at),
        group=group,
        silenced_by=alert.silenced_by,
        inhibited_by=alert.inhibited_by,
        generator_url=alert.generator_url,
        runbook=runbook_ref(alert.annotations),
    )


def from_prometheus(data: Fields) -> CurrentAlert:
    """One entry of Prometheus' ``/api/v1/alerts`` (``state`` firing or pending)."""
    labels = data.labels("labels")
    annotations = data.labels("annotations")
    state = data.text("state")
    return CurrentAlert(
        key=alert_identity(labels),
        fingerprint=label_fingerprint(labels),
        labels=labels,
        annotations=annotations,
        status=AlertStatus.PENDING if state == "pending" else AlertStatus.FIRING,
        since=parse_time(data.opt_text("activeAt")),
        group=labels.get("alertname", ""),
        runbook=runbook_ref(annotations),
    )


def group_title(labels: Mapping[str, str]) -> str:
    """An Alertmanager group's labels as a heading: ``GatewayHighErrorRate · gateway · …``."""
    if not labels:
        return "(ungrouped)"
    first = labels.get("alertname")
    rest = [v for k, v in sorted(labels.items()) if k != "alertname"]
    return " · ".join([first, *rest] if first else rest)


@dataclass(frozen=True)
class AlertSummary:
    """What the tray shows: the worst severity among firing alerts, and the counts.

    ``known`` is False until alerts were read, and after a read failed: the tray then shows
    "unknown", never "OK".
    """

    worst: Severity = Severity.NONE
    firing: int = 0
    pending: int = 0
    silenced: int = 0
    inhibited: int = 0
    known: bool = False

    def headline(self) -> str:
        """One line: ``2 firing (worst: critical), 1 silenced`` or ``No alerts firing``."""
        if not self.known:
            return "Alerts unknown"
        first = (
            f"{self.firing} firing (worst: {self.worst.word})"
            if self.firing
            else "No alerts firing"
        )
        rest = [
            f"{count} {word}"
            for count, word in (
                (self.pending, "pending"),
                (self.silenced, "silenced"),
                (self.inhibited, "inhibited"),
            )
            if count
        ]
        return ", ".join([first, *rest])


def summarise(alerts: Iterable[CurrentAlert], *, known: bool = True) -> AlertSummary:
    counts = dict.fromkeys(AlertStatus, 0)
    worst = Severity.NONE
    for alert in alerts:
        counts[alert.status] += 1
        if alert.firing:
            worst = max(worst, alert.severity)
    return AlertSummary(
        worst=worst,
        firing=counts[AlertStatus.FIRING],
        pending=counts[AlertStatus.PENDING],
        silenced=counts[AlertStatus.SILENCED],
        inhibited=counts[AlertStatus.INHIBITED],
        known=known,
    )


@dataclass(frozen=True)
class AlertsSnapshot:
    """Every current alert from one read.

    Attributes:
        alerts: in the server's group order.
        source: ``"Alertmanager"`` or ``"Prometheus"``.
        read_at: local Unix time of the read (a newer snapshot replaces an older one).
        note: what the read could not see, in a sentence ("" when it saw everything).
    """

    alerts: tuple[CurrentAlert, ...]
    source: str
    read_at: float
    note: str = ""
    summary: AlertSummary = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", summarise(self.alerts))

    def firing(self) -> list[CurrentAlert]:
        return [a for a in self.alerts if a.firing]

    def find(self, key: str) -> CurrentAlert | None:
        return next((a for a in self.alerts if a.key == key), None)

    def groups(self) -> list[str]:
        """Group headings in the server's order, each once."""
        return list(dict.fromkeys(a.group for a in self.alerts))


def merge_pending(
    alerts: Iterable[CurrentAlert], prometheus: Iterable[CurrentAlert]
) -> tuple[CurrentAlert, ...]:
    """Alertmanager's alerts plus Prometheus' pending ones (Alertmanager never sees those)."""
    known = {a.key for a in alerts}
    pending = [a for a in prometheus if a.status is AlertStatus.PENDING and a.key not in known]
    return (*alerts, *pending)
