"""``/flags``: create, read, change, archive and evaluate feature flags.

Changes need the operator role and go through :class:`~aioke_cluster.actions.Action`: one
write transaction with the audit row (``flag.create``, ``flag.update``, ``flag.archive`` on
``flag/<key>``, before and after as the flag's JSON). Reads and evaluation need only a login.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from .. import audit
from ..actions import Action, Outcome, etag
from ..auth.principal import Principal
from ..deps import action, get_services, requires
from ..problems import Problem, invalid_request
from ..services import Services
from . import store
from .evaluation import evaluate
from .model import (
    FLAG_KEY,
    EvaluationRequest,
    EvaluationResult,
    Flag,
    FlagCreate,
    FlagPatch,
    FlagSpec,
)
from .store import StoredFlag

router = APIRouter(tags=["flags"])

ServicesDep = Annotated[Services, Depends(get_services)]
Reader = Annotated[Principal, Depends(requires("viewer"))]
Operator = Annotated[Action, Depends(action("operator"))]


@router.get("/flags", response_model=list[Flag])
def list_flags(
    services: ServicesDep,
    _: Reader,
    stale: Annotated[bool, Query(description="Only flags that are stale or due cleanup")] = False,
    include_archived: bool = False,
) -> list[Flag]:
    """All flags by key; archived ones only when asked for."""
    now = services.clock.now()
    with services.db.read() as conn:
        flags = [f.to_api(now) for f in store.load_all(conn, include_archived=include_archived)]
    return [f for f in flags if f.stale is not None] if stale else flags


@router.post("/flags", status_code=201, response_model=Flag)
def create_flag(body: FlagCreate, act: Operator, request: Request) -> Response:
    """Create a flag (Idempotency-Key required); 409 when the key is taken."""
    key = body.key
    location = f"{request.url.path.rstrip('/')}/{key}"

    def change(conn: sqlite3.Connection) -> Outcome:
        existing = store.load(conn, key)
        if existing is not None:
            state = " (archived)" if existing.archived else ""
            raise Problem(409, "flag-exists", f"A flag named {key} already exists{state}.")
        definition = body.model_dump(exclude={"key"})
        spec = _valid_spec({**definition, "owner": body.owner or act.principal.name})
        _check_dependency(conn, key, spec)
        flag = store.new_flag(key, spec, act.now)
        store.insert(conn, flag)
        after = flag.to_json(act.now)
        act.audit(conn, "flag.create", _resource(key), None, after)
        return Outcome(201, after, {"ETag": _etag(flag), "Location": location})

    return act.run(body.model_dump(mode="json", exclude_unset=True), change, require_key=True)


@router.get("/flags/{key}", response_model=Flag)
def get_flag(key: str, services: ServicesDep, _: Reader) -> Response:
    """One flag, with its ETag for a later If-Match."""
    with services.db.read() as conn:
        flag = _load(conn, key)
    return JSONResponse(flag.to_json(services.clock.now()), headers={"ETag": _etag(flag)})


@router.patch("/flags/{key}", response_model=Flag)
def update_flag(key: str, body: FlagPatch, act: Operator) -> Response:
    """Change the fields sent (If-Match required); a change that changes nothing is a no-op."""
    changes = body.changes()

    def change(conn: sqlite3.Connection) -> Outcome:
        current = _load(conn, key)
        act.check_if_match(conn, _resource(key), _etag(current))
        if current.archived:
            raise Problem(409, "flag-archived", f"The flag {key} is archived and cannot change.")
        spec = _valid_spec({**current.spec.model_dump(), **changes})
        if spec == current.spec:
            return Outcome(200, current.to_json(act.now), {"ETag": _etag(current)})
        if spec.depends_on != current.spec.depends_on:
            _check_dependency(conn, key, spec)
        if spec.variants != current.spec.variants:
            problem = store.removed_variant_problem(conn, key, spec)
            if problem:
                raise _invalid("variants", problem)
        updated = current.changed(spec, act.now)
        store.save(conn, updated)
        after = updated.to_json(act.now)
        act.audit(conn, "flag.update", _resource(key), current.to_json(act.now), after)
        return Outcome(200, after, {"ETag": _etag(updated)})

    return act.run(changes, change)


@router.delete("/flags/{key}", response_model=Flag)
def archive_flag(key: str, act: Operator) -> Response:
    """Archive a flag (If-Match required): it evaluates off and stays readable for history."""

    def change(conn: sqlite3.Connection) -> Outcome:
        current = _load(conn, key)
        act.check_if_match(conn, _resource(key), _etag(current))
        if current.archived:
            return Outcome(200, current.to_json(act.now), {"ETag": _etag(current)})
        children = store.dependents(conn, key)
        if children:
            raise Problem(
                409,
                "flag-has-dependents",
                f"Flags depend on {key} ({', '.join(children)}); archive them or remove "
                "their dependency first.",
                dependents=children,
            )
        archived = current.archived_at(act.now)
        store.save(conn, archived)
        after = archived.to_json(act.now)
        act.audit(conn, "flag.archive", _resource(key), current.to_json(act.now), after)
        return Outcome(200, after, {"ETag": _etag(archived)})

    return act.run(None, change)


@router.post("/flags/{key}/evaluate", response_model=EvaluationResult)
def evaluate_flag(
    key: str, body: EvaluationRequest, services: ServicesDep, _: Reader
) -> EvaluationResult:
    """Whether the flag is on for a context, its variant and the reason; changes nothing."""
    with services.db.read() as conn:
        flag = _load(conn, key)
        return evaluate(flag, body.context, lambda parent: store.load(conn, parent))


@router.get("/flags/{key}/history")
def flag_history(
    key: str,
    services: ServicesDep,
    _: Reader,
    since: Annotated[int | None, Query(ge=0, description="Only entries after this seq")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The flag's audit entries, oldest first; page on with ``since`` = the last ``seq``."""
    with services.db.read() as conn:
        _load(conn, key)
        entries = audit.query(conn, resource=_resource(key), after_seq=since, limit=limit)
    return [e.to_json() for e in entries]


def _resource(key: str) -> str:
    return f"flag/{key}"


def _etag(flag: StoredFlag) -> str:
    # The version, not the body: "stale" moves with the clock, and that is no edit.
    return etag("flag", flag.key, flag.version)


def _load(conn: sqlite3.Connection, key: str) -> StoredFlag:
    flag = store.load(conn, key) if re.fullmatch(FLAG_KEY, key) else None
    if flag is None:
        named = key if re.fullmatch(FLAG_KEY, key) else "with that key"
        raise Problem(404, "flag-not-found", f"There is no flag {named}.")
    return flag


def _invalid(field: str, message: str) -> Problem:
    return Problem(
        422,
        "invalid-request",
        f"{field}: {message}",
        title="Invalid request",
        errors=[{"field": field, "message": message}],
    )


def _valid_spec(definition: dict[str, object]) -> FlagSpec:
    """Validate a merged definition with the same rules as a request body (422 otherwise)."""
    try:
        return FlagSpec.model_validate(definition)
    except ValidationError as exc:
        raise invalid_request(exc.errors()) from None


def _check_dependency(conn: sqlite3.Connection, key: str, spec: FlagSpec) -> None:
    problem = store.dependency_problem(conn, key, spec)
    if problem:
        raise _invalid("depends_on", problem)
