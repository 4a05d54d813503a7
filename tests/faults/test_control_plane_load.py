"""Issue 10 #15: the control plane under load on loopback.

200 clients long-poll ``/events`` while operators create flags at 50 a second for 60 s. The
server, the pollers and the writers each run in a fresh process of their own, so none shares
another's GIL or event loop: in the pollers' loop a write's answer waited for the pollers'
turns, and that wait was measured as the server's latency. Passes when the mutating
requests' p99 is under 250 ms, no request fails, every flag has exactly one audit row,
every poller saw every event once, and the audit chain still verifies.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import sqlite3
import ssl
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from aioke_cluster.app import create_app
from aioke_cluster.auth import sessions

try:
    import sniffio  # noqa: F401
except ImportError:
    # Without sniffio httpcore tries the import again on every request, searching sys.path
    # each time: that, not the server, was the load generator's bottleneck.
    sys.modules["sniffio"] = None  # type: ignore[assignment]

POLLERS = 200
WRITES_PER_SECOND = 50
SECONDS = 60
OPERATORS = 5
P99_LIMIT_S = 0.250
# A poller reads only the seqs: decoding each answer's ~75 whole events (30 KB) took a third
# of the pollers' CPU, which on two cores is CPU the server under test did not get.
EVENT_SEQ = re.compile(rb'\{"seq": (\d+), "time": ')

SERVE = """
import socket, sys, uvicorn
from aioke_cluster.app import create_app, prefer_latency
app = create_app(sys.argv[1])
prefer_latency()  # as `aioke-cluster serve` does
# IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets (see tests/harness.py).
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
config = uvicorn.Config(app, log_level="warning", access_log=False, backlog=1024)
uvicorn.Server(config).run(sockets=[sock])
"""

POLLERS_PROCESS = """
import asyncio, json, sys
sys.path.insert(0, sys.argv[1])
import test_control_plane_load as load
tally = load.Tally()
asyncio.run(load.poll_until_told(sys.argv[2], sys.argv[3:], tally))
print(json.dumps({"seen": tally.seen_by_poller, "polls": tally.polls, "errors": tally.errors}))
"""

WRITERS = """
import asyncio, json, sys
sys.path.insert(0, sys.argv[1])
import test_control_plane_load as load
tally = load.Tally()
asyncio.run(load.write_at_rate(sys.argv[2], sys.argv[4:], float(sys.argv[3]), tally))
print(json.dumps({"latencies": tally.write_latencies, "errors": tally.errors}), flush=True)
"""


def _api_keys(db_path: Path, roles_by_user: dict[str, list[str]], per_user: int) -> list[str]:
    """Users and API keys written straight into a new database: 200 Argon2 logins would
    take longer than the load itself on two cores."""
    app = create_app(db_path)
    services = app.state.services
    keys: list[str] = []
    unusable = services.passwords.hash(sessions.new_token())  # no one logs in with it
    with services.db.write() as conn:
        for name, roles in roles_by_user.items():
            user_id = conn.execute(
                "INSERT INTO users (name, password_hash, roles, totp_secret, created_at) "
                "VALUES (?, ?, ?, NULL, ?)",
                (name, unusable, json.dumps(roles), 0),
            ).lastrowid
            for _ in range(per_user):
                key = sessions.new_api_key()
                conn.execute(
                    "INSERT INTO api_keys (hash, prefix, user_id, name, roles, created_at) "
                    "VALUES (?, ?, ?, 'load', ?, 0)",
                    (sessions.digest(key), key[:13], user_id, json.dumps(roles)),
                )
                keys.append(key)
    services.db.close()
    return keys


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    db_path = tmp_path / "load.db"
    create_app(db_path).state.services.db.close()
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SERVE), str(db_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(url + "/healthz", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the control plane did not start"
                time.sleep(0.05)
        yield url + "/api/v1", db_path
    finally:
        process.terminate()
        process.wait(10)


@dataclass
class Tally:
    write_latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seen_by_poller: list[list[int]] = field(default_factory=list)
    polls: int = 0


async def _poll(
    client: httpx.AsyncClient, stop: asyncio.Event, target: list[int], tally: Tally
) -> None:
    seen: list[int] = []
    tally.seen_by_poller.append(seen)
    cursor = 0
    # Until told to stop and caught up with the last write (target[0], set at the end).
    while not (stop.is_set() and cursor >= target[0]):
        wait = 0 if stop.is_set() else 20
        try:
            reply = await client.get("/events", params={"after": cursor, "wait": wait})
            reply.raise_for_status()
        except httpx.HTTPError as exc:
            tally.errors.append(f"poll: {exc!r}")
            return
        tally.polls += 1
        seen += [int(n) for n in EVENT_SEQ.findall(reply.content)]
        cursor = max([cursor, *seen[-1:]])


async def _write(client: httpx.AsyncClient, key: str, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        reply = await client.post(
            "/flags", json={"key": key, "owner": "team-load"}, headers={"Idempotency-Key": key}
        )
    except httpx.HTTPError as exc:
        tally.errors.append(f"{key}: {exc!r}")
        return
    tally.write_latencies.append(time.perf_counter() - started)
    if reply.status_code != 201:
        tally.errors.append(f"{key}: {reply.status_code} {reply.text[:100]}")


def _client(api: str, key: str) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=None,
        max_keepalive_connections=None,
        # Under uvicorn's 5 s keep-alive: at httpx's default (also 5 s) a pooled connection
        # could be reused just as the server closed it, and the write failed with ReadError.
        keepalive_expiry=2,
    )
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.AsyncClient(
        base_url=api, headers=headers, timeout=httpx.Timeout(30), limits=limits, verify=_tls()
    )


@functools.cache
def _tls() -> ssl.SSLContext:
    """Unused on http://, but each client would load the CAs again (~50 ms each)."""
    return ssl.create_default_context()


async def write_at_rate(api: str, keys: list[str], seconds: float, tally: Tally) -> None:
    """Create WRITES_PER_SECOND flags a second for ``seconds``, open loop (in its own process)."""
    writers = [_client(api, k) for k in keys]
    writes: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    for n in range(int(WRITES_PER_SECOND * seconds)):
        # Open loop: a slow answer does not slow the rate down.
        await asyncio.sleep(max(0.0, started + n / WRITES_PER_SECOND - time.perf_counter()))
        writer = writers[n % len(writers)]
        writes.append(asyncio.create_task(_write(writer, f"load-{n}", tally)))
    await asyncio.gather(*writes)
    for c in writers:
        await c.aclose()


async def poll_until_told(api: str, keys: list[str], tally: Tally) -> None:
    """Long-poll with one client per key until stdin names the last event (in its own process)."""
    pollers = [_client(api, k) for k in keys]
    stop, target = asyncio.Event(), [0]
    polling = [asyncio.create_task(_poll(c, stop, target, tally)) for c in pollers]
    await asyncio.sleep(1)  # every poller is waiting before the first write
    print("polling", flush=True)
    target[0] = int(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline))
    stop.set()
    await asyncio.wait_for(asyncio.gather(*polling), 25)
    for c in pollers:
        await c.aclose()


async def _load(api: str, poll_keys: list[str], write_keys: list[str], tally: Tally) -> None:
    # The pollers and the writers each run in a fresh process. Polling from the test process
    # measured a p99 of 286 ms at the end of the whole suite against 50-68 ms in a pytest
    # run of its own: there the pollers shared a process with all the suite had left
    # (a large heap for each garbage collection, Qt and its threads).
    here = str(Path(__file__).parent)
    polling = await _start(POLLERS_PROCESS, here, api, *poll_keys, stdin=asyncio.subprocess.PIPE)
    try:
        assert polling.stdout is not None
        assert await polling.stdout.readline() == b"polling\n", "the pollers did not start"
        writing = await _start(WRITERS, here, api, str(SECONDS), *write_keys)
        written = json.loads(await _output(writing, "writers"))
        tally.write_latencies += written["latencies"]
        tally.errors += written["errors"]
        async with _client(api, write_keys[0]) as c:
            head = (await c.get("/events", params={"after": 0, "limit": 1})).json()["head"]
        polled = json.loads(await _output(polling, "pollers", f"{head}\n".encode()))
    finally:
        if polling.returncode is None:
            polling.kill()
            await polling.wait()
    tally.seen_by_poller += polled["seen"]
    tally.polls += polled["polls"]
    tally.errors += polled["errors"]


async def _start(script: str, *args: str, stdin: int | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", textwrap.dedent(script), *args, stdin=stdin,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _output(
    process: asyncio.subprocess.Process, what: str, say: bytes | None = None
) -> bytes:
    """The process's standard output once it has ended (``say`` sent to its standard
    input first); it is killed if this is cancelled."""
    try:
        out, _ = await process.communicate(say)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, f"the {what}' process failed (its error is above)"
    return out


def _report(tally: Tally) -> float:
    """Print the figures (also when the load did not finish); the p99 of the writes."""
    latencies = sorted(tally.write_latencies) or [float("inf")]
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    print(
        f"\nwrites answered {len(tally.write_latencies)}, "
        f"p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms, polls {tally.polls}, errors {len(tally.errors)}, "
        # Other work on the two cores is the first suspect when the p99 is high.
        f"load average {os.getloadavg()[0]:.1f}"
    )
    return p99


def test_200_pollers_and_50_writes_a_second_for_a_minute(server: tuple[str, Path]) -> None:
    api, db_path = server
    poll_keys = _api_keys(db_path, {f"viewer{n}": ["viewer"] for n in range(20)}, POLLERS // 20)
    write_keys = _api_keys(db_path, {f"op{n}": ["operator"] for n in range(OPERATORS)}, 1)

    # Bounded: a server that falls behind fails here, inside the test's 2 minutes.
    tally = Tally()
    try:
        asyncio.run(asyncio.wait_for(_load(api, poll_keys, write_keys, tally), SECONDS + 35))
    finally:
        p99 = _report(tally)
    assert tally.errors == []
    written = WRITES_PER_SECOND * SECONDS
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {write_keys[0]}"}) as c:
        assert c.get("/audit/verify").json()["ok"] is True
    conn = sqlite3.connect(db_path)
    rows = Counter(
        r[0] for r in conn.execute("SELECT resource FROM audit WHERE action = 'flag.create'")
    )
    assert len(rows) == written
    assert set(rows.values()) == {1}
    events = [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")]
    for seen in tally.seen_by_poller:
        assert seen == events  # every event, once, in order
    assert p99 < P99_LIMIT_S
