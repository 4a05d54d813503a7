"""``aioke-desktop --demo --page NAME --screenshot PATH`` for the three pages the README shows:
each picture holds what the page is for (chart lines, the map's nodes), not a blank panel."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from aioke_desktop.ui.charts.units import line_colour
from aioke_desktop.ui.theme import Theme
from desktop.ui_helpers import light_theme
from sandbox_harness import Sandbox

pytestmark = pytest.mark.slow

SIZE = (1280, 800)
SIDEBAR, TOOLBAR, STATUS_BAR = 170, 60, 30  # around the page, in pixels (at 1280x800)
MIN_PIXELS = 300  # a drawn line or a row of node stripes: far more than any icon


def shoot(sandbox: Sandbox, page: str, path: Path) -> QImage:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "AIOKE_CONFIG_DIR": str(path.parent / "config"),
        "AIOKE_SANDBOX_STATUS": str(sandbox.workdir / "status.json"),  # reuse, do not start
    }
    done = subprocess.run(
        [sys.executable, "-m", "aioke_desktop", "--demo", "--page", page,
         "--screenshot", str(path), "--size", "x".join(map(str, SIZE))],
        env=env, capture_output=True, text=True, timeout=100,  # inside the test timeout
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]  # 0: the page loaded, not its error
    image = QImage(str(path))
    assert (image.width(), image.height()) == SIZE
    return image


def page_colours(image: QImage) -> Counter[str]:
    """How many pixels of each colour the page itself shows (sidebar and bars left out)."""
    return Counter(
        QColor(image.pixel(x, y)).name()
        for x in range(SIDEBAR, image.width(), 2)
        for y in range(TOOLBAR, image.height() - STATUS_BAR, 2)
    )


def signature(page: str, theme: Theme) -> list[str]:
    """Colours that only what the page is for draws: its charts' lines, its map's nodes."""
    if page == "services":
        colours = theme.colours
        return [colours.ok_fill, colours.warning_fill, colours.danger_fill]
    return [line_colour(0), line_colour(1)]


@pytest.mark.parametrize("page", ["overview", "services", "slos"])
def test_the_readme_pages_shoot_as_real_pictures(
    sandbox: Sandbox, tmp_path: Path, page: str
) -> None:
    image = shoot(sandbox, page, tmp_path / f"{page}.png")
    colours = page_colours(image)
    assert len(colours) > 200, colours.most_common(5)  # text, tables, charts: not blank
    wanted = [QColor(c).name() for c in signature(page, light_theme())]
    drawn = {c: colours[c] * 4 for c in wanted}  # every other pixel each way: x4
    if page == "services":
        assert sum(drawn.values()) >= MIN_PIXELS, drawn  # a stripe on every node
    else:
        assert all(n >= MIN_PIXELS for n in drawn.values()), drawn  # lines in the charts
