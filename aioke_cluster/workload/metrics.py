"""The simulated cluster's metrics, in a registry of their own served at ``/metrics/workload``.

Names and labels follow OpenTelemetry's HTTP semantic conventions (as Prometheus exports
them), so dashboards and SLOs written for real services fit the sandbox unchanged.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ..sandbox.traffic import LATENCY_BUCKETS, REQUEST_METRIC, SATURATION_METRIC

REQUEST_LABELS = ("service", "http_route", "http_request_method", "http_response_status_code")
BREAKER_OUTCOMES = ("successful", "failed", "rejected")


class WorkloadMetrics:
    """Every series the simulated services export.

    Args:
        registry: Where to register them. The chaos engine registers its
            ``aioke_chaos_fault_active`` into the same one (``chaos.attach(registry=...)``),
            so everything about the simulated cluster is scraped from one endpoint.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.request_duration = Histogram(
            REQUEST_METRIC,
            "Duration of HTTP server requests of the simulated services; _count counts them.",
            REQUEST_LABELS,
            buckets=LATENCY_BUCKETS,  # the same buckets the seeded history used
            registry=self.registry,
        )
        self.saturation = Gauge(
            SATURATION_METRIC,
            "How full a service's cpu, memory or request queue is, 0-1.",
            ["service", "resource"],
            registry=self.registry,
        )
        self.breaker_state = Gauge(
            "aioke_circuit_breaker_state",
            "1 for the breaker's current state, 0 for the others.",
            ["breaker", "state"],
            registry=self.registry,
        )
        self.breaker_calls = Counter(
            "aioke_circuit_breaker_calls",
            "Calls through a breaker: successful, failed, or rejected without being made.",
            ["breaker", "outcome"],
            registry=self.registry,
        )
        self.flag_evaluations = Counter(
            "aioke_flag_evaluations",
            "Flag evaluations by the simulated services, by variant ('on'/'off' without one).",
            ["flag", "variant"],
            registry=self.registry,
        )
        self.instances = Gauge(
            "aioke_service_instances",
            "Instances of a service in a zone, healthy or not.",
            ["service", "zone", "healthy"],
            registry=self.registry,
        )
