"""FastAPI dependencies: services, the authenticated principal, role checks, actions.

They are coroutines: FastAPI runs a plain function dependency on a worker thread, and four
thread hand-offs per request cost more than the work itself (a lookup by primary key in
SQLite's WAL, which never waits for a writer). And each takes the request itself rather than
other dependencies: FastAPI's solving of a nested chain was a third of a request's time
under load.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from .actions import Action
from .auth.principal import Principal
from .auth.sessions import authenticate
from .problems import Problem
from .services import Services


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def current_principal(request: Request) -> Principal:
    return authenticate(request.app.state.services, request.headers.get("authorization"))


def requires(role: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits principals holding ``role`` (403 naming the role otherwise)."""

    async def check(request: Request) -> Principal:
        return _with_role(await current_principal(request), role)

    return check


def action(role: str) -> Callable[..., Awaitable[Action]]:
    """A dependency giving a mutating handler its :class:`Action`, after the role check."""

    async def build(request: Request) -> Action:
        principal = _with_role(await current_principal(request), role)
        return Action(request, request.app.state.services, principal)

    return build


def _with_role(principal: Principal, role: str) -> Principal:
    if not principal.has_role(role):
        raise Problem(
            403,
            "role-required",
            f"This needs the {role} role; you have {', '.join(sorted(principal.roles))}.",
            required_role=role,
        )
    return principal
