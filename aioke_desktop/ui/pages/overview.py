"""The Overview page: golden signals per service (until the charts come, its frame)."""

from __future__ import annotations

from .base import PLACEHOLDER, Page


class OverviewPage(Page):
    key = "overview"
    title = "Overview"
    description = (
        "Every service at a glance: traffic, errors, latency and saturation, with what "
        "changed just before."
    )
    empty_detail = PLACEHOLDER
