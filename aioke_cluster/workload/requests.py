"""What one simulated request does: the workload's hot path, a few random draws each.

A service's profile latency already includes its upstreams' normal latency; only what is
abnormal (injected delay, queueing, retries, timeouts, a slow flag variant) adds up the call
chain, so at rest every service matches the seeded history.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from itertools import accumulate
from typing import Any

from ..breakers import CircuitBreaker, breaker_name
from ..flags.evaluation import FlagLookup, evaluate
from ..flags.store import StoredFlag
from .faults import NO_EFFECTS, Effects
from .metrics import WorkloadMetrics
from .topology import ServiceSpec, call_probability

FAIL_FAST_SECONDS = 0.002  # how long a 429 or a shed 503 takes
_USERS = tuple(f"user-{i}" for i in range(2000))
Route = tuple[str, str]  # (http_route, http_request_method)


class Edge:
    """One caller -> callee call: its breaker, chance per request, and this tick's tallies."""

    __slots__ = ("breaker", "callee", "chance", "counts", "critical", "cut", "name", "route")

    def __init__(
        self, caller: ServiceSpec, callee: ServiceState, breaker: CircuitBreaker | None
    ) -> None:
        upstream = next(u for u in caller.upstreams if u.service == callee.name)
        self.name = breaker_name(caller.name, callee.name)
        self.callee, self.breaker = callee, breaker
        self.chance = call_probability(caller, upstream)
        self.route, self.critical = upstream.route, upstream.critical
        self.counts = [0, 0, 0]  # successful, failed, rejected
        self.cut = 0.0  # share of calls a network partition drops this tick


class ServiceState:
    """A service as the simulator sees it; the fields after ``edges`` hold this tick's
    conditions, set once per tick by the simulator."""

    def __init__(self, spec: ServiceSpec) -> None:
        self.spec, self.name = spec, spec.name
        endpoints = spec.profile.endpoints
        self.routes: list[Route] = [(e.route, e.method) for e in endpoints]
        self.cumulative = list(accumulate(e.share for e in endpoints))
        self.forks = len(endpoints) > 1
        self.sigma = spec.profile.latency_sigma
        self.error_ratio = spec.profile.error_ratio
        self.children: dict[tuple[Route, int], Any] = {}  # histogram children by route, status
        self.edges: list[Edge] = []
        self.mu = math.log(spec.profile.latency_p50_seconds)
        self.rate: float | None = None  # requests/s, smoothed over ticks
        self.tokens = float(spec.rate_limit.burst)
        self.arrivals, self.shed_chance, self.slowdown = 0, 0.0, 0.0
        self.instances, self.unhealthy, self.capacity = spec.default_instances, 0, 1.0
        self.effects: Effects = NO_EFFECTS
        self.flags: list[tuple[str, dict[str, float], StoredFlag]] = []  # key, latency, flag
        self.saturation = (0.0, 0.0, 0.0)  # cpu, memory, queue


class Requests:
    """Serves simulated requests at the tick's ``now``, exporting each to the histogram."""

    def __init__(self, rng: random.Random, metrics: WorkloadMetrics, lookup: FlagLookup) -> None:
        self.rng, self.metrics, self.lookup = rng, metrics, lookup
        self.now = 0.0
        self.evaluations: dict[tuple[str, str], int] = {}  # (flag, variant) -> this tick's

    def serve(self, s: ServiceState) -> tuple[float, float, int]:
        """One request to ``s``: its latency, the abnormal part of it, and its status."""
        rng = self.rng
        s.arrivals += 1
        routes, cumulative = s.routes, s.cumulative
        route = routes[bisect(cumulative, rng.random() * cumulative[-1])] if s.forks else routes[0]
        if s.tokens < 1.0:
            return self._observe(s, route, FAIL_FAST_SECONDS, 0.0, 429)
        s.tokens -= 1.0
        if s.shed_chance and rng.random() < s.shed_chance:
            return self._observe(s, route, FAIL_FAST_SECONDS, 0.0, 503)
        base = rng.lognormvariate(s.mu, s.sigma)
        extra = base * s.slowdown
        fx = s.effects
        if fx is not NO_EFFECTS:
            if fx.slow_share and rng.random() < fx.slow_share:
                extra += base * (fx.slow_factor - 1.0)
            if fx.latency_share and rng.random() < fx.latency_share:
                jitter = fx.jitter_seconds
                extra += max(0.0, fx.latency_seconds + rng.uniform(-jitter, jitter))
        for key, added, flag in s.flags:
            result = evaluate(flag, {"user_id": rng.choice(_USERS)}, self.lookup)
            variant = result.variant or ("on" if result.enabled else "off")
            self.evaluations[key, variant] = self.evaluations.get((key, variant), 0) + 1
            extra += added.get(variant, 0.0) * (0.8 + 0.4 * rng.random())
        status = 200
        for edge in s.edges:
            if (edge.route is None or edge.route == route[0]) and rng.random() < edge.chance:
                failed_with, waited = self._call(s, edge)
                extra += waited
                if failed_with and edge.critical and status == 200:
                    status = failed_with
        if status == 200:
            if rng.random() < s.error_ratio:
                status = 500
            elif fx.error_chance and rng.random() < fx.error_chance:
                status = fx.error_status
        return self._observe(s, route, base + extra, extra, status)

    def _call(self, caller: ServiceState, edge: Edge) -> tuple[int, float]:
        """Call an upstream, retrying as the caller's policy says.

        Returns the status the caller fails with (0 on success; 503 when the breaker rejects,
        504 on a timeout, 502 on an upstream error) and the abnormal seconds it waited.
        """
        policy = caller.spec.retry_policy
        timeout, breaker, now = policy.per_try_timeout_seconds, edge.breaker, self.now
        waited, failed_with = 0.0, 502
        for attempt in range(policy.max_attempts):
            if attempt:
                waited += policy.backoff_seconds
            if breaker is not None and not breaker.try_acquire(now):
                edge.counts[2] += 1
                return 503, waited
            if edge.cut and self.rng.random() < edge.cut:
                latency, extra, status = timeout, timeout, 504  # the packets never arrive
            else:
                latency, extra, status = self.serve(edge.callee)
                if latency > timeout:
                    latency, extra, status = timeout, min(extra, timeout), 504
            ok = status < 500
            if breaker is not None:
                breaker.record(ok, latency, now)
            edge.counts[0 if ok else 1] += 1
            waited += extra
            if ok:
                return (0 if status < 400 else 502), waited
            failed_with = 504 if status == 504 else 502
        return failed_with, waited

    def _observe(
        self, s: ServiceState, route: Route, latency: float, extra: float, status: int
    ) -> tuple[float, float, int]:
        child = s.children.get((route, status))
        if child is None:
            child = self.metrics.request_duration.labels(s.name, *route, str(status))
            s.children[route, status] = child
        child.observe(latency)
        return latency, extra, status
