"""Runbooks and their executions (``/api/v1/runbooks``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .jsonshape import Fields

ACTIVE_EXECUTION_STATES = ("pending", "running", "waiting_for_confirmation")


@dataclass(frozen=True)
class Runbook:
    """A repair procedure: parameters as a JSON schema, and its steps as written."""

    id: str
    title: str
    description: str
    risk: str
    timeout_seconds: int | None
    parameters: Mapping[str, Any]
    steps: tuple[Mapping[str, Any], ...]

    @property
    def needs_step_up(self) -> bool:
        return self.risk == "high"

    @classmethod
    def from_json(cls, data: Fields) -> Runbook:
        return cls(
            id=data.text("id"),
            title=data.text("title"),
            description=data.opt_text("description") or "",
            risk=data.text("risk"),
            timeout_seconds=data.opt_integer("timeout_seconds"),
            parameters=data.mapping("parameters"),
            steps=tuple(s.as_dict() for s in data.objects("steps", optional=True)),
        )


@dataclass(frozen=True)
class RunbookStep:
    index: int
    kind: str
    title: str
    state: str
    started_at: str | None
    ended_at: str | None
    outcome: str | None

    @classmethod
    def from_json(cls, data: Fields) -> RunbookStep:
        return cls(
            index=data.integer("index"),
            kind=data.text("kind"),
            title=data.opt_text("title") or data.text("kind"),
            state=data.text("state"),
            started_at=data.opt_text("started_at"),
            ended_at=data.opt_text("ended_at"),
            outcome=data.opt_text("outcome"),
        )


@dataclass(frozen=True)
class RunbookExecution:
    """One run of a runbook, step by step; ``log_lines`` says how far the log goes."""

    id: str
    runbook: str
    params: Mapping[str, Any]
    dry_run: bool
    state: str
    reason: str | None
    started_by: str
    created_at: str
    ended_at: str | None
    deadline: str | None
    steps: tuple[RunbookStep, ...]
    log_lines: int
    etag: str | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_EXECUTION_STATES

    @classmethod
    def from_json(cls, data: Fields, etag: str | None = None) -> RunbookExecution:
        return cls(
            id=data.text("id"),
            runbook=data.text("runbook"),
            params=data.mapping("params"),
            dry_run=data.boolean("dry_run", False),
            state=data.text("state"),
            reason=data.opt_text("reason"),
            started_by=data.text("started_by"),
            created_at=data.text("created_at"),
            ended_at=data.opt_text("ended_at"),
            deadline=data.opt_text("deadline"),
            steps=tuple(RunbookStep.from_json(s) for s in data.objects("steps", optional=True)),
            log_lines=data.integer("log_lines", 0),
            etag=etag,
        )


@dataclass(frozen=True)
class LogLine:
    offset: int
    time: str
    line: str


@dataclass(frozen=True)
class LogChunk:
    """New lines of an execution's log; ask again from ``next_offset`` unless ``complete``."""

    lines: tuple[LogLine, ...]
    next_offset: int
    state: str
    complete: bool

    @classmethod
    def from_json(cls, data: Fields) -> LogChunk:
        return cls(
            lines=tuple(
                LogLine(item.integer("offset"), item.text("time"), item.text("line"))
                for item in data.objects("lines")
            ),
            next_offset=data.integer("next_offset"),
            state=data.text("state"),
            complete=data.boolean("complete", False),
        )
