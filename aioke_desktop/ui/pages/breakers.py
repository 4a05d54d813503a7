"""The Breakers page: circuit breakers (until they arrive, its heading and state)."""

from __future__ import annotations

from .base import PLACEHOLDER, Page


class BreakersPage(Page):
    key = "breakers"
    title = "Breakers"
    description = (
        "Circuit breakers between services: their state, failure rates, and forced overrides."
    )
    empty_detail = PLACEHOLDER
