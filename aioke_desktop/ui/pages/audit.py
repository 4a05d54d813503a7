"""The Audit page: the audit log (until it arrives, its heading and state)."""

from __future__ import annotations

from .base import PLACEHOLDER, Page


class AuditPage(Page):
    key = "audit"
    title = "Audit"
    description = "Who changed what, when, from what to what; and a check that the log is intact."
    empty_detail = PLACEHOLDER
