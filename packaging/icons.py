"""Render the app icon (``resources/icons/org.aioke.Desktop.svg``) for the installers.

    python packaging/icons.py OUT_DIR

writes ``OUT_DIR/hicolor/<size>x<size>/apps/org.aioke.Desktop.png`` for the freedesktop icon
theme, plus ``aioke.ico`` (Windows) and ``aioke.icns`` (macOS) where Qt's image plugins can
write them. Qt's own SVG renderer draws them, so no image tool has to be installed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "org.aioke.Desktop"
SVG = ROOT / "resources" / "icons" / f"{APP_ID}.svg"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
_APP: QGuiApplication | None = None


def _render(svg: Path, size: int) -> QImage:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def render_hicolor(out_dir: Path, svg: Path = SVG) -> list[Path]:
    """PNGs at every hicolor size: ``out_dir/hicolor/<n>x<n>/apps/org.aioke.Desktop.png``."""
    _application()
    written = []
    for size in HICOLOR_SIZES:
        path = out_dir / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not _render(svg, size).save(str(path)):  # the format follows the suffix
            raise OSError(f"could not write {path}")
        written.append(path)
    return written


def render_installer_icons(out_dir: Path, svg: Path = SVG) -> list[Path]:
    """``aioke.ico`` (Windows) and ``aioke.icns`` (macOS), where Qt's image plugins write them."""
    _application()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size in (("aioke.ico", 256), ("aioke.icns", 512)):
        if _render(svg, size).save(str(out_dir / name)):
            written.append(out_dir / name)
    return written


def _application() -> QGuiApplication:
    """QPainter needs a QGuiApplication; without a display, the offscreen platform does."""
    existing = QGuiApplication.instance()
    if isinstance(existing, QGuiApplication):
        return existing
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    global _APP  # kept alive for the whole process, as Qt requires
    _APP = QGuiApplication([])
    return _APP


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python packaging/icons.py OUT_DIR")
    for written_path in render_hicolor(Path(sys.argv[1])) + render_installer_icons(
        Path(sys.argv[1])
    ):
        print(written_path)
