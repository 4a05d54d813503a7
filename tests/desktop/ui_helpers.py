"""Building blocks for the UI tests: a window over real pages, and a page that fetches."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from aioke_desktop.core.contexts import Context, TlsSettings
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.main_window import MainWindow
from aioke_desktop.ui.pages import PAGE_TYPES, Page, ViewSettings
from aioke_desktop.ui.theme import Theme
from aioke_desktop.ui.widgets.time_range import TimeRange

HOUR = ViewSettings(TimeRange.last("1h"), 15)


class FetchingPage(Page):
    """A page whose fetch the test chooses (a real client call, or one that hangs)."""

    key = "fetching"
    title = "Fetching"
    description = "A page that fetches."

    def __init__(
        self,
        runner: TaskRunner,
        theme: Theme,
        fetch: Callable[[ViewSettings], Callable[[], object]],
    ) -> None:
        self._make = fetch
        self.views: list[ViewSettings] = []
        super().__init__(runner, theme)

    def build_content(self) -> QWidget:
        self.shown = QLabel(self)
        return self.shown

    def make_fetch(self, view: ViewSettings) -> Callable[[], object] | None:
        self.views.append(view)
        return self._make(view)

    def present(self, data: object) -> bool:
        if not data:
            return False
        self.shown.setText(str(data))
        return True


def context(name: str = "staging", insecure: bool = False) -> Context:
    return Context(
        name=name,
        control_plane_url="https://cp.example:8470",
        prometheus_url="https://prom.example:9090",
        username="alice",
        tls=TlsSettings(insecure_skip_tls_verify=insecure),
    ).check()


def light_theme() -> Theme:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return Theme(app, "light")


def make_window(
    qtbot: QtBot,
    runner: TaskRunner,
    *,
    extra: Sequence[Page] = (),
    contexts: Sequence[Context] = (),
    active: Context | None = None,
    view: ViewSettings = HOUR,
) -> MainWindow:
    """The main window over the real placeholder pages, plus ``extra`` pages after them."""
    theme = light_theme()
    pages = [page_type(runner, theme) for page_type in PAGE_TYPES]
    window = MainWindow(
        pages=[*pages, *extra], theme=theme, view=view, contexts=contexts, active_context=active
    )
    qtbot.addWidget(window)
    window.show_page("overview")
    window.show()
    qtbot.waitExposed(window)
    return window
