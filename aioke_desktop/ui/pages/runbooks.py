"""The Runbooks page: runbooks (until they arrive, its heading and state)."""

from __future__ import annotations

from .base import PLACEHOLDER, Page


class RunbooksPage(Page):
    key = "runbooks"
    title = "Runbooks"
    description = "Runbooks to run with checked parameters, their live steps and their history."
    empty_detail = PLACEHOLDER
