"""``/flags/{key}/ramp``: start, read and stop a flag's burn-rate-gated rollout ramp.

Starting and stopping need the operator role, like any flag edit, and go through
:class:`~aioke_cluster.actions.Action`: If-Match carries the flag's ETag (every step of a
ramp is a new flag version), a start needs an Idempotency-Key. ``/flag-ramps`` lists every
flag's newest ramp for tables.
"""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..actions import Action, Outcome
from ..auth.principal import Principal
from ..deps import action, get_services, requires
from ..problems import Problem
from ..prometheus import PrometheusQuery
from ..services import Services
from ..slos import load_slos
from . import ramp_store, store
from .ramp import FlagRamps, record, with_rollout
from .ramp_store import SCHEMA, Ramp
from .routes import _etag, _invalid, _load, _resource

router = APIRouter(tags=["flags"])

ServicesDep = Annotated[Services, Depends(get_services)]
Reader = Annotated[Principal, Depends(requires("viewer"))]
Operator = Annotated[Action, Depends(action("operator"))]

DAY = 86_400


class RampRequest(BaseModel):
    """A ramp: the rollout steps, how long each lasts, and whose burn rate gates it."""

    model_config = ConfigDict(extra="forbid")

    steps: list[int] = Field(min_length=2, max_length=20, examples=[[5, 25, 50, 100]])
    interval_seconds: float = Field(gt=0, le=DAY, description="Time between decisions")
    service: str = Field(min_length=1, max_length=100, description="Whose 1 h burn rate gates")
    max_burn_rate: float = Field(default=1.0, gt=0, le=100)

    @field_validator("steps")
    @classmethod
    def _increasing(cls, steps: list[int]) -> list[int]:
        if any(not 1 <= s <= 100 for s in steps):
            raise ValueError("every step must be a percentage from 1 to 100")
        if any(b <= a for a, b in itertools.pairwise(steps)):
            raise ValueError("steps must increase, e.g. 5, 25, 50, 100")
        return steps


@router.put("/flags/{key}/ramp", status_code=201)
def start_ramp(key: str, body: RampRequest, act: Operator) -> Response:
    """Start a ramp (Idempotency-Key and If-Match required): the flag goes on at the first step."""
    services = act.services
    minimum = services.settings.ramp_min_interval_seconds
    if body.interval_seconds < minimum:
        raise _invalid("interval_seconds", f"must be at least {minimum:g} seconds")
    known = _slo_services(services)
    if body.service not in known:
        listed = ", ".join(sorted(known)) or "none are configured"
        raise _invalid("service", f"{body.service} has no SLO to gate on (services: {listed})")

    def change(conn: sqlite3.Connection) -> Outcome:
        flag = _load(conn, key)
        act.check_if_match(conn, _resource(key), _etag(flag))
        if flag.archived:
            raise Problem(409, "flag-archived", f"The flag {key} is archived and cannot ramp.")
        current = ramp_store.latest(conn, key)
        if current is not None and current.state == "running":
            raise Problem(
                409, "ramp-running", f"A ramp of {key} is already running; stop it first."
            )
        now = act.now
        moved = with_rollout(flag, body.steps[0], now)
        store.save(conn, moved)
        ramp = ramp_store.insert(
            conn,
            Ramp(
                id=0,
                key=key,
                steps=tuple(body.steps),
                interval_seconds=body.interval_seconds,
                service=body.service,
                max_burn_rate=body.max_burn_rate,
                state="running",
                position=0,
                started_by=act.principal.name,
                started_at=now,
                next_decision_at=now + body.interval_seconds,
                last_burn_rate=None,
                last_decision="start",
                last_reason=f"started by {act.principal.name}",
                flag_version=moved.version,
                ended_at=None,
                version=1,
            ),
        )
        _record(act, conn, None, ramp, "start", flag.to_json(now), moved.to_json(now))
        body_json = ramp.to_json(ramp_store.history(conn, ramp.id))
        return Outcome(201, body_json, {"ETag": _etag(moved)})

    return act.run(body.model_dump(mode="json"), change, require_key=True)


@router.get("/flags/{key}/ramp")
def get_ramp(key: str, services: ServicesDep, _: Reader) -> Response:
    """The flag's newest ramp with every decision; the ETag is the flag's."""
    with services.db.read() as conn:
        flag = _load(conn, key)
        ramp = ramp_store.latest(conn, key)
        if ramp is None:
            raise Problem(404, "ramp-not-found", f"The flag {key} has never had a ramp.")
        body = ramp.to_json(ramp_store.history(conn, ramp.id))
    return JSONResponse(body, headers={"ETag": _etag(flag)})


@router.delete("/flags/{key}/ramp")
def stop_ramp(key: str, act: Operator) -> Response:
    """Stop the running ramp (If-Match required); the rollout stays where the ramp left it."""

    def change(conn: sqlite3.Connection) -> Outcome:
        flag = _load(conn, key)
        act.check_if_match(conn, _resource(key), _etag(flag))
        ramp = ramp_store.latest(conn, key)
        if ramp is None:
            raise Problem(404, "ramp-not-found", f"The flag {key} has never had a ramp.")
        if ramp.state == "running":
            now = act.now
            stopped = replace(
                ramp,
                state="stopped",
                ended_at=now,
                next_decision_at=None,
                last_decision="stop",
                last_reason=f"stopped by {act.principal.name}; the rollout stays at "
                f"{ramp.percent} %",
                version=ramp.version + 1,
            )
            ramp_store.save(conn, stopped)
            _record(act, conn, ramp, stopped, "stop", None, None)
            ramp = stopped
        body = ramp.to_json(ramp_store.history(conn, ramp.id))
        return Outcome(200, body, {"ETag": _etag(flag)})

    return act.run(None, change)


@router.get("/flag-ramps")
def list_ramps(services: ServicesDep, _: Reader) -> list[dict[str, Any]]:
    """Every flag's newest ramp, without its history: what a flag table shows."""
    with services.db.read() as conn:
        ramps = ramp_store.all_latest(conn)
    return [ramps[key].to_json([]) for key in sorted(ramps)]


def _record(
    act: Action,
    conn: sqlite3.Connection,
    before: Ramp | None,
    after: Ramp,
    decision: ramp_store.Decision,
    flag_before: dict[str, Any] | None,
    flag_after: dict[str, Any] | None,
) -> None:
    record(
        conn,
        act.services.events,
        now=act.now,
        actor=act.principal.name,
        before=before,
        after=after,
        decision=decision,
        reason=str(after.last_reason),
        flag_before=flag_before,
        flag_after=flag_after,
        request_id=act.request_id,
        idempotency_key=act.idempotency_key,
    )


def _slo_services(services: Services) -> set[str]:
    directory = services.settings.slos_dir
    return set() if directory is None else {slo.service for slo in load_slos(directory)}


def attach(app: FastAPI, services: Services, *, prefix: str) -> FlagRamps:
    """Create the ramp tables, serve the routes under ``prefix``, run the loop with the app."""
    services.db.migrate([SCHEMA])
    url = services.settings.prometheus_url
    prometheus = PrometheusQuery(url) if url else None
    ramps = FlagRamps(services.db, services.clock, services.events, prometheus)
    app.state.ramps = ramps
    app.include_router(router, prefix=prefix)
    app.router.on_startup.append(ramps.start)
    # Before the database closes: the loop writes to it.
    app.router.on_shutdown.insert(0, ramps.stop)
    if prometheus is not None:
        app.router.on_shutdown.append(prometheus.close)
    return ramps
