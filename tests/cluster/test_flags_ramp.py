"""``/flags/{key}/ramp`` over real HTTP: validation, roles, idempotency, If-Match, restart, audit,
and holding when the burn rate cannot be read (advance and step-back: test_flags_ramp_live)."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from aioke_cluster.resources import runbooks_dir, slos_dir
from aioke_cluster.services import Settings
from harness import Cluster, running_cluster

RAMP = {"steps": [5, 25, 50, 100], "interval_seconds": 60, "service": "checkout"}


def new_flag(client: httpx.Client) -> tuple[str, str]:
    key = f"ramp-{uuid.uuid4().hex[:10]}"
    reply = client.post(
        "/flags", json={"key": key, "owner": "team"}, headers={"Idempotency-Key": key}
    )
    assert reply.status_code == 201, reply.text
    return key, reply.headers["ETag"]


def start(
    client: httpx.Client, key: str, etag: str, body: dict[str, Any] | None = None, **headers: str
) -> httpx.Response:
    return client.put(
        f"/flags/{key}/ramp",
        json=body or RAMP,
        headers={"If-Match": etag, "Idempotency-Key": uuid.uuid4().hex, **headers},
    )


def decide(cluster: Cluster) -> None:
    """Move the server's clock past the interval and take the decisions now due."""
    cluster.clock.advance(61)
    cluster.app.state.ramps.decide_due()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"steps": [25, 5, 100]}, "steps", "must increase"),
        ({"steps": [5, 120]}, "steps", "from 1 to 100"),
        ({"steps": [50]}, "steps", "at least 2"),
        ({"interval_seconds": 5}, "interval_seconds", "at least 60 seconds"),
        ({"service": "nowhere"}, "service", "nowhere has no SLO"),
        ({"max_burn_rate": 0}, "max_burn_rate", "greater than 0"),
    ],
)
def test_a_bad_ramp_is_refused_in_one_sentence_and_the_flag_is_untouched(
    cluster: Cluster, change: dict[str, Any], field: str, words: str
) -> None:
    operator = cluster.user("operator")
    key, etag = new_flag(operator)
    reply = start(operator, key, etag, {**RAMP, **change})
    assert reply.status_code == 422, reply.text
    problem = reply.json()
    assert words in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [field]
    flag = operator.get(f"/flags/{key}")
    assert flag.headers["ETag"] == etag
    assert operator.get(f"/flags/{key}/ramp").status_code == 404


def test_a_start_enables_the_first_step_is_audited_and_replays_once(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    key, etag = new_flag(operator)
    headers = {"If-Match": etag, "Idempotency-Key": f"start-{key}"}
    first = operator.put(f"/flags/{key}/ramp", json=RAMP, headers=headers)
    again = operator.put(f"/flags/{key}/ramp", json=RAMP, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    ramp = first.json()
    assert (ramp["state"], ramp["current_percent"], ramp["next_percent"]) == ("running", 5, 25)
    assert ramp["started_by"] == operator.user.name
    assert [h["decision"] for h in ramp["history"]] == ["start"]

    flag = operator.get(f"/flags/{key}")
    assert (flag.json()["enabled"], flag.json()["rollout_percentage"]) == (True, 5)
    assert flag.headers["ETag"] == first.headers["ETag"]
    actions = [e["action"] for e in operator.get(f"/flags/{key}/history").json()]
    assert actions == ["flag.create", "flag.ramp.start"]

    second = start(operator, key, first.headers["ETag"])
    assert second.status_code == 409
    assert "already running" in second.json()["detail"]


def test_a_viewer_cannot_start_or_stop_a_ramp_but_can_read_it(cluster: Cluster) -> None:
    operator, viewer = cluster.user("operator"), cluster.user("viewer")
    key, etag = new_flag(operator)
    assert start(viewer, key, etag).status_code == 403
    started = start(operator, key, etag)
    assert started.status_code == 201
    assert viewer.get(f"/flags/{key}/ramp").json()["state"] == "running"
    assert any(r["key"] == key for r in viewer.get("/flag-ramps").json())
    stop = viewer.delete(f"/flags/{key}/ramp", headers={"If-Match": started.headers["ETag"]})
    assert stop.status_code == 403


def test_a_stale_etag_names_who_moved_the_flag_and_changes_nothing(cluster: Cluster) -> None:
    first, second = cluster.user("operator"), cluster.user("operator")
    key, etag = new_flag(first)
    edit = first.patch(f"/flags/{key}", json={"description": "moved"}, headers={"If-Match": etag})
    assert edit.status_code == 200
    reply = start(second, key, etag)
    assert reply.status_code == 412
    assert f"changed by {first.user.name}" in reply.json()["detail"]
    assert second.get(f"/flags/{key}/ramp").status_code == 404
    assert second.get(f"/flags/{key}").json()["enabled"] is False


def test_without_prometheus_a_ramp_holds_says_why_and_audits_a_repeated_hold_once(
    fresh_cluster: Cluster,
) -> None:
    cluster = fresh_cluster  # decisions move its clock
    operator = cluster.user("operator")
    key, etag = new_flag(operator)
    assert start(operator, key, etag).status_code == 201
    decide(cluster)
    ramp = operator.get(f"/flags/{key}/ramp").json()
    assert (ramp["state"], ramp["current_percent"], ramp["last_decision"]) == ("running", 5, "hold")
    assert "no Prometheus is configured" in ramp["last_reason"]
    assert ramp["history"][-1]["actor"] == "ramp"
    assert operator.get(f"/flags/{key}").json()["rollout_percentage"] == 5

    # Two more intervals, held for the same reason: heartbeats, not changes.
    first_due = ramp["next_decision_at"]
    decide(cluster)
    decide(cluster)
    again = operator.get(f"/flags/{key}/ramp").json()
    assert again["next_decision_at"] > first_due  # the page still sees when it decides next
    assert (again["last_decision"], again["last_reason"]) == ("hold", ramp["last_reason"])
    assert [h["decision"] for h in again["history"]] == ["start", "hold"]
    audited = operator.get("/audit", params={"resource": f"flag/{key}"}).json()
    assert [e["action"] for e in audited].count("flag.ramp.hold") == 1
    holds = operator.get("/events", params={"after": 0, "limit": 1000}).json()["events"]
    assert [(e["kind"], e["resource"]) for e in holds].count(("flag.ramp.hold", f"flag/{key}")) == 1


def test_a_hand_edit_stops_the_ramp_and_a_stop_keeps_the_rollout(fresh_cluster: Cluster) -> None:
    cluster = fresh_cluster  # decisions move its clock
    operator = cluster.user("operator")
    key, etag = new_flag(operator)
    started = start(operator, key, etag)
    edit = operator.patch(
        f"/flags/{key}",
        json={"rollout_percentage": 10},
        headers={"If-Match": started.headers["ETag"]},
    )
    assert edit.status_code == 200
    decide(cluster)
    ramp = operator.get(f"/flags/{key}/ramp").json()
    assert ramp["state"] == "stopped"
    assert "changed by hand" in ramp["last_reason"]
    assert operator.get(f"/flags/{key}").json()["rollout_percentage"] == 10

    other, other_etag = new_flag(operator)
    running = start(operator, other, other_etag)
    stale = operator.delete(f"/flags/{other}/ramp", headers={"If-Match": other_etag})
    assert stale.status_code == 412
    stop = operator.delete(f"/flags/{other}/ramp", headers={"If-Match": running.headers["ETag"]})
    assert stop.status_code == 200, stop.text
    assert stop.json()["state"] == "stopped"
    assert "stays at 5 %" in stop.json()["last_reason"]
    assert [h["decision"] for h in stop.json()["history"]] == ["start", "stop"]
    assert operator.get(f"/flags/{other}").json()["rollout_percentage"] == 5


def _closed_port() -> str:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def test_a_ramp_survives_a_restart_and_holds_while_prometheus_is_down(tmp_path: Path) -> None:
    settings = Settings(
        runbooks_dir=runbooks_dir(), slos_dir=slos_dir(), prometheus_url=_closed_port()
    )
    db = tmp_path / "cluster.db"
    with running_cluster(db, settings=settings) as cluster:
        operator = cluster.user("operator")
        key, etag = new_flag(operator)
        assert start(operator, key, etag).status_code == 201
    with running_cluster(db, settings=settings) as cluster:
        operator = cluster.user("operator")
        assert operator.get(f"/flags/{key}/ramp").json()["state"] == "running"
        decide(cluster)
        ramp = operator.get(f"/flags/{key}/ramp").json()
        assert (ramp["current_percent"], ramp["last_decision"]) == (5, "hold")
        assert "Prometheus cannot be read" in ramp["last_reason"]
        assert ramp["last_burn_rate"] is None
        audited = operator.get("/audit", params={"resource": f"flag/{key}"}).json()
        hold = next(e for e in audited if e["action"] == "flag.ramp.hold")
        assert hold["actor"] == "ramp"
        assert hold["after"]["ramp"]["current_percent"] == 5
