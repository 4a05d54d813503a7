"""``/chaos``: the fault catalog, runs, abort, halt and resume, and the safety settings.

Launching needs the chaos role, an Idempotency-Key and a step-up session (a dry run needs no
step-up: it changes nothing but the record of the rehearsal). Aborting needs neither an
If-Match nor a key: stopping harm must never fail on a stale view, and aborting an ended run
answers 200 without writing anything, so retries leave one audit row. Halting needs a
step-up, as the brief of this control plane asks; resuming does not, as every launch after
it needs one anyway. Safety settings are the admin's, with If-Match.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from ..actions import Action, Outcome, etag
from ..auth.principal import Principal
from ..deps import action, get_services, requires
from ..problems import Problem
from ..services import Services
from . import operations, store
from .engine import ChaosEngine
from .guards import launch_refusal
from .models import AbortRequest, HaltRequest, RunRequest, SafetyRequest
from .operations import run_json, run_resource
from .store import ChaosRun, RunState, SafetySettings

router = APIRouter(tags=["chaos"])

ServicesDep = Annotated[Services, Depends(get_services)]
Reader = Annotated[Principal, Depends(requires("viewer"))]
Chaos = Annotated[Action, Depends(action("chaos"))]
Admin = Annotated[Action, Depends(action("admin"))]

CONTROL = operations.CONTROL_RESOURCE
SAFETY = "chaos/safety"


@router.get("/chaos/catalog")
def catalog(services: ServicesDep, _: Reader) -> list[dict[str, Any]]:
    """The faults a run can inject, each with the JSON schema of its parameters."""
    return [fault.to_json() for fault in _engine(services).catalog.all()]


@router.post("/chaos/runs", status_code=201)
def launch_run(body: RunRequest, act: Chaos, request: Request) -> Response:
    """Start a fault (or rehearse it with ``dry_run``); 409 with the reason when refused."""
    engine = _engine(act.services)
    if not body.dry_run:
        act.require_step_up()
    params = _checked_params(engine, body)
    guard = None if body.guard is None else body.guard.stored()
    with act.services.db.read() as conn:
        safety, _ = store.load_safety(conn)
    # Prometheus is asked here, outside the write transaction, so a slow answer never holds
    # the database's write lock; the refusal is raised only if the change runs (not on replay).
    refusal = launch_refusal(engine.prometheus, target=body.target, guard=guard, safety=safety)

    def change(conn: sqlite3.Connection) -> Outcome:
        now = act.now
        _check_limits(body, store.load_safety(conn)[0])
        halt = store.load_halt(conn)
        if halt is not None:
            raise Problem(
                409,
                "chaos-halted",
                f"Chaos is halted by {halt.by} ({halt.reason}); resume it before launching.",
                halted=halt.to_json(),
            )
        if refusal is not None:
            raise refusal
        run = store.insert_run(
            conn,
            fault=body.fault,
            target=body.target,
            params=params,
            duration_seconds=body.duration_seconds,
            blast_radius_percent=body.blast_radius_percent,
            guard=guard,
            dry_run=body.dry_run,
            created_by=act.principal.name,
            now=now,
        )
        after = run_json(run, now)
        verb = "rehearsed" if body.dry_run else "launched"
        act.audit(
            conn,
            "chaos.dry_run" if body.dry_run else "chaos.launch",
            run_resource(run.id),
            None,
            after,
            summary=f"{act.principal.name} {verb} chaos run {run.id}: {after['summary']}",
        )
        location = f"{request.url.path.rstrip('/')}/{run.id}"
        return Outcome(201, after, {"ETag": _etag(run, now), "Location": location})

    response = act.run(body.model_dump(mode="json"), change, require_key=True)
    engine.invalidate()
    return response


@router.get("/chaos/runs")
def list_runs(
    services: ServicesDep,
    _: Reader,
    state: RunState | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Runs, newest first; ``state`` filters by the state now (an expired run is completed)."""
    now = services.clock.now()
    with services.db.read() as conn:
        return [run_json(run, now) for run in store.list_runs(conn, now, state, limit)]


@router.get("/chaos/runs/{run_id}")
def get_run(run_id: int, services: ServicesDep, _: Reader) -> Response:
    """One run, with its ETag."""
    now = services.clock.now()
    with services.db.read() as conn:
        run = _load(conn, run_id)
    return JSONResponse(run_json(run, now), headers={"ETag": _etag(run, now)})


@router.post("/chaos/runs/{run_id}/abort")
def abort_run(run_id: int, act: Chaos, body: AbortRequest | None = None) -> Response:
    """End a running fault now; an ended run answers 200 as it is, writing nothing."""
    engine = _engine(act.services)
    why = body.reason if body and body.reason else "no reason given"

    def change(conn: sqlite3.Connection) -> Outcome:
        now = act.now
        result = operations.abort_run(
            conn, _load(conn, run_id), now=now, actor=act.principal.name, why=why
        )
        if result.after is None:
            return Outcome(200, run_json(result.before, now), {"ETag": _etag(result.before, now)})
        after = run_json(result.after, now)
        act.audit(conn, "chaos.abort", run_resource(run_id), run_json(result.before, now), after)
        return Outcome(200, after, {"ETag": _etag(result.after, now)})

    response = act.run(None if body is None else body.model_dump(), change)
    engine.invalidate()
    return response


@router.get("/chaos/halt")
def halt_state(services: ServicesDep, _: Reader) -> dict[str, Any]:
    """Whether chaos is halted, by whom and why."""
    with services.db.read() as conn:
        halt = store.load_halt(conn)
    return {"halted": None if halt is None else halt.to_json()}


@router.post("/chaos/halt")
def halt(body: HaltRequest, act: Chaos) -> Response:
    """Abort every running fault and refuse launches until resumed; halting twice is a no-op."""
    engine = _engine(act.services)
    act.require_step_up()

    def change(conn: sqlite3.Connection) -> Outcome:
        name = act.principal.name
        result = operations.halt(conn, now=act.now, actor=name, reason=body.reason)
        if result.changed:
            summary = f"{name} halted chaos ({body.reason}); {len(result.aborted_runs)} aborted"
            act.audit(conn, "chaos.halt", CONTROL, {"halted": None}, result.to_json(), summary)
        return Outcome(200, result.to_json(), {})

    response = act.run(body.model_dump(), change)
    engine.invalidate()
    return response


@router.post("/chaos/resume")
def resume(act: Chaos) -> Response:
    """Allow launches again after a halt; resuming when not halted is a no-op."""
    _engine(act.services)

    def change(conn: sqlite3.Connection) -> Outcome:
        lifted = operations.resume(conn)
        if lifted is not None:
            act.audit(conn, "chaos.resume", CONTROL, {"halted": lifted.to_json()}, {"halted": None})
        return Outcome(200, {"halted": None}, {})

    return act.run(None, change)


@router.get("/chaos/safety")
def get_safety(services: ServicesDep, _: Reader) -> Response:
    """The safety settings, with the ETag a PUT must send."""
    _engine(services)
    with services.db.read() as conn:
        settings, version = store.load_safety(conn)
    return JSONResponse(settings.to_json(), headers={"ETag": _safety_etag(version)})


@router.put("/chaos/safety")
def put_safety(body: SafetyRequest, act: Admin) -> Response:
    """Replace the safety settings (admin, If-Match); runs already going keep their end."""
    _engine(act.services)

    def change(conn: sqlite3.Connection) -> Outcome:
        current, version = store.load_safety(conn)
        act.check_if_match(conn, SAFETY, _safety_etag(version))
        new = SafetySettings(**body.model_dump())
        if new == current:
            return Outcome(200, current.to_json(), {"ETag": _safety_etag(version)})
        store.save_safety(conn, new)
        act.audit(conn, "chaos.safety", SAFETY, current.to_json(), new.to_json())
        return Outcome(200, new.to_json(), {"ETag": _safety_etag(version + 1)})

    return act.run(body.model_dump(), change)


def _engine(services: Services) -> ChaosEngine:
    engine = services.chaos
    if engine is None:
        raise Problem(503, "chaos-unavailable", "Chaos is not set up on this control plane.")
    return engine


def _etag(run: ChaosRun, now: float) -> str:
    return etag("chaos-run", run.id, run.state_at(now))


def _safety_etag(version: int) -> str:
    return etag("chaos-safety", version)


def _load(conn: sqlite3.Connection, run_id: int) -> ChaosRun:
    run = store.load_run(conn, run_id)
    if run is None:
        raise Problem(404, "chaos-run-not-found", f"There is no chaos run {run_id}.")
    return run


def _invalid(field: str, message: str) -> Problem:
    return Problem(
        422,
        "invalid-request",
        f"{field}: {message}",
        title="Invalid request",
        errors=[{"field": field, "message": message}],
    )


def _checked_params(engine: ChaosEngine, body: RunRequest) -> dict[str, Any]:
    """The fault's parameters with defaults, after checking fault, target and guard (422)."""
    known = engine.catalog.services
    if engine.catalog.get(body.fault) is None:
        ids = ", ".join(f.id for f in engine.catalog.all())
        raise _invalid("fault", f"unknown fault {body.fault!r}; the catalog has {ids}")
    if body.target not in known:
        raise _invalid("target", f"unknown service {body.target!r}; one of {', '.join(known)}")
    if body.guard and body.guard.slo and body.guard.slo.split("/")[0] not in known:
        raise _invalid("guard.slo", f"names no known service; one of {', '.join(known)}")
    params, errors = engine.catalog.check(body.fault, body.target, body.params)
    if errors:
        first = errors[0]
        raise Problem(
            422,
            "invalid-request",
            f"{first.field}: {first.message}",
            title="Invalid request",
            errors=[{"field": e.field, "message": e.message} for e in errors],
        )
    return params


def _check_limits(body: RunRequest, safety: SafetySettings) -> None:
    if body.duration_seconds > safety.max_duration_seconds:
        raise _invalid(
            "duration_seconds",
            f"must be at most {safety.max_duration_seconds} s, the safety settings' maximum",
        )
    if body.blast_radius_percent > safety.max_blast_radius_percent:
        raise _invalid(
            "blast_radius_percent",
            f"must be at most {safety.max_blast_radius_percent:g} %, the safety settings' cap",
        )
    if safety.safety_mode and not body.dry_run:
        raise Problem(
            409,
            "safety-mode",
            "Safety mode is on, so only dry runs may launch; an admin can turn it off.",
        )
