"""The sandbox's services: who calls whom, where they run and how their traffic is shaped.

Each service's traffic, error rate and latency come from ``sandbox.traffic``'s table, the one
the synthetic history is drawn from, so live charts continue the seeded ones. This module adds
what the history does not need: the call graph, instances in zones, and the settings an SRE
expects to see on a service (load balancing, retries, rate limit, mTLS).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..sandbox.traffic import SERVICE_PROFILES, ServiceProfile, profile

MIN_INSTANCES = 1
MAX_INSTANCES = 20


@dataclass(frozen=True)
class RetryPolicy:
    """How a service retries its own calls to upstreams (5xx answers and timeouts only:
    a call its breaker rejects fails at once and is not retried)."""

    max_attempts: int
    per_try_timeout_seconds: float
    backoff_seconds: float


@dataclass(frozen=True)
class RateLimit:
    """A token bucket in front of the service; requests over it get 429."""

    requests_per_second: float
    burst: int


@dataclass(frozen=True)
class Upstream:
    """A call from one service to another.

    Attributes:
        service: The callee.
        traffic_share: Share of the callee's requests that come from this caller; the call
            probability is derived from it, so live rates match the history's table.
        route: Only requests to this route of the caller make the call (None: every route).
        critical: A failed critical call fails the caller's request; a failed optional one
            (recommendations on a search page) only leaves something out of the answer.
    """

    service: str
    traffic_share: float
    route: str | None = None
    critical: bool = True


@dataclass(frozen=True)
class FlagEffect:
    """Latency a flag's variants add to every request of the service that evaluates it."""

    flag: str
    added_seconds_by_variant: tuple[tuple[str, float], ...]

    def added_seconds(self, variant: str) -> float:
        return dict(self.added_seconds_by_variant).get(variant, 0.0)


@dataclass(frozen=True)
class ServiceSpec:
    """One service of the sandbox as deployed; ``profile`` is its normal day."""

    profile: ServiceProfile
    zones: tuple[str, ...]
    default_instances: int
    load_balancing: str
    retry_policy: RetryPolicy
    rate_limit: RateLimit
    mtls: bool
    upstreams: tuple[Upstream, ...] = ()
    flag_effects: tuple[FlagEffect, ...] = ()

    @property
    def name(self) -> str:
        return self.profile.name


_FAST_RETRY = RetryPolicy(max_attempts=2, per_try_timeout_seconds=2.0, backoff_seconds=0.025)
# Payments are charged once: the checkout retries only with an idempotency key, once.
_PAYMENT_RETRY = RetryPolicy(max_attempts=2, per_try_timeout_seconds=3.0, backoff_seconds=0.1)
_NO_RETRY = RetryPolicy(max_attempts=1, per_try_timeout_seconds=1.0, backoff_seconds=0.0)
_ZONES_2 = ("eu-1a", "eu-1b")
_ZONES_3 = ("eu-1a", "eu-1b", "eu-1c")

TOPOLOGY: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        profile("gateway"), _ZONES_3, 3, "least_request", _FAST_RETRY, RateLimit(150.0, 60),
        mtls=True,
        upstreams=(
            Upstream("auth", 0.8),
            Upstream("checkout", 1.0, route="/api/checkout"),
            Upstream("search", 1.0, route="/api/products"),
        ),
    ),
    ServiceSpec(
        profile("checkout"), _ZONES_2, 2, "round_robin", _PAYMENT_RETRY, RateLimit(40.0, 20),
        mtls=True,
        upstreams=(Upstream("payments", 1.0), Upstream("inventory", 0.4), Upstream("auth", 0.2)),
        flag_effects=(FlagEffect("new-checkout-flow", (("slow", 0.6), ("v2", 0.15))),),
    ),
    ServiceSpec(
        profile("payments"), _ZONES_2, 2, "round_robin", _NO_RETRY, RateLimit(30.0, 15),
        mtls=True,
    ),
    ServiceSpec(
        profile("inventory"), _ZONES_2, 2, "least_request", _NO_RETRY, RateLimit(70.0, 30),
        mtls=False,
    ),
    ServiceSpec(
        profile("auth"), _ZONES_3, 3, "round_robin", _NO_RETRY, RateLimit(90.0, 40),
        mtls=True,
    ),
    ServiceSpec(
        profile("search"), _ZONES_2, 3, "least_request", _FAST_RETRY, RateLimit(100.0, 40),
        mtls=False,
        upstreams=(
            Upstream("recommendations", 1.0, critical=False),
            Upstream("inventory", 0.6),
        ),
    ),
    ServiceSpec(
        profile("recommendations"), _ZONES_2, 2, "ring_hash", _NO_RETRY, RateLimit(60.0, 30),
        mtls=False,
    ),
)  # fmt: skip

SERVICE_NAMES: tuple[str, ...] = tuple(s.name for s in TOPOLOGY)
assert {p.name for p in SERVICE_PROFILES} == set(SERVICE_NAMES), "one spec per profile"


def service_spec(name: str) -> ServiceSpec:
    """The spec of one service; KeyError for a name the sandbox does not run."""
    for spec in TOPOLOGY:
        if spec.name == name:
            return spec
    raise KeyError(name)


def edges() -> list[tuple[str, str]]:
    """Every caller -> callee pair, each guarded by a breaker of that name."""
    return [(s.name, u.service) for s in TOPOLOGY for u in s.upstreams]


def call_probability(caller: ServiceSpec, upstream: Upstream) -> float:
    """Chance that one request to ``caller`` (on the upstream's route) makes the call."""
    callee = profile(upstream.service)
    route_share = sum(
        e.share
        for e in caller.profile.endpoints
        if upstream.route is None or e.route == upstream.route
    )
    return callee.peak_rps * upstream.traffic_share / (caller.profile.peak_rps * route_share)


def entry_services() -> list[ServiceSpec]:
    """Services nobody calls: where outside traffic enters."""
    called = {callee for _, callee in edges()}
    return [s for s in TOPOLOGY if s.name not in called]


def instance_zones(spec: ServiceSpec, count: int) -> list[str]:
    """The zone of each of ``count`` instances: spread evenly, as a scheduler would."""
    return [spec.zones[i % len(spec.zones)] for i in range(count)]


# Instance counts as operators scaled them; a service without a row runs its default.
SCHEMA = """
CREATE TABLE IF NOT EXISTS service_instances (
    service TEXT PRIMARY KEY,
    instances INTEGER NOT NULL CHECK (instances BETWEEN 1 AND 20)
);
"""


def desired_instances(conn: sqlite3.Connection) -> dict[str, int]:
    """Every service's instance count: scaled, or its default."""
    counts = {s.name: s.default_instances for s in TOPOLOGY}
    for row in conn.execute("SELECT service, instances FROM service_instances"):
        if row[0] in counts:
            counts[row[0]] = int(row[1])
    return counts


def set_desired_instances(conn: sqlite3.Connection, service: str, instances: int) -> int:
    """Scale ``service`` to ``instances`` (in the caller's transaction); the count before.

    The caller audits it (``service.scale`` on ``service/<name>``, before and after as
    ``{"instances": n}``), as ``POST /services/{name}/scale`` does.

    Raises:
        KeyError: the sandbox runs no such service.
        ValueError: ``instances`` is outside 1-20.
    """
    service_spec(service)
    if not MIN_INSTANCES <= instances <= MAX_INSTANCES:
        raise ValueError(f"instances must be {MIN_INSTANCES}-{MAX_INSTANCES}, not {instances}")
    before = desired_instances(conn)[service]
    conn.execute(
        "INSERT INTO service_instances (service, instances) VALUES (?, ?)"
        " ON CONFLICT (service) DO UPDATE SET instances = excluded.instances",
        (service, instances),
    )
    return before
