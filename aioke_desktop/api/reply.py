"""What a request may cost (:class:`HttpPolicy`) and what it brings back (:class:`Reply`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from .errors import MalformedResponse


@dataclass(frozen=True)
class HttpPolicy:
    """Limits for every request to one endpoint.

    Attributes:
        deadline_seconds: the most one call may take, retries and all.
        max_response_bytes: a larger answer is cut off while it streams.
        max_attempts: tries for a request that is safe to repeat.
        backoff_base_seconds: the first retry waits up to this long (full jitter),
            doubling each time up to ``backoff_cap_seconds``.
    """

    deadline_seconds: float = 30.0
    connect_timeout_seconds: float = 10.0
    max_response_bytes: int = 20 * 1024 * 1024
    max_attempts: int = 4
    backoff_base_seconds: float = 0.25
    backoff_cap_seconds: float = 5.0


@dataclass(frozen=True)
class Reply:
    """A complete answer: status, headers and the whole (capped) body."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def etag(self) -> str | None:
        value: str | None = self.headers.get("etag")
        return value

    @property
    def replayed(self) -> bool:
        """True when the server answered a retry from its idempotency record."""
        return bool(self.headers.get("idempotent-replayed") == "true")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            kind = self.headers.get("content-type", "unknown").split(";")[0]
            raise MalformedResponse(
                f"The server answered with {kind} where JSON was expected."
            ) from None
