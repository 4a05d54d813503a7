"""Which page is shown, and what the toolbar asks the pages to show.

Only the shown page polls; a page shown again refetches with the current time range and
interval. The window wires the sidebar, the shortcuts and the toolbar to this object.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..runtime.poller import PollHealth

if TYPE_CHECKING:  # annotations only: the window paints before any page is imported
    from .pages.base import Page, ViewSettings
    from .widgets.time_range import TimeRange


@dataclass(frozen=True)
class PageSlot:
    """A page not built yet: the sidebar shows its title; ``build`` makes it on first use."""

    key: str
    title: str
    build: Callable[[], Page]


class Navigator(QObject):
    """Holds the pages in sidebar order and activates one at a time.

    Signals:
        page_changed(int): another page is shown.
        refreshed(PollHealth): the shown page refreshed (or went stale): the status bar.
    """

    page_changed = Signal(int)
    refreshed = Signal(object)
    page_built = Signal(int, object)  # index, Page: a slot became its page

    def __init__(
        self, pages: Sequence[Page | PageSlot], view: ViewSettings, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        if not pages:
            raise ValueError("the window needs at least one page")
        self._entries: list[Page | PageSlot] = list(pages)
        self._view = view
        self._index: int | None = None
        for entry in self._entries:
            if not isinstance(entry, PageSlot):
                entry.refreshed.connect(self._page_refreshed)

    @property
    def pages(self) -> tuple[Page, ...]:
        """The pages built so far, in sidebar order."""
        return tuple(e for e in self._entries if not isinstance(e, PageSlot))

    @property
    def titles(self) -> list[str]:
        return [entry.title for entry in self._entries]

    def page(self, index: int) -> Page:
        """The page at ``index``, built now if it was not yet."""
        entry = self._entries[index]
        if not isinstance(entry, PageSlot):
            return entry
        page = entry.build()
        self._entries[index] = page
        page.refreshed.connect(self._page_refreshed)
        self.page_built.emit(index, page)
        return page

    def build_next(self) -> bool:
        """Build the first page not built yet (an idle turn's work); False when none is left."""
        for index, entry in enumerate(self._entries):
            if isinstance(entry, PageSlot):
                self.page(index)
                return True
        return False

    @property
    def view(self) -> ViewSettings:
        return self._view

    @property
    def index(self) -> int:
        return self._index or 0

    @property
    def showing(self) -> bool:
        """Whether a page was shown yet (startup shows the first, once it can build it)."""
        return self._index is not None

    @property
    def current(self) -> Page:
        return self.page(self.index)

    def keys(self) -> list[str]:
        return [entry.key for entry in self._entries]

    def go_to(self, index: int) -> None:
        """Show the page at ``index`` (ignored when out of range)."""
        if not 0 <= index < len(self._entries) or index == self._index:
            return
        if self._index is not None:
            self.page(self._index).deactivate()
        page = self.page(index)
        self._index = index
        page.activate(self._view)
        self.page_changed.emit(index)
        self.refreshed.emit(page.poller.health)

    def go_to_key(self, key: str) -> None:
        """Show the page with this key; ``ValueError`` if there is none."""
        self.go_to(self.keys().index(key))

    def set_time_range(self, time_range: TimeRange) -> None:
        self._apply(replace(self._view, time_range=time_range))

    def set_refresh_interval(self, seconds: float | None) -> None:
        self._apply(replace(self._view, refresh_s=seconds))

    def refresh_current(self) -> None:
        if self._index is not None:
            self.current.refresh()

    def stop(self) -> None:
        """Stop every page's polling (the window is closing)."""
        for page in self.pages:
            page.deactivate()

    def _apply(self, view: ViewSettings) -> None:
        if view == self._view:
            return
        self._view = view
        if self._index is not None:
            self.current.apply_view(view)

    def _page_refreshed(self, health: PollHealth) -> None:
        if self._index is not None and self.sender() is self._entries[self._index]:
            self.refreshed.emit(health)
