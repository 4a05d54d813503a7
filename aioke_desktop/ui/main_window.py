"""The main window: it lays out the toolbar, sidebar, pages and status bar, and wires them.

It decides nothing: which page polls is the :class:`Navigator`'s business, what a light
shows is the light's, whether the TLS banner shows is the banner's. Everything it is given
(pages, runner, theme, contexts) comes from :mod:`aioke_desktop.app`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.contexts import Context
from ..runtime.poller import Poller
from ..runtime.task_runner import is_alive
from .command_palette import Command, CommandPalette
from .dialogs.about import AboutDialog
from .navigation import Navigator, PageSlot
from .pages.base import PageState
from .theme import StatusColours, Theme
from .widgets.banner import Banner, BannerKind, TlsBanner
from .widgets.connection_light import ConnectionLight
from .widgets.context_switcher import ContextSwitcher
from .widgets.refresh_picker import INTERVALS, RefreshIntervalPicker
from .widgets.refresh_status import RefreshStatus
from .widgets.session_label import SessionLabel
from .widgets.sidebar import Sidebar
from .widgets.time_range import PRESETS, TimeRange, TimeRangePicker

if TYPE_CHECKING:  # the pages are imported as they are built, after the first paint
    from .pages.base import Page, ViewSettings

ENDPOINTS = ("Control plane", "Prometheus", "Alertmanager")
IDLE_FALLBACK_MS = 8000


def _loading(title: str, parent: QWidget) -> QLabel:
    """Where a page not built yet will be: shown for the moment it takes to build."""
    label = QLabel(f"Loading {title}…", parent)
    label.setObjectName("page-loading")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


class MainWindow(QMainWindow):
    """The one window.

    Args:
        pages: in sidebar order; Ctrl+1..9 show the first nine. A :class:`PageSlot` is built
            when first shown (or earlier, by ``navigator.build_next`` on an idle turn).
        theme: the app's theme (status colours follow it).
        view: the time range and refresh interval to start with.
        contexts: the contexts of the settings file, for the switcher.
        active_context: the context shown, if any.

    Signals:
        context_chosen(str): the user picked another context.
        all_pages_built(): the last page not built yet was built on an idle turn.
    """

    context_chosen = Signal(str)
    all_pages_built = Signal()

    def __init__(
        self,
        *,
        pages: Sequence[Page | PageSlot],
        theme: Theme,
        view: ViewSettings,
        contexts: Sequence[Context] = (),
        active_context: Context | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("main-window")
        self.setWindowTitle("Aioke")
        self.setMinimumSize(QSize(720, 480))  # half a 1440p screen, tiled
        self.resize(1280, 800)
        self._theme = theme
        self._watched: dict[str, Poller] = {}
        self.navigator = Navigator(pages, view, self)

        self.contexts = ContextSwitcher(self)
        self.time_range = TimeRangePicker(self)
        self.time_range.set_range(view.time_range)
        self.refresh_interval = RefreshIntervalPicker(self)
        self.refresh_interval.set_interval(view.refresh_s)
        self.lights = {name: ConnectionLight(name, theme.colours, self) for name in ENDPOINTS}
        self.session = SessionLabel(self)
        self.login_action = QAction("Log in", self, shortcut=QKeySequence("Ctrl+L"))
        self.login_action.setToolTip("Log in to the context shown, or log out")
        self.contexts_action = QAction("Contexts…", self)
        self.contexts_action.setToolTip("Add, edit or remove clusters")
        self.read_only = QToolButton(self)
        self.read_only.setObjectName("read-only")
        self.read_only.setText("Read-only")
        self.read_only.setCheckable(True)
        self.read_only.setToolTip("While on, every change to the cluster is refused")
        self._style_read_only(theme.colours)
        self.banner = TlsBanner(theme.colours, self)
        self.notice = Banner(theme.colours, self)
        self.alert_banner = Banner(theme.colours, self)  # notifications when there is no tray
        self.sidebar = Sidebar(self.navigator.titles, self)
        self.stack = QStackedWidget(self)
        for entry in pages:
            self.stack.addWidget(
                _loading(entry.title, self) if isinstance(entry, PageSlot) else entry
            )
        self.refresh_status = RefreshStatus(self)
        self.command_palette = CommandPalette(self, anchor=self.stack)

        self.refresh_action = QAction("Refresh now", self, shortcut=QKeySequence("F5"))
        self.palette_action = QAction("Command palette", self, shortcut=QKeySequence("Ctrl+K"))
        self.quit_action = QAction("Quit", self, shortcut=QKeySequence("Ctrl+Q"))
        self.about_action = QAction("About Aioke", self)
        self.page_actions = [
            QAction(f"Go to {page.title}", self, shortcut=QKeySequence(f"Ctrl+{number}"))
            for number, page in enumerate(pages[:9], start=1)
        ]
        self.addActions(
            [self.refresh_action, self.palette_action, self.quit_action, *self.page_actions]
        )
        self.addAction(self.login_action)

        # Pages not built yet are built one an event-loop turn (build_pages_when_idle).
        self._idle_builds = QTimer(self)
        self._idle_builds.timeout.connect(self._build_one)

        self._lay_out()
        self._connect_signals()
        self.show_contexts(contexts, active_context)

    def _lay_out(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setStyleSheet("QToolBar { spacing: 6px; padding: 6px 12px 6px 8px; }")
        toolbar.addWidget(self.contexts)
        toolbar.addAction(self.contexts_action)
        for widget in (self.time_range, self.refresh_interval):
            toolbar.addWidget(widget)
        spacer = QWidget(toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        # In a box of their own: a QToolButton directly in a toolbar takes the toolbar's
        # icon size, and the dots would grow to 24 px.
        lights = QWidget(toolbar)
        lights_row = QHBoxLayout(lights)
        lights_row.setContentsMargins(0, 0, 0, 0)
        lights_row.setSpacing(4)
        for light in self.lights.values():
            light.setParent(lights)
            lights_row.addWidget(light)
        toolbar.addWidget(lights)
        toolbar.addSeparator()
        toolbar.addWidget(self.session)
        toolbar.addAction(self.login_action)
        toolbar.addWidget(self.read_only)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)

        body = QWidget(self)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        # Under the sidebar, visible on every page: the emergency stop (add_emergency_stop).
        self._side = QVBoxLayout()
        self._side.setContentsMargins(0, 0, 0, 0)
        self._side.addWidget(self.sidebar, 1)
        row.addLayout(self._side)
        row.addWidget(self.stack, 1)
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.notice)
        column.addWidget(self.alert_banner)
        column.addLayout(row, 1)
        self.setCentralWidget(body)
        self.statusBar().addWidget(self.refresh_status, 1)
        self.menuBar().addMenu("&Help").addAction(self.about_action)

    def _connect_signals(self) -> None:
        nav = self.navigator
        self.sidebar.page_chosen.connect(self._sidebar_chose)
        nav.page_built.connect(self._put_page)
        nav.page_changed.connect(self.stack.setCurrentIndex)
        nav.page_changed.connect(self.sidebar.select)
        nav.refreshed.connect(self.refresh_status.show_refresh)
        for index, action in enumerate(self.page_actions):
            action.triggered.connect(partial(nav.go_to, index))
        self.refresh_action.triggered.connect(nav.refresh_current)
        self.palette_action.triggered.connect(self.command_palette.open_palette)
        self.quit_action.triggered.connect(self.close)
        self.about_action.triggered.connect(self.show_about)
        self.time_range.range_changed.connect(nav.set_time_range)
        self.refresh_interval.interval_changed.connect(nav.set_refresh_interval)
        self.contexts.context_chosen.connect(self.context_chosen)
        for light in self.lights.values():
            self._theme.changed.connect(light.set_colours)
        self._theme.changed.connect(self.banner.set_colours)
        self._theme.changed.connect(self.notice.set_colours)
        self._theme.changed.connect(self._style_read_only)
        self.command_palette.register(self._commands())

    def _sidebar_chose(self, index: int) -> None:
        # The list selects its first row when it first gets focus, which can be before
        # startup has what the pages need: startup shows the first page itself.
        if self.navigator.showing:
            self.navigator.go_to(index)

    def _put_page(self, index: int, page: Page) -> None:
        """A page was built: it takes its loading label's place in the stack."""
        loading = self.stack.widget(index)
        shown = self.stack.currentIndex() == index
        self.stack.insertWidget(index, page)
        if loading is not None:
            self.stack.removeWidget(loading)
            loading.deleteLater()
        if shown:
            self.stack.setCurrentIndex(index)

    def build_pages_when_idle(self, after: Page | None = None) -> None:
        """Build the pages not built yet, one an event-loop turn, starting once ``after``
        (the page shown at startup) has its first data or error, so as not to delay it, or
        after IDLE_FALLBACK_MS if it has neither by then (nobody logged in)."""
        if after is None or after.state in (PageState.DATA, PageState.ERROR):
            self._idle_builds.start(0)
            return
        self._idle_builds.start(IDLE_FALLBACK_MS)
        after.first_data_ready.connect(self._page_settled)
        after.state_changed.connect(self._page_settled)

    def _page_settled(self, state: PageState = PageState.DATA) -> None:
        # First data, or an error; not "Not connected", which only waits for a login.
        settled = state in (PageState.DATA, PageState.ERROR)
        if settled and self._idle_builds.isActive() and self._idle_builds.interval() != 0:
            self._idle_builds.start(0)

    def _build_one(self) -> None:
        # Stopped while building: a page that fails to build must not be retried every turn.
        self._idle_builds.stop()
        if self.navigator.build_next():
            self._idle_builds.start(0)
        else:
            self.all_pages_built.emit()

    def stop_building(self) -> None:
        self._idle_builds.stop()

    def _commands(self) -> list[Command]:
        commands = [
            Command(action.text(), action.trigger, "Pages", action.shortcut().toString())
            for action in self.page_actions
        ]
        commands += [
            Command("Refresh now", self.refresh_action.trigger, "Actions", "F5", "reload"),
            Command("Custom time range…", self.time_range.open_custom, "Time range"),
            Command("About Aioke", self.about_action.trigger, "Help", keywords="version"),
            Command("Log in or out", self.login_action.trigger, "Actions", "Ctrl+L", "logout"),
            Command("Edit contexts…", self.contexts_action.trigger, "Contexts", keywords="add"),
            Command("Read-only on or off", self.read_only.click, "Actions", keywords="safe"),
        ]
        commands += [
            Command(f"Time range: {text}", partial(self._choose_range, key), "Time range")
            for key, text in PRESETS
        ]
        commands += [
            Command(
                f"Refresh interval: {text}",
                partial(self._choose_interval, seconds),
                "Refresh interval",
            )
            for seconds, text in INTERVALS
        ]
        commands.append(
            Command(
                "Quit",
                self.close,
                "Actions",
                self.quit_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText),
            )
        )
        return commands

    def _choose_range(self, key: str) -> None:
        self.time_range.set_range(TimeRange.last(key))
        self.navigator.set_time_range(TimeRange.last(key))

    def _choose_interval(self, seconds: int) -> None:
        self.refresh_interval.choose(seconds or None)

    def show_contexts(self, contexts: Sequence[Context], active: Context | None) -> None:
        """Fill the switcher, title and TLS banner for the ``active`` context."""
        self.contexts.set_contexts(contexts, active.name if active else None)
        self.banner.show_context(active)
        self.setWindowTitle(f"{active.name} — Aioke" if active else "Aioke")
        self.command_palette.replace_group(
            "Contexts",
            [
                Command(
                    f"Switch to context {c.name}",
                    partial(self.context_chosen.emit, c.name),
                    "Contexts",
                    keywords="cluster",
                )
                for c in contexts
            ],
        )

    def watch_endpoints(self, pollers: Mapping[str, Poller | None]) -> None:
        """Connect each endpoint's light to its poller (a session started or ended)."""
        for name, poller in pollers.items():
            light = self.lights[name]
            old = self._watched.pop(name, None)
            if old is not None and is_alive(old):
                old.health_changed.disconnect(light.show_health)
                light.retry_requested.disconnect(old.refresh_now)
            light.show_health(None if poller is None else poller.health)
            if poller is not None:
                self._watched[name] = poller
                poller.health_changed.connect(light.show_health)
                light.retry_requested.connect(poller.refresh_now)

    def _style_read_only(self, colours: StatusColours) -> None:
        # While on it must not be missed: amber, as the warning banner is.
        self.read_only.setStyleSheet(
            f"QToolButton#read-only:checked {{ background: {colours.banner_warning_bg};"
            f" color: {colours.banner_text}; font-weight: 600; border-radius: 3px; }}"
        )

    def show_login_state(self, logged_in: bool, ended: bool = False) -> None:
        """The login action says what it will do: log in, log out, or log in again."""
        self.login_action.setText("Log in again" if ended else "Log out" if logged_in else "Log in")

    def show_about(self) -> None:
        """Help → About: the version, as ``--version`` prints it."""
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def show_notice(self, text: str) -> None:
        """An amber banner under the TLS one: something the user must know but can live with
        (the settings file could not be read, so defaults are in use)."""
        self.notice.show_message(text, BannerKind.WARNING)

    def add_emergency_stop(self, control: QWidget) -> None:
        """A control every page shows under the sidebar (HALT ALL CHAOS): there, not in the
        toolbar, a narrow window never folds it away into the toolbar's overflow menu."""
        control.setFixedWidth(self.sidebar.width() - 16)
        self._side.addWidget(control, 0, Qt.AlignmentFlag.AlignHCenter)
        self._side.addSpacing(10)

    def show_page(self, key: str) -> None:
        """Show the page with this key (``--page``, the last page of the previous run)."""
        self.navigator.go_to_key(key)

    def current_page(self) -> Page:
        return self.navigator.current

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.stop_building()
        self.navigator.stop()
        self.command_palette.hide()
        super().closeEvent(event)
