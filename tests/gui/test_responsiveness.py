"""The GUI thread keeps breathing while 500 files import in the background."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer

from tests.images import gradient, save


def test_import_of_500_files_never_stalls_the_gui_thread(qtbot, window, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    base = gradient((96, 72))
    for i in range(500):
        img = base.copy()
        img.putpixel((i % 96, i // 96), (i % 256, 255 - i % 256, 7))  # every file unique
        save(img, folder / f"{i:03}.png", "PNG")

    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(beat)
    timer.start()
    with qtbot.waitSignal(window.import_finished, timeout=120_000) as blocker:
        last[0] = time.perf_counter()
        window.start_import([str(folder)])
    timer.stop()
    assert blocker.args[0].added == 500
    assert window.model.rowCount() == 500
    assert len(gaps) > 20
    worst = max(gaps)
    print(f"worst gap {worst * 1000:.1f} ms over {len(gaps)} beats")
    assert worst < 0.100, f"the GUI thread stalled for {worst * 1000:.0f} ms"
