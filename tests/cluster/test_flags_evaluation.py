"""Evaluation: each reason in the documented order, variants and context values.

Pure calls into the evaluator; tests/cluster/test_flags_api.py checks the same route over HTTP.
"""

from __future__ import annotations

from typing import Any

import pytest

from aioke_cluster.flags.evaluation import evaluate
from aioke_cluster.flags.model import ContextValue, EvaluationResult, FlagSpec
from aioke_cluster.flags.store import StoredFlag


def flag(key: str = "f", *, archived: bool = False, **settings: Any) -> StoredFlag:
    spec = FlagSpec.model_validate({"owner": "test", "enabled": True, **settings})
    return StoredFlag(key, spec, 0.0, 0.0, None, 1, archived)


def run(
    subject: StoredFlag, context: dict[str, ContextValue], *others: StoredFlag
) -> EvaluationResult:
    known = {f.key: f for f in (subject, *others)}
    return evaluate(subject, context, known.get)


def outcome(result: EvaluationResult) -> tuple[bool, str | None, str]:
    return result.enabled, result.variant, result.reason


def test_an_archived_flag_is_off_even_when_enabled() -> None:
    assert outcome(run(flag(archived=True), {"user_id": "u1"})) == (False, None, "archived")


def test_a_disabled_flag_is_off_for_everyone_even_included_users() -> None:
    off = flag(enabled=False, targeting={"include": ["u1"]})
    assert outcome(run(off, {"user_id": "u1"})) == (False, None, "disabled")


def test_a_child_is_off_while_its_parent_is_off() -> None:
    parent = flag("parent", enabled=False)
    child = flag("child", depends_on={"flag": "parent"})
    assert outcome(run(child, {"user_id": "u1"}, parent)) == (False, None, "dependency")
    parent_on = flag("parent")
    assert outcome(run(child, {"user_id": "u1"}, parent_on)) == (True, None, "rollout")


def test_a_child_follows_its_parent_per_user() -> None:
    parent = flag("parent", rollout_percentage=50)
    child = flag("child", depends_on={"flag": "parent"})
    for i in range(200):
        context: dict[str, ContextValue] = {"user_id": f"user-{i}"}
        assert run(child, context, parent).enabled == run(parent, context).enabled


def test_a_child_can_require_a_parent_variant() -> None:
    parent = flag("parent", variants=[{"name": "old", "weight": 50}, {"name": "new", "weight": 50}])
    child = flag("child", depends_on={"flag": "parent", "variants": ["new"]})
    for i in range(200):
        context: dict[str, ContextValue] = {"user_id": f"user-{i}"}
        parent_variant = run(parent, context).variant
        result = run(child, context, parent)
        assert result.enabled == (parent_variant == "new")
        assert result.reason == ("rollout" if parent_variant == "new" else "dependency")


def test_a_missing_parent_keeps_the_child_off() -> None:
    child = flag("child", depends_on={"flag": "gone"})
    assert outcome(run(child, {"user_id": "u1"})) == (False, None, "dependency")


def test_excluded_users_are_off_at_full_rollout() -> None:
    subject = flag(targeting={"exclude": ["u1"]})
    assert outcome(run(subject, {"user_id": "u1"})) == (False, None, "excluded")
    assert run(subject, {"user_id": "u2"}).reason == "rollout"


def test_included_users_are_on_at_zero_rollout_and_skip_the_rules() -> None:
    subject = flag(
        rollout_percentage=0,
        targeting={
            "include": ["u1"],
            "rules": [{"attribute": "country", "operator": "in", "values": ["DE"]}],
        },
    )
    assert outcome(run(subject, {"user_id": "u1", "country": "FR"})) == (True, None, "included")
    assert run(subject, {"user_id": "u2", "country": "DE"}).reason == "outside_rollout"


@pytest.mark.parametrize(
    ("operator", "country", "enabled"),
    [
        ("in", "DE", True),
        ("in", "FR", False),
        ("in", None, False),
        ("not_in", "DE", False),
        ("not_in", "FR", True),
        ("not_in", None, True),
    ],
)
def test_attribute_rules(operator: str, country: str | None, enabled: bool) -> None:
    rule = {"attribute": "country", "operator": operator, "values": ["DE", "AT"]}
    result = run(flag(targeting={"rules": [rule]}), {"user_id": "u1", "country": country})
    assert result.enabled is enabled
    assert result.reason == ("rollout" if enabled else "rule_mismatch")


def test_every_rule_must_match() -> None:
    rules = [
        {"attribute": "country", "operator": "in", "values": ["DE"]},
        {"attribute": "plan", "operator": "in", "values": ["pro"]},
    ]
    subject = flag(targeting={"rules": rules})
    assert run(subject, {"user_id": "u", "country": "DE", "plan": "pro"}).enabled
    assert run(subject, {"user_id": "u", "country": "DE", "plan": "free"}).reason == (
        "rule_mismatch"
    )


def test_without_a_stickiness_value_only_a_full_rollout_is_on() -> None:
    variants = [{"name": "a", "weight": 100}]
    assert outcome(run(flag(rollout_percentage=99), {})) == (False, None, "no_stickiness")
    assert outcome(run(flag(rollout_percentage=99), {"user_id": ""})) == (
        False,
        None,
        "no_stickiness",
    )
    # No sticky value, no sticky variant: null rather than a coin toss.
    assert outcome(run(flag(variants=variants), {"user_id": None})) == (True, None, "rollout")


def test_rollout_uses_the_unleash_bucket_of_the_user() -> None:
    # bucket("gr1", "123") is 73 in every Unleash client.
    assert outcome(run(flag("gr1", rollout_percentage=73), {"user_id": "123"})) == (
        True,
        None,
        "rollout",
    )
    assert outcome(run(flag("gr1", rollout_percentage=72), {"user_id": "123"})) == (
        False,
        None,
        "outside_rollout",
    )


def test_zero_and_full_rollouts() -> None:
    users = [f"user-{i}" for i in range(500)]
    assert {run(flag(rollout_percentage=0), {"user_id": u}).reason for u in users} == {
        "outside_rollout"
    }
    assert {run(flag(rollout_percentage=100), {"user_id": u}).reason for u in users} == {"rollout"}


def test_a_custom_stickiness_attribute_decides_the_bucket() -> None:
    subject = flag("gr1", rollout_percentage=73, stickiness="session")
    assert run(subject, {"user_id": "999", "session": "123"}).enabled
    assert run(subject, {"user_id": "123"}).reason == "no_stickiness"


def test_numbers_and_booleans_compare_as_text() -> None:
    by_number = run(flag("gr1", rollout_percentage=73), {"user_id": 123})
    assert by_number.reason == "rollout"
    rule = {"attribute": "beta", "operator": "in", "values": ["true"]}
    assert run(flag(targeting={"rules": [rule]}), {"user_id": "u", "beta": True}).enabled


def test_variants_are_sticky_and_only_given_when_on() -> None:
    variants = [{"name": "blue", "weight": 50}, {"name": "green", "weight": 50}]
    on = flag("checkout", variants=variants)
    seen = {run(on, {"user_id": f"user-{i}"}).variant for i in range(100)}
    assert seen == {"blue", "green"}
    for i in range(100):
        context: dict[str, ContextValue] = {"user_id": f"user-{i}"}
        assert run(on, context).variant == run(on, context).variant
    off = flag("checkout", variants=variants, rollout_percentage=0)
    assert {run(off, {"user_id": f"user-{i}"}).variant for i in range(100)} == {None}
    assert run(flag(), {"user_id": "u1"}).variant is None
