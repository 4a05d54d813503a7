"""``GET /slos``: the definitions the desktop's SLO page and the sandbox's rules share."""

from __future__ import annotations

from harness import Cluster


def test_the_control_plane_serves_the_slo_definitions(cluster: Cluster) -> None:
    slos = cluster.user("viewer").get("/slos").json()
    assert {"gateway", "checkout", "payments"} <= {slo["service"] for slo in slos}
    checkout = next(s for s in slos if s["service"] == "checkout")
    assert checkout["period"] == "30d"
    assert 90 < checkout["objective"] < 100
    assert "http_server_request_duration_seconds" in str(checkout["sli"])
    assert {w["burn_rate"] for w in checkout["alerting"]["page_alert"]["windows"]} == {14.4, 6}
