"""Request bodies of ``/chaos``; FastAPI answers 422 naming the field when one does not fit."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .guards import PAGE_BURN_RATE

# Service and SLO names as Sloth allows them; they go into PromQL label matchers, so no quotes.
SLO_REF = r"^[A-Za-z0-9][-A-Za-z0-9_.]*/[A-Za-z0-9][-A-Za-z0-9_.]*$"


class GuardSpec(BaseModel):
    """What must stay true while a run lasts: an SLO, a PromQL threshold, or both."""

    model_config = ConfigDict(extra="forbid")

    slo: str | None = Field(default=None, pattern=SLO_REF, description='"<service>/<slo name>"')
    expr: str | None = Field(default=None, min_length=1, max_length=4000, description="PromQL")
    threshold: float | None = Field(
        default=None, validate_default=True, description="Breach when expr passes this"
    )
    comparison: Literal[">", "<"] = Field(
        default=">", description="Breach when expr > or < threshold"
    )
    max_burn_rate: float = Field(
        default=PAGE_BURN_RATE,
        gt=0,
        description="Breach when the SLO's current burn rate passes this",
    )

    @field_validator("threshold")
    @classmethod
    def _threshold_with_expr(cls, value: float | None, info: ValidationInfo) -> float | None:
        expr = info.data.get("expr")
        if expr and value is None:
            raise ValueError("a guard expression needs a threshold")
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    def stored(self) -> dict[str, Any]:
        """The guard as a run keeps it: only the settings of the checks it names."""
        kept = self.model_dump(exclude_none=True)
        if not self.slo:
            kept.pop("max_burn_rate")
        if not self.expr:
            kept.pop("comparison")
        return kept

    @model_validator(mode="after")
    def _names_something(self) -> GuardSpec:
        if not self.slo and not self.expr:
            raise ValueError("a guard names an slo, an expr with a threshold, or both")
        return self


class RunRequest(BaseModel):
    """``POST /chaos/runs``."""

    model_config = ConfigDict(extra="forbid")

    fault: str = Field(description="A fault id from GET /chaos/catalog")
    target: str = Field(description="The service to hurt")
    params: dict[str, Any] = Field(default_factory=dict)
    duration_seconds: int = Field(gt=0, description="Mandatory; capped by the safety settings")
    blast_radius_percent: float = Field(
        default=100.0, gt=0, le=100, description="Share of the target's traffic affected"
    )
    guard: GuardSpec | None = None
    dry_run: bool = False


class AbortRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)


class HaltRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class SafetyRequest(BaseModel):
    """``PUT /chaos/safety``: every field, as PUT replaces the settings."""

    model_config = ConfigDict(extra="forbid")

    safety_mode: bool
    max_duration_seconds: int = Field(gt=0, le=7 * 86_400)
    max_blast_radius_percent: float = Field(gt=0, le=100)
    error_budget_floor_percent: float = Field(ge=0, le=100)
    unguarded_without_prometheus: bool
