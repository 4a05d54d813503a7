"""The simulated services' traffic: one tick a second on a background thread.

Each tick draws the second's requests entering at the gateway; every request draws a latency
and an outcome from its service's distributions (``sandbox.traffic``) and calls its upstreams
through their circuit breakers (see ``requests``). Conditions are worked out once per tick
(chaos faults, flag definitions, instance counts, capacity), so a request costs a few random
draws. Tests call :meth:`Simulator.tick` with their own times and seed instead of the thread.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from dataclasses import dataclass

from ..breakers import BreakerRegistry, BreakerState, breaker_name
from ..clock import Clock
from ..db import Database
from ..flags import store as flag_store
from ..flags.store import StoredFlag
from ..sandbox.traffic import SATURATION_RESOURCES, daily_load
from .faults import NO_EFFECTS, ActiveFault, Effects, FaultSource, effects_by_service
from .metrics import BREAKER_OUTCOMES, WorkloadMetrics
from .requests import Edge, Requests, ServiceState
from .topology import TOPOLOGY, desired_instances, entry_services, instance_zones

log = logging.getLogger(__name__)

MAX_CATCH_UP_SECONDS = 5.0  # after a stall, simulate at most this much, never a backlog
PEAK_LEVEL = 0.98  # the table's peaks add up to ~192/s: this keeps the total under 200/s
# Load is traffic over nominal capacity (the table's peak on the default instances). Bursts
# queue above QUEUE_ABOVE_LOAD; past SHED_ABOVE_LOAD the excess is answered 503 at once.
QUEUE_ABOVE_LOAD = 1.5
SHED_ABOVE_LOAD = 2.5
SMOOTHING = 0.3  # weight of the last second in the smoothed request rate


@dataclass(frozen=True)
class ServiceHealth:
    """A service as of the last tick, for ``GET /services``."""

    instances: int
    unhealthy: int
    requests_per_second: float
    saturation: dict[str, float]


class Simulator:
    """The workload: ``start()``/``stop()`` the thread, or drive it with :meth:`tick`.

    Args:
        db: Where flags and instance counts live.
        clock: Gives ``now`` to the thread's ticks.
        breakers: The control plane's breakers; every edge of the topology is ensured in it.
        faults: The chaos engine (anything with ``active_faults(now)``); None: no chaos.
        metrics: The registry to export to; a fresh one by default.
        seed: Seed of the random draws, for deterministic tests.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        breakers: BreakerRegistry | None = None,
        faults: FaultSource | None = None,
        metrics: WorkloadMetrics | None = None,
        seed: int | None = None,
        interval_seconds: float = 1.0,
    ) -> None:
        self._db, self._clock, self._breakers, self.faults = db, clock, breakers, faults
        self.metrics = metrics or WorkloadMetrics()
        self._rng = random.Random(seed)
        self._requests = Requests(self._rng, self.metrics, self._lookup_flag)
        self._interval = interval_seconds
        self._services = {spec.name: ServiceState(spec) for spec in TOPOLOGY}
        self._entries = [self._services[s.name] for s in entry_services()]
        for spec in TOPOLOGY:
            for upstream in spec.upstreams:
                name = breaker_name(spec.name, upstream.service)
                breaker = breakers.ensure(name) if breakers is not None else None
                edge = Edge(spec, self._services[upstream.service], breaker)
                self._services[spec.name].edges.append(edge)
                for outcome in BREAKER_OUTCOMES:  # counters start at 0, so rate() sees them
                    self.metrics.breaker_calls.labels(name, outcome)
        self._noise, self._last = 1.0, -math.inf
        self._flag_cache: dict[str, StoredFlag | None] = {}
        self._breaker_states: dict[str, BreakerState] = {}
        self.health: dict[str, ServiceHealth] = {}  # replaced whole each tick: no lock to read
        self._tick_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.cpu_seconds, self.ticks = 0.0, 0  # the thread's own CPU time and ticks

    # The thread.

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="aioke-workload", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop ticking and wait for the thread (a tick in progress finishes first)."""
        thread, self._thread = self._thread, None
        self._stopping.set()
        if thread is not None:
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        due = time.monotonic()
        while not self._stopping.is_set():
            started = time.thread_time()
            try:
                self.tick(self._clock.now())
            except Exception:  # one bad tick must not stop the cluster's traffic for good
                log.exception("workload tick failed")
            self.cpu_seconds += time.thread_time() - started
            self.ticks += 1
            due = max(due + self._interval, time.monotonic())  # after a stall: skip, not burst
            self._stopping.wait(due - time.monotonic())

    # One tick.

    def tick(self, now: float) -> None:
        """Simulate the traffic since the previous tick (1 s on the first) and export it."""
        with self._tick_lock:
            dt = min(max(now - self._last, 0.0), MAX_CATCH_UP_SECONDS)
            if self._last == -math.inf:
                dt = 1.0
            self._last = self._requests.now = now
            faults = list(self.faults.active_faults(now)) if self.faults is not None else []
            # Slow drift rather than a fresh draw each second: traffic wanders for minutes.
            self._noise = 1.0 + 0.9 * (self._noise - 1.0) + self._rng.gauss(0.0, 0.02)
            level = min(PEAK_LEVEL, daily_load(now) * self._noise)
            self._prepare(dt, level, faults)
            for entry in self._entries:
                for _ in range(self._round(entry.spec.profile.peak_rps * level * dt)):
                    self._requests.serve(entry)
            self._publish(now, dt)
            if self._breakers is not None:
                self._breakers.flush()  # the transitions this tick made, with their events

    def _round(self, value: float) -> int:
        whole = int(value)
        return whole + (1 if self._rng.random() < value - whole else 0)

    def _prepare(self, dt: float, level: float, faults: list[ActiveFault]) -> None:
        effects = effects_by_service(faults)
        self._flag_cache = {}
        with self._db.read() as conn:
            counts = desired_instances(conn)
            for s in self._services.values():
                s.flags = []
                for effect in s.spec.flag_effects:
                    if effect.flag not in self._flag_cache:
                        self._flag_cache[effect.flag] = flag_store.load(conn, effect.flag)
                    flag = self._flag_cache[effect.flag]
                    if flag is not None:
                        s.flags.append((effect.flag, dict(effect.added_seconds_by_variant), flag))
        for s in self._services.values():
            fx = s.effects = effects.get(s.name, NO_EFFECTS)
            s.instances = counts[s.name]
            s.unhealthy = min(s.instances, round(s.instances * fx.unhealthy_share))
            healthy_share = (s.instances - s.unhealthy) / s.spec.default_instances
            s.capacity = s.spec.profile.peak_rps * healthy_share * fx.capacity_factor
            demand = s.rate if s.rate is not None else s.spec.profile.peak_rps * level
            load = demand / s.capacity if s.capacity > 0 else math.inf
            # Busier is a little slower, as in the history; past capacity, requests queue.
            s.mu = math.log(s.spec.profile.latency_p50_seconds * (0.9 + 0.2 * min(load, 1.0)))
            s.slowdown = min(9.0, 3.0 * max(0.0, load - QUEUE_ABOVE_LOAD))
            # No demand at all (every caller was down last tick) sheds nothing; dividing by
            # it failed every later tick, freezing the services as they were.
            s.shed_chance = max(0.0, 1.0 - SHED_ABOVE_LOAD / load) if load > 0 else 0.0
            s.arrivals = 0
            limit = s.spec.rate_limit
            s.tokens = min(s.tokens, float(limit.burst)) + limit.requests_per_second * dt
            for edge in s.edges:
                edge.cut = fx.partitioned_from.get(edge.callee.name, 0.0)

    def _lookup_flag(self, key: str) -> StoredFlag | None:
        """Flags by key for dependency checks, read at most once a tick."""
        if key not in self._flag_cache:
            with self._db.read() as conn:
                self._flag_cache[key] = flag_store.load(conn, key)
        return self._flag_cache[key]

    # Export.

    def _publish(self, now: float, dt: float) -> None:
        m = self.metrics
        health = {}
        for s in self._services.values():
            if dt > 0:
                rate = s.arrivals / dt
                s.rate = rate if s.rate is None else s.rate + SMOOTHING * (rate - s.rate)
            load = (s.rate or 0.0) / s.capacity if s.capacity > 0 else math.inf
            saturation = dict(zip(SATURATION_RESOURCES, _saturation(load, s.effects), strict=True))
            for resource, value in saturation.items():
                m.saturation.labels(s.name, resource).set(value)
            zones = instance_zones(s.spec, s.instances)
            for zone in s.spec.zones:
                down = zones[: s.unhealthy].count(zone)
                m.instances.labels(s.name, zone, "true").set(zones.count(zone) - down)
                m.instances.labels(s.name, zone, "false").set(down)
            for edge in s.edges:
                for outcome, count in zip(BREAKER_OUTCOMES, edge.counts, strict=True):
                    if count:
                        m.breaker_calls.labels(edge.name, outcome).inc(count)
                edge.counts = [0, 0, 0]
            health[s.name] = ServiceHealth(s.instances, s.unhealthy, s.rate or 0.0, saturation)
        self.health = health
        for (flag, variant), count in self._requests.evaluations.items():
            m.flag_evaluations.labels(flag, variant).inc(count)
        self._requests.evaluations = {}
        self._publish_breakers(now)

    def _publish_breakers(self, now: float) -> None:
        if self._breakers is None:
            return
        for name in self._breakers.names():
            breaker = self._breakers.get(name)
            if breaker is None:
                continue
            state = breaker.snapshot(now).state  # also ends forced states past their TTL
            if self._breaker_states.get(name) is not state:
                for candidate in BreakerState:
                    value = 1.0 if candidate is state else 0.0
                    self.metrics.breaker_state.labels(name, candidate.value).set(value)
                self._breaker_states[name] = state


def _saturation(load: float, fx: Effects) -> tuple[float, float, float]:
    """CPU, memory and queue fullness at a load (1 = the service's nominal capacity); the
    curves at rest are the history's."""
    busy = min(load, 1.0)
    overload = min(1.0, max(0.0, load - 1.0) / (SHED_ABOVE_LOAD - 1.0))
    cpu = 0.1 + 0.55 * busy + 0.35 * overload
    memory = 0.45 + 0.1 * busy
    queue = 0.02 + 0.25 * busy**3 + 0.73 * overload
    (cpu_share, cpu_level), (memory_share, memory_level) = fx.cpu, fx.memory
    cpu += cpu_share * max(0.0, cpu_level - cpu)
    memory += memory_share * max(0.0, memory_level - memory)
    return min(1.0, cpu), min(1.0, memory), min(1.0, queue)
