"""Circuit breakers on the edges between services (``/api/v1/breakers``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .jsonshape import Fields

# What an operator can ask a breaker to do.
FORCE_OPEN, DISABLE, CLOSE, RESET = "FORCE_OPEN", "DISABLE", "CLOSE", "RESET"


@dataclass(frozen=True)
class BreakerTransition:
    """One change of state; ``actor`` is None when the breaker moved by itself."""

    from_state: str
    to_state: str
    reason: str
    actor: str | None
    time: str
    forced_until: str | None

    @classmethod
    def from_json(cls, data: Fields) -> BreakerTransition:
        return cls(
            from_state=data.text("from"),
            to_state=data.text("to"),
            reason=data.opt_text("reason") or "",
            actor=data.opt_text("actor"),
            time=data.text("time"),
            forced_until=data.opt_text("forced_until"),
        )


@dataclass(frozen=True)
class Breaker:
    """A breaker on the ``caller->callee`` edge, with its rates and its last transition."""

    name: str
    caller: str
    callee: str
    state: str
    failure_rate: float | None
    slow_call_rate: float | None
    calls_in_window: int
    changed_at: str
    forced_until: str | None
    next_half_open_at: str | None
    last_transition: BreakerTransition | None
    etag: str | None = None
    opened_at: str | None = None
    # As the server names them: failure_rate_threshold, slow_call_rate_threshold, ... .
    thresholds: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Fields, etag: str | None = None) -> Breaker:
        last = data.opt_obj("last_transition")
        return cls(
            name=data.text("name"),
            caller=data.text("caller"),
            callee=data.text("callee"),
            state=data.text("state"),
            failure_rate=data.opt_number("failure_rate"),
            slow_call_rate=data.opt_number("slow_call_rate"),
            calls_in_window=data.integer("calls_in_window", 0),
            changed_at=data.text("changed_at"),
            forced_until=data.opt_text("forced_until"),
            next_half_open_at=data.opt_text("next_half_open_at"),
            last_transition=None if last is None else BreakerTransition.from_json(last),
            etag=etag,
            opened_at=data.opt_text("opened_at"),
            thresholds=data.mapping("thresholds"),
        )
