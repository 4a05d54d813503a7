"""The Flags page: feature flags (until they arrive, its heading and state)."""

from __future__ import annotations

from .base import PLACEHOLDER, Page


class FlagsPage(Page):
    key = "flags"
    title = "Flags"
    description = (
        "Feature flags: who gets which variant, rollouts gated by burn rate, and each "
        "flag's history."
    )
    empty_detail = PLACEHOLDER
