"""Evaluating a flag for a context: is it on, which variant, and why.

Checks run in this order; the first that decides gives the reason. The reason strings are a
stable API (clients and dashboards match on them): new ones may be added, none renamed.

- ``archived`` (off): the flag is archived.
- ``disabled`` (off): the flag's master switch, ``enabled``, is off.
- ``dependency`` (off): the parent flag is off for this context, or on with a variant
  outside ``depends_on.variants``.
- ``excluded`` (off): the context's ``user_id`` is in ``targeting.exclude``.
- ``included`` (on): the context's ``user_id`` is in ``targeting.include``; attribute rules
  and the rollout percentage are skipped.
- ``rule_mismatch`` (off): an attribute rule does not match (every rule must).
- ``no_stickiness`` (off): the context lacks the stickiness attribute and the rollout is
  below 100 %, so no sticky bucket can be chosen.
- ``rollout`` (on): the context's bucket is inside the rollout percentage, or the rollout
  is 100 %.
- ``outside_rollout`` (off): the context's bucket is above the rollout percentage.

Context values are compared and hashed as text: strings as they are, numbers in Python's
``str`` form (``42``), booleans as ``true``/``false``; a missing, null or empty value is
absent. An absent attribute never matches an ``in`` rule and always matches ``not_in``.

``variant`` is null when the flag is off, when it has no variants, and when the context
lacks the stickiness attribute (an assignment that is not sticky would mislead an A/B test).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .bucketing import in_rollout, pick_variant
from .model import ContextValue, Dependency, EvaluationResult, Reason, Rule
from .store import StoredFlag

Context = Mapping[str, ContextValue]
FlagLookup = Callable[[str], StoredFlag | None]


def evaluate(flag: StoredFlag, context: Context, lookup: FlagLookup) -> EvaluationResult:
    """Evaluate ``flag`` for ``context``.

    Args:
        flag: The flag to evaluate.
        context: The caller's attributes: ``user_id`` and any others rules refer to.
        lookup: Finds a flag by key, for evaluating the parent dependency.
    """
    return _evaluate(flag, context, lookup, frozenset())


def _evaluate(
    flag: StoredFlag, context: Context, lookup: FlagLookup, seen: frozenset[str]
) -> EvaluationResult:
    spec = flag.spec
    if flag.archived:
        return _off("archived")
    if not spec.enabled:
        return _off("disabled")
    if spec.depends_on is not None and not _parent_allows(
        spec.depends_on, context, lookup, seen | {flag.key}
    ):
        return _off("dependency")

    user = as_text(context.get("user_id"))
    sticky = as_text(context.get(spec.stickiness))
    variants = [(v.name, v.weight) for v in spec.variants]

    def on(reason: Reason) -> EvaluationResult:
        variant = None if sticky is None else pick_variant(flag.key, sticky, variants)
        return EvaluationResult(enabled=True, variant=variant, reason=reason)

    if user is not None and user in spec.targeting.exclude:
        return _off("excluded")
    if user is not None and user in spec.targeting.include:
        return on("included")
    if not all(_rule_matches(rule, context) for rule in spec.targeting.rules):
        return _off("rule_mismatch")
    if sticky is None:
        return on("rollout") if spec.rollout_percentage == 100 else _off("no_stickiness")
    if in_rollout(flag.key, sticky, spec.rollout_percentage):
        return on("rollout")
    return _off("outside_rollout")


def _off(reason: Reason) -> EvaluationResult:
    return EvaluationResult(enabled=False, variant=None, reason=reason)


def _parent_allows(
    dependency: Dependency, context: Context, lookup: FlagLookup, seen: frozenset[str]
) -> bool:
    parent = lookup(dependency.flag)
    # Saving refuses cycles; the seen set only keeps a corrupted table from recursing forever.
    if parent is None or parent.key in seen:
        return False
    result = _evaluate(parent, context, lookup, seen)
    if not result.enabled:
        return False
    return dependency.variants is None or result.variant in dependency.variants


def _rule_matches(rule: Rule, context: Context) -> bool:
    value = as_text(context.get(rule.attribute))
    if rule.operator == "in":
        return value is not None and value in rule.values
    return value is None or value not in rule.values


def as_text(value: ContextValue) -> str | None:
    """A context value as the text that rules compare and buckets hash; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
