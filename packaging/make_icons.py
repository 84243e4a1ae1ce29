"""Render the app icon's SVG to the files each platform wants.

    python packaging/make_icons.py OUT_DIR

writes OUT_DIR/hicolor/<N>x<N>/apps/org.inkseal.Inkseal.png (the freedesktop icon theme
layout, for the .deb and the per-user install), OUT_DIR/inkseal.png (256 px, for platforms
that want a bitmap), OUT_DIR/inkseal.ico (Windows) and OUT_DIR/inkseal.icns (macOS). The SVG in
inkseal/resources/icons is the only source; nothing rendered is kept in the repository.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG = HERE.parent / "inkseal" / "resources" / "icons" / "inkseal.svg"
# The icon's name in the desktop's icon theme: the app id, as the .desktop file says.
ICON_NAME = "org.inkseal.Inkseal"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(size: int) -> bytes:
    """The icon as PNG bytes, `size` pixels square, drawn by Qt's SVG renderer."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG} is not an SVG Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def make_icons(out: Path) -> list[Path]:
    """Write every icon file under `out`; returns the paths written."""
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication.instance() or QGuiApplication(["make_icons"])
    written: list[Path] = []
    pngs: dict[int, bytes] = {}
    for size in (*PNG_SIZES, 1024):
        pngs[size] = render_png(size)
    for size in PNG_SIZES:
        path = out / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pngs[size])
        written.append(path)
    scalable = out / "hicolor" / "scalable" / "apps" / f"{ICON_NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_bytes(SVG.read_bytes())
    written.append(scalable)
    (out / "inkseal.png").write_bytes(pngs[256])
    written.append(out / "inkseal.png")
    # Pillow writes both containers; each size is drawn from the vector, not scaled down
    # from the largest bitmap, so the small sizes stay sharp.
    big = Image.open(io.BytesIO(pngs[256]))
    ico = out / "inkseal.ico"
    big.save(
        ico,
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[Image.open(io.BytesIO(pngs[s])) for s in ICO_SIZES if s != 256],
    )
    written.append(ico)
    icns = out / "inkseal.icns"
    Image.open(io.BytesIO(pngs[1024])).save(
        icns,
        format="ICNS",
        append_images=[Image.open(io.BytesIO(pngs[s])) for s in (16, 32, 64, 128, 256, 512)],
    )
    written.append(icns)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for path in make_icons(Path(argv[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
