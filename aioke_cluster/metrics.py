"""The control plane's own Prometheus metrics, in a registry per app so tests can run several."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class ServerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "aioke_http_requests_total",
            "HTTP requests handled, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "aioke_http_request_duration_seconds",
            "Time to handle an HTTP request.",
            ["route", "method"],
            registry=self.registry,
        )
        self.login_failures = Counter(
            "aioke_login_failures_total",
            "Failed logins and step-ups (bad credentials, bad code, replayed code, locked).",
            ["reason"],
            registry=self.registry,
        )
        self.lockouts = Counter(
            "aioke_account_lockouts_total",
            "Accounts locked after repeated failures.",
            registry=self.registry,
        )
