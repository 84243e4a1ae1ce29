"""`make screenshots`: render the main window offscreen on a sample library and save PNGs.

python -m inkseal.ui.screenshots OUT_DIR
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _sample_images(folder: Path) -> list[Path]:
    """A few generated pictures (ink washes, gradients) that look like a small portfolio."""
    from PIL import Image, ImageDraw, ImageFilter

    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    palettes = [
        ((245, 240, 228), (40, 40, 40)),
        ((230, 238, 246), (30, 60, 110)),
        ((250, 235, 225), (170, 40, 40)),
        ((232, 244, 234), (40, 100, 60)),
        ((240, 232, 246), (90, 50, 120)),
        ((248, 244, 220), (120, 90, 20)),
    ]
    titles = [
        "Morning river",
        "墨竹 Ink bamboo",
        "Red seal study",
        "Pine on the ridge",
        "Night garden",
        "Harvest moon",
    ]
    for i, ((bg, ink), title) in enumerate(zip(palettes, titles, strict=True)):
        img = Image.new("RGB", (900, 640), bg)
        d = ImageDraw.Draw(img)
        for k in range(14):
            x = 80 + k * 55 + int(30 * math.sin(k + i))
            d.line([(x, 600), (x + 40 * math.sin(i + k), 80 + 20 * k)], fill=ink, width=6 + k % 5)
        d.ellipse([600 - i * 30, 90, 720 - i * 30, 210], outline=ink, width=5)
        img = img.filter(ImageFilter.GaussianBlur(1.2))
        path = folder / f"{title}.jpg"
        img.save(path, "JPEG", quality=88)
        out.append(path)
    return out


def render(out_dir: Path) -> list[Path]:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from inkseal.library import works
    from inkseal.library.importer import import_paths
    from inkseal.library.library import open_library
    from inkseal.ui.context import AppContext
    from inkseal.ui.main_window import MainWindow

    out_dir.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        from PySide6.QtCore import QSettings

        # Fresh window state: the pictures must not depend on the user's own settings.
        app.setOrganizationName("Inkseal-screenshots")
        for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "settings"))
        lib = open_library(tmp_path / "library")
        inputs: list[Path] = _sample_images(tmp_path / "in")
        for name in ("c2pa-ai__google-genai-1-manifest.png", "iptc-xmp__iptc-reference-2021.jpg"):
            if (CORPUS / name).exists():
                inputs.append(CORPUS / name)
        report = import_paths(lib, inputs)
        by_title = {Path(o.path).stem: o.work_id for o in report.outcomes if o.work_id is not None}
        declared: dict[str, tuple[str, list[tuple[str, str, str | None]]]] = {
            "Morning river": ("human-made", []),
            "墨竹 Ink bamboo": ("human-made", []),
            "Red seal study": ("ai-assisted", [("Stable Diffusion XL", "background", "sky")]),
            "Pine on the ridge": ("human-made", []),
            "Harvest moon": ("human-made", []),
            "Night garden": ("ai-assisted", [("Topaz Gigapixel", "upscaling", None)]),
            "c2pa-ai__google-genai-1-manifest": (
                "ai-generated",
                [("Google Imagen", "generation", None)],
            ),
        }
        for title, (cls, uses) in declared.items():
            if title in by_title:
                works.declare(lib, by_title[title], cls, [works.AIUseInput(*u) for u in uses])
        ids = [by_title["Morning river"]]
        works.add_tags(lib, ids[0], ["ink", "landscape"])
        ctx = AppContext(lib)
        window = MainWindow(ctx)
        window.resize(1280, 800)
        window.show()
        google = by_title.get("c2pa-ai__google-genai-1-manifest")
        row = window.model.row_of(google) if google is not None else None
        window.grid.setCurrentIndex(window.model.index(row if row is not None else 0))
        loop = QEventLoop()
        QTimer.singleShot(1500, loop.quit)  # thumbnails arrive from worker threads
        loop.exec()
        app.processEvents()
        shots = [out_dir / "main-window.png"]
        window.grab().save(str(shots[0]))

        # The same window in the dark theme.
        from inkseal.ui.preferences import apply_theme

        apply_theme("dark")
        _settle(app, 300)
        shots.append(out_dir / "dark-theme.png")
        window.grab().save(str(shots[-1]))
        apply_theme("system")

        # An import with problems: the summary the artist sees.
        broken = tmp_path / "drop"
        broken.mkdir()
        (broken / "scan-of-sketch.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
        (broken / "notes.txt").write_text("not a picture")
        _sample_images(broken)  # duplicates of what is already there
        done = QEventLoop()
        window.import_finished.connect(lambda _r: done.quit())
        window.start_import([str(broken)])
        done.exec()
        box = window.last_summary_box
        box.setDetailedText(box.detailedText())
        _settle(app, 200)
        shots.append(out_dir / "import-summary.png")
        box.grab().save(str(shots[-1]))
        box.close()

        # The process evidence of one work: its files as a timeline, and its history.
        shots += _evidence_shots(app, window, by_title, tmp_path, out_dir)
        # Its certificate, as the PDF's pages look.
        shots += _report_shots(lib, by_title, tmp_path, out_dir)
        window.close()
        ctx.shutdown()

        # A new library: the empty state.
        empty_ctx = AppContext(open_library(tmp_path / "empty"))
        empty = MainWindow(empty_ctx)
        empty.resize(1280, 800)
        empty.show()
        _settle(app, 200)
        shots.append(out_dir / "empty-library.png")
        empty.grab().save(str(shots[-1]))
        empty.close()
        empty_ctx.shutdown()
    return shots


def _process_files(folder: Path, title: str) -> list[tuple[Path, float]]:
    """A pencil sketch, a layered Krita file and a work-in-progress stage, with the file
    dates an artist's disk would give them (days apart, in order)."""
    import io
    import os
    import time
    import zipfile

    from PIL import Image, ImageDraw, ImageFilter

    folder.mkdir(parents=True, exist_ok=True)
    sketch = Image.new("RGB", (900, 640), (250, 248, 240))
    d = ImageDraw.Draw(sketch)
    for k in range(9):
        d.line([(120 + k * 70, 560), (160 + k * 60, 140 + 15 * k)], fill=(90, 90, 90), width=2)
    d.ellipse([560, 90, 680, 210], outline=(60, 60, 60), width=2)
    stage = sketch.copy()
    ImageDraw.Draw(stage).rectangle([0, 420, 900, 640], fill=(170, 40, 40))
    stage = stage.filter(ImageFilter.GaussianBlur(1.5))
    now = time.time()
    sketch_path = folder / f"{title} - pencil sketch.jpg"
    sketch.save(sketch_path, "JPEG", quality=85)
    kra = folder / f"{title}.kra"
    merged = io.BytesIO()
    stage.resize((450, 320)).save(merged, "PNG")
    with zipfile.ZipFile(kra, "w") as z:
        z.writestr("mimetype", "application/x-krita", compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "maindoc.xml",
            '<?xml version="1.0"?><DOC><IMAGE width="3600" height="2560" name="seal">'
            '<layers><layer name="sketch"/><layer name="ink"/><layer name="seal"/></layers>'
            "</IMAGE></DOC>",
        )
        z.writestr("mergedimage.png", merged.getvalue())
    wip = folder / f"{title} - stage 2.png"
    stage.save(wip, "PNG")
    dated = [(sketch_path, now - 9 * 86400), (kra, now - 6 * 86400), (wip, now - 4 * 86400)]
    for path, when in dated:
        os.utime(path, (when, when))
    return dated


def _evidence_shots(
    app: object, window: Any, by_title: dict[str, int], tmp_path: Path, out_dir: Path
) -> list[Path]:
    from inkseal.library import links
    from inkseal.library.evidence import attach_files

    lib = window.ctx.library
    wid = by_title.get("Red seal study")
    if wid is None:
        return []
    dated = _process_files(tmp_path / "process", "Red seal study")
    for (path, _), role in zip(dated, ["sketch", "source", "wip"], strict=True):
        attach_files(lib, wid, [path], role)
    other = by_title.get("Pine on the ridge")
    if other is not None:
        links.link_works(lib, wid, other, "same-series")
    window.refresh()
    window.splitter.setSizes([170, 620, 490])
    row = window.model.row_of(wid)
    window.grid.clearSelection()
    window.grid.setCurrentIndex(window.model.index(row if row is not None else 0))
    _settle(app, 1200)
    shots = []
    for tab, name in ((1, "files-timeline.png"), (3, "history.png")):
        window.inspector.tabs.setCurrentIndex(tab)
        _settle(app, 300)
        shots.append(out_dir / name)
        window.grab().save(str(shots[-1]))
    window.inspector.tabs.setCurrentIndex(0)
    return shots


def _report_shots(lib: Any, by_title: dict[str, int], tmp_path: Path, out_dir: Path) -> list[Path]:
    """The first pages of a signed certificate, rendered with pdftoppm when it is there."""
    import shutil
    import subprocess

    from inkseal.library import works
    from inkseal.reports.report import make_report

    wid = by_title.get("Red seal study")
    pdftoppm = shutil.which("pdftoppm")
    if wid is None or pdftoppm is None:
        print("pdftoppm not found: no pictures of the report (apt-get install poppler-utils)")
        return []
    works.edit_fields(
        lib,
        wid,
        {
            "creator": "林 小雨 Lin Xiaoyu",
            "medium": "ink and seal paste on xuan paper, background in Krita",
            "creation_date": "2026-11",
        },
    )
    sign = False
    try:
        from inkseal.library.identity import create_identity

        create_identity(lib.root, "Lin Xiaoyu", "lin@example.org")
        sign = True
    except ImportError:
        pass
    pdf = tmp_path / "certificate.pdf"
    make_report(lib, [wid], pdf, sign=sign)
    prefix = tmp_path / "page"
    subprocess.run(
        [pdftoppm, "-r", "80", "-png", "-f", "1", "-l", "2", str(pdf), str(prefix)],
        check=True,
        timeout=120,
    )
    shots = []
    for n, page in enumerate(sorted(tmp_path.glob("page-*.png")), start=1):
        target = out_dir / f"report-certificate-{n}.png"
        shutil.copyfile(page, target)
        shots.append(target)
    return shots


def _settle(app: object, ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    for p in render(out):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
