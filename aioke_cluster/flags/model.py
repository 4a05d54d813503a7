"""The feature flag API's request and response bodies.

Every model forbids unknown fields and is strict about types, so a typo or a ``"50"`` where
50 was meant is a 422 instead of a silently ignored or coerced setting.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

FLAG_KEY = r"^[a-z0-9][a-z0-9._-]{0,63}$"
ATTRIBUTE = r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"
VARIANT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

FlagType = Literal["release", "experiment", "operational", "kill-switch", "permission"]
Stale = Literal["stale", "cleanup"]
# The evaluation reasons; evaluation.py says what each means. A stable API: only add to it.
Reason = Literal[
    "archived",
    "disabled",
    "dependency",
    "excluded",
    "included",
    "rule_mismatch",
    "no_stickiness",
    "rollout",
    "outside_rollout",
]

FlagKey = Annotated[str, StringConstraints(pattern=FLAG_KEY)]
AttributeName = Annotated[str, StringConstraints(pattern=ATTRIBUTE)]
VariantName = Annotated[str, StringConstraints(pattern=VARIANT_NAME)]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=256)]
AttributeValue = Annotated[str, StringConstraints(max_length=256)]
Owner = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Description = Annotated[str, StringConstraints(max_length=2000)]
Percentage = Annotated[int, Field(ge=0, le=100)]
ContextValue = str | int | float | bool | None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Rule(_Body):
    """An attribute rule, such as ``country in [DE, FR]``."""

    attribute: AttributeName
    operator: Literal["in", "not_in"]
    values: Annotated[list[AttributeValue], Field(min_length=1, max_length=1000)]


class Targeting(_Body):
    """Who always gets the flag, who never does, and which attributes a user must have."""

    include: Annotated[list[UserId], Field(max_length=10_000)] = []
    exclude: Annotated[list[UserId], Field(max_length=10_000)] = []
    rules: Annotated[list[Rule], Field(max_length=50)] = []

    @model_validator(mode="after")
    def _not_both(self) -> Targeting:
        both = sorted(set(self.include) & set(self.exclude))
        if both:
            raise ValueError(f"users are both included and excluded: {', '.join(both[:5])}")
        return self


class Variant(_Body):
    """One arm of an A/B test; ``weight`` is the percentage of enabled users who get it."""

    name: VariantName
    weight: Percentage


class Dependency(_Body):
    """The parent flag that must be enabled (optionally with one of ``variants``)."""

    flag: FlagKey
    variants: Annotated[list[VariantName], Field(min_length=1, max_length=100)] | None = None


class _Definition(_Body):
    """The editable settings of a flag, shared by create, patch merges and responses."""

    description: Description = ""
    type: FlagType = "release"
    enabled: bool = False
    # The master switch (enabled) starts off, so a whole-audience default is safe and
    # matches what turning a kill switch or permission flag on should do.
    rollout_percentage: Percentage = 100
    stickiness: AttributeName = "user_id"
    targeting: Targeting = Targeting()
    variants: Annotated[list[Variant], Field(max_length=100)] = []
    depends_on: Dependency | None = None

    @field_validator("variants")
    @classmethod
    def _variants_add_up(cls, variants: list[Variant]) -> list[Variant]:
        if not variants:
            return variants
        names = [v.name for v in variants]
        if len(set(names)) != len(names):
            raise ValueError("variant names must be unique")
        total = sum(v.weight for v in variants)
        if total != 100:
            raise ValueError(f"variant weights must add up to 100, not {total}")
        return variants


class FlagSpec(_Definition):
    """A flag's full definition as stored."""

    owner: Owner


class FlagCreate(_Definition):
    """``POST /flags``: the key and settings; the owner defaults to the caller."""

    key: FlagKey
    owner: Owner | None = None


class FlagPatch(_Body):
    """``PATCH /flags/{key}``: only the fields sent change; ``depends_on: null`` removes it."""

    description: Description | None = None
    type: FlagType | None = None
    enabled: bool | None = None
    rollout_percentage: Percentage | None = None
    stickiness: AttributeName | None = None
    targeting: Targeting | None = None
    variants: Annotated[list[Variant], Field(max_length=100)] | None = None
    depends_on: Dependency | None = None
    owner: Owner | None = None

    # Only depends_on may be sent as null (to remove it); None elsewhere means "not sent".
    @field_validator(
        "description",
        "type",
        "enabled",
        "rollout_percentage",
        "stickiness",
        "targeting",
        "variants",
        "owner",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, as JSON values."""
        return self.model_dump(mode="json", include=self.model_fields_set)


class Flag(FlagSpec):
    """A flag as the API shows it."""

    key: FlagKey
    created_at: str
    updated_at: str
    version: int
    archived: bool
    stale: Stale | None


class EvaluationRequest(_Body):
    """``POST /flags/{key}/evaluate``: who is asking (``user_id`` and other attributes)."""

    context: Annotated[dict[str, ContextValue], Field(max_length=100)]


class EvaluationResult(_Body):
    """Whether the flag is on for a context, which variant it gets, and why."""

    enabled: bool
    variant: str | None
    reason: Reason
