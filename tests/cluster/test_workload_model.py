"""The simulated services, driven tick by tick with a seeded simulator and a manual clock.

Everything around the simulator is real: SQLite, the breaker registry, the chaos engine (its
runs stored as the API stores them) and the flag store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from aioke_cluster import chaos, events
from aioke_cluster.breakers import SCHEMA as BREAKERS_SCHEMA
from aioke_cluster.breakers import BreakerRegistry, BreakerState
from aioke_cluster.chaos import ChaosEngine
from aioke_cluster.chaos import store as chaos_store
from aioke_cluster.clock import ManualClock
from aioke_cluster.db import Database
from aioke_cluster.flags import store as flag_store
from aioke_cluster.flags.model import FlagSpec
from aioke_cluster.flags.store import SCHEMA as FLAGS_SCHEMA
from aioke_cluster.sandbox.traffic import LATENCY_BUCKETS, SERVICES, daily_load, profile
from aioke_cluster.workload import SCHEMA, Simulator, WorkloadMetrics, set_desired_instances
from aioke_cluster.workload.topology import TOPOLOGY, edges

DAY = 86400.0
# Wednesday 7 January 2026, 00:00 UTC: a weekday, so the daily curve peaks at 16:00.
WEDNESDAY = 1767744000.0


@dataclass
class World:
    db: Database
    clock: ManualClock
    breakers: BreakerRegistry
    chaos: ChaosEngine
    sim: Simulator

    def run(self, seconds: int) -> None:
        for _ in range(seconds):
            self.clock.advance(1)
            self.sim.tick(self.clock.now())

    def samples(self) -> list[tuple[str, dict[str, str], float]]:
        return [
            (s.name, s.labels, s.value)
            for family in self.sim.metrics.registry.collect()
            for s in family.samples
        ]

    def buckets(self, service: str, route: str | None = None) -> list[float]:
        """Cumulative requests per bucket (``+Inf`` last), over every status."""
        counts = [0.0] * (len(LATENCY_BUCKETS) + 1)
        for name, labels, value in self.samples():
            if name != "http_server_request_duration_seconds_bucket":
                continue
            if labels["service"] != service or route not in (None, labels["http_route"]):
                continue
            le = labels["le"]
            counts[len(LATENCY_BUCKETS) if le == "+Inf" else LATENCY_BUCKETS.index(float(le))] += (
                value
            )
        return counts

    def value(self, name: str, **labels: str) -> float:
        return sum(
            v
            for n, ls, v in self.samples()
            if n == name and all(ls.get(k) == want for k, want in labels.items())
        )

    def requests(self, **labels: str) -> float:
        return self.value("http_server_request_duration_seconds_count", **labels)

    def breaker_state(self, breaker: str) -> str:
        """The state the breaker's gauge shows; it must show exactly one."""
        states = [
            labels["state"]
            for name, labels, value in self.samples()
            if name == "aioke_circuit_breaker_state" and labels["breaker"] == breaker and value
        ]
        assert len(states) == 1, states
        return states[0]

    def launch(self, fault: str, target: str, params: dict[str, object], seconds: int) -> int:
        with self.db.write() as conn:
            run = chaos_store.insert_run(
                conn, fault=fault, target=target, params=params, duration_seconds=seconds,
                blast_radius_percent=100, guard=None, dry_run=False, created_by="test",
                now=self.clock.now(),
            )  # fmt: skip
        self.chaos.invalidate()
        return run.id


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    db = Database(tmp_path / "workload.db")
    db.migrate([BREAKERS_SCHEMA, FLAGS_SCHEMA, SCHEMA, events.SCHEMA, chaos.SCHEMA])
    clock = ManualClock(WEDNESDAY + 12 * 3600)
    bus = events.EventBus()
    breakers = BreakerRegistry(db, clock, bus)
    metrics = WorkloadMetrics()
    engine = ChaosEngine(db, clock, bus, registry=metrics.registry)
    sim = Simulator(db, clock, breakers=breakers, faults=engine, metrics=metrics, seed=7)
    yield World(db, clock, breakers, engine, sim)
    db.close()


def quantile(q: float, before: list[float], after: list[float]) -> float:
    """``histogram_quantile`` over the requests between two reads, as Prometheus computes it."""
    delta = [a - b for a, b in zip(after, before, strict=True)]
    rank = q * delta[-1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in zip(LATENCY_BUCKETS, delta, strict=False):
        if count >= rank:
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return LATENCY_BUCKETS[-1]


def test_every_service_exports_golden_signals_under_opentelemetry_label_names(
    world: World,
) -> None:
    world.run(30)
    samples = world.samples()
    request_labels = {"service", "http_route", "http_request_method", "http_response_status_code"}
    for service in SERVICES:
        counts = [
            labels
            for name, labels, _ in samples
            if name == "http_server_request_duration_seconds_count" and labels["service"] == service
        ]
        assert counts, f"no requests for {service}"
        assert all(set(labels) == request_labels for labels in counts)
        for resource in ("cpu", "memory", "queue"):
            ratio = world.value("aioke_saturation_ratio", service=service, resource=resource)
            assert 0 < ratio <= 1
        spec = next(s for s in TOPOLOGY if s.name == service)
        assert world.value("aioke_service_instances", service=service) == spec.default_instances
    for caller, callee in edges():
        breaker = f"{caller}->{callee}"
        assert world.breaker_state(breaker) == "CLOSED"
        assert world.value("aioke_circuit_breaker_calls_total", breaker=breaker) > 0


def test_total_traffic_follows_the_daily_curve_between_20_and_200_per_second(
    world: World,
) -> None:
    def rate_for_a_minute(at: float) -> float:
        world.clock.set(at)
        world.run(1)
        before = world.requests()
        world.run(60)
        return (world.requests() - before) / 60

    sunday = WEDNESDAY + 4 * DAY
    rates = {hour: rate_for_a_minute(WEDNESDAY + hour * 3600) for hour in range(0, 24, 4)}
    rates[-1] = rate_for_a_minute(sunday + 4 * 3600)  # the quietest hour of the week
    assert all(20 <= rate <= 200 for rate in rates.values()), rates
    assert rates[16] > 2 * rates[-1], rates
    # The live services continue the seeded history: the same rates at the same hour.
    world.clock.set(WEDNESDAY + 16 * 3600)
    world.run(1)
    before = {service: world.requests(service=service) for service in SERVICES}
    world.run(120)
    for service in SERVICES:
        measured = (world.requests(service=service) - before[service]) / 120
        expected = profile(service).peak_rps * daily_load(world.clock.now())
        assert measured == pytest.approx(expected, rel=0.15), service


def test_a_latency_fault_raises_the_targets_p99_until_it_ends(world: World) -> None:
    world.run(5)
    start = world.buckets("search")
    world.run(60)
    normal = world.buckets("search")
    run_id = world.launch("latency", "search", {"latency_ms": 800, "jitter_ms": 100}, 60)
    assert world.value("aioke_chaos_fault_active", run_id=str(run_id), target="search") == 1
    world.run(60)
    faulty = world.buckets("search")
    world.run(60)
    after = world.buckets("search")

    assert quantile(0.99, start, normal) < 0.5
    assert quantile(0.99, normal, faulty) > 0.8
    assert quantile(0.5, normal, faulty) > 0.7
    assert quantile(0.99, faulty, after) < 0.5
    assert world.value("aioke_chaos_fault_active", run_id=str(run_id)) == 0


def test_an_error_fault_opens_the_callers_breaker_which_closes_after_the_fault(
    world: World,
) -> None:
    world.run(5)
    world.launch("error", "payments", {"status": 503, "rate_percent": 100}, 30)
    for _ in range(10):
        world.run(1)
        if world.breaker_state("checkout->payments") == "OPEN":
            break
    assert world.breaker_state("checkout->payments") == "OPEN"
    rejected = {"breaker": "checkout->payments", "outcome": "rejected"}
    assert world.value("aioke_circuit_breaker_calls_total", **rejected) > 0
    # Checkout fails fast with 503 while the breaker is open; other edges are unaffected.
    assert world.requests(service="checkout", http_response_status_code="503") > 0
    assert world.breaker_state("search->inventory") == "CLOSED"
    # The fault ends at 30 s; the breaker's trial calls succeed after its 30 s wait.
    world.run(70)
    assert world.breaker_state("checkout->payments") == "CLOSED"
    with world.db.read() as conn:
        moves = [(t.to_state, t.actor) for t in world.breakers.history(conn, "checkout->payments")]
    assert (BreakerState.OPEN, None) in moves
    assert moves[-1] == (BreakerState.CLOSED, None)


def set_checkout_flow(world: World, variant: str) -> None:
    spec = FlagSpec.model_validate(
        {"enabled": True, "owner": "checkout-team", "variants": [{"name": variant, "weight": 100}]}
    )
    now = world.clock.now()
    with world.db.write() as conn:
        current = flag_store.load(conn, "new-checkout-flow")
        if current is None:
            flag_store.insert(conn, flag_store.new_flag("new-checkout-flow", spec, now))
        else:
            flag_store.save(conn, current.changed(spec, now))


def test_the_slow_variant_of_new_checkout_flow_makes_checkout_slower(world: World) -> None:
    set_checkout_flow(world, "control")
    world.run(1)
    start = world.buckets("checkout", "/api/checkout")
    world.run(60)
    control = world.buckets("checkout", "/api/checkout")
    set_checkout_flow(world, "slow")
    world.run(60)
    slow = world.buckets("checkout", "/api/checkout")

    assert quantile(0.5, start, control) < 0.2
    assert quantile(0.5, control, slow) > 0.5
    evaluations = "aioke_flag_evaluations_total"
    assert world.value(evaluations, flag="new-checkout-flow", variant="control") > 100
    assert world.value(evaluations, flag="new-checkout-flow", variant="slow") > 100


def test_scaled_and_unhealthy_instances_change_capacity_and_saturation(world: World) -> None:
    world.clock.set(WEDNESDAY + 16 * 3600)  # the daily peak
    world.run(30)
    cpu_at_two = world.value("aioke_saturation_ratio", service="checkout", resource="cpu")
    with world.db.write() as conn:
        set_desired_instances(conn, "checkout", 1)
    world.run(30)
    assert world.value("aioke_service_instances", service="checkout", healthy="true") == 1
    cpu_at_one = world.value("aioke_saturation_ratio", service="checkout", resource="cpu")
    assert cpu_at_one > cpu_at_two + 0.2
    with world.db.write() as conn:
        set_desired_instances(conn, "checkout", 4)
    world.run(30)
    assert world.value("aioke_service_instances", service="checkout", healthy="true") == 4
    assert world.value("aioke_saturation_ratio", service="checkout", resource="cpu") < cpu_at_two

    world.launch("memory", "search", {"saturation": 0.97}, 60)
    world.run(2)
    assert world.value("aioke_service_instances", service="search", healthy="false") == 3
    assert world.value("aioke_saturation_ratio", service="search", resource="memory") > 0.95
    assert world.sim.health["search"].unhealthy == 3


def test_the_same_seed_gives_the_same_traffic(tmp_path: Path, world: World) -> None:
    db = Database(tmp_path / "twin.db")
    db.migrate([FLAGS_SCHEMA, SCHEMA])
    twin = Simulator(db, world.clock, seed=7)
    other = Simulator(db, world.clock, seed=8)
    for _ in range(20):
        world.clock.advance(1)
        world.sim.tick(world.clock.now())
        twin.tick(world.clock.now())
        other.tick(world.clock.now())

    def requests(sim: Simulator) -> str:
        text = generate_latest(sim.metrics.registry).decode()
        return "\n".join(line for line in text.splitlines() if "_bucket{" in line)

    assert requests(twin) == requests(world.sim)
    assert requests(other) != requests(world.sim)
    db.close()
