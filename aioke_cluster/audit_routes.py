"""``/audit``: read and verify the hash-chained audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from . import audit
from .auth.principal import Principal
from .clock import iso, parse_iso
from .deps import get_services, requires
from .problems import Problem
from .services import Services

router = APIRouter(tags=["audit"])


@router.get("/audit")
def list_audit(
    since: str | None = Query(None, description="A sequence number (rows after it) or a time"),
    resource: str | None = None,
    actor: str | None = None,
    action: str | None = Query(None, description="Rows whose action starts with this"),
    limit: int = Query(100, ge=1, le=1000),
    services: Services = Depends(get_services),
    _: Principal = Depends(requires("viewer")),
) -> list[dict[str, Any]]:
    after_seq: int | None = None
    since_time: str | None = None
    if since is not None:
        if since.isdigit():
            after_seq = int(since)
        else:
            try:
                since_time = iso(parse_iso(since))
            except ValueError:
                raise Problem(
                    422, "invalid-request", "since: give a sequence number or an RFC 3339 time."
                ) from None
    with services.db.read() as conn:
        entries = audit.query(
            conn,
            after_seq=after_seq,
            since_time=since_time,
            resource=resource,
            actor=actor,
            action_prefix=action,
            limit=limit,
        )
    return [e.to_json() for e in entries]


@router.get("/audit/verify")
def verify_audit(
    services: Services = Depends(get_services), _: Principal = Depends(requires("viewer"))
) -> dict[str, Any]:
    with services.db.read() as conn:
        result = audit.verify(conn)
    return dict(result.__dict__)
