"""Runbooks: YAML procedures of safe steps, run by the control plane with a timeout and a log."""

from __future__ import annotations

from fastapi import FastAPI

from ..prometheus import PrometheusQuery
from ..services import Services
from .catalog import Runbook, RunbookFileError, load_runbook, load_runbooks
from .cluster_actions import ControlPlaneActions
from .executor import RunbookExecutor
from .routes import router
from .steps import ClusterActions, StepFailed
from .store import SCHEMA

__all__ = [
    "SCHEMA",
    "ClusterActions",
    "ControlPlaneActions",
    "Runbook",
    "RunbookExecutor",
    "RunbookFileError",
    "StepFailed",
    "install",
    "load_runbook",
    "load_runbooks",
    "router",
]


def install(
    app: FastAPI, services: Services, *, prefix: str, actions: ClusterActions | None = None
) -> RunbookExecutor:
    """Load the runbooks in ``settings.runbooks_dir`` and serve them under ``prefix``.

    Fails executions a previous process left unfinished, and stops the executor's threads on
    shutdown (call this before the database's close is registered, so it runs first).

    Raises:
        RunbookFileError: a runbook file is invalid; the message names the file and field.
    """
    services.db.migrate([SCHEMA])
    prometheus: PrometheusQuery | None = None
    if actions is None:
        url = services.settings.prometheus_url
        prometheus = PrometheusQuery(url) if url else None
        actions = ControlPlaneActions(services, app.state, prometheus)
    executor = RunbookExecutor(services, load_runbooks(services.settings.runbooks_dir), actions)
    executor.recover()
    app.state.runbooks = executor
    app.include_router(router, prefix=prefix)
    app.router.on_shutdown.append(executor.stop)
    if prometheus is not None:
        app.router.on_shutdown.append(prometheus.close)
    return executor
