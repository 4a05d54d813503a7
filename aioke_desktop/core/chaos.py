"""Chaos experiments (``/api/v1/chaos``): the fault catalog, runs and the safety settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .jsonshape import Fields

ACTIVE_RUN_STATES = ("running",)


@dataclass(frozen=True)
class FaultType:
    """A fault the cluster can inject, with the JSON schema of its parameters."""

    id: str
    title: str
    description: str
    params_schema: Mapping[str, Any]

    @classmethod
    def from_json(cls, data: Fields) -> FaultType:
        return cls(
            id=data.text("id"),
            title=data.opt_text("title") or data.text("id"),
            description=data.opt_text("description") or "",
            params_schema=data.mapping("params_schema"),
        )


@dataclass(frozen=True)
class ChaosGuard:
    """What aborts a run by itself: an SLO (``"<service>/<slo>"``) burning too fast, or a
    PromQL ``expr`` passing ``threshold`` (``comparison`` ``">"`` or ``"<"``)."""

    slo: str | None = None
    expr: str | None = None
    threshold: float | None = None
    comparison: str = ">"
    max_burn_rate: float | None = None  # for ``slo``; None: the server's page-alert rate

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class ChaosRun:
    """One fault injection. It is active only while the server's clock is before ``ends_at``.

    Attributes:
        end_reason: why it ended (its TTL, an operator, a halt, or a guard that saw
            ``observed_value``).
        summary: one line saying what it does, written by the server.
    """

    id: str
    fault: str
    target: str
    params: Mapping[str, Any]
    state: str
    dry_run: bool
    duration_seconds: int | None
    blast_radius_percent: float | None
    created_by: str | None
    started_at: str | None
    ends_at: str | None
    ended_at: str | None
    end_reason: str | None
    summary: str
    observed_value: float | None
    guard: Mapping[str, Any]
    etag: str | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_RUN_STATES

    @classmethod
    def from_json(cls, data: Fields, etag: str | None = None) -> ChaosRun:
        run_id = data.raw("id")
        return cls(
            id=str(run_id) if isinstance(run_id, int) else data.text("id"),
            fault=data.text("fault"),
            target=data.text("target"),
            params=data.mapping("params"),
            state=data.text("state"),
            dry_run=data.boolean("dry_run", False),
            duration_seconds=data.opt_integer("duration_seconds"),
            blast_radius_percent=data.opt_number("blast_radius_percent"),
            created_by=data.opt_text("created_by"),
            started_at=data.opt_text("started_at"),
            ends_at=data.opt_text("ends_at"),
            ended_at=data.opt_text("ended_at"),
            end_reason=data.opt_text("end_reason"),
            summary=data.opt_text("summary") or "",
            observed_value=data.opt_number("observed_value"),
            guard=data.mapping("guard"),
            etag=etag,
        )


@dataclass(frozen=True)
class ChaosLaunch:
    """What a launch asks for; the server fills in the rest."""

    fault: str
    target: str
    params: Mapping[str, Any]
    duration_seconds: int
    blast_radius_percent: float = 100.0
    guard: ChaosGuard | None = None
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "fault": self.fault,
            "target": self.target,
            "params": dict(self.params),
            "duration_seconds": self.duration_seconds,
            "blast_radius_percent": self.blast_radius_percent,
            "dry_run": self.dry_run,
        }
        if self.guard is not None:
            body["guard"] = self.guard.to_json()
        return body


@dataclass(frozen=True)
class ChaosSafety:
    """The admin's limits on chaos: safety mode, the largest blast radius and duration."""

    values: Mapping[str, Any]
    etag: str | None = None

    @property
    def safety_mode(self) -> bool:
        return bool(self.values.get("safety_mode", False))

    @classmethod
    def from_json(cls, data: Fields, etag: str | None = None) -> ChaosSafety:
        return cls(data.as_dict(), etag)
