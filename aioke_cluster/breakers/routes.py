"""``/breakers``: read every breaker, force or release one, and read its history."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ..actions import Action, Outcome, etag
from ..auth.principal import Principal
from ..clock import iso
from ..deps import action, requires
from ..problems import Problem
from .machine import BreakerSnapshot, Command, Transition
from .registry import BreakerRegistry

router = APIRouter(tags=["breakers"])

MAX_TTL_SECONDS = 86400
_FORCING = (Command.FORCE_OPEN, Command.DISABLE)


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Command
    ttl_seconds: int | None = Field(None, ge=1, le=MAX_TTL_SECONDS)
    reason: str = Field("", max_length=500)


def get_breakers(request: Request) -> BreakerRegistry:
    registry: BreakerRegistry = request.app.state.breakers
    return registry


def _when(ts: float | None) -> str | None:
    return None if ts is None else iso(ts)


def transition_json(t: Transition) -> dict[str, Any]:
    return {
        "from": t.from_state,
        "to": t.to_state,
        "reason": t.reason,
        "actor": t.actor,
        "time": iso(t.time),
        "forced_until": _when(t.forced_until),
    }


def breaker_json(snap: BreakerSnapshot) -> dict[str, Any]:
    caller, _, callee = snap.name.partition("->")
    cfg = snap.config
    return {
        "name": snap.name,
        "caller": caller,
        "callee": callee,
        "state": snap.state,
        "failure_rate": snap.failure_rate,
        "slow_call_rate": snap.slow_call_rate,
        "calls_in_window": snap.calls_in_window,
        "trial_calls_left": snap.trial_calls_left,
        "calls": {
            "successful": snap.successful_calls,
            "failed": snap.failed_calls,
            "slow": snap.slow_calls,
            "rejected": snap.rejected_calls,
        },
        "thresholds": {
            "sliding_window_size": cfg.sliding_window_size,
            "minimum_number_of_calls": cfg.minimum_number_of_calls,
            "failure_rate_threshold": cfg.failure_rate_threshold,
            "slow_call_rate_threshold": cfg.slow_call_rate_threshold,
            "slow_call_duration_seconds": cfg.slow_call_duration_seconds,
            "wait_duration_in_open_seconds": cfg.wait_duration_in_open_seconds,
            "permitted_calls_in_half_open": cfg.permitted_calls_in_half_open,
        },
        "changed_at": iso(snap.changed_at),
        "opened_at": _when(snap.opened_at),
        "next_half_open_at": _when(snap.next_half_open_at),
        "forced_until": _when(snap.forced_until),
        "last_transition": None
        if snap.last_transition is None
        else transition_json(snap.last_transition),
    }


def breaker_etag(snap: BreakerSnapshot) -> str:
    # Only transitions make a new version: calls move the rates many times a second.
    return etag("breaker", snap.name, snap.state, snap.forced_until, snap.changed_at, snap.version)


def _snapshot(
    registry: BreakerRegistry, name: str, conn: sqlite3.Connection | None = None
) -> BreakerSnapshot:
    snap = registry.snapshot(name, conn)
    if snap is None:
        raise Problem(404, "not-found", f"There is no breaker named {name!r}.")
    return snap


@router.get("/breakers")
def list_breakers(
    registry: BreakerRegistry = Depends(get_breakers), _: Principal = Depends(requires("viewer"))
) -> list[dict[str, Any]]:
    return [breaker_json(s) for s in registry.snapshots()]


@router.get("/breakers/{name}")
def get_breaker(
    name: str,
    request: Request,
    response: Response,
    registry: BreakerRegistry = Depends(get_breakers),
    _: Principal = Depends(requires("viewer")),
) -> Any:
    snap = _snapshot(registry, name)
    tag = breaker_etag(snap)
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return breaker_json(snap)


@router.get("/breakers/{name}/history")
def breaker_history(
    name: str,
    limit: int = Query(100, ge=1, le=1000),
    registry: BreakerRegistry = Depends(get_breakers),
    _: Principal = Depends(requires("viewer")),
) -> list[dict[str, Any]]:
    _snapshot(registry, name)  # 404 for an unknown name; saves a revert that is due
    with registry.db.read() as conn:
        return [transition_json(t) for t in registry.history(conn, name, limit)]


@router.post("/breakers/{name}/transition")
def transition_breaker(
    name: str,
    body: TransitionRequest,
    act: Action = Depends(action("operator")),
    registry: BreakerRegistry = Depends(get_breakers),
) -> Response:
    _snapshot(registry, name)
    if body.to in _FORCING:
        if body.ttl_seconds is None:
            raise Problem(
                422,
                "invalid-request",
                f"ttl_seconds: {body.to} needs a TTL (1-{MAX_TTL_SECONDS} s) so it ends by itself.",
                errors=[{"field": "ttl_seconds", "message": "required for a forced state"}],
            )
        act.require_step_up()
    elif body.ttl_seconds is not None:
        raise Problem(
            422,
            "invalid-request",
            f"ttl_seconds: only FORCE_OPEN and DISABLE take a TTL, not {body.to}.",
            errors=[{"field": "ttl_seconds", "message": "not allowed here"}],
        )
    resource = f"breaker/{name}"

    def change(conn: sqlite3.Connection) -> Outcome:
        before = _snapshot(registry, name, conn)
        _check_if_match(act, conn, resource, before)
        reason = body.reason.strip() or f"{body.to} by {act.principal.name}"
        registry.command(
            conn,
            name,
            body.to,
            reason=reason,
            ttl_seconds=body.ttl_seconds,
            actor=act.principal.name,
        )
        after = _snapshot(registry, name, conn)
        act.audit(
            conn,
            "breaker.transition",
            resource,
            before={"state": before.state, "forced_until": _when(before.forced_until)},
            after={
                "state": after.state,
                "forced_until": _when(after.forced_until),
                "command": body.to,
                "reason": reason,
            },
            summary=f"{act.principal.name}: breaker {name} {before.state} → {after.state}"
            f" ({reason})",
        )
        return Outcome(200, breaker_json(after), {"ETag": breaker_etag(after)})

    return act.run(body.model_dump(mode="json"), change, require_key=True)


def _check_if_match(
    act: Action, conn: sqlite3.Connection, resource: str, snap: BreakerSnapshot
) -> None:
    """412 names who changed the breaker; when it moved by itself, the audit log cannot."""
    current = breaker_etag(snap)
    last = snap.last_transition
    stale = act.if_match is not None and current not in (c.strip() for c in act.if_match.split(","))
    if stale and act.if_match != "*" and last is not None and last.actor is None:
        raise Problem(
            412,
            "stale-edit",
            f"{resource} moved to {last.to_state} by itself at {iso(last.time)} "
            f"({last.reason}) since you loaded it.",
            current_etag=current,
            changed_by=None,
            changed_at=iso(last.time),
        )
    act.check_if_match(conn, resource, current)
