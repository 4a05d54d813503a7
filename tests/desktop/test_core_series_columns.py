"""A range answer read a column at a time (issue 9, B1) reads exactly what the per-sample
path reads, and refuses exactly what it refuses, naming the sample at fault."""

from __future__ import annotations

import math

import pytest

from aioke_desktop.core.jsonshape import ShapeError
from aioke_desktop.core.series import parse_result


def _matrix(values: object) -> list[dict[str, object]]:
    return [{"metric": {"service": "a"}, "values": values}]


def test_a_long_range_keeps_every_point_gap_and_infinity() -> None:
    values = [[1_700_000_000 + 5 * i, str(i / 4)] for i in range(720)]
    values[10][1], values[11][1], values[12][1] = "NaN", "+Inf", "-Inf"
    values[13][0] = 1_700_000_065.5  # a fractional timestamp, as Prometheus writes some

    series = parse_result("q", _matrix(values)).series[0]

    assert len(series.timestamps) == len(series.values) == 720
    assert all(type(t) is float for t in series.timestamps)
    assert series.timestamps[13] == 1_700_000_065.5
    assert series.values[9] == 2.25
    assert math.isnan(series.values[10])
    assert series.values[11:13] == (math.inf, -math.inf)
    assert series.values[-1] == 719 / 4


def test_an_empty_range_is_a_series_without_points() -> None:
    series = parse_result("q", _matrix([])).series[0]
    assert series.timestamps == series.values == ()


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ([1, "2", 3], "result[0].values[1]"),  # three items
        ([1, 2], "result[0].values[1][1]"),  # a number where Prometheus writes a string
        ([True, "2"], "result[0].values[1]"),  # a boolean time
        (["1", "2"], "result[0].values[1]"),  # a string time
        ([math.inf, "2"], "result[0].values[1]"),  # an infinite time
        ([1, "fast"], "result[0].values[1][1]"),
        ("ab", "result[0].values[1]"),  # two characters are not a sample
        ({"t": 1, "v": "2"}, "result[0].values[1]"),
    ],
)
def test_one_bad_sample_among_good_ones_is_named(bad: object, field: str) -> None:
    with pytest.raises(ShapeError) as raised:
        parse_result("q", _matrix([[1, "1"], bad, [3, "3"]]))
    assert raised.value.field == field
