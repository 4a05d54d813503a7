"""Errors as RFC 9457 problem details: a stable ``type`` URI per kind and a human ``detail``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_BASE = "https://aioke.dev/problems/"
PROBLEM_JSON = "application/problem+json"

log = logging.getLogger(__name__)

_STATUS_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-request", "Invalid request"),
    428: ("precondition-required", "Precondition required"),
}


class Problem(Exception):  # noqa: N818 - named after RFC 9457 "problem details"
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.title = title or slug.replace("-", " ").capitalize()
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self) -> dict[str, Any]:
        # The request id travels in the X-Request-ID header, so equal failures (a wrong
        # password, an unknown user) have byte-for-byte equal bodies.
        return {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(
        problem.body(),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_JSON,
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def invalid_request(raw_errors: Sequence[Any]) -> Problem:
    """A 422 naming the first bad field, from pydantic's error list."""
    errors = [
        {
            "field": _field_name(tuple(e.get("loc", ()))),
            # pydantic prefixes our own validators' messages; users need only the message.
            "message": str(e.get("msg", "")).removeprefix("Value error, "),
        }
        for e in raw_errors
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    if any(e.get("type") == "json_invalid" for e in raw_errors):
        detail = "The request body is not valid JSON."
    else:
        detail = f"{first['field']}: {first['message']}"
    return Problem(422, "invalid-request", detail, title="Invalid request", errors=errors)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(invalid_request(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug, title = _STATUS_SLUGS.get(exc.status_code, ("error", "Error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        problem = Problem(exc.status_code, slug, detail, title=title, headers=exc.headers)
        return problem_response(problem)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        # Starlette re-raises after this answer and uvicorn then drops the connection: say
        # so, or the client's next request on the kept-alive connection meets a reset.
        problem = Problem(
            500,
            "internal-error",
            "The server failed to handle this request; see its log.",
            headers={"Connection": "close"},
        )
        return problem_response(problem)
