"""The pages, one a file, in sidebar order.

Each page's module is imported when the page is first built (``page_type``), not with this
package: the window's first paint needs only the keys and titles, and some pages pull in
pyqtgraph, numpy or jsonschema, which take seconds to import on a busy machine.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import Page, PageState, ViewSettings

if TYPE_CHECKING:
    PAGE_TYPES: tuple[type[Page], ...]


@dataclass(frozen=True)
class PageInfo:
    """What the sidebar and the command line need of a page before it is built."""

    key: str
    title: str
    module: str  # in this package
    class_name: str


PAGES: tuple[PageInfo, ...] = (
    PageInfo("overview", "Overview", "overview", "OverviewPage"),
    PageInfo("services", "Services", "services", "ServicesPage"),
    PageInfo("slos", "SLOs", "slos", "SlosPage"),
    PageInfo("alerts", "Alerts", "alerts", "AlertsPage"),
    PageInfo("flags", "Flags", "flags", "FlagsPage"),
    PageInfo("breakers", "Breakers", "breakers", "BreakersPage"),
    PageInfo("chaos", "Chaos", "chaos", "ChaosPage"),
    PageInfo("runbooks", "Runbooks", "runbooks", "RunbooksPage"),
    PageInfo("audit", "Audit", "audit", "AuditPage"),
)
PAGE_KEYS: tuple[str, ...] = tuple(page.key for page in PAGES)


def page_type(key: str) -> type[Page]:
    """The page class for ``key``, its module imported now; ``ValueError`` if there is none."""
    info = PAGES[PAGE_KEYS.index(key)]
    found: type[Page] = getattr(
        importlib.import_module(f".{info.module}", __name__), info.class_name
    )
    return found


def __getattr__(name: str) -> Any:
    # ``PAGE_TYPES`` imports every page: only for whoever asks for all of them (tests).
    if name == "PAGE_TYPES":
        return tuple(page_type(key) for key in PAGE_KEYS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def page_key(name: str) -> str:
    """The page key for ``name`` as typed on the command line (``SLOs``, ``slo``, ``flags``);
    ``ValueError`` listing the pages when there is none."""
    wanted = name.strip().lower()
    for page in PAGES:
        if wanted in (page.key, page.title.lower(), page.key.rstrip("s")):
            return page.key
    raise ValueError(f"There is no page {name!r}; the pages are: {', '.join(PAGE_KEYS)}.")


__all__ = [
    "PAGES",
    "PAGE_KEYS",
    "PAGE_TYPES",
    "Page",
    "PageInfo",
    "PageState",
    "ViewSettings",
    "page_key",
    "page_type",
]
