"""``GET /events``: the long-polled change feed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from . import events
from .auth.principal import Principal
from .deps import get_services, requires
from .services import Services

router = APIRouter(tags=["events"])

MAX_WAIT_SECONDS = 30.0


@router.get("/events")
def list_events(
    after: int = Query(0, ge=0, description="Answer events with a larger seq"),
    wait: float = Query(0, ge=0, le=MAX_WAIT_SECONDS, description="Long-poll up to this long"),
    limit: int = Query(500, ge=1, le=1000),
    services: Services = Depends(get_services),
    _: Principal = Depends(requires("viewer")),
) -> dict[str, Any]:
    """Events after ``after``; with ``wait`` the answer waits until there is one (or not)."""
    deadline = services.clock.now() + wait
    while True:
        generation = services.events.generation()
        with services.db.read() as conn:
            found = events.recent(conn, after, limit)
            newest = events.head(conn)
        remaining = deadline - services.clock.now()
        if found or remaining <= 0:
            return {"events": [e.to_json() for e in found], "head": newest}
        # Re-check at least every second: a publisher may wake us before it commits.
        services.events.wait_past(generation, min(remaining, 1.0))
