"""``--screenshot PATH``: render a page once it has loaded, save a PNG, and exit.

The page is given up to 30 s for its first data. Its error state is saved too (it shows
what went wrong), but the exit status then says the page could not load, so a script
never mistakes a picture of an error for a picture of the page.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

from .ui.main_window import MainWindow
from .ui.pages.base import PageState

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0
EXIT_OK = 0
EXIT_NOT_LOADED = 1
EXIT_NOT_SAVED = 3

_SIZE = re.compile(r"^(\d{3,5})x(\d{3,5})$")


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x800"`` as ``(1280, 800)``; ``ValueError`` in plain words otherwise."""
    match = _SIZE.match(text.strip().lower())
    if not match:
        raise ValueError(f"A size looks like 1280x800, not {text!r}.")
    width, height = int(match.group(1)), int(match.group(2))
    if not (320 <= width <= 7680 and 240 <= height <= 4320):
        raise ValueError(f"{text} is outside 320x240 to 7680x4320.")
    return width, height


def wait_until_settled(window: MainWindow, timeout_s: float) -> PageState:
    """Run the event loop until the shown page has data, is empty, or failed; or timeout."""
    page = window.current_page()
    if page.state is PageState.LOADING:
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        page.first_data_ready.connect(loop.quit)
        page.state_changed.connect(lambda state: loop.quit() if state is PageState.ERROR else None)
        timer.start(int(timeout_s * 1000))
        loop.exec()
        timer.stop()
    # Let the layout and the last repaint happen before grabbing.
    for _ in range(3):
        QCoreApplication.processEvents()
    return page.state


def capture(
    window: MainWindow,
    path: Path,
    *,
    size: tuple[int, int] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> int:
    """Show ``window``, wait for its page, save a PNG at ``path``; the exit status.

    Returns:
        0 when the page loaded (data, or an honest "No data"); 1 when it showed its error
        state or did not load within ``timeout_s`` (the PNG is saved all the same);
        3 when the PNG could not be written.
    """
    if size is not None:
        window.resize(*size)
    window.show()
    state = wait_until_settled(window, timeout_s)
    page = window.current_page()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path), "PNG"):
        print(f"aioke-desktop: could not write {path}", file=sys.stderr)
        return EXIT_NOT_SAVED
    log.info("screenshot of %s (%s) saved to %s", page.key, state.value, path)
    if state is PageState.ERROR:
        print(
            f"aioke-desktop: the {page.title} page could not load; saved its error state to {path}",
            file=sys.stderr,
        )
        return EXIT_NOT_LOADED
    if state is PageState.LOADING:
        print(
            f"aioke-desktop: the {page.title} page did not load within {timeout_s:.0f} s; "
            f"saved it as it was to {path}",
            file=sys.stderr,
        )
        return EXIT_NOT_LOADED
    return EXIT_OK
