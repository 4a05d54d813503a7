"""A real control plane on 127.0.0.1 for tests: uvicorn in a thread, as httpx's own tests do."""

from __future__ import annotations

import itertools
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
import uvicorn

from aioke_cluster.app import create_app
from aioke_cluster.clock import OffsetClock
from aioke_cluster.resources import runbooks_dir, slos_dir
from aioke_cluster.services import Settings
from aioke_cluster.users import create_user

_names = itertools.count(1)


@dataclass
class TestUser:
    __test__ = False  # a test fixture, not a test class

    name: str
    password: str
    roles: tuple[str, ...]
    totp_secret: str | None


class UserClient(httpx.Client):
    """An httpx client logged in as ``user``."""

    user: TestUser
    refresh_token: str


@dataclass
class Cluster:
    url: str
    db_path: Path
    clock: OffsetClock
    app: Any
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def api(self) -> str:
        return self.url + "/api/v1"

    def client(self, **kwargs: Any) -> httpx.Client:
        client = httpx.Client(base_url=self.api, timeout=30, **kwargs)
        self.clients.append(client)
        return client

    def new_user(self, *roles: str, enrolled: bool = True) -> TestUser:
        name = f"user{next(_names)}-{'-'.join(roles) or 'none'}"
        password = secrets.token_urlsafe(16)
        services = self.app.state.services
        with services.db.write() as conn:
            _, secret = create_user(
                conn,
                services.passwords,
                name=name,
                password=password,
                roles=list(roles),
                now=self.clock.now(),
                enrolled=enrolled,
            )
        return TestUser(name, password, roles, secret)

    def code(self, user: TestUser, offset: float = 0.0) -> str:
        assert user.totp_secret
        return pyotp.TOTP(user.totp_secret).at(self.clock.now() + offset)

    def next_step(self) -> None:
        """Move the server's clock to the next TOTP step, so a fresh code is accepted."""
        self.clock.advance(30)

    def login(self, user: TestUser) -> UserClient:
        reply = httpx.post(
            f"{self.api}/auth/login",
            json={"username": user.name, "password": user.password, "totp": self.code(user)},
        )
        assert reply.status_code == 200, reply.text
        tokens = reply.json()
        client = UserClient(
            base_url=self.api,
            timeout=30,
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        client.user = user
        client.refresh_token = tokens["refresh_token"]
        self.clients.append(client)
        return client

    def user(self, *roles: str) -> UserClient:
        return self.login(self.new_user(*roles))

    def step_up(self, client: UserClient) -> None:
        self.next_step()
        reply = client.post("/auth/step-up", json={"totp": self.code(client.user)})
        assert reply.status_code == 200, reply.text

    def sql(self) -> sqlite3.Connection:
        """A raw connection to the database, as an attacker with file access would have."""
        conn = sqlite3.connect(self.db_path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    def close(self) -> None:
        for client in self.clients:
            client.close()


@contextmanager
def running_cluster(db_path: Path, **app_kwargs: Any) -> Iterator[Cluster]:
    clock = app_kwargs.pop("clock", None) or OffsetClock()
    app_kwargs.setdefault("settings", Settings(runbooks_dir=runbooks_dir(), slos_dir=slos_dir()))
    app = create_app(db_path, clock=clock, **app_kwargs)
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on such sockets, and without it
    # Nagle's algorithm and delayed ACKs add 40 ms to every response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the control plane did not start"
        time.sleep(0.01)
    port = sock.getsockname()[1]
    cluster = Cluster(f"http://127.0.0.1:{port}", db_path, clock, app)
    try:
        yield cluster
    finally:
        cluster.close()
        server.should_exit = True
        thread.join(10)
        sock.close()
