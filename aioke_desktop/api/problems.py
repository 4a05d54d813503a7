"""Turning an error answer into the right :mod:`~aioke_desktop.api.errors` exception."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import (
    BadRequest,
    Conflict,
    EnrollmentRequired,
    Forbidden,
    HttpError,
    InvalidRequest,
    Locked,
    LoginFailed,
    NotFound,
    PreconditionRequired,
    Problem,
    RateLimited,
    RoleRequired,
    ServerError,
    SessionEnded,
    StaleEdit,
    StepUpRequired,
    Unauthorized,
)
from .http import Reply

_BY_STATUS: Mapping[int, type[HttpError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: StaleEdit,
    422: InvalidRequest,
    428: PreconditionRequired,
}
_BY_SLUG: Mapping[str, type[HttpError]] = {
    "invalid-credentials": LoginFailed,
    "invalid-refresh-token": SessionEnded,
    "invalid-enrollment-token": SessionEnded,
    "step-up-required": StepUpRequired,
    "role-required": RoleRequired,
}


def parse_problem(reply: Reply) -> Problem:
    """The problem document of an error answer; an empty one when the body is not one."""
    try:
        data: Any = json.loads(reply.body) if reply.body else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, Mapping):
        return Problem()
    known = {"type", "title", "detail", "status"}

    def text(key: str) -> str:
        value = data.get(key)
        return value if isinstance(value, str) else ""

    return Problem(
        type=text("type") or "about:blank",
        title=text("title"),
        detail=text("detail"),
        extra={k: v for k, v in data.items() if k not in known},
    )


def _retry_after(reply: Reply, problem: Problem) -> float | None:
    value = problem.extra.get("retry_after")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(reply.headers.get("retry-after", ""))
    except ValueError:
        return None


def error_for(reply: Reply) -> HttpError | EnrollmentRequired:
    """The exception an error answer means."""
    problem = parse_problem(reply)
    if problem.slug == "totp-enrollment-required":
        token = problem.extra.get("enrollment_token")
        if isinstance(token, str) and token:
            return EnrollmentRequired(token, problem.detail or None)
    if reply.status == 423:
        return Locked(423, problem, _retry_after(reply, problem))
    if reply.status == 429:
        return RateLimited(429, problem, _retry_after(reply, problem))
    kind = _BY_SLUG.get(problem.slug)
    if kind is None or not _fits(kind, reply.status):
        kind = _BY_STATUS.get(reply.status)
    if kind is None:
        kind = ServerError if reply.status >= 500 else HttpError
    if kind is HttpError and not problem.detail:
        return HttpError(reply.status, problem, f"The server answered {reply.status}.")
    return kind(reply.status, problem)


def _fits(kind: type[HttpError], status: int) -> bool:
    base = _BY_STATUS.get(status)
    return base is not None and issubclass(kind, base)


def raise_for_problem(reply: Reply) -> Reply:
    """``reply`` when it succeeded; the matching exception otherwise."""
    if reply.ok or reply.status == 304:
        return reply
    raise error_for(reply)
