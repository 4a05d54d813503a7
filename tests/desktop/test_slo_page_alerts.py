"""The SLO page's alert states from a real Prometheus whose rules fire at once.

A burn-rate alert in the sandbox needs a long fault before its hour-long window burns 14.4
times the budget; here a real Prometheus evaluates small rules instead: Sloth-named
recordings and ``ALERTS`` that fire on the first evaluation for some SLOs, and raw request
counters (recordings of ``time()``, so that they grow) for others, whose alert state the app
computes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from pytestqt.qtbot import QtBot

from aioke_cluster.sandbox.processes import MonitoringStack
from aioke_desktop.core.contexts import Context
from aioke_desktop.core.slo_queries import WINDOWS
from aioke_desktop.core.slo_status import SloStatus
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.models.rows import ITEM_ROLE
from aioke_desktop.ui.pages.slos import SlosPage
from desktop.ui_helpers import HOUR, light_theme
from harness import Cluster

pytestmark = [
    pytest.mark.slow,
    pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints"),
]

REQUESTS = "http_server_request_duration_seconds_count"
ALERT_COLUMN, BURN_1H_COLUMN = 10, 6


def sloth_labels(service: str, window: str | None = None) -> dict[str, str]:
    labels = {
        "sloth_id": f"{service}-requests-availability",
        "sloth_service": service,
        "sloth_slo": "requests-availability",
    }
    return labels | ({"sloth_window": window} if window else {})


def recorded_slo(service: str, error_ratio: float, budget_left: float) -> list[dict[str, Any]]:
    """What Sloth's recording rules would record for an SLO, as constants."""
    rules: list[dict[str, Any]] = [
        {
            "record": f"slo:sli_error:ratio_rate{w}",
            "expr": f"vector({error_ratio})",
            "labels": sloth_labels(service, w),
        }
        for w in WINDOWS
    ]
    rules.append(
        {
            "record": "slo:period_error_budget_remaining:ratio",
            "expr": f"vector({budget_left})",
            "labels": sloth_labels(service),
        }
    )
    return rules


def firing(service: str, severity: str) -> dict[str, Any]:
    """A Sloth-style burn-rate alert that fires on its first evaluation."""
    return {
        "alert": f"{service.capitalize()}HighErrorRate",
        "expr": "vector(1)",
        "labels": {**sloth_labels(service), "sloth_severity": severity},
    }


def counters(service: str, errors_per_second: float, ok_per_second: float) -> list[dict[str, Any]]:
    """Raw request counters of a service, growing at the given rates."""
    rules = [
        {
            "record": REQUESTS,
            "expr": f"time() * {ok_per_second}",
            "labels": {"service": service, "http_response_status_code": "200"},
        }
    ]
    if errors_per_second:
        rules.append(
            {
                "record": REQUESTS,
                "expr": f"time() * {errors_per_second}",
                "labels": {"service": service, "http_response_status_code": "500"},
            }
        )
    return rules


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("slo-alerts")
    groups = [
        # Recorded by rules, alerts from the rules: page, ticket, and none despite the burn
        # (the cluster's rules decide; this one has its alerts turned off).
        {"name": "checkout", "rules": [*recorded_slo("checkout", 0.02, 0.4)]},
        {"name": "auth", "rules": [*recorded_slo("auth", 0.0002, 0.9)]},
        {"name": "search", "rules": [*recorded_slo("search", 0.5, -2.0)]},
        {"name": "alerts", "rules": [firing("checkout", "page"), firing("auth", "ticket")]},
        # No SLO rules: computed from the raw counters in the app.
        {"name": "payments", "rules": counters("payments", 3.0, 7.0)},  # 30 % errors
        {"name": "inventory", "rules": counters("inventory", 0.0, 10.0)},  # none
    ]
    rules = work / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": groups}))
    with MonitoringStack(work / "stack", [], [rules], work / "tsdb") as stack:
        yield stack.prometheus_url


def connect(cluster: Cluster, prometheus_url: str, session: Session) -> Connection:
    user = cluster.new_user("viewer")
    context = Context("alerts", cluster.url, prometheus_url, username=user.name)
    connection = Connection.open(context, session)
    logged_in = connection.cluster.login(user.name, user.password, cluster.code(user))
    connection.username, connection.roles = logged_in.name, logged_in.roles
    return connection


def statuses(page: SlosPage) -> dict[str, tuple[int, SloStatus]]:
    found = {}
    for row in range(page.proxy.rowCount()):
        status = page.proxy.index(row, 0).data(ITEM_ROLE)
        assert isinstance(status, SloStatus)
        found[status.slo.service + "/" + status.slo.name] = (row, status)
    return found


def refresh_until(qtbot: QtBot, page: SlosPage, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the rules did not get there within 60 s"
        with qtbot.waitSignal(page.poller.data, timeout=30_000):
            page.refresh()


def test_alert_states_come_from_the_rules_or_are_computed_here(
    qtbot: QtBot, runner: TaskRunner, cluster: Cluster, prometheus: str
) -> None:
    session = Session()
    page = SlosPage(runner, light_theme(), session)
    qtbot.addWidget(page)
    session.attach(connect(cluster, prometheus, session))
    with qtbot.waitSignal(page.first_data_ready, timeout=30_000):
        page.activate(HOUR)

    def alert(key: str) -> str:
        row, _ = statuses(page)[key]
        return str(page.proxy.index(row, ALERT_COLUMN).data())

    # Rates need two evaluations of the counters; the alerts fire on their first.
    refresh_until(
        qtbot,
        page,
        lambda: (
            alert("payments/requests-availability") == "page"
            and alert("checkout/requests-availability") == "page"
        ),
    )
    found = statuses(page)
    checkout = found["checkout/requests-availability"][1]
    assert checkout.from_rules
    assert checkout.windows["1h"].burn_rate == pytest.approx(20.0)  # 2 % against 0.1 %
    assert checkout.budget_remaining == pytest.approx(0.4)
    assert alert("auth/requests-availability") == "ticket"
    # 50 % errors against a 99.5 % objective is 100 times the budget, but the cluster's rules
    # have its alerts turned off: no alert, as there.
    search = found["search/requests-availability"][1]
    assert search.from_rules
    assert search.windows["1h"].burn_rate == pytest.approx(100.0)
    assert alert("search/requests-availability") == "none"

    payments_row, payments = found["payments/requests-availability"]
    assert not payments.from_rules
    assert payments.windows["5m"].error_ratio == pytest.approx(0.3, rel=0.01)
    assert page.proxy.index(payments_row, ALERT_COLUMN).data(3).startswith("Computed here")
    inventory_row, inventory = found["inventory/requests-availability"]
    assert not inventory.from_rules
    assert alert("inventory/requests-availability") == "none"
    # No 5xx series at all is no errors, not "no data".
    assert page.proxy.index(inventory_row, BURN_1H_COLUMN).data() == "0.00×"
    # An SLO with neither rules nor metrics: no data, and no alert made up.
    assert alert("gateway/requests-availability") == "none"
    gateway_row, _ = found["gateway/requests-availability"]
    assert page.proxy.index(gateway_row, BURN_1H_COLUMN).data() == "no data"
    # Least budget first: payments (computed, hundreds of budgets over) before search.
    rows = [key for key, _ in sorted(found.items(), key=lambda item: item[1][0])]
    assert rows[:2] == ["payments/requests-availability", "search/requests-availability"]
    page.deactivate()
    assert runner.wait_idle(30)
    session.detach()
