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

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "org.aioke.Desktop"
SVG = ROOT / "resources" / "icons" / f"{APP_ID}.svg"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render_icons(out_dir: Path, svg: Path = SVG) -> list[Path]:
    """Render ``svg`` at every hicolor size into ``out_dir``; the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - QPainter needs it
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG Qt can draw")
    written = []
    images = {}
    for size in HICOLOR_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out_dir / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        images[size] = image
        written.append(path)
    # Single-size icons are enough for the installers; the plugins may be absent (then skip).
    for name, fmt, size in (("aioke.ico", "ICO", 256), ("aioke.icns", "ICNS", 512)):
        if images[size].save(str(out_dir / name), fmt):
            written.append(out_dir / name)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python packaging/icons.py OUT_DIR")
    for written_path in render_icons(Path(sys.argv[1])):
        print(written_path)
