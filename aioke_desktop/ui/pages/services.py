"""The Services page: the service map (until it arrives, its heading and state)."""

from __future__ import annotations

from .base import PLACEHOLDER, Page


class ServicesPage(Page):
    key = "services"
    title = "Services"
    description = (
        "The service map: who calls whom, at what rate and error ratio, and each breaker's state."
    )
    empty_detail = PLACEHOLDER
