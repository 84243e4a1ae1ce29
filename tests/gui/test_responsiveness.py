"""The GUI thread keeps breathing while 500 files import in the background.

The measurement runs in a child process that starts like the app does: the test process
holds hundreds of earlier tests' windows, libraries and objects, and the garbage collector's
passes over them (which stop every thread) would be measured instead of the app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO
from tests.images import gradient, save

PROBE = """
import json, sys, time
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

app = QApplication([])
app.setOrganizationName("Inkseal-tests")
for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
    QSettings.setPath(fmt, QSettings.Scope.UserScope, sys.argv[2])
from inkseal.library.library import open_library
from inkseal.ui.context import AppContext
from inkseal.ui.main_window import MainWindow

ctx = AppContext(open_library(sys.argv[3]))
window = MainWindow(ctx)
window.show()
gaps, last, reports = [], [time.perf_counter()], []
def beat():
    now = time.perf_counter()
    gaps.append(now - last[0])
    last[0] = now
timer = QTimer()
timer.setInterval(10)
timer.timeout.connect(beat)
loop = QEventLoop()
window.import_finished.connect(lambda r: (reports.append(r), loop.quit()))
QTimer.singleShot(120_000, loop.quit)
timer.start()
last[0] = time.perf_counter()
window.start_import([sys.argv[1]])
loop.exec()
timer.stop()
report = reports[0] if reports else None
print(json.dumps({
    "added": report.added if report else None,
    "rows": window.model.rowCount(),
    "beats": len(gaps),
    "worst_ms": max(gaps) * 1000 if gaps else None,
}))
window.close()
ctx.shutdown()
"""


def test_import_of_500_files_never_stalls_the_gui_thread(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    base = gradient((96, 72))
    for i in range(500):
        img = base.copy()
        img.putpixel((i % 96, i // 96), (i % 256, 255 - i % 256, 7))  # every file unique
        save(img, folder / f"{i:03}.png", "PNG")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(folder), str(tmp_path / "settings"), str(tmp_path / "L")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"{result} in {time.perf_counter() - started:.1f} s")
    assert result["added"] == 500
    assert result["rows"] == 500
    assert result["beats"] > 20
    worst = result["worst_ms"]
    assert worst < 100, f"the GUI thread stalled for {worst:.0f} ms"
