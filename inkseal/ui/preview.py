"""A large preview of a work's primary image: fit or zoom, arrows for the next work."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import QDialog, QLabel, QScrollArea, QVBoxLayout

from inkseal.library.dto import WorkSummary
from inkseal.ui.context import AppContext
from inkseal.ui.tasks import run_task

MAX_SIDE = 4096  # decoded for display; the stored original is untouched


def load_qimage(path: str) -> QImage:
    """Decode any format Inkseal stores (HEIF and AVIF too) with Pillow, orientation applied.

    Runs on worker threads: QImage is safe there, QPixmap is not.
    """
    from PIL import Image, ImageOps

    from inkseal.library.imaging import setup_pillow

    setup_pillow()
    with Image.open(path) as opened:
        opened.draft("RGB", (MAX_SIDE, MAX_SIDE))
        img = ImageOps.exif_transpose(opened)
        img.thumbnail((MAX_SIDE, MAX_SIDE))
        rgba = img.convert("RGBA")
        data = rgba.tobytes("raw", "RGBA")
        qimg = QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888)
        return qimg.copy()  # own the pixels: `data` goes away with this function


class PreviewDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        works: Callable[[], Sequence[WorkSummary]],
        index: int,
        parent: QLabel | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.works = works
        self.index = index
        self.fit = True
        self.zoom = 1.0
        self._pixmap: QPixmap | None = None
        self._loading_path: str | None = None
        self.resize(1100, 800)
        self.label = QLabel("Loading…")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.area = QScrollArea()
        self.area.setWidget(self.label)
        self.area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.area.setWidgetResizable(True)
        self.info = QLabel()
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.area, 1)
        layout.addWidget(self.info)
        keys: list[tuple[str | QKeySequence.StandardKey, Callable[[], None]]] = [
            ("Right", lambda: self.step(1)),
            ("Left", lambda: self.step(-1)),
            ("F", self.fit_to_window),
            (QKeySequence.StandardKey.ZoomIn, lambda: self.set_zoom(self.zoom * 1.25)),
            ("Ctrl+=", lambda: self.set_zoom(self.zoom * 1.25)),
            (QKeySequence.StandardKey.ZoomOut, lambda: self.set_zoom(self.zoom / 1.25)),
            ("Ctrl+0", lambda: self.set_zoom(1.0)),
        ]
        for key, slot in keys:
            QShortcut(QKeySequence(key), self, slot)
        self.show_current()

    def current(self) -> WorkSummary | None:
        items = self.works()
        if not items:
            return None
        self.index = max(0, min(self.index, len(items) - 1))
        try:
            return items[self.index]
        except IndexError:  # the work has just left the library
            return None

    def step(self, delta: int) -> None:
        n = len(self.works())
        if n:
            self.index = (self.index + delta) % n
            self.show_current()

    def show_current(self) -> None:
        work = self.current()
        primary = work.primary if work else None
        if work is None or primary is None:
            self.label.setText("Nothing to show")
            return
        self.setWindowTitle(f"{work.title} — Inkseal")
        self.info.setText(
            f"{work.title}   ·   {work.provenance_class}   ·   {primary.width}×{primary.height}"
            f"   ·   ← → other works, F fit, Ctrl +/− zoom, Ctrl+0 actual size"
        )
        self.label.setText("Loading…")
        self._pixmap = None
        path = primary.path
        self._loading_path = path
        run_task(
            self.ctx.thumbs,
            lambda _p: load_qimage(path),
            on_done=lambda img: self._loaded(path, img),
            on_error=lambda msg: self._failed(path, msg),
        )

    def _loaded(self, path: str, image: QImage) -> None:
        if path != self._loading_path:
            return  # the user has moved on
        self._pixmap = QPixmap.fromImage(image)
        self._render()

    def _failed(self, path: str, message: str) -> None:
        if path == self._loading_path:
            self.label.setText(f"This image cannot be shown: {message}")

    def fit_to_window(self) -> None:
        self.fit = True
        self._render()

    def set_zoom(self, zoom: float) -> None:
        self.fit = False
        self.zoom = max(0.05, min(zoom, 16.0))
        self._render()

    def _render(self) -> None:
        if self._pixmap is None:
            return
        if self.fit:
            size = self.area.viewport().size()
            shown = self._pixmap.scaled(
                size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            self.zoom = shown.width() / max(1, self._pixmap.width())
        else:
            shown = self._pixmap.scaledToWidth(
                max(1, int(self._pixmap.width() * self.zoom)),
                Qt.TransformationMode.SmoothTransformation,
            )
        self.label.setPixmap(shown)

    def resizeEvent(self, event: object) -> None:  # noqa: N802
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self.fit:
            self._render()
