"""The sentence a chaos launch reads as before it is sent: what, where, how much, how long,
and what stops it."""

from __future__ import annotations

from aioke_desktop.core.chaos import ChaosGuard, ChaosLaunch
from aioke_desktop.core.chaos_preview import describe_launch

LATENCY = {"latency_ms": 300, "jitter_ms": 50}


def test_the_preview_says_the_fault_its_reach_its_length_and_its_guard() -> None:
    launch = ChaosLaunch(
        "latency",
        "checkout",
        LATENCY,
        300,
        blast_radius_percent=10,
        guard=ChaosGuard(slo="checkout/availability", max_burn_rate=6),
    )
    assert describe_launch(launch) == (
        "Inject +300 ms ± 50 ms latency into 10 % of checkout's traffic for 5 min; "
        "abort if the burn rate of checkout/availability exceeds 6×."
    )


def test_every_guard_condition_is_named_and_no_guard_is_said_plainly() -> None:
    both = ChaosGuard(slo="search/latency", expr="rate(errors[1m])", threshold=0.05)
    below = ChaosGuard(expr="up", threshold=1, comparison="<")
    sentences = [
        describe_launch(ChaosLaunch("error", "search", {"rate_percent": 30}, 90, guard=guard))
        for guard in (both, below, None)
    ]
    assert sentences == [
        "Inject HTTP 503 errors on 30 % of requests into 100 % of search's traffic for "
        "1 min 30 s; abort if the burn rate of search/latency exceeds the page threshold "
        "or the guard query exceeds 0.05.",
        "Inject HTTP 503 errors on 30 % of requests into 100 % of search's traffic for "
        "1 min 30 s; abort if the guard query falls below 1.",
        "Inject HTTP 503 errors on 30 % of requests into 100 % of search's traffic for "
        "1 min 30 s; no guard: it stops only at its end or when someone aborts it.",
    ]


def test_a_rehearsal_and_an_unfinished_form_read_as_such() -> None:
    rehearsal = ChaosLaunch("cpu", "auth", {"saturation": 0.8}, 0, dry_run=True)
    assert describe_launch(rehearsal) == (
        "Rehearse (nothing changes): would inject CPU saturation of 80 % into 100 % of "
        "auth's traffic for a duration still to choose; no guard: it stops only at its end "
        "or when someone aborts it."
    )
