"""``/auth/*``, ``/me`` and ``/api-keys``: the only routes that accept credentials."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import audit
from ..actions import Action, Outcome
from ..deps import action, current_principal, get_services
from ..middleware import request_id_var
from ..problems import Problem
from ..services import Services
from . import login, sessions, totp
from .principal import ROLES, Principal

router = APIRouter(tags=["auth"])

Code = Annotated[str, Field(pattern=r"^\d{6}$", description="A 6-digit TOTP code")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)
    totp: Code | None = None


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=1, max_length=256)


class EnrollRequest(Strict):
    enrollment_token: str = Field(min_length=1, max_length=256)


class ConfirmRequest(Strict):
    enrollment_token: str = Field(min_length=1, max_length=256)
    code: Code


class StepUpRequest(Strict):
    totp: Code


class ApiKeyRequest(Strict):
    name: str = Field(min_length=1, max_length=100)
    roles: list[str] = Field(min_length=1)


def _audit(services: Services, actor: str, action_name: str, **after: Any) -> None:
    with services.db.write() as conn:
        audit.append(
            conn,
            now=services.clock.now(),
            actor=actor,
            action=action_name,
            resource=f"user/{actor}",
            after=after or None,
            request_id=request_id_var.get(),
        )


@router.post("/auth/login")
def log_in(body: LoginRequest, services: Services = Depends(get_services)) -> dict[str, Any]:
    now = services.clock.now()
    with services.db.read() as conn:
        user = login.find_user(conn, body.username)
    if user is not None:
        login.check_not_locked(user, now)
    # Unknown users pay for a decoy hash, so timing does not tell who exists.
    password_ok = services.passwords.verify(user["password_hash"] if user else None, body.password)
    if user is None or not password_ok:
        if user is None:
            services.metrics.login_failures.labels("bad_credentials").inc()
            raise login.bad_login()
        raise login.record_failure(services, user, "bad_password")

    if services.passwords.needs_rehash(user["password_hash"]):
        with services.db.write() as conn:
            conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?",
                (services.passwords.hash(body.password), user["id"]),
            )

    if user["totp_secret"] is None:
        token = sessions.new_token()
        with services.db.write() as conn:
            conn.execute(
                "INSERT INTO enrollments (hash, user_id, expires_at) VALUES (?, ?, ?)",
                (
                    sessions.digest(token),
                    user["id"],
                    now + services.settings.enrollment_token_seconds,
                ),
            )
        raise Problem(
            403,
            "totp-enrollment-required",
            "Set up your authenticator app to finish logging in.",
            enrollment_token=token,
        )

    if not login.consume_code(services, user, body.totp):
        raise login.record_failure(services, user, "bad_code")

    with services.db.write() as conn:
        login.record_success(conn, user["id"])
        issued = sessions.start_session(conn, services, user["id"])
        audit.append(
            conn,
            now=now,
            actor=user["name"],
            action="auth.login",
            resource=f"user/{user['name']}",
            request_id=request_id_var.get(),
        )
    return issued.to_json(user)


def _pending_enrollment(services: Services, token: str) -> Any:
    with services.db.read() as conn:
        row = conn.execute(
            "SELECT e.*, u.name, u.roles, u.totp_secret, u.id AS uid, u.locked_until "
            "FROM enrollments e JOIN users u ON u.id = e.user_id WHERE e.hash = ?",
            (sessions.digest(token),),
        ).fetchone()
    if row is None or row["expires_at"] <= services.clock.now() or row["totp_secret"]:
        raise Problem(401, "invalid-enrollment-token", "This enrolment has expired; log in again.")
    return row


@router.post("/auth/totp/enroll")
def enroll(body: EnrollRequest, services: Services = Depends(get_services)) -> dict[str, str]:
    pending = _pending_enrollment(services, body.enrollment_token)
    secret = totp.new_secret()
    with services.db.write() as conn:
        shown = conn.execute(
            "UPDATE enrollments SET pending_secret = ? WHERE hash = ? AND pending_secret IS NULL",
            (secret, pending["hash"]),
        ).rowcount
    if shown != 1:
        raise Problem(
            409,
            "enrollment-secret-shown",
            "The secret for this enrolment was already shown; log in again to start over.",
        )
    return {
        "secret": secret,
        "otpauth_uri": totp.provisioning_uri(
            secret, pending["name"], services.settings.totp_issuer
        ),
    }


@router.post("/auth/totp/confirm")
def confirm(body: ConfirmRequest, services: Services = Depends(get_services)) -> dict[str, Any]:
    pending = _pending_enrollment(services, body.enrollment_token)
    now = services.clock.now()
    login.check_not_locked(pending, now)
    secret = pending["pending_secret"]
    step = totp.matching_step(secret, body.code, now) if secret else None
    if step is None:
        with services.db.read() as conn:
            user = conn.execute("SELECT * FROM users WHERE id = ?", (pending["uid"],)).fetchone()
        raise login.record_failure(services, user, "bad_enrollment_code")
    with services.db.write() as conn:
        conn.execute(
            "UPDATE users SET totp_secret = ?, totp_last_t = ? "
            "WHERE id = ? AND totp_secret IS NULL",
            (secret, step, pending["uid"]),
        )
        conn.execute("DELETE FROM enrollments WHERE user_id = ?", (pending["uid"],))
        login.record_success(conn, pending["uid"])
        issued = sessions.start_session(conn, services, pending["uid"])
        audit.append(
            conn,
            now=now,
            actor=pending["name"],
            action="auth.totp_enrolled",
            resource=f"user/{pending['name']}",
            request_id=request_id_var.get(),
        )
        user = conn.execute("SELECT * FROM users WHERE id = ?", (pending["uid"],)).fetchone()
    return issued.to_json(user)


# Refreshes worth an audit row (never the tokens): theft, and a retry let through.
_AUDITED_REFRESHES = {
    "reused": ("auth.session_revoked", "refresh token reused"),
    "retried": ("auth.refresh.retried", "the answer to the previous refresh was presumably lost"),
}


@router.post("/auth/refresh")
def refresh(body: RefreshRequest, services: Services = Depends(get_services)) -> dict[str, Any]:
    with services.db.write() as conn:
        refreshed = sessions.rotate_refresh(conn, services, body.refresh_token)
        row, issued = refreshed.row, refreshed.tokens
        user = (
            None
            if row is None
            else conn.execute("SELECT * FROM users WHERE id = ?", (row["user_id"],)).fetchone()
        )
        if user is not None and refreshed.outcome in _AUDITED_REFRESHES:
            action, reason = _AUDITED_REFRESHES[refreshed.outcome]
            audit.append(
                conn,
                now=services.clock.now(),
                actor=user["name"],
                action=action,
                resource=f"user/{user['name']}",
                after={"reason": reason},
                request_id=request_id_var.get(),
            )
    if issued is None or user is None:
        raise Problem(
            401,
            "invalid-refresh-token",
            "Your session has ended; log in again.",
        )
    return issued.to_json(user)


@router.post("/auth/logout", status_code=204)
def log_out(
    principal: Principal = Depends(current_principal), services: Services = Depends(get_services)
) -> Response:
    if principal.session_id is not None:
        with services.db.write() as conn:
            sessions.revoke_session(conn, principal.session_id, services.clock.now(), "logout")
    return Response(status_code=204)


@router.post("/auth/step-up")
def step_up(
    body: StepUpRequest,
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    if principal.session_id is None:
        raise Problem(403, "step-up-unavailable", "API keys cannot step up; log in as a user.")
    now = services.clock.now()
    with services.db.read() as conn:
        user = conn.execute("SELECT * FROM users WHERE id = ?", (principal.user_id,)).fetchone()
    login.check_not_locked(user, now)
    if not login.consume_code(services, user, body.totp):
        raise login.record_failure(services, user, "bad_step_up_code")
    until = now + services.settings.step_up_seconds
    with services.db.write() as conn:
        login.record_success(conn, user["id"])
        conn.execute(
            "UPDATE sessions SET stepped_up_until = ? WHERE id = ?", (until, principal.session_id)
        )
    _audit(services, user["name"], "auth.step_up")
    return {"stepped_up_until": until, "expires_in": services.settings.step_up_seconds}


@router.get("/me")
def me(
    principal: Principal = Depends(current_principal), services: Services = Depends(get_services)
) -> dict[str, Any]:
    now = services.clock.now()
    return {
        "name": principal.name,
        "roles": sorted(principal.roles),
        "auth": "api_key" if principal.api_key_id is not None else "session",
        "stepped_up": principal.is_stepped_up(now),
        "stepped_up_until": principal.stepped_up_until or None,
        "server_time": now,
    }


@router.post("/api-keys", status_code=201)
def create_api_key(body: ApiKeyRequest, act: Action = Depends(action("viewer"))) -> Response:
    unknown = sorted(set(body.roles) - set(ROLES))
    if unknown:
        raise Problem(422, "invalid-request", f"roles: unknown role {unknown[0]!r}")
    allowed = {r for r in body.roles if act.principal.has_role(r)}
    if allowed != set(body.roles):
        raise Problem(403, "role-required", "An API key cannot hold a role you do not hold.")
    if act.principal.api_key_id is not None:
        raise Problem(403, "forbidden", "API keys cannot create API keys; log in as a user.")
    key = sessions.new_api_key()

    def change(conn: Any) -> Outcome:
        cur = conn.execute(
            "INSERT INTO api_keys (hash, prefix, user_id, name, roles, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                sessions.digest(key),
                key[:13],
                act.principal.user_id,
                body.name,
                json.dumps(sorted(allowed)),
                act.now,
            ),
        )
        described = {
            "id": cur.lastrowid,
            "name": body.name,
            "roles": sorted(allowed),
            "prefix": key[:13],
        }
        act.audit(conn, "api_key.create", f"api_key/{cur.lastrowid}", after=described)
        # The key itself is shown once: a replayed response says so instead of repeating it.
        return Outcome(
            201,
            {**described, "key": key},
            {},
            replay_body={**described, "key": None, "key_shown_once": True},
        )

    return act.run(body.model_dump(), change, require_key=True)


@router.get("/api-keys")
def list_api_keys(
    principal: Principal = Depends(current_principal), services: Services = Depends(get_services)
) -> list[dict[str, Any]]:
    with services.db.read() as conn:
        rows = conn.execute(
            "SELECT id, name, roles, prefix, created_at, revoked_at FROM api_keys "
            "WHERE user_id = ? ORDER BY id",
            (principal.user_id,),
        ).fetchall()
    return [{**dict(r), "roles": json.loads(r["roles"])} for r in rows]


@router.delete("/api-keys/{key_id}", status_code=204)
def revoke_api_key(key_id: int, act: Action = Depends(action("viewer"))) -> Response:
    def change(conn: Any) -> Outcome:
        revoked = conn.execute(
            "UPDATE api_keys SET revoked_at = ? "
            "WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
            (act.now, key_id, act.principal.user_id),
        ).rowcount
        if revoked != 1:
            raise Problem(404, "not-found", f"You have no active API key {key_id}.")
        act.audit(conn, "api_key.revoke", f"api_key/{key_id}")
        return Outcome(204, None, {})

    return act.run({"id": key_id}, change)
