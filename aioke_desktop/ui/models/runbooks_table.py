"""Runbooks, their executions and an execution's steps, as three tables."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject

from ...core.durations import format_duration
from ...core.runbooks import Runbook, RunbookExecution, RunbookStep
from ..theme import StatusColours
from .rows import Column, KeyedRowsModel, clock_text, countdown, parse_time

RISK_TONES = {"high": "danger", "medium": "warning", "low": "ok"}
_RISK_ORDER = {"high": 0, "medium": 1, "low": 2}
STATE_WORDS = {
    "pending": "Pending",
    "running": "Running",
    "waiting_for_confirmation": "Waiting for you",
    "succeeded": "Succeeded",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "skipped": "Skipped",
}
STATE_TONES = {
    "running": "warning",
    "waiting_for_confirmation": "warning",
    "succeeded": "ok",
    "failed": "danger",
    "cancelled": "unknown",
    "skipped": "unknown",
    "pending": "unknown",
}


def state_word(state: str) -> str:
    return STATE_WORDS.get(state, state.replace("_", " ").capitalize())


def params_text(params: Mapping[str, Any]) -> str:
    """``service=checkout, instances=4``: short enough for a cell."""
    return ", ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in params.items())


def _took(started: str | None, ended: str | None, now: float) -> str:
    start = parse_time(started)
    if start is None:
        return "—"
    end = parse_time(ended)
    return countdown((end if end is not None else now) - start)


RUNBOOK_COLUMNS: tuple[Column[Runbook], ...] = (
    Column("Runbook", lambda r, _: r.title, tooltip=lambda r, _: r.description),
    Column(
        "Risk",
        lambda r, _: r.risk.upper() if r.risk == "high" else r.risk,
        sort=lambda r, _: _RISK_ORDER.get(r.risk, 9),
        tone=lambda r: RISK_TONES.get(r.risk),
        tooltip=lambda r, _: (
            "Needs a fresh TOTP code; dry-run it first." if r.needs_step_up else ""
        ),
    ),
    Column("Steps", lambda r, _: str(len(r.steps)), sort=lambda r, _: len(r.steps), numeric=True),
)


def about_runbook(runbook: Runbook) -> str:
    """The description, and how long the runbook may take before it is stopped."""
    limit = runbook.timeout_seconds
    stops = (
        "" if limit is None else f" It is stopped if it takes more than {format_duration(limit)}."
    )
    return f"{runbook.description.strip()}{stops}"


EXECUTION_COLUMNS: tuple[Column[RunbookExecution], ...] = (
    Column(
        "State",
        lambda e, _: f"● {state_word(e.state)}" + (" (dry run)" if e.dry_run else ""),
        tone=lambda e: STATE_TONES.get(e.state),
        tooltip=lambda e, _: e.reason or "",
    ),
    Column(
        "Started",
        lambda e, _: clock_text(parse_time(e.created_at)),
        sort=lambda e, _: parse_time(e.created_at) or 0.0,
    ),
    Column("By", lambda e, _: e.started_by),
    Column(
        "Parameters",
        lambda e, _: params_text(e.params) or "—",
        tooltip=lambda e, _: params_text(e.params),
    ),
    Column(
        "Took",
        lambda e, now: _took(e.created_at, e.ended_at, now),
        timed=True,
        numeric=True,
    ),
    Column("Why it ended", lambda e, _: e.reason or "—", tooltip=lambda e, _: e.reason or ""),
    Column("Id", lambda e, _: e.id),
)

PARAMETERS_COLUMN = 3
EXECUTION_ID_COLUMN = 6

STEP_COLUMNS: tuple[Column[RunbookStep], ...] = (
    Column("#", lambda s, _: str(s.index + 1), sort=lambda s, _: s.index, numeric=True),
    Column("Step", lambda s, _: s.title, tooltip=lambda s, _: s.kind),
    Column(
        "State",
        lambda s, _: f"● {state_word(s.state)}",
        tone=lambda s: STATE_TONES.get(s.state),
    ),
    Column(
        "Took",
        lambda s, now: _took(s.started_at, s.ended_at, now),
        timed=True,
        numeric=True,
    ),
    Column("Outcome", lambda s, _: s.outcome or "", tooltip=lambda s, _: s.outcome or ""),
)


class RunbooksModel(KeyedRowsModel[Runbook]):
    """The runbook catalog with a risk badge."""

    def __init__(self, colours: StatusColours, parent: QObject | None = None) -> None:
        super().__init__(RUNBOOK_COLUMNS, lambda r: r.id, colours, time.time, parent)


class ExecutionsModel(KeyedRowsModel[RunbookExecution]):
    """A runbook's recent executions, newest first."""

    def __init__(
        self,
        colours: StatusColours,
        now: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(EXECUTION_COLUMNS, lambda e: e.id, colours, now, parent)


class StepsModel(KeyedRowsModel[RunbookStep]):
    """One execution's steps, in order, with their live states."""

    def __init__(
        self,
        colours: StatusColours,
        now: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(STEP_COLUMNS, lambda s: str(s.index), colours, now, parent)
