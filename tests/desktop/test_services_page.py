"""The Services page against the whole sandbox: its real services, breakers and Prometheus."""

from __future__ import annotations

import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pyotp
import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.models.rows import ITEM_ROLE
from aioke_desktop.ui.pages import PageState
from aioke_desktop.ui.pages.services import ServicesPage
from aioke_desktop.ui.service_map.tables import TREND_COLUMN, TREND_ROLE
from desktop.ui_helpers import HOUR, light_theme
from harness import Cluster
from sandbox_harness import Sandbox

pytestmark = [
    pytest.mark.slow,
    # The offscreen platform says so whenever a window's size limits change.
    pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints"),
]

FORCED_EDGE = "search->recommendations"  # an optional call: search answers without it


def connect(sandbox: Sandbox, session: Session) -> Connection:
    """A logged-in connection for a fresh viewer, as the login dialog would make it."""
    user = sandbox.new_user("viewer")
    context = Context(
        "sandbox",
        sandbox.status["control_plane_url"],
        sandbox.prometheus_url,
        username=user.name,
        alertmanager_url=sandbox.alertmanager_url,
    )
    connection = Connection.open(context, session)
    logged_in = connection.cluster.login(
        user.name, user.password, pyotp.TOTP(user.totp_secret).now()
    )
    connection.username, connection.roles = logged_in.name, logged_in.roles
    return connection


@pytest.fixture
def page(qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox) -> Iterator[ServicesPage]:
    session = Session()
    services_page = ServicesPage(runner, light_theme(), session)
    qtbot.addWidget(services_page)
    services_page.resize(1400, 820)
    services_page.show()
    qtbot.waitExposed(services_page)
    session.attach(connect(sandbox, session))
    with qtbot.waitSignal(services_page.first_data_ready, timeout=30_000):
        services_page.activate(HOUR)
    assert services_page.state is PageState.DATA
    yield services_page
    services_page.deactivate()
    assert runner.wait_idle(30)
    session.detach()


def refresh_until(
    qtbot: QtBot, page: ServicesPage, condition: Callable[[], bool], timeout_s: float
) -> None:
    """Refresh the page (as F5 does) until ``condition`` holds: the cluster moves on its own
    schedule (scrapes every 5 s), so the test polls rather than sleeps."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"not seen within {timeout_s:.0f} s"
        with qtbot.waitSignal(page.poller.data, timeout=30_000):
            page.refresh()


def api_services(sandbox: Sandbox) -> list[dict[str, object]]:
    reply = sandbox.operator("viewer").get("/services")
    reply.raise_for_status()
    return list(reply.json())


def test_every_service_is_a_node_with_its_numbers(
    qtbot: QtBot, page: ServicesPage, sandbox: Sandbox
) -> None:
    listed = {s["name"] for s in api_services(sandbox)}
    assert set(page.map_view.nodes) == listed
    calls = {
        (s["name"], u["service"])
        for s in api_services(sandbox)
        for u in s["upstreams"]  # type: ignore[attr-defined]
    }
    assert set(page.map_view.edges) == calls
    for item in page.map_view.nodes.values():
        # A real rate and p99 from Prometheus, never a blank or a zero standing in for none.
        assert re.search(r"\d req/s", item.toolTip()), item.toolTip()
        assert re.search(r"p99 \d", item.toolTip()), item.toolTip()
    # Call rates come from the breakers' counters, which have no seeded history: a sandbox
    # that just started shows "no data" on its edges until two scrapes are in.
    edges = page.map_view.edges.values()
    refresh_until(qtbot, page, lambda: all(e.edge.rates is not None for e in edges), 90)
    for edge in edges:
        assert re.match(r"[\d.]+/s · ", edge.label.text), edge.label.text


def click(qtbot: QtBot, page: ServicesPage, service: str) -> None:
    view = page.map_view
    item = view.nodes[service]
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(item.scenePos())
    )


def test_clicking_a_node_shows_its_signals_and_instances(
    qtbot: QtBot, page: ServicesPage, sandbox: Sandbox
) -> None:
    shown_first = page.details.node.name if page.details.node else None
    target = "payments" if shown_first != "payments" else "search"
    click(qtbot, page, target)
    assert page.details.node is not None
    assert page.details.node.name == target
    assert page.details.title.text() == target
    assert page.map_view.selected == target
    assert page.map_view.nodes[target].selected

    signals = page.details.signals_model
    rows = {signals.item(r).key: signals.item(r) for r in range(signals.rowCount())}
    assert {"traffic", "errors", "p99"} <= set(rows)
    assert any(key.startswith("saturation:") for key in rows)
    assert re.match(r"[\d.]+ req/s", rows["traffic"].now)
    assert re.match(r"[\d.]+ (ms|s)", rows["p99"].now)
    for row in range(signals.rowCount()):  # every signal has a sparkline of real points
        trend = signals.index(row, TREND_COLUMN).data(TREND_ROLE)
        assert trend is not None
        assert len(trend) > 10

    expected = next(s for s in api_services(sandbox) if s["name"] == target)
    instances = page.details.instances_model
    shown = [
        (i.id, i.zone, i.healthy)
        for i in (instances.index(r, 0).data(ITEM_ROLE) for r in range(instances.rowCount()))
    ]
    assert shown == [
        (i["id"], i["zone"], i["healthy"])
        for i in expected["instances"]  # type: ignore[attr-defined]
    ]
    assert {instances.index(r, 1).data() for r in range(instances.rowCount())} <= {
        "eu-1a",
        "eu-1b",
        "eu-1c",
    }


def test_the_signal_and_instance_models_pass_the_model_tester(
    qtmodeltester: ModelTester, page: ServicesPage
) -> None:
    qtmodeltester.check(page.details.signals_model)
    qtmodeltester.check(page.details.instances_model)


def transition(client: httpx.Client, name: str, to: str, ttl: int | None = None) -> dict[str, Any]:
    path = f"/breakers/{name.replace('>', '%3E')}"
    current = client.get(path)
    current.raise_for_status()
    body: dict[str, object] = {"to": to, "reason": "services page test"}
    if ttl is not None:
        body["ttl_seconds"] = ttl
    reply = client.post(
        f"{path}/transition",
        json=body,
        headers={"If-Match": current.headers["etag"], "Idempotency-Key": uuid.uuid4().hex},
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_a_breaker_forced_open_shows_on_its_edge(
    qtbot: QtBot, page: ServicesPage, sandbox: Sandbox
) -> None:
    operator = sandbox.operator("operator", step_up=True)
    key = tuple(FORCED_EDGE.split("->"))
    edge = page.map_view.edges[key]
    assert edge.edge.breaker_state == "CLOSED"
    assert "OPEN" not in edge.label.text
    assert transition(operator, FORCED_EDGE, "FORCE_OPEN", ttl=120)["state"] == "FORCED_OPEN"
    try:
        refresh_until(qtbot, page, lambda: edge.edge.breaker_state == "FORCED_OPEN", 30)
        assert page.map_view.edges[key] is edge  # updated in place, not rebuilt
        assert edge.label.text.endswith("FORCED OPEN")
        assert edge.edge.level == "danger"
        assert edge.pen().style() == Qt.PenStyle.DashLine
        assert "Breaker search->recommendations: Forced open" in edge.toolTip()
        others = [e for k, e in page.map_view.edges.items() if k != key]
        assert all("OPEN" not in e.label.text for e in others)
        # The calls it rejects reach Prometheus, and the edge's error ratio, within scrapes.
        refresh_until(
            qtbot, page, lambda: edge.edge.rates is not None and edge.edge.rates.rejected > 0, 60
        )
        assert edge.edge.rates is not None
        assert edge.edge.rates.error_ratio > 0
    finally:
        transition(operator, FORCED_EDGE, "RESET")


def test_without_prometheus_the_map_still_shows_who_calls_whom(
    qtbot: QtBot, runner: TaskRunner, cluster: Cluster
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"  # nothing listens once closed
    session = Session()
    page = ServicesPage(runner, light_theme(), session)
    qtbot.addWidget(page)
    user = cluster.new_user("viewer")
    connection = Connection.open(Context("no-prometheus", cluster.url, closed), session)
    connection.cluster.login(user.name, user.password, cluster.code(user))
    session.attach(connection)
    with qtbot.waitSignal(page.first_data_ready, timeout=30_000):
        page.activate(HOUR)
    assert page.state is PageState.DATA
    assert len(page.map_view.nodes) == 7
    assert len(page.map_view.edges) == 8
    assert all(e.label.text == "no data" for e in page.map_view.edges.values())
    assert not page.warning.isHidden()
    assert page.warning.text().startswith("Signals, call rates and SLO states are missing: ")
    assert "The map shows what the control plane knows." in page.warning.text()
    page.deactivate()
    assert runner.wait_idle(30)
    session.detach()
