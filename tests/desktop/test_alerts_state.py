"""The alerts model the page and the tray share, runbook references, and what was notified."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from aioke_desktop.core.activity import ClusterEvent
from aioke_desktop.core.alert_memory import (
    REARM_SECONDS,
    MemoryFile,
    NotificationMemory,
)
from aioke_desktop.core.alert_runbooks import runbook_params, runbook_ref
from aioke_desktop.core.alert_state import (
    AlertsSnapshot,
    AlertStatus,
    CurrentAlert,
    Severity,
    alert_identity,
    label_fingerprint,
    parse_time,
    summarise,
)
from aioke_desktop.core.notices import alert_notification, event_notification

# An alert as the sandbox's Alertmanager 0.25 listed it, with the fingerprint it printed.
TICKET_LABELS = {
    "alertname": "GatewayHighErrorRate",
    "category": "availability",
    "owner": "edge",
    "severity": "warning",
    "sloth_id": "gateway-requests-availability",
    "sloth_service": "gateway",
    "sloth_severity": "ticket",
    "sloth_slo": "requests-availability",
    "sloth_window": "6h",
    "tier": "1",
}
STOP_CHAOS_SCHEMA = {
    "type": "object",
    "properties": {"service": {"type": "string"}, "max_error_ratio": {"type": "number"}},
}


def alert(
    name: str = "GatewayHighErrorRate",
    severity: str = "critical",
    status: AlertStatus = AlertStatus.FIRING,
    **labels: str,
) -> CurrentAlert:
    full = {"alertname": name, "severity": severity, **labels}
    return CurrentAlert(
        key=alert_identity(full),
        fingerprint=label_fingerprint(full),
        labels=full,
        annotations={"summary": f"{name} is burning"},
        status=status,
        since=1_000.0,
    )


def snapshot(*alerts: CurrentAlert, at: float = 0.0) -> AlertsSnapshot:
    return AlertsSnapshot(alerts, "Alertmanager", at)


def test_fingerprints_are_alertmanagers_own() -> None:
    assert label_fingerprint(TICKET_LABELS) == "a0018b53b479f8b6"


def test_a_sloth_alert_keeps_its_identity_when_its_burn_window_changes() -> None:
    other_window = {**TICKET_LABELS, "sloth_window": "2h"}
    assert label_fingerprint(other_window) != label_fingerprint(TICKET_LABELS)
    assert alert_identity(other_window) == alert_identity(TICKET_LABELS)


def test_severity_words_from_the_wild_rank_sensibly() -> None:
    assert Severity.parse("critical") is Severity.CRITICAL
    assert Severity.parse("page") is Severity.CRITICAL
    assert Severity.parse("Warning") is Severity.WARNING
    assert Severity.parse("info") is Severity.INFO
    # A word nobody planned for is not ignored: it counts as a warning.
    assert Severity.parse("sev2") is Severity.WARNING
    assert Severity.parse("") is Severity.WARNING


def test_alertmanager_times_with_nanoseconds_are_read() -> None:
    assert parse_time("2026-11-26T20:54:27.970123456Z") == parse_time("2026-11-26T20:54:27.970123Z")
    assert parse_time("0001-01-01T00:00:00Z") is None
    assert parse_time("not a time") is None


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["critical", "warning", "info", "odd"]), st.sampled_from(AlertStatus)
        ),
        max_size=8,
    )
)
def test_the_summary_is_never_ok_while_an_alert_fires(
    rows: list[tuple[str, AlertStatus]],
) -> None:
    alerts = [alert(f"A{n}", sev, status) for n, (sev, status) in enumerate(rows)]
    summary = summarise(alerts)
    firing = [a for a in alerts if a.status is AlertStatus.FIRING]
    assert summary.firing == len(firing)
    assert (summary.worst is Severity.NONE) == (not firing)
    assert summary.worst == max((a.severity for a in firing), default=Severity.NONE)


def test_the_headline_counts_every_state() -> None:
    summary = summarise(
        [
            alert("A"),
            alert("B", "warning"),
            alert("C", status=AlertStatus.SILENCED),
            alert("D", status=AlertStatus.PENDING),
        ]
    )
    assert summary.headline() == "2 firing (worst: critical), 1 pending, 1 silenced"
    assert summarise([]).headline() == "No alerts firing"
    assert summarise([], known=False).headline() == "Alerts unknown"


def test_a_runbook_is_named_by_id_or_by_url() -> None:
    by_id = runbook_ref({"runbook": "stop-chaos-on-service"})
    assert by_id is not None
    assert by_id.runbook_id == "stop-chaos-on-service"
    assert by_id.url is None
    url = "https://aioke.example/api/v1/runbooks/reset-breaker?breaker=checkout-%3Epayments"
    by_url = runbook_ref({"runbook_url": url})
    assert by_url is not None
    assert (by_url.runbook_id, dict(by_url.params), by_url.url) == (
        "reset-breaker",
        {"breaker": "checkout->payments"},
        url,
    )
    wiki = runbook_ref({"runbook_url": "https://wiki.example/ops/HighErrorRate.md"})
    assert wiki is not None
    assert wiki.runbook_id == "HighErrorRate"
    assert runbook_ref({"summary": "no runbook here"}) is None
    assert runbook_ref({"runbook": "not an id!"}) is None


def test_runbook_parameters_come_from_the_alerts_labels() -> None:
    ref = runbook_ref({"runbook": "stop-chaos-on-service"})
    assert ref is not None
    # Sloth's sloth_service fills "service"; labels the schema does not know are left out.
    assert runbook_params(ref, STOP_CHAOS_SCHEMA, TICKET_LABELS) == {"service": "gateway"}
    explicit = runbook_ref({"runbook": "stop-chaos-on-service?service=checkout&bogus=1"})
    assert explicit is not None
    assert runbook_params(explicit, STOP_CHAOS_SCHEMA, TICKET_LABELS) == {"service": "checkout"}


def test_an_alert_is_notified_once_even_after_a_restart(tmp_path: Path) -> None:
    file = MemoryFile(tmp_path / "notified.json")
    memory = file.load()
    page = alert()
    assert memory.due(snapshot(page), now=100.0) == [page]
    assert memory.due(snapshot(page), now=115.0) == []
    assert file.save(memory.to_json(), memory.generation)
    restarted = MemoryFile(tmp_path / "notified.json").load()
    assert restarted.due(snapshot(page), now=130.0) == []


def test_below_the_threshold_silenced_and_pending_alerts_are_not_notified() -> None:
    memory = NotificationMemory(Severity.CRITICAL)
    quiet = [
        alert("Ticket", "warning"),
        alert("Muted", status=AlertStatus.SILENCED),
        alert("Soon", status=AlertStatus.PENDING),
    ]
    assert memory.due(snapshot(*quiet), now=1.0) == []
    # The silence ran out and it still fires: now someone needs to hear of it.
    unmuted = alert("Muted")
    assert memory.due(snapshot(unmuted), now=2.0) == [unmuted]


def test_an_alert_back_after_a_long_quiet_is_a_new_incident() -> None:
    memory = NotificationMemory()
    page = alert()
    assert memory.due(snapshot(page), now=1000.0) == [page]
    assert memory.due(snapshot(), now=1060.0) == []  # resolved
    flapped = replace(page, since=1100.0)
    assert memory.due(snapshot(flapped), now=1120.0) == []  # back a minute later: not news
    # Firing all night while the app was closed: the same incident, already told.
    assert memory.due(snapshot(flapped), now=1120.0 + 8 * 3600) == []
    last_seen = 1120.0 + 8 * 3600
    anew = replace(page, since=last_seen + REARM_SECONDS + 60)
    assert memory.due(snapshot(anew), now=last_seen + REARM_SECONDS + 90) == [anew]


def test_a_pause_defers_notifications_until_it_ends() -> None:
    memory = NotificationMemory()
    memory.pause(3600, now=0.0)
    page = alert()
    assert memory.due(snapshot(page), now=10.0) == []
    assert memory.due(snapshot(page), now=3601.0) == [page]
    restored = NotificationMemory.from_json(json.loads(json.dumps(memory.to_json())))
    assert restored.was_notified(page.key)


def test_an_unreadable_memory_file_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "notified.json"
    path.write_text("{not json")
    assert MemoryFile(path).load().due(snapshot(alert()), now=1.0)
    path.write_text(json.dumps({"version": 1, "alerts": {"k": {"name": 3}}, "events": []}))
    assert MemoryFile(path).load().to_json()["alerts"] == {}


def test_an_older_write_never_replaces_a_newer_one(tmp_path: Path) -> None:
    file = MemoryFile(tmp_path / "notified.json")
    assert file.save({"version": 1, "paused_until": 2.0}, generation=2)
    assert not file.save({"version": 1, "paused_until": 1.0}, generation=1)
    assert json.loads(file.path.read_text())["paused_until"] == 2.0


def event(seq: int, kind: str, time: str, actor: str | None = None, **data: str) -> ClusterEvent:
    return ClusterEvent(seq, time, kind, "breaker/checkout->payments", actor, "summary", data)


def test_events_are_news_once_and_only_when_recent() -> None:
    memory = NotificationMemory()
    now = parse_time("2026-11-26T21:00:00Z") or 0.0
    old = event(1, "breaker.transition", "2026-11-26T19:00:00Z", to="OPEN")
    new = event(2, "breaker.transition", "2026-11-26T20:59:30Z", to="OPEN")
    assert memory.new_events("https://cp", [old, new], now) == [new]
    assert memory.new_events("https://cp", [old, new], now) == []
    assert memory.new_events("https://other-cp", [new], now) == [new]


def test_what_a_notification_says() -> None:
    told = alert_notification(alert(sloth_service="gateway", sloth_slo="requests-availability"))
    assert told.title == "Critical: GatewayHighErrorRate"
    assert told.body.startswith("GatewayHighErrorRate is burning\ngateway · requests-availability")
    opened = event_notification(
        event(3, "breaker.transition", "t", to="OPEN", reason="50 % failed")
    )
    assert opened is not None
    assert opened.title == "Breaker opened: checkout → payments"
    # An operator forcing it open is not news to that operator; half-open is not an opening.
    assert event_notification(event(4, "breaker.transition", "t", actor="alice", to="OPEN")) is None
    assert event_notification(event(5, "breaker.transition", "t", to="HALF_OPEN")) is None
    aborted = ClusterEvent(6, "t", "chaos.auto_aborted", "chaos/run/3", None, "Run 3 aborted.", {})
    told_abort = event_notification(aborted)
    assert told_abort is not None
    assert told_abort.body == "Run 3 aborted."
