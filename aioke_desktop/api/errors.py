"""Everything a client call can fail with, as a small typed hierarchy.

::

    ApiError                      every failure; .message is one plain sentence for the user
    ├── ConnectionFailed          refused, reset, DNS (retried for safe requests)
    │   └── TlsFailed             the certificate is not trusted, or mTLS was refused
    ├── Timeout                   the request's overall deadline passed
    ├── ResponseTooLarge          the answer passed the size cap (aborted while streaming)
    ├── MalformedResponse         not JSON, or JSON of the wrong shape
    ├── InsecureTransport         credentials would cross plain http:// (nothing was sent)
    ├── BadAddress                a URL the client cannot use
    ├── EnrollmentRequired        the password was right; set up TOTP with .enrollment_token
    └── HttpError(status, problem)
        ├── BadRequest            400
        ├── Unauthorized          401
        │   ├── LoginFailed       wrong username, password or code
        │   └── SessionEnded      the refresh token is dead: log in again
        ├── Forbidden             403
        │   ├── RoleRequired      .required_role
        │   └── StepUpRequired    confirm with a TOTP code first
        ├── NotFound              404
        ├── Conflict              409 (and 412 below)
        │   └── StaleEdit         412: .changed_by, .changed_at, .current_etag
        ├── InvalidRequest        422: .errors [{field, message}]
        ├── Locked                423: .retry_after
        ├── PreconditionRequired  428
        ├── RateLimited           429: .retry_after
        ├── QueryFailed           Prometheus refused or gave up on a query: .error_type
        └── ServerError           5xx
"""

# ruff: noqa: N818 - names say what happened (Timeout, NotFound), as in httpx and lightkube

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class ApiError(Exception):
    """A failed call; ``message`` is one sentence the UI can show as it is."""

    default_message = "The request failed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class ConnectionFailed(ApiError):
    default_message = "The server could not be reached."


class TlsFailed(ConnectionFailed):
    default_message = "The server's certificate is not trusted."


class Timeout(ApiError):
    default_message = "The server did not answer in time."


class ResponseTooLarge(ApiError):
    default_message = "The server's answer was too large, so it was cut off."


class MalformedResponse(ApiError):
    default_message = "The server's answer could not be understood."


class InsecureTransport(ApiError):
    default_message = "Credentials would be sent unencrypted, so nothing was sent."


class BadAddress(ApiError):
    default_message = "The server address cannot be used."


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem document (``type``'s last path segment is the ``slug``)."""

    type: str = "about:blank"
    title: str = ""
    detail: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.type.rstrip("/").rsplit("/", 1)[-1]


class EnrollmentRequired(ApiError):
    """The password was right but the user has no authenticator yet."""

    default_message = "Set up your authenticator app to finish logging in."

    def __init__(self, enrollment_token: str, message: str | None = None) -> None:
        super().__init__(message)
        self.enrollment_token = enrollment_token

    def __repr__(self) -> str:  # the token is a credential: keep it out of logs and tracebacks
        return f"EnrollmentRequired({self.message!r})"


class HttpError(ApiError):
    """The server answered with an error status; ``problem`` is its problem document."""

    def __init__(self, status: int, problem: Problem, message: str | None = None) -> None:
        super().__init__(message or problem.detail or None)
        self.status = status
        self.problem = problem


class BadRequest(HttpError):
    default_message = "The server refused the request as malformed."


class Unauthorized(HttpError):
    default_message = "Log in to continue."


class LoginFailed(Unauthorized):
    default_message = "The username, password or code is wrong."


class SessionEnded(Unauthorized):
    default_message = "Your session has ended; log in again."


class Forbidden(HttpError):
    default_message = "You are not allowed to do this."


class RoleRequired(Forbidden):
    @property
    def required_role(self) -> str | None:
        role = self.problem.extra.get("required_role")
        return role if isinstance(role, str) else None


class StepUpRequired(Forbidden):
    default_message = "This action needs a fresh TOTP code first."


class NotFound(HttpError):
    default_message = "It no longer exists."


class Conflict(HttpError):
    default_message = "It conflicts with the cluster's current state."


class StaleEdit(Conflict):
    """Someone changed the resource since it was loaded; reload before editing again."""

    default_message = "Someone else changed this since you loaded it; reload and try again."

    @property
    def changed_by(self) -> str | None:
        who = self.problem.extra.get("changed_by")
        return who if isinstance(who, str) else None

    @property
    def changed_at(self) -> str | None:
        when = self.problem.extra.get("changed_at")
        return when if isinstance(when, str) else None

    @property
    def current_etag(self) -> str | None:
        tag = self.problem.extra.get("current_etag")
        return tag if isinstance(tag, str) else None


class InvalidRequest(HttpError):
    default_message = "The server refused some of the values."

    @property
    def errors(self) -> list[dict[str, str]]:
        found = self.problem.extra.get("errors")
        if not isinstance(found, list):
            return []
        return [
            {"field": str(e.get("field", "")), "message": str(e.get("message", ""))}
            for e in found
            if isinstance(e, Mapping)
        ]


class _RetryAfter(HttpError):
    def __init__(
        self, status: int, problem: Problem, retry_after: float | None, message: str | None = None
    ) -> None:
        super().__init__(status, problem, message)
        self.retry_after = retry_after


class Locked(_RetryAfter):
    default_message = "Too many failed attempts: the account is locked for a while."


class PreconditionRequired(HttpError):
    default_message = "The edit was sent without the version it was based on."


class RateLimited(_RetryAfter):
    default_message = "Too many requests; wait a moment and try again."


class ServerError(HttpError):
    default_message = "The server failed to handle the request."


class QueryFailed(HttpError):
    """Prometheus could not run a query (bad PromQL, too many samples, its own timeout)."""

    default_message = "Prometheus could not run the query."

    @property
    def error_type(self) -> str:
        kind = self.problem.extra.get("errorType")
        return kind if isinstance(kind, str) else ""
