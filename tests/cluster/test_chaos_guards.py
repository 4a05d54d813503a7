"""Guards and launch refusals against a real Prometheus (the decision alone: test_chaos_verdicts).

The Prometheus here evaluates stand-ins for Sloth's rules (``prometheus_helpers``): ``payments``
has spent its error budget, ``inventory``'s page alert fires, ``checkout`` burns its budget 20
times too fast and ``search`` is healthy. Expressions over ``time()`` give guards that breach,
or go blind, a known moment after launch.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import httpx
import prometheus_helpers as stand_ins
import pytest

from aioke_cluster.prometheus import PrometheusQuery, PrometheusQueryError, PrometheusUnavailable
from aioke_cluster.services import Settings
from harness import Cluster, UserClient, running_cluster

# A Prometheus evaluating the stand-ins, and a control plane watching it (module fixtures).
prometheus = stand_ins.prometheus
watched = stand_ins.watched


@pytest.fixture
def client(watched: Cluster) -> UserClient:
    user = watched.user("chaos")
    watched.step_up(user)
    return user


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
        PrometheusQuery(f"http://127.0.0.1:{stand_ins.free_port()}").value("1")


def test_a_prometheus_that_hangs_times_out() -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(PrometheusUnavailable, match="timed out"):
            PrometheusQuery(url, timeout=0.3).value("1")


# --- launches and guards, end to end ---------------------------------------------------------


def test_a_launch_is_refused_while_the_budget_is_below_the_floor(client: UserClient) -> None:
    reply = stand_ins.launch(client, "payments")
    assert reply.status_code == 409
    problem = reply.json()
    assert problem["type"].endswith("/error-budget-low")
    assert problem["slo"] == "payments/availability"
    assert problem["remaining_percent"] == 2
    assert "2.0 % of its error budget left, below the floor of 10 %" in problem["detail"]


def test_a_launch_is_refused_while_the_page_alert_fires(client: UserClient) -> None:
    reply = stand_ins.launch(client, "inventory")
    assert reply.status_code == 409
    assert reply.json()["detail"].startswith("The page-level burn-rate alert of inventory/latency")


def test_a_launch_is_refused_when_its_guard_is_already_breached(client: UserClient) -> None:
    burning = stand_ins.launch(client, "checkout", {"slo": "checkout/availability"})
    assert burning.status_code == 409
    assert burning.json()["observed_value"] == 20
    assert "the burn rate of checkout/availability is 20" in burning.json()["detail"]
    over = stand_ins.launch(client, "search", {"expr": "vector(3)", "threshold": 2})
    assert over.status_code == 409
    assert over.json()["type"].endswith("/guard-breached")
    blind = stand_ins.launch(client, "search", {"expr": "no_such_metric", "threshold": 1})
    assert blind.status_code == 409
    assert blind.json()["type"].endswith("/guard-blind")


def test_a_healthy_guard_lets_the_run_go_on(watched: Cluster, client: UserClient) -> None:
    reply = stand_ins.launch(client, "search", {"slo": "search/availability", "expr": "vector(1)",
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
    reply = stand_ins.launch(client, "search", {"expr": "time()", "threshold": breach_at})
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
    run_id = stand_ins.launch(client, "search", {"expr": expr, "threshold": 5}).json()["id"]

    _event(client, head, run_id, "chaos.auto_aborted", timeout=30)
    run = client.get(f"/chaos/runs/{run_id}").json()
    assert run["state"] == "auto_aborted"
    assert run["observed_value"] is None
    assert "could not be evaluated 3 times in a row" in run["end_reason"]


def test_without_prometheus_guards_are_refused_and_unguarded_runs_only_if_allowed(
    tmp_path: Path,
) -> None:
    gone = f"http://127.0.0.1:{stand_ins.free_port()}"
    with running_cluster(tmp_path / "c.db", settings=Settings(prometheus_url=gone)) as cluster:
        chaos = cluster.user("chaos")
        cluster.step_up(chaos)
        guarded = stand_ins.launch(chaos, "search", {"expr": "vector(1)", "threshold": 5})
        assert guarded.status_code == 409
        assert "did not answer" in guarded.json()["detail"]
        unguarded = stand_ins.launch(chaos, "search")
        assert unguarded.status_code == 409
        assert unguarded.json()["type"].endswith("/error-budget-unknown")

        admin = cluster.user("admin")
        current = admin.get("/chaos/safety")
        allowed = {**current.json(), "unguarded_without_prometheus": True}
        admin.put("/chaos/safety", json=allowed, headers={"If-Match": current.headers["ETag"]})
        assert stand_ins.launch(chaos, "search").status_code == 201


def test_a_control_plane_without_prometheus_refuses_guards(cluster: Cluster) -> None:
    chaos = cluster.user("chaos")
    cluster.step_up(chaos)
    reply = stand_ins.launch(chaos, "search", {"slo": "search/availability"})
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
