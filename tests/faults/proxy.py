"""A fault-injecting HTTP/1.1 proxy for tests, on 127.0.0.1 only.

It sits between one desktop client and ONE upstream server and misbehaves on request:
refuses connections, hangs, drips, resets mid-response, drops a response after the
server acted, answers 5xx bursts, returns a given body (malformed JSON, HTML, truncated),
declares a huge body or streams an endless chunked one, and shifts the ``Date`` header.

    with FaultProxy(upstream=cluster.url) as proxy:
        client = ClusterClient(proxy.url, ...)
        proxy.set(Fault.drop_after_upstream(probability=0.5, seed=1))
        ...
        proxy.clear()

Threads, blocking sockets: one thread accepts, one thread serves each client connection
(keep-alive on the client side). Every request goes to the upstream on a new connection
with ``Connection: close``, and the whole answer is read before the fault decides what the
client sees, so "the server acted" is true whenever a request was forwarded. Every wait
(hang, drip, endless body) ends when the proxy closes.
"""

from __future__ import annotations

import contextlib
import email.utils
import random
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, BinaryIO, NamedTuple
from urllib.parse import urlsplit

import httpx

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_FILLER = b"0" * 65536
GIB = 1 << 30


class SeenRequest(NamedTuple):
    """A request as the proxy received it (headers are case-insensitive)."""

    method: str
    path: str
    headers: httpx.Headers


class Outcome(NamedTuple):
    """What the proxy did with one request: ``forwarded``, ``dropped``, ``reset``, …"""

    method: str
    path: str
    outcome: str


@dataclass
class ProxyStats:
    """Counters of what the proxy did; read as ``stats.dropped`` or ``stats["dropped"]``."""

    connections: int = 0
    requests: int = 0
    forwarded: int = 0  # reached the upstream (whatever the client then saw)
    passed: int = 0  # upstream answer delivered unchanged (apart from framing)
    dropped: int = 0
    reset: int = 0
    refused: int = 0
    hung: int = 0
    dripped: int = 0
    burst: int = 0
    body: int = 0
    huge: int = 0
    endless: int = 0
    clock_shifted: int = 0
    streamed_bytes: int = 0  # filler sent by huge and endless bodies

    def __getitem__(self, name: str) -> int:
        return int(getattr(self, name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Fault:
    """One misbehaviour. Build with the class methods; narrow with :meth:`where`.

    ``probability`` and ``seed`` make a fault fire on a repeatable random subset of
    requests; ``times`` limits how many requests it fires on (then it is spent).
    """

    kind: str
    probability: float = 1.0
    seed: int | None = None
    times: int | None = None
    seconds: float = 0.0
    rate: int = 0
    status: int = 200
    content: bytes = b""
    content_type: str = "application/json"
    declared_length: int | None = None
    method: str | None = None
    path_prefix: str | None = None
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _fired: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    # -- builders ---------------------------------------------------------------------
    @classmethod
    def refuse(cls) -> Fault:
        """Close the listening socket: connecting gets ECONNREFUSED until ``clear()``."""
        return cls("refuse")

    @classmethod
    def hang(cls, seconds: float, **kw: Any) -> Fault:
        """Read the request, answer nothing for ``seconds`` (or until close), then close."""
        return cls("hang", seconds=seconds, **kw)

    @classmethod
    def drip(cls, bytes_per_second: int, **kw: Any) -> Fault:
        """Forward, then send the whole answer (headers too) at ``bytes_per_second``."""
        return cls("drip", rate=bytes_per_second, **kw)

    @classmethod
    def reset_mid_response(
        cls, probability: float = 1.0, seed: int | None = None, **kw: Any
    ) -> Fault:
        """Forward, send the headers and half the body (half the headers when it has none),
        then RST (SO_LINGER 0): the client never gets a whole answer."""
        return cls("reset", probability=probability, seed=seed, **kw)

    @classmethod
    def drop_after_upstream(
        cls, probability: float = 1.0, seed: int | None = None, **kw: Any
    ) -> Fault:
        """Forward, read the whole upstream answer, then close without sending a byte."""
        return cls("drop", probability=probability, seed=seed, **kw)

    @classmethod
    def status_burst(cls, status: int = 503, count: int = 1, **kw: Any) -> Fault:
        """Answer the next ``count`` requests with ``status`` without forwarding them."""
        body = b'{"detail": "%s"}' % _REASONS.get(status, "Error").encode()
        return cls("burst", status=status, times=count, content=body, **kw)

    @classmethod
    def body(
        cls,
        content: bytes,
        status: int = 200,
        content_type: str = "application/json",
        declared_length: int | None = None,
        **kw: Any,
    ) -> Fault:
        """Answer with ``content`` without forwarding.

        ``declared_length`` larger than the content sends a truncated body: the header
        promises more, the proxy closes after ``content``.
        """
        return cls(
            "body",
            status=status,
            content=content,
            content_type=content_type,
            declared_length=declared_length,
            **kw,
        )

    @classmethod
    def html_error(cls, status: int = 502, **kw: Any) -> Fault:
        """An nginx-style HTML error page."""
        reason = _REASONS.get(status, "Error")
        page = (
            f"<html><head><title>{status} {reason}</title></head>"
            f"<body><h1>{reason}</h1></body></html>"
        )
        return cls.body(page.encode(), status=status, content_type="text/html", **kw)

    @classmethod
    def huge_body(
        cls, declared_length: int = GIB, content_type: str = "application/json", **kw: Any
    ) -> Fault:
        """Declare ``Content-Length: declared_length`` and stream filler until the client quits."""
        return cls("huge", declared_length=declared_length, content_type=content_type, **kw)

    @classmethod
    def endless_chunked(cls, content_type: str = "application/json", **kw: Any) -> Fault:
        """``Transfer-Encoding: chunked`` with chunks that never end (until the client quits)."""
        return cls("endless", content_type=content_type, **kw)

    @classmethod
    def clock_shift(cls, seconds: float, **kw: Any) -> Fault:
        """Forward, and rewrite the upstream's ``Date`` header by ``seconds`` (±)."""
        return cls("clock", seconds=seconds, **kw)

    def where(self, method: str | None = None, path_prefix: str | None = None) -> Fault:
        """Fire only on requests with this method and/or whose path starts with the prefix."""
        self.method = method.upper() if method else None
        self.path_prefix = path_prefix
        return self

    # -- decision ---------------------------------------------------------------------
    def _fires(self, method: str, path: str) -> bool:
        if self.method and method != self.method:
            return False
        if self.path_prefix and not path.startswith(self.path_prefix):
            return False
        if self.times is not None and self._fired >= self.times:
            return False
        if self.probability < 1.0 and self._rng.random() >= self.probability:
            return False
        self._fired += 1
        return True


class _Response(NamedTuple):
    status_line: bytes
    headers: list[tuple[str, str]]
    body: bytes


class FaultProxy:
    """A loopback HTTP/1.1 proxy in front of one upstream; a context manager.

    Attributes:
        url: where the client should connect instead of the upstream.
        stats: counters of what was done (:class:`ProxyStats`).
        requests: every request received, as ``(method, path, headers)``.
        outcomes: ``(method, path, outcome)`` for every request, in order.
    """

    def __init__(self, upstream: str, port: int = 0) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self._prefix = parts.path.rstrip("/")
        self._requested_port = port
        self.port = 0
        self.stats = ProxyStats()
        self.requests: list[SeenRequest] = []
        self.outcomes: list[Outcome] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self._prefix}"

    # -- lifecycle --------------------------------------------------------------------
    def __enter__(self) -> FaultProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self._open_listener(self._requested_port)

    def close(self) -> None:
        self._stop.set()
        self._close_listener()
        self._drop_connections()
        for thread in list(self._threads):
            thread.join(timeout=5)

    # -- faults -----------------------------------------------------------------------
    def set(self, *faults: Fault) -> None:
        """Replace the active faults; the first that fires on a request decides it."""
        with self._lock:
            self._faults = list(faults)
        self._apply_refuse()

    def add(self, fault: Fault) -> None:
        """Add a fault after the active ones."""
        with self._lock:
            self._faults.append(fault)
        self._apply_refuse()

    def clear(self) -> None:
        """Back to a plain pass-through proxy (reopens the port after ``refuse``)."""
        self.set()

    def _apply_refuse(self) -> None:
        with self._lock:
            refusing = any(f.kind == "refuse" for f in self._faults)
        if refusing and self._listener is not None:
            self._close_listener()
            self._drop_connections()
            with self._lock:
                self.stats.refused += 1
        elif not refusing and self._listener is None and not self._stop.is_set():
            self._open_listener(self.port)

    def _choose(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.kind != "refuse" and fault._fires(method, path):
                    return fault
        return None

    # -- sockets ----------------------------------------------------------------------
    def _open_listener(self, port: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self._listener = sock
        thread = threading.Thread(
            target=self._accept, args=(sock,), name="fault-proxy-accept", daemon=True
        )
        self._accept_thread = thread
        self._threads.append(thread)
        thread.start()

    def _close_listener(self) -> None:
        sock, self._listener = self._listener, None
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        if (
            self._accept_thread is not None
            and self._accept_thread is not threading.current_thread()
        ):
            self._accept_thread.join(timeout=5)

    def _drop_connections(self) -> None:
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conns.add(conn)
                self.stats.connections += 1
                self._threads = [t for t in self._threads if t.is_alive()]
            thread = threading.Thread(
                target=self._serve, args=(conn,), name="fault-proxy-conn", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    # -- one client connection ----------------------------------------------------------
    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while not self._stop.is_set():
                request = _read_request(reader)
                if request is None:
                    return
                method, target, headers, body = request
                with self._lock:
                    self.requests.append(SeenRequest(method, target, headers))
                    self.stats.requests += 1
                keep = self._handle(conn, method, target, headers, body)
                if not keep or headers.get("connection", "").lower() == "close":
                    return
        except (OSError, ValueError, IndexError):  # a peer that hung up or spoke nonsense
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            reader.close()
            with contextlib.suppress(OSError):
                conn.close()

    def _count(self, method: str, path: str, outcome: str) -> None:
        with self._lock:
            setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
            self.outcomes.append(Outcome(method, path, outcome))

    def _handle(
        self, conn: socket.socket, method: str, path: str, headers: httpx.Headers, body: bytes
    ) -> bool:
        """Serve one request; return whether the connection stays open."""
        fault = self._choose(method, path)
        kind = fault.kind if fault else "pass"
        if fault is not None and kind == "hang":
            self._count(method, path, "hung")
            self._stop.wait(fault.seconds)
            return False
        if fault is not None and kind in ("burst", "body"):
            self._count(method, path, kind)
            return _send_canned(conn, fault)
        if fault is not None and kind == "huge":
            self._count(method, path, "huge")
            self._send_huge(conn, fault)
            return False
        if fault is not None and kind == "endless":
            self._count(method, path, "endless")
            self._send_endless(conn, fault)
            return False

        answer = self._forward(method, path, headers, body)
        with self._lock:
            self.stats.forwarded += 1
        if fault is not None and kind == "drop":
            self._count(method, path, "dropped")
            return False
        if fault is not None and kind == "clock":
            answer = _shift_date(answer, fault.seconds)
            self._count(method, path, "clock_shifted")
        head, payload = _frame(answer, head_only=method == "HEAD")
        if fault is not None and kind == "reset":
            self._count(method, path, "reset")
            # Never a whole answer: half the body, or half the headers when there is none.
            cut = len(head) + len(payload) // 2 if payload else len(head) // 2
            conn.sendall((head + payload)[:cut])
            _rst(conn)
            return False
        if fault is not None and kind == "drip":
            self._count(method, path, "dripped")
            return self._drip(conn, head + payload, fault.rate)
        if kind == "pass":
            self._count(method, path, "passed")
        conn.sendall(head + payload)
        return True

    def _forward(self, method: str, path: str, headers: httpx.Headers, body: bytes) -> _Response:
        upstream = socket.create_connection((self.upstream_host, self.upstream_port), timeout=60)
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            lines = [
                f"{method} {path} HTTP/1.1",
                f"Host: {self.upstream_host}:{self.upstream_port}",
            ]
            for name, value in headers.multi_items():
                if name.lower() not in _HOP_BY_HOP and name.lower() != "host":
                    lines.append(f"{name}: {value}")
            lines += [f"Content-Length: {len(body)}", "Connection: close"]
            upstream.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            reader = upstream.makefile("rb")
            try:
                return _read_response(reader, head_only=method == "HEAD")
            finally:
                reader.close()
        finally:
            upstream.close()

    def _drip(self, conn: socket.socket, data: bytes, rate: int) -> bool:
        step = max(1, rate // 20)
        for start in range(0, len(data), step):
            if self._stop.wait(step / rate):
                return False
            conn.sendall(data[start : start + step])
        return True

    def _send_huge(self, conn: socket.socket, fault: Fault) -> None:
        declared = fault.declared_length or GIB
        conn.sendall(_head(200, [("Content-Type", fault.content_type)], declared))
        sent = 0
        while sent < declared and not self._stop.is_set():
            chunk = _FILLER[: min(len(_FILLER), declared - sent)]
            conn.sendall(chunk)
            sent += len(chunk)
            self.stats.streamed_bytes += len(chunk)

    def _send_endless(self, conn: socket.socket, fault: Fault) -> None:
        head = _head(
            200, [("Content-Type", fault.content_type), ("Transfer-Encoding", "chunked")], None
        )
        conn.sendall(head)
        chunk = b"%x\r\n%s\r\n" % (len(_FILLER), _FILLER)
        while not self._stop.is_set():
            conn.sendall(chunk)
            self.stats.streamed_bytes += len(_FILLER)


# -- HTTP/1.1 plumbing ---------------------------------------------------------------------
def _read_headers(reader: BinaryIO) -> tuple[bytes, httpx.Headers] | None:
    first = reader.readline(65536)
    while first in (b"\r\n", b"\n"):
        first = reader.readline(65536)
    if not first:
        return None
    headers = httpx.Headers()
    while True:
        line = reader.readline(65536)
        if not line:
            raise ValueError("connection closed inside the headers")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip()] = value.strip()
    return first.rstrip(b"\r\n"), headers


def _read_body(reader: BinaryIO, headers: httpx.Headers, until_close: bool) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return b"".join(_chunks(reader))
    if "content-length" in headers:
        length = int(headers["content-length"])
        data = reader.read(length)
        if len(data) != length:
            raise ValueError("body shorter than its Content-Length")
        return data
    return reader.read() if until_close else b""


def _chunks(reader: BinaryIO) -> Iterator[bytes]:
    while True:
        size = int(reader.readline(1024).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while reader.readline(65536) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return
        yield reader.read(size)
        reader.readline(16)


def _read_request(reader: BinaryIO) -> tuple[str, str, httpx.Headers, bytes] | None:
    head = _read_headers(reader)
    if head is None:
        return None
    line, headers = head
    method, target, _ = line.decode("latin-1").split(" ", 2)
    return method.upper(), target, headers, _read_body(reader, headers, until_close=False)


def _read_response(reader: BinaryIO, head_only: bool) -> _Response:
    head = _read_headers(reader)
    if head is None:
        raise ValueError("upstream closed without an answer")
    line, headers = head
    status = int(line.split(b" ")[1])
    no_body = head_only or status in (204, 304) or 100 <= status < 200
    body = b"" if no_body else _read_body(reader, headers, until_close=True)
    return _Response(line, list(headers.multi_items()), body)


def _frame(answer: _Response, head_only: bool) -> tuple[bytes, bytes]:
    """The answer re-framed for a keep-alive client: Content-Length, no hop-by-hop headers."""
    lines = [answer.status_line.decode("latin-1")]
    lines += [f"{k}: {v}" for k, v in answer.headers if k.lower() not in _HOP_BY_HOP]
    if not head_only:
        lines.append(f"Content-Length: {len(answer.body)}")
    else:
        lines += [f"{k}: {v}" for k, v in answer.headers if k.lower() == "content-length"]
    lines.append("Connection: keep-alive")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), b"" if head_only else answer.body


def _head(status: int, headers: list[tuple[str, str]], length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
    lines.append("Date: " + email.utils.formatdate(usegmt=True))
    lines += [f"{k}: {v}" for k, v in headers]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _send_canned(conn: socket.socket, fault: Fault) -> bool:
    declared = fault.declared_length
    truncated = declared is not None and declared > len(fault.content)
    length = declared if declared is not None else len(fault.content)
    conn.sendall(
        _head(fault.status, [("Content-Type", fault.content_type)], length) + fault.content
    )
    return not truncated


def _shift_date(answer: _Response, seconds: float) -> _Response:
    headers = [(k, v) for k, v in answer.headers if k.lower() != "date"]
    dates = [v for k, v in answer.headers if k.lower() == "date"]
    base = email.utils.parsedate_to_datetime(dates[0]).timestamp() if dates else None
    when = (base if base is not None else time.time()) + seconds
    headers.append(("Date", email.utils.formatdate(when, usegmt=True)))
    return answer._replace(headers=headers)


def _rst(conn: socket.socket) -> None:
    """Make the coming close an RST (the peer sees ECONNRESET, not a clean end)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
