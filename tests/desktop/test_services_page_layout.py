"""The service map's layout and colours, computed without a screen."""

from __future__ import annotations

import itertools
import math

import pytest

from aioke_desktop.core.breakers import Breaker
from aioke_desktop.core.cluster import Instance, Service, Upstream
from aioke_desktop.core.series import Series
from aioke_desktop.core.service_graph import layered_layout
from aioke_desktop.core.service_map import CallRates, MapEdge, build_service_map, call_rates

SANDBOX_CALLS = [
    ("gateway", "auth"),
    ("gateway", "checkout"),
    ("gateway", "search"),
    ("checkout", "payments"),
    ("checkout", "inventory"),
    ("checkout", "auth"),
    ("search", "recommendations"),
    ("search", "inventory"),
]
SANDBOX_SERVICES = sorted({name for call in SANDBOX_CALLS for name in call})


def test_callers_sit_left_of_whom_they_call_and_boxes_never_overlap() -> None:
    layout = layered_layout(SANDBOX_SERVICES, SANDBOX_CALLS)
    assert set(layout.positions) == set(SANDBOX_SERVICES)
    for caller, callee in SANDBOX_CALLS:
        assert layout.positions[caller].x < layout.positions[callee].x
    assert layout.columns["gateway"] == 0
    assert layout.columns["auth"] == 2  # one column right of its furthest caller, checkout
    for a, b in itertools.combinations(layout.positions.values(), 2):
        assert a.x != b.x or abs(a.y - b.y) >= 1 - 1e-9  # a row apart in one column


def test_the_sandbox_map_has_no_crossing_calls() -> None:
    assert layered_layout(SANDBOX_SERVICES, SANDBOX_CALLS).crossings() == 0


def test_a_call_that_skips_a_column_bends_in_it_instead_of_cutting_through_a_box() -> None:
    layout = layered_layout(SANDBOX_SERVICES, SANDBOX_CALLS)
    route = layout.routes[("gateway", "auth")]
    assert len(route) == 3
    bend = route[1]
    assert bend.x == layout.positions["checkout"].x
    for name in ("checkout", "search"):  # the boxes in that column
        assert abs(layout.positions[name].y - bend.y) >= 1 - 1e-9


def test_the_layout_does_not_depend_on_input_order() -> None:
    first = layered_layout(SANDBOX_SERVICES, SANDBOX_CALLS)
    again = layered_layout(reversed(SANDBOX_SERVICES), reversed(SANDBOX_CALLS))
    assert first == again


def test_a_cycle_is_still_laid_out_with_every_call_drawn() -> None:
    layout = layered_layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a"), ("a", "a")])
    assert set(layout.routes) == {("a", "b"), ("b", "c"), ("c", "a")}
    assert len({p.x for p in layout.positions.values()}) == 3
    back = layout.routes[("c", "a")]
    assert back[0] == layout.positions["c"]
    assert back[-1] == layout.positions["a"]


def test_services_without_calls_and_an_empty_map() -> None:
    layout = layered_layout(["solo", "pair-a", "pair-b"], [("pair-a", "pair-b"), ("x", "y")])
    assert set(layout.positions) == {"solo", "pair-a", "pair-b"}
    assert set(layout.routes) == {("pair-a", "pair-b")}
    assert layered_layout([], []).positions == {}


def test_a_larger_graph_stays_quick_and_uncrossed_where_it_can() -> None:
    # A tree fanning out twice: drawable without any crossing.
    calls = [("root", f"mid{i}") for i in range(4)]
    calls += [(f"mid{i}", f"leaf{i}{j}") for i in range(4) for j in range(3)]
    names = {n for call in calls for n in call}
    assert layered_layout(names, calls).crossings() == 0


def _service(name: str, status: str, upstreams: tuple[str, ...] = ()) -> Service:
    return Service(
        name=name,
        status=status,
        instances=(Instance(f"{name}-0", "eu-1a", status != "down"),),
        upstreams=tuple(Upstream(u, f"{name}->{u}", True) for u in upstreams),
        load_balancing=None,
        retry_policy={},
        rate_limit={},
        mtls=None,
        requests_per_second=None,
    )


def _breaker(name: str, state: str) -> Breaker:
    caller, callee = name.split("->")
    return Breaker(name, caller, callee, state, None, None, 0, "", None, None, None)


def test_node_colour_follows_health_and_edges_carry_breaker_state() -> None:
    services = [
        _service("gateway", "healthy", ("checkout", "search")),
        _service("checkout", "degraded"),
        _service("search", "down"),
    ]
    breakers = [_breaker("gateway->checkout", "FORCED_OPEN"), _breaker("gateway->search", "CLOSED")]
    rates = call_rates(
        [
            Series({"breaker": "gateway->checkout", "outcome": "rejected"}, (1.0,), (4.0,)),
            Series({"breaker": "gateway->search", "outcome": "successful"}, (1.0,), (9.0,)),
            Series({"breaker": "gateway->search", "outcome": "failed"}, (1.0,), (1.0,)),
        ]
    )
    found = build_service_map(services, breakers, rates, {}, [])
    assert {n: node.level for n, node in found.nodes.items()} == {
        "gateway": "ok",
        "checkout": "warning",
        "search": "danger",
    }
    edges = {(e.caller, e.callee): e for e in found.edges}
    forced = edges[("gateway", "checkout")]
    assert forced.is_open
    assert forced.level == "danger"
    assert forced.rates == CallRates(rejected=4.0)
    assert forced.rates.error_ratio == 1.0  # every call rejected: the caller saw them all fail
    assert edges[("gateway", "search")].rates.error_ratio == pytest.approx(0.1)
    assert edges[("gateway", "search")].level == "danger"  # 10 % of calls fail


def test_an_edge_without_calls_has_no_error_ratio_rather_than_zero() -> None:
    assert math.isnan(CallRates().error_ratio)
    quiet = MapEdge("a", "b", _breaker("a->b", "CLOSED"), CallRates(), True)
    assert quiet.level == "ok"
