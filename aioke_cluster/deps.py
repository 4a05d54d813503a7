"""FastAPI dependencies: services, the authenticated principal, role checks, actions.

They are coroutines: FastAPI runs a plain function dependency on a worker thread, and four
thread hand-offs per request cost more than the work itself (a lookup by primary key in
SQLite's WAL, which never waits for a writer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request

from .actions import Action
from .auth.principal import Principal
from .auth.sessions import authenticate
from .problems import Problem
from .services import Services


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def current_principal(
    request: Request, services: Services = Depends(get_services)
) -> Principal:
    return authenticate(services, request.headers.get("authorization"))


def requires(role: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits principals holding ``role`` (403 naming the role otherwise)."""

    async def check(principal: Principal = Depends(current_principal)) -> Principal:
        if not principal.has_role(role):
            raise Problem(
                403,
                "role-required",
                f"This needs the {role} role; you have {', '.join(sorted(principal.roles))}.",
                required_role=role,
            )
        return principal

    return check


def action(role: str) -> Callable[..., Awaitable[Action]]:
    """A dependency giving a mutating handler its :class:`Action`, after the role check."""

    async def build(
        request: Request,
        services: Services = Depends(get_services),
        principal: Principal = Depends(requires(role)),
    ) -> Action:
        return Action(request, services, principal)

    return build
