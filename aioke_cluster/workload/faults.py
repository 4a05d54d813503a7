"""What active chaos faults do to the simulated services during one tick.

The chaos engine (``aioke_cluster.chaos.ChaosEngine``) is consulted through
:class:`FaultSource`, so the simulator depends only on ``active_faults(now)``; the parameters
are the ones its catalog defines. The blast radius is the share of the target's traffic (or, for
instance-level faults, of its instances) that a fault hits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

# A memory fault this high kills instances (the OOM killer) and fails requests in flight.
OOM_LEVEL = 0.9
OOM_ERROR_CHANCE = 0.1


class ActiveFault(Protocol):
    """One fault being injected now, as the chaos engine reports it."""

    @property
    def run_id(self) -> object: ...
    @property
    def fault(self) -> str: ...  # latency | error | cpu | memory | partition | degradation
    @property
    def target(self) -> str: ...
    @property
    def params(self) -> Mapping[str, Any]: ...
    @property
    def blast_radius_percent(self) -> float: ...


class FaultSource(Protocol):
    def active_faults(self, now: float) -> Iterable[ActiveFault]: ...


@dataclass
class Effects:
    """The faults on one service, as chances and sizes for one request or instance."""

    latency_share: float = 0.0
    latency_seconds: float = 0.0
    jitter_seconds: float = 0.0
    error_chance: float = 0.0
    error_status: int = 503
    slow_share: float = 0.0  # requests on a CPU-starved instance
    slow_factor: float = 1.0
    cpu: tuple[float, float] = (0.0, 0.0)  # (share, saturation level)
    memory: tuple[float, float] = (0.0, 0.0)
    unhealthy_share: float = 0.0
    capacity_factor: float = 1.0
    partitioned_from: dict[str, float] = field(default_factory=dict)  # peer -> share cut


NO_EFFECTS = Effects()


def _number(params: Mapping[str, Any], key: str, default: float) -> float:
    value = params.get(key, default)
    return float(value) if isinstance(value, int | float) else default


def _level(params: Mapping[str, Any]) -> float:
    """Saturation a cpu or memory fault holds the target at, 0-1."""
    return min(1.0, max(0.0, _number(params, "saturation", 0.95)))


def effects_by_service(faults: Iterable[ActiveFault]) -> dict[str, Effects]:
    """Combine the active faults per target service; overlapping faults keep the worst."""
    effects: dict[str, Effects] = {}

    def of(service: str) -> Effects:
        return effects.setdefault(service, Effects())

    for f in faults:
        share = min(1.0, max(0.0, float(f.blast_radius_percent) / 100.0))
        fx, params = of(f.target), f.params
        if f.fault == "latency":
            seconds = _number(params, "latency_ms", 0.0) / 1000.0
            if seconds * share > fx.latency_seconds * fx.latency_share:
                fx.latency_share, fx.latency_seconds = share, seconds
                fx.jitter_seconds = _number(params, "jitter_ms", 0.0) / 1000.0
        elif f.fault == "error":
            chance = share * _number(params, "rate_percent", 100.0) / 100.0
            if chance > fx.error_chance:
                fx.error_chance = chance
                fx.error_status = int(_number(params, "status", 503))
        elif f.fault == "cpu":
            level = _level(params)
            fx.cpu = max(fx.cpu, (share, level))
            fx.slow_share = max(fx.slow_share, share)
            fx.slow_factor = max(fx.slow_factor, 1.0 + 3.0 * level * level)
        elif f.fault == "memory":
            level = _level(params)
            fx.memory = max(fx.memory, (share, level))
            if level >= OOM_LEVEL:
                fx.unhealthy_share = max(fx.unhealthy_share, share)
                fx.error_chance = max(fx.error_chance, share * OOM_ERROR_CHANCE)
        elif f.fault == "partition":
            peer = str(params.get("peer", ""))
            for a, b in ((f.target, peer), (peer, f.target)):
                cut = of(a).partitioned_from
                cut[b] = max(cut.get(b, 0.0), share)
        elif f.fault == "degradation":
            kept = _number(params, "capacity_percent", 50.0) / 100.0
            fx.capacity_factor = min(fx.capacity_factor, 1.0 - share * (1.0 - kept))
    return effects
