"""``ClusterClient``: the control plane's API as typed calls.

Session calls live here; flags, breakers, chaos and runbooks are attributes
(``client.flags.update(...)``), one small class a feature. Every call blocks: the app runs
them on its task runner, never on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..core.activity import AuditEntry, AuditVerification, ClusterEvent, EventPage
from ..core.cluster import Me, Service
from ..core.contexts import Context
from ..core.jsonshape import Fields
from ..core.slo import SloDefinition
from .auth import TokenAuth, Tokens, tokens_from_json
from .calls import Calls, ETagBook, parsed, parsed_list
from .errors import MalformedResponse
from .flags import FlagsApi
from .http import HttpEndpoint, HttpPolicy, Reply
from .operations import BreakersApi, ChaosApi, RunbooksApi

API_PREFIX = "/api/v1"
MAX_EVENT_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class LoggedIn:
    """Who the session belongs to, and when its access token expires (local clock)."""

    name: str
    roles: tuple[str, ...]
    expires_at: float


@dataclass(frozen=True)
class Enrollment:
    """A new TOTP secret, shown once; ``repr`` hides it."""

    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)


@dataclass(frozen=True)
class StepUp:
    """A session stepped up for destructive actions until ``until`` (server time)."""

    until: float
    expires_in: float


class ClusterClient:
    """One context's control plane.

    Args:
        context: where the control plane is and how to trust it.
        policy: deadline, size cap and retries.
        transport: by default the deadline-aware transport built from the context's TLS.
        on_session_change: called with new tokens after a refresh, or None when the
            session ended and the user must log in again.
    """

    def __init__(
        self,
        context: Context,
        *,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        on_session_change: Callable[[Tokens | None], None] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        base = context.control_plane_url.rstrip("/") + API_PREFIX
        self.auth = TokenAuth(base + "/auth/refresh", on_session_change)
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self.http = HttpEndpoint(
            base,
            tls=context.tls,
            policy=policy,
            transport=transport,
            auth=self.auth,
            sends_credentials=True,
            allow_plain_http_credentials=context.allow_plain_http_credentials,
            **extra,
        )
        self.calls = Calls(self.http, ETagBook())
        self.flags = FlagsApi(self.calls)
        self.breakers = BreakersApi(self.calls)
        self.chaos = ChaosApi(self.calls)
        self.runbooks = RunbooksApi(self.calls)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ClusterClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def clock_skew_seconds(self) -> float | None:
        """Server clock minus ours, from the last answer's Date header (None before one)."""
        return self.http.clock_skew_seconds

    @property
    def tokens(self) -> Tokens | None:
        return self.auth.tokens

    # Session -----------------------------------------------------------------------------

    def _start_session(self, reply: Reply) -> LoggedIn:
        data = reply.json()
        tokens = tokens_from_json(data)
        if tokens is None:
            raise MalformedResponse("The server's login answer holds no tokens.")
        self.auth.set_tokens(tokens)

        def user(fields: Fields) -> LoggedIn:
            who = fields.obj("user")
            return LoggedIn(who.text("name"), who.texts("roles"), tokens.expires_at)

        return parsed(reply, user)

    def login(self, username: str, password: str, totp: str | None) -> LoggedIn:
        """Log in; raises LoginFailed, Locked (``retry_after``) or EnrollmentRequired."""
        body = {"username": username, "password": password, "totp": totp}
        return self._start_session(self.calls.post("/auth/login", body, authenticated=False))

    def enroll(self, enrollment_token: str) -> Enrollment:
        """The new TOTP secret and its ``otpauth://`` URI (the server shows them once)."""
        reply = self.calls.post(
            "/auth/totp/enroll", {"enrollment_token": enrollment_token}, authenticated=False
        )
        return parsed(reply, lambda f: Enrollment(f.text("secret"), f.text("otpauth_uri")))

    def confirm_enrollment(self, enrollment_token: str, code: str) -> LoggedIn:
        """Confirm the authenticator with its first code; the session starts."""
        body = {"enrollment_token": enrollment_token, "code": code}
        return self._start_session(self.calls.post("/auth/totp/confirm", body, authenticated=False))

    def refresh_session(self) -> Tokens:
        """Swap the refresh token for new tokens now (the app does it before expiry)."""
        tokens = self.auth.tokens
        if tokens is None:
            raise MalformedResponse("There is no session to refresh; log in first.")
        reply = self.calls.post(
            "/auth/refresh", {"refresh_token": tokens.refresh_token}, authenticated=False
        )
        fresh = tokens_from_json(reply.json())
        if fresh is None:
            raise MalformedResponse("The server's refresh answer holds no tokens.")
        self.auth.set_tokens(fresh)
        return fresh

    def logout(self) -> None:
        try:
            self.calls.post("/auth/logout")
        finally:
            self.auth.set_tokens(None)

    def step_up(self, code: str) -> StepUp:
        """Confirm a TOTP code so destructive actions are allowed for a few minutes."""
        reply = self.calls.post("/auth/step-up", {"totp": code})
        return parsed(reply, lambda f: StepUp(f.number("stepped_up_until"), f.number("expires_in")))

    def me(self) -> Me:
        return parsed(self.calls.get("/me"), Me.from_json)

    # Reading the cluster -----------------------------------------------------------------

    def services(self) -> list[Service]:
        return parsed_list(self.calls.get("/services"), Service.from_json)

    def slos(self) -> list[SloDefinition]:
        return parsed_list(self.calls.get("/slos"), SloDefinition.from_json)

    def events(self, after: int = 0, wait: float = 0.0, limit: int = 500) -> EventPage:
        """Events after ``after``; with ``wait`` the server holds the answer until one comes."""
        wait = max(0.0, min(wait, MAX_EVENT_WAIT_SECONDS))
        params = {"after": after, "wait": wait, "limit": limit}
        # The long poll's own wait must not count against the deadline.
        deadline = wait + self.http.policy.deadline_seconds
        reply = self.calls.get("/events", params, deadline_seconds=deadline)

        def page(fields: Fields) -> EventPage:
            found = tuple(ClusterEvent.from_json(e) for e in fields.objects("events"))
            return EventPage(found, fields.integer("head"))

        return parsed(reply, page)

    def audit(
        self,
        *,
        since: int | str | None = None,
        resource: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Audit rows, oldest first; ``since`` is a seq (rows after it) or an RFC 3339 time."""
        params: dict[str, Any] = {"limit": limit}
        for key, value in (("since", since), ("resource", resource), ("actor", actor)):
            if value is not None:
                params[key] = value
        if action is not None:
            params["action"] = action
        return parsed_list(self.calls.get("/audit", params), AuditEntry.from_json)

    def verify_audit(self) -> AuditVerification:
        return parsed(self.calls.get("/audit/verify"), AuditVerification.from_json)
