"""The control plane's ASGI app: one factory, dependencies passed in."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import actions, audit, chaos, events, runbooks
from .audit_routes import router as audit_router
from .auth.passwords import Passwords
from .auth.routes import router as auth_router
from .auth.schema import SCHEMA as AUTH_SCHEMA
from .breakers import SCHEMA as BREAKERS_SCHEMA
from .breakers import BreakerRegistry
from .breakers.routes import router as breakers_router
from .clock import Clock, SystemClock
from .db import Database
from .events_routes import router as events_router
from .flags import ramp_routes
from .flags.routes import router as flags_router
from .flags.store import SCHEMA as FLAGS_SCHEMA
from .metrics import ServerMetrics
from .middleware import RequestContextMiddleware
from .problems import install_problem_handlers
from .services import Services, Settings
from .slos_routes import router as slos_router
from .users_routes import router as users_router
from .workload import SCHEMA as WORKLOAD_SCHEMA
from .workload import WorkloadMetrics, install_workload

API = "/api/v1"

# How long a thread may keep the GIL while another waits for it (CPython's default: 5 ms).
SWITCH_INTERVAL_SECONDS = 0.0005


def prefer_latency() -> None:
    """Hand the GIL over sooner, in a process that serves the control plane.

    A writer holding SQLite's write lock needs the GIL back after every statement; with the
    event loop busy it waited up to 5 ms each time, ten statements a write, and every other
    writer queued behind it: at 50 writes a second the median write took 240 ms instead of
    25 ms (tests/faults/test_control_plane_load.py).

    Call it once the app is built: the objects made so far (FastAPI's routes and models,
    pydantic's validators) live as long as the process, so they are frozen out of the
    garbage collector's reach. Each full collection walked them all and held the event loop,
    and every request with it, for 100-150 ms every few seconds under load.
    """
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    gc.collect()
    gc.freeze()


def create_app(
    db_path: Path | str,
    *,
    clock: Clock | None = None,
    settings: Settings | None = None,
    passwords: Passwords | None = None,
    simulate: bool = False,
) -> FastAPI:
    db = Database(db_path)
    db.migrate(
        [
            AUTH_SCHEMA,
            actions.SCHEMA,
            audit.SCHEMA,
            events.SCHEMA,
            FLAGS_SCHEMA,
            BREAKERS_SCHEMA,
            WORKLOAD_SCHEMA,
        ]
    )
    metrics = ServerMetrics()
    services = Services(
        db=db,
        clock=clock or SystemClock(),
        metrics=metrics,
        settings=settings or Settings(),
        passwords=passwords or Passwords(),
    )

    app = FastAPI(
        title="Aioke control plane",
        version="1",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    app.state.breakers = BreakerRegistry(db, services.clock, services.events)
    install_problem_handlers(app)
    routers = (
        auth_router,
        users_router,
        flags_router,
        audit_router,
        events_router,
        breakers_router,
        slos_router,
    )
    for router in routers:
        app.include_router(router, prefix=API)
    runbooks.install(app, services, prefix=API)
    ramp_routes.attach(app, services, prefix=API)
    workload_metrics = WorkloadMetrics()
    engine = chaos.attach(app, services, prefix=API, registry=workload_metrics.registry)
    install_workload(
        app,
        services,
        api_prefix=API,
        breakers=app.state.breakers,
        faults=engine,
        metrics=workload_metrics,
        simulate=simulate,
    )

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(RequestContextMiddleware, metrics=metrics, api_prefix=API)
    app.router.on_shutdown.append(db.close)
    return app
