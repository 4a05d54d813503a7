"""The pages, one a file, in sidebar order."""

from __future__ import annotations

from .alerts import AlertsPage
from .audit import AuditPage
from .base import Page, PageState, ViewSettings
from .breakers import BreakersPage
from .chaos import ChaosPage
from .flags import FlagsPage
from .overview import OverviewPage
from .runbooks import RunbooksPage
from .services import ServicesPage
from .slos import SlosPage

PAGE_TYPES: tuple[type[Page], ...] = (
    OverviewPage,
    ServicesPage,
    SlosPage,
    AlertsPage,
    FlagsPage,
    BreakersPage,
    ChaosPage,
    RunbooksPage,
    AuditPage,
)
PAGE_KEYS: tuple[str, ...] = tuple(page.key for page in PAGE_TYPES)


def page_key(name: str) -> str:
    """The page key for ``name`` as typed on the command line (``SLOs``, ``slo``, ``flags``);
    ``ValueError`` listing the pages when there is none."""
    wanted = name.strip().lower()
    for page in PAGE_TYPES:
        if wanted in (page.key, page.title.lower(), page.key.rstrip("s")):
            return page.key
    raise ValueError(f"There is no page {name!r}; the pages are: {', '.join(PAGE_KEYS)}.")


__all__ = ["PAGE_KEYS", "PAGE_TYPES", "Page", "PageState", "ViewSettings", "page_key"]
