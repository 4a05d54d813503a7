"""The Overview's row colour is the worst of all the service's SLOs, and its tooltip names
the SLO that decided it: a latency SLO burning turns the row amber though no request fails."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt

from aioke_desktop.core.golden_store import GoldenStore
from aioke_desktop.core.slo import SloDefinition
from aioke_desktop.core.slo_queries import WINDOWS
from aioke_desktop.core.slo_status import SloStatus, WindowReading, status_of
from aioke_desktop.ui.models.service_health import SloState, service_row, worst_verdict
from aioke_desktop.ui.models.services_table import (
    BUDGET_COLUMN,
    SORT_ROLE,
    STATE_ROLE,
    ServicesTableModel,
)
from aioke_desktop.ui.theme import LIGHT

HOURS = {"5m": 1 / 12, "30m": 0.5, "1h": 1, "2h": 2, "6h": 6, "1d": 24, "3d": 72}


def checkout_slo(name: str, objective: float) -> SloDefinition:
    return SloDefinition(
        id=f"checkout-{name}",
        service="checkout",
        name=name,
        description="",
        objective_percent=objective,
        period="30d",
        error_query="sum(rate(bad[{{.window}}]))",
        total_query="sum(rate(all[{{.window}}]))",
        raw_error_ratio_query=None,
        labels={},
    )


AVAILABILITY = checkout_slo("requests-availability", 99.9)
LATENCY = checkout_slo("requests-latency", 99.0)


def status(
    slo: SloDefinition,
    hour_ratio: float,
    *,
    budget: float = 0.9,
    per_hour: float = 10_000,
    alert: str | None = None,
    guard: float = 100,
) -> SloStatus:
    """``slo`` with ``hour_ratio`` errors over the last hour (none elsewhere) and
    ``per_hour`` requests an hour, judged with the low-traffic guard ``guard``."""
    readings = {
        w: WindowReading.of(
            w,
            hour_ratio if w == "1h" else 0.0,
            per_hour * HOURS[w],
            slo.error_budget_ratio,
            guard,
        )
        for w in WINDOWS
    }
    return status_of(slo, readings, budget, alert=alert)  # type: ignore[arg-type]


def checkout_row(*statuses: SloStatus) -> tuple[ServicesTableModel, int]:
    model = ServicesTableModel()
    model.set_rows([service_row(GoldenStore(), "checkout", statuses)])
    return model, model.row_of("checkout")


def test_a_burning_latency_slo_turns_the_row_amber_and_its_tooltip_says_so() -> None:
    # No request fails (availability at 0 errors), but 6.2 % are slow against a 1 % budget.
    model, row = checkout_row(status(AVAILABILITY, 0.0), status(LATENCY, 0.062))
    name = model.index(row, 0)
    assert name.data(STATE_ROLE) == "burning"
    assert name.data(Qt.ItemDataRole.DecorationRole).name() == LIGHT.warning
    assert name.data(Qt.ItemDataRole.ToolTipRole) == (
        "checkout: SLO burning (checkout-requests-latency: burning 6.2× over 1 h)"
    )
    # The same SLOs, with the latency one within plan: green.
    model, row = checkout_row(status(AVAILABILITY, 0.0), status(LATENCY, 0.005))
    assert model.index(row, 0).data(STATE_ROLE) == "ok"
    assert model.index(row, 0).data(Qt.ItemDataRole.DecorationRole).name() == LIGHT.ok


def test_the_paging_burn_rate_or_a_spent_budget_turns_the_row_red() -> None:
    # 1.5 % errors against a 0.1 % budget: 15×, the paging rate.
    model, row = checkout_row(status(AVAILABILITY, 0.015), status(LATENCY, 0.02))
    assert model.index(row, 0).data(STATE_ROLE) == "exhausted"
    assert model.index(row, BUDGET_COLUMN).data(Qt.ItemDataRole.ForegroundRole).name() == (
        LIGHT.danger
    )
    tip = model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "checkout-requests-availability: burning 15.0× over 1 h" in tip

    verdict = worst_verdict([status(AVAILABILITY, 0.0), status(LATENCY, 0.0, budget=-0.2)])
    assert verdict is not None
    assert verdict.state is SloState.EXHAUSTED
    assert verdict.reason == "checkout-requests-latency: error budget spent"


def test_the_budget_column_shows_the_least_budget_of_the_services_slos() -> None:
    model, row = checkout_row(
        status(AVAILABILITY, 0.0, budget=0.8), status(LATENCY, 0.0, budget=0.2)
    )
    budget = model.index(row, BUDGET_COLUMN)
    assert math.isclose(budget.data(SORT_ROLE), 20.0)
    assert budget.data(Qt.ItemDataRole.ToolTipRole).startswith("checkout-requests-latency (99 %)")
    assert "20 % of the error budget left" in model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)


def test_too_little_traffic_does_not_colour_the_row() -> None:
    # Two slow requests in fifty over the hour: 4× on paper, "insufficient traffic" on the
    # SLO page, and the row follows it (the budget decides).
    quiet = status(LATENCY, 2 / 50, per_hour=50)
    model, row = checkout_row(status(AVAILABILITY, 0.0), quiet)
    assert model.index(row, 0).data(STATE_ROLE) == "ok"
    # A lower threshold (set in the settings) lets the same numbers through.
    relaxed = status(LATENCY, 2 / 50, per_hour=50, guard=10)
    model, row = checkout_row(status(AVAILABILITY, 0.0), relaxed)
    assert model.index(row, 0).data(STATE_ROLE) == "burning"
    # Nothing but too little traffic: unknown, and the tooltip says why.
    unknown = worst_verdict([status(LATENCY, 2 / 50, budget=math.nan, per_hour=50)])
    assert unknown is not None
    assert unknown.state is SloState.UNKNOWN
    assert unknown.reason == "checkout-requests-latency: insufficient traffic"


def test_a_firing_alert_colours_the_row_as_it_colours_the_service_map() -> None:
    # The map paints a page red and a ticket amber, whatever the last hour says.
    paged = worst_verdict([status(LATENCY, 0.005, alert="page")])
    ticket = worst_verdict([status(LATENCY, 0.005, alert="ticket")])
    assert paged is not None
    assert ticket is not None
    assert (paged.state, paged.reason) == (
        SloState.EXHAUSTED,
        "checkout-requests-latency: page alert firing",
    )
    assert ticket.state is SloState.BURNING


def test_a_service_without_slos_has_no_state() -> None:
    model, row = checkout_row()
    assert model.index(row, 0).data(STATE_ROLE) == "unknown"
    assert model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole) == "checkout: SLO unknown"
