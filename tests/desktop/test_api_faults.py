"""Servers that misbehave on purpose: dripping bytes, hanging, answering forever.

A real server cannot drip on demand, so these are tiny socket servers on 127.0.0.1 written
for the test. Every client (control plane, Prometheus, Alertmanager) must give up at its
overall deadline or its size cap, whatever phase the server stalls in.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from aioke_desktop.api.alertmanager import AlertmanagerClient
from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.errors import ConnectionFailed, ResponseTooLarge, Timeout
from aioke_desktop.api.http import HttpEndpoint, HttpPolicy
from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.core.contexts import Context

DEADLINE = 1.0
CAP = 1024 * 1024
HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


class MisbehavingServer:
    """A loopback server that answers every request with ``behaviour(conn, server)``."""

    def __init__(self, behaviour: Callable[[socket.socket, MisbehavingServer], None]) -> None:
        self.behaviour = behaviour
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.stopping = threading.Event()
        self.connections = 0
        self.bytes_sent = 0
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept)
        self._accepting.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            worker = threading.Thread(target=self._handle, args=(conn,))
            self._threads.append(worker)
            worker.start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                request += chunk
            with contextlib.suppress(OSError):  # the client hung up: what the tests want
                self.behaviour(conn, self)

    def send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        self.bytes_sent += len(data)

    def pause(self, seconds: float) -> None:
        if self.stopping.wait(seconds):
            raise OSError("server stopping")

    def close(self) -> None:
        self.stopping.set()
        self._accepting.join(5)
        for worker in self._threads:
            worker.join(5)
        self.listener.close()


def drip_body(conn: socket.socket, server: MisbehavingServer) -> None:
    server.send(conn, HEADERS + b"Content-Length: 100000\r\n\r\n")
    while True:
        server.send(conn, b" ")
        server.pause(0.05)


def drip_everything(conn: socket.socket, server: MisbehavingServer) -> None:
    for byte in HEADERS + b"Content-Length: 2\r\n\r\n{}":
        server.send(conn, bytes([byte]))
        server.pause(0.05)


def hang(conn: socket.socket, server: MisbehavingServer) -> None:
    server.pause(30)


def endless_chunks(conn: socket.socket, server: MisbehavingServer) -> None:
    server.send(conn, HEADERS + b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
    while not server.stopping.is_set():
        server.send(conn, chunk)


def declares_a_gigabyte(conn: socket.socket, server: MisbehavingServer) -> None:
    server.send(conn, HEADERS + b"Content-Length: 1000000000\r\n\r\n")
    server.pause(30)


Behaviour = Callable[[socket.socket, MisbehavingServer], None]
Serve = Callable[[Behaviour], MisbehavingServer]


@pytest.fixture
def serve() -> Iterator[Serve]:
    servers: list[MisbehavingServer] = []

    def start(behaviour: Behaviour) -> MisbehavingServer:
        servers.append(MisbehavingServer(behaviour))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


POLICY = HttpPolicy(deadline_seconds=DEADLINE, max_response_bytes=CAP)


def _elapsed(call: Callable[[], object], error: type[Exception]) -> tuple[float, Exception]:
    started = time.monotonic()
    with pytest.raises(error) as raised:
        call()
    return time.monotonic() - started, raised.value


@pytest.mark.parametrize("behaviour", [drip_body, drip_everything, hang])
def test_a_stalling_server_is_cut_off_at_the_deadline(serve: Serve, behaviour: Behaviour) -> None:
    server = serve(behaviour)
    endpoint = HttpEndpoint(server.url, policy=POLICY)
    with endpoint.client:
        took, error = _elapsed(lambda: endpoint.request("GET", "/"), Timeout)
    assert DEADLINE - 0.05 <= took < DEADLINE + 0.5
    assert "did not answer completely within 1 s" in str(error)
    assert server.connections == 1  # a deadline that passed is not retried


def test_prometheus_dripping_one_byte_at_a_time_is_abandoned_at_the_deadline(serve: Serve) -> None:
    server = serve(drip_everything)
    source = PrometheusSource(server.url, policy=POLICY)
    try:
        took, _ = _elapsed(lambda: source.query("up"), Timeout)
    finally:
        source.close()
    assert DEADLINE - 0.05 <= took < DEADLINE + 0.5


def test_alertmanager_and_the_control_plane_have_the_same_deadline(serve: Serve) -> None:
    server = serve(drip_body)
    alertmanager = AlertmanagerClient(server.url, policy=POLICY)
    cluster = ClusterClient(Context("drip", server.url, server.url), policy=POLICY)
    try:
        took, _ = _elapsed(alertmanager.silences, Timeout)
        assert took < DEADLINE + 0.5
        took, _ = _elapsed(lambda: cluster.login("u", "p", "123456"), Timeout)
        assert took < DEADLINE + 0.5
    finally:
        alertmanager.close()
        cluster.close()


def test_an_endless_body_is_cut_off_at_the_size_cap(serve: Serve) -> None:
    server = serve(endless_chunks)
    endpoint = HttpEndpoint(
        server.url, policy=HttpPolicy(deadline_seconds=10, max_response_bytes=CAP)
    )
    with endpoint.client:
        took, error = _elapsed(lambda: endpoint.request("GET", "/"), ResponseTooLarge)
    assert "cut off" in str(error)
    assert took < 5
    assert server.connections == 1
    # The client stopped reading at the cap; socket buffers hold at most a few MiB more.
    assert server.bytes_sent < CAP + 16 * 1024 * 1024


def test_a_declared_gigabyte_is_refused_before_reading_it(serve: Serve) -> None:
    server = serve(declares_a_gigabyte)
    source = PrometheusSource(
        server.url, policy=HttpPolicy(deadline_seconds=10, max_response_bytes=CAP)
    )
    try:
        took, error = _elapsed(lambda: source.query("up"), ResponseTooLarge)
    finally:
        source.close()
    assert took < 1  # no waiting for a body that will never come
    assert "was not read" in str(error)


def test_closing_a_client_ends_its_long_poll_at_once(serve: Serve) -> None:
    """A logout or a context switch closes the connection: its long poll must end then,
    not when the server finally answers (a blocked read is not woken by closing a socket)."""
    server = serve(hang)
    endpoint = HttpEndpoint(server.url, policy=HttpPolicy(deadline_seconds=20))
    outcome: list[BaseException | None] = []

    def poll() -> None:
        try:
            endpoint.request("GET", "/api/v1/events?wait=25")
            outcome.append(None)
        except BaseException as exc:  # recorded for the assertion below
            outcome.append(exc)

    poller = threading.Thread(target=poll)
    poller.start()
    deadline = time.monotonic() + 5
    while server.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the request is sent and its read blocked
    started = time.monotonic()
    endpoint.client.close()
    poller.join(timeout=5)
    assert not poller.is_alive(), "the poll was still waiting for the server"
    assert time.monotonic() - started < 1.0
    assert isinstance(outcome[0], ConnectionFailed)
    assert server.connections == 1  # a closed client does not retry
