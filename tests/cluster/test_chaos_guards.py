"""Guards and launch refusals against a real Prometheus (the decision alone: test_chaos_verdicts).

The Prometheus here evaluates a rules file every second that stands in for Sloth's rules:
``payments`` has spent its error budget, ``inventory``'s page alert fires, ``checkout`` burns
its budget 20 times too fast and ``search`` is healthy. Expressions over ``time()`` give
guards that breach, or go blind, a known moment after launch.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from aioke_cluster.prometheus import PrometheusQuery, PrometheusQueryError, PrometheusUnavailable
from aioke_cluster.services import Settings
from harness import Cluster, UserClient, running_cluster


def _slo(service: str, record: str, value: float) -> dict[str, Any]:
    labels = {"sloth_service": service, "sloth_slo": "availability"}
    return {"record": record, "expr": f"vector({value})", "labels": labels}


RULES = {
    "groups": [
        {
            "name": "slo-stand-ins",
            "interval": "1s",
            "rules": [
                _slo("payments", "slo:period_error_budget_remaining:ratio", 0.02),
                _slo("search", "slo:period_error_budget_remaining:ratio", 0.9),
                _slo("checkout", "slo:period_error_budget_remaining:ratio", 0.8),
                _slo("checkout", "slo:current_burn_rate:ratio", 20),
                _slo("search", "slo:current_burn_rate:ratio", 0.5),
                {
                    "alert": "InventoryLatencyBurn",
                    "expr": "vector(1)",
                    "labels": {
                        "sloth_service": "inventory",
                        "sloth_slo": "latency",
                        "sloth_severity": "page",
                    },
                },
            ],
        }
    ]
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _until(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.1)


def _answers(url: str, expr: str) -> bool:
    try:
        reply = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=2)
        return bool(reply.status_code == 200 and reply.json()["data"]["result"])
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed; install the Debian package prometheus")
    workdir = tmp_path_factory.mktemp("prometheus")
    (workdir / "rules.yml").write_text(yaml.safe_dump(RULES))
    config = {"global": {"evaluation_interval": "1s"}, "rule_files": [str(workdir / "rules.yml")]}
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with (workdir / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _until(lambda: _answers(url, 'ALERTS{alertstate="firing"}'), "rules evaluated")
        _until(lambda: _answers(url, "slo:current_burn_rate:ratio"), "burn rates recorded")
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def watched(prometheus: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A control plane whose guards and launch checks ask the Prometheus above."""
    db_path = tmp_path_factory.mktemp("watched") / "cluster.db"
    with running_cluster(db_path, settings=Settings(prometheus_url=prometheus)) as cluster:
        yield cluster


@pytest.fixture
def client(watched: Cluster) -> UserClient:
    user = watched.user("chaos")
    watched.step_up(user)
    return user


def launch(
    client: httpx.Client, target: str, guard: dict[str, Any] | None = None
) -> httpx.Response:
    body = {
        "fault": "latency",
        "target": target,
        "params": {"latency_ms": 100},
        "duration_seconds": 300,
        "guard": guard,
    }
    return client.post("/chaos/runs", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})


# --- the query client, against the real Prometheus -------------------------------------------


def test_the_query_client_answers_one_number_or_none_and_says_what_went_wrong(
    prometheus: str,
) -> None:
    query = PrometheusQuery(prometheus)
    try:
        assert query.value("vector(2.5)") == 2.5
        assert query.value("1 + 1") == 2  # a scalar
        assert query.value("0 / 0") is None  # NaN
        assert query.value("vector(1) > 5") is None  # no series
        one, other = (f'label_replace(vector({n}), "a", "{n}", "", "")' for n in (1, 2))
        with pytest.raises(PrometheusQueryError, match="2 series"):
            query.value(f"{one} or {other}")
        with pytest.raises(PrometheusQueryError, match="rejected"):
            query.value("sum(")
    finally:
        query.close()
    with pytest.raises(PrometheusUnavailable, match="did not answer"):
        PrometheusQuery(f"http://127.0.0.1:{_free_port()}").value("1")


def test_a_prometheus_that_hangs_times_out() -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(PrometheusUnavailable, match="timed out"):
            PrometheusQuery(url, timeout=0.3).value("1")


# --- launches and guards, end to end ---------------------------------------------------------


def test_a_launch_is_refused_while_the_budget_is_below_the_floor(client: UserClient) -> None:
    reply = launch(client, "payments")
    assert reply.status_code == 409
    problem = reply.json()
    assert problem["type"].endswith("/error-budget-low")
    assert problem["slo"] == "payments/availability"
    assert problem["remaining_percent"] == 2
    assert "2.0 % of its error budget left, below the floor of 10 %" in problem["detail"]


def test_a_launch_is_refused_while_the_page_alert_fires(client: UserClient) -> None:
    reply = launch(client, "inventory")
    assert reply.status_code == 409
    assert reply.json()["detail"].startswith("The page-level burn-rate alert of inventory/latency")


def test_a_launch_is_refused_when_its_guard_is_already_breached(client: UserClient) -> None:
    burning = launch(client, "checkout", {"slo": "checkout/availability"})
    assert burning.status_code == 409
    assert burning.json()["observed_value"] == 20
    assert "the burn rate of checkout/availability is 20" in burning.json()["detail"]
    over = launch(client, "search", {"expr": "vector(3)", "threshold": 2})
    assert over.status_code == 409
    assert over.json()["type"].endswith("/guard-breached")
    blind = launch(client, "search", {"expr": "no_such_metric", "threshold": 1})
    assert blind.status_code == 409
    assert blind.json()["type"].endswith("/guard-blind")


def test_a_healthy_guard_lets_the_run_go_on(watched: Cluster, client: UserClient) -> None:
    reply = launch(client, "search", {"slo": "search/availability", "expr": "vector(1)",
                                      "threshold": 5})  # fmt: skip
    assert reply.status_code == 201, reply.text
    run = reply.json()
    assert run["guard"]["slo"] == "search/availability"
    assert run["guard"]["comparison"] == ">"
    watched.app.state.services.chaos.check_guards()  # one evaluation, on this thread
    assert client.get(f"/chaos/runs/{run['id']}").json()["state"] == "running"
    client.post(f"/chaos/runs/{run['id']}/abort")


def test_a_breached_guard_auto_aborts_the_run_with_the_reason_and_value(
    client: UserClient,
) -> None:
    head = client.get("/events").json()["head"]
    breach_at = time.time() + 2  # Prometheus' own clock
    reply = launch(client, "search", {"expr": "time()", "threshold": breach_at})
    assert reply.status_code == 201, reply.text
    run_id = reply.json()["id"]

    event = _event(client, head, run_id, "chaos.auto_aborted")
    run = client.get(f"/chaos/runs/{run_id}").json()
    assert event["data"]["state"] == run["state"] == "auto_aborted"
    assert run["observed_value"] >= breach_at
    assert run["end_reason"].startswith("the guard breached: the guard expression is ")
    assert run["active"] is False


def test_a_guard_that_goes_blind_aborts_the_run(client: UserClient) -> None:
    head = client.get("/events").json()["head"]
    blind_at = time.time() + 1
    expr = f"vector(1) and on() (vector(time()) < {blind_at})"
    run_id = launch(client, "search", {"expr": expr, "threshold": 5}).json()["id"]

    _event(client, head, run_id, "chaos.auto_aborted", timeout=30)
    run = client.get(f"/chaos/runs/{run_id}").json()
    assert run["state"] == "auto_aborted"
    assert run["observed_value"] is None
    assert "could not be evaluated 3 times in a row" in run["end_reason"]


def test_without_prometheus_guards_are_refused_and_unguarded_runs_only_if_allowed(
    tmp_path: Path,
) -> None:
    gone = f"http://127.0.0.1:{_free_port()}"
    with running_cluster(tmp_path / "c.db", settings=Settings(prometheus_url=gone)) as cluster:
        chaos = cluster.user("chaos")
        cluster.step_up(chaos)
        guarded = launch(chaos, "search", {"expr": "vector(1)", "threshold": 5})
        assert guarded.status_code == 409
        assert "did not answer" in guarded.json()["detail"]
        unguarded = launch(chaos, "search")
        assert unguarded.status_code == 409
        assert unguarded.json()["type"].endswith("/error-budget-unknown")

        admin = cluster.user("admin")
        current = admin.get("/chaos/safety")
        allowed = {**current.json(), "unguarded_without_prometheus": True}
        admin.put("/chaos/safety", json=allowed, headers={"If-Match": current.headers["ETag"]})
        assert launch(chaos, "search").status_code == 201


def test_a_control_plane_without_prometheus_refuses_guards(cluster: Cluster) -> None:
    chaos = cluster.user("chaos")
    cluster.step_up(chaos)
    reply = launch(chaos, "search", {"slo": "search/availability"})
    assert reply.status_code == 409
    assert "no Prometheus is configured" in reply.json()["detail"]


def _event(
    client: httpx.Client, after: int, run_id: int, kind: str, timeout: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = client.get("/events", params={"after": after, "wait": 5}).json()["events"]
        for event in found:
            if event["resource"] == f"chaos/runs/{run_id}" and event["kind"] == kind:
                return dict(event)
        after = found[-1]["seq"] if found else after
    raise AssertionError(f"no {kind} for run {run_id} within {timeout} s")
