"""Which page is shown, and what the toolbar asks the pages to show.

Only the shown page polls; a page shown again refetches with the current time range and
interval. The window wires the sidebar, the shortcuts and the toolbar to this object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from ..runtime.poller import PollHealth
from .pages.base import Page, ViewSettings
from .widgets.time_range import TimeRange


class Navigator(QObject):
    """Holds the pages in sidebar order and activates one at a time.

    Signals:
        page_changed(int): another page is shown.
        refreshed(PollHealth): the shown page refreshed (or went stale): the status bar.
    """

    page_changed = Signal(int)
    refreshed = Signal(object)

    def __init__(
        self, pages: Sequence[Page], view: ViewSettings, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        if not pages:
            raise ValueError("the window needs at least one page")
        self.pages = tuple(pages)
        self._view = view
        self._index: int | None = None
        for page in self.pages:
            page.refreshed.connect(self._page_refreshed)

    @property
    def view(self) -> ViewSettings:
        return self._view

    @property
    def index(self) -> int:
        return self._index or 0

    @property
    def current(self) -> Page:
        return self.pages[self.index]

    def keys(self) -> list[str]:
        return [page.key for page in self.pages]

    def go_to(self, index: int) -> None:
        """Show the page at ``index`` (ignored when out of range)."""
        if not 0 <= index < len(self.pages) or index == self._index:
            return
        if self._index is not None:
            self.pages[self._index].deactivate()
        self._index = index
        self.pages[index].activate(self._view)
        self.page_changed.emit(index)
        self.refreshed.emit(self.pages[index].poller.health)

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
        if self.sender() is self.current:
            self.refreshed.emit(health)
