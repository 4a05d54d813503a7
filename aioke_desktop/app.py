"""The one startup function: it builds everything, in a logged order, and tears it down.

qutebrowser's ``app.py::_init_modules`` is the model: each step is logged before it runs,
so a crash at startup names its step, and every dependency is passed to whoever needs it
(there is no global registry to fetch the window or the runner from).

Order: QApplication → theme → settings → main window (painted at once, its pages not built
yet) → task runner and session → the page shown → controls and tray; the other pages are
built one an idle turn afterwards, or when first shown. Quitting runs it backwards: pages
stop polling, the runner finishes or drops its work, settings are saved.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from . import __version__
from .config import AppConfig, ConfigError, ConfigStore, config_dir
from .core.contexts import Context
from .screenshot import EXIT_NOT_LOADED, capture
from .ui.main_window import MainWindow
from .ui.navigation import PageSlot
from .ui.pages import PAGE_KEYS, PAGES, ViewSettings, page_type
from .ui.startup_trace import install_startup_trace
from .ui.theme import Theme
from .ui.widgets.time_range import TimeRange
from .ui.window_state import WindowState, load_window_state, save_window_state

# Only what the first paint needs is imported above; the session (httpx, the API clients),
# the pages (pyqtgraph, numpy, jsonschema), the tray and the demo's sandbox code are
# imported by ``finish`` once the window has painted.
if TYPE_CHECKING:
    from .runtime.event_feed import EventFeed
    from .runtime.session import Session
    from .runtime.task_runner import TaskRunner
    from .ui.alerting import Alerting
    from .ui.demo_mode import DemoMode
    from .ui.pages.base import Page
    from .ui.session_controls import SessionControls

log = logging.getLogger(__name__)

APP_NAME = "aioke-desktop"
ORGANISATION = "Aioke"
DESKTOP_FILE = "org.aioke.Desktop"


class StartupError(Exception):
    """Startup cannot go on; the message says why in one sentence (exit status 2)."""


@dataclass(frozen=True)
class Options:
    """What the command line asked for (see ``__main__``)."""

    demo: bool = False
    context: str | None = None
    page: str | None = None
    screenshot: Path | None = None
    size: tuple[int, int] | None = None
    config_dir: Path | None = None  # default: config.paths.config_dir()


@dataclass
class Shell:
    """Everything startup built, kept together so that shutdown can undo it in order."""

    app: QApplication
    theme: Theme
    store: ConfigStore
    config: AppConfig
    config_readable: bool
    state_dir: Path
    runner: TaskRunner
    session: Session
    window: MainWindow
    active: Context | None = None
    saved: bool = field(default=False)
    controls: SessionControls | None = None
    alerting: Alerting | None = None  # the tray and notifications (not in a screenshot run)
    demo: DemoMode | None = None
    demo_context: Context | None = None
    events: EventFeed | None = None  # the change feed every page follows
    options_page: str | None = None  # --page

    def show_demo_context(self, context: Context) -> None:
        """The sandbox runs: offer its context beside the saved ones and make it active."""
        self.demo_context = self.active = context
        self.window.show_contexts([*self.config.contexts, context], context)

    def switch_context(self, name: str) -> None:
        """Show another context, and log in to it."""
        demo = self.demo_context
        self.active = demo if demo is not None and demo.name == name else self.config.context(name)
        log.info("context: %s", name)
        self.window.show_contexts(self.config.contexts, self.active)
        if self.controls is not None:
            self.controls.log_in_to(self.active)

    def apply_config(self, config: AppConfig) -> None:
        """The context editor saved: show the contexts; log in again if the active one now
        points elsewhere, or to the first context of a fresh install."""
        before, self.config = self.active, config
        current = {c.name: c for c in config.contexts}
        active = current.get(before.name) if before else None
        if before is None and len(config.contexts) == 1:
            active = config.contexts[0]
        self.active = active
        self.window.show_contexts(config.contexts, active)
        if self.controls is not None and active != before:
            self.controls.context_changed(before, active)

    def shutdown(self, save: bool = True) -> None:
        """Stop polling, finish or drop running work, then save settings and geometry."""
        log.info("shutdown: pages")
        self.window.stop_building()
        self.window.navigator.stop()
        if self.controls is not None:
            self.controls.stop()
        if self.alerting is not None:
            self.alerting.shutdown()
        log.info("shutdown: task runner")
        self.runner.shutdown(timeout_s=5.0)
        if self.alerting is not None:
            self.alerting.flush()
        self.session.detach()
        if self.demo is not None:
            log.info("shutdown: sandbox")
            self.demo.stop()
        if save and not self.saved:
            log.info("shutdown: settings")
            self._save()
        self.saved = True

    def _save(self) -> None:
        view = self.window.navigator.view
        settings = replace(
            self.config.settings,
            # The demo's sandbox is gone after quitting: keep the saved choice instead.
            active_context=self.config.settings.active_context
            if self.active is None or self.active is self.demo_context
            else self.active.name,
            last_page=self.window.current_page().key,
            refresh_interval_seconds=int(view.refresh_s or 0),
            time_range=view.time_range.key
            if view.time_range.live
            else self.config.settings.time_range,
        )
        # A file we could not read is left alone: overwriting it would lose the user's contexts.
        if self.config_readable and settings != self.config.settings:
            try:
                self.store.save(replace(self.config, settings=settings))
            except (OSError, ConfigError) as exc:
                log.warning("settings not saved: %s", exc)
        save_window_state(
            self.state_dir, WindowState(geometry=bytes(self.window.saveGeometry().data()))
        )


# How long a worker may keep the GIL while the GUI thread waits (CPython's default: 5 ms).
# Workers parse answers while charts repaint; at 5 ms a turn the event loop falls a frame
# behind whenever one does.
SWITCH_INTERVAL_SECONDS = 0.0005


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, with the names the desktop and QSettings-based parts of Qt use."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("Aioke")
    app.setOrganizationName(ORGANISATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_FILE)
    return app


def _initial_view(config: AppConfig) -> ViewSettings:
    try:
        time_range = TimeRange.last(config.settings.time_range)
    except ValueError:
        time_range = TimeRange.last("1h")
    return ViewSettings(time_range, config.settings.refresh_interval_seconds or None)


def _choose_context(config: AppConfig, wanted: str | None) -> Context | None:
    if wanted is not None:
        try:
            return config.context(wanted)
        except ConfigError:
            names = ", ".join(c.name for c in config.contexts) or "none yet"
            raise StartupError(f"There is no context {wanted!r} (contexts: {names}).") from None
    active = config.settings.active_context
    if active is not None:
        for context in config.contexts:
            if context.name == active:
                return context
    return config.contexts[0] if config.contexts else None


@dataclass
class Started:
    """What the first paint needs (``start``); ``finish`` builds the rest on it."""

    app: QApplication
    options: Options
    theme: Theme
    store: ConfigStore
    config: AppConfig
    problem: str | None
    state_dir: Path
    active: Context | None
    window: MainWindow
    make_page: PageMaker


def start(app: QApplication, options: Options) -> Started:
    """The theme, the settings and the window with its pages not built: cheap, no network."""
    log.info("startup 1/5: theme")
    theme = Theme(app)

    state_dir = options.config_dir or config_dir()
    log.info("startup 2/5: settings from %s", state_dir)
    store = ConfigStore(state_dir / "config.toml")
    problem = None
    try:
        config = store.load()
    except ConfigError as exc:
        config, problem = AppConfig(), str(exc)
        log.error("settings: %s", problem)
    # The demo's context exists once its sandbox runs (DemoMode adds it; it is never saved).
    active = None if options.demo else _choose_context(config, options.context)

    log.info("startup 3/5: main window")
    make_page = PageMaker(theme)
    slots = [PageSlot(info.key, info.title, partial(make_page, info.key)) for info in PAGES]
    window = MainWindow(
        pages=slots,
        theme=theme,
        view=_initial_view(config),
        contexts=config.contexts,
        active_context=active,
    )
    install_startup_trace(window)  # only with AIOKE_STARTUP_TRACE (bench/, B6)
    if problem is not None:
        window.show_notice(f"{problem} Defaults are in use; the file is left as it is.")
    geometry = load_window_state(state_dir).geometry
    if geometry and options.size is None:
        window.restoreGeometry(geometry)
    if options.size is not None:
        window.resize(*options.size)
    return Started(
        app, options, theme, store, config, problem, state_dir, active, window, make_page
    )


@dataclass
class PageMaker:
    """Builds a page when its slot is first needed, from what ``finish`` made."""

    theme: Theme
    runner: TaskRunner | None = None
    session: Session | None = None
    configure: Callable[[Page], None] | None = None  # follow the feed, settings, links

    def __call__(self, key: str) -> Page:
        if self.runner is None or self.session is None:
            raise RuntimeError(f"the {key} page was asked for before startup finished")
        log.info("page: %s", key)
        page = page_type(key)(self.runner, self.theme, self.session)
        if self.configure is not None:
            self.configure(page)
        return page


def finish(started: Started) -> Shell:
    """The runner, session, change feed, login controls and HALT: no page built yet."""
    # Imported here, after the first paint: together they take seconds on a busy machine.
    from .runtime.event_feed import EventFeed
    from .runtime.session import Session
    from .runtime.task_runner import TaskRunner
    from .ui.change_links import open_change
    from .ui.halt_chaos import HaltAllChaos
    from .ui.session_controls import SessionControls

    app, options, theme, config = started.app, started.options, started.theme, started.config
    window, store, state_dir = started.window, started.store, started.state_dir
    log.info("startup 4/5: task runner and session")
    runner = TaskRunner()
    session = Session()
    # One change feed for every page: tables and charts hear of changes as they happen.
    events = EventFeed(runner, session, session)

    def configure(page: Page) -> None:
        page.follow(events)
        # The low-traffic guard of the SLO numbers, as the settings say.
        set_min = getattr(page, "set_min_requests_per_hour", None)
        if page.key in ("slos", "services", "overview") and set_min is not None:
            set_min(config.settings.min_requests_per_hour)
        change_chosen = getattr(page, "change_chosen", None)
        if page.key in ("overview", "slos") and change_chosen is not None:
            # A click on a change marked on a chart opens what changed, on its page.
            change_chosen.connect(lambda change: open_change(window, change))

    started.make_page.runner, started.make_page.session = runner, session
    started.make_page.configure = configure

    shell = Shell(
        app,
        theme,
        store,
        config,
        started.problem is None,
        state_dir,
        runner,
        session,
        window,
        started.active,
    )
    shell.options_page = options.page
    window.context_chosen.connect(shell.switch_context)
    window.add_emergency_stop(HaltAllChaos(runner, session, theme, window, events).button)
    shell.controls = SessionControls(
        window=window,
        runner=runner,
        session=session,
        theme=theme,
        store=store,
        config=lambda: shell.config,
        active=lambda: shell.active,
    )
    shell.controls.config_changed.connect(shell.apply_config)
    shell.controls.endpoints.follow(events)  # a dead server turns its light red at once
    shell.events = events
    return shell


def show_first_page(shell: Shell) -> None:
    """Build and show the page the user lands on: ``--page``, else the last one."""
    log.info("startup 5/5: the page shown")
    last_page = shell.config.settings.last_page
    page = shell.options_page or (last_page if last_page in PAGE_KEYS else PAGE_KEYS[0])
    shell.window.show_page(page)


def install_tray(shell: Shell) -> None:
    """The tray and notifications; they share the Alerts page's monitor, built now if not yet."""
    from .ui.alerting import install_alerting  # imported late: not needed for the first paint

    shell.window.navigator.page(PAGE_KEYS.index("alerts"))
    shell.alerting = install_alerting(
        shell.app,
        shell.window,
        shell.runner,
        shell.session,
        shell.theme,
        shell.config.settings,
        shell.state_dir,
        shell.events,
    )


def build(app: QApplication, options: Options) -> Shell:
    """Build the theme, settings, window, runner, the page shown and the tray, in order."""
    shell = finish(start(app, options))
    show_first_page(shell)
    if options.screenshot is None:
        install_tray(shell)
    return shell


def _paint_now(window: MainWindow) -> None:
    """Show the window and let it paint before the rest of startup runs."""
    window.show()
    window.repaint()
    QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)


LOGIN_TIMEOUT_S = 420.0  # a first demo start seeds 30 days of history before the login


def _wait_for_login(shell: Shell, timeout_s: float) -> None:
    """Before a screenshot: let the login (and the demo's sandbox) finish or fail."""
    if shell.controls is None or shell.session.connection is not None:
        return
    if not shell.demo and shell.active is None:
        return
    loop = QEventLoop()
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    shell.session.connected.connect(loop.quit)
    shell.controls.flow.failed.connect(loop.quit)
    if shell.demo is not None:
        shell.demo.failed.connect(loop.quit)
    timer.start(int(timeout_s * 1000))
    loop.exec()
    timer.stop()


def run(options: Options, argv: list[str] | None = None) -> int:
    """Start the app; the process exit status."""
    log.info("aioke-desktop %s starting", __version__)
    app = make_application(argv)
    try:
        started = start(app, options)
    except StartupError as exc:
        print(f"aioke-desktop: {exc}", file=sys.stderr)
        return 2
    _paint_now(started.window)
    shell = finish(started)
    # The demo's sandbox and the login go first: they wait on the network (in the runner)
    # while the first page is imported and built here.
    if options.demo and shell.controls is not None:
        from .ui.demo_mode import DemoMode  # the sandbox's code: only for --demo

        shell.demo = DemoMode(shell.runner, shell.window, shell.controls, shell.show_demo_context)
        shell.demo.start()
    if options.screenshot is not None:
        show_first_page(shell)
        if not options.demo and shell.controls is not None and shell.active is not None:
            shell.controls.log_in_to(shell.active, interactive=False)
        _wait_for_login(shell, LOGIN_TIMEOUT_S)
        status = capture(shell.window, options.screenshot, size=options.size)
        if shell.session.connection is None and (options.demo or shell.active is not None):
            # The page says "log in": a picture, but not of the page that was asked for.
            print("aioke-desktop: the login did not succeed; see the banner", file=sys.stderr)
            status = max(status, EXIT_NOT_LOADED)
        shell.shutdown(save=False)  # a screenshot run does not move the user's window
        return status
    if shell.controls is not None and not options.demo:
        shell.controls.log_in_to(shell.active)
    show_first_page(shell)
    # The other pages, one an idle turn, once the page shown has its first data; then the
    # tray, which shares the Alerts page's monitor.
    shell.window.all_pages_built.connect(lambda: install_tray(shell))
    shell.window.build_pages_when_idle(after=shell.window.current_page())
    status = app.exec()
    shell.shutdown()
    return status
