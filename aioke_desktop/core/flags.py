"""Feature flags as the control plane describes them (``/api/v1/flags``)."""

from __future__ import annotations

from dataclasses import dataclass

from .jsonshape import Fields


@dataclass(frozen=True)
class FlagRule:
    """An attribute rule such as ``country in [DE, FR]``."""

    attribute: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class FlagTargeting:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    rules: tuple[FlagRule, ...] = ()


@dataclass(frozen=True)
class FlagVariant:
    name: str
    weight: int


@dataclass(frozen=True)
class FlagDependency:
    flag: str
    variants: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Flag:
    """One feature flag; ``etag`` is the version the edit dialog must send back."""

    key: str
    description: str
    type: str
    enabled: bool
    rollout_percentage: int
    stickiness: str
    targeting: FlagTargeting
    variants: tuple[FlagVariant, ...]
    depends_on: FlagDependency | None
    owner: str
    created_at: str
    updated_at: str
    version: int
    archived: bool
    stale: str | None
    etag: str | None = None

    @classmethod
    def from_json(cls, data: Fields, etag: str | None = None) -> Flag:
        targeting = data.opt_obj("targeting")
        dependency = data.opt_obj("depends_on")
        return cls(
            key=data.text("key"),
            description=data.opt_text("description") or "",
            type=data.text("type"),
            enabled=data.boolean("enabled"),
            rollout_percentage=data.integer("rollout_percentage"),
            stickiness=data.opt_text("stickiness") or "user_id",
            targeting=FlagTargeting()
            if targeting is None
            else FlagTargeting(
                include=targeting.texts("include"),
                exclude=targeting.texts("exclude"),
                rules=tuple(
                    FlagRule(r.text("attribute"), r.text("operator"), r.texts("values"))
                    for r in targeting.objects("rules", optional=True)
                ),
            ),
            variants=tuple(
                FlagVariant(v.text("name"), v.integer("weight"))
                for v in data.objects("variants", optional=True)
            ),
            depends_on=None
            if dependency is None
            else FlagDependency(
                dependency.text("flag"),
                dependency.texts("variants") if dependency.has("variants") else None,
            ),
            owner=data.text("owner"),
            created_at=data.text("created_at"),
            updated_at=data.text("updated_at"),
            version=data.integer("version"),
            archived=data.boolean("archived"),
            stale=data.opt_text("stale"),
            etag=etag,
        )


@dataclass(frozen=True)
class FlagEvaluation:
    """Whether a flag is on for one context, which variant it gets, and why."""

    enabled: bool
    variant: str | None
    reason: str

    @classmethod
    def from_json(cls, data: Fields) -> FlagEvaluation:
        return cls(data.boolean("enabled"), data.opt_text("variant"), data.text("reason"))
