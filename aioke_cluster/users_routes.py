"""``/users``: account administration (role admin)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from .actions import Action, Outcome, etag
from .auth.principal import ROLES, Principal
from .deps import action, get_services, requires
from .problems import Problem
from .services import Services
from .users import UserError, create_user, user_json

router = APIRouter(tags=["users"])


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    roles: list[str] = Field(min_length=1)


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[str] | None = Field(None, min_length=1)
    disabled: bool | None = None


def _load(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise Problem(404, "not-found", f"There is no user named {name!r}.")
    return row


def _etag(row: sqlite3.Row) -> str:
    return etag("user", row["name"], row["version"])


@router.get("/users")
def list_users(
    services: Services = Depends(get_services), _: Principal = Depends(requires("admin"))
) -> list[dict[str, Any]]:
    now = services.clock.now()
    with services.db.read() as conn:
        return [user_json(r, now) for r in conn.execute("SELECT * FROM users ORDER BY name")]


@router.get("/users/{name}")
def get_user(
    name: str,
    response: Response,
    services: Services = Depends(get_services),
    _: Principal = Depends(requires("admin")),
) -> dict[str, Any]:
    with services.db.read() as conn:
        row = _load(conn, name)
    response.headers["ETag"] = _etag(row)
    return user_json(row, services.clock.now())


@router.post("/users", status_code=201)
def add_user(body: NewUser, act: Action = Depends(action("admin"))) -> Response:
    def change(conn: sqlite3.Connection) -> Outcome:
        try:
            create_user(
                conn,
                act.services.passwords,
                name=body.name,
                password=body.password,
                roles=body.roles,
                now=act.now,
            )
        except UserError as exc:
            raise Problem(422, "invalid-request", f"{exc}.") from None
        row = _load(conn, body.name)
        after = user_json(row, act.now)
        act.audit(conn, "user.create", f"user/{body.name}", after=after)
        return Outcome(201, after, {"ETag": _etag(row), "Location": f"/api/v1/users/{body.name}"})

    # The idempotency record keeps a fast SHA-256 of the request: leave the password out of it.
    return act.run({"name": body.name, "roles": sorted(body.roles)}, change, require_key=True)


@router.patch("/users/{name}")
def change_user(name: str, body: UserChange, act: Action = Depends(action("admin"))) -> Response:
    def change(conn: sqlite3.Connection) -> Outcome:
        row = _load(conn, name)
        act.check_if_match(conn, f"user/{name}", _etag(row))
        before = user_json(row, act.now)
        roles = row["roles"] if body.roles is None else json.dumps(sorted(set(body.roles)))
        disabled = row["disabled"] if body.disabled is None else int(body.disabled)
        if body.roles is not None and not set(body.roles) <= set(ROLES):
            raise Problem(422, "invalid-request", "roles: unknown role.")
        conn.execute(
            "UPDATE users SET roles = ?, disabled = ?, version = version + 1 WHERE id = ?",
            (roles, disabled, row["id"]),
        )
        if disabled:
            conn.execute(
                "UPDATE sessions SET revoked_at = ?, revoked_reason = 'user disabled' "
                "WHERE user_id = ? AND revoked_at IS NULL",
                (act.now, row["id"]),
            )
        new = _load(conn, name)
        after = user_json(new, act.now)
        act.audit(conn, "user.update", f"user/{name}", before, after)
        return Outcome(200, after, {"ETag": _etag(new)})

    return act.run(body.model_dump(exclude_none=True), change)


@router.post("/users/{name}/unlock")
def unlock_user(name: str, act: Action = Depends(action("admin"))) -> Response:
    def change(conn: sqlite3.Connection) -> Outcome:
        row = _load(conn, name)
        conn.execute(
            "UPDATE users SET locked_until = 0, failed_logins = 0 WHERE id = ?", (row["id"],)
        )
        act.audit(conn, "user.unlock", f"user/{name}")
        return Outcome(200, user_json(_load(conn, name), act.now), {})

    return act.run({"name": name}, change)
