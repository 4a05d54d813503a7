"""The Overview's data path without Qt: steps, windows, merging tails, and changes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aioke_desktop.core.activity import AuditEntry, ClusterEvent
from aioke_desktop.core.annotations import from_audit, from_event
from aioke_desktop.core.golden import (
    GoldenFetch,
    GoldenPlan,
    SeriesPoints,
    choose_step,
    rate_window,
    with_gaps,
)
from aioke_desktop.core.golden_store import GoldenStore, SeriesWindow
from aioke_desktop.core.promql import GoldenSignalTemplates

HOUR = 3600.0


@pytest.mark.parametrize(
    ("range_s", "step"),
    [(300, 5), (HOUR, 5), (6 * HOUR, 30), (86400, 120), (7 * 86400, 900), (30 * 86400, 3600)],
)
def test_a_step_keeps_a_chart_under_720_points_and_never_below_the_scrape(
    range_s: float, step: float
) -> None:
    assert choose_step(range_s) == step
    assert range_s / step <= 720


def test_the_rate_window_grows_with_the_step() -> None:
    assert rate_window(5) == "5m"
    assert rate_window(900) == "15m"
    assert rate_window(3600) == "60m"


def test_a_plan_asks_for_every_service_on_a_grid_of_whole_steps() -> None:
    plan = GoldenPlan.build(GoldenSignalTemplates(), HOUR)
    start, end = plan.bounds(now=1_700_000_003.7)
    assert (start % plan.step, end % plan.step) == (0, 0)
    assert end <= 1_700_000_003.7 < end + plan.step
    assert (end - start) / plan.step + 1 == plan.points == 721
    assert [signal for signal, _ in plan.queries] == [
        "latency_p50", "latency_p95", "latency_p99", "traffic", "error_ratio", "saturation",
    ]  # fmt: skip
    assert 'service=~".+"' in plan.query("traffic")
    assert "histogram_quantile(0.99," in plan.query("latency_p99")
    # A fixed window in the past ends where it ends, whatever the time now.
    past = GoldenPlan.build(GoldenSignalTemplates(), HOUR, end=1_600_000_000)
    assert past.bounds(now=1_700_000_000)[1] == 1_600_000_000
    assert plan != GoldenPlan.build(GoldenSignalTemplates(), 6 * HOUR)


def grid(start: float, count: int, step: float = 5.0) -> np.ndarray:
    return start + step * np.arange(count, dtype=float)


def test_a_tail_replaces_the_overlap_and_the_window_slides() -> None:
    window = SeriesWindow(capacity=20, step=5)
    window.merge(grid(0, 10), np.arange(10, dtype=float), window_start=0)
    # The newest two points were re-evaluated (late scrapes), two more are new.
    window.merge(grid(40, 4), np.array([80.0, 90.0, 10.0, 11.0]), window_start=15)
    assert list(window.times) == list(grid(15, 9))
    assert list(window.raw) == [3, 4, 5, 6, 7, 80, 90, 10, 11]


def test_a_hole_between_what_is_held_and_what_came_breaks_the_line() -> None:
    window = SeriesWindow(capacity=20, step=5)
    window.merge(grid(0, 3), np.ones(3), window_start=0)
    window.merge(grid(30, 2), np.ones(2), window_start=0)
    assert list(window.times) == [0, 5, 10, 15, 30, 35]
    assert np.isnan(window.draw[3])
    times, values = with_gaps(np.array([0.0, 5, 20, 25]), np.ones(4), 5)
    assert list(times) == [0, 5, 10, 20, 25]
    assert np.isnan(values[2])


def test_infinity_is_kept_for_readouts_and_drawn_as_a_gap() -> None:
    window = SeriesWindow(capacity=5, step=5)
    window.merge(grid(0, 3), np.array([1.0, math.inf, 2.0]), window_start=0)
    assert math.isinf(window.raw[1])
    assert math.isnan(window.draw[1])
    assert window.latest(not_before=10) == 2.0
    assert math.isnan(window.latest(not_before=11))  # the newest point is too old
    assert math.isinf(window.value_at(6))
    assert math.isnan(window.value_at(100))


def test_hours_of_refreshes_never_grow_the_buffers() -> None:
    window = SeriesWindow(capacity=721 + 180 + 4, step=5)
    buffers = [id(window._t), id(window._raw), id(window._draw)]
    window.merge(grid(0, 721), np.ones(721), window_start=0)
    now = 3600.0
    for _ in range(5000):  # about seven hours at a 5 s refresh
        now += 5
        window.merge(grid(now - 10, 3), np.ones(3), window_start=now - HOUR)
    assert [id(window._t), id(window._raw), id(window._draw)] == buffers
    assert len(window) == 721
    assert window.times[-1] == now
    assert window.times[0] == now - HOUR
    assert np.all(np.diff(window.times) == 5)


def test_a_tail_larger_than_the_window_keeps_only_its_newest_points() -> None:
    window = SeriesWindow(capacity=10, step=5)
    window.merge(grid(0, 5), np.zeros(5), window_start=0)
    window.merge(grid(100, 30), np.arange(30, dtype=float), window_start=0)
    assert len(window) == 10
    assert list(window.raw) == list(range(20, 30))


def points(signal: str, service: str, times: np.ndarray) -> SeriesPoints:
    return SeriesPoints(signal, service, "", times, np.ones(len(times)))


def test_the_store_takes_only_answers_for_its_plan_and_says_where_tails_start() -> None:
    plan = GoldenPlan.build(GoldenSignalTemplates(), 300)
    store = GoldenStore()
    store.reset(plan)
    assert store.since(plan) is None
    full = GoldenFetch(plan, 0, 300, True, (points("traffic", "checkout", grid(0, 61)),))
    assert store.merge(full)
    assert store.since(plan) == 300
    other = GoldenPlan.build(GoldenSignalTemplates(), HOUR)
    assert store.since(other) is None
    assert not store.merge(GoldenFetch(other, 0, 300, True, ()))
    # A service absent from the tails slides out of the window and is forgotten.
    tail = GoldenFetch(plan, 295, 605, False, (points("traffic", "search", grid(295, 63)),))
    assert store.merge(tail)
    assert store.services() == ["search"]
    assert store.latest("traffic", "search") == 1.0
    assert math.isnan(store.latest("traffic", "checkout"))


def event(**overrides: object) -> ClusterEvent:
    fields: dict[str, object] = {
        "seq": 7,
        "time": "2026-01-07T16:00:00Z",
        "kind": "breaker.transition",
        "resource": "breaker/gateway->checkout",
        "actor": None,
        "summary": "gateway->checkout opened: 60 % of calls failed",
        "data": {
            "before": {"state": "closed", "calls": 10},
            "after": {"state": "open", "calls": 10},
        },
    }
    return ClusterEvent(**(fields | overrides))  # type: ignore[arg-type]


def test_a_change_says_who_what_and_before_and_after() -> None:
    found = from_event(event())
    assert found is not None
    assert found.time == 1767801600.0
    assert found.who == "automatic"
    assert found.changes() == ["state: closed → open"]  # only what changed
    tip = found.tooltip()
    assert "automatic · breaker.transition" in tip
    assert "state: closed → open" in tip
    assert found.page == "breakers"


def test_a_change_read_from_the_feed_and_the_audit_log_is_the_same_change() -> None:
    audited = event(
        kind="flag.update",
        resource="flag/new-checkout",
        actor="alice",
        data={"before": {"enabled": False}, "after": {"enabled": True}, "audit_seq": 41},
    )
    row = AuditEntry(
        41, "2026-01-07T16:00:00Z", "alice", "flag.update", "flag/new-checkout",
        {"enabled": False}, {"enabled": True}, None, "h",
    )  # fmt: skip
    from_feed, from_log = from_event(audited), from_audit(row)
    assert from_feed is not None
    assert from_log is not None
    assert from_feed.key == from_log.key == "audit:41"
    assert from_log.tooltip().splitlines()[0].endswith("alice · flag.update")


def test_logins_and_rehearsals_are_not_drawn() -> None:
    assert from_event(event(kind="auth.login", resource="user/alice")) is None
    assert from_event(event(kind="chaos.dry_run", resource="chaos/runs/3")) is None
    assert from_event(event(time="not a time")) is None
