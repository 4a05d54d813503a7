"""Item 3: fifty 503s in a row from in front of the real control plane.

Reads are retried a bounded number of times; a POST is repeated only with the same
Idempotency-Key (never without one); the control-plane light goes red during the burst and
green by itself once the server answers again.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from faults.proxy import Fault, FaultProxy
from pytestqt.qtbot import QtBot

from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.errors import LoginFailed, ServerError, StepUpRequired
from aioke_desktop.api.http import HttpPolicy
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.endpoints import ALERTMANAGER, CONTROL_PLANE, PROMETHEUS
from aioke_desktop.runtime.poller import Backoff, Poller
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.theme import LIGHT
from desktop.conftest import _nothing_left_running  # noqa: F401 (autouse fixture)
from desktop.ui_helpers import make_window
from harness import Cluster

# The product's retry rules with short pauses, so fifty 503s pass in seconds.
QUICK = HttpPolicy(backoff_base_seconds=0.02, backoff_cap_seconds=0.1)


@pytest.fixture
def proxy(cluster: Cluster) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=cluster.url) as running:
        yield running


@pytest.fixture
def client(cluster: Cluster, proxy: FaultProxy) -> Iterator[ClusterClient]:
    user = cluster.new_user("operator")
    with ClusterClient(Context("burst", proxy.url, "http://127.0.0.1:9"), policy=QUICK) as c:
        c.login(user.name, user.password, cluster.code(user))
        yield c


def test_reads_retry_a_bounded_number_of_times_and_posts_only_with_their_key(
    proxy: FaultProxy, client: ClusterClient
) -> None:
    proxy.set(Fault.status_burst(503, count=50))
    with pytest.raises(ServerError) as failed:
        client.me()
    assert proxy.stats.burst == QUICK.max_attempts  # bounded: 4 tries, then the sentence
    assert failed.value.message == "Service Unavailable"

    posts_without_key = 0
    while proxy.stats.burst < 50:
        posts_without_key += 1
        with pytest.raises((ServerError, StepUpRequired, LoginFailed)):
            client.step_up("000000")  # a POST with no Idempotency-Key
        # A keyed create: when all of its tries meet the burst, the user sees the sentence.
        with contextlib.suppress(ServerError):
            client.flags.create(f"burst-{uuid.uuid4().hex[:8]}", {"owner": "sre"})
    assert proxy.stats.burst == 50
    assert client.me().name.startswith("user")  # the server answers again

    posts = [r for r in proxy.requests if r.method == "POST" and r.path != "/api/v1/auth/login"]
    unkeyed = [r for r in posts if "idempotency-key" not in r.headers]
    keyed = Counter(r.headers["idempotency-key"] for r in posts if r not in unkeyed)
    print(f"{len(posts)} POSTs: {len(unkeyed)} without a key, {len(keyed)} keys, "
          f"tries per key {sorted(keyed.values())}")  # fmt: skip
    assert len(unkeyed) == posts_without_key  # 0 POSTs retried without their key
    assert {r.path for r in unkeyed} == {"/api/v1/auth/step-up"}
    assert max(keyed.values()) <= QUICK.max_attempts
    assert max(keyed.values()) > 1  # keyed creates were retried, with the same key


def test_the_control_plane_light_goes_red_in_a_burst_and_green_by_itself_after(
    qtbot: QtBot, runner: TaskRunner, proxy: FaultProxy, client: ClusterClient
) -> None:
    window = make_window(qtbot, runner)
    light_check = Poller(
        runner, client.me, name="cp", interval_s=0.1, backoff=Backoff(0.1, 0.4), parent=window
    )
    window.watch_endpoints({CONTROL_PLANE: light_check, PROMETHEUS: None, ALERTMANAGER: None})
    light = window.lights[CONTROL_PLANE]
    light_check.start()
    qtbot.waitUntil(lambda: light.colour() == LIGHT.ok_fill, timeout=5_000)

    proxy.set(Fault.status_burst(503, count=50))
    qtbot.waitUntil(lambda: light.colour() == LIGHT.danger_fill, timeout=5_000)
    assert "Service Unavailable" in light.toolTip()
    qtbot.waitUntil(lambda: light.colour() == LIGHT.ok_fill, timeout=30_000)
    assert proxy.stats.burst == 50
    light_check.stop()
    runner.wait_idle(10)
