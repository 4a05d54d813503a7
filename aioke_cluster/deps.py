"""FastAPI dependencies: services, the authenticated principal, role checks, actions."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request

from .actions import Action
from .auth.principal import Principal
from .auth.sessions import authenticate
from .problems import Problem
from .services import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def current_principal(request: Request, services: Services = Depends(get_services)) -> Principal:
    return authenticate(services, request.headers.get("authorization"))


def requires(role: str) -> Callable[..., Principal]:
    """A dependency that admits principals holding ``role`` (403 naming the role otherwise)."""

    def check(principal: Principal = Depends(current_principal)) -> Principal:
        if not principal.has_role(role):
            raise Problem(
                403,
                "role-required",
                f"This needs the {role} role; you have {', '.join(sorted(principal.roles))}.",
                required_role=role,
            )
        return principal

    return check


def action(role: str) -> Callable[..., Action]:
    """A dependency giving a mutating handler its :class:`Action`, after the role check."""

    def build(
        request: Request,
        services: Services = Depends(get_services),
        principal: Principal = Depends(requires(role)),
    ) -> Action:
        return Action(request, services, principal)

    return build
