"""``/services``: the simulated services as deployed, and scaling them; ``/metrics/workload``.

Scaling needs the operator role and an Idempotency-Key, and is audited as ``service.scale``
on ``service/<name>``. The target is an absolute count, so a stale retry cannot compound.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from ..actions import Action, Outcome
from ..auth.principal import Principal
from ..breakers import BreakerRegistry, breaker_name
from ..deps import action, get_services, requires
from ..problems import Problem
from ..services import Services
from .faults import FaultSource
from .metrics import WorkloadMetrics
from .simulator import ServiceHealth, Simulator
from .topology import (
    MAX_INSTANCES,
    MIN_INSTANCES,
    TOPOLOGY,
    ServiceSpec,
    desired_instances,
    instance_zones,
    service_spec,
    set_desired_instances,
)

router = APIRouter(tags=["services"])
metrics_router = APIRouter()


def get_workload(request: Request) -> Simulator:
    workload: Simulator = request.app.state.workload
    return workload


ServicesDep = Annotated[Services, Depends(get_services)]
WorkloadDep = Annotated[Simulator, Depends(get_workload)]
Reader = Annotated[Principal, Depends(requires("viewer"))]
Operator = Annotated[Action, Depends(action("operator"))]


class ScaleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    instances: int = Field(ge=MIN_INSTANCES, le=MAX_INSTANCES)


def service_json(spec: ServiceSpec, desired: int, health: ServiceHealth | None) -> dict[str, Any]:
    """A service as ``GET /services`` shows it; health is as of the simulator's last tick."""
    unhealthy = 0 if health is None else min(desired, health.unhealthy)
    zones = instance_zones(spec, desired)
    policy, limit = spec.retry_policy, spec.rate_limit
    return {
        "name": spec.name,
        "status": "down" if unhealthy == desired else "degraded" if unhealthy else "healthy",
        "desired_instances": desired,
        "healthy_instances": desired - unhealthy,
        "instances": [
            {"id": f"{spec.name}-{i}", "zone": zone, "healthy": i >= unhealthy}
            for i, zone in enumerate(zones)
        ],
        "zones": list(spec.zones),
        "routes": [{"method": e.method, "route": e.route} for e in spec.profile.endpoints],
        "upstreams": [
            {
                "service": u.service,
                "breaker": breaker_name(spec.name, u.service),
                "route": u.route,
                "critical": u.critical,
            }
            for u in spec.upstreams
        ],
        "load_balancing": spec.load_balancing,
        "retry_policy": {
            "max_attempts": policy.max_attempts,
            "per_try_timeout_seconds": policy.per_try_timeout_seconds,
            "backoff_seconds": policy.backoff_seconds,
            "retry_on": ["5xx", "timeout"],
        },
        "rate_limit": {"requests_per_second": limit.requests_per_second, "burst": limit.burst},
        "mtls": spec.mtls,
        "requests_per_second": None if health is None else round(health.requests_per_second, 2),
        "saturation": None
        if health is None
        else {k: round(v, 4) for k, v in health.saturation.items()},
    }


def _spec(name: str) -> ServiceSpec:
    try:
        return service_spec(name)
    except KeyError:
        raise Problem(404, "not-found", f"There is no service named {name!r}.") from None


@router.get("/services")
def list_services(services: ServicesDep, workload: WorkloadDep, _: Reader) -> list[dict[str, Any]]:
    """Every simulated service: instances and health, upstreams and traffic settings."""
    with services.db.read() as conn:
        counts = desired_instances(conn)
    health = workload.health
    return [service_json(s, counts[s.name], health.get(s.name)) for s in TOPOLOGY]


@router.get("/services/{name}")
def get_service(
    name: str, services: ServicesDep, workload: WorkloadDep, _: Reader
) -> dict[str, Any]:
    spec = _spec(name)
    with services.db.read() as conn:
        desired = desired_instances(conn)[name]
    return service_json(spec, desired, workload.health.get(name))


@router.post("/services/{name}/scale")
def scale_service(name: str, body: ScaleRequest, act: Operator, workload: WorkloadDep) -> Response:
    """Set a service's instance count (1-20); the simulator uses it from its next tick."""
    spec = _spec(name)
    resource = f"service/{name}"

    def change(conn: sqlite3.Connection) -> Outcome:
        before = set_desired_instances(conn, name, body.instances)
        act.audit(
            conn,
            "service.scale",
            resource,
            before={"instances": before},
            after={"instances": body.instances},
            summary=f"{act.principal.name} scaled {name} from {before} to {body.instances}",
        )
        return Outcome(200, service_json(spec, body.instances, workload.health.get(name)), {})

    return act.run(body.model_dump(mode="json"), change, require_key=True)


@metrics_router.get("/metrics/workload", include_in_schema=False)
def workload_metrics(workload: WorkloadDep) -> Response:
    """The simulated services' metrics for Prometheus; open like ``/metrics``."""
    return Response(generate_latest(workload.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def install_workload(
    app: FastAPI,
    services: Services,
    *,
    api_prefix: str,
    breakers: BreakerRegistry | None,
    faults: FaultSource | None = None,
    metrics: WorkloadMetrics | None = None,
    simulate: bool = False,
    seed: int | None = None,
) -> Simulator:
    """Add the workload to ``app``: ``app.state.workload``, its routes, and with ``simulate``
    its thread, which runs from app startup to shutdown.

    Call it before ``db.close`` is registered for shutdown, so the thread stops before the
    database closes. Pass the metrics whose registry the chaos engine registered its gauge
    in, and the engine as ``faults``.
    """
    workload = Simulator(
        services.db, services.clock, breakers=breakers, faults=faults, metrics=metrics, seed=seed
    )
    app.state.workload = workload
    app.include_router(router, prefix=api_prefix)
    app.include_router(metrics_router)
    if simulate:
        app.router.on_startup.append(workload.start)
        app.router.on_shutdown.append(workload.stop)
    return workload
