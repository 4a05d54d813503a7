"""The SLOs page against the whole sandbox: Sloth's rules over a day of history, live traffic."""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pyotp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.core.contexts import Context
from aioke_desktop.core.series import QueryResult
from aioke_desktop.core.slo_history import burn_rate_queries
from aioke_desktop.core.slo_queries import error_ratio_query, of_slo, sli_record
from aioke_desktop.core.slo_status import SloStatus
from aioke_desktop.runtime.event_feed import EventFeed
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.models.rows import ITEM_ROLE, SORT_ROLE
from aioke_desktop.ui.pages import PageState
from aioke_desktop.ui.pages.slos import SlosPage
from desktop.test_overview_live import chart_x
from desktop.ui_helpers import HOUR, light_theme
from sandbox_harness import Sandbox

pytestmark = [
    pytest.mark.slow,
    # The offscreen platform says so whenever a window's size limits change.
    pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints"),
]

BURN_COLUMNS = {"5m": 5, "1h": 6, "6h": 7, "1d": 8, "3d": 9}
SLI_COLUMN, BUDGET_COLUMN, ALERT_COLUMN, EXHAUSTION_COLUMN = 3, 4, 10, 11
NUMBER = re.compile(r"^\d+(\.\d+)?×$")


class PinnedPrometheus(PrometheusSource):
    """The real client, asking for every instant query at one moment, so that the page's
    numbers and a direct computation look at exactly the same data."""

    def __init__(self, url: str, at: float) -> None:
        super().__init__(url)
        self.at = at

    def query(self, expr: str, at: float | None = None) -> QueryResult:
        return super().query(expr, at=self.at if at is None else at)


def connect(sandbox: Sandbox, session: Session, at: float | None = None) -> Connection:
    """A logged-in viewer's connection (its Prometheus pinned at ``at`` when given)."""
    user = sandbox.new_user("viewer")
    context = Context(
        "sandbox",
        sandbox.status["control_plane_url"],
        sandbox.prometheus_url,
        username=user.name,
    )
    connection = Connection.open(context, session)
    if at is not None:
        connection.prometheus.close()
        connection.prometheus = PinnedPrometheus(sandbox.prometheus_url, at)
    logged_in = connection.cluster.login(
        user.name, user.password, pyotp.TOTP(user.totp_secret).now()
    )
    connection.username, connection.roles = logged_in.name, logged_in.roles
    return connection


@contextmanager
def open_page(
    qtbot: QtBot,
    runner: TaskRunner,
    sandbox: Sandbox,
    at: float | None = None,
    *,
    follow: bool = False,
) -> Iterator[SlosPage]:
    session = Session()
    page = SlosPage(runner, light_theme(), session)
    if follow:  # as the app does: one change feed, followed by every page
        page.follow(EventFeed(runner, session, page, wait_seconds=1))
    qtbot.addWidget(page)
    page.resize(1400, 900)
    page.show()
    qtbot.waitExposed(page)
    session.attach(connect(sandbox, session, at))
    with qtbot.waitSignal(page.first_data_ready, timeout=60_000):
        page.activate(HOUR)
    assert page.state is PageState.DATA
    yield page
    page.deactivate()
    assert runner.wait_idle(30)
    session.detach()


@pytest.fixture
def page(qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox) -> Iterator[SlosPage]:
    with open_page(qtbot, runner, sandbox) as opened:
        yield opened


def rows(page: SlosPage) -> list[SloStatus]:
    found = [page.proxy.index(r, 0).data(ITEM_ROLE) for r in range(page.proxy.rowCount())]
    assert all(isinstance(s, SloStatus) for s in found)
    return found


def cell(page: SlosPage, row: int, column: int) -> str:
    return str(page.proxy.index(row, column).data())


def test_every_slo_is_a_row_sorted_by_budget_left(page: SlosPage, sandbox: Sandbox) -> None:
    defined = {s["id"] for s in sandbox.operator("viewer").get("/slos").json()}
    shown = rows(page)
    assert {s.slo.id for s in shown} == defined
    budgets = [page.proxy.index(r, BUDGET_COLUMN).data(SORT_ROLE) for r in range(len(shown))]
    assert budgets == sorted(budgets)
    assert all(math.isfinite(b) for b in budgets)
    assert page.source.text() == "Source: the cluster's SLO recording rules and alerts"
    assert all(s.from_rules for s in shown)
    # The selected SLO's charts: the least budget left comes first, with real lines.
    assert page.selected == shown[0].slo.id
    assert page.detail.budget_chart.has_data()
    assert page.detail.burn_chart.has_data()


def test_burn_rate_columns_are_filled_and_low_burn_never_exhausts(page: SlosPage) -> None:
    shown = rows(page)
    for row, status in enumerate(shown):
        for window, column in BURN_COLUMNS.items():
            assert NUMBER.match(cell(page, row, column)), (status.slo.id, window)
        assert re.match(r"^\d+\.\d{3} %$", cell(page, row, SLI_COLUMN))
        assert cell(page, row, ALERT_COLUMN) in ("page", "ticket", "none")
    calm = [r for r, s in enumerate(shown) if s.windows["1h"].burn_rate <= 1]
    assert calm, "the sandbox's normal day burns below 1× somewhere"
    for row in calm:
        assert cell(page, row, EXHAUSTION_COLUMN) == "never"


def test_the_low_traffic_guard_hides_ratios_of_quiet_slos(qtbot: QtBot, page: SlosPage) -> None:
    hourly = {s.slo.id: s.windows["1h"].requests for s in rows(page)}
    assert all(n is not None and n > 1000 for n in hourly.values())
    quietest, busiest = min(hourly.values()), max(hourly.values())  # type: ignore[type-var]
    threshold = int(math.sqrt(quietest * busiest))  # some SLOs above it, some below
    with qtbot.assertNotEmitted(page.poller.fetch_started):  # judged again without a query
        page.guard.setValue(threshold)
    quiet = 0
    for row, status in enumerate(rows(page)):
        requests = hourly[status.slo.id]
        assert requests is not None
        text = cell(page, row, BURN_COLUMNS["1h"])
        if requests < threshold:
            quiet += 1
            assert text == "insufficient traffic"
            assert cell(page, row, EXHAUSTION_COLUMN) == "insufficient traffic"
        else:
            assert NUMBER.match(text)
    assert 0 < quiet < len(hourly)
    page.guard.setValue(100)
    assert all(NUMBER.match(cell(page, r, BURN_COLUMNS["1h"])) for r in range(len(hourly)))


def test_the_slo_table_models_pass_the_model_tester(
    qtmodeltester: ModelTester, page: SlosPage
) -> None:
    qtmodeltester.check(page.model)
    qtmodeltester.check(page.proxy)


def create_flag(sandbox: Sandbox) -> str:
    key = f"slo-mark-{uuid.uuid4().hex[:8]}"
    reply = sandbox.operator("operator").post(
        "/flags", json={"key": key, "owner": "sre"}, headers={"Idempotency-Key": key}
    )
    assert reply.status_code == 201, reply.text
    return f"flag/{key}"


def marked(page: SlosPage) -> set[str]:
    budget = {a.resource for a in page.detail.budget_chart.annotations.annotations}
    burn = {a.resource for a in page.detail.burn_chart.annotations.annotations}
    assert budget == burn  # the same changes on both charts
    return burn


def test_changes_are_marked_on_both_charts_past_and_live(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    before = create_flag(sandbox)  # in the audit log before the page opens
    with open_page(qtbot, runner, sandbox, follow=True) as page:
        assert before in marked(page)
        during = create_flag(sandbox)  # arrives through the change feed
        qtbot.waitUntil(lambda: during in marked(page), timeout=15_000)
        assert before in marked(page)


def test_the_numbers_agree_with_direct_promql(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    slos = sandbox.operator("viewer").get("/slos").json()
    sandbox.wait_for(
        "every SLO's recorded budget",
        lambda: len(sandbox.query("slo:period_error_budget_remaining:ratio")) == len(slos),
    )
    at = time.time()  # every instant query of the page, and every direct one, at this moment
    with open_page(qtbot, runner, sandbox, at) as page:
        for status in rows(page):
            slo = status.slo
            # At the recording rule's own evaluation time the raw SLI is the rule's input.
            # (Not for 5 minutes: a scrape ingested just after the rule ran is in a later
            # query but not in the rule, and in a 5-minute window under a fault another test
            # started, one scrape moves the ratio by more than 1 %.)
            for window in ("1h", "6h", "1d", "3d"):
                when = sandbox_value(
                    sandbox, f"timestamp({of_slo(sli_record(window), slo.id)})", at
                )
                ratio = sandbox_value(sandbox, error_ratio_query(slo, window), when or at)
                assert ratio is not None
                shown = status.windows[window].burn_rate
                assert shown == pytest.approx(ratio / slo.error_budget_ratio, rel=0.01, abs=1e-9)
            # The budget rule reads the 30-day ratio another rule group recorded: follow the
            # chain back to the moment that ratio was computed, and compute it there.
            budget = of_slo("slo:period_error_budget_remaining:ratio", slo.id)
            budget_when = sandbox_value(sandbox, f"timestamp({budget})", at)
            assert budget_when is not None
            ratio_30d = of_slo(sli_record("30d"), slo.id)
            ratio_when = sandbox_value(sandbox, f"timestamp({ratio_30d})", budget_when)
            assert ratio_when is not None
            five = of_slo(sli_record("5m"), slo.id)
            period_ratio = sandbox_value(
                sandbox, f"sum_over_time({five}[30d]) / count_over_time({five}[30d])", ratio_when
            )
            assert period_ratio is not None
            expected = 1 - period_ratio / slo.error_budget_ratio
            assert status.budget_remaining == pytest.approx(expected, rel=0.01, abs=1e-6)


def sandbox_value(sandbox: Sandbox, expr: str, at: float) -> float | None:
    """``expr`` at ``at``, asked of the sandbox's Prometheus directly (not through the app)."""
    answer = httpx.get(
        f"{sandbox.prometheus_url}/api/v1/query", params={"query": expr, "time": at}, timeout=10
    )
    answer.raise_for_status()
    result = answer.json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def test_choosing_another_slo_shows_its_charts(qtbot: QtBot, page: SlosPage) -> None:
    shown = rows(page)
    other = shown[-1].slo
    assert page.detail.detail is not None
    assert page.detail.detail.slo_id == shown[0].slo.id
    page.table.selectRow(len(shown) - 1)
    qtbot.waitUntil(
        lambda: page.detail.detail is not None and page.detail.detail.slo_id == other.id,
        timeout=15_000,
    )
    assert page.selected == other.id
    assert page.detail.title.text().startswith(f"{other.service} · {other.name}: ")
    assert page.detail.budget_chart.has_data()
    assert page.detail.burn_chart.has_data()
    # A refresh keeps the choice (and the row selected, wherever sorting puts it).
    with qtbot.waitSignal(page.poller.data, timeout=30_000):
        page.refresh()
    assert page.selected == other.id
    assert page.detail.detail is not None
    assert page.detail.detail.slo_id == other.id


def test_each_chart_copies_its_promql_and_a_marker_click_opens_the_change(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    flag = create_flag(sandbox)
    with open_page(qtbot, runner, sandbox) as page:
        detail = page.detail.detail
        assert detail is not None
        status = page.status(detail.slo_id)
        assert status is not None
        # What "Copy PromQL" copies is what the charts were drawn from, ready to paste.
        assert page.detail.budget_chart.promql == detail.budget.query
        for window, expr in burn_rate_queries(status.slo).items():
            assert expr in page.detail.burn_chart.promql.splitlines(), window
        page.detail.burn_chart.menu.copy_promql.trigger()
        pasted = QApplication.clipboard().text()
        assert sandbox.query(pasted.splitlines()[0])  # Prometheus answers it
        # A click on a marker asks the app to open what changed on its own page.
        burn = page.detail.burn_chart
        change = next(a for a in burn.annotations.annotations if a.resource == flag)
        with qtbot.waitSignal(page.change_chosen, timeout=5_000) as chosen:
            QTest.mouseClick(
                burn.plot_widget.viewport(),
                Qt.MouseButton.LeftButton,
                pos=chart_x(burn, change.time),
            )
        assert chosen.args[0].key == change.key
        assert chosen.args[0].page == "flags"
