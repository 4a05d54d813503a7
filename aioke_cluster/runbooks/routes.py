"""``/runbooks``: the catalog, and starting, following, confirming and cancelling executions.

Starting needs the operator role and an Idempotency-Key (a retry must not run a runbook
twice); a high-risk runbook also needs a step-up session, except for a dry run, which
changes nothing. Cancel needs no If-Match: stopping is always safe and must not wait for a
fresh read in an incident. Confirm does, so a confirmation meant for one step cannot
release a later one.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from ..actions import Action, Outcome, etag
from ..auth.principal import Principal
from ..deps import action, get_services, requires
from ..problems import Problem
from ..services import Services
from . import store
from .catalog import ParamsError, Runbook
from .executor import ExecutionConflict, RunbookExecutor, resource
from .records import ExecutionRecord

router = APIRouter(tags=["runbooks"])


def get_executor(request: Request) -> RunbookExecutor:
    executor: RunbookExecutor = request.app.state.runbooks
    return executor


ExecutorDep = Annotated[RunbookExecutor, Depends(get_executor)]
ServicesDep = Annotated[Services, Depends(get_services)]
Reader = Annotated[Principal, Depends(requires("viewer"))]
Operator = Annotated[Action, Depends(action("operator"))]


class ExecutionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    params: dict[str, Any] = {}
    dry_run: bool = False


@router.get("/runbooks")
def list_runbooks(executor: ExecutorDep, _: Reader) -> list[dict[str, Any]]:
    return [executor.runbooks[key].to_json() for key in sorted(executor.runbooks)]


@router.get("/runbooks/{runbook_id}")
def get_runbook(runbook_id: str, executor: ExecutorDep, _: Reader) -> dict[str, Any]:
    return _runbook(executor, runbook_id).to_json()


@router.post("/runbooks/{runbook_id}/executions", status_code=201)
def start_execution(
    runbook_id: str, body: ExecutionRequest, act: Operator, executor: ExecutorDep, request: Request
) -> Response:
    """Start an execution, or record a dry run saying what each step would do."""
    runbook = _runbook(executor, runbook_id)
    if runbook.risk == "high" and not body.dry_run:
        act.require_step_up()
    try:
        params = runbook.check_params(body.params)
    except ParamsError as exc:
        first = exc.errors[0]
        raise Problem(
            422,
            "invalid-request",
            f"{first['field']}: {first['message']}",
            title="Invalid request",
            errors=exc.errors,
        ) from None
    created: list[str] = []

    def change(conn: sqlite3.Connection) -> Outcome:
        try:
            record = executor.create(
                conn, runbook, params, dry_run=body.dry_run, user=act.principal.name, now=act.now
            )
        except ExecutionConflict as exc:
            raise Problem(409, "too-many-executions", str(exc)) from None
        except ValueError as exc:
            raise Problem(
                422, "invalid-request", f"params: these parameters make an invalid step, {exc}"
            ) from None
        verb = "runbook.dry_run" if body.dry_run else "runbook.execute"
        act.audit(
            conn,
            verb,
            resource(record),
            None,
            {"runbook": runbook.id, "params": params, "dry_run": body.dry_run},
            summary=f"{act.principal.name}: {verb} {runbook.id} ({record.id})",
        )
        created.append(record.id)
        location = f"{request.url.path.rstrip('/')}/{record.id}"
        return Outcome(201, record.to_json(), {"ETag": _etag(record), "Location": location})

    response = act.run(body.model_dump(mode="json"), change, require_key=True)
    for execution_id in created:
        executor.kick(execution_id)
    return response


@router.get("/runbooks/{runbook_id}/executions")
def list_executions(
    runbook_id: str,
    executor: ExecutorDep,
    services: ServicesDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """The most recent executions, newest first."""
    _runbook(executor, runbook_id)
    with services.db.read() as conn:
        return [r.to_json() for r in store.recent(conn, runbook_id, limit)]


@router.get("/runbooks/{runbook_id}/executions/{execution_id}")
def get_execution(runbook_id: str, execution_id: str, services: ServicesDep, _: Reader) -> Response:
    """One execution: its state, each step's state and times, and its ETag."""
    with services.db.read() as conn:
        record = _load(conn, runbook_id, execution_id)
    return JSONResponse(record.to_json(), headers={"ETag": _etag(record)})


@router.get("/runbooks/{runbook_id}/executions/{execution_id}/log")
def execution_log(
    runbook_id: str,
    execution_id: str,
    services: ServicesDep,
    _: Reader,
    offset: Annotated[int, Query(ge=0, description="Lines already read")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict[str, Any]:
    """The log lines after ``offset``; ask again with ``next_offset`` for what comes next."""
    with services.db.read() as conn:
        record = _load(conn, runbook_id, execution_id)
        lines = store.read_log(conn, execution_id, offset, limit)
    next_offset = lines[-1]["offset"] if lines else offset
    return {
        "lines": lines,
        "next_offset": next_offset,
        "state": record.state,
        # Finished and read to the end: a follower can stop polling.
        "complete": not record.active and next_offset >= record.log_lines,
    }


@router.post("/runbooks/{runbook_id}/executions/{execution_id}/cancel")
def cancel_execution(
    runbook_id: str, execution_id: str, act: Operator, executor: ExecutorDep
) -> Response:
    """Cancel an execution; cancelling a cancelled one again changes (and audits) nothing."""

    def change(conn: sqlite3.Connection) -> Outcome:
        record = _load(conn, runbook_id, execution_id)
        try:
            changed = executor.cancel(conn, record, act.principal.name)
        except ExecutionConflict as exc:
            raise Problem(409, "execution-finished", str(exc)) from None
        after = _load(conn, runbook_id, execution_id)
        if changed:
            act.audit(
                conn, "runbook.cancel", resource(record), {"state": record.state},
                {"state": after.state},
            )  # fmt: skip
        return Outcome(200, after.to_json(), {"ETag": _etag(after)})

    response = act.run(None, change)
    executor.wake(execution_id)
    return response


@router.post("/runbooks/{runbook_id}/executions/{execution_id}/confirm")
def confirm_execution(
    runbook_id: str, execution_id: str, act: Operator, executor: ExecutorDep
) -> Response:
    """Let an execution waiting at a confirm step go on (If-Match required)."""
    if _runbook(executor, runbook_id).risk == "high":
        act.require_step_up()

    def change(conn: sqlite3.Connection) -> Outcome:
        record = _load(conn, runbook_id, execution_id)
        act.check_if_match(conn, resource(record), _etag(record))
        step = record.current_step()
        try:
            executor.confirm(conn, record, act.principal.name)
        except ExecutionConflict as exc:
            raise Problem(409, "not-waiting-for-confirmation", str(exc)) from None
        index = None if step is None else step.index
        act.audit(
            conn, "runbook.confirm", resource(record),
            {"state": record.state, "step": index}, {"state": "running", "step": index},
        )  # fmt: skip
        after = _load(conn, runbook_id, execution_id)
        return Outcome(200, after.to_json(), {"ETag": _etag(after)})

    response = act.run(None, change)
    executor.wake(execution_id)
    return response


def _runbook(executor: RunbookExecutor, runbook_id: str) -> Runbook:
    runbook = executor.runbooks.get(runbook_id)
    if runbook is None:
        raise Problem(404, "runbook-not-found", f"There is no runbook {runbook_id!r}.")
    return runbook


def _load(conn: sqlite3.Connection, runbook_id: str, execution_id: str) -> ExecutionRecord:
    record = store.load(conn, execution_id)
    if record is None or record.runbook != runbook_id:
        raise Problem(
            404, "execution-not-found", f"Runbook {runbook_id!r} has no execution {execution_id!r}."
        )
    return record


def _etag(record: ExecutionRecord) -> str:
    return etag("runbook-execution", record.id, record.version)
