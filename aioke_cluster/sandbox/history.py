"""Synthetic past traffic in OpenMetrics text, from the model in ``traffic``.

Counters are cumulative and carried from one piece to the next in ``HistoryState``, and the
histogram's buckets are cumulative in ``le``, so ``rate()`` and ``histogram_quantile()`` give
the model's numbers and keep working when live scraping takes over the same series.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..slos import Slo
from .rules import sli_labels, sli_record
from .traffic import (
    LATENCY_BUCKETS,
    REQUEST_METRIC,
    SATURATION_METRIC,
    SATURATION_RESOURCES,
    Incident,
    ServiceProfile,
    daily_load,
    latency_cdf,
    mean_latency,
    saturation,
)

OK_STATUS = "200"
ERROR_STATUS = "500"
# As prometheus-client writes them (its floatToGoString is repr() for these values):
# Prometheus 2 compares ``le`` as text, so "1" and "1.0" would be two different series.
LE_VALUES = [repr(b) for b in LATENCY_BUCKETS] + ["+Inf"]
_SLI_WINDOW_SECONDS = 300  # slo:sli_error:ratio_rate5m


@dataclass(frozen=True)
class PlacedIncident:
    """An incident at absolute times."""

    incident: Incident
    starts_at: float
    ends_at: float


def place_incidents(incidents: Iterable[Incident], anchor: float) -> list[PlacedIncident]:
    """Pin incidents, which are relative to the end of the first history, to absolute times."""
    placed = []
    for incident in incidents:
        ends_at = anchor - incident.ends_before_seconds
        placed.append(PlacedIncident(incident, ends_at - incident.duration_seconds, ends_at))
    return placed


@dataclass
class HistoryState:
    """Where the history stopped: its last timestamp, every histogram series' cumulative
    bucket counts (the last is +Inf) and sum, and each SLI's last five minutes of
    (timestamp, bad events, all events)."""

    end: float
    totals: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)
    sli_recent: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"end": self.end, "totals": self.totals, "sli_recent": self.sli_recent}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> HistoryState:
        return cls(
            end=float(doc["end"]),
            totals={k: (list(b), list(s)) for k, (b, s) in doc["totals"].items()},
            sli_recent={k: [(t, b, n) for t, b, n in v] for k, v in doc["sli_recent"].items()},
        )


@dataclass(frozen=True)
class ModelledSli:
    """An SLO whose error ratio the history can compute from the model, so that its 30-day
    window is full from the start: a service's 5xx share, or its share slower than a bucket."""

    slo_id: str
    labels: Mapping[str, str]
    service: str
    within_bucket: int | None  # None: 5xx answers are the bad events


_SERVICE = re.compile(r'service="([^"]+)"')
_LE = re.compile(r'le="([^"]+)"')


def modelled_sli(slo: Slo) -> ModelledSli | None:
    """Recognise the SLI shapes the sandbox ships; any other SLO starts with an empty window."""
    query = slo.sli.error_query or ""
    service = _SERVICE.search(query)
    if service is None:
        return None
    within: int | None = None
    if "5.." not in query:
        le = _LE.search(query)
        if le is None or le.group(1) not in LE_VALUES[:-1]:
            return None
        within = LE_VALUES.index(le.group(1))
    return ModelledSli(slo.id, sli_labels(slo, "5m"), service.group(1), within)


@dataclass
class _ServiceSteps:
    """One service over one piece: per step its load, 5xx share and latency factor, and the
    requests, 5xx answers and requests within each bucket that the SLIs need."""

    times: list[int]
    loads: list[float]
    error_ratios: list[float]
    latency_factors: list[float]
    total: list[int]
    errors: list[int]
    within: list[list[int]]


def _stochastic_round(value: float, rng: random.Random) -> int:
    # Plain rounding would turn a 0.3-errors-a-minute rate into no errors at all.
    whole = math.floor(value)
    return whole + (1 if rng.random() < value - whole else 0)


def _steps(
    profile: ServiceProfile, times: list[int], incidents: list[PlacedIncident], rng: random.Random
) -> _ServiceSteps:
    loads, ratios, factors = [], [], []
    for ts in times:
        loads.append(daily_load(ts) * max(0.5, rng.gauss(1.0, 0.06)))
        ratio, factor = profile.error_ratio, 1.0
        for placed in incidents:
            if placed.incident.service == profile.name and placed.starts_at <= ts < placed.ends_at:
                ratio = max(ratio, placed.incident.error_ratio)
                factor = max(factor, placed.incident.latency_factor)
        ratios.append(ratio)
        factors.append(factor)
    zeros = [0] * len(times)
    within = [list(zeros) for _ in LATENCY_BUCKETS]
    return _ServiceSteps(times, loads, ratios, factors, list(zeros), list(zeros), within)


def write_chunk(
    out: TextIO,
    state: HistoryState,
    until: float,
    *,
    profiles: Iterable[ServiceProfile],
    incidents: list[PlacedIncident],
    target_labels: Mapping[str, str],
    step_seconds: int,
    rng: random.Random,
    slis: Iterable[ModelledSli] = (),
) -> None:
    """Append samples for every step after ``state.end`` up to ``until`` and advance ``state``.

    Samples go series by series, each in time order, which is all ``promtool`` needs; the
    caller writes :func:`header` first and ``# EOF`` last.
    """
    times = list(range(int(state.end) + step_seconds, int(until) + 1, step_seconds))
    if not times:
        return
    by_service: dict[str, _ServiceSteps] = {}
    gauges: list[str] = []
    for profile in profiles:
        steps = by_service[profile.name] = _steps(profile, times, incidents, rng)
        for endpoint in profile.endpoints:
            per_step = profile.peak_rps * endpoint.share * step_seconds
            requests = [_stochastic_round(per_step * load, rng) for load in steps.loads]
            errors = [
                min(n, _stochastic_round(n * ratio, rng))
                for n, ratio in zip(requests, steps.error_ratios, strict=True)
            ]
            ok = [n - e for n, e in zip(requests, errors, strict=True)]
            for status, counts in ((OK_STATUS, ok), (ERROR_STATUS, errors)):
                labels = {
                    "service": profile.name,
                    "http_route": endpoint.route,
                    "http_request_method": endpoint.method,
                    "http_response_status_code": status,
                    **target_labels,
                }
                _write_histogram(out, state, _label_text(labels), counts, steps, profile)
            for k, n in enumerate(errors):
                steps.errors[k] += n
        for resource in SATURATION_RESOURCES:
            labels = {"service": profile.name, "resource": resource, **target_labels}
            prefix = f"{SATURATION_METRIC}{{{_label_text(labels)}}} "
            for ts, load, ratio, factor in zip(
                times, steps.loads, steps.error_ratios, steps.latency_factors, strict=True
            ):
                gauges.append(f"{prefix}{saturation(resource, load, ratio, factor):.4f} {ts}\n")
    out.write("".join(gauges))  # after the histogram: OpenMetrics keeps a family together
    for sli in slis:
        if sli.service in by_service:
            _write_sli(out, state, sli, by_service[sli.service], step_seconds)
    state.end = times[-1]


def _label_text(labels: Mapping[str, str]) -> str:
    return ",".join(f'{key}="{value}"' for key, value in labels.items())


def _write_histogram(
    out: TextIO,
    state: HistoryState,
    base: str,
    counts: list[int],
    steps: _ServiceSteps,
    profile: ServiceProfile,
) -> None:
    buckets, running_sum = state.totals.setdefault(base, ([0] * len(LE_VALUES), [0.0]))
    sigma = profile.latency_sigma
    columns: list[list[int]] = [[] for _ in LE_VALUES]
    sums: list[str] = []
    for k, n in enumerate(counts):
        # Busy hours are a little slower; rounding the median keeps the CDF cache small.
        factor = steps.latency_factors[k] * (0.9 + 0.2 * steps.loads[k])
        median = round(profile.latency_p50_seconds * factor, 4)
        for i, share in enumerate(latency_cdf(median, sigma)):
            within = round(n * share)  # never above n, and never below the bucket under it
            steps.within[i][k] += within
            buckets[i] += within
            columns[i].append(buckets[i])
        buckets[-1] += n
        columns[-1].append(buckets[-1])
        steps.total[k] += n
        running_sum[0] += n * mean_latency(median, sigma)
        sums.append(f"{running_sum[0]:.3f}")
    series: list[tuple[str, list[int] | list[str]]] = [
        (f'_bucket{{{base},le="{le}"}} ', column)
        for le, column in zip(LE_VALUES, columns, strict=True)
    ]
    series += [(f"_count{{{base}}} ", columns[-1]), (f"_sum{{{base}}} ", sums)]
    for name, values in series:
        prefix = REQUEST_METRIC + name
        out.write("".join([f"{prefix}{v} {t}\n" for v, t in zip(values, steps.times, strict=True)]))


def _write_sli(
    out: TextIO, state: HistoryState, sli: ModelledSli, steps: _ServiceSteps, step_seconds: int
) -> None:
    """Replay ``slo:sli_error:ratio_rate5m``, which Prometheus records only from its start.

    One sample a minute whatever the step, so that Sloth's 30-day figure (a mean of these
    samples) weighs every past minute alike.
    """
    recent = state.sli_recent.setdefault(sli.slo_id, [])
    prefix = f"{sli_record('5m')}{{{_label_text(sli.labels)}}} "
    lines: list[str] = []
    for k, ts in enumerate(steps.times):
        total = steps.total[k]
        if sli.within_bucket is None:
            bad = steps.errors[k]
        else:
            bad = total - steps.within[sli.within_bucket][k]
        recent.append((ts, bad, total))
        recent[:] = [entry for entry in recent if entry[0] > ts - _SLI_WINDOW_SECONDS]
        window_total = sum(entry[2] for entry in recent)
        if window_total == 0:
            continue  # 0/0: Prometheus would record NaN, which poisons the 30-day mean
        ratio = sum(entry[1] for entry in recent) / window_total
        # Repeated forward, so that a coarse step never spills into the previous block.
        lines.extend(f"{prefix}{ratio:.6g} {m}\n" for m in range(ts, ts + step_seconds, 60))
    out.write("".join(lines))


def header() -> str:
    """The OpenMetrics metadata every history file starts with."""
    return (
        f"# TYPE {REQUEST_METRIC} histogram\n"
        f"# UNIT {REQUEST_METRIC} seconds\n"
        f"# TYPE {SATURATION_METRIC} gauge\n"
        f"# TYPE {sli_record('5m')} gauge\n"
    )
