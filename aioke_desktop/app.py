"""The one startup function: it builds everything, in a logged order, and tears it down.

qutebrowser's ``app.py::_init_modules`` is the model: each step is logged before it runs,
so a crash at startup names its step, and every dependency is passed to whoever needs it
(there is no global registry to fetch the window or the runner from).

Order: QApplication → theme → settings → task runner → pages → main window. Quitting runs
it backwards: pages stop polling, the runner finishes or drops its work, settings are saved.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from . import __version__
from .config import AppConfig, ConfigError, ConfigStore, config_dir
from .core.contexts import Context
from .runtime.event_feed import EventFeed
from .runtime.session import Session
from .runtime.task_runner import TaskRunner
from .screenshot import capture
from .ui.alerting import Alerting, install_alerting
from .ui.demo_mode import DemoMode
from .ui.main_window import MainWindow
from .ui.pages import PAGE_KEYS, PAGE_TYPES, ViewSettings
from .ui.pages.overview import OverviewPage
from .ui.pages.services import ServicesPage
from .ui.pages.slos import SlosPage
from .ui.session_controls import SessionControls
from .ui.theme import Theme
from .ui.widgets.time_range import TimeRange
from .ui.window_state import WindowState, load_window_state, save_window_state

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


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, with the names the desktop and QSettings-based parts of Qt use."""
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


def build(app: QApplication, options: Options) -> Shell:
    """Build the theme, settings, runner, pages and window, in this order, each step logged."""
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

    log.info("startup 3/5: task runner and session")
    runner = TaskRunner()
    session = Session()

    log.info("startup 4/5: pages")
    pages = [page_type(runner, theme, session) for page_type in PAGE_TYPES]
    # One change feed for every page: tables and charts hear of changes as they happen.
    events = EventFeed(runner, session, session)
    for page in pages:
        page.follow(events)
    # The low-traffic guard of the SLO numbers, as the settings say.
    for page in pages:
        if isinstance(page, SlosPage | ServicesPage):
            page.set_min_requests_per_hour(config.settings.min_requests_per_hour)

    log.info("startup 5/5: main window")
    window = MainWindow(
        pages=pages,
        theme=theme,
        view=_initial_view(config),
        contexts=config.contexts,
        active_context=active,
    )
    shell = Shell(
        app, theme, store, config, problem is None, state_dir, runner, session, window, active
    )
    window.context_chosen.connect(shell.switch_context)
    for page in pages:
        if isinstance(page, OverviewPage):
            # A click on a change marked on a chart opens the page of what changed.
            page.change_chosen.connect(lambda c: window.show_page(c.page) if c.page else None)
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
    if options.screenshot is None:
        shell.alerting = install_alerting(
            app, window, runner, session, theme, config.settings, state_dir, events
        )
    if problem is not None:
        window.show_notice(f"{problem} Defaults are in use; the file is left as it is.")
    geometry = load_window_state(state_dir).geometry
    if geometry and options.size is None:
        window.restoreGeometry(geometry)
    last_page = config.settings.last_page
    window.show_page(options.page or (last_page if last_page in PAGE_KEYS else PAGE_KEYS[0]))
    return shell


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
        shell = build(app, options)
    except StartupError as exc:
        print(f"aioke-desktop: {exc}", file=sys.stderr)
        return 2
    if options.demo and shell.controls is not None:
        shell.demo = DemoMode(shell.runner, shell.window, shell.controls, shell.show_demo_context)
        shell.demo.start()
    if options.screenshot is not None:
        if options.size is not None:
            shell.window.resize(*options.size)
        shell.window.show()
        if not options.demo and shell.controls is not None and shell.active is not None:
            shell.controls.log_in_to(shell.active, interactive=False)
        _wait_for_login(shell, LOGIN_TIMEOUT_S)
        status = capture(shell.window, options.screenshot, size=options.size)
        shell.shutdown(save=False)  # a screenshot run does not move the user's window
        return status
    if options.size is not None:
        shell.window.resize(*options.size)
    shell.window.show()
    if shell.controls is not None and not options.demo:
        shell.controls.log_in_to(shell.active)
    status = app.exec()
    shell.shutdown()
    return status
