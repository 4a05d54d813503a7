"""Prometheus answers as typed series: labels, timestamps and float values.

``"NaN"``, ``"+Inf"`` and ``"-Inf"`` become floats (charts draw NaN as a gap and Inf as ∞);
an empty result is :attr:`QueryResult.is_empty`, never a series of zeros; Prometheus'
``warnings`` travel with the result so a panel can show them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Literal

from .jsonshape import ShapeError

ResultType = Literal["vector", "matrix", "scalar", "string"]
Column = tuple[float, ...]

_first, _second = itemgetter(0), itemgetter(1)
_NUMBERS = frozenset({int, float})  # exactly: bool is an int Prometheus never writes
_TEXT = frozenset({str})


def sample_value(raw: object, where: str) -> float:
    """A Prometheus sample value (a string) as a float, NaN and ±Inf included."""
    if not isinstance(raw, str):
        raise ShapeError(where, "a sample value must be a string")
    try:
        return float(raw)  # float() reads "NaN", "+Inf" and "-Inf" as Prometheus writes them
    except ValueError:
        raise ShapeError(where, f"{raw[:40]!r} is not a number") from None


def _sample(raw: object, where: str) -> tuple[float, float]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) != 2:
        raise ShapeError(where, "a sample must be [timestamp, value]")
    ts = raw[0]
    if isinstance(ts, bool) or not isinstance(ts, int | float) or not math.isfinite(ts):
        raise ShapeError(where, "a sample timestamp must be a number")
    return float(ts), sample_value(raw[1], f"{where}[1]")


def _samples(raw: object, where: str) -> tuple[Column, Column]:
    """The timestamps and values of a ``values`` list.

    A panel brings thousands of samples a poll (issue 9, B1), so whole columns are checked
    and converted at once by built-ins; anything odd takes the per-sample path, which
    accepts and refuses exactly the same and names the sample at fault.
    """
    if not isinstance(raw, list):
        raise ShapeError(where, "expected a list of samples")
    columns = _columns(raw)
    if columns is not None:
        return columns
    samples = [_sample(s, f"{where}[{i}]") for i, s in enumerate(raw)]
    return tuple(t for t, _ in samples), tuple(v for _, v in samples)


def _columns(raw: list[Any]) -> tuple[Column, Column] | None:
    """Both columns when every sample is ``[number, string]`` with a finite time, else None."""
    try:
        if raw and set(map(len, raw)) != {2}:
            return None
        times, values = list(map(_first, raw)), list(map(_second, raw))
    except (TypeError, KeyError, IndexError):  # a sample without a length or an index
        return None
    if not _NUMBERS.issuperset(map(type, times)) or not _TEXT.issuperset(map(type, values)):
        return None
    try:
        timestamps, floats = tuple(map(float, times)), tuple(map(float, values))
    except (ValueError, OverflowError):
        return None
    if not all(map(math.isfinite, timestamps)):
        return None
    return timestamps, floats


@dataclass(frozen=True)
class Series:
    """One labelled time series; ``values[i]`` was sampled at ``timestamps[i]`` (Unix s)."""

    labels: Mapping[str, str]
    timestamps: tuple[float, ...]
    values: tuple[float, ...]

    @property
    def last(self) -> float:
        """The newest value (NaN when the series holds none)."""
        return self.values[-1] if self.values else math.nan

    def label(self, name: str, default: str = "") -> str:
        return self.labels.get(name, default)


@dataclass(frozen=True)
class QueryResult:
    """What one query returned.

    Attributes:
        query: the PromQL that was run.
        result_type: Prometheus' ``resultType``.
        series: one entry per label set (a scalar is one series without labels).
        warnings: Prometheus' warnings (and infos), to show next to the data.
    """

    query: str
    result_type: ResultType
    series: tuple[Series, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        """No series at all: "No data", which is not the same as a zero."""
        return not self.series

    def by_label(self, name: str) -> dict[str, Series]:
        """Series keyed by one label's value (``service``, say)."""
        return {s.label(name): s for s in self.series}


def _labels(raw: object, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise ShapeError(where, "labels must be an object of strings")
    return dict(raw)


def parse_result(
    query: str, result: Any, warnings: Sequence[str] = (), result_type: str | None = None
) -> QueryResult:
    """Turn Prometheus' ``data.result`` into a :class:`QueryResult`.

    ``result_type`` may be unknown (prometheus-api-client returns only ``result``): a list
    of objects is then a vector or matrix, and a bare ``[time, value]`` pair is a scalar.
    """
    if result_type in ("scalar", "string") or (
        result_type is None
        and isinstance(result, list)
        and len(result) == 2
        and not isinstance(result[0], Mapping)
    ):
        ts, value = _sample(result, "result")
        kind: ResultType = "string" if result_type == "string" else "scalar"
        return QueryResult(query, kind, (Series({}, (ts,), (value,)),), tuple(warnings))
    if not isinstance(result, list):
        raise ShapeError("result", "expected a list of series")
    series: list[Series] = []
    kind = "matrix" if result_type == "matrix" else "vector"
    for n, item in enumerate(result):
        where = f"result[{n}]"
        if not isinstance(item, Mapping):
            raise ShapeError(where, "expected a series object")
        labels = _labels(item.get("metric"), f"{where}.metric")
        if "values" in item:
            kind = "matrix"
            timestamps, values = _samples(item["values"], f"{where}.values")
        elif "value" in item:
            ts, value = _sample(item["value"], f"{where}.value")
            timestamps, values = (ts,), (value,)
        else:
            raise ShapeError(where, "a series needs value or values")
        series.append(Series(labels, timestamps, values))
    return QueryResult(query, kind, tuple(series), tuple(warnings))
