"""``/breakers`` over real HTTP: reading, forcing with guard rails, TTLs, history, restarts.
Calls go through the control plane's own registry, as the simulated workload's do."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from aioke_cluster.breakers import BreakerConfig, BreakerRegistry
from aioke_cluster.clock import OffsetClock, parse_iso
from harness import Cluster, running_cluster

_edges = itertools.count(1)
CONFIG = BreakerConfig(
    sliding_window_size=10, minimum_number_of_calls=4, permitted_calls_in_half_open=2
)
WAIT = CONFIG.wait_duration_in_open_seconds


def registry(cluster: Cluster) -> BreakerRegistry:
    breakers: BreakerRegistry = cluster.app.state.breakers
    return breakers


def declare(cluster: Cluster) -> str:
    """A breaker of this test's own, so tests sharing the session cluster stay apart."""
    n = next(_edges)
    name = f"caller{n}->callee{n}"
    registry(cluster).ensure(name, CONFIG)
    return name


def calls(cluster: Cluster, name: str, *outcomes: bool) -> list[bool]:
    """Make calls through the breaker; which ones it let through."""
    admitted = []
    for success in outcomes:
        admitted.append(registry(cluster).try_acquire(name))
        if admitted[-1]:
            registry(cluster).record(name, success, 0.05)
    return admitted


def trip(cluster: Cluster, name: str) -> None:
    calls(cluster, name, False, False, False, False)


def transition(
    client: httpx.Client, name: str, body: dict[str, Any], *, tag: str | None, key: str | None = ""
) -> httpx.Response:
    headers = {"Idempotency-Key": key or str(uuid.uuid4())} if key is not None else {}
    if tag is not None:
        headers["If-Match"] = tag
    return client.post(f"/breakers/{name}/transition", json=body, headers=headers)


def current_tag(client: httpx.Client, name: str) -> str:
    reply = client.get(f"/breakers/{name}")
    assert reply.status_code == 200, reply.text
    return reply.headers["ETag"]


def feed(client: httpx.Client, name: str, after: int) -> list[tuple[str | None, str]]:
    """This breaker's events after ``after``: who moved it (None: itself) and to what."""
    found = client.get("/events", params={"after": after}).json()["events"]
    mine = [e for e in found if e["resource"] == f"breaker/{name}"]
    assert {e["kind"] for e in mine} <= {"breaker.transition"}
    return [(e["actor"], e["data"].get("to") or e["data"]["after"]["state"]) for e in mine]


def audit_rows(cluster: Cluster, name: str) -> list[dict[str, Any]]:
    rows = cluster.user("viewer").get("/audit", params={"resource": f"breaker/{name}"}).json()
    return list(rows)


def test_the_list_shows_each_breakers_state_rates_and_thresholds(cluster: Cluster) -> None:
    name = declare(cluster)
    calls(cluster, name, True, False, False)  # 3 calls: below the minimum of 4
    listed = {b["name"]: b for b in cluster.user("viewer").get("/breakers").json()}
    breaker = listed[name]
    assert breaker["state"] == "CLOSED"
    assert breaker["caller"] + "->" + breaker["callee"] == name
    assert breaker["failure_rate"] == pytest.approx(66.67, abs=0.01)
    assert breaker["calls_in_window"] == 3
    assert breaker["thresholds"]["minimum_number_of_calls"] == 4
    assert breaker["thresholds"]["failure_rate_threshold"] == CONFIG.failure_rate_threshold
    assert (breaker["opened_at"], breaker["forced_until"]) == (None, None)


def test_a_tripped_breaker_says_when_it_opened_and_when_it_tries_again(cluster: Cluster) -> None:
    name = declare(cluster)
    viewer = cluster.user("viewer")
    tag_closed = current_tag(viewer, name)
    head = viewer.get("/events", params={"limit": 1}).json()["head"]
    trip(cluster, name)
    assert feed(viewer, name, head) == [(None, "OPEN")]
    reply = viewer.get(f"/breakers/{name}")
    body = reply.json()
    assert body["state"] == "OPEN"
    waited = parse_iso(body["next_half_open_at"]) - parse_iso(body["opened_at"])
    assert waited == pytest.approx(WAIT, abs=1e-5)  # times are given to the microsecond
    assert calls(cluster, name, True) == [False]
    assert viewer.get(f"/breakers/{name}").json()["calls"]["rejected"] == 1
    assert reply.headers["ETag"] != tag_closed
    unchanged = viewer.get(f"/breakers/{name}", headers={"If-None-Match": reply.headers["ETag"]})
    assert unchanged.status_code == 304
    (opened,) = viewer.get(f"/breakers/{name}/history").json()
    assert (opened["from"], opened["to"], opened["actor"]) == ("CLOSED", "OPEN", None)
    assert "failure rate 100.0%" in opened["reason"]


def test_half_open_lets_exactly_the_trial_calls_through_then_closes(cluster: Cluster) -> None:
    name = declare(cluster)
    trip(cluster, name)
    cluster.clock.advance(WAIT)
    breakers = registry(cluster)
    assert [breakers.try_acquire(name) for _ in range(5)] == [True, True, False, False, False]
    viewer = cluster.user("viewer")
    trial = viewer.get(f"/breakers/{name}").json()
    assert (trial["state"], trial["trial_calls_left"]) == ("HALF_OPEN", 0)
    breakers.record(name, True, 0.05)
    breakers.record(name, True, 0.05)
    assert viewer.get(f"/breakers/{name}").json()["state"] == "CLOSED"
    moves = [(t["from"], t["to"]) for t in viewer.get(f"/breakers/{name}/history").json()]
    assert moves == [("CLOSED", "OPEN"), ("OPEN", "HALF_OPEN"), ("HALF_OPEN", "CLOSED")]


def test_force_open_rejects_calls_then_reverts_at_its_ttl(cluster: Cluster) -> None:
    name = declare(cluster)
    operator = cluster.user("operator")
    cluster.step_up(operator)
    head = operator.get("/events", params={"limit": 1}).json()["head"]
    key = str(uuid.uuid4())
    body = {"to": "FORCE_OPEN", "ttl_seconds": 5, "reason": "game day: cut payments"}
    reply = transition(operator, name, body, tag=current_tag(operator, name), key=key)
    assert reply.status_code == 200, reply.text
    forced = reply.json()
    assert forced["state"] == "FORCED_OPEN"
    assert calls(cluster, name, True, True) == [False, False]

    again = transition(operator, name, body, tag=reply.headers["ETag"], key=key)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == forced
    (row,) = audit_rows(cluster, name)
    assert (row["action"], row["actor"]) == ("breaker.transition", operator.user.name)
    assert (row["before"]["state"], row["after"]["state"]) == ("CLOSED", "FORCED_OPEN")
    assert row["after"]["reason"] == "game day: cut payments"

    cluster.clock.advance(6)
    after = operator.get(f"/breakers/{name}").json()
    assert (after["state"], after["forced_until"]) == ("CLOSED", None)
    assert calls(cluster, name, True) == [True]
    history = operator.get(f"/breakers/{name}/history").json()
    assert [(t["to"], t["actor"]) for t in history] == [
        ("FORCED_OPEN", operator.user.name),
        ("CLOSED", None),
    ]
    assert history[0]["reason"] == "game day: cut payments"
    assert history[1]["time"] == forced["forced_until"]  # reverted at the TTL, not later
    assert feed(operator, name, head) == [(operator.user.name, "FORCED_OPEN"), (None, "CLOSED")]


def test_disable_lets_failing_calls_through_until_an_operator_closes_it(
    cluster: Cluster,
) -> None:
    name = declare(cluster)
    operator = cluster.user("operator")
    cluster.step_up(operator)
    body = {"to": "DISABLE", "ttl_seconds": 3600, "reason": "breaker misconfigured"}
    reply = transition(operator, name, body, tag=current_tag(operator, name))
    assert reply.json()["state"] == "DISABLED"
    assert calls(cluster, name, *[False] * 10) == [True] * 10

    # Releasing a forced state is safe: any operator may, without a second factor.
    other = cluster.user("operator")
    closed = transition(other, name, {"to": "CLOSE"}, tag=reply.headers["ETag"])
    assert closed.status_code == 200, closed.text
    assert (closed.json()["state"], closed.json()["forced_until"]) == ("CLOSED", None)
    assert len(audit_rows(cluster, name)) == 2


def test_forcing_needs_the_role_a_second_factor_a_ttl_a_key_and_if_match(
    cluster: Cluster,
) -> None:
    name = declare(cluster)
    operator = cluster.user("operator")
    tag = current_tag(operator, name)
    force = {"to": "FORCE_OPEN", "ttl_seconds": 60}

    viewer_reply = transition(cluster.user("viewer"), name, force, tag=tag)
    assert viewer_reply.status_code == 403
    assert viewer_reply.json()["required_role"] == "operator"
    no_step_up = transition(operator, name, force, tag=tag)
    assert (no_step_up.status_code, no_step_up.json()["type"]) == (
        403,
        "https://aioke.dev/problems/step-up-required",
    )
    cluster.step_up(operator)
    no_ttl = transition(operator, name, {"to": "DISABLE"}, tag=tag)
    assert no_ttl.status_code == 422
    assert no_ttl.json()["detail"].startswith("ttl_seconds:")
    too_long = transition(operator, name, {"to": "DISABLE", "ttl_seconds": 86401}, tag=tag)
    assert too_long.status_code == 422
    assert transition(operator, name, force, tag=tag, key=None).status_code == 400
    assert transition(operator, name, force, tag=None).status_code == 428

    assert operator.get(f"/breakers/{name}").json()["state"] == "CLOSED"
    assert audit_rows(cluster, name) == []
    assert transition(operator, name, force, tag=tag).status_code == 200


def test_a_stale_etag_names_the_operator_or_the_breaker_that_moved(cluster: Cluster) -> None:
    name = declare(cluster)
    first, second = cluster.user("operator"), cluster.user("operator")
    loaded = current_tag(second, name)

    trip(cluster, name)
    by_itself = transition(second, name, {"to": "CLOSE"}, tag=loaded)
    assert by_itself.status_code == 412
    assert "moved to OPEN by itself" in by_itself.json()["detail"]

    cluster.step_up(first)
    fresh = by_itself.json()["current_etag"]
    forced = transition(first, name, {"to": "FORCE_OPEN", "ttl_seconds": 60}, tag=fresh)
    assert forced.status_code == 200
    by_first = transition(second, name, {"to": "CLOSE"}, tag=fresh)
    assert by_first.status_code == 412
    assert by_first.json()["changed_by"] == first.user.name
    assert second.get(f"/breakers/{name}").json()["state"] == "FORCED_OPEN"


def test_reset_clears_the_window_and_the_counters(cluster: Cluster) -> None:
    name = declare(cluster)
    calls(cluster, name, True, False, True)
    operator = cluster.user("operator")
    reply = transition(operator, name, {"to": "RESET"}, tag=current_tag(operator, name))
    body = reply.json()
    assert (body["state"], body["calls_in_window"], body["failure_rate"]) == ("CLOSED", 0, None)
    assert body["calls"] == {"successful": 0, "failed": 0, "slow": 0, "rejected": 0}
    (reset,) = operator.get(f"/breakers/{name}/history").json()
    assert (reset["from"], reset["to"]) == ("CLOSED", "CLOSED")
    assert reset["reason"] == f"RESET by {operator.user.name}"


def test_history_is_oldest_first_and_can_be_limited(cluster: Cluster) -> None:
    name = declare(cluster)
    trip(cluster, name)
    operator = cluster.user("operator")
    transition(operator, name, {"to": "CLOSE"}, tag=current_tag(operator, name))
    transition(operator, name, {"to": "RESET"}, tag=current_tag(operator, name))
    last_two = operator.get(f"/breakers/{name}/history", params={"limit": 2}).json()
    assert [(t["from"], t["to"]) for t in last_two] == [("OPEN", "CLOSED"), ("CLOSED", "CLOSED")]


def test_an_unknown_breaker_is_404(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    for reply in (
        operator.get("/breakers/nobody->nowhere"),
        operator.get("/breakers/nobody->nowhere/history"),
        transition(operator, "nobody->nowhere", {"to": "CLOSE"}, tag="*"),
    ):
        assert reply.status_code == 404
        assert reply.json()["detail"] == "There is no breaker named 'nobody->nowhere'."


def test_a_forced_state_survives_restarts_and_reverts_at_its_ttl(tmp_path: Path) -> None:
    db_path, name = tmp_path / "cluster.db", "gateway->checkout"
    with running_cluster(db_path) as first:
        registry(first).ensure(name, CONFIG)
        operator = first.user("operator")
        first.step_up(operator)
        body = {"to": "FORCE_OPEN", "ttl_seconds": 120, "reason": "drill"}
        reply = transition(operator, name, body, tag=current_tag(operator, name))
        forced_until = reply.json()["forced_until"]
        token = operator.headers["Authorization"]

    with running_cluster(db_path) as second:  # restarted within the TTL
        registry(second).ensure(name, CONFIG)
        assert calls(second, name, True) == [False]
        client = second.client(headers={"Authorization": token})
        body = client.get(f"/breakers/{name}").json()
        assert (body["state"], body["forced_until"]) == ("FORCED_OPEN", forced_until)

    late = OffsetClock()
    late.advance(180)
    with running_cluster(db_path, clock=late) as third:  # restarted after the TTL ran out
        registry(third).ensure(name, CONFIG)
        assert calls(third, name, True) == [True]
        client = third.client(headers={"Authorization": token})
        assert client.get(f"/breakers/{name}").json()["state"] == "CLOSED"
        history = client.get(f"/breakers/{name}/history").json()
        assert [(t["to"], t["time"]) for t in history] == [
            ("FORCED_OPEN", history[0]["time"]),
            ("CLOSED", forced_until),
        ]
