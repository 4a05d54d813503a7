"""The guard decision on plain values: when a check breaches, and how checks combine."""

from __future__ import annotations

from aioke_cluster.chaos.guards import GuardCheck, Verdict, combine, guard_checks, judge
from aioke_cluster.chaos.models import GuardSpec


def test_a_check_breaches_past_its_threshold_in_its_direction() -> None:
    above = GuardCheck("the error ratio", "q", 0.05, ">")
    assert judge(above, 0.04) == Verdict()
    assert judge(above, 0.05) == Verdict()  # at the threshold is not past it
    breach = judge(above, 0.06)
    assert breach.breached
    assert breach.observed == 0.06
    assert breach.reason == "the error ratio is 0.06, above the threshold 0.05"
    below = GuardCheck("the success ratio", "q", 0.99, "<")
    assert judge(below, 0.98).breached
    assert not judge(below, 0.995).breached
    assert judge(below, None).blind == "the success ratio (q) gives no data"


def test_a_breach_anywhere_wins_over_blindness_and_blindness_over_all_clear() -> None:
    fine, blind, breached = Verdict(), Verdict(blind="no data"), Verdict(True, "burning", 3.0)
    assert combine([fine, blind, breached]) == breached
    assert combine([fine, blind]) == blind
    assert combine([fine, fine]) == fine


def test_an_slo_guard_watches_the_page_alert_and_the_burn_rate() -> None:
    alert, burn = guard_checks({"slo": "checkout/availability"})
    assert 'sloth_service="checkout",sloth_slo="availability"' in alert.expr
    assert 'sloth_severity="page"' in alert.expr
    assert alert.threshold == 0
    assert burn.expr.startswith("max(slo:current_burn_rate:ratio{")
    assert burn.threshold == 14.4
    (_, burn) = guard_checks({"slo": "checkout/availability", "max_burn_rate": 6})[0:2]
    assert burn.threshold == 6


def test_a_run_keeps_only_the_settings_of_the_checks_its_guard_names() -> None:
    expr_only = GuardSpec(expr="up", threshold=1).stored()
    assert expr_only == {"expr": "up", "threshold": 1, "comparison": ">"}
    slo_only = GuardSpec(slo="checkout/availability").stored()
    assert slo_only == {"slo": "checkout/availability", "max_burn_rate": 14.4}
