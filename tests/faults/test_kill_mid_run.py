"""kill -9 mid chaos run: a fault ends by its TTL + 5 s whoever dies, and the audit chain holds.

Real processes: the control plane is ``aioke-cluster serve --simulate`` (the simulated
services feel the fault), and the desktop side is a process using the desktop's own
``ClusterClient`` to log in, step up, launch and watch. Each run is a memory fault at 99 %
saturation on its own service, which takes every instance down ("down" in ``/services``): the
fault has ended when the service is healthy again and the run reads ``completed``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from aioke_cluster.app import create_app
from aioke_cluster.auth import sessions
from aioke_cluster.users import create_user

GRACE_SECONDS = 5.0
# (service, TTL in seconds): one run per service, so each fault's effect can be seen alone.
# Spread so that some runs end while the killed control plane is down, some after.
PLAN = (("payments", 8), ("inventory", 10), ("search", 12), ("recommendations", 14), ("auth", 16))

_DESKTOP = """
import json, sys, time, uuid
import pyotp
from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.core.chaos import ChaosLaunch
from aioke_desktop.core.contexts import Context

url, username, plan = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
password, secret = sys.stdin.readline().strip(), sys.stdin.readline().strip()
context = Context(name="lab", control_plane_url=url, prometheus_url="http://127.0.0.1:9",
                  username=username).check()
client = ClusterClient(context)
totp, step = pyotp.TOTP(secret), int(time.time() // 30)
client.login(username, password, totp.at(step * 30))
client.step_up(totp.at((step + 1) * 30))  # the server accepts one step ahead
for target, seconds in plan:
    launch = ChaosLaunch("memory", target, {"saturation": 0.99}, seconds)
    run = client.chaos.launch(launch, idempotency_key=uuid.uuid4().hex)
    print(json.dumps({"id": run.id, "target": target}), flush=True)
after = client.events().head
while True:  # watching the runs, as the chaos page does, until killed
    after = client.events(after=after, wait=30).next_after
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ControlPlane:
    """``aioke-cluster serve --simulate`` on one database and port, killed and restarted."""

    db: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aioke_cluster",
                "serve",
                "--simulate",
                "--db",
                str(self.db),
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, "the control plane exited at start"
            assert time.monotonic() < deadline, "the control plane did not start in 30 s"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


@dataclass
class Operator:
    name: str
    password: str
    secret: str


@pytest.fixture
def control_plane(tmp_path: Path) -> Iterator[tuple[ControlPlane, Operator, httpx.Client]]:
    """A served control plane with a chaos user, and a viewer's API client to watch it."""
    db = tmp_path / "cluster.db"
    services = create_app(db).state.services  # migrates, as `aioke-cluster users add` does
    password = "a long enough chaos password"
    # A viewer API key for watching, written with the user: it outlives every restart and
    # spends none of the TOTP codes the desktop process logs in and steps up with.
    watch_key = sessions.new_api_key()
    with services.db.write() as conn:
        user_id, secret = create_user(
            conn,
            services.passwords,
            name="sre",
            password=password,
            roles=["chaos", "viewer"],
            now=time.time(),
            enrolled=True,
        )
        conn.execute(
            "INSERT INTO api_keys (hash, prefix, user_id, name, roles, created_at) "
            "VALUES (?, ?, ?, 'watcher', '[\"viewer\"]', ?)",
            (sessions.digest(watch_key), watch_key[:13], user_id, time.time()),
        )
    services.db.close()
    assert secret is not None
    plane = ControlPlane(db, _free_port())
    plane.start()
    try:
        with httpx.Client(
            base_url=plane.url + "/api/v1",
            headers={"Authorization": f"Bearer {watch_key}"},
            timeout=10,
        ) as watcher:
            yield plane, Operator("sre", password, secret), watcher
    finally:
        plane.stop()


def _launch_from_desktop(plane: ControlPlane, operator: Operator) -> subprocess.Popen[str]:
    """The desktop process launches the plan's runs and keeps watching them."""
    desktop = subprocess.Popen(
        [sys.executable, "-c", _DESKTOP, plane.url, operator.name, json.dumps(PLAN)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert desktop.stdin is not None
    assert desktop.stdout is not None
    desktop.stdin.write(f"{operator.password}\n{operator.secret}\n")
    desktop.stdin.close()
    return desktop


def _launched(desktop: subprocess.Popen[str]) -> dict[str, str]:
    """Run id per service, as the desktop process reports its launches."""
    assert desktop.stdout is not None
    runs: dict[str, str] = {}
    for _ in PLAN:
        line = desktop.stdout.readline()
        if not line:
            assert desktop.stderr is not None
            pytest.fail(f"the desktop process failed: {desktop.stderr.read()[-2000:]}")
        launched = json.loads(line)
        runs[launched["target"]] = str(launched["id"])
    return runs


def _ends(watcher: httpx.Client, runs: dict[str, str]) -> dict[str, float]:
    """Each service's ``ends_at`` by the server's clock (this machine's: the same host)."""
    from aioke_cluster.clock import parse_iso

    return {
        target: parse_iso(watcher.get(f"/chaos/runs/{run_id}").json()["ends_at"])
        for target, run_id in runs.items()
    }


def _watch_until_faults_end(
    watcher: httpx.Client, runs: dict[str, str], ends: dict[str, float]
) -> dict[str, float]:
    """For each service, how long after its run's ``ends_at`` the fault was last seen on
    (the run ``running`` or the service not healthy); -inf for one never seen on. Fails the
    test unless every run reads ``completed`` with its service healthy by TTL + 5 s.

    While the control plane is down nothing can be seen, and nothing is hurt either: the
    simulated services live in its process.
    """
    last_on = {target: -math.inf for target in runs}
    over: set[str] = set()
    last_seen: dict[str, tuple[str, str]] = {}
    deadline = max(max(ends.values()), time.time()) + GRACE_SECONDS + 1
    while time.time() < deadline and len(over) < len(runs):
        for target, run_id in runs.items():
            with contextlib.suppress(httpx.TransportError):
                state = watcher.get(f"/chaos/runs/{run_id}").json()["state"]
                status = watcher.get(f"/services/{target}").json()["status"]
                seen, last_seen[target] = time.time(), (state, status)
                if state == "running" or status != "healthy":
                    last_on[target] = seen - ends[target]
                    over.discard(target)
                elif state == "completed":
                    over.add(target)
        time.sleep(0.2)
    assert over == set(runs), f"not over by TTL + {GRACE_SECONDS:g} s: {last_seen}"
    return last_on


def _chain_verifies(watcher: httpx.Client) -> None:
    verified = watcher.get("/audit/verify").json()
    assert verified["ok"], verified


def test_a_desktop_killed_mid_run_leaves_no_fault_past_its_ttl(
    control_plane: tuple[ControlPlane, Operator, httpx.Client],
) -> None:
    plane, operator, watcher = control_plane
    desktop = _launch_from_desktop(plane, operator)
    try:
        runs = _launched(desktop)
        ends = _ends(watcher, runs)
        os.kill(desktop.pid, signal.SIGKILL)  # mid run, while it long-polls the feed
        assert desktop.wait(10) == -signal.SIGKILL
    finally:
        desktop.kill()
        desktop.wait(10)
    last_on = _watch_until_faults_end(watcher, runs, ends)
    assert min(last_on.values()) > -math.inf, last_on  # each fault did hurt its service
    assert max(last_on.values()) <= GRACE_SECONDS, last_on
    _chain_verifies(watcher)
    print("ended after TTL by (s):", {t: round(s, 2) for t, s in last_on.items()})


def test_a_control_plane_killed_and_restarted_mid_run_ends_every_fault_by_its_ttl(
    control_plane: tuple[ControlPlane, Operator, httpx.Client],
) -> None:
    plane, operator, watcher = control_plane
    desktop = _launch_from_desktop(plane, operator)
    try:
        runs = _launched(desktop)
        ends = _ends(watcher, runs)
        plane.kill()  # mid run: every fault on
        plane.start()  # the same database and port; the shorter runs end while it is down
    finally:
        desktop.kill()
        desktop.wait(10)
    last_on = _watch_until_faults_end(watcher, runs, ends)
    assert max(last_on.values()) <= GRACE_SECONDS, last_on
    _chain_verifies(watcher)
    print("ended after TTL by (s):", {t: round(s, 2) for t, s in last_on.items()})
