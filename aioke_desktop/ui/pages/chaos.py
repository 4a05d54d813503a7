"""The Chaos page: chaos experiments (until they arrive, its heading and state)."""

from __future__ import annotations

from .base import PLACEHOLDER, Page


class ChaosPage(Page):
    key = "chaos"
    title = "Chaos"
    description = (
        "Chaos experiments: the fault catalog, running runs with their guards, and HALT ALL."
    )
    empty_detail = PLACEHOLDER
