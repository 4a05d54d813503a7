"""The whole sandbox (``aioke-sandbox``) as a child process, for tests that need real metrics."""

from __future__ import annotations

import itertools
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp

from aioke_cluster.auth.passwords import Passwords
from aioke_cluster.db import Database
from aioke_cluster.users import create_user

_names = itertools.count(1)
STARTUP_SECONDS = 150


@dataclass
class SandboxUser:
    name: str
    password: str
    totp_secret: str


@dataclass
class Sandbox:
    workdir: Path
    process: subprocess.Popen[bytes]
    status: dict[str, Any]
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def api(self) -> str:
        return self.status["control_plane_url"] + "/api/v1"

    @property
    def prometheus_url(self) -> str:
        return str(self.status["prometheus_url"])

    @property
    def alertmanager_url(self) -> str:
        return str(self.status["alertmanager_url"])

    def reload_status(self) -> dict[str, Any]:
        self.status = json.loads((self.workdir / "status.json").read_text())
        return self.status

    def new_user(self, *roles: str) -> SandboxUser:
        """A user of its own, so tests never wait for one another's TOTP steps."""
        name = f"tester{next(_names)}-{secrets.token_hex(3)}"
        password = secrets.token_urlsafe(16)
        db = Database(self.workdir / "cluster.db")
        try:
            with db.write() as conn:
                _, secret = create_user(
                    conn, Passwords(), name=name, password=password, roles=list(roles),
                    now=time.time(), enrolled=True,
                )  # fmt: skip
        finally:
            db.close()
        assert secret is not None
        return SandboxUser(name, password, secret)

    def login(self, user: SandboxUser) -> httpx.Client:
        reply = httpx.post(
            f"{self.api}/auth/login",
            json={
                "username": user.name,
                "password": user.password,
                "totp": pyotp.TOTP(user.totp_secret).now(),
            },
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        client = httpx.Client(
            base_url=self.api,
            timeout=30,
            headers={"Authorization": f"Bearer {reply.json()['access_token']}"},
        )
        self.clients.append(client)
        return client

    def operator(self, *roles: str, step_up: bool = False) -> httpx.Client:
        """A logged-in client for a fresh user; stepped up with the next step's code."""
        user = self.new_user(*roles)
        client = self.login(user)
        if step_up:
            # The login spent this step's code; the next step's is inside the ±1 window.
            code = pyotp.TOTP(user.totp_secret).at(time.time() + 30)
            reply = client.post("/auth/step-up", json={"totp": code})
            assert reply.status_code == 200, reply.text
        return client

    def query(self, expr: str) -> list[dict[str, Any]]:
        reply = httpx.get(f"{self.prometheus_url}/api/v1/query", params={"query": expr}, timeout=10)
        reply.raise_for_status()
        result: list[dict[str, Any]] = reply.json()["data"]["result"]
        return result

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float = 90) -> Any:
        """Poll ``check`` until it returns something truthy (the cluster moves on its own)."""
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found:
                return found
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(1)

    def close(self) -> None:
        for client in self.clients:
            client.close()


@contextmanager
def running_sandbox(workdir: Path, history_days: float = 1.0) -> Iterator[Sandbox]:
    status_file = workdir / "status.json"
    log = (workdir.parent / f"{workdir.name}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aioke_cluster.sandbox.main",
            "--workdir",
            str(workdir),
            "--history-days",
            str(history_days),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not status_file.exists():
            assert process.poll() is None, f"aioke-sandbox exited; see {log.name}"
            assert time.monotonic() < deadline, f"aioke-sandbox not ready; see {log.name}"
            time.sleep(0.5)
        sandbox = Sandbox(workdir, process, json.loads(status_file.read_text()))
        yield sandbox
        sandbox.close()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
