"""Crash injection around 1,000 random actions: exactly one audit row per committed action.

An action's change, its audit row, its event and its idempotency record share one SQLite
transaction (``Action.run``). These tests break that transaction at random points and then
compare what the database holds with what the audit log says:

* in-process, an exception is raised with a seeded probability after the resource was
  written but before its audit row, right after the audit row, or after the whole change
  just before the commit (the server answers 500);
* in a real server process, ``os._exit`` at the same points (a hard crash: no rollback
  code runs, SQLite's WAL recovery must throw the half-written transaction away).
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import random
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from aioke_cluster import actions, audit
from harness import Cluster, running_cluster

SEED = 20261126
ACTIONS = 1000


class InjectedCrashError(RuntimeError):
    """A failure the test put inside the action's transaction."""


@dataclass
class Injector:
    """Raises at the transaction's crash points with a seeded probability."""

    probability: float
    rng: random.Random
    hits: collections.Counter[str] = field(default_factory=collections.Counter)

    def maybe(self, point: str) -> None:
        if self.rng.random() < self.probability:
            self.hits[point] += 1
            raise InjectedCrashError(point)


@contextlib.contextmanager
def crash_points(monkeypatch: pytest.MonkeyPatch, injector: Injector) -> Iterator[None]:
    real_append, real_respond = audit.append, actions._respond

    def append(*args: Any, **kwargs: Any) -> audit.AuditEntry:
        injector.maybe("after the change, before its audit row")
        entry = real_append(*args, **kwargs)
        injector.maybe("after the audit row, before its event")
        return entry

    def respond(outcome: actions.Outcome) -> Any:
        injector.maybe("after the whole change, before the commit")
        return real_respond(outcome)

    with monkeypatch.context() as patch:
        patch.setattr(audit, "append", append)
        patch.setattr(actions, "_respond", respond)
        yield


@dataclass
class Flag:
    etag: str
    rollout: int
    archived: bool = False


@dataclass
class Operator:
    """Sends random actions and remembers what each request was answered."""

    client: httpx.Client
    rng: random.Random
    prefix: str
    with_api_keys: bool = True  # an API key cannot make API keys
    flags: dict[str, Flag] = field(default_factory=dict)
    api_keys: list[int] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)  # request id -> status (0: no answer)
    made: int = 0

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id, **kwargs.pop("headers", {})}
        try:
            reply = self.client.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError:
            self.answers[request_id] = 0
            return None
        self.answers[request_id] = reply.status_code
        return reply

    def random_action(self) -> None:
        live = [k for k, f in self.flags.items() if not f.archived]
        roll = self.rng.random()
        if roll < 0.3 or not live:
            self.create_flag()
        elif roll < 0.85:
            self.update_flag(self.rng.choice(live))
        elif roll < 0.9 or not self.with_api_keys:
            self.archive_flag(self.rng.choice(live))
        elif roll < 0.95 or not self.api_keys:
            self.create_api_key()
        else:
            self.revoke_api_key(self.api_keys.pop(self.rng.randrange(len(self.api_keys))))

    def create_flag(self) -> None:
        self.made += 1
        key = f"{self.prefix}-{self.made}"
        idempotency = {"Idempotency-Key": uuid.uuid4().hex}
        for _attempt in range(4):  # a failed create is retried with the same key
            reply = self.send("POST", "/flags", json={"key": key}, headers=idempotency)
            if reply is not None and reply.status_code == 201:
                self.flags[key] = Flag(reply.headers["etag"], reply.json()["rollout_percentage"])
                return

    def update_flag(self, key: str) -> None:
        flag = self.flags[key]
        rollout = self.rng.choice([r for r in (0, 10, 25, 50, 75, 100) if r != flag.rollout])
        reply = self.send(
            "PATCH",
            f"/flags/{key}",
            json={"rollout_percentage": rollout},
            headers={"If-Match": flag.etag},
        )
        if reply is not None and reply.status_code == 200:
            flag.etag, flag.rollout = reply.headers["etag"], rollout

    def archive_flag(self, key: str) -> None:
        flag = self.flags[key]
        reply = self.send("DELETE", f"/flags/{key}", headers={"If-Match": flag.etag})
        if reply is not None and reply.status_code == 200:
            flag.etag, flag.archived = reply.headers["etag"], True

    def create_api_key(self) -> None:
        reply = self.send(
            "POST",
            "/api-keys",
            json={"name": f"key-{len(self.answers)}", "roles": ["viewer"]},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if reply is not None and reply.status_code == 201:
            self.api_keys.append(reply.json()["id"])

    def revoke_api_key(self, key_id: int) -> None:
        self.send("DELETE", f"/api-keys/{key_id}")


def check_one_row_per_committed_action(cluster_db: Path, operator: Operator, actor: str) -> int:
    """Compare the answers, the resources and the audit rows; return the rows checked."""
    conn = sqlite3.connect(cluster_db)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            # auth.* rows are the login's, not the actions'.
            "SELECT request_id, action, resource, after, idempotency_key FROM audit "
            "WHERE actor = ? AND action NOT LIKE 'auth.%' ORDER BY seq",
            (actor,),
        ).fetchall()
        flags = {
            r["key"]: r
            for r in conn.execute("SELECT * FROM flags WHERE key LIKE ?", (operator.prefix + "-%",))
        }
        keys = {r["id"]: r for r in conn.execute("SELECT id, revoked_at FROM api_keys")}
    finally:
        conn.close()

    per_request = collections.Counter(r["request_id"] for r in rows)
    assert [rid for rid, n in per_request.items() if n != 1] == []  # one row per action
    committed = {rid for rid, status in operator.answers.items() if 200 <= status < 300}
    assert committed - set(per_request) == set()  # 0 committed actions without a row
    assert set(per_request) - committed == set()  # 0 rows without a committed action

    # The resources are what the rows say they are, and nothing else.
    last: dict[str, dict[str, Any]] = {}
    created: collections.Counter[str] = collections.Counter()
    for row in rows:
        if row["action"] == "flag.create":
            created[row["resource"]] += 1
            assert row["idempotency_key"]
        if row["action"].startswith("flag."):
            last[row["resource"].removeprefix("flag/")] = json.loads(row["after"])
    assert [r for r, n in created.items() if n != 1] == []  # a retried key never made two
    assert set(last) == set(flags)
    for key, stored in flags.items():
        after = last[key]
        assert (after["version"], after["rollout_percentage"], after["archived"]) == (
            stored["version"],
            stored["rollout_percentage"],
            bool(stored["archived"]),
        )
    made = {int(r["resource"].split("/")[1]) for r in rows if r["action"] == "api_key.create"}
    revoked = {int(r["resource"].split("/")[1]) for r in rows if r["action"] == "api_key.revoke"}
    assert made == set(keys)
    assert revoked == {i for i, k in keys.items() if k["revoked_at"] is not None}
    return len(rows)


def test_a_thousand_actions_broken_at_random_points_leave_one_row_per_committed_action(
    fresh_cluster: Cluster, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Hundreds of expected tracebacks would only slow the test down.
    for logger in ("aioke_cluster.problems", "uvicorn.error"):
        caplog.set_level(logging.CRITICAL, logger=logger)
    client = fresh_cluster.user("operator")
    injector = Injector(0.12, random.Random(SEED))
    operator = Operator(client, random.Random(SEED + 1), f"crash-{uuid.uuid4().hex[:6]}")
    with crash_points(monkeypatch, injector):
        for _ in range(ACTIONS):
            operator.random_action()

    statuses = collections.Counter(operator.answers.values())
    assert set(statuses) <= {200, 201, 204, 500}, statuses  # no 412/409: the test kept up
    assert statuses[500] == sum(injector.hits.values())  # every injected crash failed plainly
    assert len(injector.hits) == 3
    assert min(injector.hits.values()) >= 20  # each point broke actions
    checked = check_one_row_per_committed_action(fresh_cluster.db_path, operator, client.user.name)
    assert checked == len(operator.answers) - statuses[500]
    verified = client.get("/audit/verify").json()
    assert verified["ok"], verified
    print(f"actions: {ACTIONS}, requests: {len(operator.answers)}, injected: {dict(injector.hits)}")


# A hard crash: the control plane in its own process exits at a crash point. --------------

_SERVER = """
import os, random, sys
import uvicorn
from aioke_cluster import actions, audit
from aioke_cluster.app import create_app
from aioke_cluster.resources import runbooks_dir, slos_dir
from aioke_cluster.services import Settings

db, port, seed, probability = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
rng = random.Random(seed)
real_append, real_respond = audit.append, actions._respond

def crash(point):
    if rng.random() < probability:
        sys.stderr.write(f"crashing {point}\\n")
        os._exit(70)

def append(*args, **kwargs):
    crash("before the audit row")
    entry = real_append(*args, **kwargs)
    crash("after the audit row")
    return entry

def respond(outcome):
    crash("before the commit")
    return real_respond(outcome)

audit.append, actions._respond = append, respond
app = create_app(db, settings=Settings(runbooks_dir=runbooks_dir(), slos_dir=slos_dir()))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def crashing_server(
    db: Path, seed: int, probability: float
) -> Iterator[tuple[str, Callable[[], int | None]]]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(db), str(port), str(seed), str(probability)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "the control plane did not start"
            assert time.monotonic() < deadline, "the control plane did not start in 30 s"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.05)
        yield url + "/api/v1", process.poll
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        assert process.stderr is not None
        process.stderr.close()


def test_hard_crashes_mid_transaction_lose_no_row_and_leave_no_orphan(tmp_path: Path) -> None:
    db = tmp_path / "cluster.db"
    with running_cluster(db) as cluster:
        owner = cluster.user("operator")
        setup = Operator(owner, random.Random(SEED), "setup")
        reply = setup.send(
            "POST",
            "/api-keys",
            json={"name": "crash-test", "roles": ["operator"]},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        assert reply is not None
        assert reply.status_code == 201, reply.text
    operator = Operator(
        httpx.Client(headers={"Authorization": f"Bearer {reply.json()['key']}"}, timeout=10),
        random.Random(SEED + 2),
        f"hard-{uuid.uuid4().hex[:6]}",
        with_api_keys=False,
    )
    operator.answers.update(setup.answers)
    crashes = 0
    with operator.client:
        for life in range(4):
            with crashing_server(db, SEED + life, 0.025) as (api, exited):
                operator.client.base_url = httpx.URL(api)
                for _ in range(50):
                    operator.random_action()
                    if exited() is not None:
                        crashes += 1
                        break
    # A request that got no answer died with its server: it must have left nothing behind.
    lost = [rid for rid, status in operator.answers.items() if status == 0]
    assert crashes >= 3
    assert len(lost) >= crashes
    with running_cluster(db) as cluster:
        checked = check_one_row_per_committed_action(db, operator, owner.user.name)
        verified = cluster.user("viewer").get("/audit/verify").json()
    assert checked > 0
    assert verified["ok"], verified
    print(f"hard crashes: {crashes}, requests lost with them: {len(lost)}, rows checked: {checked}")
