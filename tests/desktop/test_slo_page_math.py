"""The SLO page's rules, on numbers: the low-traffic guard, "never", alert states, burndown."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from aioke_desktop.core.series import Series
from aioke_desktop.core.slo import SloDefinition
from aioke_desktop.core.slo_history import budget_history_queries
from aioke_desktop.core.slo_queries import WINDOWS, by_slo, error_ratio_query, per_slo
from aioke_desktop.core.slo_status import (
    SloStatus,
    WindowReading,
    burndown,
    firing_alerts,
    status_of,
    with_threshold,
)
from aioke_desktop.ui.models.slo_table import burn_text, exhaustion_text, sli_text

AVAILABILITY = SloDefinition(
    id="checkout-requests-availability",
    service="checkout",
    name="requests-availability",
    description="",
    objective_percent=99.9,
    period="30d",
    error_query='sum(rate(req_total{code=~"5.."}[{{.window}}]))',
    total_query="sum(rate(req_total[{{.window}}]))",
    raw_error_ratio_query=None,
    labels={},
)


def status(
    ratios: dict[str, float],
    requests_per_hour: float = 10_000,
    *,
    budget: float = 0.5,
    alert: str | None = None,
    guard: float = 100,
) -> SloStatus:
    readings = {
        w: WindowReading.of(
            w,
            ratios.get(w, math.nan),
            requests_per_hour * {"5m": 1 / 12, "30m": 0.5, "1h": 1, "2h": 2, "6h": 6}.get(w, 24),
            AVAILABILITY.error_budget_ratio,
            guard,
        )
        for w in WINDOWS
    }
    return status_of(AVAILABILITY, readings, budget, alert=alert)  # type: ignore[arg-type]


def test_a_burn_rate_of_one_or_less_never_exhausts_the_budget() -> None:
    assert exhaustion_text(status({"1h": 0.001})) == "never"  # burn rate exactly 1
    assert exhaustion_text(status({"1h": 0.0002})) == "never"
    # 2× with half the 30-day budget left: 7.5 days to go.
    assert exhaustion_text(status({"1h": 0.002})) == "7 d 12 h"
    assert exhaustion_text(status({"1h": 0.002}, budget=-0.1)) == "exhausted"


def test_too_few_requests_show_insufficient_traffic_instead_of_a_ratio() -> None:
    # Two errors in six requests over five minutes: a 33 % ratio that means little. At the
    # default 100 requests an hour a five-minute window needs 8.3, an hour 100.
    quiet = status({"5m": 2 / 6, "1h": 2 / 6}, requests_per_hour=72)
    assert quiet.reading("5m").requests == pytest.approx(6)
    assert burn_text(quiet.reading("5m")) == "insufficient traffic"
    assert burn_text(quiet.reading("1h")) == "insufficient traffic"
    assert sli_text(quiet) == "insufficient traffic"
    assert exhaustion_text(quiet) == "insufficient traffic"
    # A lower threshold lets the same numbers through.
    relaxed = with_threshold(quiet, 50)
    assert burn_text(relaxed.reading("5m")) == "333×"
    assert sli_text(relaxed) == "66.667 %"
    assert exhaustion_text(relaxed) != "insufficient traffic"


def test_a_window_without_data_says_so_rather_than_zero() -> None:
    empty = status({})
    assert burn_text(empty.reading("1h")) == "no data"
    assert exhaustion_text(empty) == "no data"


def test_the_guard_keeps_a_quiet_window_from_paging_when_alerts_are_computed_here() -> None:
    burning = {w: 0.5 for w in WINDOWS}  # 500× the budget everywhere
    assert status(burning).alert == "page"
    assert status(burning, requests_per_hour=50).alert == "none"
    assert with_threshold(status(burning, requests_per_hour=50), 10).alert == "page"


def test_computed_alerts_follow_the_multi_window_rules() -> None:
    assert status({"1h": 0.0150, "5m": 0.0150}).alert == "page"  # both over 14.4×
    assert status({"1h": 0.0150, "5m": 0.0010}).alert == "none"  # the short window recovered
    assert status({"6h": 0.007, "30m": 0.007}).alert == "page"  # 7× over 6 h and 30 min
    assert status({"1d": 0.004, "2h": 0.004}).alert == "ticket"
    assert status({"3d": 0.0015, "6h": 0.0015}).alert == "ticket"


def test_an_alert_state_from_the_rules_is_kept_whatever_the_burn() -> None:
    calm = status({"1h": 0.0}, alert="page")
    assert calm.from_rules
    assert calm.alert == "page"
    assert with_threshold(calm, 10**6).alert == "page"


def test_firing_alerts_map_sloth_severities_and_ignore_pending_ones() -> None:
    def alert(slo_id: str, severity: str, state: str = "firing") -> Series:
        labels = {"sloth_id": slo_id, "sloth_severity": severity, "alertstate": state}
        return Series(labels, (0.0,), (1.0,))

    found = firing_alerts(
        [
            alert("a", "ticket"),
            alert("a", "page"),
            alert("b", "ticket"),
            alert("c", "page", "pending"),
            alert("d", "critical"),  # not Sloth's severity label value: not ours
        ]
    )
    assert found == {"a": "page", "b": "ticket"}


def test_the_burndown_ends_where_the_period_ratio_puts_the_budget() -> None:
    # Four hours: clean, an incident at 10× the budget, clean, no data.
    curve = burndown([1.0, 2.0, 3.0, 4.0], [0.0, 0.01, 0.0, math.nan], 0.001)
    # The mean ratio over hours with data is 0.01 / 3: the budget left is 1 - 3.33.
    assert curve.remaining == pytest.approx((1.0, 1 - 10 / 3, 1 - 10 / 3, 1 - 10 / 3))


def test_queries_for_many_slos_are_one_query_labelled_by_slo() -> None:
    expr = per_slo({"a": "vector(1)", "b": "vector(2)"})
    assert expr == (
        'label_replace((vector(1)), "sloth_id", "a", "", "") or '
        'label_replace((vector(2)), "sloth_id", "b", "", "")'
    )
    series = [
        Series({"sloth_id": "a"}, (0.0,), (1.0,)),
        Series({"sloth_id": "a"}, (0.0,), (3.0,)),
        Series({"sloth_id": "b"}, (0.0,), (math.nan,)),
    ]
    assert by_slo(series, "sum") == {"a": 4.0, "b": pytest.approx(math.nan, nan_ok=True)}
    assert by_slo(series)["a"] == 3.0


def test_an_error_query_that_answers_nothing_counts_as_no_errors() -> None:
    expr = error_ratio_query(AVAILABILITY, "1h")
    assert expr == (
        '((sum(rate(req_total{code=~"5.."}[1h]))) or on() vector(0)) / (sum(rate(req_total[1h])))'
    )


def test_a_step_with_more_samples_weighs_more_as_in_sloths_period_ratio() -> None:
    # Sloth's period ratio is the mean of every 5-minute sample: an hour scraped every 5 s
    # (720 samples) outweighs a seeded hour with one sample a minute (60).
    curve = burndown([1.0, 2.0], [0.0, 0.01], 0.001, weights=[60, 720])
    sloth_ratio = (0.0 * 60 + 0.01 * 720) / (60 + 720)
    assert curve.remaining[-1] == pytest.approx(1 - sloth_ratio / 0.001)
    assert curve.remaining[0] == 1.0


def test_the_budget_chart_weighs_steps_as_the_tables_budget_was_computed() -> None:
    recorded = replace(status({}), budget_recorded=True)
    ratio, weight = budget_history_queries(recorded, 3600)
    five = 'slo:sli_error:ratio_rate5m{sloth_id="checkout-requests-availability"}'
    assert ratio == f"avg_over_time({five}[3600s])"
    assert weight == f"count_over_time({five}[3600s])"  # Sloth's mean of samples
    ratio, weight = budget_history_queries(status({}), 3600)
    assert ratio == error_ratio_query(AVAILABILITY, "3600s")
    assert weight == "(sum(rate(req_total[3600s]))) * 3600"  # requests in the hour
