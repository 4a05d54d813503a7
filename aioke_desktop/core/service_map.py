"""The service map's content: each service's health and signals, each call's traffic and breaker.

Nodes come from ``GET /services`` (status, instances, upstreams); edges from its upstreams,
with the breaker's state from ``GET /breakers`` and the call rates from the breaker's
``aioke_circuit_breaker_calls_total`` counter; the golden signals and SLO states from
Prometheus. The colour of a node is the worst of its status and its SLOs' state, and the
reasons are kept, so a tooltip can say why it is red.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from .breakers import Breaker
from .cluster import Service
from .fan_out import run_all
from .golden import choose_step
from .promql import GoldenSignalQueries, GoldenSignalTemplates
from .series import QueryResult, Series
from .service_graph import GraphLayout, layered_layout
from .slo_history import aligned
from .slo_queries import Querier
from .slo_status import SloStatus

Level = Literal["ok", "warning", "danger", "unknown"]
_RANK: dict[Level, int] = {"unknown": 0, "ok": 1, "warning": 2, "danger": 3}
CALL_RATES = "sum by (breaker, outcome) (rate(aioke_circuit_breaker_calls_total[5m]))"
SPARKLINE_POINTS = 120
OPEN_STATES = frozenset({"OPEN", "FORCED_OPEN"})
_STATUS_LEVELS: dict[str, Level] = {"healthy": "ok", "degraded": "warning", "down": "danger"}
LOW_BUDGET = 0.25
# Faster than this over five minutes, the budget burns at the page rate: amber before the
# alert rules (which also need the long window) can say so.
FAST_BURN = 14.4  # below a quarter of the budget left, a service is amber


def worst(levels: Iterable[Level]) -> Level:
    return max(levels, key=lambda level: _RANK[level], default="unknown")


@dataclass(frozen=True)
class CallRates:
    """Calls per second through one breaker, by outcome."""

    successful: float = 0.0
    failed: float = 0.0
    rejected: float = 0.0

    @property
    def total(self) -> float:
        return self.successful + self.failed + self.rejected

    @property
    def error_ratio(self) -> float:
        """Failed or rejected calls over all calls: what the caller saw fail (NaN: no calls)."""
        return (self.failed + self.rejected) / self.total if self.total > 0 else math.nan


def call_rates(series: Iterable[Series]) -> dict[str, CallRates]:
    """Rates by breaker name from ``sum by (breaker, outcome) (rate(...))``."""
    found: dict[str, dict[str, float]] = {}
    for one in series:
        value = one.last
        if math.isfinite(value):
            found.setdefault(one.label("breaker"), {})[one.label("outcome")] = value
    return {
        name: CallRates(o.get("successful", 0.0), o.get("failed", 0.0), o.get("rejected", 0.0))
        for name, o in found.items()
    }


@dataclass(frozen=True)
class GoldenSignals:
    """One service's golden signals over the chart's range (None: Prometheus had nothing).

    Attributes:
        traffic: requests per second.
        errors: the share of requests answered with a 5xx (0-1).
        p99: the 99th percentile of latency, in seconds.
        saturation: by resource (cpu, memory, queue), 0-1.
    """

    traffic: Series | None = None
    errors: Series | None = None
    p99: Series | None = None
    saturation: Mapping[str, Series] = field(default_factory=dict)

    @property
    def peak_saturation(self) -> tuple[str, float] | None:
        """The fullest resource now, and how full it is."""
        now = [(name, s.last) for name, s in self.saturation.items() if math.isfinite(s.last)]
        return max(now, key=lambda item: item[1]) if now else None


@dataclass(frozen=True)
class SignalQueries:
    """The golden-signal PromQL the map reads, by service (for "copy PromQL")."""

    traffic: str
    errors: str
    p99: str
    saturation: str


def signal_queries(templates: GoldenSignalTemplates) -> SignalQueries:
    queries = GoldenSignalQueries(templates)
    return SignalQueries(
        queries.traffic(), queries.error_ratio(), queries.latency(0.99), queries.saturation()
    )


def read_golden_signals(
    prometheus: Querier, templates: GoldenSignalTemplates, start: float, end: float
) -> dict[str, GoldenSignals]:
    """Every service's golden signals from ``start`` to ``end`` (four range queries)."""
    step = choose_step(end - start, max_points=SPARKLINE_POINTS)
    start, end = aligned(start, end, step)
    queries = signal_queries(templates)

    def ask(expr: str) -> QueryResult:
        return prometheus.query_range(expr, start, end, step)

    found = run_all(
        {
            "traffic": partial(ask, queries.traffic),
            "errors": partial(ask, queries.errors),
            "p99": partial(ask, queries.p99),
            "saturation": partial(ask, queries.saturation),
        }
    )
    traffic, errors, p99 = (found[k].by_label("service") for k in ("traffic", "errors", "p99"))
    saturation: dict[str, dict[str, Series]] = {}
    for series in found["saturation"].series:
        saturation.setdefault(series.label("service"), {})[series.label("resource")] = series
    names = set(traffic) | set(errors) | set(p99) | set(saturation)
    return {
        name: GoldenSignals(
            traffic.get(name), errors.get(name), p99.get(name), saturation.get(name, {})
        )
        for name in names
    }


@dataclass(frozen=True)
class MapNode:
    """A service on the map: its colour (``level``), why, and what to show when clicked."""

    service: Service
    level: Level
    reasons: tuple[str, ...]
    signals: GoldenSignals
    slos: tuple[SloStatus, ...]

    @property
    def name(self) -> str:
        return self.service.name


@dataclass(frozen=True)
class MapEdge:
    """A call from ``caller`` to ``callee``, through ``breaker`` (if any)."""

    caller: str
    callee: str
    breaker: Breaker | None
    rates: CallRates | None
    critical: bool

    @property
    def breaker_state(self) -> str | None:
        return None if self.breaker is None else self.breaker.state

    @property
    def is_open(self) -> bool:
        return self.breaker_state in OPEN_STATES

    @property
    def level(self) -> Level:
        if self.is_open:
            return "danger"
        if self.breaker_state in ("HALF_OPEN", "DISABLED"):  # disabled: nothing protects it
            return "warning"
        ratio = math.nan if self.rates is None else self.rates.error_ratio
        if ratio > 0.05:
            return "danger"
        return "warning" if ratio > 0.01 else "ok"


@dataclass(frozen=True)
class ServiceMap:
    """Everything the Services page draws, read at one moment."""

    nodes: Mapping[str, MapNode]
    edges: tuple[MapEdge, ...]
    layout: GraphLayout
    warnings: tuple[str, ...] = ()


def _service_level(service: Service) -> tuple[Level, list[str]]:
    healthy, total = service.healthy_instances, len(service.instances)
    level = _STATUS_LEVELS.get(service.status, "unknown")
    reasons = [f"{service.status}: {healthy} of {total} instances healthy"] if total else []
    return level, reasons


def _slo_level(statuses: Sequence[SloStatus]) -> tuple[Level, list[str]]:
    levels: list[Level] = []
    reasons: list[str] = []
    for status in statuses:
        name = status.slo.name
        if status.alert == "page":
            levels.append("danger")
            reasons.append(f"{name}: burning budget fast enough to page")
        elif status.alert == "ticket":
            levels.append("warning")
            reasons.append(f"{name}: burning budget fast enough for a ticket")
        now = status.reading("5m")
        fast = now.trusted_burn_rate if now is not None else math.nan
        if status.alert == "none" and fast > FAST_BURN:
            levels.append("warning")
            reasons.append(f"{name}: burning budget {fast:.3g} times too fast (5 min)")
        left = status.budget_remaining
        if left <= 0:
            levels.append("danger")
            reasons.append(f"{name}: error budget spent")
        elif left < LOW_BUDGET:
            levels.append("warning")
            reasons.append(f"{name}: {left:.0%} of the error budget left")
        elif not math.isnan(left):
            levels.append("ok")
    return worst(levels), reasons


def build_service_map(
    services: Sequence[Service],
    breakers: Iterable[Breaker],
    rates: Mapping[str, CallRates],
    signals: Mapping[str, GoldenSignals],
    slos: Iterable[SloStatus],
    warnings: Sequence[str] = (),
) -> ServiceMap:
    """Put the pieces together and lay the map out."""
    by_breaker = {b.name: b for b in breakers}
    by_service: dict[str, list[SloStatus]] = {}
    for status in slos:
        by_service.setdefault(status.slo.service, []).append(status)
    nodes: dict[str, MapNode] = {}
    for service in services:
        health, health_reasons = _service_level(service)
        slo, slo_reasons = _slo_level(by_service.get(service.name, []))
        nodes[service.name] = MapNode(
            service,
            worst([health, slo]),
            tuple(health_reasons + slo_reasons),
            signals.get(service.name, GoldenSignals()),
            tuple(by_service.get(service.name, [])),
        )
    edges = tuple(
        MapEdge(
            service.name,
            upstream.service,
            by_breaker.get(upstream.breaker) if upstream.breaker else None,
            rates.get(upstream.breaker) if upstream.breaker else None,
            upstream.critical,
        )
        for service in services
        for upstream in service.upstreams
        if upstream.service in nodes
    )
    layout = layered_layout(nodes, [(e.caller, e.callee) for e in edges])
    return ServiceMap(nodes, edges, layout, tuple(warnings))
