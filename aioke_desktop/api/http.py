"""One server endpoint: an httpx client with an overall deadline, a size cap, bounded retries,
the server's clock compared with ours, and no credentials over plain http.

Building a request, sending it and reading the reply are separate steps (as lightkube does
it), so the resource clients stay declarative and every transport fault is handled here once.
"""

from __future__ import annotations

import email.utils
import logging
import random
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ..core.contexts import TlsSettings, is_loopback_host
from .budget import Budget, request_budget
from .errors import (
    ApiError,
    BadAddress,
    ConnectionFailed,
    InsecureTransport,
    MalformedResponse,
    ResponseTooLarge,
    Timeout,
    TlsFailed,
)
from .reply import HttpPolicy, Reply
from .transport import DeadlineTransport

__all__ = ["HttpEndpoint", "HttpPolicy", "Reply"]

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})


def _tls_problem(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class HttpEndpoint:
    """A server the app talks to.

    Args:
        base_url: the server's root, such as ``https://cp.example:8443/api/v1``.
        tls: certificate trust and the mTLS client certificate.
        policy: deadline, size cap and retries.
        transport: by default a :class:`DeadlineTransport`; tests pass fault injectors.
        auth: an :class:`httpx.Auth` for requests that are ``authenticated``.
        sends_credentials: refuse plain http:// to other hosts than loopback, unless
            ``allow_plain_http_credentials``.
        sleep, jitter: injectable for tests (``jitter`` returns a number in [0, 1)).
    """

    def __init__(
        self,
        base_url: str,
        *,
        tls: TlsSettings | None = None,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        auth: httpx.Auth | None = None,
        sends_credentials: bool = False,
        allow_plain_http_credentials: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy or HttpPolicy()
        self._sends_credentials = sends_credentials
        self._allow_plain_http = allow_plain_http_credentials
        self._sleep = sleep
        self._jitter = jitter
        timeout = httpx.Timeout(
            self.policy.deadline_seconds, connect=self.policy.connect_timeout_seconds
        )
        # trust_env=False: proxy variables would swap in httpx's own transport, which knows
        # nothing of the deadline or the size cap.
        self.client = httpx.Client(
            base_url=base_url,
            transport=transport or DeadlineTransport(tls),
            auth=auth,
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
        )
        self.clock_skew_seconds: float | None = None
        self.last_latency_seconds: float | None = None

    def close(self) -> None:
        self.client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
        repeatable: bool | None = None,
        deadline_seconds: float | None = None,
    ) -> Reply:
        """Send a request and read the whole answer, whatever its status.

        Safe methods, and any request carrying an ``Idempotency-Key``, are retried with
        jittered exponential backoff after connection failures and 429/502/503/504, as long
        as the deadline allows. A deadline that passes is never retried.
        """
        built = self.client.build_request(
            method, url, params=params, json=json, content=content, headers=headers
        )
        self._refuse_plain_http(built.url)
        if repeatable is None:
            repeatable = method in SAFE_METHODS or "idempotency-key" in built.headers
        seconds = deadline_seconds or self.policy.deadline_seconds
        with request_budget(seconds, self.policy.max_response_bytes) as budget:
            attempt = 0
            while True:
                attempt += 1
                try:
                    reply = self._send_once(built, budget, authenticated)
                except (ConnectionFailed, ResponseTooLarge) as exc:
                    if isinstance(exc, TlsFailed | ResponseTooLarge) or self.client.is_closed:
                        raise
                    if not repeatable or not self._wait_before_retry(attempt, budget, None):
                        raise
                    continue
                if reply.status in RETRY_STATUSES or _in_flight(reply):
                    retry_after = _retry_after(reply.headers)
                    if repeatable and self._wait_before_retry(attempt, budget, retry_after):
                        continue
                return reply

    def _wait_before_retry(self, attempt: int, budget: Budget, retry_after: float | None) -> bool:
        if attempt >= self.policy.max_attempts:
            return False
        ceiling = min(
            self.policy.backoff_cap_seconds, self.policy.backoff_base_seconds * 2 ** (attempt - 1)
        )
        pause = self._jitter() * ceiling
        if retry_after is not None:
            pause = max(pause, retry_after)
        if pause >= budget.remaining():
            return False
        log.info("retrying in %.2f s (attempt %d)", pause, attempt + 1)
        self._sleep(pause)
        return True

    def _refuse_plain_http(self, url: httpx.URL) -> None:
        if not self._sends_credentials or self._allow_plain_http or url.scheme != "http":
            return
        if is_loopback_host(url.host):
            return
        raise InsecureTransport(
            f"{url.host} is reached over plain http://, so your password and tokens would "
            "cross the network unencrypted; use https:// or allow plain http in the context."
        )

    def _send_once(self, request: httpx.Request, budget: Budget, authenticated: bool) -> Reply:
        started_wall, started = time.time(), time.monotonic()
        host = request.url.host
        auth: Any = httpx.USE_CLIENT_DEFAULT if authenticated else None
        try:
            response = self.client.send(request, stream=True, auth=auth)
            try:
                body = self._read(response, budget)
            finally:
                response.close()
        except ApiError:
            raise
        except httpx.HTTPError as exc:
            if self.client.is_closed:  # closed from another thread: a logout, a context switch
                raise ConnectionFailed(
                    f"The connection to {host} was closed before the answer arrived."
                ) from exc
            raise self._transport_error(exc, host, budget, request.url.scheme) from exc
        elapsed = time.monotonic() - started
        self.last_latency_seconds = elapsed
        self._note_server_clock(response.headers, started_wall + elapsed / 2)
        log.debug("%s %s -> %d in %.0f ms", request.method, request.url.path, response.status_code,
                  elapsed * 1000)  # fmt: skip
        return Reply(response.status_code, response.headers, body, str(response.url))

    def _read(self, response: httpx.Response, budget: Budget) -> bytes:
        # The transport caps raw bytes; this caps decoded ones (a small gzip can inflate) and
        # checks the deadline for transports that do not enforce it (test doubles).
        chunks: list[bytes] = []
        total = 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > budget.max_bytes:
                raise ResponseTooLarge(
                    f"The answer from {response.url.host} passed "
                    f"{budget.max_bytes // 1024} KiB, so it was cut off."
                )
            if budget.remaining() <= 0:
                raise Timeout(self._timeout_message(response.url.host))
            chunks.append(chunk)
        return b"".join(chunks)

    def _timeout_message(self, host: str) -> str:
        seconds = self.policy.deadline_seconds
        return f"{host} did not answer completely within {seconds:g} s."

    def _transport_error(
        self, exc: httpx.HTTPError, host: str, budget: Budget, scheme: str = "http"
    ) -> ApiError:
        if isinstance(exc, httpx.TimeoutException) or budget.remaining() <= 0:
            return Timeout(self._timeout_message(host))
        tls = _tls_problem(exc)
        if tls is not None:
            reason = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or tls
            return TlsFailed(
                f"The TLS connection to {host} failed ({str(reason).rstrip('.')}); check the "
                "context's CA bundle and client certificate."
            )
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return BadAddress(f"The address of {host or 'the server'} cannot be used: {exc}.")
        if isinstance(exc, httpx.DecodingError):
            return MalformedResponse(f"The answer from {host} could not be decoded.")
        if isinstance(exc, httpx.ConnectError):
            return ConnectionFailed(f"Could not connect to {host}: {exc or 'refused'}.")
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError) and scheme == "https":
            # A server that requires a client certificate (mTLS) and refuses ours closes the
            # connection without a word under TLS 1.3: say what is most likely the cause.
            return ConnectionFailed(
                f"The connection to {host} closed before the answer arrived; if it requires "
                "a client certificate, check the context's client certificate and key."
            )
        return ConnectionFailed(f"The connection to {host} broke before the answer arrived.")

    def _note_server_clock(self, headers: httpx.Headers, local_midpoint: float) -> None:
        date = headers.get("date")
        if not date:
            return
        try:
            server = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError):
            return
        # Date has whole seconds, truncated: half a second is the unbiased correction.
        self.clock_skew_seconds = server + 0.5 - local_midpoint


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _in_flight(reply: Reply) -> bool:
    """409 idempotency-key-in-use: the first try is still running; asking again is safe."""
    return reply.status == 409 and b"idempotency-key-in-use" in reply.body[:2048]
