"""Seconds for a one-work certificate and a 200-work portfolio, beside a baseline in the run.

The library is made through the real services: works imported from generated pictures
(1600x1200 JPEGs), declared, each with a sketch and a layered Krita file attached. The
baseline renders the same number of pages of plain text to PDF with the same Qt classes
(QTextDocument on a QPdfWriter), so the ratio shows what the report adds: reading the record,
re-hashing the files, decoding the pictures, the manifest and (when an identity is made here)
the signature. Targets (issue "Provenance reports as PDF"): under 1 s and under 30 s.

    .venv/bin/python benchmarks/report_speed.py [--works 200] [--no-sign]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import tempfile
import time
import zipfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _picture(i: int) -> Image.Image:
    img = Image.new("RGB", (1600, 1200), (240 - i % 40, 235, 225))
    d = ImageDraw.Draw(img)
    for k in range(30):
        x = (k * 53 + i * 17) % 1600
        d.line([(x, 1150), (x + 60, 100 + (k * 31) % 500)], fill=(30, 30, 30 + i % 200), width=7)
    return img


def make_library(root: Path, n: int, sign: bool) -> tuple[object, list[int]]:
    from inkseal.library import works
    from inkseal.library.evidence import attach_files
    from inkseal.library.importer import import_paths
    from inkseal.library.library import open_library

    lib = open_library(root / "lib")
    src = root / "in"
    src.mkdir()
    paths = []
    for i in range(n):
        p = src / f"work {i:03}.jpg"
        _picture(i).save(p, "JPEG", quality=85)
        paths.append(p)
    ids = [o.work_id for o in import_paths(lib, paths).outcomes if o.work_id]
    for i, wid in enumerate(ids):
        works.declare(
            lib,
            wid,
            "ai-assisted" if i % 3 == 0 else "human-made",
            [works.AIUseInput("Stable Diffusion XL", "background", "sky")] if i % 3 == 0 else [],
        )
        sketch = src / f"sketch {i:03}.png"
        _picture(i + 500).resize((400, 300)).save(sketch)
        kra = src / f"layers {i:03}.kra"
        buf = io.BytesIO()
        _picture(i + 900).resize((320, 240)).save(buf, "PNG")
        with zipfile.ZipFile(kra, "w") as z:
            z.writestr("mimetype", "application/x-krita", compress_type=zipfile.ZIP_STORED)
            z.writestr("mergedimage.png", buf.getvalue())
        attach_files(lib, wid, [sketch, kra])
    if sign:
        from inkseal.library.identity import create_identity

        create_identity(lib.root, "Benchmark Artist")  # type: ignore[attr-defined]
    return lib, ids


def baseline(pages: int, out: Path) -> float:
    """Plain text of about `pages` pages through QTextDocument and QPdfWriter."""
    from PySide6.QtGui import QPdfWriter, QTextDocument

    from inkseal.reports.report import ensure_qt

    ensure_qt()
    text = "<p>" + ("Provenance report baseline text. " * 60 + "</p><p>") * (pages * 5) + "</p>"
    start = time.perf_counter()
    writer = QPdfWriter(str(out))
    writer.setResolution(300)
    doc = QTextDocument()
    doc.setHtml(text)
    doc.print_(writer)
    del writer
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--works", type=int, default=200)
    parser.add_argument("--no-sign", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "report_speed.json")
    args = parser.parse_args()
    from pypdf import PdfReader

    from inkseal.reports.manifest import ReportOptions
    from inkseal.reports.report import make_report

    sign = not args.no_sign
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        lib, ids = make_library(root, args.works, sign)
        setup = time.perf_counter() - t
        rows = []
        for label, chosen, kind in (
            ("certificate, 1 work", ids[:1], "certificate"),
            (f"portfolio, {len(ids)} works", ids, "portfolio"),
        ):
            out = root / f"{kind}.pdf"
            start = time.perf_counter()
            make_report(lib, chosen, out, options=ReportOptions(kind=kind), sign=sign)  # type: ignore[arg-type]
            seconds = time.perf_counter() - start
            pages = len(PdfReader(out).pages)
            base = baseline(pages, root / f"base-{kind}.pdf")
            rows.append(
                {
                    "report": label,
                    "pages": pages,
                    "seconds": round(seconds, 3),
                    "baseline_seconds": round(base, 3),
                    "ratio": round(seconds / base, 2) if base else None,
                    "megabytes": round(out.stat().st_size / 1e6, 2),
                }
            )
    print(f"library of {len(ids)} works made in {setup:.1f} s; signed: {sign}")
    print(f"{'report':<24}{'pages':>6}{'seconds':>9}{'baseline':>10}{'ratio':>7}{'MB':>7}")
    for r in rows:
        print(
            f"{r['report']:<24}{r['pages']:>6}{r['seconds']:>9.2f}{r['baseline_seconds']:>10.2f}"
            f"{r['ratio']:>7}{r['megabytes']:>7}"
        )
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "signed": sign,
        "targets": {"certificate_seconds": 1.0, "portfolio_200_seconds": 30.0},
        "rows": rows,
    }
    out = args.out
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
