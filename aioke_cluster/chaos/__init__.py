"""Chaos experiments: faults with a server-side end, guards on Prometheus, halt and safety.

:func:`attach` sets chaos up on an app: its tables, its routes, and the
:class:`ChaosEngine`, which becomes ``services.chaos`` and which the workload asks for the
active faults on every tick.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from ..prometheus import PrometheusQuery
from ..services import Services
from .catalog import SANDBOX_SERVICES, FaultCatalog, FaultType
from .engine import GUARD_SECONDS, ActiveFault, ChaosEngine
from .routes import router
from .store import SCHEMA, SafetySettings

__all__ = [
    "SANDBOX_SERVICES",
    "SCHEMA",
    "ActiveFault",
    "ChaosEngine",
    "FaultCatalog",
    "FaultType",
    "SafetySettings",
    "attach",
    "router",
]


def attach(
    app: FastAPI,
    services: Services,
    *,
    prefix: str,
    registry: CollectorRegistry | None = None,
    service_names: Iterable[str] = SANDBOX_SERVICES,
    guard_seconds: float = GUARD_SECONDS,
) -> ChaosEngine:
    """Create chaos' tables, serve ``/chaos`` under ``prefix``, and build the engine.

    The engine's loop starts with the app and stops before the database closes.

    Args:
        app: the control plane's app.
        prefix: where the API lives, e.g. ``/api/v1``.
        services: the app's services; the engine is stored as ``services.chaos``.
        registry: where ``aioke_chaos_fault_active`` goes: the workload's registry.
        service_names: the services a run may target.
        guard_seconds: how often guards are evaluated.
    """
    services.db.migrate([SCHEMA])
    url = services.settings.prometheus_url
    prometheus = PrometheusQuery(url) if url else None
    engine = ChaosEngine(
        services.db,
        services.clock,
        services.events,
        services=service_names,
        prometheus=prometheus,
        registry=registry,
        # A control plane started without Prometheus is a deliberate setup (development,
        # tests) that would otherwise refuse every run; one started with Prometheus refuses
        # unguarded runs while it cannot reach it, until an admin says otherwise.
        safety_defaults=SafetySettings(unguarded_without_prometheus=prometheus is None),
        guard_seconds=guard_seconds,
    )
    services.chaos = engine
    app.include_router(router, prefix=prefix)
    app.router.on_startup.append(engine.start)
    # First on shutdown: the loop writes to the database, which another hook closes.
    app.router.on_shutdown.insert(0, engine.stop)
    if prometheus is not None:
        app.router.on_shutdown.append(prometheus.close)
    return engine
