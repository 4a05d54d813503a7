"""The HTTP transport every client uses: verified TLS, and the request budget enforced.

It is httpx's own transport design (an httpcore connection pool behind
:class:`httpx.BaseTransport`) with one change: the pool's sockets come from
:class:`~aioke_desktop.api.budget.DeadlineBackend`, and each response body is cut off at the
budget's size cap while it streams, including bodies httpx reads by itself (a 401 before a
token refresh).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from ..core.contexts import TlsSettings
from .budget import DeadlineBackend, current_budget
from .errors import BadAddress, ResponseTooLarge

_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.TimeoutException, httpx.TimeoutException),
)


@contextmanager
def _as_httpx(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core_type, httpx_type in _EXCEPTIONS:
            if isinstance(exc, core_type):
                raise httpx_type(str(exc), request=request) from exc
        raise


def ssl_context(tls: TlsSettings) -> ssl.SSLContext:
    """Verification always on, trusting ``ca_bundle`` alone when given (as kubectl does);
    off only when the context explicitly opts in with ``insecure_skip_tls_verify``."""
    try:
        context = ssl.create_default_context(cafile=tls.ca_bundle)
        if tls.client_cert:
            context.load_cert_chain(tls.client_cert, tls.client_key)
    except (OSError, ssl.SSLError) as exc:
        raise BadAddress(f"The context's TLS files could not be loaded: {exc}.") from exc
    if tls.insecure_skip_tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class _CappedStream(httpx.SyncByteStream):
    def __init__(self, request: httpx.Request, inner: Any, max_bytes: int | None) -> None:
        self._request = request
        self._inner = inner
        self._max_bytes = max_bytes

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        with _as_httpx(self._request):
            for part in self._inner:
                seen += len(part)
                if self._max_bytes is not None and seen > self._max_bytes:
                    raise ResponseTooLarge(
                        f"The answer from {self._request.url.host} passed "
                        f"{self._max_bytes // 1024} KiB, so it was cut off."
                    )
                yield part

    def close(self) -> None:
        if hasattr(self._inner, "close"):
            self._inner.close()


class DeadlineTransport(httpx.BaseTransport):
    """An HTTP/1.1 transport that honours the current :func:`request_budget`.

    Args:
        tls: how to verify servers and present a client certificate.
        max_connections: connections kept per transport.
    """

    def __init__(self, tls: TlsSettings | None = None, *, max_connections: int = 20) -> None:
        self._backend = DeadlineBackend()
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context(tls or TlsSettings()),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
            network_backend=self._backend,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        budget = current_budget()
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx(request):
            response = self._pool.handle_request(core_request)
        max_bytes = None if budget is None else budget.max_bytes
        length = _content_length(response.headers)
        if max_bytes is not None and length is not None and length > max_bytes:
            response.close()
            raise ResponseTooLarge(
                f"The answer from {request.url.host} would be {length // 1024} KiB, "
                f"more than the {max_bytes // 1024} KiB allowed, so it was not read."
            )
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_CappedStream(request, response.stream, max_bytes),
            extensions=response.extensions,
        )

    def close(self) -> None:
        """Close the pool and end requests still under way (a long poll) at once."""
        self._backend.abort()
        self._pool.close()


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
