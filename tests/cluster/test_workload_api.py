"""``/services`` and ``/metrics/workload`` over real HTTP, and the workload thread's life."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from aioke_cluster.sandbox.traffic import SERVICES
from aioke_cluster.workload import Simulator
from aioke_cluster.workload.topology import edges
from harness import Cluster, running_cluster

Sample = tuple[str, dict[str, str], float]


def workload(cluster: Cluster) -> Simulator:
    sim: Simulator = cluster.app.state.workload
    return sim


def scrape(cluster: Cluster) -> list[Sample]:
    """``/metrics/workload`` as Prometheus reads it: without logging in."""
    reply = httpx.get(f"{cluster.url}/metrics/workload")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/plain")
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(reply.text)
        for s in family.samples
    ]


def total(samples: list[Sample], name: str, **labels: str) -> float:
    return sum(
        v for n, ls, v in samples if n == name and all(ls.get(k) == w for k, w in labels.items())
    )


def scale(client: httpx.Client, name: str, body: Any, key: str | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    return client.post(f"/services/{name}/scale", json=body, headers=headers)


def audit_rows(cluster: Cluster, name: str) -> list[dict[str, Any]]:
    reply = cluster.user("viewer").get("/audit", params={"resource": f"service/{name}"})
    rows: list[dict[str, Any]] = reply.json()
    return rows


def test_the_service_list_shows_instances_upstreams_and_traffic_settings(
    cluster: Cluster,
) -> None:
    assert httpx.get(f"{cluster.api}/services").status_code == 401
    reply = cluster.user("viewer").get("/services")
    assert reply.status_code == 200, reply.text
    services = {s["name"]: s for s in reply.json()}
    assert set(services) == set(SERVICES)
    checkout = services["checkout"]
    assert [u["breaker"] for u in checkout["upstreams"]] == [
        "checkout->payments",
        "checkout->inventory",
        "checkout->auth",
    ]
    assert checkout["mtls"] is True
    assert checkout["load_balancing"] == "round_robin"
    assert checkout["retry_policy"]["max_attempts"] >= 1
    assert checkout["rate_limit"]["requests_per_second"] > 0
    for service in services.values():
        assert len(service["instances"]) == service["desired_instances"] >= 1
        assert {i["zone"] for i in service["instances"]} == set(service["zones"])
        assert all(isinstance(i["healthy"], bool) for i in service["instances"])
        assert service["status"] in ("healthy", "degraded", "down")
    assert services["inventory"]["mtls"] is False
    assert services["payments"]["upstreams"] == []


def test_golden_signals_of_every_service_are_scraped_without_a_login(cluster: Cluster) -> None:
    workload(cluster).tick(cluster.clock.now() + 1)
    samples = scrape(cluster)
    for service in SERVICES:
        assert total(samples, "http_server_request_duration_seconds_count", service=service) > 0
        for resource in ("cpu", "memory", "queue"):
            assert [
                labels
                for name, labels, _ in samples
                if name == "aioke_saturation_ratio"
                and labels == {"service": service, "resource": resource}
            ]
        assert total(samples, "aioke_service_instances", service=service) >= 1
    for caller, callee in edges():
        states = [
            labels["state"]
            for name, labels, value in samples
            if name == "aioke_circuit_breaker_state"
            and labels["breaker"] == f"{caller}->{callee}"
            and value == 1
        ]
        assert len(states) == 1


def test_scaling_a_service_changes_its_instances_and_is_audited_once(cluster: Cluster) -> None:
    operator = cluster.user("operator")
    key = str(uuid.uuid4())
    first = scale(operator, "recommendations", {"instances": 5}, key)
    assert first.status_code == 200, first.text
    assert first.json()["desired_instances"] == 5
    again = scale(operator, "recommendations", {"instances": 5}, key)
    assert again.headers.get("Idempotent-Replayed") == "true"
    try:
        rows = audit_rows(cluster, "recommendations")
        mine = [r for r in rows if r["idempotency_key"] == key]
        assert [(r["action"], r["actor"], r["before"], r["after"]) for r in mine] == [
            ("service.scale", operator.user.name, {"instances": 2}, {"instances": 5})
        ]
        shown = cluster.user("viewer").get("/services/recommendations").json()
        assert [i["zone"] for i in shown["instances"]] == ["eu-1a", "eu-1b"] * 2 + ["eu-1a"]
        workload(cluster).tick(cluster.clock.now() + 1)
        samples = scrape(cluster)
        metric = "aioke_service_instances"
        assert total(samples, metric, service="recommendations", zone="eu-1a") == 3
        assert total(samples, metric, service="recommendations", zone="eu-1b") == 2
    finally:
        back = scale(operator, "recommendations", {"instances": 2})
        assert back.status_code == 200, back.text
    assert len(audit_rows(cluster, "recommendations")) == len(rows) + 1


@pytest.mark.parametrize("instances", [0, 21, "3"])
def test_a_scale_outside_1_to_20_instances_is_refused_naming_the_field(
    cluster: Cluster, instances: object
) -> None:
    reply = scale(cluster.user("operator"), "search", {"instances": instances})
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "instances"


def test_scaling_needs_an_operator_a_known_service_and_an_idempotency_key(
    cluster: Cluster,
) -> None:
    assert scale(cluster.user("viewer"), "search", {"instances": 3}).status_code == 403
    operator = cluster.user("operator")
    missing = scale(operator, "warehouse", {"instances": 3})
    assert missing.status_code == 404
    assert "warehouse" in missing.json()["detail"]
    no_key = operator.post("/services/search/scale", json={"instances": 3})
    assert no_key.status_code == 400
    assert audit_rows(cluster, "search") == []


def test_the_workload_thread_runs_with_the_app_and_stops_with_it(tmp_path: Path) -> None:
    with running_cluster(tmp_path / "cluster.db", simulate=True) as running:
        sim = workload(running)
        deadline = time.monotonic() + 15
        while total(scrape(running), "http_server_request_duration_seconds_count") == 0:
            assert time.monotonic() < deadline, "the workload served no traffic"
            time.sleep(0.1)
        assert sim.running
    assert not sim.running
    assert not [t for t in threading.enumerate() if t.name == "aioke-workload"]
