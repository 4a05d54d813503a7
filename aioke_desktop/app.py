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

from PySide6.QtWidgets import QApplication

from . import __version__
from .config import AppConfig, ConfigError, ConfigStore, config_dir
from .core.contexts import Context
from .runtime.session import Session
from .runtime.task_runner import TaskRunner
from .screenshot import capture
from .ui.main_window import MainWindow
from .ui.pages import PAGE_KEYS, PAGE_TYPES, ViewSettings
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

    def switch_context(self, name: str) -> None:
        """Show another context. (The login for it arrives with the session wiring.)"""
        self.active = self.config.context(name)
        log.info("context: %s", name)
        self.window.show_contexts(self.config.contexts, self.active)

    def shutdown(self, save: bool = True) -> None:
        """Stop polling, finish or drop running work, then save settings and geometry."""
        log.info("shutdown: pages")
        self.window.navigator.stop()
        log.info("shutdown: task runner")
        self.runner.shutdown(timeout_s=5.0)
        self.session.detach()
        if save and not self.saved:
            log.info("shutdown: settings")
            self._save()
        self.saved = True

    def _save(self) -> None:
        view = self.window.navigator.view
        settings = replace(
            self.config.settings,
            active_context=self.active.name if self.active else None,
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


def start_demo(options: Options) -> Context:
    """Hook for ``--demo``: start (or reuse) the sandbox and return its context.

    The sandbox wiring (child process, status file, login through the real path) plugs in
    here; until then ``--demo`` says so instead of pretending.
    """
    raise StartupError("--demo is not wired to the sandbox yet.")


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
    active = start_demo(options) if options.demo else _choose_context(config, options.context)

    log.info("startup 3/5: task runner and session")
    runner = TaskRunner()
    session = Session()

    log.info("startup 4/5: pages")
    pages = [page_type(runner, theme, session) for page_type in PAGE_TYPES]

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
    if problem is not None:
        window.show_notice(f"{problem} Defaults are in use; the file is left as it is.")
    geometry = load_window_state(state_dir).geometry
    if geometry and options.size is None:
        window.restoreGeometry(geometry)
    last_page = config.settings.last_page
    window.show_page(options.page or (last_page if last_page in PAGE_KEYS else PAGE_KEYS[0]))
    return shell


def run(options: Options, argv: list[str] | None = None) -> int:
    """Start the app; the process exit status."""
    log.info("aioke-desktop %s starting", __version__)
    app = make_application(argv)
    try:
        shell = build(app, options)
    except StartupError as exc:
        print(f"aioke-desktop: {exc}", file=sys.stderr)
        return 2
    if options.screenshot is not None:
        status = capture(shell.window, options.screenshot, size=options.size)
        shell.shutdown(save=False)  # a screenshot run does not move the user's window
        return status
    if options.size is not None:
        shell.window.resize(*options.size)
    shell.window.show()
    status = app.exec()
    shell.shutdown()
    return status
