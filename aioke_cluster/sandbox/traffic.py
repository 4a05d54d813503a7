"""How much traffic each sandbox service serves, how often it fails and how fast it answers.

One small table shared by the synthetic history and (later) the live workload, so that a chart
spanning both shows one continuous service rather than two different ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

# OpenTelemetry's recommended boundaries for http.server.request.duration (seconds), which are
# also prometheus-client's defaults: dashboards made for real services find the same buckets.
LATENCY_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip

REQUEST_METRIC = "http_server_request_duration_seconds"
# The scrape job (and instance) of the workload's /metrics. History series carry the same two
# labels, so live samples continue the very series the history wrote instead of new ones.
WORKLOAD_JOB = "workload"
SATURATION_METRIC = "aioke_saturation_ratio"
SATURATION_RESOURCES = ("cpu", "memory", "queue")


@dataclass(frozen=True)
class Endpoint:
    """One route of a service and its share of the service's requests."""

    method: str
    route: str
    share: float


@dataclass(frozen=True)
class ServiceProfile:
    """A service on a normal day: requests/s at the daily peak, 5xx share, latency quantiles."""

    name: str
    peak_rps: float
    error_ratio: float
    latency_p50_seconds: float
    latency_p99_seconds: float
    endpoints: tuple[Endpoint, ...]

    @property
    def latency_sigma(self) -> float:
        """Spread of the log-normal latency whose median and 99th percentile are as given."""
        return math.log(self.latency_p99_seconds / self.latency_p50_seconds) / _Z99


_Z99 = 2.3263478740408408  # standard normal quantile at 0.99

# Peaks add up to ~190 requests/s; the quietest hour of a weekend night is ~50.
SERVICE_PROFILES: tuple[ServiceProfile, ...] = (
    ServiceProfile(
        "gateway", 60.0, 0.0002, 0.030, 0.25,
        (Endpoint("GET", "/api/products", 0.7), Endpoint("POST", "/api/checkout", 0.3)),
    ),
    ServiceProfile(
        "checkout", 12.0, 0.0002, 0.120, 0.35,
        (Endpoint("POST", "/api/checkout", 0.8), Endpoint("GET", "/api/cart", 0.2)),
    ),
    ServiceProfile("payments", 10.0, 0.0001, 0.080, 0.40, (Endpoint("POST", "/api/payments", 1),)),
    ServiceProfile("inventory", 25.0, 0.0008, 0.015, 0.08, (Endpoint("GET", "/api/inventory", 1),)),
    ServiceProfile("auth", 30.0, 0.0001, 0.010, 0.05, (Endpoint("POST", "/api/auth/token", 1),)),
    ServiceProfile("search", 35.0, 0.0008, 0.050, 0.30, (Endpoint("GET", "/api/search", 1),)),
    ServiceProfile(
        "recommendations", 20.0, 0.0015, 0.060, 0.35,
        (Endpoint("GET", "/api/recommendations", 1),),
    ),
)  # fmt: skip

SERVICES: tuple[str, ...] = tuple(p.name for p in SERVICE_PROFILES)


def profile(service: str) -> ServiceProfile:
    """The profile of one service by name."""
    for candidate in SERVICE_PROFILES:
        if candidate.name == service:
            return candidate
    raise KeyError(service)


@dataclass(frozen=True)
class Incident:
    """A past bad hour: more 5xx answers, slower answers, or both.

    ``ends_before`` places it relative to the end of the history, so the story stays recent.
    """

    service: str
    ends_before_seconds: float
    duration_seconds: float
    error_ratio: float = 0.0
    latency_factor: float = 1.0
    title: str = ""


DAY = 86400.0
HOUR = 3600.0

DEFAULT_INCIDENTS: tuple[Incident, ...] = (
    Incident("payments", 2 * DAY + 6 * HOUR, 40 * 60, error_ratio=0.25,
             title="payments provider returns 503s"),
    Incident("checkout", 2 * DAY + 6 * HOUR, 40 * 60, error_ratio=0.15,
             title="checkout fails while payments fails"),
    Incident("checkout", 4 * DAY + 15 * HOUR, 50 * 60, latency_factor=5.0,
             title="checkout slow after a bad deploy"),
    Incident("search", 12 * DAY, 3 * HOUR, error_ratio=0.05, latency_factor=1.5,
             title="search index rebuild"),
)  # fmt: skip


def daily_load(ts: float) -> float:
    """Share of the peak traffic at a moment: quiet at 04:00 UTC, busiest at 16:00, calmer at
    weekends."""
    hour = (ts % DAY) / HOUR
    curve = 0.35 + 0.65 * (0.5 - 0.5 * math.cos(2 * math.pi * (hour - 4.0) / 24.0))
    weekday = int(ts // DAY + 3) % 7  # the epoch was a Thursday; 5 and 6 are the weekend
    return curve * (0.75 if weekday >= 5 else 1.0)


@lru_cache(maxsize=4096)
def latency_cdf(median_seconds: float, sigma: float) -> tuple[float, ...]:
    """Share of requests at or under each of ``LATENCY_BUCKETS`` for a log-normal latency."""
    mu = math.log(median_seconds)
    scale = sigma * math.sqrt(2.0)
    return tuple(0.5 * (1.0 + math.erf((math.log(b) - mu) / scale)) for b in LATENCY_BUCKETS)


def mean_latency(median_seconds: float, sigma: float) -> float:
    """Mean of the log-normal latency, for the histogram's ``_sum``."""
    return median_seconds * math.exp(sigma * sigma / 2.0)


def saturation(resource: str, load: float, error_ratio: float, latency_factor: float) -> float:
    """``aioke_saturation_ratio`` of a service: busier with load, more so when it is failing."""
    stress = min(1.0, (latency_factor - 1.0) / 4.0 + error_ratio * 2.0)
    if resource == "cpu":
        value = 0.1 + 0.55 * load + 0.3 * stress
    elif resource == "memory":
        value = 0.45 + 0.1 * load + 0.2 * stress
    else:  # queue: empty until the service nears its capacity
        value = 0.02 + 0.25 * load**3 + 0.6 * stress
    return min(1.0, value)
