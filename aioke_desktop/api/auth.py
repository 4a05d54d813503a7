"""The session's tokens as an :class:`httpx.Auth` flow: a 401 refreshes once and replays.

One lock serialises refreshes: refresh tokens rotate, and the server treats a rotated token
used again as theft and ends the session. So when several requests fail at once, the first
refreshes and the others replay with the tokens it got.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Tokens:
    """An access and refresh token pair; ``repr`` hides both."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: float
    issued_at: float = field(default_factory=time.time)

    @property
    def expires_at(self) -> float:
        """When the access token expires, by the local clock."""
        return self.issued_at + self.expires_in


def tokens_from_json(data: object) -> Tokens | None:
    """Tokens from a login or refresh answer; None when the answer holds none."""
    if not isinstance(data, dict):
        return None
    access, refresh = data.get("access_token"), data.get("refresh_token")
    expires = data.get("expires_in", 0)
    if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
        return None
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        return None
    return Tokens(access, refresh, float(expires))


def _token_refused(response: httpx.Response) -> bool:
    """True when a 401 is about the token (RFC 6750: it carries ``WWW-Authenticate: Bearer``).

    A refused step-up code is a 401 too, without it: refreshing and replaying that request
    would send the wrong code twice, and count twice towards a lockout.
    """
    challenge: str = response.headers.get("www-authenticate", "")
    return challenge.lower().startswith("bearer")


class TokenAuth(httpx.Auth):
    """Bearer tokens that refresh themselves.

    Args:
        refresh_url: the ``/auth/refresh`` URL.
        on_change: called with the new tokens after a refresh, or None when the session
            ended (the refresh was refused); the app re-asks for the TOTP code then.
    """

    requires_response_body = True

    def __init__(
        self, refresh_url: str, on_change: Callable[[Tokens | None], None] | None = None
    ) -> None:
        self._refresh_url = refresh_url
        self._on_change = on_change
        self._tokens: Tokens | None = None
        self._lock = threading.Lock()
        self.refreshes = 0

    @property
    def tokens(self) -> Tokens | None:
        return self._tokens

    def set_tokens(self, tokens: Tokens | None) -> None:
        self._tokens = tokens

    def refresh_request(self) -> httpx.Request | None:
        tokens = self._tokens
        if tokens is None:
            return None
        return httpx.Request(
            "POST",
            self._refresh_url,
            content=json.dumps({"refresh_token": tokens.refresh_token}).encode(),
            headers={"Content-Type": "application/json"},
        )

    def accept_refresh(self, response: httpx.Response) -> Tokens | None:
        """Keep the tokens a refresh answer holds; forget the session when it was refused."""
        tokens = None
        if response.status_code == 200:
            try:
                tokens = tokens_from_json(response.json())
            except ValueError:
                tokens = None
        self._tokens = tokens
        self.refreshes += tokens is not None
        if self._on_change is not None:
            self._on_change(tokens)
        return tokens

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        sent_with = self._tokens
        if sent_with is not None:
            request.headers["Authorization"] = f"Bearer {sent_with.access_token}"
        response = yield request
        if response.status_code != 401 or sent_with is None or not _token_refused(response):
            return
        with self._lock:
            current = self._tokens
            if current is not None and current.access_token == sent_with.access_token:
                refresh = self.refresh_request()
                assert refresh is not None  # current is not None
                refresh.extensions = request.extensions
                current = self.accept_refresh((yield refresh))
        if current is None:
            return  # the caller gets the refusal: the session has ended
        request.headers["Authorization"] = f"Bearer {current.access_token}"
        yield request
