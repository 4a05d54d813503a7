"""An overall deadline and a size cap for one request, enforced down at the socket.

httpx's timeouts apply to each read: a server that sends one byte a second never trips a
3 s read timeout. :func:`request_budget` sets a deadline for everything the current thread
sends until it leaves the block; :class:`DeadlineBackend` gives every connect, TLS handshake,
write and read only the time left, so headers or a body dripped byte by byte stop at the
deadline, whichever phase the server stalls in.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore


@dataclass(frozen=True)
class Budget:
    """The monotonic deadline and the largest body allowed for the current request."""

    deadline: float
    max_bytes: int

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


_budget: ContextVar[Budget | None] = ContextVar("aioke_request_budget", default=None)


@contextmanager
def request_budget(seconds: float, max_bytes: int) -> Iterator[Budget]:
    """Everything sent in this block shares one deadline, ``seconds`` from now."""
    budget = Budget(time.monotonic() + seconds, max_bytes)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def current_budget() -> Budget | None:
    return _budget.get()


def _clip(timeout: float | None, expired: type[Exception]) -> float | None:
    budget = _budget.get()
    if budget is None:
        return timeout
    left = budget.remaining()
    if left <= 0:
        raise expired("the request's overall deadline passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every operation ends by the current request's deadline."""

    def __init__(
        self,
        inner: httpcore.NetworkStream,
        track: Callable[[DeadlineStream], DeadlineStream] | None = None,
    ) -> None:
        self._inner = inner
        self._track = track or (lambda stream: stream)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clip(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clip(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        clipped = _clip(timeout, httpcore.ConnectTimeout)
        inner = self._inner.start_tls(ssl_context, server_hostname, clipped)
        return self._track(DeadlineStream(inner, self._track))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with :class:`DeadlineStream` streams.

    Name resolution inside ``connect_tcp`` cannot be interrupted; everything after it can.
    """

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()
        self._open: weakref.WeakSet[DeadlineStream] = weakref.WeakSet()
        self._lock = threading.Lock()

    def _track(self, stream: DeadlineStream) -> DeadlineStream:
        with self._lock:
            self._open.add(stream)
        return stream

    def abort(self) -> None:
        """End every read or write under way on this backend's sockets, from any thread.

        Closing a socket does not wake a thread blocked reading it; shutting it down does.
        Without this, a long poll outlives the connection it belonged to (a logout, a
        context switch, quitting) until the server answers.
        """
        with self._lock:
            streams = list(self._open)
        for stream in streams:
            sock = stream.get_extra_info("socket")
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        clipped = _clip(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, clipped, local_address, socket_options)
        return self._track(DeadlineStream(stream, self._track))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        clipped = _clip(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_unix_socket(path, clipped, socket_options)
        return self._track(DeadlineStream(stream, self._track))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
