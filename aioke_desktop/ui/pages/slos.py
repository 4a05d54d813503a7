"""The SLOs page: error budgets and burn rates (until they arrive, its heading and state)."""

from __future__ import annotations

from .base import PLACEHOLDER, Page


class SlosPage(Page):
    key = "slos"
    title = "SLOs"
    description = "Each SLO's error budget left and how fast it burns, over 5 minutes to 3 days."
    empty_detail = PLACEHOLDER
