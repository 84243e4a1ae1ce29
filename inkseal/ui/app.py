"""Starting the GUI."""

from __future__ import annotations

import sys

from inkseal import __version__


def run_gui(library: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from inkseal.library.errors import InksealError
    from inkseal.library.library import open_library
    from inkseal.ui.context import AppContext
    from inkseal.ui.main_window import MainWindow

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName("Inkseal")
    app.setOrganizationName("Inkseal")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("inkseal")
    try:
        lib = open_library(library)
    except InksealError as exc:
        QMessageBox.critical(None, "Inkseal cannot open the library", str(exc))
        return 1
    from inkseal.ui.preferences import Preferences, apply_theme, remember_library

    apply_theme(Preferences.load().theme)
    remember_library(str(lib.root))
    ctx = AppContext(lib)
    window = MainWindow(ctx)
    window.show()
    try:
        return app.exec()
    finally:
        # File > Open Library replaces the window (and its context) by a new one.
        while getattr(window, "next_window", None) is not None:
            window = window.next_window
        window.ctx.shutdown()
