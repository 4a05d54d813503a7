"""``GET /slos``: the SLO definitions the sandbox's rules were generated from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from .auth.principal import Principal
from .deps import get_services, requires
from .services import Services
from .slos import load_slos

router = APIRouter(tags=["slos"])


@router.get("/slos")
def list_slos(
    services: Services = Depends(get_services), _: Principal = Depends(requires("viewer"))
) -> list[dict[str, Any]]:
    """Every SLO in Sloth's terms: service, name, objective, period, SLI queries, alerting."""
    directory = services.settings.slos_dir
    if directory is None:
        return []
    return [slo.to_json() for slo in load_slos(directory)]
