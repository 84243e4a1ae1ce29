"""Starting the GUI."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from inkseal import __version__

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

    from inkseal.ui.main_window import MainWindow

# Set to a file path, the app writes there the moment its window first painted (seconds since
# the epoch, as text): how benchmarks/startup.py and the installed-app test see the window
# come up without a screen to look at.
SHOWN_FILE_ENV = "INKSEAL_SHOWN_FILE"


def app_icon() -> QIcon:
    """The red seal, from the SVG in inkseal/resources (drawn at any size by Qt's SVG icon
    engine)."""
    from importlib.resources import files

    from PySide6.QtGui import QIcon

    svg = files("inkseal.resources").joinpath("icons/inkseal.svg")
    return QIcon(str(svg))


def run_gui(library: str | None = None, files: Sequence[str] = ()) -> int:
    """Open the window on `library` and import `files` into it. When Inkseal already runs on
    that library, hand it the files instead and return at once."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from inkseal.library.errors import InksealError
    from inkseal.library.library import open_library, resolve_library_dir
    from inkseal.ui.single_instance import InstanceServer, primary_lock, send_to_running

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName("Inkseal")
    app.setOrganizationName("Inkseal")
    app.setApplicationVersion(__version__)
    # The desktop file's name: lets the desktop match the window to its launcher and icon.
    app.setDesktopFileName("org.inkseal.Inkseal")
    app.setWindowIcon(app_icon())

    root = resolve_library_dir(library)
    lock = primary_lock(root)
    if lock is None or not lock.tryLock(0):
        # Another launch is, or is becoming, the app on this library: hand the files over,
        # waiting for it to listen if it is still starting.
        deadline = time.monotonic() + (30 if lock is not None else 0)
        while True:
            if send_to_running(root, files, timeout_ms=1000):
                return 0
            if lock is None or lock.tryLock(0):
                break  # nobody holds it any more (it crashed while starting): be the app
            if time.monotonic() > deadline:
                QMessageBox.critical(
                    None,
                    "Inkseal",
                    "Inkseal is starting on this library but does not answer. "
                    "Wait a moment, then try again.",
                )
                return 1
            time.sleep(0.2)
    server = InstanceServer(app)
    server.listen(root)  # at once: later launches find this app while it opens the library
    try:
        lib = open_library(root)
    except InksealError as exc:
        server.close()
        QMessageBox.critical(None, "Inkseal cannot open the library", str(exc))
        return 1
    from inkseal.ui.context import AppContext
    from inkseal.ui.main_window import MainWindow
    from inkseal.ui.preferences import Preferences, apply_theme, remember_library

    apply_theme(Preferences.load().theme)
    remember_library(str(lib.root))
    ctx = AppContext(lib)
    window = MainWindow(ctx)
    locks = [lock]

    def current() -> MainWindow:
        # File > Open Library replaces the window (and its context) by a new one.
        w = window
        while getattr(w, "next_window", None) is not None:
            w = w.next_window
        return w

    def follow(w: MainWindow) -> None:
        # Another library opened: later launches on it find this app, not on the old one.
        new_lock = primary_lock(w.ctx.library.root)
        for old in locks:
            if old is not None:
                old.unlock()
        locks[:] = [new_lock if new_lock is not None and new_lock.tryLock(0) else None]
        server.listen(w.ctx.library.root)
        w.replaced.connect(follow)

    window.replaced.connect(follow)
    server.received.connect(lambda paths: current().open_files(paths))
    _report_first_paint(window)
    _open_file_events(app, current)
    _quit_on_terminate(app, current)
    window.show()
    if files:
        paths = list(files)
        QTimer.singleShot(0, lambda: current().open_files(paths))
    try:
        return app.exec()
    finally:
        server.close()
        current().ctx.shutdown()
        for held in locks:
            if held is not None:
                held.unlock()


def _report_first_paint(window: MainWindow) -> None:
    shown = os.environ.get(SHOWN_FILE_ENV)
    if not shown:
        return
    path: str = shown
    from PySide6.QtCore import QEvent, QObject

    class FirstPaint(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                window.removeEventFilter(self)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(f"{time.time():.6f}\n")
            return False

    window._first_paint = FirstPaint(window)  # type: ignore[attr-defined]
    window.installEventFilter(window._first_paint)  # type: ignore[attr-defined]


def _open_file_events(app: Any, current: Any) -> None:
    """macOS hands files opened from the Finder, or dropped on the Dock icon, to the running
    app as FileOpen events instead of arguments."""
    from PySide6.QtCore import QEvent, QObject

    class FileOpen(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.FileOpen and event.file():
                current().open_files([event.file()])
                return True
            return False

    app._file_open = FileOpen(app)
    app.installEventFilter(app._file_open)


def _quit_on_terminate(app: Any, current: Any) -> None:
    """SIGTERM (a logout, `kill`) and Ctrl+C in a terminal close the window as File > Quit
    does, so the window's state is saved and running work is cancelled, not cut off.

    Python runs signal handlers only between bytecodes, and the GUI thread sits in Qt's event
    loop; a light timer gives it the chance four times a second."""
    from PySide6.QtCore import QTimer

    def close(_signum: int, _frame: Any) -> None:
        current().close()
        app.quit()

    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(signum, close)
        except ValueError:  # not the main thread (an embedding host): leave them alone
            return
    timer = QTimer(app)
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()
