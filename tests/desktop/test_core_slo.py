"""Error-budget arithmetic as the SLO page shows it."""

from __future__ import annotations

import math

import pytest

from aioke_desktop.core.durations import format_duration, parse_duration
from aioke_desktop.core.jsonshape import Fields, ShapeError
from aioke_desktop.core.slo import (
    SloDefinition,
    alert_level,
    budget_remaining,
    burn_rate,
    enough_traffic,
    time_to_exhaustion,
)

MONTH = 30 * 86400


def test_burn_rate_is_errors_over_budget() -> None:
    assert burn_rate(0.001, 0.001) == pytest.approx(1.0)
    assert burn_rate(0.0144, 0.001) == pytest.approx(14.4)
    assert burn_rate(0.0, 0.001) == 0.0
    assert math.isnan(burn_rate(math.nan, 0.001))
    assert math.isnan(burn_rate(0.01, 0.0))  # a 100 % objective has no budget to burn


def test_budget_remaining_goes_below_zero_when_overspent() -> None:
    assert budget_remaining(0.0, 0.001) == 1.0
    assert budget_remaining(0.00025, 0.001) == pytest.approx(0.75)
    assert budget_remaining(0.002, 0.001) == pytest.approx(-1.0)


def test_time_to_exhaustion_is_never_at_a_burn_rate_of_one_or_less() -> None:
    assert str(time_to_exhaustion(0.5, 1.0, MONTH)) == "never"
    assert time_to_exhaustion(0.5, 0.2, MONTH).never
    assert time_to_exhaustion(0.5, math.nan, MONTH).never
    # Half the budget left at 14.4x: half a month / 14.4 = 25 hours.
    soon = time_to_exhaustion(0.5, 14.4, MONTH)
    assert soon.seconds == pytest.approx(25 * 3600)
    assert str(soon) == "1 d 1 h"
    assert str(time_to_exhaustion(0.0, 2.0, MONTH)) == "exhausted"


def test_multi_window_alerts_need_both_windows_burning() -> None:
    assert alert_level({"1h": 20, "5m": 20}) == "page"
    assert alert_level({"1h": 20, "5m": 2}) == "none"  # already recovering: no page
    assert alert_level({"6h": 7, "30m": 7}) == "page"
    assert alert_level({"1d": 4, "2h": 4}) == "ticket"
    assert alert_level({"3d": 1.5, "6h": 1.5}) == "ticket"
    assert alert_level({"1h": math.nan, "5m": 50}) == "none"
    assert alert_level({}) == "none"


def test_few_requests_are_insufficient_traffic_scaled_to_the_window() -> None:
    assert not enough_traffic(50, "1h")
    assert enough_traffic(100, "1h")
    assert enough_traffic(9, "5m")  # 100 an hour is about 8.3 in five minutes
    assert not enough_traffic(8, "5m")
    assert not enough_traffic(math.nan, "1h")
    assert enough_traffic(10, "1h", per_hour=10)


def test_durations_read_and_print() -> None:
    assert parse_duration("1h30m") == 5400
    assert parse_duration("30d") == MONTH
    assert parse_duration("250ms") == pytest.approx(0.25)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("5 minutes")
    assert format_duration(45) == "45 s"
    assert format_duration(12 * 60) == "12 min"
    assert format_duration(3 * 3600 + 20 * 60) == "3 h 20 min"


SLO_JSON = {
    "id": "checkout-availability",
    "service": "checkout",
    "name": "availability",
    "objective": 99.9,
    "period": "30d",
    "labels": {"tier": "1"},
    "sli": {
        "events": {
            "error_query": 'sum(rate(errors{service="checkout"}[{{.window}}]))',
            "total_query": 'sum(rate(requests{service="checkout"}[{{.window}}]))',
        }
    },
}


def test_an_slo_definition_builds_its_burn_rate_query() -> None:
    slo = SloDefinition.from_json(Fields(SLO_JSON))
    assert slo.error_budget_ratio == pytest.approx(0.001)
    assert slo.period_seconds == MONTH
    assert slo.burn_rate_query("5m") == (
        '((sum(rate(errors{service="checkout"}[5m]))) / '
        '(sum(rate(requests{service="checkout"}[5m])))) / 0.001'
    )


def test_an_slo_without_an_sli_is_a_shape_error_naming_the_field() -> None:
    with pytest.raises(ShapeError, match="sli"):
        SloDefinition.from_json(Fields({**SLO_JSON, "sli": {}}))
    with pytest.raises(ShapeError, match="objective"):
        SloDefinition.from_json(Fields({**SLO_JSON, "objective": 100}))
