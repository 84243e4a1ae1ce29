"""The window on a large library, in its own process: GUI-thread time per frame while the
listing arrives and while the grid scrolls from top to bottom, and resident memory.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/scroll_probe.py LIBRARY [--frames N]

Prints one JSON object (benchmarks/scale.py runs this and tabulates it). A frame is one turn
of work on the GUI thread: moving the scroll bar, painting the viewport (which reads the
cards' pages from the library) and handling the events that follow.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def summary(frames: list[float]) -> dict[str, float]:
    ms = sorted(f * 1000 for f in frames)
    return {
        "frames": len(ms),
        "max_ms": round(ms[-1], 2),
        "p99_ms": round(ms[int(len(ms) * 0.99) - 1 if len(ms) > 1 else 0], 2),
        "median_ms": round(statistics.median(ms), 2),
        "over_16ms": sum(1 for m in ms if m > 16),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", type=Path)
    parser.add_argument("--frames", type=int, default=600)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from inkseal.library.library import open_library
    from inkseal.ui.context import AppContext
    from inkseal.ui.main_window import MainWindow

    app = QApplication(["inkseal"])
    started = time.perf_counter()
    ctx = AppContext(open_library(args.library))
    window = MainWindow(ctx)
    window.resize(1400, 900)
    window.show()
    app.processEvents()  # the show and polish events: part of the first screen
    window.grid.viewport().repaint()
    first_screen = time.perf_counter() - started

    # While the listing is read on a worker thread and laid out in batches.
    loading: list[float] = []
    bar = window.grid.verticalScrollBar()
    rows = window.model.rowCount()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        t = time.perf_counter()
        app.processEvents()
        loading.append(time.perf_counter() - t)
        if window._listing_complete and window.model.rowCount() > rows:
            # the full listing is in; wait for the layout to reach its end
            previous = -1
            while bar.maximum() != previous and time.monotonic() < deadline:
                previous = bar.maximum()
                for _ in range(20):
                    t = time.perf_counter()
                    app.processEvents()
                    loading.append(time.perf_counter() - t)
                    time.sleep(0.001)
            break
        time.sleep(0.001)
    listed = time.perf_counter() - started

    # Top to bottom: each frame jumps 1/frames of the way, so every frame shows cards
    # nobody has read yet (the worst case for the page cache), then a stretch of small
    # steps as a wheel makes them.
    scrolling: list[float] = []
    top = bar.maximum()
    for k in range(args.frames + 1):
        t = time.perf_counter()
        bar.setValue(top * k // args.frames)
        window.grid.viewport().repaint()
        app.processEvents()
        scrolling.append(time.perf_counter() - t)
    wheel: list[float] = []
    bar.setValue(top // 2)
    for _k in range(200):
        t = time.perf_counter()
        bar.setValue(bar.value() + bar.singleStep() * 3)
        window.grid.viewport().repaint()
        app.processEvents()
        wheel.append(time.perf_counter() - t)
    result = {
        "rows": window.model.rowCount(),
        "first_screen_s": round(first_screen, 3),
        "listed_s": round(listed, 3),
        "loading": summary(loading),
        "jumping": summary(scrolling),
        "wheel": summary(wheel),
        "rss_mb": round(rss_mb()),
    }
    print(json.dumps(result))
    window.close()
    ctx.library.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
