"""Burn-rate-gated rollout ramps (``/api/v1/flags/{key}/ramp``) and the words that show them.

The control plane runs the ramp; the desktop only shows where it stands ("ramping 25 % →
50 % in 3 min", "held: …", "stepped back") and describes a ramp before it starts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .jsonshape import Fields


@dataclass(frozen=True)
class RampStep:
    """One decision of a ramp: start, advance, step back, hold, finish or stop."""

    time: str
    decision: str
    from_percent: int
    to_percent: int
    burn_rate: float | None
    reason: str
    actor: str

    @classmethod
    def from_json(cls, data: Fields) -> RampStep:
        return cls(
            time=data.text("time"),
            decision=data.text("decision"),
            from_percent=data.integer("from_percent"),
            to_percent=data.integer("to_percent"),
            burn_rate=data.opt_number("burn_rate"),
            reason=data.text("reason"),
            actor=data.text("actor"),
        )


@dataclass(frozen=True)
class FlagRamp:
    """A flag's newest ramp; ``history`` is empty where the server leaves it out (lists)."""

    key: str
    steps: tuple[int, ...]
    interval_seconds: float
    service: str
    max_burn_rate: float
    state: str  # running, finished, stopped
    current_percent: int
    next_percent: int | None
    next_decision_at: str | None
    last_burn_rate: float | None
    last_decision: str | None
    last_reason: str | None
    started_by: str
    history: tuple[RampStep, ...] = ()

    @property
    def running(self) -> bool:
        return self.state == "running"

    @classmethod
    def from_json(cls, data: Fields) -> FlagRamp:
        return cls(
            key=data.text("key"),
            steps=tuple(int(s) for s in data.items("steps")),
            interval_seconds=data.number("interval_seconds"),
            service=data.text("service"),
            max_burn_rate=data.number("max_burn_rate"),
            state=data.text("state"),
            current_percent=data.integer("current_percent"),
            next_percent=data.opt_integer("next_percent"),
            next_decision_at=data.opt_text("next_decision_at"),
            last_burn_rate=data.opt_number("last_burn_rate"),
            last_decision=data.opt_text("last_decision"),
            last_reason=data.opt_text("last_reason"),
            started_by=data.text("started_by"),
            history=tuple(RampStep.from_json(s) for s in data.objects("history", optional=True)),
        )


DECISION_WORDS = {
    "start": "started",
    "advance": "advanced",
    "step_back": "stepped back",
    "hold": "held",
    "finish": "finished",
    "stop": "stopped",
}


def interval_text(seconds: float) -> str:
    """``10 min``, ``90 s``, ``1 h``: how a person says an interval."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _timestamp(text: str | None) -> float | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _in(seconds: float) -> str:
    seconds = max(0, math.ceil(seconds))
    return f"{seconds} s" if seconds < 60 else f"{math.ceil(seconds / 60)} min"


def ramp_badge(ramp: FlagRamp | None, now: float) -> str:
    """The table's one-line state of a ramp; empty for a flag without one."""
    if ramp is None:
        return ""
    if ramp.state == "finished":
        return f"ramp done at {ramp.current_percent} %"
    if ramp.state == "stopped":
        return f"ramp stopped at {ramp.current_percent} %"
    burn = "" if ramp.last_burn_rate is None else f"burn {ramp.last_burn_rate:.1f}×"
    if ramp.last_decision == "hold":
        return f"held at {ramp.current_percent} %: {burn or 'burn rate unknown'}"
    if ramp.last_decision == "step_back":
        return f"stepped back to {ramp.current_percent} % ({burn})"
    due = _timestamp(ramp.next_decision_at)
    when = f" in {_in(due - now)}" if due is not None else ""
    return f"ramping {ramp.current_percent} % → {ramp.next_percent} %{when}"


def ramp_tone(ramp: FlagRamp | None) -> str | None:
    if ramp is None or not ramp.running:
        return None
    return "warning" if ramp.last_decision in ("hold", "step_back") else "ok"


def parse_steps(text: str) -> tuple[list[int], str | None]:
    """``"5, 25, 50, 100"`` (or ``5 → 25 → 50``) → the steps, or the one-sentence problem."""
    parts = [p for p in text.replace("→", ",").replace("%", "").replace(" ", ",").split(",") if p]
    try:
        steps = [int(p) for p in parts]
    except ValueError:
        return [], "Steps are whole percentages separated by commas, e.g. 5, 25, 50, 100."
    if len(steps) < 2:
        return steps, "A ramp needs at least two steps, e.g. 5, 25, 50, 100."
    if any(not 1 <= s <= 100 for s in steps):
        return steps, "Every step is a percentage from 1 to 100."
    if any(b <= a for a, b in itertools.pairwise(steps)):
        return steps, "Steps must increase, e.g. 5, 25, 50, 100."
    return steps, None


def ramp_sentence(
    key: str, steps: Sequence[int], interval_seconds: float, service: str, max_burn_rate: float
) -> str:
    """What a ramp will do, in one sentence, before it starts."""
    path = " → ".join(str(s) for s in steps)
    return (
        f"Roll {key} out {path} % every {interval_text(interval_seconds)} while {service}'s "
        f"1 h burn rate stays ≤ {max_burn_rate:g}×; step back otherwise."
    )
