"""Prometheus results read into typed series; a wrong shape names the field."""

from __future__ import annotations

import math

import pytest

from aioke_desktop.core.jsonshape import ShapeError
from aioke_desktop.core.series import parse_result


def test_a_matrix_keeps_gaps_and_infinities_as_floats() -> None:
    result = parse_result(
        "q",
        [
            {
                "metric": {"service": "a"},
                "values": [[1, "1.5"], [2, "NaN"], [3, "+Inf"], [4, "-Inf"]],
            }
        ],
    )
    series = result.by_label("service")["a"]
    assert result.result_type == "matrix"
    assert series.timestamps == (1.0, 2.0, 3.0, 4.0)
    assert series.values[0] == 1.5
    assert math.isnan(series.values[1])
    assert series.values[2:] == (math.inf, -math.inf)


@pytest.mark.parametrize(
    ("result", "field"),
    [
        ([{"metric": {}, "value": [1, 2]}], "result[0].value[1]"),
        ([{"metric": {}, "value": [1, "fast"]}], "result[0].value[1]"),
        ([{"metric": {"a": 1}, "value": [1, "2"]}], "result[0].metric"),
        ([{"metric": {}}], "result[0]"),
        ([{"metric": {}, "values": [[1]]}], "result[0].values[0]"),
        ("nope", "result"),
    ],
)
def test_a_malformed_result_names_the_field(result: object, field: str) -> None:
    with pytest.raises(ShapeError) as bad:
        parse_result("q", result)
    assert bad.value.field == field
