"""The role matrix, route by route, enforced by the server.

The matrix must name every route in the OpenAPI document, so a new route cannot ship
without saying who may call it.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from harness import Cluster

ROLES = ("viewer", "operator", "chaos", "admin")
EVERYONE = set(ROLES)
OPERATORS = {"operator", "admin"}
ADMINS = {"admin"}
CHAOS = {"chaos", "admin"}
_keys = itertools.count()

# Routes anyone may call without a token: they are how one gets a token.
PUBLIC = {
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/totp/enroll"),
    ("POST", "/auth/totp/confirm"),
}


def _flag(admin: httpx.Client) -> str:
    """A flag that exists, made by an admin."""
    key = f"matrix-{next(_keys)}"
    reply = admin.post(
        "/flags",
        json={"key": key, "owner": "team-sre"},
        headers={"Idempotency-Key": key},
    )
    assert reply.status_code == 201, reply.text
    return key


def _etag(admin: httpx.Client, path: str) -> str:
    return admin.get(path).headers["ETag"]


# (method, template, who may call, how to build the request: path, json)
def matrix(cluster: Cluster, admin: httpx.Client) -> list[tuple[str, str, set[str], Any]]:
    def flag_path(suffix: str = "") -> Any:
        def build() -> tuple[str, dict[str, Any] | None, dict[str, str]]:
            key = _flag(admin)
            path = f"/flags/{key}{suffix}"
            return path, None, {"If-Match": _etag(admin, f"/flags/{key}")}

        return build

    def fixed(path: str, body: Any = None) -> Any:
        return lambda: (path, body, {})

    def new_flag() -> tuple[str, Any, dict[str, str]]:
        key = f"matrix-new-{next(_keys)}"
        return "/flags", {"key": key, "owner": "team"}, {"Idempotency-Key": key}

    def new_user() -> tuple[str, Any, dict[str, str]]:
        name = f"made-{next(_keys)}"
        body = {"name": name, "password": "a long enough password", "roles": ["viewer"]}
        return "/users", body, {"Idempotency-Key": name}

    def some_user(suffix: str = "") -> Any:
        def build() -> tuple[str, Any, dict[str, str]]:
            name = cluster.new_user("viewer").name
            return f"/users/{name}{suffix}", None, {"If-Match": _etag(admin, f"/users/{name}")}

        return build

    def ramp() -> Any:
        def build() -> tuple[str, Any, dict[str, str]]:
            path, _, headers = flag_path("/ramp")()
            body = {"steps": [5, 100], "interval_seconds": 60, "service": "checkout"}
            return path, body, {**headers, "Idempotency-Key": f"ramp-{next(_keys)}"}

        return build

    def evaluate() -> tuple[str, Any, dict[str, str]]:
        return f"/flags/{_flag(admin)}/evaluate", {"context": {"user_id": "u1"}}, {}

    def new_api_key() -> tuple[str, Any, dict[str, str]]:
        return (
            "/api-keys",
            {"name": "k", "roles": ["viewer"]},
            {"Idempotency-Key": str(next(_keys))},
        )

    def breaker(suffix: str = "", body: Any = None) -> Any:
        def build() -> tuple[str, Any, dict[str, str]]:
            name = f"matrix{next(_keys)}->callee"
            cluster.app.state.breakers.ensure(name)
            headers = {"Idempotency-Key": name, "If-Match": "*"} if body else {}
            return f"/breakers/{name}{suffix}", body, headers

        return build

    def chaos_rehearsal() -> tuple[str, Any, dict[str, str]]:
        body = {
            "fault": "cpu",
            "target": "auth",
            "params": {"saturation": 0.5},
            "duration_seconds": 60,
            "dry_run": True,
        }
        return "/chaos/runs", body, {"Idempotency-Key": f"matrix-{next(_keys)}"}

    return [
        ("GET", "/me", EVERYONE, fixed("/me")),
        ("POST", "/auth/step-up", EVERYONE, fixed("/auth/step-up", {"totp": "000000"})),
        ("GET", "/api-keys", EVERYONE, fixed("/api-keys")),
        ("POST", "/api-keys", EVERYONE, new_api_key),
        ("DELETE", "/api-keys/{key_id}", EVERYONE, fixed("/api-keys/999999")),
        ("GET", "/users", ADMINS, fixed("/users")),
        ("POST", "/users", ADMINS, new_user),
        ("GET", "/users/{name}", ADMINS, some_user()),
        ("PATCH", "/users/{name}", ADMINS, some_user()),
        ("POST", "/users/{name}/unlock", ADMINS, some_user("/unlock")),
        ("GET", "/flags", EVERYONE, fixed("/flags")),
        ("POST", "/flags", OPERATORS, new_flag),
        ("GET", "/flags/{key}", EVERYONE, flag_path()),
        ("PATCH", "/flags/{key}", OPERATORS, flag_path()),
        ("DELETE", "/flags/{key}", OPERATORS, flag_path()),
        ("POST", "/flags/{key}/evaluate", EVERYONE, evaluate),
        ("GET", "/flags/{key}/history", EVERYONE, flag_path("/history")),
        ("PUT", "/flags/{key}/ramp", OPERATORS, ramp()),
        ("GET", "/flags/{key}/ramp", EVERYONE, flag_path("/ramp")),
        ("DELETE", "/flags/{key}/ramp", OPERATORS, flag_path("/ramp")),
        ("GET", "/flag-ramps", EVERYONE, fixed("/flag-ramps")),
        ("GET", "/audit", EVERYONE, fixed("/audit")),
        ("GET", "/audit/verify", EVERYONE, fixed("/audit/verify")),
        ("GET", "/events", EVERYONE, fixed("/events")),
        ("GET", "/slos", EVERYONE, fixed("/slos")),
        ("GET", "/services", EVERYONE, fixed("/services")),
        ("GET", "/services/{name}", EVERYONE, fixed("/services/search")),
        (
            "POST",
            "/services/{name}/scale",
            OPERATORS,
            fixed("/services/no-such-service/scale", {"instances": 3}),
        ),
        ("GET", "/runbooks", EVERYONE, fixed("/runbooks")),
        ("GET", "/runbooks/{runbook_id}", EVERYONE, fixed("/runbooks/none")),
        (
            "POST",
            "/runbooks/{runbook_id}/executions",
            OPERATORS,
            fixed("/runbooks/none/executions", {"params": {}}),
        ),
        ("GET", "/runbooks/{runbook_id}/executions", EVERYONE, fixed("/runbooks/none/executions")),
        (
            "GET",
            "/runbooks/{runbook_id}/executions/{execution_id}",
            EVERYONE,
            fixed("/runbooks/none/executions/rx-0"),
        ),
        (
            "GET",
            "/runbooks/{runbook_id}/executions/{execution_id}/log",
            EVERYONE,
            fixed("/runbooks/none/executions/rx-0/log"),
        ),
        (
            "POST",
            "/runbooks/{runbook_id}/executions/{execution_id}/cancel",
            OPERATORS,
            fixed("/runbooks/none/executions/rx-0/cancel"),
        ),
        (
            "POST",
            "/runbooks/{runbook_id}/executions/{execution_id}/confirm",
            OPERATORS,
            fixed("/runbooks/none/executions/rx-0/confirm"),
        ),
        ("GET", "/chaos/catalog", EVERYONE, fixed("/chaos/catalog")),
        ("GET", "/chaos/runs", EVERYONE, fixed("/chaos/runs")),
        ("POST", "/chaos/runs", CHAOS, chaos_rehearsal),
        ("GET", "/chaos/runs/{run_id}", EVERYONE, fixed("/chaos/runs/999999")),
        ("POST", "/chaos/runs/{run_id}/abort", CHAOS, fixed("/chaos/runs/999999/abort")),
        ("GET", "/chaos/halt", EVERYONE, fixed("/chaos/halt")),
        # Halt stops at step-up and safety at If-Match: both past the role check.
        ("POST", "/chaos/halt", CHAOS, fixed("/chaos/halt", {"reason": "matrix"})),
        ("POST", "/chaos/resume", CHAOS, fixed("/chaos/resume")),
        ("GET", "/chaos/safety", EVERYONE, fixed("/chaos/safety")),
        ("PUT", "/chaos/safety", ADMINS, fixed("/chaos/safety", {"safety_mode": False})),
        ("GET", "/breakers", EVERYONE, fixed("/breakers")),
        ("GET", "/breakers/{name}", EVERYONE, breaker()),
        ("GET", "/breakers/{name}/history", EVERYONE, breaker("/history")),
        ("POST", "/breakers/{name}/transition", OPERATORS, breaker("/transition", {"to": "CLOSE"})),
        # Last: it ends the caller's session.
        ("POST", "/auth/logout", EVERYONE, fixed("/auth/logout")),
    ]


def test_the_matrix_names_every_route(cluster: Cluster) -> None:
    spec = httpx.get(f"{cluster.api}/openapi.json").json()
    served = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, ops in spec["paths"].items()
        for method in ops
    }
    listed = {(m, t) for m, t, _, _ in matrix(cluster, cluster.client())} | PUBLIC
    assert served == listed


def _let_through(reply: httpx.Response) -> bool:
    """True when neither authentication nor the role check stopped the request."""
    if reply.status_code not in (401, 403):
        return True
    return not reply.json()["type"].endswith(("/unauthorized", "/role-required"))


@pytest.mark.parametrize("role", [*ROLES, None])
def test_every_route_admits_exactly_its_roles(cluster: Cluster, role: str | None) -> None:
    admin = cluster.user("admin")
    client = cluster.user(role) if role else cluster.client()
    wrong: list[str] = []
    for method, template, allowed, build in matrix(cluster, admin):
        path, body, headers = build()
        reply = client.request(method, path, json=body, headers=headers)
        if role is None:
            ok = reply.status_code == 401
        elif role in allowed:
            ok = _let_through(reply)
        else:
            ok = reply.status_code == 403 and reply.json()["type"].endswith("/role-required")
        if not ok:
            wrong.append(f"{role} {method} {template} -> {reply.status_code} {reply.text[:120]}")
    assert wrong == []
