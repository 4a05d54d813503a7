"""The page every sidebar entry shows: a heading, and one of four states.

*Loading* until the first answer; then *data*, or *empty* ("No data", never a flat zero),
or *error* with a plain sentence and a retry. Once data is on screen a failed refresh does
not hide it: the data stays, marked stale, and the status bar and lights say what failed.

A page polls only while it is shown. Subclasses give three things:

- :meth:`Page.build_content`: the widget that shows data (built once);
- :meth:`Page.make_fetch`: called on the GUI thread, returns the operation that fetches
  (run on a worker; it captures the time range, so it never reads a widget);
- :meth:`Page.present`: shows a result; returns False when it holds nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...runtime.poller import Health, Poller, PollHealth, error_sentence
from ..theme import StatusColours, Theme
from ..widgets.time_range import TimeRange

if TYPE_CHECKING:  # the session pulls in httpx and the API clients: not before the first paint
    from ...core.activity import ClusterEvent
    from ...runtime.event_feed import EventFeed
    from ...runtime.session import Session
    from ...runtime.task_runner import TaskRunner

PLACEHOLDER = (
    "Nothing to show here yet: this build has the page's frame, not its tables and charts."
)


class PageState(enum.Enum):
    LOADING = "loading"
    DATA = "data"
    EMPTY = "empty"
    ERROR = "error"


@dataclass(frozen=True)
class ViewSettings:
    """What the toolbar says every page should show."""

    time_range: TimeRange
    refresh_s: float | None


class _Message(QWidget):
    """The empty and error states: a headline, a sentence, maybe a retry button."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.headline = QLabel(self)
        font = QFont(self.headline.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.headline.setFont(font)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry = QPushButton("Retry", self)
        self.retry.setVisible(False)
        row = QHBoxLayout()
        row.addWidget(self.retry)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 24, 0, 0)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        layout.addLayout(row)
        layout.addStretch(1)


class Page(QWidget):
    """Base of every page.

    Args:
        runner: the task runner all fetches go through.
        theme: for status colours.

    Signals:
        first_data_ready(): the first data (or an empty answer) is on screen; once.
        state_changed(PageState): loading, data, empty or error.
        refreshed(PollHealth): a refresh ended, or the data went stale (status bar).
    """

    key: ClassVar[str] = "page"
    title: ClassVar[str] = "Page"
    description: ClassVar[str] = ""
    empty_detail: ClassVar[str] = "The cluster returned nothing for this time range."

    first_data_ready = Signal()
    state_changed = Signal(object)
    refreshed = Signal(object)

    # Pages that read from the cluster say so; without a connection they ask for a login.
    needs_connection: ClassVar[bool] = False

    # Event kinds (prefixes such as "breaker.") after which a shown page refetches at once.
    live_kinds: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        runner: TaskRunner,
        theme: Theme,
        session: Session | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"page:{self.key}")
        self.runner = runner
        if session is None:
            from ...runtime.session import Session  # imported late: see above

            session = Session(self)
        self.session = session
        self._theme = theme
        self._state = PageState.LOADING
        self._had_data = False
        self._view: ViewSettings | None = None
        self._shown = False
        self._fetches = False
        self._poller = Poller(runner, lambda: None, name=self.key, parent=self)
        self._build()
        self._poller.data.connect(self._on_data)
        self._poller.failed.connect(self._on_error)
        self._poller.health_changed.connect(self._on_health)
        self._message.retry.clicked.connect(self.refresh)
        self.session.connected.connect(self._on_connection_changed)
        self.session.disconnected.connect(self._on_connection_changed)
        theme.changed.connect(self._restyle)
        self._restyle(theme.colours)

    # What subclasses provide ------------------------------------------------------------

    def build_content(self) -> QWidget:
        """The widget that shows data; built once, when the page is."""
        return QWidget(self)

    def make_fetch(self, view: ViewSettings) -> Callable[[], object] | None:
        """The operation fetching this page's data for ``view``; ``None``: nothing to fetch."""
        return None

    def present(self, data: object) -> bool:
        """Show ``data``; return False when it holds nothing to show."""
        return data is not None

    # What the window calls --------------------------------------------------------------

    @property
    def state(self) -> PageState:
        return self._state

    @property
    def poller(self) -> Poller:
        return self._poller

    def activate(self, view: ViewSettings) -> None:
        """The page is shown: fetch for ``view`` now, then keep polling."""
        self._view = view
        self._shown = True
        if self.needs_connection and self.session.connection is None:
            self._poller.stop()
            self._fetches = False
            # Not the page's first data: a screenshot or a test waits on for the real thing.
            self._show(
                PageState.EMPTY,
                "Not connected: log in to a context to see this page.",
                settled=False,
            )
            return
        fetch = self.make_fetch(view)
        self._fetches = fetch is not None
        if fetch is None:
            self._poller.stop()
            self._show(PageState.EMPTY, self.empty_detail)
            return
        if not self._had_data and self._state is not PageState.LOADING:
            self._show(PageState.LOADING)  # not "Not connected" any more: the fetch is on its way
        self._poller.set_fetch(fetch)
        self._poller.set_interval(view.refresh_s if view.time_range.live else None)
        self._poller.start()

    def deactivate(self) -> None:
        """The page is hidden: stop polling (a fetch in flight still lands)."""
        self._shown = False
        self._poller.stop()

    def apply_view(self, view: ViewSettings) -> None:
        """The toolbar changed; a shown page refetches, a hidden one on its next showing."""
        if self._poller.is_active() or self._view is None:
            self.activate(view)
        else:
            self._view = view

    def refresh(self) -> None:
        """Fetch now (F5, the retry button)."""
        if self._fetches:
            if self._state is PageState.ERROR:
                self._show(PageState.LOADING)
            self._poller.refresh_now()

    def follow(self, feed: EventFeed) -> None:
        """Hear of changes from ``feed``: events of :attr:`live_kinds` go to :meth:`on_events`."""
        feed.arrived.connect(self._on_feed)

    def on_events(self, events: list[ClusterEvent]) -> None:
        """Events of :attr:`live_kinds` arrived; a shown page refetches now, not at its next
        poll (a burst of events while a fetch runs adds one fetch, not one each)."""
        if self._shown:
            self.refresh()

    # Internals --------------------------------------------------------------------------

    def _on_feed(self, events: list[ClusterEvent]) -> None:
        mine = [e for e in events if self.live_kinds and e.kind.startswith(self.live_kinds)]
        if mine:
            self.on_events(mine)

    def _on_connection_changed(self, *_: object) -> None:
        """A login or logout: a shown page starts over with the new connection."""
        if self._view is not None and self._shown:
            self.activate(self._view)

    def _build(self) -> None:
        heading = QLabel(self.title, self)
        heading.setObjectName("page-heading")
        font = QFont(heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        heading.setFont(font)
        self._description = QLabel(self.description, self)
        self._description.setWordWrap(True)
        self._stale = QLabel(self)
        self._stale.setVisible(False)
        loading = QWidget(self)
        busy = QProgressBar(loading)
        busy.setRange(0, 0)
        busy.setTextVisible(False)
        busy.setMaximumWidth(240)
        loading_layout = QVBoxLayout(loading)
        loading_layout.setContentsMargins(0, 24, 0, 0)
        loading_layout.addWidget(QLabel("Loading…", loading))
        loading_layout.addWidget(busy)
        loading_layout.addStretch(1)
        self._message = _Message(self)
        self._content = self.build_content()
        self._body = QStackedWidget(self)
        for widget in (loading, self._content, self._message):
            self._body.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(6)
        layout.addWidget(heading)
        layout.addWidget(self._description)
        layout.addWidget(self._stale)
        layout.addWidget(self._body, 1)

    def _show(self, state: PageState, detail: str = "", *, settled: bool = True) -> None:
        if state is PageState.LOADING:
            self._body.setCurrentIndex(0)
        elif state is PageState.DATA:
            self._body.setCurrentWidget(self._content)
        else:
            error = state is PageState.ERROR
            self._message.headline.setText("Could not load this page" if error else "No data")
            self._message.detail.setText(detail)
            self._message.retry.setVisible(error)
            self._body.setCurrentWidget(self._message)
        changed = state is not self._state
        self._state = state
        self._restyle(self._theme.colours)
        if settled and state in (PageState.DATA, PageState.EMPTY) and not self._had_data:
            self._had_data = True
            self.first_data_ready.emit()
        if changed:
            self.state_changed.emit(state)

    def _on_data(self, data: object) -> None:
        self._show(PageState.DATA if self.present(data) else PageState.EMPTY, self.empty_detail)

    def _on_error(self, error: BaseException) -> None:
        if self._state in (PageState.LOADING, PageState.ERROR):
            self._show(PageState.ERROR, error_sentence(error))

    def _on_health(self, health: PollHealth) -> None:
        stale = health.health in (Health.STALE, Health.FAILING) and self._state is PageState.DATA
        if stale and health.last_success is not None:
            reason = f": {health.error}" if health.error else ""
            self._stale.setText(f"Stale since {health.last_success:%H:%M:%S}{reason}")
        self._stale.setVisible(stale)
        self._content.setEnabled(not stale)  # greyed, so old numbers do not pass for new
        self.refreshed.emit(health)

    def _restyle(self, colours: StatusColours) -> None:
        self._description.setStyleSheet(f"color: {colours.muted_text};")
        self._stale.setStyleSheet(f"color: {colours.warning}; font-weight: 600;")
        error = self._state is PageState.ERROR
        self._message.detail.setStyleSheet(f"color: {colours.danger};" if error else "")
