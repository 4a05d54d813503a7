"""Alertmanager's alerts, alert groups and silences (API v2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .jsonshape import Fields


@dataclass(frozen=True)
class Alert:
    """A firing (or silenced, or inhibited) alert."""

    fingerprint: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: str
    ends_at: str | None
    state: str
    silenced_by: tuple[str, ...]
    inhibited_by: tuple[str, ...]
    generator_url: str | None

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")

    @classmethod
    def from_json(cls, data: Fields) -> Alert:
        status = data.opt_obj("status")
        return cls(
            fingerprint=data.text("fingerprint"),
            labels=data.labels("labels"),
            annotations=data.labels("annotations"),
            starts_at=data.text("startsAt"),
            ends_at=data.opt_text("endsAt"),
            state=status.text("state") if status else "active",
            silenced_by=status.texts("silencedBy") if status else (),
            inhibited_by=status.texts("inhibitedBy") if status else (),
            generator_url=data.opt_text("generatorURL"),
        )


@dataclass(frozen=True)
class AlertGroup:
    """Alerts Alertmanager routes together (same receiver, same group labels)."""

    labels: Mapping[str, str]
    receiver: str
    alerts: tuple[Alert, ...]

    @classmethod
    def from_json(cls, data: Fields) -> AlertGroup:
        receiver = data.opt_obj("receiver")
        return cls(
            labels=data.labels("labels"),
            receiver=receiver.text("name") if receiver else "",
            alerts=tuple(Alert.from_json(a) for a in data.objects("alerts", optional=True)),
        )


@dataclass(frozen=True)
class Matcher:
    """``name=value`` (or ``=~`` with ``is_regex``, or the negations with ``is_equal`` False)."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "isRegex": self.is_regex,
            "isEqual": self.is_equal,
        }

    @classmethod
    def from_json(cls, data: Fields) -> Matcher:
        return cls(
            name=data.text("name"),
            value=data.text("value"),
            is_regex=data.boolean("isRegex", False),
            is_equal=data.boolean("isEqual", True),
        )


@dataclass(frozen=True)
class Silence:
    """A silence: who muted what, until when, and why."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: str
    ends_at: str
    created_by: str
    comment: str
    state: str

    @property
    def active(self) -> bool:
        return self.state == "active"

    @classmethod
    def from_json(cls, data: Fields) -> Silence:
        status = data.opt_obj("status")
        return cls(
            id=data.text("id"),
            matchers=tuple(Matcher.from_json(m) for m in data.objects("matchers")),
            starts_at=data.text("startsAt"),
            ends_at=data.text("endsAt"),
            created_by=data.opt_text("createdBy") or "",
            comment=data.opt_text("comment") or "",
            state=status.text("state") if status else "active",
        )
