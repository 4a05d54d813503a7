"""Who is logged in, and the services of the cluster (``/api/v1/me``, ``/api/v1/services``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .jsonshape import Fields, ShapeError

ROLES = ("viewer", "operator", "chaos", "admin")


@dataclass(frozen=True)
class Me:
    """The logged-in principal as the server sees it, with the server's own clock."""

    name: str
    roles: tuple[str, ...]
    auth: str
    stepped_up: bool
    stepped_up_until: float | None
    server_time: float | None

    def has_role(self, role: str) -> bool:
        """Admin implies every role, as on the server."""
        return role in self.roles or "admin" in self.roles

    @classmethod
    def from_json(cls, data: Fields) -> Me:
        return cls(
            name=data.text("name"),
            roles=data.texts("roles"),
            auth=data.opt_text("auth") or "session",
            stepped_up=data.boolean("stepped_up", False),
            stepped_up_until=data.opt_number("stepped_up_until"),
            server_time=data.opt_number("server_time"),
        )


@dataclass(frozen=True)
class Instance:
    id: str
    zone: str
    healthy: bool

    @classmethod
    def from_json(cls, data: Fields) -> Instance:
        return cls(
            id=data.text("id"),
            zone=data.opt_text("zone") or "",
            healthy=data.boolean("healthy", True),
        )


@dataclass(frozen=True)
class Upstream:
    """A service this one calls, through the breaker named ``breaker``."""

    service: str
    breaker: str | None
    critical: bool

    @classmethod
    def from_json(cls, data: Fields) -> Upstream:
        return cls(
            service=data.text("service"),
            breaker=data.opt_text("breaker"),
            critical=data.boolean("critical", False),
        )


@dataclass(frozen=True)
class Service:
    """A service: health, instances, what it calls and how it is protected.

    Policies are kept as the server sends them: they are shown, not interpreted.
    """

    name: str
    status: str
    instances: tuple[Instance, ...]
    upstreams: tuple[Upstream, ...]
    load_balancing: str | None
    retry_policy: Mapping[str, Any]
    rate_limit: Mapping[str, Any]
    mtls: bool | None
    requests_per_second: float | None

    @property
    def healthy_instances(self) -> int:
        return sum(i.healthy for i in self.instances)

    @classmethod
    def from_json(cls, data: Fields) -> Service:
        mtls = data.raw("mtls")
        if mtls is not None and not isinstance(mtls, bool):
            raise ShapeError("mtls", "expected true or false")
        return cls(
            name=data.text("name"),
            status=data.opt_text("status") or "unknown",
            instances=tuple(
                Instance.from_json(i) for i in data.objects("instances", optional=True)
            ),
            upstreams=tuple(
                Upstream.from_json(u) for u in data.objects("upstreams", optional=True)
            ),
            load_balancing=data.opt_text("load_balancing"),
            retry_policy=data.mapping("retry_policy"),
            rate_limit=data.mapping("rate_limit"),
            mtls=mtls,
            requests_per_second=data.opt_number("requests_per_second"),
        )
